/**
 * STS end to end with the real @aws-sdk/client-sts (+ client-iam to set up users and roles):
 * AssumeRole trust evaluation, ExternalId, durations, chaining, session tokens (tamper, expiry via
 * the sandbox clock, deleted role), cross-account, GetSessionToken, GetFederationToken,
 * GetAccessKeyInfo, GetCallerIdentity for every kind of session.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AssumeRoleCommand,
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  GetFederationTokenCommand,
  GetSessionTokenCommand,
  type Credentials as StsCredentials,
} from "@aws-sdk/client-sts";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  ListRolesCommand,
  UpdateAssumeRolePolicyCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { accountCreds, iam, rawSigned, setClock, sts, xmlValue, type Creds, type NewAccount } from "../helpers/sandbox";
import { codeOf, expectAwsError as expectErr } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";

const credsOf = (c: StsCredentials | undefined): Creds => ({
  accessKeyId: c!.AccessKeyId!,
  secretAccessKey: c!.SecretAccessKey!,
  sessionToken: c!.SessionToken!,
});

const trust = (
  principal: Record<string, unknown>,
  condition?: Record<string, unknown>,
  actions: string[] = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: principal, Action: actions, ...(condition ? { Condition: condition } : {}) }],
  });

let A: NewAccount;
let B: NewAccount;
let rootA: Creds;
let alice: { arn: string; creds: Creds };
let bobB: { arn: string; creds: Creds };
const roles: Record<string, { arn: string; id: string }> = {};

async function newUser(iamc: IAMClient, name: string): Promise<{ arn: string; creds: Creds }> {
  const u = await iamc.send(new CreateUserCommand({ UserName: name }));
  const k = await iamc.send(new CreateAccessKeyCommand({ UserName: name }));
  return { arn: u.User!.Arn!, creds: keyCreds(k.AccessKey!) };
}

async function newRole(iamc: IAMClient, name: string, doc: string, maxSessionDuration?: number): Promise<void> {
  const r = await iamc.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: doc,
      ...(maxSessionDuration ? { MaxSessionDuration: maxSessionDuration } : {}),
    }),
  );
  roles[name] = { arn: r.Role!.Arn!, id: r.Role!.RoleId! };
}

const assume = (creds: Creds, role: string, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
  sts(creds).send(new AssumeRoleCommand({ RoleArn: roles[role]?.arn ?? role, RoleSessionName: "s1", ...extra }));

beforeAll(async () => {
  const a = await withAccount();
  const b = await withAccount();
  [A, B, rootA] = [a.account, b.account, a.creds];
  const iamA = a.iam;
  alice = await newUser(iamA, "alice");
  bobB = await newUser(b.iam, "bob");
  await newRole(iamA, "trusts-alice", trust({ AWS: alice.arn }));
  await newRole(iamA, "trusts-b", trust({ AWS: B.accountId }));
  await newRole(iamA, "trusts-bob", trust({ AWS: bobB.arn }));
  await newRole(iamA, "external", trust({ AWS: alice.arn }, { StringEquals: { "sts:ExternalId": "ext-1" } }));
  await newRole(iamA, "long", trust({ AWS: alice.arn }), 7200);
  await newRole(iamA, "chain-target", trust({ AWS: roles["trusts-alice"]!.arn }));
  await newRole(iamA, "to-delete", trust({ AWS: alice.arn }));
});

afterEach(async () => {
  await setClock(0);
});

describe("AssumeRole: who may assume", () => {
  it("a user named in the trust policy gets credentials; GetCallerIdentity shows the session", async () => {
    const out = await assume(alice.creds, "trusts-alice", { RoleSessionName: "alice-session" });
    expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials!.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials!.SessionToken!.length).toBeGreaterThan(40);
    const exp = out.Credentials!.Expiration!.getTime();
    expect(Math.abs(exp - (Date.now() + 3600_000))).toBeLessThan(10_000);
    const role = roles["trusts-alice"]!;
    expect(out.AssumedRoleUser).toEqual({
      AssumedRoleId: `${role.id}:alice-session`,
      Arn: `arn:aws:sts::${A.accountId}:assumed-role/trusts-alice/alice-session`,
    });
    expect(out.PackedPolicySize).toBeUndefined();
    const me = await sts(credsOf(out.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(out.AssumedRoleUser!.Arn);
    expect(me.UserId).toBe(out.AssumedRoleUser!.AssumedRoleId);
    expect(me.Account).toBe(A.accountId);
  });

  it("root credentials cannot assume roles", async () => {
    await expectErr(assume(rootA, "trusts-alice"), "AccessDenied", 403, "Roles may not be assumed by root accounts.");
  });

  it("an untrusted caller is denied, and a missing role looks the same", async () => {
    const iamA = iam(rootA);
    const carol = await newUser(iamA, "carol");
    const role = roles["trusts-alice"]!.arn;
    await expectErr(
      assume(carol.creds, "trusts-alice"),
      "AccessDenied",
      403,
      new RegExp(`^User: ${carol.arn} is not authorized to perform: sts:AssumeRole on resource: ${role}`),
    );
    const missing = `arn:aws:iam::${A.accountId}:role/no-such-role`;
    const denied = await expectErr(assume(carol.creds, "trusts-alice"), "AccessDenied", 403);
    const absent = await expectErr(assume(carol.creds, missing), "AccessDenied", 403);
    expect(absent.message).toBe(denied.message.replace(role, missing));
  });

  it("ExternalId: required, wrong and right", async () => {
    await expectErr(assume(alice.creds, "external"), "AccessDenied", 403);
    await expectErr(assume(alice.creds, "external", { ExternalId: "ext-2" }), "AccessDenied", 403);
    const ok = await assume(alice.creds, "external", { ExternalId: "ext-1" });
    expect(ok.AssumedRoleUser!.Arn).toContain(":assumed-role/external/s1");
  });
});

describe("AssumeRole: the role as it is now (the isolate caches role rows)", () => {
  it("a trust policy edit and a deletion apply to the very next AssumeRole", async () => {
    const iamA = iam(rootA);
    await newRole(iamA, "edited", trust({ AWS: alice.arn }));
    await assume(alice.creds, "edited"); // the role row is now cached
    await iamA.send(new UpdateAssumeRolePolicyCommand({ RoleName: "edited", PolicyDocument: trust({ AWS: bobB.arn }) }));
    await expectErr(assume(alice.creds, "edited"), "AccessDenied", 403);
    await iamA.send(new UpdateAssumeRolePolicyCommand({ RoleName: "edited", PolicyDocument: trust({ AWS: alice.arn }) }));
    await assume(alice.creds, "edited");
    await iamA.send(new DeleteRoleCommand({ RoleName: "edited" }));
    await expectErr(assume(alice.creds, "edited"), "AccessDenied", 403);
  });

  it("RoleLastUsed reaches GetRole right after AssumeRole, although GetRole's answer was cached", async () => {
    const iamA = iam(rootA);
    await newRole(iamA, "last-used", trust({ AWS: alice.arn }));
    expect((await iamA.send(new GetRoleCommand({ RoleName: "last-used" }))).Role!.RoleLastUsed).toEqual({});
    await assume(alice.creds, "last-used");
    // Written after the response (waitUntil); the cached read must be dropped then, well before
    // the read cache's own lifetime (10 s in the local sandbox) would.
    const used = await waitFor(
      async () => {
        const u = (await iamA.send(new GetRoleCommand({ RoleName: "last-used" }))).Role!.RoleLastUsed;
        return u?.LastUsedDate ? u : undefined;
      },
      { timeoutMs: 3_000, intervalMs: 20, what: "RoleLastUsed in GetRole" },
    );
    expect(used.Region).toBe("us-east-1");
    expect(Math.abs(used.LastUsedDate!.getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe("AssumeRole: validation and durations", () => {
  const raw = (creds: Creds, params: Record<string, string>) =>
    rawSigned({ Action: "AssumeRole", Version: "2011-06-15", RoleSessionName: "s1", ...params }, { creds });

  it("DurationSeconds 899 is a ValidationError, 900 works", async () => {
    const r = await raw(alice.creds, { RoleArn: roles["trusts-alice"]!.arn, DurationSeconds: "899" });
    expect(r.status).toBe(400);
    expect(xmlValue(r.text, "Code")).toBe("ValidationError");
    expect(xmlValue(r.text, "Message")).toBe(
      "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    const ok = await assume(alice.creds, "trusts-alice", { DurationSeconds: 900 });
    expect(Math.abs(ok.Credentials!.Expiration!.getTime() - (Date.now() + 900_000))).toBeLessThan(10_000);
  });

  it("up to the role's MaxSessionDuration, not beyond", async () => {
    await assume(alice.creds, "trusts-alice", { DurationSeconds: 3600 });
    await expectErr(
      assume(alice.creds, "trusts-alice", { DurationSeconds: 3601 }),
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    const long = await assume(alice.creds, "long", { DurationSeconds: 7200 });
    expect(Math.abs(long.Credentials!.Expiration!.getTime() - (Date.now() + 7200_000))).toBeLessThan(10_000);
    await expectErr(
      assume(alice.creds, "long", { DurationSeconds: 7201 }),
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    const r = await raw(alice.creds, { RoleArn: roles.long!.arn, DurationSeconds: "43201" });
    expect(xmlValue(r.text, "Message")).toBe(
      "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
  });

  it("RoleSessionName and ExternalId constraints", async () => {
    let r = await raw(alice.creds, { RoleArn: roles["trusts-alice"]!.arn, RoleSessionName: "a" });
    expect(xmlValue(r.text, "Message")).toBe(
      "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    r = await raw(alice.creds, { RoleArn: roles["trusts-alice"]!.arn, RoleSessionName: "bad name" });
    expect(xmlValue(r.text, "Message")).toBe(
      "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    r = await raw(alice.creds, { RoleArn: roles.external!.arn, ExternalId: "x" });
    expect(xmlValue(r.text, "Code")).toBe("ValidationError");
  });

  it("role chaining is capped at one hour", async () => {
    const first = await assume(alice.creds, "trusts-alice");
    const c = credsOf(first.Credentials);
    await expectErr(
      assume(c, "chain-target", { DurationSeconds: 3601 }),
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    const second = await assume(c, "chain-target", { DurationSeconds: 3600, RoleSessionName: "hop2" });
    const me = await sts(credsOf(second.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${A.accountId}:assumed-role/chain-target/hop2`);
  });

  it("session tags and a session policy report PackedPolicySize", async () => {
    const out = await assume(alice.creds, "trusts-alice", {
      Tags: [{ Key: "team", Value: "red" }],
      TransitiveTagKeys: ["team"],
      Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
      SourceIdentity: "alice-src",
    });
    expect(out.PackedPolicySize).toBeGreaterThan(0);
    expect(out.PackedPolicySize).toBeLessThanOrEqual(100);
    expect(out.SourceIdentity).toBe("alice-src");
    await expectErr(
      assume(alice.creds, "trusts-alice", {
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "A", Value: "2" },
        ],
      }),
      "InvalidParameterValue",
      400,
    );
    // the wire code (the SDK's class for it is MalformedPolicyDocumentException)
    await expectErr(assume(alice.creds, "trusts-alice", { Policy: "{not json" }), "MalformedPolicyDocument", 400);
  });
});

describe("session credentials", () => {
  it("a tampered token or a wrong secret is refused", async () => {
    const out = await assume(alice.creds, "trusts-alice");
    const c = credsOf(out.Credentials);
    const t = c.sessionToken!;
    const tampered = { ...c, sessionToken: t.slice(0, 20) + (t[20] === "A" ? "B" : "A") + t.slice(21) };
    await expectErr(
      sts(tampered).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await expectErr(sts({ ...c, secretAccessKey: "x".repeat(40) }).send(new GetCallerIdentityCommand({})), "SignatureDoesNotMatch", 403);
    // a token of another session with this key id
    const other = await assume(alice.creds, "trusts-alice");
    await expectErr(
      sts({ ...c, sessionToken: other.Credentials!.SessionToken! }).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      403,
    );
  });

  it("expires on the sandbox clock", async () => {
    const out = await assume(alice.creds, "trusts-alice", { DurationSeconds: 900 });
    const c = credsOf(out.Credentials);
    await sts(c).send(new GetCallerIdentityCommand({}));
    const offset = 901_000;
    await setClock(offset);
    const r = await rawSigned({ Action: "GetCallerIdentity", Version: "2011-06-15" }, { creds: c, signTime: Date.now() + offset });
    expect(r.status).toBe(403);
    expect(xmlValue(r.text, "Code")).toBe("ExpiredToken");
    expect(xmlValue(r.text, "Message")).toBe("The security token included in the request is expired");
  });

  it("deleting the role makes its sessions fail", async () => {
    const out = await assume(alice.creds, "to-delete");
    const c = credsOf(out.Credentials);
    await sts(c).send(new GetCallerIdentityCommand({}));
    await iam(rootA).send(new DeleteRoleCommand({ RoleName: "to-delete" }));
    await expectErr(sts(c).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  });
});

describe("cross-account AssumeRole", () => {
  it("a trust policy alone is not enough: the caller's account must allow too", async () => {
    // B's bob has no identity policy allowing sts:AssumeRole on A's role.
    await expectErr(
      assume(bobB.creds, "trusts-bob"),
      "AccessDenied",
      403,
      new RegExp(`^User: ${bobB.arn} is not authorized to perform: sts:AssumeRole on resource: ${roles["trusts-bob"]!.arn}`),
    );
    await expectErr(assume(bobB.creds, "trusts-b"), "AccessDenied", 403);
  });
});

describe("GetSessionToken", () => {
  it("user: 12 hours by default, acts as the user, cannot call IAM without MFA nor GetSessionToken again", async () => {
    const out = await sts(alice.creds).send(new GetSessionTokenCommand({}));
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - (Date.now() + 43_200_000))).toBeLessThan(10_000);
    const c = credsOf(out.Credentials);
    const me = await sts(c).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(alice.arn);
    await expectErr(
      sts(c).send(new GetSessionTokenCommand({})),
      "AccessDenied",
      403,
      "Cannot call GetSessionToken with session credentials",
    );
  });

  it("root: at most one hour; durations outside 900..129600 are refused", async () => {
    const out = await sts(rootA).send(new GetSessionTokenCommand({ DurationSeconds: 7200 }));
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - (Date.now() + 3_600_000))).toBeLessThan(10_000);
    const me = await sts(credsOf(out.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:iam::${A.accountId}:root`);
    const r = await rawSigned({ Action: "GetSessionToken", Version: "2011-06-15", DurationSeconds: "129601" }, { creds: alice.creds });
    expect(xmlValue(r.text, "Message")).toBe(
      "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
    );
  });
});

describe("GetFederationToken", () => {
  it("root: a federated user session of at most one hour", async () => {
    const out = await sts(rootA).send(new GetFederationTokenCommand({ Name: "fed-user", DurationSeconds: 43200 }));
    expect(out.FederatedUser).toEqual({
      FederatedUserId: `${A.accountId}:fed-user`,
      Arn: `arn:aws:sts::${A.accountId}:federated-user/fed-user`,
    });
    expect(out.PackedPolicySize).toBe(0);
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - (Date.now() + 3_600_000))).toBeLessThan(10_000);
    const c = credsOf(out.Credentials);
    const me = await sts(c).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Arn: out.FederatedUser!.Arn, UserId: out.FederatedUser!.FederatedUserId, Account: A.accountId });
    await expectErr(
      sts(c).send(new GetFederationTokenCommand({ Name: "again" })),
      "AccessDenied",
      403,
      "Cannot call GetFederationToken with session credentials",
    );
  });

  it("validates Name", async () => {
    const r = await rawSigned({ Action: "GetFederationToken", Version: "2011-06-15", Name: "x" }, { creds: rootA });
    expect(xmlValue(r.text, "Message")).toBe(
      "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
  });
});

describe("GetAccessKeyInfo", () => {
  it("answers the account of permanent, temporary and configured keys", async () => {
    const info = (k: string) => sts(rootA).send(new GetAccessKeyInfoCommand({ AccessKeyId: k }));
    expect((await info(alice.creds.accessKeyId)).Account).toBe(A.accountId);
    expect((await info(bobB.creds.accessKeyId)).Account).toBe(B.accountId);
    const tmp = await sts(rootA).send(new GetSessionTokenCommand({}));
    expect((await info(tmp.Credentials!.AccessKeyId!)).Account).toBe(A.accountId);
    expect((await info("AKIAIOSFODNN7EXAMPLE")).Account).toBe("123456789012");
  });
});

describe("restrictions of session credentials (enforced by the authorizer)", () => {
  it("GetSessionToken credentials without MFA cannot call IAM", async () => {
    const out = await sts(rootA).send(new GetSessionTokenCommand({}));
    await expectErr(iam(credsOf(out.Credentials)).send(new ListUsersCommand({})), "InvalidClientTokenId", 403);
  });

  it("GetSessionToken credentials may AssumeRole (chaining limits apply); federation credentials may not", async () => {
    const st = credsOf((await sts(alice.creds).send(new GetSessionTokenCommand({}))).Credentials);
    await expectErr(
      assume(st, "trusts-alice", { DurationSeconds: 3601 }),
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    const out = await assume(st, "trusts-alice", { Tags: [{ Key: "k", Value: "v" }] });
    expect(out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${A.accountId}:assumed-role/trusts-alice/s1`);
    const fed = credsOf((await sts(rootA).send(new GetFederationTokenCommand({ Name: "fed2" }))).Credentials);
    await expectErr(assume(fed, "trusts-alice"), "AccessDenied", 403);
    await expectErr(iam(fed).send(new ListUsersCommand({})), "InvalidClientTokenId", 403);
    await sts(fed).send(new GetCallerIdentityCommand({}));
  });
});

/** Tests that need IAM policy actions (PutUserPolicy / PutRolePolicy) skip until those are registered. */
async function iamPolicyActions(): Promise<boolean> {
  const e = await iam(rootA)
    .send(new PutUserPolicyCommand({ UserName: "no-such-user", PolicyName: "p", PolicyDocument: "{}" }))
    .then(
      () => null,
      (x: Error) => x,
    );
  return !(e && (codeOf(e) === "InvalidAction" || /Could not find operation/.test(e.message)));
}
const allow = (action: string | string[], resource = "*", condition?: Record<string, unknown>) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) }],
  });

