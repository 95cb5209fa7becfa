/**
 * SQS messages live in each queue's Durable Object (SQLite storage): they survive a restart of the
 * Worker on the same persisted state, in-flight ones included; a queue URL of the earlier endpoint
 * (another port) still names the queue. Its own sandbox (a temporary persist directory).
 */
import { UNTHROTTLED_RATE_LIMITS } from "../../src/tools/local-config";
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startSandbox, LOCAL_DEFAULTS, type Sandbox } from "../../src/tools/sandbox";

const credentials = {
  accessKeyId: LOCAL_DEFAULTS.IAMLAB_ROOT_ACCESS_KEY_ID,
  secretAccessKey: LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY,
};
const sqs = (s: Sandbox) => new SQSClient({ endpoint: s.url, region: "us-east-1", credentials, maxAttempts: 1 });

let dir: string | undefined;
let sandbox: Sandbox | undefined;
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("SQS messages across restarts (persisted state)", () => {
  it("visible and in-flight messages are still there after a restart", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "iamlab-sqs-restart-"));
    sandbox = await startSandbox({ persistTo: dir, port: 0, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
    const q = (await sqs(sandbox).send(new CreateQueueCommand({ QueueName: "survivor" }))).QueueUrl!;
    await sqs(sandbox).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "first" }));
    await sqs(sandbox).send(new SendMessageCommand({ QueueUrl: q, MessageBody: "second" }));
    const got = await sqs(sandbox).send(new ReceiveMessageCommand({ QueueUrl: q, VisibilityTimeout: 600 }));
    expect(got.Messages![0]!.Body).toBe("first");

    await sandbox.stop();
    sandbox = await startSandbox({ persistTo: dir, port: 0, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
    const attrs = (await sqs(sandbox).send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["All"] }))).Attributes!;
    expect(attrs).toMatchObject({ ApproximateNumberOfMessages: "1", ApproximateNumberOfMessagesNotVisible: "1" });
    const after = await sqs(sandbox).send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10 }));
    expect(after.Messages!.map((m) => m.Body)).toEqual(["second"]);
  }, 60_000);
});
