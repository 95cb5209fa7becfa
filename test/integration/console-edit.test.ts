/**
 * Editing and deleting in the console (issue 20): a role's trust policy and inline policies in the
 * editor, deleting a user with everything that holds it (as AWS's console does), a deletion stopped
 * by a denied step with its explanation, CSRF on the new forms, escaping of attacker-chosen policy
 * text, and list pages that page past their first 100 entries.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch } from "../helpers/sandbox";
import { ConsoleClient } from "../helpers/console-browser";
import { expectAwsError } from "../helpers/aws-errors";

const ROOT_PW = "Root-Passw0rd!";
const PW = "Editor-Passw0rd!";
let a: AccountFixture;
let root: ConsoleClient;

const trust = (principal: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole", ...extra }],
  });

beforeAll(async () => {
  a = await withAccount();
  expect((await adminFetch(`/accounts/${a.id}/root-password`, { method: "PUT", body: JSON.stringify({ password: ROOT_PW }) })).status).toBe(
    200,
  );
  root = new ConsoleClient();
  expect((await root.signIn(a.id, "root", ROOT_PW)).status).toBe(303);
});

describe("editing policies in the console", () => {
  it("updates a role's trust policy through UpdateAssumeRolePolicy; a malformed one is refused with IAM's words", async () => {
    await a.iam.send(new CreateRoleCommand({ RoleName: "ops", AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.id}:root`) }));
    const editor = await root.get("/console/roles/ops/trust");
    expect(editor.status).toBe(200);
    expect(editor.text).toContain('data-policy-type="TRUST_POLICY"');
    const csrf = ConsoleClient.csrfOf(editor.text);
    const next = trust(`arn:aws:iam::${a.id}:root`, { Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } });
    const saved = await root.post("/console/roles/ops/trust", { _csrf: csrf, document: next });
    expect(saved.status).toBe(303);
    const role = await a.iam.send(new GetRoleCommand({ RoleName: "ops" }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain("aws:MultiFactorAuthPresent");
    const bad = await root.post("/console/roles/ops/trust", { _csrf: csrf, document: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("MalformedPolicyDocument");
    // Without the session's CSRF token nothing changes.
    expect((await root.post("/console/roles/ops/trust", { document: trust("*") })).status).toBe(403);
  });

  it("adds, edits and deletes a user's inline policy; attacker-chosen policy text is escaped", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "inline-user" }));
    const csrf = await root.csrf("/console/inline/users/inline-user");
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "x", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/<script>alert(1)</script>" }],
    });
    expect((await root.post("/console/inline/users/inline-user", { _csrf: csrf, name: "reads", document: doc })).status).toBe(303);
    expect((await a.iam.send(new GetUserPolicyCommand({ UserName: "inline-user", PolicyName: "reads" }))).PolicyName).toBe("reads");
    const edit = await root.get("/console/inline/users/inline-user?policy=reads");
    expect(edit.text).not.toContain("<script>alert(1)</script>");
    expect(edit.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect((await root.get("/console/users/inline-user")).text).toContain("/console/inline/users/inline-user?policy=reads");
    expect((await root.post("/console/inline/users/inline-user/delete", { _csrf: csrf, name: "reads" })).status).toBe(303);
    expect((await a.iam.send(new ListUserPoliciesCommand({ UserName: "inline-user" }))).PolicyNames).toEqual([]);
  });
});

describe("deleting in the console", () => {
  it("deletes a user with keys, password, groups, attached and inline policies — as AWS's console does", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "leaver" }));
    await a.iam.send(new CreateAccessKeyCommand({ UserName: "leaver" }));
    await a.iam.send(new CreateLoginProfileCommand({ UserName: "leaver", Password: PW }));
    await a.iam.send(new CreateGroupCommand({ GroupName: "team" }));
    await a.iam.send(new AddUserToGroupCommand({ GroupName: "team", UserName: "leaver" }));
    await a.iam.send(new AttachUserPolicyCommand({ UserName: "leaver", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    await a.iam.send(
      new PutUserPolicyCommand({
        UserName: "leaver",
        PolicyName: "p",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] }),
      }),
    );
    const plan = await root.get("/console/delete/users/leaver");
    expect(plan.status).toBe(200);
    for (const step of [
      "DeleteAccessKey",
      "DeleteLoginProfile",
      "RemoveUserFromGroup",
      "DetachUserPolicy",
      "DeleteUserPolicy",
      "DeleteUser",
    ])
      expect(plan.text).toContain(step);
    const csrf = ConsoleClient.csrfOf(plan.text);
    expect((await root.post("/console/delete/users/leaver", { _csrf: csrf, confirm: "wrong" })).status).toBe(400);
    const done = await root.post("/console/delete/users/leaver", { _csrf: csrf, confirm: "leaver" });
    expect(done.status).toBe(303);
    await expectAwsError(a.iam.send(new GetUserCommand({ UserName: "leaver" })), "NoSuchEntity", 404);
  });

  it("stops at the first denied step and explains it; what was removed before stays removed", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "helper" }));
    await a.iam.send(new CreateLoginProfileCommand({ UserName: "helper", Password: PW }));
    // May read everything and remove group memberships, but not delete users.
    await a.iam.send(
      new PutUserPolicyCommand({
        UserName: "helper",
        PolicyName: "partial",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iam:Get*", "iam:List*", "iam:RemoveUserFromGroup"], Resource: "*" }],
        }),
      }),
    );
    await a.iam.send(new CreateUserCommand({ UserName: "victim" }));
    await a.iam.send(new AddUserToGroupCommand({ GroupName: "team", UserName: "victim" }));
    const c = new ConsoleClient();
    expect((await c.signIn(a.id, "helper", PW)).status).toBe(303);
    const csrf = await c.csrf("/console/delete/users/victim");
    const r = await c.post("/console/delete/users/victim", { _csrf: csrf, confirm: "victim" });
    expect(r.status).toBe(403);
    expect(r.text).toContain("Stopped at DeleteUser");
    expect(r.text).toContain("You don&#39;t have permission");
    // The membership was removed (an allowed step), the user was not.
    expect((await a.iam.send(new GetUserCommand({ UserName: "victim" }))).User?.UserName).toBe("victim");
  });
});

describe("list pages past their first page", () => {
  it("pages users 100 at a time with IAM's Marker", async () => {
    const b = await withAccount();
    expect(
      (await adminFetch(`/accounts/${b.id}/root-password`, { method: "PUT", body: JSON.stringify({ password: ROOT_PW }) })).status,
    ).toBe(200);
    for (let i = 0; i < 105; i += 15)
      await Promise.all(
        Array.from({ length: Math.min(15, 105 - i) }, (_, j) =>
          b.iam.send(new CreateUserCommand({ UserName: `u${String(i + j).padStart(3, "0")}` })),
        ),
      );
    const c = new ConsoleClient();
    await c.signIn(b.id, "root", ROOT_PW);
    const first = await c.get("/console/users");
    expect(first.text).toContain(">u099<");
    expect(first.text).not.toContain(">u100<");
    const next = /href="(\/console\/users\?marker=[^"]+)"/.exec(first.text)?.[1];
    expect(next).toBeDefined();
    const second = await c.get(next!.replace(/&amp;/g, "&"));
    expect(second.text).toContain(">u104<");
    expect(second.text).not.toContain(">u000<");
    expect(second.text).toContain("First page");
  });
});
