/**
 * Eventual consistency: the data plane (authentication, authorization, AssumeRole) lags behind
 * IAM's control plane by the account's configured delay. Driven by the admin API's pause/flush,
 * never by sleeps.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  ListUsersCommand,
  UpdateAssumeRolePolicyCommand,
  ListAccessKeysCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { accountCreds, adminFetch, iam, rawSigned, sts, type Creds, type NewAccount } from "../helpers/sandbox";
import { codeOf } from "../helpers/aws-errors";
import { allowDoc } from "../helpers/documents";
import { keyCreds, withAccount } from "../helpers/fixtures";

let acct: NewAccount;
let root: ReturnType<typeof iam>;

async function setMode(body: object): Promise<void> {
  const r = await adminFetch(`/accounts/${acct.accountId}/consistency`, { method: "PUT", body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}
async function flush(): Promise<number> {
  const r = await adminFetch(`/accounts/${acct.accountId}/consistency/flush`, { method: "POST" });
  expect(r.status).toBe(200);
  return ((await r.json()) as { flushed: number }).flushed;
}
async function pending(): Promise<{ generation: number }[]> {
  const r = await adminFetch(`/accounts/${acct.accountId}/consistency`);
  return ((await r.json()) as { pendingChanges: { generation: number }[] }).pendingChanges;
}
/** "OK", or the wire error code of the rejection. */
async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "OK",
    (e: unknown) => codeOf(e) ?? String(e),
  );
}
const adminPolicy = allowDoc("*");

async function userWithKey(name: string, policyArn?: string): Promise<Creds> {
  await root.send(new CreateUserCommand({ UserName: name }));
  if (policyArn) await root.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
  const k = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return keyCreds(k);
}

beforeEach(async () => {
  ({ account: acct, iam: root } = await withAccount());
});

