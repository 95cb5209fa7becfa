/**
 * Lab templates and IAM's quotas (issue 21): a template over a size quota is refused with pointers
 * before any account is created; applied to an account that already holds entities, the account's
 * count after the apply is what is checked (GroupsPerAccount: 300), and a refused apply writes nothing.
 */
import { describe, expect, it } from "vitest";
import { CreateGroupCommand, ListGroupsCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { adminFetch } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";

const doc = (chars: number) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(chars)}/*` }],
});

describe("lab templates within IAM's quotas", () => {
  it("refuses an oversized policy at validation, with its pointer, creating no account", async () => {
    const before = ((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length;
    const res = await adminFetch("/labs", {
      method: "POST",
      body: JSON.stringify({ template: { policies: [{ name: "Huge", document: doc(6200) }] }, learners: 2 }),
    });
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.errors).toEqual([{ path: "/policies/0/document", message: "Cannot exceed quota for PolicySize: 6144" }]);
    const after = ((await (await adminFetch("/accounts")).json()) as { accounts: unknown[] }).accounts.length;
    expect(after).toBe(before);
  });

  it("counts the account's own entities: 101 groups + a template of 200 is refused, nothing written", async () => {
    const a = await withAccount();
    for (let i = 0; i < 101; i += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, 101 - i) }, (_, j) => a.iam.send(new CreateGroupCommand({ GroupName: `own${i + j}` }))),
      );
    const template = {
      groups: Array.from({ length: 200 }, (_, i) => ({ name: `lab${i}` })),
      users: [{ name: "learner", groups: ["lab0"] }],
    };
    const res = await adminFetch(`/accounts/${a.id}/lab`, { method: "PUT", body: JSON.stringify({ template }) });
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.errors).toEqual([
      {
        path: "/groups",
        message: "Cannot exceed quota for GroupsPerAccount: 300 (the account holds 101; this template would make it 301).",
      },
    ]);
    expect((await a.iam.send(new ListGroupsCommand({ MaxItems: 1000 }))).Groups).toHaveLength(101);
    expect((await a.iam.send(new ListUsersCommand({}))).Users).toEqual([]);
    // One fewer fits exactly.
    const fits = { ...template, groups: template.groups.slice(0, 199) };
    const ok = await adminFetch(`/accounts/${a.id}/lab`, { method: "PUT", body: JSON.stringify({ template: fits }) });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect((await a.iam.send(new ListGroupsCommand({ MaxItems: 1000 }))).Groups).toHaveLength(300);
  }, 60_000);
});
