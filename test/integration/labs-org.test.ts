/**
 * Organizations in lab templates (issue 21): a template whose learner account manages an organization
 * (two OUs, one nested, an SCP denying iam:CreateUser on Workloads/Prod, two member accounts, one with a
 * nested template) — the real Organizations, IAM and STS clients see it; the SCP denies the member's
 * call through OrganizationAccountAccessRole; re-applying writes nothing and converges drift; export
 * round-trips through a new account; a reset removes the learner's own OU; grading names a member
 * account; bad sections are refused with pointers and a failing apply leaves nothing behind.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  LeaveOrganizationCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  OrganizationsClient,
  UpdatePolicyCommand,
} from "@aws-sdk/client-organizations";
import { CreateUserCommand, GetUserCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { adminFetch, iam, sts, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const post = (path: string, body: unknown) => adminFetch(path, { method: "POST", body: JSON.stringify(body) });
const put = (path: string, body: unknown) => adminFetch(path, { method: "PUT", body: JSON.stringify(body) });
const orgs = (c: Creds) => new OrganizationsClient({ endpoint: url(), region: "us-east-1", credentials: c, maxAttempts: 1 });
const SCP = "SERVICE_CONTROL_POLICY";

const denyCreateUser = {
  Version: "2012-10-17",
  Statement: [{ Sid: "NoUsers", Effect: "Deny", Action: "iam:CreateUser", Resource: "*" }],
};
const denyLeave = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" }],
};
const TEMPLATE = {
  users: [{ name: "admin", accessKeys: 1, policies: ["AdministratorAccess"] }],
  organization: {
    units: [{ name: "Sandbox" }, { name: "Workloads", units: [{ name: "Prod" }] }],
    policies: [
      { name: "DenyCreateUser", description: "No IAM users in Prod", content: denyCreateUser, targets: ["Workloads/Prod"] },
      // A target by account name (and the root's): the member cannot leave.
      { name: "DenyLeave", content: denyLeave, targets: ["Root", "sandbox"] },
    ],
    accounts: [
      {
        name: "prod",
        parent: "Workloads/Prod",
        template: {
          users: [{ name: "dev", accessKeys: 1, policies: ["AdministratorAccess"] }],
          // A role the management account may assume: ${managementAccount} is the learner's account.
          roles: [
            {
              name: "Auditor",
              trustPolicy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::${managementAccount}:root" }, Action: "sts:AssumeRole" }],
              },
              policies: ["ReadOnlyAccess"],
            },
          ],
        },
      },
      { name: "sandbox", parent: "Sandbox" },
    ],
  },
  checks: [
    {
      id: "prod-no-users",
      points: 2,
      cannot: { account: "prod", principal: "role/OrganizationAccountAccessRole", action: "iam:CreateUser" },
    },
    { id: "sandbox-users", can: { account: "sandbox", principal: "role/OrganizationAccountAccessRole", action: "iam:CreateUser" } },
    { id: "dev-creates", can: { account: "prod", principal: "dev", action: "iam:CreateUser" }, hint: "The SCP on Prod denies it." },
    // `account` on the check: any kind of check runs in that member account (state, and its trail).
    { id: "prod-has-dev", account: "prod", exists: { user: "dev" } },
    { id: "prod-called", account: "prod", usedAction: { action: "sts:GetCallerIdentity" } },
    { id: "sandbox-listed-roles", account: "sandbox", usedAction: { action: "iam:ListRoles" } },
  ],
};

interface Member {
  name: string;
  accountId: string;
  parent: string;
  rootAccessKeyId?: string;
  rootSecretAccessKey?: string;
  consoleUrl: string;
  users: Record<string, { accessKeys?: { accessKeyId: string; secretAccessKey: string }[] }>;
}
interface Learner {
  accountId: string;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  users: Record<string, { accessKeys?: { accessKeyId: string; secretAccessKey: string }[] }>;
  members: Member[];
}
interface Changes {
  created: string[];
  updated: string[];
  deleted: string[];
}

let learner: Learner;
let mgmt: Creds;
const member = (name: string) => learner.members.find((m) => m.name === name)!;

async function exported(id: string): Promise<Record<string, unknown>> {
  const r = await adminFetch(`/accounts/${id}/lab/export`);
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

/** Credentials of OrganizationAccountAccessRole in `account`, assumed by the management account's admin user (roots cannot assume roles). */
async function accessRole(account: string): Promise<Creds> {
  const r = await sts(learner.users.admin!.accessKeys![0]!).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`, RoleSessionName: "lab" }),
  );
  const c = r.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

beforeAll(async () => {
  const r = await post("/labs", { template: TEMPLATE });
  if (r.status !== 201) throw new Error(`POST /labs: ${r.status} ${await r.text()}`);
  learner = ((await r.json()) as { learners: Learner[] }).learners[0]!;
  mgmt = { accessKeyId: learner.rootAccessKeyId, secretAccessKey: learner.rootSecretAccessKey };
}, 60_000);

describe("lab templates: organization", () => {
  it("reports each member account like the learner's own: ids, root key, console, users' keys", async () => {
    expect(learner.members.map((m) => [m.name, m.parent])).toEqual([
      ["prod", "Workloads/Prod"],
      ["sandbox", "Sandbox"],
    ]);
    for (const m of learner.members) {
      expect(m.accountId).toMatch(/^\d{12}$/);
      expect(m.consoleUrl).toContain(`account=${m.accountId}`);
      const who = await sts({ accessKeyId: m.rootAccessKeyId!, secretAccessKey: m.rootSecretAccessKey! }).send(
        new GetCallerIdentityCommand({}),
      );
      expect(who.Arn).toBe(`arn:aws:iam::${m.accountId}:root`);
    }
    const dev = member("prod").users.dev!.accessKeys![0]!;
    const u = await iam(dev).send(new GetUserCommand({}));
    expect(u.User!.Arn).toBe(`arn:aws:iam::${member("prod").accountId}:user/dev`);
  });

  it("the real Organizations client sees the organization, OUs, members and the SCP on Prod", async () => {
    const o = orgs(mgmt);
    const org = (await o.send(new DescribeOrganizationCommand({}))).Organization!;
    expect(org.MasterAccountId).toBe(learner.accountId);
    expect(org.FeatureSet).toBe("ALL");
    const root = (await o.send(new ListRootsCommand({}))).Roots![0]!;
    expect(root.PolicyTypes).toEqual([{ Type: SCP, Status: "ENABLED" }]);
    const top = (await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root.Id! }))).OrganizationalUnits!;
    expect(top.map((u) => u.Name).sort()).toEqual(["Sandbox", "Workloads"]);
    const workloads = top.find((u) => u.Name === "Workloads")!;
    const prod = (await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: workloads.Id! }))).OrganizationalUnits!;
    expect(prod.map((u) => u.Name)).toEqual(["Prod"]);
    const attached = await o.send(new ListPoliciesForTargetCommand({ TargetId: prod[0]!.Id!, Filter: SCP }));
    expect(attached.Policies!.map((p) => p.Name).sort()).toEqual(["DenyCreateUser", "FullAWSAccess"]);
    const accounts = (await o.send(new ListAccountsCommand({}))).Accounts!;
    expect(accounts.map((a) => a.Name).sort()).toEqual([learner.accountId, "prod", "sandbox"].sort());
  });

  it("a member's role trusts the learner's account through ${managementAccount}", async () => {
    const prod = member("prod").accountId;
    const r = await sts(learner.users.admin!.accessKeys![0]!).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${prod}:role/Auditor`, RoleSessionName: "audit" }),
    );
    expect(r.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${prod}:assumed-role/Auditor/audit`);
  });

  it("the SCP denies iam:CreateUser in the Prod member through OrganizationAccountAccessRole; Sandbox's may", async () => {
    const prod = member("prod").accountId;
    const denied = await expectAwsError(iam(await accessRole(prod)).send(new CreateUserCommand({ UserName: "x" })), "AccessDenied", 403);
    expect(denied.message).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${prod}:assumed-role/OrganizationAccountAccessRole/lab is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${prod}:user/x with an explicit deny in a service control policy: arn:aws:organizations::${learner.accountId}:policy/o-[a-z0-9]+/service_control_policy/p-[a-z0-9]{8}$`,
      ),
    );
    const made = await iam(await accessRole(member("sandbox").accountId)).send(new CreateUserCommand({ UserName: "learner-made" }));
    expect(made.User!.UserName).toBe("learner-made");
    // DenyLeave is attached to the sandbox account by its name.
    const left = await expectAwsError(
      orgs(await accessRole(member("sandbox").accountId)).send(new LeaveOrganizationCommand({})),
      "AccessDeniedException",
      403,
    );
    expect(left.message).toContain("with an explicit deny in a service control policy");
  });

  it("grading names a member account; the SCP that decides is in the explanation", async () => {
    const r = await adminFetch(`/accounts/${learner.accountId}/lab/results`);
    expect(r.status).toBe(200);
    const res = (await r.json()) as {
      score: number;
      maxScore: number;
      checks: { id: string; status: string; detail: string; hint?: string; decision?: { statements: { type: string; sid?: string }[] } }[];
    };
    const byId = Object.fromEntries(res.checks.map((c) => [c.id, c]));
    expect(byId["prod-no-users"]!.status).toBe("pass");
    expect(byId["prod-no-users"]!.detail).toContain(`of member account prod (${member("prod").accountId})`);
    expect(byId["prod-no-users"]!.detail).toContain("service control policy");
    expect(byId["prod-no-users"]!.decision!.statements).toContainEqual(expect.objectContaining({ type: "scp", sid: "NoUsers" }));
    expect(byId["sandbox-users"]!.status).toBe("pass");
    expect(byId["dev-creates"]!.status).toBe("fail");
    expect(byId["dev-creates"]!.detail).toMatch(/explicit Deny in the service control policy arn:aws:organizations::\d{12}:policy\//);
    expect(byId["dev-creates"]!.hint).toBe("The SCP on Prod denies it.");
    expect(byId["prod-has-dev"]!.status).toBe("pass");
    // The member roots' GetCallerIdentity (the test above) is in prod's own trail; nobody listed sandbox's roles.
    expect(byId["prod-called"]!.status).toBe("pass");
    expect(byId["sandbox-listed-roles"]!.status).toBe("fail");
    expect([res.score, res.maxScore]).toEqual([5, 7]);
  });

  it("re-applying the same template writes nothing", async () => {
    const r = await put(`/accounts/${learner.accountId}/lab`, { template: TEMPLATE });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { changes: Changes; members: Member[] };
    expect(body.changes).toEqual({ created: [], updated: [], deleted: [] });
    // Existing members keep their credentials: no new root key.
    expect(body.members.map((m) => [m.name, m.accountId, m.rootAccessKeyId])).toEqual([
      ["prod", member("prod").accountId, undefined],
      ["sandbox", member("sandbox").accountId, undefined],
    ]);
  });

  it("re-applying converges drift: content restored, a stray attachment detached; a learner's OU stays", async () => {
    const o = orgs(mgmt);
    const policy = (await o.send(new ListPoliciesCommand({ Filter: SCP }))).Policies!.find((p) => p.Name === "DenyCreateUser")!;
    const s3Deny = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] };
    await o.send(new UpdatePolicyCommand({ PolicyId: policy.Id!, Content: JSON.stringify(s3Deny) }));
    const root = (await o.send(new ListRootsCommand({}))).Roots![0]!;
    const sandbox = (await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root.Id! }))).OrganizationalUnits!.find(
      (u) => u.Name === "Sandbox",
    )!;
    await o.send(new AttachPolicyCommand({ PolicyId: policy.Id!, TargetId: sandbox.Id! }));
    await o.send(new CreateOrganizationalUnitCommand({ ParentId: root.Id!, Name: "Mine" }));
    await o.send(new CreateAccountCommand({ AccountName: "extra", Email: "extra@example.com" }));

    const r = await put(`/accounts/${learner.accountId}/lab`, { template: TEMPLATE });
    expect(r.status).toBe(200);
    const { changes } = (await r.json()) as { changes: Changes };
    expect(changes.updated).toContain("policy/DenyCreateUser");
    expect(changes.deleted).toEqual(["attachment/DenyCreateUser/Sandbox"]);
    const d = await o.send(new DescribePolicyCommand({ PolicyId: policy.Id! }));
    expect(JSON.parse(d.Policy!.Content!)).toEqual(denyCreateUser);
    const onSandbox = await o.send(new ListPoliciesForTargetCommand({ TargetId: sandbox.Id!, Filter: SCP }));
    expect(onSandbox.Policies!.map((p) => p.Name)).toEqual(["FullAWSAccess"]);
    const top = (await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root.Id! }))).OrganizationalUnits!;
    expect(top.map((u) => u.Name).sort()).toEqual(["Mine", "Sandbox", "Workloads"]);
    const names = (await o.send(new ListAccountsCommand({}))).Accounts!.map((a) => a.Name);
    expect(names).toContain("extra");
  });

  it("export round-trips: export → apply to a new account → export gives the same organization section", async () => {
    const first = await exported(learner.accountId);
    const section = first.organization as Record<string, unknown>;
    // The learner's own OU and user are part of the state now: drop them from the comparison's source.
    expect((section.units as { name: string }[]).map((u) => u.name)).toEqual(["Mine", "Sandbox", "Workloads"]);
    expect(section.policies).toEqual(TEMPLATE.organization.policies);
    const accounts = section.accounts as { name: string; parent?: string; template?: { users?: { name: string }[] } }[];
    expect(accounts.map((a) => [a.name, a.parent])).toEqual([
      ["extra", undefined],
      ["prod", "Workloads/Prod"],
      ["sandbox", "Sandbox"],
    ]);
    expect(accounts[1]!.template!.users!.map((u) => u.name)).toEqual(["dev"]);
    expect(accounts[2]!.template!.users!.map((u) => u.name)).toEqual(["learner-made"]);
    const { checks: _checks, ...template } = first;
    const r = await post("/labs", { template });
    expect(r.status).toBe(201);
    const copy = ((await r.json()) as { learners: Learner[] }).learners[0]!;
    const again = await exported(copy.accountId);
    expect(again.organization).toEqual(first.organization);
    // The whole file, not only the section: creating the organization added nothing to the IAM part.
    expect(again).toEqual(template);
  }, 60_000);

  it("a reset returns to the template: the learner's OU and the member's extra user go", async () => {
    const r = await post(`/accounts/${learner.accountId}/lab/reset`, {});
    expect(r.status).toBe(200);
    const { changes } = (await r.json()) as { changes: Changes };
    expect(changes.deleted).toEqual(expect.arrayContaining(["ou/Mine", "account/extra", "account/sandbox/user/learner-made"]));
    const o = orgs(mgmt);
    const root = (await o.send(new ListRootsCommand({}))).Roots![0]!;
    const top = (await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root.Id! }))).OrganizationalUnits!;
    expect(top.map((u) => u.Name).sort()).toEqual(["Sandbox", "Workloads"]);
    const names = (await o.send(new ListAccountsCommand({}))).Accounts!.map((a) => a.Name).sort();
    expect(names).toEqual([learner.accountId, "prod", "sandbox"].sort());
    const sandbox = (await exported(learner.accountId)).organization as { accounts: { name: string; template?: unknown }[] };
    expect(sandbox.accounts.find((a) => a.name === "sandbox")!.template).toBeUndefined();
    expect((await exported(learner.accountId)).organization).toEqual(TEMPLATE.organization);
  }, 60_000);
});

