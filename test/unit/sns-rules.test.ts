/**
 * SNS's pure parts: filter policies (SNS Developer Guide, "Amazon SNS message filtering"), the
 * notification envelope and its string to sign, the default topic policy, topic-policy validation
 * and AddPermission / RemovePermission statements, and topic ARN parsing.
 */
import { describe, expect, it } from "vitest";
import { matchesAttributes, matchesBody, parseFilterPolicy, type FilterPolicy } from "../../src/services/sns/filter-policy";
import { confirmationEnvelope, notificationEnvelope, stringToSign } from "../../src/services/sns/envelope";
import {
  addPermissionStatement,
  defaultTopicPolicy,
  removePermissionStatement,
  validateTopicPolicy,
} from "../../src/services/sns/topic-policy";
import { checkTopicAttribute } from "../../src/services/sns/attributes";
import { parseSubscriptionArn, parseTopicArn } from "../../src/services/sns/common";
import { parsePolicy } from "../../src/policy/index";
import { AwsError } from "../../src/protocol/errors";

const policy = (p: object, scope: "MessageAttributes" | "MessageBody" = "MessageAttributes"): FilterPolicy => {
  const r = parseFilterPolicy(JSON.stringify(p), scope);
  if (!r.ok) throw new Error(r.reason);
  return r.policy;
};
const s = (v: string) => ({ DataType: "String", StringValue: v });
const num = (v: string) => ({ DataType: "Number", StringValue: v });

function sns(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof AwsError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected an error");
}

describe("filter policies on message attributes", () => {
  it("keys AND, values OR; exact strings and numbers", () => {
    const p = policy({ color: ["red", "blue"], size: [10] });
    expect(matchesAttributes(p, { color: s("blue"), size: num("10") })).toBe(true);
    expect(matchesAttributes(p, { color: s("blue"), size: num("10.0") })).toBe(true);
    expect(matchesAttributes(p, { color: s("green"), size: num("10") })).toBe(false);
    expect(matchesAttributes(p, { color: s("red") })).toBe(false);
    // A number does not match a string attribute of the same text.
    expect(matchesAttributes(policy({ n: [5] }), { n: s("5") })).toBe(false);
  });

  it("prefix, suffix, equals-ignore-case, anything-but (value, list, prefix)", () => {
    expect(matchesAttributes(policy({ k: [{ prefix: "ord" }] }), { k: s("order-1") })).toBe(true);
    expect(matchesAttributes(policy({ k: [{ suffix: ".png" }] }), { k: s("a.jpg") })).toBe(false);
    expect(matchesAttributes(policy({ k: [{ "equals-ignore-case": "RED" }] }), { k: s("Red") })).toBe(true);
    expect(matchesAttributes(policy({ k: [{ "anything-but": "red" }] }), { k: s("blue") })).toBe(true);
    expect(matchesAttributes(policy({ k: [{ "anything-but": ["red", "blue"] }] }), { k: s("blue") })).toBe(false);
    expect(matchesAttributes(policy({ k: [{ "anything-but": { prefix: "tmp" } }] }), { k: s("tmp-1") })).toBe(false);
    // anything-but needs the attribute to be there.
    expect(matchesAttributes(policy({ k: [{ "anything-but": "red" }] }), {})).toBe(false);
  });

  it("numeric comparisons and ranges; exists", () => {
    const range = policy({ price: [{ numeric: [">=", 10, "<", 20] }] });
    expect(matchesAttributes(range, { price: num("10") })).toBe(true);
    expect(matchesAttributes(range, { price: num("20") })).toBe(false);
    expect(matchesAttributes(range, { price: s("15") })).toBe(false);
    expect(matchesAttributes(policy({ k: [{ exists: true }] }), { k: s("x") })).toBe(true);
    expect(matchesAttributes(policy({ k: [{ exists: false }] }), { k: s("x") })).toBe(false);
    expect(matchesAttributes(policy({ k: [{ exists: false }] }), {})).toBe(true);
  });

  it("String.Array attributes match when any element does; Binary never", () => {
    const p = policy({ tags: ["urgent"] });
    expect(matchesAttributes(p, { tags: { DataType: "String.Array", StringValue: '["low","urgent"]' } })).toBe(true);
    expect(matchesAttributes(p, { tags: { DataType: "String.Array", StringValue: "not json" } })).toBe(false);
    expect(matchesAttributes(policy({ b: [{ exists: true }] }), { b: { DataType: "Binary" } })).toBe(true);
    expect(matchesAttributes(policy({ b: ["x"] }), { b: { DataType: "Binary" } })).toBe(false);
  });

  it("refuses what is not a filter policy", () => {
    expect(parseFilterPolicy("[1]", "MessageAttributes")).toMatchObject({ ok: false });
    expect(parseFilterPolicy("{", "MessageAttributes")).toMatchObject({ ok: false });
    expect(parseFilterPolicy('{"k":"v"}', "MessageAttributes")).toMatchObject({ ok: false });
    expect(parseFilterPolicy('{"k":[{"wildcard":"a*"}]}', "MessageAttributes")).toMatchObject({ ok: false });
    expect(parseFilterPolicy('{"k":[{"numeric":[">"]}]}', "MessageAttributes")).toMatchObject({ ok: false });
    expect(parseFilterPolicy('{"k":{"n":["v"]}}', "MessageAttributes")).toMatchObject({ ok: false });
    expect(parseFilterPolicy('{"k":{"n":["v"]}}', "MessageBody")).toMatchObject({ ok: true });
  });
});

