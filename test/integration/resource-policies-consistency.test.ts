/**
 * SQS queue policies, KMS key policies and ECR repository policies follow the owner account's
 * eventual-consistency mode exactly as S3 bucket policies do (issue 17): after a policy change in a
 * lagging account the data plane keeps enforcing the previous policy — for the owner's users and for
 * other accounts alike — until the change propagates, while the control plane (GetQueueAttributes,
 * GetKeyPolicy, GetRepositoryPolicy) answers the new one at once. Driven by the admin API's flush
 * (mode fixed, one hour: nothing propagates unless flushed), never by sleeps.
 */
import { beforeEach, describe, expect, it } from "vitest";
import AWS from "aws-sdk";
import {
  SQSClient,
  AddPermissionCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  RemovePermissionCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, url, type Creds, type NewAccount } from "../helpers/sandbox";
import { codeOf } from "../helpers/aws-errors";
import { keyCreds } from "../helpers/fixtures";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

const HOUR = 3_600_000;
let owner: NewAccount;
let ownerRoot: Creds;
let other: NewAccount;
let otherRoot: Creds;
let n = 0;
const unique = (what: string) => `${what}-${Date.now().toString(36)}-${(n++).toString(36)}`;

const sqs = (creds: Creds) => new SQSClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
const v2 = { endpoint: url(), region: "us-east-1", maxRetries: 0 };
const kms = (creds: Creds) => new AWS.KMS({ ...v2, credentials: new AWS.Credentials(creds) });
const ecr = (creds: Creds) => new AWS.ECR({ ...v2, credentials: new AWS.Credentials(creds) });

async function setMode(account: string, body: object): Promise<void> {
  const r = await adminFetch(`/accounts/${account}/consistency`, { method: "PUT", body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}
async function flush(account: string): Promise<void> {
  const r = await adminFetch(`/accounts/${account}/consistency/flush`, { method: "POST" });
  expect(r.status).toBe(200);
}
/** "OK", or the error code of a rejected call (SDK v3 or v2). */
async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "OK",
    (e: unknown) => codeOf(e) ?? (e as { code?: string }).code ?? String(e),
  );
}

async function user(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  return keyCreds((await iam(root).send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
}

beforeEach(async () => {
  owner = await createAccount();
  ownerRoot = accountCreds(owner);
  other = await createAccount();
  otherRoot = accountCreds(other);
});

describe("SQS queue policies under eventual consistency (mode fixed, one hour)", () => {
  const grantOther = (arn: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "Other", Effect: "Allow", Principal: { AWS: other.accountId }, Action: "sqs:SendMessage", Resource: arn }],
    });
  const send = (creds: Creds, queueUrl: string) =>
    outcome(sqs(creds).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "hi" })));

  it("SetQueueAttributes(Policy): the other account is denied until the change propagates; GetQueueAttributes shows it at once", async () => {
    const name = unique("ecq");
    const { QueueUrl } = await sqs(ownerRoot).send(new CreateQueueCommand({ QueueName: name }));
    const arn = `arn:aws:sqs:us-east-1:${owner.accountId}:${name}`;
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await send(otherRoot, QueueUrl!)).toBe("AccessDenied");
    await sqs(ownerRoot).send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: grantOther(arn) } }));
    const got = await sqs(ownerRoot).send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Policy"] }));
    expect(got.Attributes?.Policy).toBe(grantOther(arn));
    expect(await send(otherRoot, QueueUrl!)).toBe("AccessDenied");
    await flush(owner.accountId);
    expect(await send(otherRoot, QueueUrl!)).toBe("OK");
  });

  it("RemovePermission: the other account keeps sending until the removal propagates, then is denied", async () => {
    const { QueueUrl } = await sqs(ownerRoot).send(new CreateQueueCommand({ QueueName: unique("ecq") }));
    await sqs(ownerRoot).send(
      new AddPermissionCommand({ QueueUrl, Label: "other", AWSAccountIds: [other.accountId], Actions: ["SendMessage"] }),
    );
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await send(otherRoot, QueueUrl!)).toBe("OK");
    await sqs(ownerRoot).send(new RemovePermissionCommand({ QueueUrl, Label: "other" }));
    const got = await sqs(ownerRoot).send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Policy"] }));
    expect(got.Attributes?.Policy).toBeUndefined();
    expect(await send(otherRoot, QueueUrl!)).toBe("OK");
    await flush(owner.accountId);
    expect(await send(otherRoot, QueueUrl!)).toBe("AccessDenied");
  });

  it("a non-policy attribute change is not held back: it moves no generation and is in force at once", async () => {
    const { QueueUrl } = await sqs(ownerRoot).send(new CreateQueueCommand({ QueueName: unique("ecq") }));
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    await sqs(ownerRoot).send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { MaximumMessageSize: "1024" } }));
    const big = "x".repeat(2000);
    await expect(sqs(ownerRoot).send(new SendMessageCommand({ QueueUrl, MessageBody: big }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
  });
});

