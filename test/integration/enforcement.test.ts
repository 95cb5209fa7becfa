/**
 * Every request is authorized by the policy engine: real SDK clients acting as IAM users, with
 * AWS's exact AccessDenied messages and explanations resolvable through the admin API.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  AttachGroupPolicyCommand,
  GetUserCommand,
  IAMServiceException,
  ListUsersCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  CreateRoleCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { adminFetch, iam, sts, type Creds, type NewAccount } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";

let acct: NewAccount;
let root: ReturnType<typeof iam>;
let n = 0;

async function userWith(
  opts: { managed?: string[]; inline?: object; tags?: Record<string, string>; boundary?: string; name?: string } = {},
): Promise<{ name: string; arn: string; creds: Creds }> {
  const name = opts.name ?? `u${++n}`;
  const u = await root.send(
    new CreateUserCommand({ UserName: name, Tags: Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) }),
  );
  for (const arn of opts.managed ?? []) await root.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
  if (opts.inline)
    await root.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "inline", PolicyDocument: JSON.stringify(opts.inline) }));
  if (opts.boundary) await root.send(new PutUserPermissionsBoundaryCommand({ UserName: name, PermissionsBoundary: opts.boundary }));
  const k = await root.send(new CreateAccessKeyCommand({ UserName: name }));
  return { name, arn: u.User!.Arn!, creds: keyCreds(k.AccessKey!) };
}

async function denied(p: Promise<unknown>): Promise<IAMServiceException> {
  const e = await expectAwsError(p, "AccessDenied", 403);
  expect(e).toBeInstanceOf(IAMServiceException);
  return e as unknown as IAMServiceException;
}

const allow = (Action: string | string[], Resource: string | string[] = "*", Condition?: object) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action, Resource, ...(Condition ? { Condition } : {}) }],
});

beforeAll(async () => {
  ({ account: acct, iam: root } = await withAccount());
});

describe("enforcement with real SDK clients", () => {
  it("a user without policies is denied with AWS's message, and can still call GetCallerIdentity", async () => {
    const u = await userWith();
    const e = await denied(iam(u.creds).send(new ListUsersCommand({})));
    expect(e.message).toBe(
      `User: ${u.arn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${acct.accountId}:user/ because no identity-based policy allows the iam:ListUsers action`,
    );
    const who = await sts(u.creds).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(u.arn);
  });

  it("AdministratorAccess allows", async () => {
    const u = await userWith({ managed: ["arn:aws:iam::aws:policy/AdministratorAccess"] });
    const out = await iam(u.creds).send(new ListUsersCommand({}));
    expect(out.Users!.length).toBeGreaterThan(0);
  });

  it("ReadOnlyAccess allows reads and denies writes", async () => {
    const u = await userWith({ managed: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] });
    await iam(u.creds).send(new ListUsersCommand({}));
    const e = await denied(iam(u.creds).send(new CreateUserCommand({ UserName: "eve" })));
    expect(e.message).toBe(
      `User: ${u.arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${acct.accountId}:user/eve because no identity-based policy allows the iam:CreateUser action`,
    );
  });

  it("an explicit deny beats an allow, and says so", async () => {
    const u = await userWith({
      managed: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      inline: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "iam:CreateUser", Resource: "*" }] },
    });
    const e = await denied(iam(u.creds).send(new CreateUserCommand({ UserName: "eve2" })));
    expect(e.message).toBe(
      `User: ${u.arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${acct.accountId}:user/eve2 with an explicit deny in an identity-based policy`,
    );
  });

  it("group policies apply to members", async () => {
    const u = await userWith();
    await root.send(new CreateGroupCommand({ GroupName: `readers${n}` }));
    await root.send(new AttachGroupPolicyCommand({ GroupName: `readers${n}`, PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
    await denied(iam(u.creds).send(new ListUsersCommand({})));
    await root.send(new AddUserToGroupCommand({ GroupName: `readers${n}`, UserName: u.name }));
    const out = await iam(u.creds).send(new ListUsersCommand({}));
    expect(out.Users!.some((x) => x.UserName === u.name)).toBe(true);
  });

  it("a permissions boundary caps AdministratorAccess", async () => {
    const u = await userWith({
      managed: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      boundary: "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    });
    await iam(u.creds).send(new ListUsersCommand({}));
    const e = await denied(iam(u.creds).send(new CreateUserCommand({ UserName: "capped" })));
    expect(e.message).toBe(
      `User: ${u.arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${acct.accountId}:user/capped because no permissions boundary allows the iam:CreateUser action`,
    );
  });

  it("NotAction allows everything but the listed actions", async () => {
    const u = await userWith({
      inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:CreateUser", Resource: "*" }] },
    });
    await iam(u.creds).send(new ListUsersCommand({}));
    await denied(iam(u.creds).send(new CreateUserCommand({ UserName: "nope" })));
  });

  it("${aws:username} lets a user read only itself", async () => {
    const u = await userWith({ inline: allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}") });
    const me = await iam(u.creds).send(new GetUserCommand({ UserName: u.name }));
    expect(me.User!.UserName).toBe(u.name);
    const e = await denied(iam(u.creds).send(new GetUserCommand({ UserName: "u1" })));
    expect(e.message).toContain(
      "on resource: arn:aws:iam::" + acct.accountId + ":user/u1 because no identity-based policy allows the iam:GetUser action",
    );
  });

  it("MFA conditions: 'deny unless MFA' denies a long-term key", async () => {
    const u = await userWith({
      managed: ["arn:aws:iam::aws:policy/IAMReadOnlyAccess"],
      inline: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } }],
      },
    });
    const e = await denied(iam(u.creds).send(new ListUsersCommand({})));
    expect(e.message).toContain("with an explicit deny in an identity-based policy");
  });

  it("aws:SourceIp conditions see the caller's address", async () => {
    const local = await userWith({ inline: allow("iam:ListUsers", "*", { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } }) });
    await iam(local.creds).send(new ListUsersCommand({}));
    const office = await userWith({ inline: allow("iam:ListUsers", "*", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }) });
    await denied(iam(office.creds).send(new ListUsersCommand({})));
  });

  it("aws:RequestedRegion conditions follow the client's signing region", async () => {
    const u = await userWith({ inline: allow("iam:ListUsers", "*", { StringEquals: { "aws:RequestedRegion": "eu-west-1" } }) });
    await iam(u.creds, "eu-west-1").send(new ListUsersCommand({}));
    await denied(iam(u.creds, "us-east-1").send(new ListUsersCommand({})));
  });

  it("tag conditions: aws:PrincipalTag and aws:ResourceTag / iam:ResourceTag", async () => {
    const u = await userWith({
      tags: { team: "red" },
      inline: allow("iam:ListRoles", "*", { StringEquals: { "aws:PrincipalTag/team": "red" } }),
    });
    await iam(u.creds).send(new ListRolesCommand({}));
    const blue = await userWith({
      tags: { team: "blue" },
      inline: allow("iam:ListRoles", "*", { StringEquals: { "aws:PrincipalTag/team": "red" } }),
    });
    await denied(iam(blue.creds).send(new ListRolesCommand({})));

    const target = await userWith({ tags: { env: "prod" } });
    const tagger = await userWith({ inline: allow("iam:TagUser", "*", { StringEquals: { "iam:ResourceTag/env": "dev" } }) });
    await denied(iam(tagger.creds).send(new TagUserCommand({ UserName: target.name, Tags: [{ Key: "x", Value: "y" }] })));
    const requester = await userWith({
      inline: allow(["iam:CreateRole", "iam:TagRole"], "*", { StringEquals: { "aws:RequestTag/cost": "lab" } }),
    });
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    await iam(requester.creds).send(
      new CreateRoleCommand({ RoleName: `tagged${n}`, AssumeRolePolicyDocument: trust, Tags: [{ Key: "cost", Value: "lab" }] }),
    );
    await denied(iam(requester.creds).send(new CreateRoleCommand({ RoleName: `untagged${n}`, AssumeRolePolicyDocument: trust })));
  });

  it("a customer-managed policy with conditions is enforced", async () => {
    const p = await root.send(
      new CreatePolicyCommand({
        PolicyName: "list-in-eu",
        PolicyDocument: JSON.stringify(allow("iam:List*", "*", { StringLike: { "aws:RequestedRegion": "eu-*" } })),
      }),
    );
    const u = await userWith({ managed: [p.Policy!.Arn!] });
    await iam(u.creds, "eu-central-1").send(new ListUsersCommand({}));
    await denied(iam(u.creds, "us-west-2").send(new ListUsersCommand({})));
  });

  it("a denial's explanation is resolvable through the admin API", async () => {
    // The live path decides without an explanation; a denial is evaluated again to record the full one.
    const u = await userWith({ inline: allow("iam:GetUser") });
    let decisionId: string | undefined;
    const client = iam(u.creds);
    try {
      await client.send(new ListUsersCommand({}));
    } catch (e) {
      const raw = (e as IAMServiceException).$response as { headers?: Record<string, string> } | undefined;
      decisionId = raw?.headers?.["x-iamlab-decision-id"];
    }
    expect(decisionId).toBeTruthy();
    const r = await adminFetch(`/decisions/${encodeURIComponent(decisionId!)}`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      decision: string;
      reason: string;
      request: { action: string };
      explanation: { steps: string[]; policies: Array<{ statements: Array<{ action: { matched: boolean } }> }> };
    };
    expect(body).toMatchObject({ decision: "implicitDeny", reason: "noIdentityAllow", request: { action: "iam:ListUsers" } });
    expect(body.explanation.steps).toContain("no identity-based policy allows");
    expect(body.explanation.policies).toHaveLength(1);
    expect(body.explanation.policies[0]!.statements[0]!.action.matched).toBe(false);
  });
});
