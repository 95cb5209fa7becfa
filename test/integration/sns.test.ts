/**
 * SNS (issue 17), driven by aws-sdk v2's SNS client (@aws-sdk/client-sns is not installed), the
 * AWS CLIs and @aws-sdk/client-sqs for the queues: topics and their default policy, subscriptions,
 * Publish(Batch) with SNS's envelope, raw delivery and filter policies, SNS's errors for bad input,
 * the cross-account Publish lab (topic policy + identity policy), and the confused-deputy lab — a
 * queue policy that trusts sns.amazonaws.com without aws:SourceArn takes any account's topic; with
 * the condition, only the intended topic delivers, and the refused delivery's decision explains why.
 */
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import SNS from "aws-sdk/clients/sns";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, rawSigned, signedGet, url, type Creds } from "../helpers/sandbox";
import { awsCliAt, hasAwsCli } from "../helpers/aws-cli";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

const sns = (creds: Creds, region = "us-east-1"): SNS =>
  new SNS({
    endpoint: url(),
    region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    maxRetries: 0,
  });
const sqs = (creds: Creds) => new SQSClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });

type V2Error = { code: string; statusCode?: number; message: string };

async function snsError(p: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<V2Error> {
  const e = await p.then(
    () => {
      throw new Error("expected an error, got success");
    },
    (err: unknown) => err as V2Error,
  );
  expect({ code: e.code, status: e.statusCode }).toEqual({ code, status });
  if (typeof message === "string") expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
  return e;
}

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;
let n = 0;
const uniq = (what: string) => `t${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

async function newUser(root: Creds, name: string, policy?: object): Promise<{ creds: Creds; arn: string }> {
  const u = await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { creds: { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! }, arn: u.User!.Arn! };
}

const allow = (action: string | string[], resource: string | string[] = "*") => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: resource }],
});

async function createQueue(creds: Creds, name: string, attrs?: Record<string, string>): Promise<{ url: string; arn: string }> {
  const q = await sqs(creds).send(new CreateQueueCommand({ QueueName: name, ...(attrs ? { Attributes: attrs } : {}) }));
  const a = await sqs(creds).send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl!, AttributeNames: ["QueueArn"] }));
  return { url: q.QueueUrl!, arn: a.Attributes!.QueueArn! };
}

async function receiveAll(creds: Creds, queueUrl: string): Promise<Message[]> {
  const r = await sqs(creds).send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], AttributeNames: ["All"] }),
  );
  return r.Messages ?? [];
}

/** A queue policy letting SNS send, with an optional condition (the confused-deputy lab's two versions). */
const snsQueuePolicy = (queueArn: string, condition?: object) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "sns",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });

beforeAll(async () => {
  const a = await createAccount();
  const b = await createAccount();
  rootA = accountCreds(a);
  accountA = a.accountId;
  rootB = accountCreds(b);
  accountB = b.accountId;
});

describe("topics", () => {
  it("CreateTopic answers the ARN (again for the same name) and GetTopicAttributes AWS's default policy, owner and counts", async () => {
    const name = uniq("plain");
    const { TopicArn } = await sns(rootA).createTopic({ Name: name }).promise();
    expect(TopicArn).toBe(`arn:aws:sns:us-east-1:${accountA}:${name}`);
    expect((await sns(rootA).createTopic({ Name: name }).promise()).TopicArn).toBe(TopicArn);
    const { Attributes: a } = await sns(rootA).getTopicAttributes({ TopicArn: TopicArn! }).promise();
    expect(a).toMatchObject({
      Owner: accountA,
      TopicArn,
      DisplayName: "",
      SubscriptionsConfirmed: "0",
      SubscriptionsPending: "0",
      SubscriptionsDeleted: "0",
    });
    expect(JSON.parse(a!.EffectiveDeliveryPolicy!).http.defaultHealthyRetryPolicy.numRetries).toBe(3);
    expect(JSON.parse(a!.Policy!)).toEqual({
      Version: "2008-10-17",
      Id: "__default_policy_ID",
      Statement: [
        {
          Sid: "__default_statement_ID",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: [
            "SNS:GetTopicAttributes",
            "SNS:SetTopicAttributes",
            "SNS:AddPermission",
            "SNS:RemovePermission",
            "SNS:DeleteTopic",
            "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic",
            "SNS:Publish",
          ],
          Resource: TopicArn,
          Condition: { StringEquals: { "AWS:SourceOwner": accountA } },
        },
      ],
    });
  });

  it("ListTopics pages by 100 with NextToken; DeleteTopic removes the topic (and is idempotent)", async () => {
    const b = await createAccount();
    const root = accountCreds(b);
    const arns: string[] = [];
    for (let i = 0; i < 102; i++)
      arns.push(
        (
          await sns(root)
            .createTopic({ Name: `t${String(i).padStart(3, "0")}` })
            .promise()
        ).TopicArn!,
      );
    const p1 = await sns(root).listTopics({}).promise();
    expect(p1.Topics).toHaveLength(100);
    expect(p1.NextToken).toBeTruthy();
    const p2 = await sns(root).listTopics({ NextToken: p1.NextToken! }).promise();
    expect([...p1.Topics!, ...p2.Topics!].map((t) => t.TopicArn)).toEqual(arns);
    expect(p2.NextToken).toBeUndefined();
    await sns(root).deleteTopic({ TopicArn: arns[0]! }).promise();
    await sns(root).deleteTopic({ TopicArn: arns[0]! }).promise();
    await snsError(sns(root).getTopicAttributes({ TopicArn: arns[0]! }).promise(), "NotFound", 404, "Topic does not exist");
    // Topics are regional.
    expect((await sns(root, "eu-west-1").listTopics({}).promise()).Topics).toEqual([]);
  });

  it("SetTopicAttributes (DisplayName, Policy validated), FIFO topics, tags", async () => {
    const { TopicArn } = await sns(rootA)
      .createTopic({ Name: uniq("attrs"), Tags: [{ Key: "team", Value: "red" }] })
      .promise();
    await sns(rootA).setTopicAttributes({ TopicArn: TopicArn!, AttributeName: "DisplayName", AttributeValue: "Lab" }).promise();
    expect((await sns(rootA).getTopicAttributes({ TopicArn: TopicArn! }).promise()).Attributes!.DisplayName).toBe("Lab");
    await snsError(
      sns(rootA).setTopicAttributes({ TopicArn: TopicArn!, AttributeName: "Policy", AttributeValue: "{not json" }).promise(),
      "InvalidParameter",
      400,
      /^Invalid parameter: Policy Error/,
    );
    const sqsPolicy = JSON.stringify(allow("sqs:SendMessage", TopicArn!).Statement[0]);
    await snsError(
      sns(rootA)
        .setTopicAttributes({
          TopicArn: TopicArn!,
          AttributeName: "Policy",
          AttributeValue: JSON.stringify({ Version: "2012-10-17", Statement: [{ ...JSON.parse(sqsPolicy), Principal: "*" }] }),
        })
        .promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Policy statement action out of service scope!",
    );
    await snsError(
      sns(rootA).setTopicAttributes({ TopicArn: TopicArn!, AttributeName: "NoSuch", AttributeValue: "x" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: AttributeName",
    );
    expect((await sns(rootA).listTagsForResource({ ResourceArn: TopicArn! }).promise()).Tags).toEqual([{ Key: "team", Value: "red" }]);
    await sns(rootA)
      .tagResource({ ResourceArn: TopicArn!, Tags: [{ Key: "env", Value: "lab" }] })
      .promise();
    await sns(rootA)
      .untagResource({ ResourceArn: TopicArn!, TagKeys: ["team"] })
      .promise();
    expect((await sns(rootA).listTagsForResource({ ResourceArn: TopicArn! }).promise()).Tags).toEqual([{ Key: "env", Value: "lab" }]);
    await snsError(
      sns(rootA)
        .createTopic({ Name: TopicArn!.split(":")[5]!, Tags: [{ Key: "env", Value: "other" }] })
        .promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Tags Reason: Topic already exists with different tags",
    );

    const fifo = await sns(rootA)
      .createTopic({ Name: uniq("f.fifo"), Attributes: { FifoTopic: "true" } })
      .promise();
    expect((await sns(rootA).getTopicAttributes({ TopicArn: fifo.TopicArn! }).promise()).Attributes).toMatchObject({
      FifoTopic: "true",
      ContentBasedDeduplication: "false",
    });
    await snsError(
      sns(rootA)
        .createTopic({ Name: uniq("nofifo"), Attributes: { FifoTopic: "true" } })
        .promise(),
      "InvalidParameter",
      400,
      /Fifo Topic names must end with \.fifo/,
    );
  });

  it("bad input answers SNS's own errors, never a 500", async () => {
    await snsError(sns(rootA).createTopic({ Name: "bad name!" }).promise(), "InvalidParameter", 400, "Invalid parameter: Topic Name");
    await snsError(
      sns(rootA).getTopicAttributes({ TopicArn: "fake_topic" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: TopicArn Reason: fake_topic does not start with arn",
    );
    await snsError(
      sns(rootA)
        .publish({ TopicArn: `arn:aws:sns:us-east-1:${accountA}:nosuch`, Message: "x" })
        .promise(),
      "NotFound",
      404,
      "Topic does not exist",
    );
    await snsError(
      sns(rootA)
        .getSubscriptionAttributes({ SubscriptionArn: `arn:aws:sns:us-east-1:${accountA}:nosuch:0f0e0d0c-0b0a-0908-0706-050403020100` })
        .promise(),
      "NotFound",
      404,
      "Subscription does not exist",
    );
    // The Query form can send an attribute without a value: SNS's 400, not a 500.
    const { TopicArn: big } = await sns(rootA)
      .createTopic({ Name: uniq("big") })
      .promise();
    const noValue = await rawSigned(
      {
        Action: "Publish",
        Version: "2010-03-31",
        TopicArn: big!,
        Message: "x",
        "MessageAttributes.entry.1.Name": "a",
      },
      { service: "sns", creds: rootA },
    );
    expect(noValue.status).toBe(400);
    expect(noValue.text).toContain("<Code>InvalidParameterValue</Code>");
    // A topic policy over SNS's 30 KB.
    const huge = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "x".repeat(31 * 1024), Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: big }],
    });
    await snsError(
      sns(rootA).setTopicAttributes({ TopicArn: big!, AttributeName: "Policy", AttributeValue: huge }).promise(),
      "InvalidParameter",
      400,
      /^Invalid parameter: Policy Error/,
    );
    // An action SNS does not have: its Query error, in SNS's envelope.
    const r = await rawSigned({ Action: "NoSuchAction", Version: "2010-03-31" }, { service: "sns", creds: rootA });
    expect(r.status).toBe(400);
    expect(r.text).toContain("<Code>InvalidAction</Code>");
    expect(r.text).toContain('<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>');
  });
});

describe("subscriptions and delivery to SQS", () => {
  it("a same-account sqs subscription is confirmed at once; Publish delivers SNS's JSON envelope", async () => {
    const q = await createQueue(rootA, uniq("q"));
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: snsQueuePolicy(q.arn) } }));
    const { TopicArn } = await sns(rootA)
      .createTopic({ Name: uniq("orders") })
      .promise();
    const { SubscriptionArn } = await sns(rootA).subscribe({ TopicArn: TopicArn!, Protocol: "sqs", Endpoint: q.arn }).promise();
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    const attrs = (await sns(rootA).getSubscriptionAttributes({ SubscriptionArn: SubscriptionArn! }).promise()).Attributes!;
    expect(attrs).toMatchObject({
      Owner: accountA,
      Protocol: "sqs",
      Endpoint: q.arn,
      TopicArn,
      PendingConfirmation: "false",
      RawMessageDelivery: "false",
      SubscriptionArn,
    });
    expect((await sns(rootA).getTopicAttributes({ TopicArn: TopicArn! }).promise()).Attributes!.SubscriptionsConfirmed).toBe("1");
    const byTopic = await sns(rootA).listSubscriptionsByTopic({ TopicArn: TopicArn! }).promise();
    expect(byTopic.Subscriptions).toEqual([{ SubscriptionArn, Owner: accountA, Protocol: "sqs", Endpoint: q.arn, TopicArn }]);
    expect((await sns(rootA).listSubscriptions({}).promise()).Subscriptions!.map((s) => s.SubscriptionArn)).toContain(SubscriptionArn);

    const pub = await sns(rootA)
      .publish({
        TopicArn: TopicArn!,
        Message: "hello",
        Subject: "greeting",
        MessageAttributes: { color: { DataType: "String", StringValue: "blue" } },
      })
      .promise();
    const [m] = await receiveAll(rootA, q.url);
    const env = JSON.parse(m!.Body!) as Record<string, unknown>;
    expect(m!.Body!.startsWith('{\n  "Type" : "Notification",\n  "MessageId" : ')).toBe(true);
    expect(env).toMatchObject({
      Type: "Notification",
      MessageId: pub.MessageId,
      TopicArn,
      Subject: "greeting",
      Message: "hello",
      SignatureVersion: "1",
      UnsubscribeURL: `${url()}/?Action=Unsubscribe&SubscriptionArn=${SubscriptionArn}`,
      MessageAttributes: { color: { Type: "String", Value: "blue" } },
    });
    expect(env.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof env.Signature).toBe("string");
    expect(m!.Attributes!.SenderId).toBe("AIDAIT2UOQQY3AUEKVGXU");

    await sns(rootA).unsubscribe({ SubscriptionArn: SubscriptionArn! }).promise();
    await sns(rootA).publish({ TopicArn: TopicArn!, Message: "after" }).promise();
    expect(await receiveAll(rootA, q.url)).toEqual([]);
  });

  it("RawMessageDelivery sends the message itself with its attributes; a FilterPolicy drops what does not match", async () => {
    const q = await createQueue(rootA, uniq("raw"));
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: snsQueuePolicy(q.arn) } }));
    const { TopicArn } = await sns(rootA)
      .createTopic({ Name: uniq("raw") })
      .promise();
    const { SubscriptionArn } = await sns(rootA)
      .subscribe({ TopicArn: TopicArn!, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } })
      .promise();
    await sns(rootA)
      .setSubscriptionAttributes({
        SubscriptionArn: SubscriptionArn!,
        AttributeName: "FilterPolicy",
        AttributeValue: JSON.stringify({ color: ["blue", { prefix: "gr" }], size: [{ numeric: [">", 10] }] }),
      })
      .promise();
    const publish = (msg: string, color: string, size: string) =>
      sns(rootA)
        .publish({
          TopicArn: TopicArn!,
          Message: msg,
          MessageAttributes: { color: { DataType: "String", StringValue: color }, size: { DataType: "Number", StringValue: size } },
        })
        .promise();
    await publish("blue-big", "blue", "11");
    await publish("red-big", "red", "99");
    await publish("green-small", "green", "3");
    await publish("grey-big", "grey", "12");
    const got = await receiveAll(rootA, q.url);
    expect(got.map((m) => m.Body).sort()).toEqual(["blue-big", "grey-big"]);
    expect(got[0]!.MessageAttributes!.color!.DataType).toBe("String");
    expect((await sns(rootA).getSubscriptionAttributes({ SubscriptionArn: SubscriptionArn! }).promise()).Attributes).toMatchObject({
      RawMessageDelivery: "true",
      FilterPolicyScope: "MessageAttributes",
    });
    await snsError(
      sns(rootA)
        .setSubscriptionAttributes({ SubscriptionArn: SubscriptionArn!, AttributeName: "FilterPolicy", AttributeValue: "[1]" })
        .promise(),
      "InvalidParameter",
      400,
      /^Invalid parameter: FilterPolicy/,
    );
  });

  it("other protocols are accepted and pending; bad endpoints are refused", async () => {
    const { TopicArn } = await sns(rootA)
      .createTopic({ Name: uniq("proto") })
      .promise();
    const r = await sns(rootA).subscribe({ TopicArn: TopicArn!, Protocol: "email", Endpoint: "learner@example.com" }).promise();
    expect(r.SubscriptionArn).toBe("pending confirmation");
    const listed = await sns(rootA).listSubscriptionsByTopic({ TopicArn: TopicArn! }).promise();
    expect(listed.Subscriptions![0]!.SubscriptionArn).toBe("PendingConfirmation");
    expect((await sns(rootA).getTopicAttributes({ TopicArn: TopicArn! }).promise()).Attributes!.SubscriptionsPending).toBe("1");
    await snsError(
      sns(rootA).subscribe({ TopicArn: TopicArn!, Protocol: "sqs", Endpoint: "https://sqs.example/q" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: SQS endpoint ARN",
    );
    await snsError(
      sns(rootA).subscribe({ TopicArn: TopicArn!, Protocol: "carrier-pigeon", Endpoint: "x" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
    );
    await snsError(
      sns(rootA).subscribe({ TopicArn: TopicArn!, Protocol: "http", Endpoint: "https://example.com" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Endpoint must match the specified protocol",
    );
  });

  it("Publish checks: 256 KB with attributes, subject, MessageStructure, FIFO ids; PublishBatch answers per entry", async () => {
    const { TopicArn } = await sns(rootA)
      .createTopic({ Name: uniq("limits") })
      .promise();
    await sns(rootA)
      .publish({ TopicArn: TopicArn!, Message: "x".repeat(262144) })
      .promise();
    await snsError(
      sns(rootA)
        .publish({ TopicArn: TopicArn!, Message: "x".repeat(262145) })
        .promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Message too long",
    );
    await snsError(
      sns(rootA)
        .publish({
          TopicArn: TopicArn!,
          Message: "x".repeat(262140),
          MessageAttributes: { a: { DataType: "String", StringValue: "abcdef" } },
        })
        .promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Message too long",
    );
    await snsError(
      sns(rootA).publish({ TopicArn: TopicArn!, Message: "x", Subject: "" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Subject",
    );
    await snsError(
      sns(rootA).publish({ TopicArn: TopicArn!, Message: '{"sqs":"x"}', MessageStructure: "json" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Message Structure - No default entry in JSON message body",
    );
    await snsError(
      sns(rootA).publish({ TopicArn: TopicArn!, Message: "x", MessageDeduplicationId: "d1" }).promise(),
      "InvalidParameter",
      400,
      /MessageDeduplicationId parameter that is not valid for this topic type/,
    );
    const batch = await sns(rootA)
      .publishBatch({
        TopicArn: TopicArn!,
        PublishBatchRequestEntries: [
          { Id: "ok", Message: "fine" },
          { Id: "bad", Message: "x", Subject: "" },
        ],
      })
      .promise();
    expect(batch.Successful!.map((s) => s.Id)).toEqual(["ok"]);
    expect(batch.Failed).toEqual([{ Id: "bad", Code: "InvalidParameter", Message: "Invalid parameter: Subject", SenderFault: true }]);
    await snsError(
      sns(rootA)
        .publishBatch({
          TopicArn: TopicArn!,
          PublishBatchRequestEntries: [
            { Id: "same", Message: "a" },
            { Id: "same", Message: "b" },
          ],
        })
        .promise(),
      "BatchEntryIdsNotDistinct",
      400,
    );

    const fifo = (
      await sns(rootA)
        .createTopic({ Name: uniq("limits.fifo") })
        .promise()
    ).TopicArn!;
    await snsError(
      sns(rootA).publish({ TopicArn: fifo, Message: "x" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
    );
    const r = await sns(rootA).publish({ TopicArn: fifo, Message: "x", MessageGroupId: "g", MessageDeduplicationId: "d" }).promise();
    expect(r.SequenceNumber).toMatch(/^\d{20}$/);
  });

  it("a FIFO topic delivers to a FIFO queue in order with its group id", async () => {
    const q = await createQueue(rootA, `${uniq("fq")}.fifo`, { FifoQueue: "true" });
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: snsQueuePolicy(q.arn) } }));
    const topic = (
      await sns(rootA)
        .createTopic({ Name: `${uniq("ft")}.fifo`, Attributes: { ContentBasedDeduplication: "true" } })
        .promise()
    ).TopicArn!;
    await sns(rootA)
      .subscribe({ TopicArn: topic, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } })
      .promise();
    for (const m of ["one", "two", "two", "three"])
      await sns(rootA).publish({ TopicArn: topic, Message: m, MessageGroupId: "g1" }).promise();
    const got = await receiveAll(rootA, q.url);
    for (const m of got) expect(m.Attributes!.MessageGroupId).toBe("g1");
    // Content-based deduplication: the second "two" is the first one again.
    expect(got.map((m) => m.Body)).toEqual(["one", "two", "three"]);
  });
});

describe("cross-account Publish (topic policy + identity policy)", () => {
  it("B's user needs both A's topic policy and its own identity policy; the denial explains itself", async () => {
    const { TopicArn } = await sns(rootA)
      .createTopic({ Name: uniq("shared") })
      .promise();
    const carol = await newUser(rootB, uniq("carol"), allow("sns:Publish"));
    const dave = await newUser(rootB, uniq("dave"));

    const e1 = await snsError(sns(carol.creds).publish({ TopicArn: TopicArn!, Message: "hi" }).promise(), "AuthorizationError", 403);
    expect(e1.message).toBe(
      `User: ${carol.arn} is not authorized to perform: SNS:Publish on resource: ${TopicArn} because no resource-based policy allows the SNS:Publish action`,
    );
    // The decision behind the denial, as the lab's admin reads it.
    const raw = await rawSigned(
      { Action: "Publish", Version: "2010-03-31", TopicArn: TopicArn!, Message: "hi" },
      { service: "sns", creds: carol.creds },
    );
    expect(raw.status).toBe(403);
    expect(raw.text).toContain("<Code>AuthorizationError</Code>");
    const id = raw.headers.get("x-iamlab-decision-id")!;
    const rec = (await (await adminFetch(`/decisions/${encodeURIComponent(id)}`)).json()) as {
      reason: string;
      request: { action: string };
    };
    expect(rec).toMatchObject({ reason: "noResourceAllow", request: { action: "sns:Publish" } });

    await sns(rootA)
      .addPermission({ TopicArn: TopicArn!, Label: "b-publish", AWSAccountId: [accountB], ActionName: ["Publish"] })
      .promise();
    const policy = JSON.parse((await sns(rootA).getTopicAttributes({ TopicArn: TopicArn! }).promise()).Attributes!.Policy!);
    expect(policy.Statement[1]).toEqual({
      Sid: "b-publish",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${accountB}:root` },
      Action: "SNS:Publish",
      Resource: TopicArn,
    });
    expect((await sns(carol.creds).publish({ TopicArn: TopicArn!, Message: "hi" }).promise()).MessageId).toBeTruthy();
    // The topic policy delegates to B; B's user without an identity policy is still refused.
    const e2 = await snsError(sns(dave.creds).publish({ TopicArn: TopicArn!, Message: "hi" }).promise(), "AuthorizationError", 403);
    expect(e2.message).toMatch(/because no identity-based policy allows the SNS:Publish action$/);
    // B may publish, not subscribe.
    await snsError(sns(carol.creds).getTopicAttributes({ TopicArn: TopicArn! }).promise(), "AuthorizationError", 403);
    await sns(rootA).removePermission({ TopicArn: TopicArn!, Label: "b-publish" }).promise();
    await snsError(sns(carol.creds).publish({ TopicArn: TopicArn!, Message: "hi" }).promise(), "AuthorizationError", 403);
  });
});

