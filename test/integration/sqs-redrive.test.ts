/**
 * SQS dead-letter queues (issue 17): with a RedrivePolicy, a message received maxReceiveCount times
 * without being deleted moves to the dead-letter queue on the next receive — same MessageId, body and
 * message attributes — and a RedrivePolicy SQS would refuse is refused. Real @aws-sdk/client-sqs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { accountCreds, createAccount, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const sqs = (creds: Creds) => new SQSClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
let root: Creds;
let account: string;
let n = 0;
const qname = (what: string) => `dlq${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

beforeAll(async () => {
  const a = await createAccount();
  root = accountCreds(a);
  account = a.accountId;
});

async function queue(name: string, attrs?: Record<string, string>): Promise<string> {
  return (await sqs(root).send(new CreateQueueCommand({ QueueName: name, ...(attrs ? { Attributes: attrs } : {}) }))).QueueUrl!;
}

describe("RedrivePolicy", () => {
  it("the message received maxReceiveCount times moves to the dead-letter queue on the next receive", async () => {
    const dlqName = qname("dead");
    const dlq = await queue(dlqName);
    const redrive = JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${account}:${dlqName}`, maxReceiveCount: 2 });
    const src = await queue(qname("src"), { RedrivePolicy: redrive });
    const sent = await sqs(root).send(
      new SendMessageCommand({
        QueueUrl: src,
        MessageBody: "poison",
        MessageAttributes: { kind: { DataType: "String", StringValue: "bad" } },
      }),
    );
    const receive = (q: string) =>
      sqs(root).send(
        new ReceiveMessageCommand({
          QueueUrl: q,
          VisibilityTimeout: 0,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
        }),
      );
    for (const count of ["1", "2"]) {
      const r = await receive(src);
      expect(r.Messages?.map((m) => [m.MessageId, m.Attributes?.ApproximateReceiveCount])).toEqual([[sent.MessageId, count]]);
    }
    // The third receive would exceed maxReceiveCount: the message is moved instead of delivered.
    expect((await receive(src)).Messages).toBeUndefined();
    const moved = await receive(dlq);
    expect(moved.Messages?.map((m) => [m.MessageId, m.Body, m.MessageAttributes?.kind?.StringValue])).toEqual([
      [sent.MessageId, "poison", "bad"],
    ]);
    const counts = await sqs(root).send(new GetQueueAttributesCommand({ QueueUrl: src, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(counts.Attributes?.ApproximateNumberOfMessages).toBe("0");
  });

  it("a deleted message is never moved; a RedrivePolicy set later applies to the messages already there", async () => {
    const dlqName = qname("dead");
    const dlq = await queue(dlqName);
    const src = await queue(qname("src"));
    await sqs(root).send(new SendMessageCommand({ QueueUrl: src, MessageBody: "early" }));
    await sqs(root).send(new ReceiveMessageCommand({ QueueUrl: src, VisibilityTimeout: 0 }));
    await sqs(root).send(
      new SetQueueAttributesCommand({
        QueueUrl: src,
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${account}:${dlqName}`, maxReceiveCount: "1" }),
        },
      }),
    );
    expect((await sqs(root).send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages).toBeUndefined();
    expect((await sqs(root).send(new ReceiveMessageCommand({ QueueUrl: dlq }))).Messages?.map((m) => m.Body)).toEqual(["early"]);
  });

  it("maxReceiveCount out of 1–1000 is InvalidParameterValue", async () => {
    const policy = JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${account}:x`, maxReceiveCount: 0 });
    await expectAwsError(
      sqs(root).send(new CreateQueueCommand({ QueueName: qname("bad"), Attributes: { RedrivePolicy: policy } })),
      "InvalidParameterValue",
      400,
      /maxReceiveCount: 0, valid values are from 1 to 1000/,
    );
  });
});
