/** loadPrincipalPolicies (the one policy loader: authorizer, snapshot, simulator) against D1 inside workerd: one query, every kind of policy. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { createPolicy, createVersion, setDefaultVersion } from "../../src/store/iam-policies";
import { addUserToGroup } from "../../src/store/iam-groups";
import { loadAccountPolicies, loadPrincipalPolicies, type PolicyRow } from "../../src/store/authz";
import { lookupAccessKeyWithPolicies } from "../../src/store/credentials";
import { attachPolicy, putInline, setBoundary } from "../../src/store/iam-attachments";
import { allowDoc as doc } from "../helpers/documents";

const ACCT = "909090909090";

describe("loadPrincipalPolicies", () => {
  it("returns attached (customer default version + AWS-managed), inline and boundary policies of the principal (and its groups) only", async () => {
    const db = getDb(env.DB);
    await createAccount(db, ACCT, null, Date.now());
    const d1 = env.DB;
    const now = "2026-01-01T00:00:00Z";
    await d1.batch([
      d1
        .prepare(
          "INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES ('AIDAUSER1', ?, 'u1', 'u1', '/', ?, ?)",
        )
        .bind(ACCT, `arn:aws:iam::${ACCT}:user/u1`, now),
      d1
        .prepare(
          "INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES ('AIDAUSER2', ?, 'u2', 'u2', '/', ?, ?)",
        )
        .bind(ACCT, `arn:aws:iam::${ACCT}:user/u2`, now),
      d1
        .prepare(
          "INSERT INTO groups (group_id, account_id, group_name, name_lower, path, arn, create_date) VALUES ('AGPAGROUP1', ?, 'g1', 'g1', '/', ?, ?)",
        )
        .bind(ACCT, `arn:aws:iam::${ACCT}:group/g1`, now),
      d1
        .prepare(
          "INSERT INTO roles (role_id, account_id, role_name, name_lower, path, arn, create_date, assume_role_policy_document) VALUES ('AROAROLE1', ?, 'r1', 'r1', '/', ?, ?, '{}')",
        )
        .bind(ACCT, `arn:aws:iam::${ACCT}:role/r1`, now),
    ]);
    const arn = `arn:aws:iam::${ACCT}:policy/p1`;
    expect(
      await createPolicy(db, ACCT, {
        policyId: "ANPAP1",
        policyName: "p1",
        path: "/",
        arn,
        document: doc("s3:V1"),
        createDate: now,
        tags: [],
      }),
    ).toBe("ok");
    expect((await createVersion(db, ACCT, arn, doc("s3:V2"), false, now)).ok).toBe(true);
    expect(await setDefaultVersion(db, ACCT, arn, "v2")).toBe("ok");
    expect(await attachPolicy(db, ACCT, "user", "u1", arn)).toBe("ok");
    expect(await attachPolicy(db, ACCT, "group", "g1", "arn:aws:iam::aws:policy/ReadOnlyAccess")).toBe("ok");
    expect(await attachPolicy(db, ACCT, "user", "u2", "arn:aws:iam::aws:policy/AdministratorAccess")).toBe("ok");
    expect(await putInline(db, ACCT, "user", "u1", "in1", doc("sqs:*"), 10)).toBe("ok");
    expect(await putInline(db, ACCT, "role", "r1", "in-r", doc("sns:*"), 10)).toBe("ok");
    expect(await setBoundary(db, ACCT, "user", "u1", "arn:aws:iam::aws:policy/PowerUserAccess")).toBe("ok");
    expect(await addUserToGroup(db, ACCT, "g1", "u1")).toEqual({ ok: true });

    const gen0 = (await d1.prepare("SELECT generation FROM accounts WHERE id = ?").bind(ACCT).first<{ generation: number }>())!.generation;
    expect(gen0).toBeGreaterThanOrEqual(6);

    const identity = (rows: PolicyRow[]) => rows.filter((r) => r.slot === "identity");
    const out = await loadPrincipalPolicies(db, ACCT, "user", "AIDAUSER1");
    const managed = identity(out).filter((r) => r.version !== "");
    expect(managed.map((m) => [m.id, m.version]).sort()).toEqual(
      [
        ["arn:aws:iam::aws:policy/ReadOnlyAccess", expect.stringMatching(/^v\d+$/)],
        [arn, "v2"],
      ].sort(),
    );
    expect(managed.find((m) => m.id === arn)!.body).toBe(doc("s3:V2"));
    expect(JSON.parse(managed.find((m) => m.id.endsWith("/ReadOnlyAccess"))!.body).Statement).toBeDefined();
    expect(identity(out).filter((r) => r.version === "")).toEqual([
      { slot: "identity", id: "user/AIDAUSER1:inline/in1", version: "", body: doc("sqs:*") },
    ]);
    expect(out.filter((r) => r.slot === "boundary").map((b) => b.id)).toEqual(["arn:aws:iam::aws:policy/PowerUserAccess"]);
    expect(out.filter((r) => r.slot === "tag")).toEqual([]);

    // A group (the simulator): its own policies only.
    expect((await loadPrincipalPolicies(db, ACCT, "group", "AGPAGROUP1")).map((r) => [r.slot, r.id])).toEqual([
      ["identity", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
    ]);
    const role = await loadPrincipalPolicies(db, ACCT, "role", "AROAROLE1");
    expect(role).toEqual([{ slot: "identity", id: "role/AROAROLE1:inline/in-r", version: "", body: doc("sns:*") }]);
    // Scoped by account.
    expect(await loadPrincipalPolicies(db, "111111111111", "user", "AIDAUSER1")).toEqual([]);
    expect(await loadPrincipalPolicies(db, ACCT, "user", "AIDANOSUCHUSER")).toEqual([]);

    // The hot path's cold read: a key and its user's policies in one batch, same rows as above.
    await d1.batch([
      d1
        .prepare(
          "INSERT INTO access_keys (access_key_id, account_id, user_id, user_name, secret, create_date) VALUES ('AKIAUSERKEY1', ?, 'AIDAUSER1', 'u1', 's', ?)",
        )
        .bind(ACCT, now),
      d1
        .prepare(
          "INSERT INTO access_keys (access_key_id, account_id, user_id, user_name, secret, create_date) VALUES ('AKIAROOTKEY1', ?, NULL, NULL, 's', ?)",
        )
        .bind(ACCT, now),
    ]);
    const byKey = await lookupAccessKeyWithPolicies(db, "AKIAUSERKEY1");
    expect(byKey.key).toMatchObject({ accountId: ACCT, userId: "AIDAUSER1", userName: "u1", generation: gen0 });
    const sort = (rows: PolicyRow[]) => [...rows].sort((a, b) => `${a.slot}${a.id}`.localeCompare(`${b.slot}${b.id}`));
    expect(sort(byKey.policies)).toEqual(sort(out));
    expect(await lookupAccessKeyWithPolicies(db, "AKIAROOTKEY1")).toMatchObject({ key: { userId: null }, policies: [] });
    expect(await lookupAccessKeyWithPolicies(db, "AKIANOSUCHKEY")).toEqual({ key: undefined, policies: [] });

    // The consistency snapshot's read: every user's / role's rows in one query each, same rows.
    const users = await loadAccountPolicies(db, ACCT, "user");
    expect(sort(users.get("AIDAUSER1")!)).toEqual(sort(out));
    expect(sort(users.get("AIDAUSER2")!)).toEqual(sort(await loadPrincipalPolicies(db, ACCT, "user", "AIDAUSER2")));
    expect([...users.keys()].sort()).toEqual(["AIDAUSER1", "AIDAUSER2"]);
    const roles = await loadAccountPolicies(db, ACCT, "role");
    expect([...roles.entries()]).toEqual([["AROAROLE1", role]]);
    expect((await loadAccountPolicies(db, "111111111111", "user")).size).toBe(0);
  });
});