describe("the confused-deputy lab: SNS → SQS authorized by the queue policy", () => {
  it("without aws:SourceArn any account's topic delivers; with it, only A's topic — the refused delivery explains why", async () => {
    // Account A: a queue whose policy trusts the SNS service, and A's own topic.
    const q = await createQueue(rootA, uniq("victim"));
    await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: snsQueuePolicy(q.arn) } }));
    const topicA = (
      await sns(rootA)
        .createTopic({ Name: uniq("a-events") })
        .promise()
    ).TopicArn!;
    await sns(rootA).subscribe({ TopicArn: topicA, Protocol: "sqs", Endpoint: q.arn }).promise();

    // Account B (the attacker) subscribes A's queue to its own topic: pending, and the confirmation
    // message already gets in (the policy trusts every topic).
    const topicB = (
      await sns(rootB)
        .createTopic({ Name: uniq("b-evil") })
        .promise()
    ).TopicArn!;
    const sub = await sns(rootB).subscribe({ TopicArn: topicB, Protocol: "sqs", Endpoint: q.arn }).promise();
    expect(sub.SubscriptionArn).toBe("pending confirmation");
    const [confirmation] = await receiveAll(rootA, q.url);
    const c = JSON.parse(confirmation!.Body!) as { Type: string; Token: string; TopicArn: string; SubscribeURL: string };
    expect(c).toMatchObject({ Type: "SubscriptionConfirmation", TopicArn: topicB });
    // Someone in A confirms it (an automated consumer that follows SubscribeURLs, say).
    const confirmed = await sns(rootA).confirmSubscription({ TopicArn: topicB, Token: c.Token }).promise();
    expect(confirmed.SubscriptionArn).toMatch(new RegExp(`^${topicB}:`));
    await snsError(
      sns(rootA).confirmSubscription({ TopicArn: topicB, Token: "nope" }).promise(),
      "InvalidParameter",
      400,
      "Invalid parameter: Token",
    );

    await sns(rootB).publish({ TopicArn: topicB, Message: "evil" }).promise();
    await sns(rootA).publish({ TopicArn: topicA, Message: "good" }).promise();
    const before = (await receiveAll(rootA, q.url)).map((m) => JSON.parse(m.Body!) as { Message: string; TopicArn: string });
    expect(before.map((m) => m.Message).sort()).toEqual(["evil", "good"]);

    // The fix: only A's topic, by aws:SourceArn.
    await sqs(rootA).send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: { Policy: snsQueuePolicy(q.arn, { ArnEquals: { "aws:SourceArn": topicA } }) },
      }),
    );
    const evil = await sns(rootB).publish({ TopicArn: topicB, Message: "evil again" }).promise();
    expect(evil.MessageId).toBeTruthy(); // the publisher learns nothing: SNS drops the delivery
    const denied = evil.$response.httpResponse.headers["x-iamlab-delivery-denied"];
    expect(denied).toBeTruthy();
    const good = await sns(rootA).publish({ TopicArn: topicA, Message: "good again" }).promise();
    expect(good.$response.httpResponse.headers["x-iamlab-delivery-denied"]).toBeUndefined();
    const after = (await receiveAll(rootA, q.url)).map((m) => JSON.parse(m.Body!) as { Message: string; TopicArn: string });
    expect(after).toEqual([expect.objectContaining({ Message: "good again", TopicArn: topicA })]);

    // The queue owner reads why: SNS (the service principal) with B's topic as aws:SourceArn matched no Allow.
    const res = await signedGet(`/_iamlab/my/decisions/${denied}`, rootA);
    expect(res.status).toBe(200);
    const view = (await res.json()) as {
      reason: string;
      request: { principal: { kind: string; serviceName: string }; action: string; resource: string; context: Record<string, string> };
    };
    expect(view).toMatchObject({
      reason: "noResourceAllow",
      request: {
        principal: { kind: "service", serviceName: "sns.amazonaws.com" },
        action: "sqs:SendMessage",
        resource: q.arn,
        context: { "aws:SourceArn": topicB, "aws:SourceAccount": accountB },
      },
    });
    // The attacker's account cannot read the queue owner's decision.
    expect((await signedGet(`/_iamlab/my/decisions/${denied}`, rootB)).status).toBe(404);
  });

  it("aws:SourceAccount works the same way; a queue without any policy takes nothing from SNS", async () => {
    const q = await createQueue(rootA, uniq("acct"));
    const topicA = (
      await sns(rootA)
        .createTopic({ Name: uniq("a2") })
        .promise()
    ).TopicArn!;
    await sns(rootA).subscribe({ TopicArn: topicA, Protocol: "sqs", Endpoint: q.arn }).promise();
    // No queue policy: a service principal has no identity policy to lean on.
    const r = await sns(rootA).publish({ TopicArn: topicA, Message: "lost" }).promise();
    expect(r.$response.httpResponse.headers["x-iamlab-delivery-denied"]).toBeTruthy();
    expect(await receiveAll(rootA, q.url)).toEqual([]);
    await sqs(rootA).send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: { Policy: snsQueuePolicy(q.arn, { StringEquals: { "aws:SourceAccount": accountA } }) },
      }),
    );
    await sns(rootA).publish({ TopicArn: topicA, Message: "kept" }).promise();
    expect((await receiveAll(rootA, q.url)).map((m) => (JSON.parse(m.Body!) as { Message: string }).Message)).toEqual(["kept"]);
  });
});

