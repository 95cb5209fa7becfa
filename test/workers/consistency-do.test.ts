/**
 * ConsistencyDO's write slot: writes of a lagging account run one at a time, so every generation a
 * write replaces has its snapshot — two concurrent writes used to share one "before", and the
 * intermediate generation then had no snapshot (the data plane saw the later one early).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { unpackSnapshot } from "../../src/consistency/snapshot";

const ACCT = "515151515151";

async function bump(): Promise<number> {
  await env.DB.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ?").bind(ACCT).run();
  return (await env.DB.prepare("SELECT generation FROM accounts WHERE id = ?").bind(ACCT).first<{ generation: number }>())!.generation;
}

describe("ConsistencyDO write slot", () => {
  it("serializes concurrent writes and keeps a snapshot of every generation they replace", async () => {
    await createAccount(getDb(env.DB), ACCT, null, Date.now());
    const stub = env.CONSISTENCY.get(env.CONSISTENCY.idFromName(ACCT));
    await stub.configure({ mode: "fixed", delayMs: 5_000 });
    const g0 = (await env.DB.prepare("SELECT generation FROM accounts WHERE id = ?").bind(ACCT).first<{ generation: number }>())!
      .generation;

    // Two writers arrive together, both having seen generation g0.
    const a = await stub.prepareWrite(ACCT);
    let bGot = false;
    const bPending = stub.prepareWrite(ACCT).then((t) => {
      bGot = true;
      return t;
    });
    // A fixed wait is the point: B must still be waiting for A's slot after it (nothing to await).
    await new Promise((r) => setTimeout(r, 50));
    expect(bGot).toBe(false); // B waits for A's slot
    expect(a!.generation).toBe(g0);
    const g1 = await bump(); // A's write
    // Written to D1, not yet reported: the data plane must not see it yet.
    const between = await stub.view(900, g1);
    expect(between).toMatchObject({ visibleGeneration: g0, pending: 1 });
    expect(between.snapshot?.generation).toBe(g0);
    await stub.commitWrite(a!.generation, g1, 1_000, a!.token);
    const b = await bPending;
    expect(b!.generation).toBe(g1); // B's "before" is A's "after", not g0
    const g2 = await bump(); // B's write
    await stub.commitWrite(b!.generation, g2, 2_000, b!.token);

    // (views in time order: the DO forgets what everyone sees)
    const start = await stub.view(1_500, g2);
    expect(start).toMatchObject({ visibleGeneration: g0, pending: 2 });
    expect(start.snapshot?.generation).toBe(g0);
    // At 6.5 s: A's change is visible, B's is not — the data plane must get g1's snapshot.
    const mid = await stub.view(6_500, g2);
    expect(mid).toMatchObject({ visibleGeneration: g1, pending: 1 });
    expect(mid.snapshot?.generation).toBe(g1);
    expect(await stub.view(7_500, g2)).toMatchObject({ visibleGeneration: g2, pending: 0 });
  });

  it("a failed write (no generation change) still frees the slot", async () => {
    const stub = env.CONSISTENCY.get(env.CONSISTENCY.idFromName(ACCT));
    const t = await stub.prepareWrite(ACCT);
    await stub.commitWrite(t!.generation, t!.generation, Date.now(), t!.token); // e.g. EntityAlreadyExists
    const next = await stub.prepareWrite(ACCT); // would hang if the slot were still held
    expect(next!.generation).toBe(t!.generation);
    await stub.commitWrite(next!.generation, next!.generation, Date.now(), next!.token);
  });

  it("stores each policy document once: 150 users with ReadOnlyAccess fit (one copy each used to overflow the DO's value limit)", async () => {
    const A = "525252525252";
    await createAccount(getDb(env.DB), A, null, Date.now());
    const now = "2026-01-01T00:00:00Z";
    const stmts: D1PreparedStatement[] = [];
    for (let i = 0; i < 150; i++) {
      stmts.push(
        env.DB.prepare(
          "INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES (?, ?, ?, ?, '/', ?, ?)",
        ).bind(`AIDABIG${i}`, A, `u${i}`, `u${i}`, `arn:aws:iam::${A}:user/u${i}`, now),
      );
      stmts.push(
        env.DB.prepare(
          "INSERT INTO policy_attachments (account_id, entity_type, entity_id, policy_arn) VALUES (?, 'user', ?, 'arn:aws:iam::aws:policy/ReadOnlyAccess')",
        ).bind(A, `AIDABIG${i}`),
      );
    }
    await env.DB.batch(stmts);
    const stub = env.CONSISTENCY.get(env.CONSISTENCY.idFromName(A));
    await stub.configure({ mode: "fixed", delayMs: 5_000 });
    const t = await stub.prepareWrite(A);
    const g0 = t!.generation;
    await env.DB.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ?").bind(A).run();
    await stub.commitWrite(g0, g0 + 1, 1_000, t!.token);
    const view = await stub.view(2_000, g0 + 1);
    expect(view.visibleGeneration).toBe(g0);
    expect(Object.keys(view.snapshot!.docs)).toHaveLength(1);
    const snap = unpackSnapshot(view.snapshot!);
    const rows = snap.principals["user/AIDABIG149"]!;
    expect(rows.map((r) => [r.slot, r.id])).toEqual([["identity", "arn:aws:iam::aws:policy/ReadOnlyAccess"]]);
    expect(JSON.parse(rows[0]!.body).Statement.length).toBeGreaterThan(0);
    expect(snap.principals["user/AIDABIG0"]![0]!.body).toBe(rows[0]!.body);
    const stored = async (): Promise<string[]> =>
      runInDurableObject(stub, async (_o, state) => [...(await state.storage.list()).keys()].filter((k) => /^(snap|doc):/.test(k)));
    expect((await stored()).filter((k) => k.startsWith("doc:"))).toHaveLength(1);
    // Once nothing is pending, the snapshots and their documents are dropped.
    expect(await stub.view(7_000, g0 + 1)).toMatchObject({ visibleGeneration: g0 + 1, pending: 0 });
    expect(await stored()).toEqual([]);
  });

  it("keeps the account's bucket policies in each snapshot, by bucket ARN, each document once", async () => {
    const A = "535353535353";
    await createAccount(getDb(env.DB), A, null, Date.now());
    const doc = (b: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: A }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` }],
      });
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO s3_buckets (name, account_id, region, create_date, policy) VALUES (?, ?, 'us-east-1', '2026-01-01T00:00:00Z', ?)",
      ).bind("snap-with", A, doc("snap-with")),
      env.DB.prepare(
        "INSERT INTO s3_buckets (name, account_id, region, create_date) VALUES (?, ?, 'us-east-1', '2026-01-01T00:00:00Z')",
      ).bind("snap-without", A),
    ]);
    const stub = env.CONSISTENCY.get(env.CONSISTENCY.idFromName(A));
    await stub.configure({ mode: "fixed", delayMs: 5_000 });
    const t = await stub.prepareWrite(A);
    const g0 = t!.generation;
    // The write: the policy is removed (and the generation moves).
    await env.DB.batch([
      env.DB.prepare("UPDATE s3_buckets SET policy = NULL, policy_generation = ? WHERE name = 'snap-with'").bind(g0 + 1),
      env.DB.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ?").bind(A),
    ]);
    await stub.commitWrite(g0, g0 + 1, 1_000, t!.token);
    const view = await stub.view(2_000, g0 + 1);
    expect(view.visibleGeneration).toBe(g0);
    const snap = unpackSnapshot(view.snapshot!);
    expect(snap.resourcePolicies).toEqual({ "arn:aws:s3:::snap-with": doc("snap-with") });
  });
});
