/**
 * Durable Object failures fail closed (issue 22): a reset, overloaded or failing object answers the
 * request with its service's own temporary-failure error (a 5xx the SDKs retry), never an allow and
 * never a raw 500. Faults are injected through the test switch (POST /_iamlab/faults, scoped to one
 * account, only with IAMLAB_TEST_CLOCK=true).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { S3Client, ListBucketsCommand } from "@aws-sdk/client-s3";
import { accountCreds, adminFetch, type Creds, type NewAccount, url } from "../helpers/sandbox";
import { keyCreds, withAccount } from "../helpers/fixtures";

let acct: NewAccount;
let root: Creds;
let assumer: Creds; // a user allowed sts:AssumeRole (root may not assume roles)

const opts = (creds: Creds, maxAttempts = 1) => ({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts });

async function inject(durableObject: string, failures: number, accountId = acct.accountId): Promise<void> {
  const r = await adminFetch("/faults", { method: "POST", body: JSON.stringify({ durableObject, accountId, failures }) });
  expect(r.status).toBe(200);
}

/** The wire error of a rejected call: code and HTTP status. */
async function failure(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return { code: err.Code ?? err.name ?? String(e), status: err.$metadata?.httpStatusCode };
  }
  throw new Error("the call succeeded");
}

/** A fresh role session of the account's root (each new session is read from the SessionsDO on first use). */
async function roleSession(): Promise<Creds> {
  const c = (
    await new STSClient(opts(assumer)).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${acct.accountId}:role/faults`, RoleSessionName: `s${Date.now()}` }),
    )
  ).Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

beforeEach(async () => {
  ({ account: acct } = await withAccount());
  root = accountCreds(acct);
  const admin = new IAMClient(opts(root));
  await admin.send(new CreateUserCommand({ UserName: "assumer" }));
  await admin.send(
    new PutUserPolicyCommand({
      UserName: "assumer",
      PolicyName: "assume",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] }),
    }),
  );
  assumer = keyCreds((await admin.send(new CreateAccessKeyCommand({ UserName: "assumer" }))).AccessKey!);
  await admin.send(
    new CreateRoleCommand({
      RoleName: "faults",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${acct.accountId}:root` }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
});

describe("a failing SessionsDO", () => {
  it("refuses a session's call with STS's ServiceUnavailable 503 (never as the caller), and the SDK's retry then succeeds", async () => {
    const session = await roleSession();
    await inject("SESSIONS", 1);
    expect(await failure(new STSClient(opts(session)).send(new GetCallerIdentityCommand({})))).toEqual({
      code: "ServiceUnavailable",
      status: 503,
    });
    // The standard retry mode retries 5xx: two failures, then the third attempt gets through.
    const fresh = await roleSession();
    await inject("SESSIONS", 2);
    const out = await new STSClient(opts(fresh, 3)).send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toContain(":assumed-role/faults/");
    expect(out.$metadata.attempts).toBe(3);
  });

  it("issues no credentials when the session cannot be stored (AssumeRole answers ServiceUnavailable)", async () => {
    await inject("SESSIONS", 1);
    expect(await failure(roleSession())).toEqual({ code: "ServiceUnavailable", status: 503 });
  });

  it("answers in each service's words: Lambda ServiceException 500, SQS ServiceUnavailable 503, S3 ServiceUnavailable 503", async () => {
    const lambdaSession = await roleSession();
    await inject("SESSIONS", 1);
    expect(await failure(new LambdaClient(opts(lambdaSession)).send(new ListFunctionsCommand({})))).toEqual({
      code: "ServiceException",
      status: 500,
    });
    const s3Session = await roleSession();
    await inject("SESSIONS", 1);
    expect(await failure(new S3Client({ ...opts(s3Session), forcePathStyle: true }).send(new ListBucketsCommand({})))).toEqual({
      code: "ServiceUnavailable",
      status: 503,
    });
  });
});

describe("a failing ConsistencyDO", () => {
  it("fails a lagging account's request instead of serving it as if nothing lagged", async () => {
    const set = await adminFetch(`/accounts/${acct.accountId}/consistency`, {
      method: "PUT",
      body: JSON.stringify({ mode: "fixed", delayMs: 3_600_000 }),
    });
    expect(set.status).toBe(200);
    const client = new IAMClient(opts(root));
    await client.send(new CreateUserCommand({ UserName: "u1" }));
    await inject("CONSISTENCY", 1);
    expect(await failure(client.send(new GetUserCommand({ UserName: "u1" })))).toEqual({ code: "ServiceUnavailable", status: 503 });
    // The admin API's view of the simulation answers 503 as well, in JSON.
    await inject("CONSISTENCY", 1);
    const r = await adminFetch(`/accounts/${acct.accountId}/consistency`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: string }).error).toBe("ServiceUnavailable");
    expect((await client.send(new GetUserCommand({ UserName: "u1" }))).User?.UserName).toBe("u1");
  });
});

describe("a failing queue object", () => {
  it("answers SendMessage with SQS's ServiceUnavailable 503 and stores nothing; the queue works again afterwards", async () => {
    const sqs = new SQSClient(opts(root));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "faulty" }));
    await inject("SQS_QUEUES", 1);
    expect(await failure(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "lost" })))).toEqual({
      code: "ServiceUnavailable",
      status: 503,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "kept" }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["kept"]);
  });

  // (A queue's own refusals — deleted, full — still pass through as SQS's answers: test/workers/sqs-warm-path.test.ts.)
  it("the fault switch refuses an unknown binding and leaves nothing pending behind", async () => {
    const r = await adminFetch("/faults", { method: "POST", body: JSON.stringify({ durableObject: "NOPE", accountId: "x", failures: 1 }) });
    expect(r.status).toBe(400);
    const faults = (await (await adminFetch("/faults")).json()) as { durableObjects: Record<string, number> };
    expect(Object.keys(faults.durableObjects).filter((k) => k.endsWith(`|${acct.accountId}`))).toEqual([]);
  });
});
