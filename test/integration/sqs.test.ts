/**
 * SQS (issue 17, first slice) driven by @aws-sdk/client-sqs (which verifies MD5OfMessageBody) and the
 * AWS CLIs: queues and attributes, messages with visibility timeouts and long polling, queue policies
 * (cross-account needs both sides), AddPermission, and SQS's own errors for bad input.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  SQSClient,
  AddPermissionCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  RemovePermissionCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from "@aws-sdk/client-sqs";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, setClock, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const sqs = (creds: Creds) => new SQSClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;
let n = 0;
const qname = (what: string) => `q${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

async function newUser(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

const allow = (action: string | string[], resource: string | string[] = "*") => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: resource }],
});

async function createQueue(creds: Creds, what: string, attrs?: Record<string, string>): Promise<string> {
  const r = await sqs(creds).send(new CreateQueueCommand({ QueueName: qname(what), ...(attrs ? { Attributes: attrs } : {}) }));
  return r.QueueUrl!;
}

beforeAll(async () => {
  const a = await createAccount();
  accountA = a.accountId;
  rootA = accountCreds(a);
  const b = await createAccount();
  accountB = b.accountId;
  rootB = accountCreds(b);
});

describe("queues", () => {
  it("CreateQueue answers a URL on the endpoint called; GetQueueUrl, ListQueues (prefix, pages), DeleteQueue", async () => {
    const prefix = qname("list");
    const urls: string[] = [];
    for (const s of ["a", "b", "c"]) urls.push((await sqs(rootA).send(new CreateQueueCommand({ QueueName: `${prefix}-${s}` }))).QueueUrl!);
    expect(urls[0]).toBe(`${url()}/${accountA}/${prefix}-a`);
    const got = await sqs(rootA).send(new GetQueueUrlCommand({ QueueName: `${prefix}-b` }));
    expect(got.QueueUrl).toBe(urls[1]);
    expect((await sqs(rootA).send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls).toEqual(urls);
    const p1 = await sqs(rootA).send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    expect(p1.QueueUrls).toEqual(urls.slice(0, 2));
    const p2 = await sqs(rootA).send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: p1.NextToken! }));
    expect(p2.QueueUrls).toEqual(urls.slice(2));
    expect(p2.NextToken).toBeUndefined();
    // Another account's listing does not show them.
    expect((await sqs(rootB).send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls).toBeUndefined();
    await sqs(rootA).send(new DeleteQueueCommand({ QueueUrl: urls[0]! }));
    await expectAwsError(
      sqs(rootA).send(new GetQueueUrlCommand({ QueueName: `${prefix}-a` })),
      "AWS.SimpleQueueService.NonExistentQueue",
      400,
      "The specified queue does not exist.",
    );
    await expectAwsError(
      sqs(rootA).send(new SendMessageCommand({ QueueUrl: urls[0]!, MessageBody: "x" })),
      "AWS.SimpleQueueService.NonExistentQueue",
      400,
    );
  });

  it("attributes: defaults, QueueArn, set and get, counts; same name with other attributes is QueueAlreadyExists", async () => {
    const name = qname("attrs");
    const q = (await sqs(rootA).send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "45" } }))).QueueUrl!;
    const a = (await sqs(rootA).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["All"] }))).Attributes!;
    expect(a).toMatchObject({
      VisibilityTimeout: "45",
      MaximumMessageSize: "262144",
      MessageRetentionPeriod: "345600",
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      ApproximateNumberOfMessages: "0",
      QueueArn: `arn:aws:sqs:us-east-1:${accountA}:${name}`,
    });
    // The same call again is fine; another value is not.
    expect((await sqs(rootA).send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "45" } }))).QueueUrl).toBe(q);
    await expectAwsError(
      sqs(rootA).send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "46" } })),
      "QueueAlreadyExists",
      400,
    );
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { DelaySeconds: "5", MaximumMessageSize: "1048576" } }));
    const b = (
      await sqs(rootA).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["DelaySeconds", "MaximumMessageSize"] }))
    ).Attributes!;
    expect(b).toEqual({ DelaySeconds: "5", MaximumMessageSize: "1048576" });
    await expectAwsError(
      sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { VisibilityTimeout: "43201" } })),
      "InvalidAttributeValue",
      400,
      "Invalid value for the parameter VisibilityTimeout.",
    );
    await expectAwsError(
      sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { Colour: "blue" } as Record<string, string> })),
      "InvalidAttributeName",
      400,
      "Unknown Attribute Colour.",
    );
    await expectAwsError(sqs(rootA).send(new CreateQueueCommand({ QueueName: "bad name!" })), "InvalidParameterValue", 400);
  });

  it("tags", async () => {
    const q = await createQueue(rootA, "tags");
    await sqs(rootA).send(new TagQueueCommand({ QueueUrl: q, Tags: { team: "blue" } }));
    expect((await sqs(rootA).send(new ListQueueTagsCommand({ QueueUrl: q }))).Tags).toEqual({ team: "blue" });
  });
});

describe("messages", () => {
  it("send and receive: the SDK's MD5 checks pass, attributes come back, delete removes", async () => {
    const q = await createQueue(rootA, "msgs");
    const sent = await sqs(rootA).send(
      new SendMessageCommand({
        QueueUrl: q,
        MessageBody: "héllo wörld ✓",
        MessageAttributes: {
          City: { DataType: "String", StringValue: "Any City" },
          Count: { DataType: "Number", StringValue: "3" },
          Raw: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const got = await sqs(rootA).send(
      new ReceiveMessageCommand({ QueueUrl: q, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }),
    );
    const m = got.Messages![0]!;
    expect(m.Body).toBe("héllo wörld ✓");
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m.MessageAttributes!.Raw!.BinaryValue).toEqual(new Uint8Array([1, 2, 3]));
    expect(m.Attributes).toMatchObject({ ApproximateReceiveCount: "1", SenderId: accountA });
    await sqs(rootA).send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: m.ReceiptHandle! }));
    expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages).toBeUndefined();
  });

  it("visibility timeout hides a received message; it comes back with a higher receive count; ChangeMessageVisibility", async () => {
    const q = await createQueue(rootA, "vis");
    await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "one" }));
    const first = await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q, VisibilityTimeout: 1 }));
    expect(first.Messages).toHaveLength(1);
    expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages).toBeUndefined();
    const counts = (await sqs(rootA).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["All"] }))).Attributes!;
    expect(counts).toMatchObject({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "1" });
    await new Promise((r) => setTimeout(r, 1100));
    const again = await sqs(rootA).send(
      new ReceiveMessageCommand({ QueueUrl: q, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }),
    );
    expect(again.Messages![0]!.Attributes).toEqual({ ApproximateReceiveCount: "2" });
    const h = again.Messages![0]!.ReceiptHandle!;
    // Made visible at once: the next receive gets it.
    await sqs(rootA).send(new ChangeMessageVisibilityCommand({ QueueUrl: q, ReceiptHandle: h, VisibilityTimeout: 0 }));
    const third = await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }));
    expect(third.Messages![0]!.Body).toBe("one");
    await expectAwsError(
      sqs(rootA).send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: "not-a-handle" })),
      "ReceiptHandleIsInvalid",
      404,
    );
  });

  it("long polling waits for a send instead of answering empty", async () => {
    const q = await createQueue(rootA, "poll");
    const start = Date.now();
    const receiving = sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q, WaitTimeSeconds: 10 }));
    await new Promise((r) => setTimeout(r, 500));
    await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "late" }));
    const got = await receiving;
    expect(got.Messages![0]!.Body).toBe("late");
    expect(Date.now() - start).toBeLessThan(5000);
    // Nothing to wait for: the wait ends empty after WaitTimeSeconds.
    const t = Date.now();
    expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q, WaitTimeSeconds: 1 }))).Messages).toBeUndefined();
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
  });

  it("batches answer per entry; PurgeQueue empties", async () => {
    const q = await createQueue(rootA, "batch");
    const r = await sqs(rootA).send(
      new SendMessageBatchCommand({
        QueueUrl: q,
        Entries: [
          { Id: "a", MessageBody: "A" },
          { Id: "b", MessageBody: "B" },
          { Id: "c", MessageBody: "C", DelaySeconds: 901 },
        ],
      }),
    );
    expect(r.Successful!.map((s) => s.Id)).toEqual(["a", "b"]);
    expect(r.Failed).toEqual([expect.objectContaining({ Id: "c", Code: "InvalidParameterValue", SenderFault: true })]);
    const got = await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10 }));
    expect(got.Messages!.map((m) => m.Body)).toEqual(["A", "B"]);
    const del = await sqs(rootA).send(
      new DeleteMessageBatchCommand({
        QueueUrl: q,
        Entries: got.Messages!.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    expect(del.Successful).toHaveLength(2);
    await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "X" }));
    await sqs(rootA).send(new PurgeQueueCommand({ QueueUrl: q }));
    expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages).toBeUndefined();
    await expectAwsError(
      sqs(rootA).send(
        new SendMessageBatchCommand({
          QueueUrl: q,
          Entries: [
            { Id: "x", MessageBody: "1" },
            { Id: "x", MessageBody: "2" },
          ],
        }),
      ),
      "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
      400,
    );
  });

  it("FIFO: .fifo names, deduplication, one message group in order", async () => {
    const name = `${qname("fifo")}.fifo`;
    const q = (
      await sqs(rootA).send(
        new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }),
      )
    ).QueueUrl!;
    const s1 = await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "1", MessageGroupId: "g" }));
    const dup = await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "1", MessageGroupId: "g" }));
    expect(dup.MessageId).toBe(s1.MessageId);
    expect(s1.SequenceNumber).toMatch(/^\d{20}$/);
    await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "2", MessageGroupId: "g" }));
    const first = await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }));
    expect(first.Messages![0]!.Body).toBe("1");
    // The group waits behind its in-flight message.
    expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages).toBeUndefined();
    await sqs(rootA).send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: first.Messages![0]!.ReceiptHandle! }));
    expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages![0]!.Body).toBe("2");
    await expectAwsError(sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "3" })), "MissingParameter", 400);
    await expectAwsError(
      sqs(rootA).send(new CreateQueueCommand({ QueueName: qname("std"), Attributes: { ContentBasedDeduplication: "true" } })),
      "InvalidAttributeName",
      400,
    );
  });

  it("retention: messages older than MessageRetentionPeriod are gone (sandbox clock)", async () => {
    const q = await createQueue(rootA, "ret", { MessageRetentionPeriod: "60" });
    await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "old" }));
    await setClock(61_000);
    try {
      expect((await sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages).toBeUndefined();
    } finally {
      await setClock(0);
    }
  });
});

describe("bad input: SQS's codes", () => {
  it("oversize messages, bad attributes, out-of-range receive parameters", async () => {
    const q = await createQueue(rootA, "bad");
    await expectAwsError(
      sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "x".repeat(262145) })),
      "InvalidParameterValue",
      400,
      "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.",
    );
    await expectAwsError(
      sqs(rootA).send(
        new SendMessageCommand({ QueueUrl: q, MessageBody: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "abc" } } }),
      ),
      "InvalidParameterValue",
      400,
    );
    await expectAwsError(
      sqs(rootA).send(
        new SendMessageCommand({ QueueUrl: q, MessageBody: "x", MessageAttributes: { n: { DataType: "Colour", StringValue: "red" } } }),
      ),
      "InvalidParameterValue",
      400,
    );
    await expectAwsError(
      sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "bad \u0001 char" })),
      "InvalidMessageContents",
      400,
    );
    await expectAwsError(
      sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 11 })),
      "InvalidParameterValue",
      400,
      "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
    );
    await expectAwsError(
      sqs(rootA).send(new ReceiveMessageCommand({ QueueUrl: q, WaitTimeSeconds: 21 })),
      "InvalidParameterValue",
      400,
      "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
    );
    // A queue allowing 1 MiB takes a 300 KB message.
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { MaximumMessageSize: "1048576" } }));
    const big = await sqs(rootA).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "y".repeat(300_000) }));
    expect(big.MessageId).toBeDefined();
  });

  it("an invalid queue policy is InvalidAttributeValue", async () => {
    const q = await createQueue(rootA, "badpolicy");
    for (const policy of [
      "not json",
      JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] }),
    ])
      await expectAwsError(
        sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { Policy: policy } })),
        "InvalidAttributeValue",
        400,
        "Invalid value for the parameter Policy.",
      );
  });
});

describe("authorization: queue policies", () => {
  it("same account: a user without identity policy is denied, then allowed by the queue policy alone", async () => {
    const q = await createQueue(rootA, "same");
    const userName = `sqs-same-${n++}`;
    const user = await newUser(rootA, userName);
    const e = await expectAwsError(sqs(user).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "x" })), "AccessDenied", 403);
    // SQS's wording: the action in lower case.
    expect(e.message).toMatch(
      /^User: arn:aws:iam::\d{12}:user\/sqs-same-\d+ is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:us-east-1:\d{12}:\S+ because no identity-based policy allows the sqs:sendmessage action$/,
    );
    const arn = (await sqs(rootA).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const userArn = `arn:aws:iam::${accountA}:user/${userName}`;
    const policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: userArn }, Action: "sqs:SendMessage", Resource: arn }],
    };
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { Policy: JSON.stringify(policy) } }));
    expect((await sqs(user).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "x" }))).MessageId).toBeDefined();
    const got = (await sqs(rootA).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["Policy"] }))).Attributes!;
    expect(JSON.parse(got.Policy!)).toEqual(policy);
  });

  it("lab: a user of A sends to B's queue only when B's queue policy grants A and A's identity policy allows (SDK and CLI)", async () => {
    const name = qname("xacct");
    const q = (await sqs(rootB).send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const arn = `arn:aws:sqs:us-east-1:${accountB}:${name}`;
    const sender = await newUser(rootA, `sqs-sender-${n++}`, allow(["sqs:SendMessage", "sqs:GetQueueUrl"], arn));
    const idle = await newUser(rootA, `sqs-idle-${n++}`);
    // No queue policy: A's identity policy alone is not enough across accounts.
    await expectAwsError(
      sqs(sender).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "x" })),
      "AccessDenied",
      403,
      /because no resource-based policy allows the sqs:sendmessage action$/,
    );
    await sqs(rootB).send(
      new AddPermissionCommand({ QueueUrl: q, Label: "fromA", AWSAccountIds: [accountA], Actions: ["SendMessage", "GetQueueUrl"] }),
    );
    const stored = JSON.parse(
      (await sqs(rootB).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["Policy"] }))).Attributes!.Policy!,
    );
    expect(stored.Statement[0]).toMatchObject({ Sid: "fromA", Principal: { AWS: `arn:aws:iam::${accountA}:root` } });
    // B grants A; A's user with the identity policy can send, the one without cannot.
    const url2 = await sqs(sender).send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: accountB }));
    expect(url2.QueueUrl).toBe(q);
    expect((await sqs(sender).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "from A" }))).MessageId).toBeDefined();
    await expectAwsError(sqs(idle).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "x" })), "AccessDenied", 403);
    // A may send but not receive: B's policy grants no ReceiveMessage.
    await expectAwsError(sqs(sender).send(new ReceiveMessageCommand({ QueueUrl: q })), "AccessDenied", 403);
    // The CLI sends too (JSON or Query form, whichever it speaks).
    for (const bin of clis) {
      const r = await cli(bin, sender, "sqs", "send-message", "--queue-url", q, "--message-body", `cli ${bin}`);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).MD5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
    }
    const bodies: string[] = [];
    for (;;) {
      const got = await sqs(rootB).send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10 }));
      if (!got.Messages) break;
      bodies.push(...got.Messages.map((m) => m.Body!));
    }
    expect(bodies.sort()).toEqual(["from A", ...clis.map((b) => `cli ${b}`)].sort());
    // RemovePermission: denied again.
    await sqs(rootB).send(new RemovePermissionCommand({ QueueUrl: q, Label: "fromA" }));
    await expectAwsError(sqs(sender).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "x" })), "AccessDenied", 403);
    if (clis.length) {
      const denied = await cli(clis[0]!, sender, "sqs", "send-message", "--queue-url", q, "--message-body", "no");
      expect(denied.stderr).toMatch(/AccessDenied/);
    }
  });
});

/** The AWS CLIs installed (the one on PATH and Debian's v2), each version once. */
async function installedClis(): Promise<string[]> {
  const out: { bin: string; version: string }[] = [];
  for (const bin of ["aws", "/usr/bin/aws"]) {
    const v = await promisify(execFile)(bin, ["--version"]).then(
      (r) => (r.stdout || r.stderr).trim().split(" ")[0] ?? "",
      () => "",
    );
    if (v && !out.some((c) => c.version === v)) out.push({ bin, version: v });
  }
  return out.map((c) => c.bin);
}
const clis = await installedClis();