describe("lab templates: organization snapshots", () => {
  it("a snapshot holds the organization; a reset to it removes what came after", async () => {
    const r = await post("/labs", { template: TEMPLATE });
    const l = ((await r.json()) as { learners: Learner[] }).learners[0]!;
    const root: Creds = { accessKeyId: l.rootAccessKeyId, secretAccessKey: l.rootSecretAccessKey };
    const o = orgs(root);
    const rootId = (await o.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    await o.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Kept" }));
    const snap = await post(`/accounts/${l.accountId}/lab/snapshot`, {});
    expect(snap.status).toBe(201);
    const { snapshot } = (await snap.json()) as { snapshot: { organization: { units: { name: string }[] } } };
    expect(snapshot.organization.units.map((u) => u.name)).toEqual(["Kept", "Sandbox", "Workloads"]);
    await o.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Later" }));
    const reset = await post(`/accounts/${l.accountId}/lab/reset`, { to: "snapshot" });
    expect(reset.status).toBe(200);
    const top = (await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }))).OrganizationalUnits!;
    expect(top.map((u) => u.Name).sort()).toEqual(["Kept", "Sandbox", "Workloads"]);
    // The member is reachable as before (the access role survives the member's reset).
    const prod = l.members.find((m) => m.name === "prod")!.accountId;
    await sts(l.users.admin!.accessKeys![0]!).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${prod}:role/OrganizationAccountAccessRole`, RoleSessionName: "after-reset" }),
    );
  }, 60_000);
});

describe("lab templates: organization for several learners", () => {
  it("each learner gets an organization and member accounts of its own", async () => {
    const r = await post("/labs", { template: TEMPLATE, learners: 3 });
    expect(r.status).toBe(201);
    const list = ((await r.json()) as { learners: Learner[] }).learners;
    const ids = list.flatMap((l) => [l.accountId, ...l.members.map((m) => m.accountId)]);
    expect(new Set(ids).size).toBe(9);
    const orgIds = new Set<string>();
    for (const l of list) {
      const o = orgs({ accessKeyId: l.rootAccessKeyId, secretAccessKey: l.rootSecretAccessKey });
      const org = (await o.send(new DescribeOrganizationCommand({}))).Organization!;
      orgIds.add(org.Id!);
      const accounts = (await o.send(new ListAccountsCommand({}))).Accounts!;
      expect(accounts.map((a) => a.Id).sort()).toEqual([l.accountId, ...l.members.map((m) => m.accountId)].sort());
    }
    expect(orgIds.size).toBe(3);
  }, 120_000);

  it("with several learners, members' aliases need ${account} (checked before any account is made)", async () => {
    const t = { organization: { accounts: [{ name: "m", template: { account: { alias: "same-alias" } } }] } };
    const r = await post("/labs", { template: t, learners: 2 });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(["/organization/accounts/0/template/account/alias"]);
  });
});

describe("lab templates: organization errors", () => {
  it("an invalid section is refused with pointers; nothing is written", async () => {
    const before = ((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length;
    const bad = {
      organization: {
        units: [{ name: "Workloads" }],
        policies: [
          {
            name: "Bad",
            content: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] },
            targets: ["Workloads/Prod"],
          },
          { name: "Tags", type: "TAG_POLICY", content: { tags: {} } },
        ],
        accounts: [{ name: "dev", parent: "Nowhere", template: { users: [{ name: "bad name!" }] } }],
      },
      checks: [{ can: { account: "nobody", principal: "x", action: "iam:GetUser" } }, { account: "nobody", exists: { user: "x" } }],
    };
    const r = await post("/labs", { template: bad });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: string; errors: { path: string; message: string }[] };
    expect(body.error).toBe("InvalidTemplate");
    const paths = body.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/organization/policies/0/content",
        "/organization/policies/0/targets/0",
        "/organization/policies/1/type",
        "/organization/accounts/0/parent",
        "/organization/accounts/0/template/users/0/name",
        "/checks/0/can/account",
        "/checks/1/account",
      ]),
    );
    expect(body.errors.find((e) => e.path === "/organization/policies/0/content")!.message).toMatch(/^MalformedPolicyDocumentException/);
    const after = ((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length;
    expect(after).toBe(before);
  });

  it("a section failing while applied leaves no organization and no member accounts; fixed, it applies", async () => {
    // The second member's alias is another account's: found only when that member's template is applied.
    const taken = `taken-${Date.now()}`;
    const holder = await post("/labs", { template: { account: { alias: taken } } });
    expect(holder.status).toBe(201);
    const target = ((await (await post("/labs", { template: {} })).json()) as { learners: Learner[] }).learners[0]!;
    const root: Creds = { accessKeyId: target.rootAccessKeyId, secretAccessKey: target.rootSecretAccessKey };
    const count = async () => ((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length;
    const before = await count();
    const failing = {
      organization: {
        ...TEMPLATE.organization,
        accounts: [TEMPLATE.organization.accounts[0]!, { name: "sandbox", parent: "Sandbox", template: { account: { alias: taken } } }],
      },
    };
    const r = await put(`/accounts/${target.accountId}/lab`, { template: failing });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors[0]!.path).toBe("/organization/accounts/1/template/account/alias");
    expect(body.errors[0]!.message).toContain("already in use");
    await expectAwsError(orgs(root).send(new DescribeOrganizationCommand({})), "AWSOrganizationsNotInUseException", 400);
    expect(await count()).toBe(before);

    const fixed = {
      organization: {
        ...failing.organization,
        policies: [TEMPLATE.organization.policies[0]!],
        accounts: [failing.organization.accounts[0]!],
      },
    };
    const ok = await put(`/accounts/${target.accountId}/lab`, { template: fixed });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { members: Member[] }).members.map((m) => m.name)).toEqual(["prod"]);
    expect(await count()).toBe(before + 1);
  }, 60_000);
});