describe("filter policies on the message body", () => {
  it("nested keys as objects; arrays offer their elements", () => {
    const p = policy({ order: { status: ["paid"], total: [{ numeric: [">", 100] }] }, tags: ["gift"] }, "MessageBody");
    expect(matchesBody(p, { order: { status: "paid", total: 150 }, tags: ["gift", "x"] })).toBe(true);
    expect(matchesBody(p, { order: { status: "paid", total: 50 }, tags: ["gift"] })).toBe(false);
    expect(matchesBody(p, { order: { status: "paid", total: 150 } })).toBe(false);
    expect(matchesBody(p, "not an object")).toBe(false);
  });
});

describe("the notification envelope", () => {
  const fields = {
    messageId: "m-1",
    topicArn: "arn:aws:sns:us-east-1:111111111111:t",
    subject: "hi",
    message: 'say "hello"',
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  };

  it("is written as SNS writes it: two-space indent, ' : ' separators, AWS's field order", () => {
    const text = notificationEnvelope({
      ...fields,
      signatureVersion: "1",
      signature: "c2ln",
      signingCertUrl: "https://x/cert.pem",
      unsubscribeUrl: "https://x/?Action=Unsubscribe",
      messageAttributes: { a: { Type: "String", Value: "v" } },
    });
    expect(text).toBe(
      [
        "{",
        '  "Type" : "Notification",',
        '  "MessageId" : "m-1",',
        '  "TopicArn" : "arn:aws:sns:us-east-1:111111111111:t",',
        '  "Subject" : "hi",',
        '  "Message" : "say \\"hello\\"",',
        '  "Timestamp" : "2026-01-02T03:04:05.678Z",',
        '  "SignatureVersion" : "1",',
        '  "Signature" : "c2ln",',
        '  "SigningCertURL" : "https://x/cert.pem",',
        '  "UnsubscribeURL" : "https://x/?Action=Unsubscribe",',
        '  "MessageAttributes" : {',
        '    "a" : {"Type":"String","Value":"v"}',
        "  }",
        "}",
      ].join("\n"),
    );
    expect(JSON.parse(text)).toMatchObject({ Type: "Notification", Message: 'say "hello"' });
  });

  it("the string to sign lists the fields by name, Subject only when present", () => {
    expect(stringToSign(fields)).toBe(
      'Message\nsay "hello"\nMessageId\nm-1\nSubject\nhi\nTimestamp\n2026-01-02T03:04:05.678Z\nTopicArn\narn:aws:sns:us-east-1:111111111111:t\nType\nNotification\n',
    );
    const { subject: _s, ...noSubject } = fields;
    expect(stringToSign(noSubject)).not.toContain("Subject");
  });

  it("a SubscriptionConfirmation carries the token and the SubscribeURL", () => {
    const c = JSON.parse(
      confirmationEnvelope({
        messageId: "m",
        token: "tok",
        topicArn: fields.topicArn,
        subscribeUrl: "https://x/?Action=ConfirmSubscription",
        timestamp: fields.timestamp,
        signatureVersion: "1",
        signature: "s",
        signingCertUrl: "c",
      }),
    ) as Record<string, string>;
    expect(c).toMatchObject({ Type: "SubscriptionConfirmation", Token: "tok", TopicArn: fields.topicArn });
    expect(c.Message).toBe(
      `You have chosen to subscribe to the topic ${fields.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    );
  });
});

describe("topic policies", () => {
  const arn = "arn:aws:sns:us-east-1:111111111111:t";

  it("the default policy parses and names the owner in AWS:SourceOwner", () => {
    const text = defaultTopicPolicy(arn, "111111111111");
    expect(parsePolicy(text, "resource").ok).toBe(true);
    expect(JSON.parse(text).Statement[0].Condition).toEqual({ StringEquals: { "AWS:SourceOwner": "111111111111" } });
  });

  it("validation: JSON, SNS actions only, the engine's checks", () => {
    expect(sns(() => validateTopicPolicy("{x"))).toEqual({ code: "InvalidParameter", message: "Invalid parameter: Policy Error: null" });
    const sqs = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: arn }] });
    expect(sns(() => validateTopicPolicy(sqs)).message).toBe("Invalid parameter: Policy statement action out of service scope!");
    const noEffect = JSON.stringify({ Statement: [{ Principal: "*", Action: "sns:Publish", Resource: arn }] });
    expect(sns(() => validateTopicPolicy(noEffect)).message).toMatch(/^Invalid parameter: Policy Error: /);
    expect(sns(() => validateTopicPolicy(" ".repeat(30 * 1024 + 1))).code).toBe("InvalidParameter");
  });

  it("AddPermission appends AWS's statement; RemovePermission takes it out; a label is unique", () => {
    const p1 = addPermissionStatement(
      defaultTopicPolicy(arn, "111111111111"),
      arn,
      "lab",
      ["222222222222", "333333333333"],
      ["Publish", "Subscribe"],
    );
    const doc = JSON.parse(p1);
    expect(doc.Statement[1]).toEqual({
      Sid: "lab",
      Effect: "Allow",
      Principal: { AWS: ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"] },
      Action: ["SNS:Publish", "SNS:Subscribe"],
      Resource: arn,
    });
    expect(sns(() => addPermissionStatement(p1, arn, "lab", ["222222222222"], ["Publish"])).message).toBe(
      "Invalid parameter: Statement already exists",
    );
    expect(sns(() => addPermissionStatement(p1, arn, "x", ["222222222222"], ["Fly"])).code).toBe("InvalidParameter");
    expect(JSON.parse(removePermissionStatement(p1, "lab")).Statement).toHaveLength(1);
    expect(removePermissionStatement(p1, "nosuch")).toBe(p1);
  });
});

describe("topic ARNs and attributes", () => {
  it("parses a topic ARN of the request's region, in SNS's words otherwise", () => {
    expect(parseTopicArn("arn:aws:sns:us-east-1:111111111111:t.fifo", "us-east-1")).toEqual({
      accountId: "111111111111",
      region: "us-east-1",
      name: "t.fifo",
    });
    expect(sns(() => parseTopicArn("arn:aws:sns:eu-west-1:111111111111:t", "us-east-1")).message).toBe("Invalid parameter: TopicArn");
    expect(sns(() => parseTopicArn("arn:aws:sqs:us-east-1:111111111111:t", "us-east-1")).message).toBe("Invalid parameter: TopicArn");
    expect(sns(() => parseTopicArn("arn:aws", "us-east-1")).message).toBe(
      "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 2",
    );
    expect(parseSubscriptionArn("arn:aws:sns:us-east-1:111111111111:t:0f0e0d0c-0b0a-0908-0706-050403020100", "us-east-1").id).toBe(
      "0f0e0d0c-0b0a-0908-0706-050403020100",
    );
    expect(sns(() => parseSubscriptionArn("arn:aws:sns:us-east-1:111111111111:t", "us-east-1")).message).toBe(
      "Invalid parameter: SubscriptionId",
    );
  });

  it("checks topic attributes: names, DisplayName length, FIFO-only settings", () => {
    expect(checkTopicAttribute("DisplayName", "Lab", false, false)).toBe("Lab");
    expect(sns(() => checkTopicAttribute("DisplayName", "x".repeat(101), false, false)).code).toBe("InvalidParameter");
    expect(sns(() => checkTopicAttribute("Nope", "x", false, false)).message).toBe("Invalid parameter: AttributeName");
    expect(sns(() => checkTopicAttribute("ContentBasedDeduplication", "true", false, false)).code).toBe("InvalidParameter");
    expect(checkTopicAttribute("ContentBasedDeduplication", "TRUE", true, false)).toBe("true");
    expect(sns(() => checkTopicAttribute("FifoTopic", "true", true, false)).message).toBe("Invalid parameter: AttributeName");
  });
});
