/**
 * Operability for the lab author (issue 25): the unauthenticated health probe, and
 * POST /_iamlab/accounts/:id/reset, which empties an account (IAM, S3, sessions) and keeps its id
 * and root keys — also for the default account, even after it was deleted.
 */
import { describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateAccountAliasCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListAccountAliasesCommand,
  ListPoliciesCommand,
  ListRolesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { adminFetch, iam, rootCreds, sts, url, vars, type Creds } from "../helpers/sandbox";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";
import { version } from "../../package.json";

const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });
const reset = (id: string) => adminFetch(`/accounts/${id}/reset`, { method: "POST" });

describe("GET /_iamlab/health", () => {
  it("answers without a token: ready, the version, D1 and the Durable Objects reachable", async () => {
    const res = await fetch(`${url()}/_iamlab/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ ready: true, version, d1: "ok", durableObjects: "ok", defaultAccount: "ok" });
  });

  it("keeps the rest of the admin API behind the token", async () => {
    expect((await fetch(`${url()}/_iamlab/accounts`)).status).toBe(401);
  });
});

/** An account with a bit of everything: a user with a key and a managed policy, a role and a session, an alias, a bucket with an object. */
async function populate(root: Creds, id: string, tag: string) {
  const c = iam(root);
  await c.send(new CreateUserCommand({ UserName: "alice" }));
  const key = keyCreds((await c.send(new CreateAccessKeyCommand({ UserName: "alice" }))).AccessKey!);
  const pol = await c.send(
    new CreatePolicyCommand({
      PolicyName: "all",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
    }),
  );
  await c.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: pol.Policy!.Arn! }));
  await c.send(
    new CreateRoleCommand({
      RoleName: "lab",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${id}:root` }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
  await c.send(
    new PutRolePolicyCommand({
      RoleName: "lab",
      PolicyName: "p",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
    }),
  );
  const assumed = await sts(key).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${id}:role/lab`, RoleSessionName: "sess" }));
  const session: Creds = {
    accessKeyId: assumed.Credentials!.AccessKeyId!,
    secretAccessKey: assumed.Credentials!.SecretAccessKey!,
    sessionToken: assumed.Credentials!.SessionToken!,
  };
  await sts(session).send(new GetCallerIdentityCommand({}));
  await c.send(new CreateAccountAliasCommand({ AccountAlias: `reset-${tag}` }));
  const bucket = `reset-${tag}`;
  await s3(root).send(new CreateBucketCommand({ Bucket: bucket }));
  await s3(root).send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "body" }));
  return { key, session, bucket };
}

async function expectEmpty(root: Creds, got: Awaited<ReturnType<typeof populate>>) {
  const c = iam(root);
  expect((await c.send(new ListUsersCommand({}))).Users).toEqual([]);
  expect((await c.send(new ListRolesCommand({}))).Roles).toEqual([]);
  expect((await c.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies).toEqual([]);
  expect((await s3(root).send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  await expectAwsError(sts(got.key).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  await expectAwsError(sts(got.session).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
}

describe("POST /_iamlab/accounts/:id/reset", () => {
  it("empties an account and keeps its id, alias and root key", async () => {
    const tag = Date.now().toString(36);
    const a = await withAccount({ alias: `made-${tag}` });
    const got = await populate(a.creds, a.id, tag);
    const res = await reset(a.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ reset: a.id });
    expect((await a.sts.send(new GetCallerIdentityCommand({}))).Account).toBe(a.id);
    await expectEmpty(a.creds, got);
    expect((await a.iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([`reset-${tag}`]); // the alias is the account's name: kept
    // The object's body is gone too, and the bucket name is free for anyone.
    const b = await withAccount();
    await s3(b.creds).send(new CreateBucketCommand({ Bucket: got.bucket }));
    await expectAwsError(s3(b.creds).send(new GetObjectCommand({ Bucket: got.bucket, Key: "k" })), "NoSuchKey", 404);
    // The account works as a new one: the same names can be created again.
    await populate(a.creds, a.id, `${tag}x`);
  });

  it("answers 404 for an account that does not exist, and needs the admin token", async () => {
    expect((await reset("999999999990")).status).toBe(404);
    expect((await fetch(`${url()}/_iamlab/accounts/999999999990/reset`, { method: "POST" })).status).toBe(401);
  });

  it("works for the default account, even after it was deleted: the configured root key works again", async () => {
    const id = vars().IAMLAB_DEFAULT_ACCOUNT_ID!;
    const tag = `d${Date.now().toString(36)}`;
    const got = await populate(rootCreds(), id, tag);
    expect((await reset(id)).status).toBe(200);
    await expectEmpty(rootCreds(), got);

    expect((await adminFetch(`/accounts/${id}`, { method: "DELETE" })).status).toBe(200);
    await expectAwsError(sts().send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    expect((await reset(id)).status).toBe(200);
    expect((await sts().send(new GetCallerIdentityCommand({}))).Account).toBe(id);
  });
});

describe("POST /_iamlab/accounts with a learner (onboarding)", () => {
  it("creates the learner with its managed policies and keys, paste-ready", async () => {
    const res = await adminFetch("/accounts", {
      method: "POST",
      body: JSON.stringify({ learner: { userName: "learner", policies: ["arn:aws:iam::aws:policy/IAMReadOnlyAccess"] } }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      accountId: string;
      learner: { userName: string; arn: string; accessKeyId: string; secretAccessKey: string };
      profile: string;
      env: string;
    };
    expect(body.learner.arn).toBe(`arn:aws:iam::${body.accountId}:user/learner`);
    expect(body.profile).toBe(
      `[iamlab-${body.accountId}]\naws_access_key_id = ${body.learner.accessKeyId}\naws_secret_access_key = ${body.learner.secretAccessKey}\n`,
    );
    expect(body.env).toContain(`export AWS_ACCESS_KEY_ID=${body.learner.accessKeyId}`);
    const creds = { accessKeyId: body.learner.accessKeyId, secretAccessKey: body.learner.secretAccessKey };
    expect((await sts(creds).send(new GetCallerIdentityCommand({}))).Arn).toBe(body.learner.arn);
    // IAMReadOnlyAccess: reads allowed, writes denied.
    expect((await iam(creds).send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toEqual(["learner"]);
    await expectAwsError(iam(creds).send(new CreateUserCommand({ UserName: "x" })), "AccessDenied", 403);
  });

  it("refuses a bad learner without leaving an account behind", async () => {
    const before = ((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length;
    for (const learner of [
      { userName: "bad name" },
      { userName: "l", policies: ["arn:aws:iam::aws:policy/NoSuchPolicyAtAll"] },
      { userName: "l", x: 1 },
    ]) {
      const res = await adminFetch("/accounts", { method: "POST", body: JSON.stringify({ learner }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("InvalidLearner");
    }
    expect(((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length).toBe(before);
  });
});
