/** Lab templates and IAM's quotas (issue 21, src/labs/quotas.ts): size quotas at validation with pointers, counts at apply. */
import { describe, expect, it } from "vitest";
import { validateTemplate } from "../../src/labs/template";
import { accountQuotaErrors } from "../../src/labs/quotas";

/** A policy document of about `chars` characters without whitespace. */
const bigDoc = (chars: number) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(chars)}/*` }],
});
const trust = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

describe("size quotas at validation", () => {
  it("names every oversized document by its pointer with the IAM API's message", () => {
    const r = validateTemplate({
      policies: [{ name: "Big", document: bigDoc(6100), previousVersions: [bigDoc(100), bigDoc(6200)] }],
      users: [{ name: "u", inlinePolicies: { A: bigDoc(900), B: bigDoc(900), C: bigDoc(300) } }],
      groups: [{ name: "g", inlinePolicies: { A: bigDoc(5000) } }],
      roles: [
        {
          name: "r",
          trustPolicy: {
            ...trust,
            Statement: [{ ...trust.Statement[0]!, Condition: { StringEquals: { "aws:PrincipalTag/x": "y".repeat(2100) } } }],
          },
        },
        { name: "ok", trustPolicy: trust, inlinePolicies: { A: bigDoc(5000), B: bigDoc(5000) } },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      { path: "/policies/0/document", message: "Cannot exceed quota for PolicySize: 6144" },
      { path: "/policies/0/previousVersions/1", message: "Cannot exceed quota for PolicySize: 6144" },
      { path: "/roles/0/trustPolicy", message: "Cannot exceed quota for ACLSizePerRole: 2048" },
      { path: "/users/0/inlinePolicies/C", message: "Maximum policy size of 2048 bytes exceeded for user u" },
    ]);
  });

  it("measures with ${account} as the 12-digit id it becomes", () => {
    // 6,144 exactly once each ${account} (10 characters) becomes 12: one over.
    const doc = bigDoc(0);
    const base = JSON.stringify(doc).replace(/\s/g, "").length;
    const filler = 6144 - base - 10 - 1;
    const d = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(filler)}\${account}/*` }],
    };
    const r = validateTemplate({ policies: [{ name: "Edge", document: d }] });
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(["/policies/0/document"]);
  });
});

describe("per-account counts at apply", () => {
  const state = (n: Partial<Record<"users" | "groups" | "roles" | "policies" | "instanceProfiles", number>>) => ({
    users: new Array(n.users ?? 0).fill({}),
    groups: new Array(n.groups ?? 0).fill({}),
    roles: new Array(n.roles ?? 0).fill({}),
    policies: new Array(n.policies ?? 0).fill({}),
    instanceProfiles: new Array(n.instanceProfiles ?? 0).fill({}),
  });
  it("counts what the account holds plus what the plan creates less what it deletes", () => {
    const created = Array.from({ length: 200 }, (_, i) => `group/g${i}`);
    expect(accountQuotaErrors(state({ groups: 101 }), { created, updated: [], deleted: [] })).toEqual([
      {
        path: ["groups"],
        message: "Cannot exceed quota for GroupsPerAccount: 300 (the account holds 101; this template would make it 301).",
      },
    ]);
    expect(accountQuotaErrors(state({ groups: 101 }), { created, updated: [], deleted: ["group/old"] })).toEqual([]);
    expect(accountQuotaErrors(state({ users: 4999 }), { created: ["user/a", "user/b"], updated: [], deleted: [] })[0]!.path).toEqual([
      "users",
    ]);
  });
});