describe("subscriptions across accounts, and the account's lifecycle", () => {
  it("the queue owner subscribing to another account's topic is confirmed at once; a third account may not unsubscribe it", async () => {
    const topicB = (
      await sns(rootB)
        .createTopic({ Name: uniq("b-feed") })
        .promise()
    ).TopicArn!;
    const q = await createQueue(rootA, uniq("a-feed"));
    await sqs(rootA).send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: { Policy: snsQueuePolicy(q.arn, { ArnEquals: { "aws:SourceArn": topicB } }) },
      }),
    );
    // B's topic policy must let A subscribe.
    await snsError(sns(rootA).subscribe({ TopicArn: topicB, Protocol: "sqs", Endpoint: q.arn }).promise(), "AuthorizationError", 403);
    await sns(rootB)
      .addPermission({ TopicArn: topicB, Label: "a-subscribe", AWSAccountId: [accountA], ActionName: ["Subscribe"] })
      .promise();
    const { SubscriptionArn } = await sns(rootA).subscribe({ TopicArn: topicB, Protocol: "sqs", Endpoint: q.arn }).promise();
    expect(SubscriptionArn).toMatch(new RegExp(`^${topicB}:`));
    expect((await sns(rootA).listSubscriptions({}).promise()).Subscriptions!.map((s) => s.SubscriptionArn)).toContain(SubscriptionArn);
    await sns(rootB).publish({ TopicArn: topicB, Message: "feed item" }).promise();
    expect((await receiveAll(rootA, q.url)).map((m) => (JSON.parse(m.Body!) as { Message: string }).Message)).toEqual(["feed item"]);
    const c = await createAccount();
    await snsError(
      sns(accountCreds(c)).unsubscribe({ SubscriptionArn: SubscriptionArn! }).promise(),
      "AuthorizationError",
      403,
      `User: arn:aws:iam::${c.accountId}:root is not authorized to perform: SNS:Unsubscribe on resource: ${SubscriptionArn}`,
    );
    // The subscription's owner may.
    await sns(rootA).unsubscribe({ SubscriptionArn: SubscriptionArn! }).promise();
    expect((await sns(rootB).listSubscriptionsByTopic({ TopicArn: topicB }).promise()).Subscriptions).toEqual([]);
  });

  it("resetting an account forgets its topics and their subscriptions", async () => {
    const c = await createAccount();
    const root = accountCreds(c);
    const topic = (
      await sns(root)
        .createTopic({ Name: uniq("gone") })
        .promise()
    ).TopicArn!;
    await sns(root).subscribe({ TopicArn: topic, Protocol: "email", Endpoint: "a@example.com" }).promise();
    const res = await adminFetch(`/accounts/${c.accountId}/reset`, { method: "POST" });
    expect(res.status).toBe(200);
    expect((await sns(root).listTopics({}).promise()).Topics).toEqual([]);
    expect((await sns(root).listSubscriptions({}).promise()).Subscriptions).toEqual([]);
    await snsError(sns(root).getTopicAttributes({ TopicArn: topic }).promise(), "NotFound", 404);
  });
});