async function cli(bin: string, creds: Creds, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json", "--region", "us-east-1"], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_PAGER: "",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  }).then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: "" }),
    (x: { code: number; stdout: string; stderr: string }) => x,
  );
}

describe.skipIf(clis.length === 0)("the AWS CLIs (JSON and, Debian's v2 2.9, the Query form)", () => {
  it("create, send with attributes, receive, delete, attributes, errors", async () => {
    for (const bin of clis) {
      const name = qname("cli");
      const created = await cli(bin, rootA, "sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=60");
      expect(created.code, created.stderr).toBe(0);
      const q = JSON.parse(created.stdout).QueueUrl as string;
      expect(q).toBe(`${url()}/${accountA}/${name}`);
      const attrs = JSON.stringify({ City: { DataType: "String", StringValue: "Any City" }, N: { DataType: "Number", StringValue: "7" } });
      const sent = await cli(
        bin,
        rootA,
        "sqs",
        "send-message",
        "--queue-url",
        q,
        "--message-body",
        "via cli",
        "--message-attributes",
        attrs,
      );
      expect(sent.code, sent.stderr).toBe(0);
      const s = JSON.parse(sent.stdout);
      const got = await cli(
        bin,
        rootA,
        "sqs",
        "receive-message",
        "--queue-url",
        q,
        "--message-attribute-names",
        "All",
        "--attribute-names",
        "All",
      );
      expect(got.code, got.stderr).toBe(0);
      const m = JSON.parse(got.stdout).Messages[0];
      expect(m).toMatchObject({ Body: "via cli", MD5OfBody: s.MD5OfMessageBody, MD5OfMessageAttributes: s.MD5OfMessageAttributes });
      expect(m.MessageAttributes.City).toEqual({ DataType: "String", StringValue: "Any City" });
      expect(m.Attributes.ApproximateReceiveCount).toBe("1");
      const del = await cli(bin, rootA, "sqs", "delete-message", "--queue-url", q, "--receipt-handle", m.ReceiptHandle);
      expect(del.code, del.stderr).toBe(0);
      const entries = JSON.stringify([
        { Id: "a", MessageBody: "A" },
        { Id: "b", MessageBody: "B", DelaySeconds: 901 },
      ]);
      const batch = await cli(bin, rootA, "sqs", "send-message-batch", "--queue-url", q, "--entries", entries);
      expect(JSON.parse(batch.stdout), batch.stderr).toMatchObject({
        Successful: [{ Id: "a" }],
        Failed: [{ Id: "b", Code: "InvalidParameterValue", SenderFault: true }],
      });
      const a = JSON.parse((await cli(bin, rootA, "sqs", "receive-message", "--queue-url", q)).stdout).Messages[0];
      expect(a.Body).toBe("A");
      const delEntries = JSON.stringify([{ Id: "x", ReceiptHandle: a.ReceiptHandle }]);
      const delBatch = await cli(bin, rootA, "sqs", "delete-message-batch", "--queue-url", q, "--entries", delEntries);
      expect(JSON.parse(delBatch.stdout).Successful, delBatch.stderr).toEqual([{ Id: "x" }]);
      const qa = await cli(
        bin,
        rootA,
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        q,
        "--attribute-names",
        "VisibilityTimeout",
        "QueueArn",
      );
      expect(JSON.parse(qa.stdout).Attributes).toEqual({ VisibilityTimeout: "60", QueueArn: `arn:aws:sqs:us-east-1:${accountA}:${name}` });
      const missing = await cli(bin, rootA, "sqs", "get-queue-url", "--queue-name", `${name}-nope`);
      expect(missing.stderr).toMatch(/AWS\.SimpleQueueService\.NonExistentQueue|QueueDoesNotExist/);
      const tooMany = await cli(bin, rootA, "sqs", "receive-message", "--queue-url", q, "--max-number-of-messages", "11");
      expect(tooMany.stderr).toMatch(/InvalidParameterValue/);
    }
  }, 60_000);
});

describe("account reset", () => {
  it("empties the account's queues: the queue is gone, a queue of the same name starts empty", async () => {
    const c = await createAccount();
    const root = accountCreds(c);
    const name = qname("reset");
    const q = (await sqs(root).send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    await sqs(root).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "before" }));
    expect((await adminFetch(`/accounts/${c.accountId}/reset`, { method: "POST" })).status).toBe(200);
    await expectAwsError(sqs(root).send(new ReceiveMessageCommand({ QueueUrl: q })), "AWS.SimpleQueueService.NonExistentQueue", 400);
    const again = (await sqs(root).send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    expect(again).toBe(q);
    expect((await sqs(root).send(new ReceiveMessageCommand({ QueueUrl: again }))).Messages).toBeUndefined();
  });
});
