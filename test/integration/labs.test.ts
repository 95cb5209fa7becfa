/**
 * Labs as code (issue 21): a template with every entity kind applied to 30 learner accounts (each in
 * one D1 batch), idempotent re-apply and converge, export → apply → export round trip, reset to the
 * template and to a snapshot, grading with passing and failing checks and the engine's explanations,
 * invalid templates (field-precise errors, nothing applied), and a learner reading only their own
 * results. The applied state is checked with the real @aws-sdk/client-iam.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateUserCommand,
  DeleteRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccountPasswordPolicyCommand,
  GetInstanceProfileCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListUserTagsCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { adminFetch, iam, signedGet, sts, type Creds } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";

interface Learner {
  learner: string;
  accountId: string;
  alias: string | null;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  consoleUrl: string;
  users: Record<
    string,
    { password?: string; accessKeys?: { accessKeyId: string; secretAccessKey: string }[]; mfa?: { serialNumber: string; seed: string } }
  >;
}
interface Changes {
  created: string[];
  updated: string[];
  deleted: string[];
}
interface CheckResult {
  id: string;
  status: string;
  passed: boolean;
  points: number;
  earned: number;
  detail: string;
  hint?: string;
  decision?: {
    value: string;
    decisionId: string;
    reason: string;
    statements: { policy: string; effect: string }[];
    missingConditions?: string[];
  };
}
interface Results {
  accountId: string;
  score: number;
  maxScore: number;
  checks: CheckResult[];
}

type Template = Record<string, unknown> & { checks?: unknown[] };
const example = JSON.parse(readFileSync("labs/examples/least-privilege.json", "utf8")) as Template;

const post = (path: string, body: unknown) => adminFetch(path, { method: "POST", body: JSON.stringify(body) });
const put = (path: string, body: unknown) => adminFetch(path, { method: "PUT", body: JSON.stringify(body) });
const getJson = async <T>(path: string): Promise<T> => {
  const r = await adminFetch(path);
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as T;
};
const rootOf = (l: Learner): Creds => ({ accessKeyId: l.rootAccessKeyId, secretAccessKey: l.rootSecretAccessKey });
const exportOf = (id: string) => getJson<Template>(`/accounts/${id}/lab/export`);
const generation = async (id: string) => (await getJson<{ generation: number }>(`/accounts/${id}`)).generation;
const check = (r: Results, id: string) => r.checks.find((c) => c.id === id)!;

let labId: string;
let learners: Learner[];

beforeAll(async () => {
  const t0 = Date.now();
  const res = await post("/labs", { template: example, learners: 30, namePrefix: "student" });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const body = JSON.parse(text) as { labId: string; learners: Learner[]; elapsedMs: number };
  console.log(`labs: 30 learner accounts from the every-kind template in ${Date.now() - t0} ms (server ${body.elapsedMs} ms)`);
  labId = body.labId;
  learners = body.learners;
}, 180_000);

describe("POST /_iamlab/labs: a template applied to 30 learner accounts", () => {
  it("answers every learner's account, root keys, console URL and generated secrets", () => {
    expect(learners).toHaveLength(30);
    expect(new Set(learners.map((l) => l.accountId)).size).toBe(30);
    const l = learners[0]!;
    expect(l.learner).toBe("student-01");
    expect(l.alias).toBe(`lp-lab-${l.accountId}`);
    expect(l.consoleUrl).toMatch(new RegExp(`/console\\?account=${l.accountId}$`));
    expect(l.users.alice!.password).toMatch(/^.{20,}$/);
    expect(l.users.alice!.accessKeys).toHaveLength(1);
    expect(l.users.alice!.mfa!.serialNumber).toBe(`arn:aws:iam::${l.accountId}:mfa/alice`);
    expect(l.users.alice!.mfa!.seed).toMatch(/^[A-Z2-7]+=*$/);
    expect(l.users.bob!.accessKeys).toHaveLength(2);
  });

  it("leaves the state the template describes, as IAM reports it (first and last learner)", async () => {
    for (const l of [learners[0]!, learners[29]!]) {
      const c = iam(rootOf(l));
      const id = l.accountId;
      expect((await c.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([`lp-lab-${id}`]);
      const pp = (await c.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy!;
      expect(pp).toMatchObject({ MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, AllowUsersToChangePassword: true });
      // users
      const alice = (await c.send(new GetUserCommand({ UserName: "alice" }))).User!;
      expect(alice.Arn).toBe(`arn:aws:iam::${id}:user/alice`);
      expect((await c.send(new ListUserTagsCommand({ UserName: "alice" }))).Tags).toEqual([{ Key: "team", Value: "analytics" }]);
      expect((await c.send(new GetLoginProfileCommand({ UserName: "alice" }))).LoginProfile!.PasswordResetRequired).toBe(true);
      expect((await c.send(new ListMFADevicesCommand({ UserName: "alice" }))).MFADevices!.map((d) => d.SerialNumber)).toEqual([
        `arn:aws:iam::${id}:mfa/alice`,
      ]);
      expect((await c.send(new ListGroupsForUserCommand({ UserName: "alice" }))).Groups!.map((g) => g.GroupName)).toEqual(["Analysts"]);
      const bob = (await c.send(new GetUserCommand({ UserName: "bob" }))).User!;
      expect(bob.Path).toBe("/engineering/");
      expect(bob.PermissionsBoundary?.PermissionsBoundaryArn).toBe(`arn:aws:iam::${id}:policy/boundaries/DevBoundary`);
      expect((await c.send(new ListAccessKeysCommand({ UserName: "bob" }))).AccessKeyMetadata).toHaveLength(2);
      expect((await c.send(new ListAttachedUserPoliciesCommand({ UserName: "bob" }))).AttachedPolicies!.map((p) => p.PolicyArn)).toEqual([
        "arn:aws:iam::aws:policy/AdministratorAccess",
      ]);
      // groups
      expect(
        (await c.send(new ListAttachedGroupPoliciesCommand({ GroupName: "Analysts" }))).AttachedPolicies!.map((p) => p.PolicyName),
      ).toEqual(["ReadReports"]);
      expect((await c.send(new ListGroupPoliciesCommand({ GroupName: "Analysts" }))).PolicyNames).toEqual(["SeeOwnUser"]);
      // customer managed policy with two versions, v2 the default
      const arn = `arn:aws:iam::${id}:policy/ReadReports`;
      const pol = (await c.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!;
      expect(pol).toMatchObject({ DefaultVersionId: "v2", AttachmentCount: 1, Description: "Read the reports bucket" });
      expect((await c.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions!.map((v) => v.VersionId).sort()).toEqual([
        "v1",
        "v2",
      ]);
      const v2 = JSON.parse(
        decodeURIComponent((await c.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }))).PolicyVersion!.Document!),
      );
      expect(v2.Statement[0].Resource).toEqual([`arn:aws:s3:::reports-${id}`, `arn:aws:s3:::reports-${id}/*`]);
      // roles
      const admin = (await c.send(new GetRoleCommand({ RoleName: "Admin" }))).Role!;
      expect(admin.MaxSessionDuration).toBe(7200);
      expect(JSON.parse(decodeURIComponent(admin.AssumeRolePolicyDocument!)).Statement[0].Principal.AWS).toBe(`arn:aws:iam::${id}:root`);
      expect(admin.Tags).toEqual([{ Key: "tier", Value: "admin" }]);
      expect((await c.send(new ListAttachedRolePoliciesCommand({ RoleName: "Admin" }))).AttachedPolicies!.map((p) => p.PolicyName)).toEqual(
        ["AdministratorAccess"],
      );
      expect((await c.send(new ListRolePoliciesCommand({ RoleName: "AppServer" }))).PolicyNames).toEqual(["ReadConfig"]);
      // instance profile
      const ip = (await c.send(new GetInstanceProfileCommand({ InstanceProfileName: "AppServer" }))).InstanceProfile!;
      expect(ip.Roles!.map((r) => r.RoleName)).toEqual(["AppServer"]);
    }
  });

  it("hands out user keys that work at once", async () => {
    const l = learners[7]!;
    const k = l.users.alice!.accessKeys![0]!;
    const who = await sts({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey }).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:iam::${l.accountId}:user/alice`);
  });

  it("lists the lab's accounts", async () => {
    const lab = await getJson<{ accounts: string[] }>(`/labs/${labId}`);
    expect(lab.accounts.sort()).toEqual(learners.map((l) => l.accountId).sort());
  });
});

describe("PUT /_iamlab/accounts/:id/lab: converge", () => {
  it("re-applying the same template changes nothing (no write, same generation, same keys)", async () => {
    const l = learners[1]!;
    const before = await generation(l.accountId);
    const res = await put(`/accounts/${l.accountId}/lab`, { template: example });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { changes: Changes; users: Record<string, unknown> };
    expect(body.changes).toEqual({ created: [], updated: [], deleted: [] });
    expect(body.users).toEqual({});
    expect(await generation(l.accountId)).toBe(before);
    const keys = (await iam(rootOf(l)).send(new ListAccessKeysCommand({ UserName: "alice" }))).AccessKeyMetadata!.map((k) => k.AccessKeyId);
    expect(keys).toEqual([l.users.alice!.accessKeys![0]!.accessKeyId]);
  });

  it("a changed template touches only the entities it changes, and leaves the learner's own alone", async () => {
    const l = learners[2]!;
    const c = iam(rootOf(l));
    await c.send(new CreateUserCommand({ UserName: "carol" })); // the learner's
    const changed = structuredClone(example) as Template & { users: Record<string, unknown>[]; groups: Record<string, unknown>[] };
    changed.users = changed.users.filter((u) => u.name !== "bob");
    changed.users.push({ name: "dave", groups: ["Analysts", "Auditors"] });
    changed.groups.push({ name: "Auditors", policies: ["SecurityAudit"] });
    const res = await put(`/accounts/${l.accountId}/lab`, { template: changed });
    const body = (await res.json()) as { changes: Changes; users: Record<string, unknown> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.changes).toEqual({ created: ["group/Auditors", "user/dave"], updated: [], deleted: ["user/bob"] });
    expect(body.users).toEqual({}); // dave has no credentials
    expect((await c.send(new GetUserCommand({ UserName: "carol" }))).User!.UserName).toBe("carol");
    expect((await c.send(new ListGroupsForUserCommand({ UserName: "dave" }))).Groups!.map((g) => g.GroupName).sort()).toEqual([
      "Analysts",
      "Auditors",
    ]);
    // alice's key still works
    const k = l.users.alice!.accessKeys![0]!;
    expect(
      (await sts({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey }).send(new GetCallerIdentityCommand({}))).Arn,
    ).toContain("alice");
  });
});

describe("account settings", () => {
  it("a template's consistency mode is set after the setup, and exported", async () => {
    const fresh = await withAccount();
    const t = { account: { consistency: { mode: "fixed", delayMs: 1500 } }, users: [{ name: "u1" }] };
    const res = await put(`/accounts/${fresh.id}/lab`, { template: t });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { changes: Changes }).changes.updated).toContain("account/consistency");
    // The setup itself is visible at once (written before the mode was set).
    expect((await fresh.iam.send(new GetUserCommand({ UserName: "u1" }))).User!.UserName).toBe("u1");
    expect(await getJson<{ mode: string; delayMs: number }>(`/accounts/${fresh.id}/consistency`)).toMatchObject({
      mode: "fixed",
      delayMs: 1500,
    });
    expect((await exportOf(fresh.id)).account).toEqual({ consistency: { mode: "fixed", delayMs: 1500 } });
    await put(`/accounts/${fresh.id}/consistency`, { mode: "off" });
  });
});

describe("export: the account's state as a template", () => {
  it("round-trips: export → apply to a new account → export gives the same template", async () => {
    const l = learners[3]!;
    // The learner's own changes are part of what is exported.
    await iam(rootOf(l)).send(new CreateUserCommand({ UserName: "erin", Path: "/contractors/" }));
    const first = await exportOf(l.accountId);
    expect(JSON.stringify(first)).not.toContain(l.accountId); // the account id is written as ${account}
    expect((first.users as { name: string }[]).map((u) => u.name)).toEqual(["alice", "bob", "erin"]);
    const fresh = await withAccount();
    const res = await put(`/accounts/${fresh.id}/lab`, { template: first });
    expect(res.status, await res.text()).toBe(200);
    expect(await exportOf(fresh.id)).toEqual(first);
  });

  it("exports the example's own entities as the example wrote them", async () => {
    const t = await exportOf(learners[4]!.accountId);
    const expected = structuredClone(example) as Template & { users: Record<string, unknown>[] };
    delete expected.description;
    expect(t.users).toEqual(expected.users);
    expect(t.roles).toEqual(expected.roles);
    expect(t.policies).toEqual(expected.policies);
    expect(t.groups).toEqual(expected.groups);
    expect(t.account).toEqual(expected.account);
    expect(t.checks).toEqual(expected.checks);
  });
});

describe("POST /_iamlab/accounts/:id/lab/reset and snapshots", () => {
  it("returns the account to the template: the learner's entities go, changed ones come back, surviving credentials stay", async () => {
    const l = learners[5]!;
    const c = iam(rootOf(l));
    await c.send(new CreateUserCommand({ UserName: "mallory" }));
    await c.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await c.send(new DeleteRolePolicyCommand({ RoleName: "AppServer", PolicyName: "ReadConfig" }));
    const res = await post(`/accounts/${l.accountId}/lab/reset`, {});
    const body = (await res.json()) as { changes: Changes; users: Record<string, unknown> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.changes.deleted).toEqual(["user/mallory"]);
    expect(body.changes.updated.sort()).toEqual(["role/AppServer", "user/alice"]);
    expect(body.users).toEqual({});
    const want = await exportOf(learners[4]!.accountId);
    const got = await exportOf(l.accountId);
    expect(got).toEqual(want);
    const k = l.users.alice!.accessKeys![0]!;
    expect(
      (await sts({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey }).send(new GetCallerIdentityCommand({}))).Arn,
    ).toContain("alice");
  });

  it("resets to a saved snapshot", async () => {
    const l = learners[6]!;
    const c = iam(rootOf(l));
    await c.send(new DetachUserPolicyCommand({ UserName: "bob", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const snap = await post(`/accounts/${l.accountId}/lab/snapshot`, {});
    expect(snap.status).toBe(201);
    const saved = await exportOf(l.accountId);
    await c.send(new CreateUserCommand({ UserName: "zed" }));
    await c.send(new AttachUserPolicyCommand({ UserName: "bob", PolicyArn: "arn:aws:iam::aws:policy/IAMFullAccess" }));
    const res = await post(`/accounts/${l.accountId}/lab/reset`, { to: "snapshot" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await exportOf(l.accountId)).toEqual(saved);
    // The template stays the account's: a reset to the template brings AdministratorAccess back.
    await post(`/accounts/${l.accountId}/lab/reset`, { to: "template" });
    expect((await c.send(new ListAttachedUserPoliciesCommand({ UserName: "bob" }))).AttachedPolicies!.map((p) => p.PolicyName)).toEqual([
      "AdministratorAccess",
    ]);
  });
});

describe("grading", () => {
  it("grades the starting state: the setup's flaws fail, with hints and the engine's explanation", async () => {
    const l = learners[8]!;
    const r = await getJson<Results>(`/accounts/${l.accountId}/lab/results`);
    expect(r.accountId).toBe(l.accountId);
    expect(check(r, "alice-reads-reports")).toMatchObject({ status: "pass", earned: 2 });
    expect(check(r, "alice-reads-reports").decision!.statements[0]).toMatchObject({ policy: "ReadReports", effect: "Allow" });
    const del = check(r, "alice-cannot-delete");
    expect(del).toMatchObject({ status: "pass", passed: true });
    expect(del.decision!.value).toBe("implicitDeny");
    expect(check(r, "admin-role-needs-mfa")).toMatchObject({
      status: "fail",
      earned: 0,
      hint: expect.stringContaining("aws:MultiFactorAuthPresent"),
    });
    const direct = check(r, "no-direct-admin");
    expect(direct).toMatchObject({ status: "fail", detail: "AdministratorAccess is attached directly to user bob." });
    expect(check(r, "bob-assumes-admin-with-mfa")).toMatchObject({ status: "pass" });
    expect(check(r, "alice-in-analysts").status).toBe("pass");
    expect(check(r, "admin-role-exists").status).toBe("pass");
    // The trail is on: bob has not assumed the role yet.
    expect(check(r, "used-assume-role")).toMatchObject({ status: "fail", passed: false });
    expect(r.maxScore).toBe(2 + 2 + 3 + 3 + 1 + 1 + 1 + 1);
    expect(r.score).toBe(2 + 2 + 1 + 1 + 1);
  });

  it("a learner's fixes turn failures into passes; a wrong fix fails with the deciding statement", async () => {
    const l = learners[9]!;
    const c = iam(rootOf(l));
    await c.send(new DetachUserPolicyCommand({ UserName: "bob", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await c.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "Admin",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${l.accountId}:root` },
              Action: "sts:AssumeRole",
              Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
            },
          ],
        }),
      }),
    );
    // A wrong fix: alice gets s3:* through a user policy.
    await c.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }));
    const r = await getJson<Results>(`/accounts/${l.accountId}/lab/results`);
    expect(check(r, "no-direct-admin").status).toBe("pass");
    expect(check(r, "admin-role-needs-mfa").status).toBe("pass");
    const del = check(r, "alice-cannot-delete");
    expect(del.status).toBe("fail");
    expect(del.decision!.value).toBe("allow");
    expect(del.decision!.statements[0]!.policy).toBe("AmazonS3FullAccess");
    expect(del.detail).toContain("user alice is allowed s3:DeleteObject");
    // The trust policy trusts the account: without AdministratorAccess nothing in bob's own policies allows sts:AssumeRole any more.
    const assume = check(r, "bob-assumes-admin-with-mfa");
    expect(assume.status).toBe("fail");
    expect(assume.decision!.reason).toContain("the caller has no identity-based policy, so nothing allows sts:AssumeRole");
  });

  it("a failed `can` names what is missing", async () => {
    const l = learners[10]!;
    const template = structuredClone(example) as Template;
    template.checks = [
      { id: "bob-no-mfa", can: { principal: "bob", action: "sts:AssumeRole", resource: `arn:aws:iam::\${account}:role/Admin` } },
      { id: "alice-write", can: { principal: "user/alice", action: "s3:PutObject", resource: "arn:aws:s3:::reports-${account}/x" } },
    ];
    expect((await put(`/accounts/${l.accountId}/lab`, { template })).status).toBe(200);
    // After the apply (which converges the role back to the template's trust policy): the learner's MFA condition.
    await iam(rootOf(l)).send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "Admin",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${l.accountId}:root` },
              Action: "sts:AssumeRole",
              Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
            },
          ],
        }),
      }),
    );
    const r = await getJson<Results>(`/accounts/${l.accountId}/lab/results`);
    const mfa = check(r, "bob-no-mfa");
    expect(mfa.status).toBe("fail");
    expect(mfa.decision!.reason).toContain("resource-based policy");
    expect(mfa.decision!.missingConditions!.join(" ")).toContain("aws:MultiFactorAuthPresent");
    const write = check(r, "alice-write");
    expect(write.decision!.reason).toContain("no statement of the caller's identity-based policies");
    expect(write.decision!.reason).toContain("ReadReports");
    expect(write.decision!.decisionId).toMatch(/:/);
  });

  it("usedAction reads the account's CloudTrail: who called what, successful calls only", async () => {
    const l = learners[12]!;
    const template = structuredClone(example) as Template;
    template.checks = [
      { id: "alice-read-users", usedAction: { action: "iam:GetUser", principal: "alice" } },
      { id: "anyone-twice", usedAction: { action: "iam:GetUser", atLeast: 2 } },
      { id: "alice-created", usedAction: { action: "iam:CreateUser", principal: "alice" } },
    ];
    expect((await put(`/accounts/${l.accountId}/lab`, { template })).status).toBe(200);
    const before = await getJson<Results>(`/accounts/${l.accountId}/lab/results`);
    expect(before.checks.map((c) => c.status)).toEqual(["fail", "fail", "fail"]);
    const k = l.users.alice!.accessKeys![0]!;
    const alice = iam({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });
    await alice.send(new GetUserCommand({}));
    await iam(rootOf(l)).send(new GetUserCommand({ UserName: "alice" }));
    // alice may not create users: the denied call is recorded but does not count.
    await alice.send(new CreateUserCommand({ UserName: "mallory" })).catch(() => undefined);
    // Events are written about 50 ms behind their responses.
    const after = await waitFor(async () => {
      const r = await getJson<Results>(`/accounts/${l.accountId}/lab/results`);
      return check(r, "anyone-twice").status === "pass" ? r : undefined;
    });
    expect(check(after, "alice-read-users").status).toBe("pass");
    expect(check(after, "alice-read-users").detail).toContain("1 time");
    expect(check(after, "alice-created").status).toBe("fail");
  });

  it("GET /_iamlab/labs/:id/results grades every learner", async () => {
    const r = await getJson<{ labId: string; learners: Results[] }>(`/labs/${labId}/results`);
    expect(r.learners).toHaveLength(30);
    const fixed = r.learners.find((x) => x.accountId === learners[9]!.accountId)!;
    const untouched = r.learners.find((x) => x.accountId === learners[8]!.accountId)!;
    expect(fixed.score).toBeGreaterThan(untouched.score);
  });

  it("a learner reads their own results, signed, and no one else's", async () => {
    const a = learners[11]!;
    const b = learners[12]!;
    const mine = await signedGet("/_iamlab/my/lab/results", rootOf(a));
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as Results).accountId).toBe(a.accountId);
    // alice's own keys: the same account's results
    const k = a.users.alice!.accessKeys![0]!;
    const asAlice = await signedGet("/_iamlab/my/lab/results", { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });
    expect(((await asAlice.json()) as Results).accountId).toBe(a.accountId);
    // Another learner's results are behind the admin token: a learner's signature does not open them.
    const other = await signedGet(`/_iamlab/accounts/${b.accountId}/lab/results`, rootOf(a));
    expect(other.status).toBe(401);
    const labWide = await signedGet(`/_iamlab/labs/${labId}/results`, rootOf(a));
    expect(labWide.status).toBe(401);
    // Unsigned: refused.
    expect((await fetch(`${new URL((await adminFetch("/health")).url).origin}/_iamlab/my/lab/results`)).status).toBe(403);
  });
});

describe("invalid templates: field-precise errors, nothing applied", () => {
  const accountsNow = async () => (await getJson<{ accounts: unknown[] }>("/accounts")).accounts.length;

  it("lists every problem with its JSON pointer, and creates no account", async () => {
    const before = await accountsNow();
    const bad = structuredClone(example) as Template & { users: Record<string, unknown>[]; roles: Record<string, unknown>[] };
    bad.users[0]!.accessKeys = 3;
    bad.users[0]!.groups = ["Analysts", "Nobody"];
    bad.users[1]!.pasword = true;
    bad.roles[0]!.trustPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] };
    bad.roles[1]!.maxSessionDuration = 60;
    const res = await post("/labs", { template: bad, learners: 3 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; errors: { path: string; message: string }[] };
    expect(body.error).toBe("InvalidTemplate");
    const paths = body.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/users/0/accessKeys",
        "/users/0/groups/1",
        "/users/1/pasword",
        "/roles/0/trustPolicy",
        "/roles/1/maxSessionDuration",
      ]),
    );
    expect(body.errors.find((e) => e.path === "/roles/0/trustPolicy")!.message).toMatch(/Principal/i);
    expect(await accountsNow()).toBe(before);
  });

  it("an unresolvable policy reference fails before any account exists", async () => {
    const before = await accountsNow();
    const bad = structuredClone(example) as Template & { users: Record<string, unknown>[] };
    bad.users[1]!.policies = ["AdministratorAccess", "NoSuchPolicyAnywhere"];
    const res = await post("/labs", { template: bad, learners: 2 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors).toEqual([{ path: "/users/1/policies/1", message: expect.stringContaining("NoSuchPolicyAnywhere") }]);
    expect(await accountsNow()).toBe(before);
  });

  it("a bad template sent to an existing account changes nothing there", async () => {
    const l = learners[13]!;
    const before = await exportOf(l.accountId);
    const gen = await generation(l.accountId);
    const bad = structuredClone(example) as Template & { policies: Record<string, unknown>[] };
    bad.policies[0]!.document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] };
    const res = await put(`/accounts/${l.accountId}/lab`, { template: bad });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["/policies/0/document"]);
    expect(await exportOf(l.accountId)).toEqual(before);
    expect(await generation(l.accountId)).toBe(gen);
  });

  it("several learners need ${account} in the alias (aliases are unique)", async () => {
    const t = structuredClone(example) as Template & { account: Record<string, unknown> };
    t.account.alias = "one-alias-for-all";
    const res = await post("/labs", { template: t, learners: 2 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("/account/alias");
  });
});

describe("the JSON Schema", () => {
  it("is served at /_iamlab/labs/schema without the admin token", async () => {
    const origin = new URL((await adminFetch("/health")).url).origin;
    const res = await fetch(`${origin}/_iamlab/labs/schema`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as { title: string; properties: Record<string, unknown> };
    expect(s.title).toBe("iamlab lab template");
    expect(Object.keys(s.properties)).toEqual(
      expect.arrayContaining(["users", "roles", "groups", "policies", "instanceProfiles", "checks"]),
    );
  });
});