describe("AWS CLI", () => {
  const run = (bin: string, creds: Creds, ...args: string[]) => awsCliAt<Record<string, unknown>>(bin, creds, ...args);

  for (const [label, bin, present] of [
    ["v1 (aws on PATH)", "aws", hasAwsCli],
    ["v2 (/usr/bin/aws)", "/usr/bin/aws", existsSync("/usr/bin/aws")],
  ] as const) {
    it.skipIf(!present)(`${label}: create-topic, subscribe, publish, get-topic-attributes, list-topics`, async () => {
      const name = uniq("cli");
      const created = await run(bin, rootA, "sns", "create-topic", "--name", name);
      expect(created.TopicArn).toBe(`arn:aws:sns:us-east-1:${accountA}:${name}`);
      const q = await createQueue(rootA, uniq("cliq"));
      await sqs(rootA).send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: snsQueuePolicy(q.arn) } }));
      const sub = await run(
        bin,
        rootA,
        "sns",
        "subscribe",
        "--topic-arn",
        String(created.TopicArn),
        "--protocol",
        "sqs",
        "--notification-endpoint",
        q.arn,
      );
      expect(String(sub.SubscriptionArn)).toMatch(/^arn:aws:sns:/);
      const pub = await run(bin, rootA, "sns", "publish", "--topic-arn", String(created.TopicArn), "--message", "from the CLI");
      expect(pub.MessageId).toBeTruthy();
      const [m] = await receiveAll(rootA, q.url);
      expect((JSON.parse(m!.Body!) as { Message: string }).Message).toBe("from the CLI");
      const attrs = (await run(bin, rootA, "sns", "get-topic-attributes", "--topic-arn", String(created.TopicArn))).Attributes as Record<
        string,
        string
      >;
      expect(attrs.SubscriptionsConfirmed).toBe("1");
      const topics = (await run(bin, rootA, "sns", "list-topics")).Topics as { TopicArn: string }[];
      expect(topics.map((t) => t.TopicArn)).toContain(created.TopicArn);
      await expect(run(bin, rootB, "sns", "publish", "--topic-arn", String(created.TopicArn), "--message", "x")).rejects.toThrow(
        /AuthorizationError.*not authorized to perform: SNS:Publish/s,
      );
    });
  }
});