describe("KMS key policies under eventual consistency (mode fixed, one hour)", () => {
  /** A key policy that keeps the root's administration but no longer delegates use to IAM policies. */
  const adminOnly = (account: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AdminOnly",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey"],
          Resource: "*",
        },
      ],
    });

  it("PutKeyPolicy removing the delegation: the IAM-allowed user encrypts until it propagates, then is denied", async () => {
    const keyId = (await kms(ownerRoot).createKey({}).promise()).KeyMetadata!.KeyId;
    const usr = kms(
      await user(ownerRoot, "kuser", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }),
    );
    const encrypt = () => outcome(usr.encrypt({ KeyId: keyId, Plaintext: "secret" }).promise());
    expect(await encrypt()).toBe("OK");
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    await kms(ownerRoot)
      .putKeyPolicy({ KeyId: keyId, PolicyName: "default", Policy: adminOnly(owner.accountId) })
      .promise();
    expect((await kms(ownerRoot).getKeyPolicy({ KeyId: keyId, PolicyName: "default" }).promise()).Policy).toBe(adminOnly(owner.accountId));
    expect(await encrypt()).toBe("OK");
    await flush(owner.accountId);
    expect(await encrypt()).toBe("AccessDeniedException");
  });

  it("PutKeyPolicy granting another account: denied until it propagates, then allowed", async () => {
    const keyArn = (await kms(ownerRoot).createKey({}).promise()).KeyMetadata!.Arn!;
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "Owner", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${owner.accountId}:root` }, Action: "kms:*", Resource: "*" },
        { Sid: "Other", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other.accountId}:root` }, Action: "kms:Encrypt", Resource: "*" },
      ],
    });
    const encrypt = () => outcome(kms(otherRoot).encrypt({ KeyId: keyArn, Plaintext: "secret" }).promise());
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await encrypt()).toBe("AccessDeniedException");
    await kms(ownerRoot).putKeyPolicy({ KeyId: keyArn, PolicyName: "default", Policy: policy }).promise();
    expect(await encrypt()).toBe("AccessDeniedException");
    await flush(owner.accountId);
    expect(await encrypt()).toBe("OK");
  });
});

describe("ECR repository policies under eventual consistency (mode fixed, one hour)", () => {
  const grantOther = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "Other", Effect: "Allow", Principal: { AWS: "OTHER" }, Action: ["ecr:ListImages", "ecr:BatchGetImage"] }],
  });
  const policyFor = (account: string) => grantOther.replace("OTHER", `arn:aws:iam::${account}:root`);
  const list = (creds: Creds, name: string) =>
    outcome(ecr(creds).listImages({ repositoryName: name, registryId: owner.accountId }).promise());

  it("SetRepositoryPolicy, then DeleteRepositoryPolicy: each in force for the other account only once it propagates", async () => {
    const name = unique("ecr");
    await ecr(ownerRoot).createRepository({ repositoryName: name }).promise();
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await list(otherRoot, name)).toBe("AccessDeniedException");
    await ecr(ownerRoot)
      .setRepositoryPolicy({ repositoryName: name, policyText: policyFor(other.accountId) })
      .promise();
    expect((await ecr(ownerRoot).getRepositoryPolicy({ repositoryName: name }).promise()).policyText).toBe(policyFor(other.accountId));
    expect(await list(otherRoot, name)).toBe("AccessDeniedException");
    await flush(owner.accountId);
    expect(await list(otherRoot, name)).toBe("OK");
    await ecr(ownerRoot).deleteRepositoryPolicy({ repositoryName: name }).promise();
    expect(await list(otherRoot, name)).toBe("OK");
    await flush(owner.accountId);
    expect(await list(otherRoot, name)).toBe("AccessDeniedException");
  });
});
