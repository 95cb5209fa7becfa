/** SQS's pure parts: the MD5 of message attributes, queue attributes and names, message rules, AddPermission, queue policies. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { messageAttributesDigestInput, type MessageAttributeValue } from "../../src/services/sqs/md5";
import { checkAttributes, checkQueueName, differingAttribute, parseQueueUrl, withDefaults } from "../../src/services/sqs/attributes";
import {
  checkBody,
  checkDelay,
  checkFifoParameters,
  checkMessageAttributes,
  checkReceive,
  checkSize,
} from "../../src/services/sqs/message-rules";
import { addPermissionStatement, removePermissionStatement } from "../../src/services/sqs/permissions";
import { validateQueuePolicy } from "../../src/services/sqs/policy";
import type { QueueRow } from "../../src/store/sqs-queues";
import { AwsError } from "../../src/protocol/errors";

const md5 = (attrs: Record<string, MessageAttributeValue>) => createHash("md5").update(messageAttributesDigestInput(attrs)).digest("hex");

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof AwsError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return undefined;
}

describe("MD5OfMessageAttributes", () => {
  // Published values: AWS's example (SellerName), LocalStack's and sqslite's tests against real SQS answers.
  it("one string attribute", () => {
    expect(md5({ SellerName: { DataType: "String", StringValue: "Example Store" } })).toBe("cd28f3b68aeee4b2eac9c66f2f694b58");
  });
  it("a number attribute", () => {
    expect(md5({ timestamp: { DataType: "Number", StringValue: "1493147359900" } })).toBe("235c5c510d26fb653d073faed50ae77c");
  });
  it("several attributes, in name order whatever the order given", () => {
    const v = md5({ ordinal: { DataType: "Number", StringValue: "1" }, category: { DataType: "String", StringValue: "test" } });
    expect(v).toBe("d21ae90c49061e927f57df5f5d72be1f");
  });
  it("binary values use transport byte 2 and their raw bytes", () => {
    const bytes = messageAttributesDigestInput({ b: { DataType: "Binary", BinaryValue: new Uint8Array([7, 8]) } });
    expect([...bytes]).toEqual([0, 0, 0, 1, 98, 0, 0, 0, 6, ...Buffer.from("Binary"), 2, 0, 0, 0, 2, 7, 8]);
  });
});

describe("queue attributes and names", () => {
  it("checks ranges and names, normalizes numbers", () => {
    expect(checkAttributes({ VisibilityTimeout: "045", MaximumMessageSize: "1048576" }, false, true)).toEqual({
      VisibilityTimeout: "45",
      MaximumMessageSize: "1048576",
    });
    expect(code(() => checkAttributes({ MaximumMessageSize: "1048577" }, false, true))).toBe(
      "InvalidAttributeValue: Invalid value for the parameter MaximumMessageSize.",
    );
    expect(code(() => checkAttributes({ DelaySeconds: "-1" }, false, true))).toMatch(/^InvalidAttributeValue/);
    expect(code(() => checkAttributes({ MessageRetentionPeriod: "59" }, false, true))).toMatch(/^InvalidAttributeValue/);
    expect(code(() => checkAttributes({ ReceiveMessageWaitTimeSeconds: "21" }, false, true))).toMatch(/^InvalidAttributeValue/);
    expect(code(() => checkAttributes({ Nope: "1" }, false, true))).toBe("InvalidAttributeName: Unknown Attribute Nope.");
    expect(code(() => checkAttributes({ ContentBasedDeduplication: "true" }, false, true))).toMatch(/^InvalidAttributeName/);
    expect(checkAttributes({ ContentBasedDeduplication: "TRUE", FifoQueue: "true" }, true, true)).toEqual({
      ContentBasedDeduplication: "true",
    });
    expect(code(() => checkAttributes({ FifoQueue: "true" }, true, false))).toMatch(/^InvalidAttributeValue/);
    expect(code(() => checkAttributes({ RedrivePolicy: "{nope" }, false, true))).toMatch(/^InvalidAttributeValue/);
  });

  it("defaults, and which given attribute differs from an existing queue", () => {
    const d = withDefaults(false, { VisibilityTimeout: "10" });
    expect(d).toMatchObject({ VisibilityTimeout: "10", DelaySeconds: "0", MaximumMessageSize: "262144", MessageRetentionPeriod: "345600" });
    expect(differingAttribute(d, undefined, { VisibilityTimeout: "10" }, undefined)).toBeUndefined();
    expect(differingAttribute(d, undefined, { DelaySeconds: "5" }, undefined)).toBe("DelaySeconds");
    expect(differingAttribute(d, '{"a": 1}', {}, '{"a":1}')).toBeUndefined();
  });

  it("queue names and URLs", () => {
    expect(code(() => checkQueueName("ok_name-1", false))).toBeUndefined();
    expect(code(() => checkQueueName("x".repeat(81), false))).toMatch(/^InvalidParameterValue/);
    expect(code(() => checkQueueName("a.fifo", false))).toMatch(/^InvalidParameterValue/);
    expect(code(() => checkQueueName("a.fifo", true))).toBeUndefined();
    expect(code(() => checkQueueName("a", true))).toMatch(/must end with .fifo/);
    expect(parseQueueUrl("http://127.0.0.1:8787/123456789012/orders")).toEqual({ account: "123456789012", name: "orders" });
    expect(parseQueueUrl("https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo")).toEqual({ account: "123456789012", name: "q.fifo" });
    expect(parseQueueUrl("orders")).toBeUndefined();
    expect(parseQueueUrl("http://h/12345/orders")).toBeUndefined();
  });
});

describe("message rules", () => {
  it("bodies: required, SQS's character set", () => {
    expect(code(() => checkBody(""))).toMatch(/^MissingParameter/);
    expect(code(() => checkBody("a\u0000b"))).toMatch(/^InvalidMessageContents: Invalid binary character '#x0'/);
    expect(checkBody("tab\tnew\nline 😀")).toBe("tab\tnew\nline 😀");
  });

  it("attributes: at most 10, names, types, values; their size counts name, type and value", () => {
    expect(checkMessageAttributes({ ab: { DataType: "String", StringValue: "xyz" } })).toBe(2 + 6 + 3);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, k) => [`a${k}`, { DataType: "String", StringValue: "v" }]));
    expect(code(() => checkMessageAttributes(eleven))).toMatch(/^InvalidParameterValue/);
    expect(code(() => checkMessageAttributes({ "AWS.x": { DataType: "String", StringValue: "v" } }))).toMatch(/^InvalidParameterValue/);
    expect(code(() => checkMessageAttributes({ "a..b": { DataType: "String", StringValue: "v" } }))).toMatch(/^InvalidParameterValue/);
    expect(code(() => checkMessageAttributes({ a: { DataType: "String", StringValue: "" } }))).toMatch(/non-empty/);
    expect(code(() => checkMessageAttributes({ a: { DataType: "Number.int", StringValue: "1e3" } }))).toBeUndefined();
    expect(code(() => checkMessageAttributes({ a: { DataType: "Number", StringValue: "one" } }))).toMatch(/to a number/);
    expect(code(() => checkMessageAttributes({ a: { DataType: "Date", StringValue: "x" } }))).toMatch(/^InvalidParameterValue/);
    // The Query form's `MessageAttribute.1.Name=a` without a Value decodes to a name with no attribute: a 400, not a 500.
    const nameOnly = { a: undefined } as unknown as Record<string, { DataType: string }>;
    expect(code(() => checkMessageAttributes(nameOnly))).toMatch(/^InvalidParameterValue/);
  });

  it("size against MaximumMessageSize, delays, FIFO parameters, receive ranges", () => {
    expect(code(() => checkSize("x".repeat(262144), 0, 262144))).toBeUndefined();
    expect(code(() => checkSize("x".repeat(262140), 5, 262144))).toBe(
      "InvalidParameterValue: One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.",
    );
    expect(code(() => checkDelay(901, false))).toMatch(/DelaySeconds must be >= 0 and <= 900/);
    expect(code(() => checkDelay(1, true))).toMatch(/not valid for this queue type/);
    expect(code(() => checkFifoParameters(true, false, undefined, undefined))).toMatch(/^MissingParameter.*MessageGroupId/);
    expect(code(() => checkFifoParameters(true, false, "g", undefined))).toMatch(/ContentBasedDeduplication/);
    expect(code(() => checkFifoParameters(true, true, "g", undefined))).toBeUndefined();
    expect(code(() => checkFifoParameters(false, false, undefined, "d"))).toMatch(/MessageDeduplicationId/);
    expect(code(() => checkReceive(0, undefined, undefined))).toBe(
      "InvalidParameterValue: Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
    );
    expect(code(() => checkReceive(10, 20, 43200))).toBeUndefined();
    expect(code(() => checkReceive(undefined, undefined, 43201))).toMatch(/VisibilityTimeout/);
  });
});

const queue = (policy?: string): QueueRow => ({
  accountId: "111111111111",
  name: "orders",
  queueId: "q",
  region: "us-east-1",
  createdAt: 0,
  modifiedAt: 0,
  attributes: {},
  tags: {},
  ...(policy ? { policy } : {}),
});

describe("AddPermission / RemovePermission", () => {
  it("writes SQS's statement and removes it by label", () => {
    const p = addPermissionStatement(queue(), "l1", ["222222222222"], ["SendMessage"]);
    expect(JSON.parse(p)).toEqual({
      Version: "2008-10-17",
      Id: "arn:aws:sqs:us-east-1:111111111111:orders/SQSDefaultPolicy",
      Statement: [
        {
          Sid: "l1",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::222222222222:root" },
          Action: "SQS:SendMessage",
          Resource: "arn:aws:sqs:us-east-1:111111111111:orders",
        },
      ],
    });
    expect(code(() => addPermissionStatement(queue(p), "l1", ["222222222222"], ["SendMessage"]))).toMatch(/Already exists/);
    expect(code(() => addPermissionStatement(queue(), "l2", ["222222222222"], ["PurgeQueue"]))).toMatch(/^InvalidParameterValue/);
    const two = addPermissionStatement(queue(p), "l2", ["333333333333", "444444444444"], ["*", "ReceiveMessage"]);
    expect(JSON.parse(two).Statement[1].Principal.AWS).toHaveLength(2);
    expect(JSON.parse(removePermissionStatement(queue(two), "l1")!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["l2"]);
    expect(removePermissionStatement(queue(p), "l1")).toBeUndefined();
    expect(code(() => removePermissionStatement(queue(p), "nope"))).toMatch(/^InvalidParameterValue/);
  });
});

describe("queue policies", () => {
  const ok = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: "222222222222" },
        Action: "sqs:SendMessage",
        Resource: "arn:aws:sqs:us-east-1:111111111111:orders",
      },
    ],
  };
  it("accepts SQS policies, empty removes, anything else is InvalidAttributeValue", () => {
    expect(validateQueuePolicy(JSON.stringify(ok))).toBe(JSON.stringify(ok));
    expect(validateQueuePolicy("")).toBeUndefined();
    const bad = [
      "{",
      "[]",
      JSON.stringify({ ...ok, Statement: [{ ...ok.Statement[0], Action: "s3:GetObject" }] }),
      JSON.stringify({ ...ok, Statement: [{ ...ok.Statement[0], Resource: "arn:aws:s3:::b" }] }),
      JSON.stringify({ ...ok, Statement: [{ ...ok.Statement[0], Principal: { AWS: "not-an-account" } }] }),
      JSON.stringify({ ...ok, Statement: [{ ...ok.Statement[0], Effect: "Maybe" }] }),
      JSON.stringify({ ...ok, Padding: "x".repeat(8200) }),
    ];
    for (const p of bad)
      expect(
        code(() => validateQueuePolicy(p)),
        p.slice(0, 60),
      ).toBe("InvalidAttributeValue: Invalid value for the parameter Policy.");
  });
});