describe("eventual consistency (mode fixed, one hour: nothing propagates unless flushed)", () => {
  it("a new access key is rejected, then accepted after propagation; the control plane shows it at once", async () => {
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    const creds = await userWithKey("fresh");
    // control plane: visible immediately
    const keys = await root.send(new ListAccessKeysCommand({ UserName: "fresh" }));
    expect(keys.AccessKeyMetadata!.map((k) => k.AccessKeyId)).toContain(creds.accessKeyId);
    // data plane: not yet
    expect(await code(sts(creds).send(new GetCallerIdentityCommand({})))).toBe("InvalidClientTokenId");
    expect((await pending()).length).toBeGreaterThan(0);
    const r = await rawSigned({ Action: "GetCallerIdentity", Version: "2011-06-15" }, { creds: accountCreds(acct) });
    expect(Number(r.headers.get("x-iamlab-pending-changes"))).toBeGreaterThan(0);
    expect(await flush()).toBeGreaterThan(0);
    expect((await sts(creds).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${acct.accountId}:user/fresh`);
    expect(await pending()).toEqual([]);
  });

  it("a new role cannot be assumed until it propagates; a trust-policy edit lags too", async () => {
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    const trust = (principal: string) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }] });
    const admin = (await root.send(new CreatePolicyCommand({ PolicyName: "all", PolicyDocument: adminPolicy }))).Policy!.Arn!;
    const alice = await userWithKey("alice", admin);
    await flush();
    const aliceArn = `arn:aws:iam::${acct.accountId}:user/alice`;
    const role = await root.send(new CreateRoleCommand({ RoleName: "deployer", AssumeRolePolicyDocument: trust(aliceArn) }));
    const assume = () => sts(alice).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: "s1" }));
    expect(await code(assume())).toBe("AccessDenied");
    await flush();
    expect((await assume()).AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${acct.accountId}:assumed-role/deployer/s1`);
    // revoke trust: the old trust policy keeps working until propagation
    await root.send(new UpdateAssumeRolePolicyCommand({ RoleName: "deployer", PolicyDocument: trust("arn:aws:iam::111122223333:root") }));
    expect(await code(assume())).toBe("OK");
    await flush();
    expect(await code(assume())).toBe("AccessDenied");
  });

  it("a session revocation (AWSRevokeOlderSessions) and a role deletion reach the role's sessions only when they propagate", async () => {
    const admin = (await root.send(new CreatePolicyCommand({ PolicyName: "all", PolicyDocument: adminPolicy }))).Policy!.Arn!;
    const erin = await userWithKey("erin", admin);
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${acct.accountId}:user/erin` }, Action: "sts:AssumeRole" }],
    });
    const role = (await root.send(new CreateRoleCommand({ RoleName: "ops", AssumeRolePolicyDocument: trust }))).Role!;
    await root.send(new AttachRolePolicyCommand({ RoleName: "ops", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    const c = (await sts(erin).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: "s1" }))).Credentials!;
    const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const list = () => code(iam(session).send(new ListUsersCommand({})));
    expect(await list()).toBe("OK");
    // The console's "Revoke active sessions": an inline deny for tokens issued before now.
    const revoke = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { DateLessThan: { "aws:TokenIssueTime": new Date(Date.now() + 1000).toISOString() } },
        },
      ],
    });
    await root.send(new PutRolePolicyCommand({ RoleName: "ops", PolicyName: "AWSRevokeOlderSessions", PolicyDocument: revoke }));
    expect(await list()).toBe("OK");
    await flush();
    expect(await list()).toBe("AccessDenied");

    const c2 = (await sts(erin).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: "s2" }))).Credentials!;
    const s2 = { accessKeyId: c2.AccessKeyId!, secretAccessKey: c2.SecretAccessKey!, sessionToken: c2.SessionToken! };
    await root.send(new DeleteRolePolicyCommand({ RoleName: "ops", PolicyName: "AWSRevokeOlderSessions" }));
    await flush();
    expect((await sts(s2).send(new GetCallerIdentityCommand({}))).Arn).toContain(":assumed-role/ops/s2");
    await root.send(new DetachRolePolicyCommand({ RoleName: "ops", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
    await root.send(new DeleteRoleCommand({ RoleName: "ops" }));
    expect((await sts(s2).send(new GetCallerIdentityCommand({}))).Arn).toContain(":assumed-role/ops/s2");
    expect(await code(iam(s2).send(new ListUsersCommand({})))).toBe("OK");
    await flush();
    expect(await code(sts(s2).send(new GetCallerIdentityCommand({})))).toBe("InvalidClientTokenId");
  });

  it("a detached policy still allows, then denies", async () => {
    const policy = (
      await root.send(
        new CreatePolicyCommand({
          PolicyName: "list",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iam:ListUsers", Resource: "*" }],
          }),
        }),
      )
    ).Policy!.Arn!;
    const bob = await userWithKey("bob", policy);
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    expect(await code(iam(bob).send(new ListUsersCommand({})))).toBe("OK");
    await root.send(new DetachUserPolicyCommand({ UserName: "bob", PolicyArn: policy }));
    expect(await code(iam(bob).send(new ListUsersCommand({})))).toBe("OK");
    await flush();
    expect(await code(iam(bob).send(new ListUsersCommand({})))).toBe("AccessDenied");
  });

  it("a new default policy version takes effect atomically, all at once", async () => {
    const v1 = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:ListUsers", Resource: "*" }] });
    const v2 = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }] });
    const policy = (await root.send(new CreatePolicyCommand({ PolicyName: "switch", PolicyDocument: v1 }))).Policy!.Arn!;
    const carol = await userWithKey("carol", policy);
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    await root.send(new CreatePolicyVersionCommand({ PolicyArn: policy, PolicyDocument: v2, SetAsDefault: true }));
    // still exactly v1: ListUsers yes, GetUser no (never half of each)
    expect(await code(iam(carol).send(new ListUsersCommand({})))).toBe("OK");
    expect(await code(iam(carol).send(new GetUserCommand({ UserName: "carol" })))).toBe("AccessDenied");
    await flush();
    expect(await code(iam(carol).send(new ListUsersCommand({})))).toBe("AccessDenied");
    expect(await code(iam(carol).send(new GetUserCommand({ UserName: "carol" })))).toBe("OK");
  });

  it("a deleted user's key keeps working until the deletion propagates", async () => {
    const admin = (await root.send(new CreatePolicyCommand({ PolicyName: "all", PolicyDocument: adminPolicy }))).Policy!.Arn!;
    const dave = await userWithKey("dave", admin);
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    await root.send(new DeleteAccessKeyCommand({ UserName: "dave", AccessKeyId: dave.accessKeyId }));
    await root.send(new DetachUserPolicyCommand({ UserName: "dave", PolicyArn: admin }));
    await root.send(new DeleteUserCommand({ UserName: "dave" }));
    expect((await sts(dave).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${acct.accountId}:user/dave`);
    expect(await code(iam(dave).send(new ListUsersCommand({})))).toBe("OK");
    await flush();
    expect(await code(sts(dave).send(new GetCallerIdentityCommand({})))).toBe("InvalidClientTokenId");
  });

  it("pause holds every change; random mode is reproducible from its seed; mode off is immediate and sends no header", async () => {
    await setMode({ mode: "random", minMs: 1000, maxMs: 5000, seed: 42 });
    const cfg = (await (await adminFetch(`/accounts/${acct.accountId}/consistency`)).json()) as { mode: string; seed: number };
    expect(cfg).toMatchObject({ mode: "random", seed: 42 });
    const pauseRes = await adminFetch(`/accounts/${acct.accountId}/consistency/pause`, {
      method: "POST",
      body: JSON.stringify({ paused: true }),
    });
    expect(pauseRes.status).toBe(200);
    const creds = await userWithKey("held");
    expect(await code(sts(creds).send(new GetCallerIdentityCommand({})))).toBe("InvalidClientTokenId");
    await flush();
    expect(await code(sts(creds).send(new GetCallerIdentityCommand({})))).toBe("OK");

    await setMode({ mode: "off" });
    const now = await userWithKey("instant");
    expect(await code(sts(now).send(new GetCallerIdentityCommand({})))).toBe("OK");
    const r = await rawSigned({ Action: "GetCallerIdentity", Version: "2011-06-15" }, { creds: accountCreds(acct) });
    expect(r.headers.get("x-iamlab-pending-changes")).toBeNull();
  });

  it("concurrent writes each become one pending change, in order; a failing write in between blocks nothing", async () => {
    const doc = (a: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: a, Resource: "*" }] });
    const arns = await Promise.all(
      ["a", "b", "c", "d"].map(
        async (n) => (await root.send(new CreatePolicyCommand({ PolicyName: `p-${n}`, PolicyDocument: doc(`s3:Get${n}`) }))).Policy!.Arn!,
      ),
    );
    await root.send(new CreateUserCommand({ UserName: "busy" }));
    await setMode({ mode: "fixed", delayMs: 3_600_000 });
    const results = await Promise.all([
      ...arns.map((a) => code(root.send(new AttachUserPolicyCommand({ UserName: "busy", PolicyArn: a })))),
      code(root.send(new CreateUserCommand({ UserName: "busy" }))), // EntityAlreadyExists: changes nothing
    ]);
    expect(results).toEqual(["OK", "OK", "OK", "OK", "EntityAlreadyExists"]);
    const gens = (await pending()).map((p) => p.generation);
    expect(gens).toHaveLength(4);
    expect(gens).toEqual([...gens].sort((x, y) => x - y));
    expect(new Set(gens).size).toBe(4);
  });

  it("rejects an invalid configuration", async () => {
    const r = await adminFetch(`/accounts/${acct.accountId}/consistency`, {
      method: "PUT",
      body: JSON.stringify({ mode: "random", minMs: 10, maxMs: 5 }),
    });
    expect(r.status).toBe(400);
  });
});