describe("policies of both sides and of the session", () => {
  it("a trust policy naming the account needs an identity policy of the caller", async (t) => {
    if (!(await iamPolicyActions())) return t.skip();
    const iamA = iam(rootA);
    const dave = await newUser(iamA, "dave");
    await newRole(iamA, "trusts-account", trust({ AWS: `arn:aws:iam::${A.accountId}:root` }));
    await expectErr(assume(dave.creds, "trusts-account"), "AccessDenied", 403);
    await iamA.send(
      new PutUserPolicyCommand({
        UserName: "dave",
        PolicyName: "assume",
        PolicyDocument: allow("sts:AssumeRole", roles["trusts-account"]!.arn),
      }),
    );
    const ok = await assume(dave.creds, "trusts-account");
    expect(ok.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${A.accountId}:assumed-role/trusts-account/s1`);
  });

  it("cross-account: allowed when both the trust policy and the caller's account allow", async (t) => {
    if (!(await iamPolicyActions())) return t.skip();
    await iam(accountCreds(B)).send(
      new PutUserPolicyCommand({
        UserName: "bob",
        PolicyName: "assume-a",
        PolicyDocument: allow("sts:AssumeRole", `arn:aws:iam::${A.accountId}:role/*`),
      }),
    );
    for (const role of ["trusts-bob", "trusts-b"]) {
      const out = await assume(bobB.creds, role, { RoleSessionName: "from-b" });
      const me = await sts(credsOf(out.Credentials)).send(new GetCallerIdentityCommand({}));
      expect(me).toMatchObject({ Account: A.accountId, Arn: `arn:aws:sts::${A.accountId}:assumed-role/${role}/from-b` });
      expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA/);
      expect((await sts(rootA).send(new GetAccessKeyInfoCommand({ AccessKeyId: out.Credentials!.AccessKeyId! }))).Account).toBe(
        A.accountId,
      );
    }
  });

  it("a session policy narrows the role's permissions; session tags feed aws:PrincipalTag", async (t) => {
    if (!(await iamPolicyActions())) return t.skip();
    const iamA = iam(rootA);
    await newRole(iamA, "worker", trust({ AWS: alice.arn }));
    await iamA.send(
      new PutRolePolicyCommand({ RoleName: "worker", PolicyName: "lists", PolicyDocument: allow(["iam:ListUsers", "iam:ListRoles"]) }),
    );
    await iamA.send(
      new PutRolePolicyCommand({
        RoleName: "worker",
        PolicyName: "red-only",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Deny", Action: "iam:ListRoles", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalTag/team": "red" } } },
          ],
        }),
      }),
    );
    const full = credsOf((await assume(alice.creds, "worker", { Tags: [{ Key: "team", Value: "red" }] })).Credentials);
    await iam(full).send(new ListUsersCommand({}));
    await iam(full).send(new ListRolesCommand({}));
    const blue = credsOf((await assume(alice.creds, "worker", { Tags: [{ Key: "team", Value: "blue" }] })).Credentials);
    await iam(blue).send(new ListUsersCommand({}));
    await expectErr(iam(blue).send(new ListRolesCommand({})), "AccessDenied", 403);
    const narrowed = credsOf(
      (
        await assume(alice.creds, "worker", {
          Tags: [{ Key: "team", Value: "red" }],
          Policy: allow("iam:ListRoles"),
        })
      ).Credentials,
    );
    await iam(narrowed).send(new ListRolesCommand({}));
    await expectErr(
      iam(narrowed).send(new ListUsersCommand({})),
      "AccessDenied",
      403,
      /because no session policy allows the iam:ListUsers action/,
    );
  });

  it("revocation: AWSRevokeOlderSessions denies sessions issued before, not after", async (t) => {
    if (!(await iamPolicyActions())) return t.skip();
    const iamA = iam(rootA);
    await newRole(iamA, "revocable", trust({ AWS: alice.arn }));
    await iamA.send(new PutRolePolicyCommand({ RoleName: "revocable", PolicyName: "lists", PolicyDocument: allow("iam:ListRoles") }));
    const old = credsOf((await assume(alice.creds, "revocable")).Credentials);
    await iam(old).send(new ListRolesCommand({}));
    const cutoff = new Date(Date.now() + 2000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await iamA.send(
      new PutRolePolicyCommand({
        RoleName: "revocable",
        PolicyName: "AWSRevokeOlderSessions",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": cutoff } } }],
        }),
      }),
    );
    await expectErr(iam(old).send(new ListRolesCommand({})), "AccessDenied", 403, /with an explicit deny in an identity-based policy/);
    await setClock(5000);
    const fresh = credsOf((await assume(alice.creds, "revocable")).Credentials);
    await iam(fresh).send(new ListRolesCommand({}));
  });
});
