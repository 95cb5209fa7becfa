/** loadPolicyDocuments (the authorizer's loader) against D1 inside workerd: one query, every kind of policy. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { createPolicy, createVersion, loadPolicyDocuments, setDefaultVersion } from "../../src/store/iam-policies";
import { attachPolicy, putInline, setBoundary } from "../../src/store/iam-attachments";

const ACCT = "909090909090";
const doc = (a: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: a, Resource: "*" }] });

describe("loadPolicyDocuments", () => {
  it("returns attached (customer default version + AWS-managed), inline and boundary policies of the given entities only", async () => {
    const db = getDb(env.DB);
    await createAccount(db, ACCT, null, Date.now());
    const d1 = env.DB;
    const now = "2026-01-01T00:00:00Z";
    await d1.batch([
      d1.prepare("INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES ('AIDAUSER1', ?, 'u1', 'u1', '/', ?, ?)").bind(ACCT, `arn:aws:iam::${ACCT}:user/u1`, now),
      d1.prepare("INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES ('AIDAUSER2', ?, 'u2', 'u2', '/', ?, ?)").bind(ACCT, `arn:aws:iam::${ACCT}:user/u2`, now),
      d1.prepare("INSERT INTO groups (group_id, account_id, group_name, name_lower, path, arn, create_date) VALUES ('AGPAGROUP1', ?, 'g1', 'g1', '/', ?, ?)").bind(ACCT, `arn:aws:iam::${ACCT}:group/g1`, now),
      d1.prepare("INSERT INTO roles (role_id, account_id, role_name, name_lower, path, arn, create_date, assume_role_policy_document) VALUES ('AROAROLE1', ?, 'r1', 'r1', '/', ?, ?, '{}')").bind(ACCT, `arn:aws:iam::${ACCT}:role/r1`, now),
    ]);
    const arn = `arn:aws:iam::${ACCT}:policy/p1`;
    expect(await createPolicy(db, ACCT, { policyId: "ANPAP1", policyName: "p1", path: "/", arn, document: doc("s3:V1"), createDate: now, tags: [] })).toBe(true);
    expect((await createVersion(db, ACCT, arn, doc("s3:V2"), false, now)).ok).toBe(true);
    expect(await setDefaultVersion(db, ACCT, arn, "v2")).toBe("ok");
    expect(await attachPolicy(db, ACCT, "user", "u1", arn)).toBe("ok");
    expect(await attachPolicy(db, ACCT, "group", "g1", "arn:aws:iam::aws:policy/ReadOnlyAccess")).toBe("ok");
    expect(await attachPolicy(db, ACCT, "user", "u2", "arn:aws:iam::aws:policy/AdministratorAccess")).toBe("ok");
    expect(await putInline(db, ACCT, "user", "u1", "in1", doc("sqs:*"), 10)).toBe("ok");
    expect(await putInline(db, ACCT, "role", "r1", "in-r", doc("sns:*"), 10)).toBe("ok");
    expect(await setBoundary(db, ACCT, "user", "u1", "arn:aws:iam::aws:policy/PowerUserAccess")).toBe("ok");

    const gen0 = (await d1.prepare("SELECT generation FROM accounts WHERE id = ?").bind(ACCT).first<{ generation: number }>())!.generation;
    expect(gen0).toBeGreaterThanOrEqual(6);

    const out = await loadPolicyDocuments(db, ACCT, [{ type: "user", id: "AIDAUSER1" }, { type: "group", id: "AGPAGROUP1" }]);
    expect(out.managed.map((m) => [m.entityType, m.entityId, m.arn, m.defaultVersionId]).sort()).toEqual([
      ["group", "AGPAGROUP1", "arn:aws:iam::aws:policy/ReadOnlyAccess", expect.stringMatching(/^v\d+$/)],
      ["user", "AIDAUSER1", arn, "v2"],
    ].sort());
    expect(out.managed.find((m) => m.arn === arn)!.document).toBe(doc("s3:V2"));
    expect(out.managed.find((m) => m.arn === arn)!.policyId).toBe("ANPAP1");
    expect(JSON.parse(out.managed.find((m) => m.entityType === "group")!.document).Statement).toBeDefined();
    expect(out.inline).toEqual([{ entityType: "user", entityId: "AIDAUSER1", policyName: "in1", document: doc("sqs:*") }]);
    expect(out.boundaries.map((b) => [b.entityId, b.arn])).toEqual([["AIDAUSER1", "arn:aws:iam::aws:policy/PowerUserAccess"]]);

    const role = await loadPolicyDocuments(db, ACCT, [{ type: "role", id: "AROAROLE1" }]);
    expect(role).toEqual({ managed: [], inline: [{ entityType: "role", entityId: "AROAROLE1", policyName: "in-r", document: doc("sns:*") }], boundaries: [] });
    // Scoped by account.
    expect(await loadPolicyDocuments(db, "111111111111", [{ type: "user", id: "AIDAUSER1" }])).toEqual({ managed: [], inline: [], boundaries: [] });
    expect(await loadPolicyDocuments(db, ACCT, [])).toEqual({ managed: [], inline: [], boundaries: [] });
  });
});
