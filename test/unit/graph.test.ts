import { describe, expect, it } from "vitest";
import { graphDocument, PermissionsGraph, toDot, type AccountState, type PolicyDoc } from "../../src/graph/index";

const A = "111111111111";
const B = "222222222222";

const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (Action: string | string[], Resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});
const deny = (Action: string | string[], Resource: string | string[] = "*") => ({ Effect: "Deny", Action, Resource });
const inline = (owner: string, name: string, ...statements: object[]): PolicyDoc => ({
  id: `${owner}:inline/${name}`,
  json: doc(...statements),
});
const trust = (principal: object) => doc({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" });
const ADMIN: PolicyDoc = { id: "arn:aws:iam::aws:policy/AdministratorAccess", json: doc(allow("*")) };

function account(id: string, over: Partial<AccountState> = {}): AccountState {
  return { accountId: id, users: [], groups: [], roles: [], policies: [], resources: [], ...over };
}
const user = (acct: string, name: string, policies: PolicyDoc[] = [], more: object = {}) => ({
  arn: `arn:aws:iam::${acct}:user/${name}`,
  name,
  id: `AIDA${name.toUpperCase()}`,
  policies,
  groups: [] as string[],
  ...more,
});
const role = (acct: string, name: string, trustDoc: string, policies: PolicyDoc[] = [], more: object = {}) => ({
  arn: `arn:aws:iam::${acct}:role/${name}`,
  name,
  id: `AROA${name.toUpperCase()}`,
  trust: trustDoc,
  policies,
  ...more,
});
const bucket = (name: string, policy?: string) => ({
  arn: `arn:aws:s3:::${name}`,
  type: "s3:bucket" as const,
  ...(policy ? { policy } : {}),
});
const arnU = (acct: string, n: string) => `arn:aws:iam::${acct}:user/${n}`;
const arnR = (acct: string, n: string) => `arn:aws:iam::${acct}:role/${n}`;

function edge(g: PermissionsGraph, from: string, to: string) {
  return g.access({ principal: from }).edges.find((e) => e.to === to);
}

describe("access edges", () => {
  it("identity-only, same account: the actions the identity policy allows, with the statement that formed the edge", () => {
    const g = new PermissionsGraph({
      accounts: [
        account(A, {
          users: [
            user(A, "alice", [
              inline("user/alice", "read", {
                Sid: "Read",
                ...allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]),
              }),
            ]),
          ],
          resources: [bucket("data"), bucket("other")],
        }),
      ],
    });
    const e = edge(g, arnU(A, "alice"), "arn:aws:s3:::data")!;
    expect(e.actions.sort()).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(e.via[0]).toMatchObject({ type: "identity", policy: "user/alice:inline/read", sid: "Read", statement: 0 });
    expect(edge(g, arnU(A, "alice"), "arn:aws:s3:::other")).toBeUndefined();
  });

  it("resource-only, same account: a bucket policy naming the user forms the edge alone", () => {
    const policy = doc({ Effect: "Allow", Principal: { AWS: arnU(A, "bob") }, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/*" });
    const g = new PermissionsGraph({
      accounts: [account(A, { users: [user(A, "bob"), user(A, "carol")], resources: [bucket("shared", policy)] })],
    });
    const e = edge(g, arnU(A, "bob"), "arn:aws:s3:::shared")!;
    expect(e.actions).toEqual(["s3:GetObject"]);
    expect(e.via).toEqual([expect.objectContaining({ type: "resource", policy: "arn:aws:s3:::shared" })]);
    expect(edge(g, arnU(A, "carol"), "arn:aws:s3:::shared")).toBeUndefined();
  });

  it("cross account needs both sides: identity alone or resource alone is not enough", () => {
    const named = doc({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::xb/*",
    });
    const g = new PermissionsGraph({
      accounts: [
        account(A, { users: [user(A, "both", [inline("user/both", "p", allow("s3:GetObject"))]), user(A, "nopolicy")] }),
        account(B, { resources: [bucket("xb", named), bucket("closed")] }),
      ],
    });
    const e = edge(g, arnU(A, "both"), "arn:aws:s3:::xb")!;
    expect(e.actions).toEqual(["s3:GetObject"]);
    // The two policies cooperate to form one edge.
    expect(e.via.map((v) => v.type).sort()).toEqual(["identity", "resource"]);
    expect(edge(g, arnU(A, "nopolicy"), "arn:aws:s3:::xb")).toBeUndefined();
    expect(edge(g, arnU(A, "both"), "arn:aws:s3:::closed")).toBeUndefined();
  });

  it("a permissions boundary, an explicit deny and an SCP deny break edges", () => {
    const base = [inline("x", "all", allow("sqs:*"))];
    const q = { arn: `arn:aws:sqs:us-east-1:${A}:jobs`, type: "sqs:queue" as const };
    const g = new PermissionsGraph({
      accounts: [
        account(A, {
          users: [
            user(A, "free", base),
            user(A, "bounded", base, { boundary: { id: "arn:aws:iam::111111111111:policy/OnlyS3", json: doc(allow("s3:*")) } }),
            user(A, "denied", [...base, inline("y", "no", deny("sqs:SendMessage"))]),
          ],
          resources: [q],
        }),
      ],
    });
    expect(edge(g, arnU(A, "free"), q.arn)!.actions).toEqual(["sqs:*"]);
    expect(edge(g, arnU(A, "bounded"), q.arn)).toBeUndefined();
    expect(edge(g, arnU(A, "denied"), q.arn)!.actions).not.toContain("sqs:SendMessage");

    const scp = { id: "p-deny-sqs", json: doc(allow("*"), deny("sqs:*")) };
    const inOrg = new PermissionsGraph({ accounts: [account(A, { users: [user(A, "free", base)], resources: [q], scps: [[scp]] })] });
    expect(edge(inOrg, arnU(A, "free"), q.arn)).toBeUndefined();
  });

  it("filters by action, service and resource", () => {
    const g = new PermissionsGraph({
      accounts: [
        account(A, {
          users: [user(A, "admin", [ADMIN])],
          resources: [bucket("b1"), bucket("b2"), { arn: `arn:aws:sns:us-east-1:${A}:t`, type: "sns:topic" }],
        }),
      ],
    });
    const all = g.access({ principal: arnU(A, "admin") });
    expect(all.edges.map((e) => e.actions)).toEqual([["s3:*"], ["s3:*"], ["sns:*"]]);
    expect(g.access({ service: "sns" }).edges.map((e) => e.to)).toEqual([`arn:aws:sns:us-east-1:${A}:t`, `arn:aws:sns:us-east-1:${A}:t`]);
    const byAction = g.access({ action: "s3:GetObject", resource: "arn:aws:s3:::b2" });
    expect(byAction.edges.map((e) => [e.from, e.actions])).toEqual([
      [`arn:aws:iam::${A}:root`, ["s3:GetObject"]],
      [arnU(A, "admin"), ["s3:GetObject"]],
    ]);
    expect(g.access({ limit: 1 })).toMatchObject({ total: 6 });
  });
});

describe("assume-role edges", () => {
  it("need the trust policy AND the caller's identity permission; cross account both sides", () => {
    const assume = inline("user/u", "assume", allow("sts:AssumeRole"));
    const g = new PermissionsGraph({
      accounts: [
        account(A, {
          users: [user(A, "can", [assume]), user(A, "nopolicy")],
          roles: [role(A, "Local", trust({ AWS: `arn:aws:iam::${A}:root` }))],
        }),
        account(B, {
          roles: [role(B, "Remote", trust({ AWS: `arn:aws:iam::${A}:root` })), role(B, "Closed", trust({ AWS: `arn:aws:iam::${B}:root` }))],
        }),
      ],
    });
    const from = (u: string) => g.principalEdges.filter((e) => e.from === arnU(A, u) && e.technique === "sts:AssumeRole").map((e) => e.to);
    expect(from("can").sort()).toEqual([arnR(A, "Local"), arnR(B, "Remote")]);
    expect(from("nopolicy")).toEqual([]);
    const e = g.principalEdges.find((x) => x.from === arnU(A, "can") && x.to === arnR(B, "Remote"))!;
    expect(e.via.map((v) => v.type).sort()).toEqual(["identity", "resource"]);
  });

  it("B:root delegation: every principal of B whose identity policy allows it", () => {
    const g = new PermissionsGraph({
      accounts: [
        account(A, { roles: [role(A, "Shared", trust({ AWS: B }))] }),
        account(B, { users: [user(B, "yes", [inline("u", "p", allow("sts:AssumeRole", arnR(A, "Shared")))]), user(B, "no")] }),
      ],
    });
    const into = g.principalEdges.filter((e) => e.to === arnR(A, "Shared")).map((e) => e.from);
    expect(into.sort()).toEqual([`arn:aws:iam::${B}:root`, arnU(B, "yes")]);
  });

  it("a trust policy naming one user singles it out from its class", () => {
    const same = [inline("shared", "p", allow("sts:AssumeRole"))];
    const g = new PermissionsGraph({
      accounts: [
        account(A, { users: [user(A, "u1", same), user(A, "u2", same)], roles: [role(A, "Only1", trust({ AWS: arnU(A, "u1") }))] }),
      ],
    });
    expect(g.classCount).toBeLessThan(g.principals.length);
    expect(g.principalEdges.filter((e) => e.to === arnR(A, "Only1")).map((e) => e.from)).toEqual([arnU(A, "u1")]);
  });
});

describe("privilege escalation", () => {
  const admin = () => role(A, "Admin", trust({ AWS: `arn:aws:iam::${A}:root` }), [ADMIN]);
  const ec2Admin = () => role(A, "Ec2Admin", trust({ Service: "ec2.amazonaws.com" }), [ADMIN]);
  const lambdaAdmin = () => role(A, "LambdaAdmin", trust({ Service: "lambda.amazonaws.com" }), [ADMIN]);

  function pathOf(acct: AccountState, who: string) {
    return new PermissionsGraph({ accounts: [acct] }).escalations().find((p) => p.principal === who);
  }
  const techniques = (acct: AccountState, who: string) => pathOf(acct, who)?.steps.map((s) => s.technique);

  it("marks admin-equivalent principals; `*` alone is not an escalation", () => {
    const g = new PermissionsGraph({ accounts: [account(A, { users: [user(A, "boss", [ADMIN])] })] });
    expect(g.byId.get(arnU(A, "boss"))!.vertex.admin!.technique).toBe("*:*");
    expect(g.escalations()).toEqual([]);
  });

  it.each([
    ["iam:AttachUserPolicy", [allow("iam:AttachUserPolicy", arnU(A, "e"))]],
    ["iam:PutUserPolicy", [allow("iam:PutUserPolicy", arnU(A, "e"))]],
  ])("self-edit %s", (technique, statements) => {
    expect(techniques(account(A, { users: [user(A, "e", [inline("user/e", "p", ...statements)])] }), arnU(A, "e"))).toEqual([technique]);
  });

  it.each(["iam:AttachGroupPolicy", "iam:PutGroupPolicy"])("%s on its own group", (technique) => {
    const grp = {
      arn: `arn:aws:iam::${A}:group/devs`,
      name: "devs",
      id: "AGPA1",
      policies: [inline("group/devs", "p", allow(technique, `arn:aws:iam::${A}:group/devs`))],
    };
    const acct = account(A, { users: [user(A, "e", grp.policies, { groups: ["devs"] })], groups: [grp] });
    expect(techniques(acct, arnU(A, "e"))).toEqual([technique]);
  });

  it.each([
    ["iam:CreatePolicyVersion", 1],
    ["iam:SetDefaultPolicyVersion", 2],
  ])("%s on an attached customer managed policy", (technique, versions) => {
    const pArn = `arn:aws:iam::${A}:policy/Mine`;
    const mine = { id: pArn, json: doc(allow(technique, pArn)) };
    const acct = account(A, { users: [user(A, "e", [mine])], policies: [{ arn: pArn, name: "Mine", versions }] });
    expect(techniques(acct, arnU(A, "e"))).toEqual([technique]);
  });

  it("iam:AddUserToGroup into a group whose policies make it admin", () => {
    const grp = { arn: `arn:aws:iam::${A}:group/admins`, name: "admins", id: "AGPA2", policies: [ADMIN] };
    const acct = account(A, { users: [user(A, "e", [inline("user/e", "p", allow("iam:AddUserToGroup"))])], groups: [grp] });
    expect(pathOf(acct, arnU(A, "e"))!.steps[0]).toMatchObject({ technique: "iam:AddUserToGroup", target: grp.arn });
  });

  it.each(["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"])("%s on an admin user", (technique) => {
    const acct = account(A, {
      users: [user(A, "e", [inline("user/e", "p", allow(technique, arnU(A, "boss")))]), user(A, "boss", [ADMIN])],
    });
    expect(pathOf(acct, arnU(A, "e"))).toMatchObject({
      reaches: arnU(A, "boss"),
      steps: [{ technique, to: arnU(A, "boss") }, { technique: "*:*" }],
    });
  });

  it("iam:UpdateAssumeRolePolicy on an admin role nobody may assume", () => {
    const closed = role(A, "Admin", trust({ Service: "ec2.amazonaws.com" }), [ADMIN]);
    const acct = account(A, { users: [user(A, "e", [inline("user/e", "p", allow("iam:UpdateAssumeRolePolicy"))])], roles: [closed] });
    expect(techniques(acct, arnU(A, "e"))).toEqual(["iam:UpdateAssumeRolePolicy", "*:*"]);
  });

  it("sts:AssumeRole chains: user → role → admin role", () => {
    const hop = role(A, "Hop", trust({ AWS: arnU(A, "e") }), [inline("role/Hop", "p", allow("sts:AssumeRole", arnR(A, "Admin")))]);
    const top = role(A, "Admin", trust({ AWS: arnR(A, "Hop") }), [ADMIN]);
    const acct = account(A, { users: [user(A, "e")], roles: [hop, top] });
    const p = pathOf(acct, arnU(A, "e"))!;
    expect(p.steps.map((s) => [s.technique, s.to])).toEqual([
      ["sts:AssumeRole", arnR(A, "Hop")],
      ["sts:AssumeRole", arnR(A, "Admin")],
      ["*:*", arnR(A, "Admin")],
    ]);
  });

  it("iam:PassRole + ec2:RunInstances; a scoped PassRole stops the path", () => {
    const wide = [inline("user/e", "p", allow(["ec2:RunInstances", "iam:PassRole"]))];
    expect(techniques(account(A, { users: [user(A, "e", wide)], roles: [ec2Admin()] }), arnU(A, "e"))).toEqual([
      "iam:PassRole+ec2:RunInstances",
      "*:*",
    ]);
    const scoped = [inline("user/e", "p", allow("ec2:RunInstances"), allow("iam:PassRole", arnR(A, "WebServer")))];
    expect(pathOf(account(A, { users: [user(A, "e", scoped)], roles: [ec2Admin()] }), arnU(A, "e"))).toBeUndefined();
    const otherService = [
      inline(
        "user/e",
        "p",
        allow("ec2:RunInstances"),
        allow("iam:PassRole", "*", { Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } } }),
      ),
    ];
    expect(pathOf(account(A, { users: [user(A, "e", otherService)], roles: [ec2Admin()] }), arnU(A, "e"))).toBeUndefined();
  });

  it("iam:PassRole + lambda:CreateFunction + InvokeFunction", () => {
    const acct = account(A, {
      users: [user(A, "e", [inline("user/e", "p", allow(["lambda:CreateFunction", "lambda:InvokeFunction", "iam:PassRole"]))])],
      roles: [lambdaAdmin()],
    });
    expect(techniques(acct, arnU(A, "e"))).toEqual(["iam:PassRole+lambda:CreateFunction", "*:*"]);
    const noInvoke = account(A, {
      users: [user(A, "e", [inline("user/e", "p", allow(["lambda:CreateFunction", "iam:PassRole"]))])],
      roles: [lambdaAdmin()],
    });
    expect(pathOf(noInvoke, arnU(A, "e"))).toBeUndefined();
  });

  it("a boundary without the right to delete it caps self-edits", () => {
    const b = { id: `arn:aws:iam::${A}:policy/B`, json: doc(allow("iam:PutUserPolicy")) };
    const acct = account(A, { users: [user(A, "e", [inline("user/e", "p", allow("iam:PutUserPolicy"))], { boundary: b })] });
    expect(pathOf(acct, arnU(A, "e"))).toBeUndefined();
    expect(pathOf(admin() && acct, arnU(A, "e"))).toBeUndefined();
  });

  it("escalations toward a chosen target principal", () => {
    const acct = account(A, {
      users: [user(A, "e", [inline("user/e", "p", allow("sts:AssumeRole"))])],
      roles: [role(A, "Ops", trust({ AWS: A }))],
    });
    const paths = new PermissionsGraph({ accounts: [acct] }).escalations(arnR(A, "Ops"));
    expect(paths.map((p) => p.principal).sort()).toEqual([`arn:aws:iam::${A}:root`, arnU(A, "e")]);
  });
});

describe("reach", () => {
  it("who can reach a resource with an action, through assume-role chains", () => {
    const readRole = role(A, "Reader", trust({ AWS: arnU(A, "e") }), [
      inline("role/Reader", "p", allow("s3:GetObject", "arn:aws:s3:::vault/*")),
    ]);
    const acct = account(A, { users: [user(A, "e"), user(A, "x")], roles: [readRole], resources: [bucket("vault")] });
    const g = new PermissionsGraph({ accounts: [acct] });
    const who = g.reach("arn:aws:s3:::vault/*", "s3:GetObject");
    const e = who.find((r) => r.principal === arnU(A, "e"))!;
    expect(e.actor).toBe(arnR(A, "Reader"));
    expect(e.path.map((s) => s.technique)).toEqual(["sts:AssumeRole"]);
    expect(e.via[0]).toMatchObject({ type: "identity", policy: "role/Reader:inline/p" });
    expect(who.some((r) => r.principal === arnU(A, "x"))).toBe(false);
  });
});

describe("export", () => {
  it("JSON document and DOT (names quoted)", () => {
    const acct = account(A, { users: [user(A, 'we"ird', [ADMIN])], resources: [bucket("b")] });
    const g = new PermissionsGraph({ accounts: [acct] });
    const d = graphDocument(g, {}, 0, () => 5);
    expect(d.vertices.map((v) => v.type)).toEqual(["principal", "principal", "resource"]);
    const dot = toDot(d);
    expect(dot.startsWith("digraph iamlab {\n")).toBe(true);
    expect(dot.trimEnd().endsWith("}")).toBe(true);
    expect(dot).toContain('"arn:aws:iam::111111111111:user/we\\"ird" -> "arn:aws:s3:::b"');
  });
});

describe("reach on a role", () => {
  it("sts:AssumeRole is decided with the role's trust policy", () => {
    const acct = account(A, {
      users: [user(A, "named", [inline("u", "p", allow("sts:AssumeRole"))]), user(A, "other", [inline("u", "p", allow("sts:AssumeRole"))])],
      roles: [role(A, "Target", trust({ AWS: arnU(A, "named") }))],
    });
    const who = new PermissionsGraph({ accounts: [acct] }).reach(arnR(A, "Target"), "sts:AssumeRole");
    expect(who.map((r) => r.principal)).toEqual([arnU(A, "named")]);
    expect(who[0]!.via.map((v) => v.type).sort()).toEqual(["identity", "resource"]);
  });
});

describe("graph document", () => {
  it("leaves an admin-equivalent principal's edges out unless adminEdges", () => {
    const acct = account(A, { users: [user(A, "boss", [ADMIN]), user(A, "e")] });
    const g = new PermissionsGraph({ accounts: [acct] });
    const from = (d: ReturnType<typeof graphDocument>) => d.edges.filter((e) => e.kind === "principal" && e.from === arnU(A, "boss"));
    expect(from(graphDocument(g, {}, 0, () => 0))).toEqual([]);
    expect(from(graphDocument(g, { adminEdges: true }, 0, () => 0)).map((e) => e.kind === "principal" && [e.to, e.technique])).toEqual([
      [arnU(A, "e"), "iam:CreateAccessKey"],
      [arnU(A, "e"), "iam:CreateLoginProfile"],
    ]);
  });
});

describe("PMapper's conditions on the techniques", () => {
  const ADMIN_USER = (more: object = {}) => user(A, "boss", [ADMIN], more);
  const techniquesTo = (acct: AccountState, from: string, to: string) =>
    new PermissionsGraph({ accounts: [acct] }).principalEdges.filter((e) => e.from === from && e.to === to).map((e) => e.technique);

  it("a trust policy requiring MFA gives an edge marked mfa", () => {
    const mfaTrust = doc({
      Effect: "Allow",
      Principal: { AWS: A },
      Action: "sts:AssumeRole",
      Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
    });
    const acct = account(A, { users: [user(A, "e", [inline("u", "p", allow("sts:AssumeRole"))])], roles: [role(A, "Guarded", mfaTrust)] });
    const e = new PermissionsGraph({ accounts: [acct] }).principalEdges.find((x) => x.from === arnU(A, "e"))!;
    expect(e).toMatchObject({ to: arnR(A, "Guarded"), technique: "sts:AssumeRole", mfa: true });
  });

  it("CreateLoginProfile for a user without a password, UpdateLoginProfile for one with", () => {
    const both = [inline("u", "p", allow(["iam:CreateLoginProfile", "iam:UpdateLoginProfile"]))];
    expect(
      techniquesTo(account(A, { users: [user(A, "e", both), ADMIN_USER({ hasPassword: false })] }), arnU(A, "e"), arnU(A, "boss")),
    ).toEqual(["iam:CreateLoginProfile"]);
    expect(
      techniquesTo(account(A, { users: [user(A, "e", both), ADMIN_USER({ hasPassword: true })] }), arnU(A, "e"), arnU(A, "boss")),
    ).toEqual(["iam:UpdateLoginProfile"]);
    const createOnly = [inline("u", "p", allow("iam:CreateLoginProfile"))];
    expect(
      techniquesTo(account(A, { users: [user(A, "e", createOnly), ADMIN_USER({ hasPassword: true })] }), arnU(A, "e"), arnU(A, "boss")),
    ).toEqual([]);
  });

  it("a user at two access keys needs DeleteAccessKey too", () => {
    const create = [inline("u", "p", allow("iam:CreateAccessKey"))];
    expect(
      techniquesTo(account(A, { users: [user(A, "e", create), ADMIN_USER({ accessKeys: 2 })] }), arnU(A, "e"), arnU(A, "boss")),
    ).toEqual([]);
    const both = [inline("u", "p", allow(["iam:CreateAccessKey", "iam:DeleteAccessKey"]))];
    expect(techniquesTo(account(A, { users: [user(A, "e", both), ADMIN_USER({ accessKeys: 2 })] }), arnU(A, "e"), arnU(A, "boss"))).toEqual(
      ["iam:CreateAccessKey"],
    );
  });
});

describe("classes stay exact", () => {
  it("a resource policy conditioned on aws:PrincipalArn decides per principal", () => {
    const policy = doc({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::p/*",
      Condition: { ArnEquals: { "aws:PrincipalArn": arnU(A, "u1") } },
    });
    const same = [inline("shared", "p", allow("sqs:ListQueues"))];
    const g = new PermissionsGraph({
      accounts: [account(A, { users: [user(A, "u1", same), user(A, "u2", same)], resources: [bucket("p", policy)] })],
    });
    expect(g.classCount).toBeLessThan(g.principals.length);
    expect(g.access({ resource: "arn:aws:s3:::p" }).edges.map((e) => e.from)).toEqual([`arn:aws:iam::${A}:root`, arnU(A, "u1")]);
  });

  it("an RCP conditioned on aws:PrincipalOrgID keeps principals of another organization out", () => {
    const rcp = {
      id: "p-rcp",
      json: doc(
        { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "*",
          Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": "o-mine" } },
        },
      ),
    };
    const open = doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/*" });
    const reader = [inline("u", "p", allow("s3:GetObject"))];
    const g = new PermissionsGraph({
      accounts: [
        account(A, { orgId: "o-mine", rcps: [[rcp]], resources: [bucket("shared", open)] }),
        account(B, { orgId: "o-other", users: [user(B, "outsider", reader)] }),
        account("333333333333", { orgId: "o-mine", users: [user("333333333333", "insider", reader)] }),
      ],
      rcpServices: ["s3"],
    });
    const from = g.access({ action: "s3:GetObject" }).edges.map((e) => e.from);
    expect(from).toContain(arnU("333333333333", "insider"));
    expect(from).not.toContain(arnU(B, "outsider"));
  });
});

describe("lambda:UpdateFunctionCode", () => {
  it("changing an existing function's code reaches its execution role", () => {
    const fn = { arn: `arn:aws:lambda:us-east-1:${A}:function:nightly`, type: "lambda:function" as const, role: arnR(A, "FnAdmin") };
    const acct = account(A, {
      users: [user(A, "e", [inline("u", "p", allow("lambda:UpdateFunctionCode", fn.arn))]), user(A, "x")],
      roles: [role(A, "FnAdmin", trust({ Service: "lambda.amazonaws.com" }), [ADMIN])],
      resources: [fn],
    });
    const g = new PermissionsGraph({ accounts: [acct] });
    const p = g.escalations().find((x) => x.principal === arnU(A, "e"))!;
    expect(p.steps[0]).toMatchObject({ technique: "lambda:UpdateFunctionCode", to: arnR(A, "FnAdmin"), target: fn.arn });
    expect(g.escalations().some((x) => x.principal === arnU(A, "x"))).toBe(false);
  });
});

describe("cross-account escalation", () => {
  it("an admin of B reaching A's admin role is an escalation into A", () => {
    const g = new PermissionsGraph({
      accounts: [account(A, { roles: [role(A, "Admin", trust({ AWS: B }), [ADMIN])] }), account(B, { users: [user(B, "ops", [ADMIN])] })],
    });
    const paths = g.escalations();
    expect(paths.map((p) => [p.principal, p.reaches]).sort()).toEqual([
      [`arn:aws:iam::${B}:root`, arnR(A, "Admin")],
      [arnU(B, "ops"), arnR(A, "Admin")],
    ]);
  });
});
