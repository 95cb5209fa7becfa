import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount, deleteAccount, ensureDefaultAccount, getAccount } from "../../src/store/accounts";
import { lookupAccessKey } from "../../src/store/credentials";
import type { ConsistencyDO } from "../../src/consistency/consistency-do";

describe("accounts store (D1 inside workerd)", () => {
  it("creates an account with its root key atomically and refuses a taken id", async () => {
    const db = getDb(env.DB);
    const a = await createAccount(db, "111122223333", null, Date.UTC(2026, 0, 1));
    expect(a?.accountId).toBe("111122223333");
    const key = await lookupAccessKey(db, a!.rootAccessKeyId);
    expect(key).toMatchObject({ accountId: "111122223333", userId: null, status: "Active", generation: 0 });
    expect(await createAccount(db, "111122223333", null, Date.now())).toBeNull();
  });

  it("rolls the whole account back when its alias is taken", async () => {
    const db = getDb(env.DB);
    await createAccount(db, "222233334444", "taken-alias", Date.now());
    await expect(createAccount(db, "555566667777", "taken-alias", Date.now())).rejects.toThrow(/UNIQUE/);
    expect(await getAccount(db, "555566667777")).toBeUndefined();
  });

  it("deletes an account with every row it owns and nothing of another account", async () => {
    const db = getDb(env.DB);
    const a = (await createAccount(db, "333344445555", null, Date.now()))!;
    const b = (await createAccount(db, "444455556666", null, Date.now()))!;
    expect(await deleteAccount(db, a.accountId)).toBe(true);
    expect(await lookupAccessKey(db, a.rootAccessKeyId)).toBeUndefined();
    expect(await lookupAccessKey(db, b.rootAccessKeyId)).toBeDefined();
    expect(await deleteAccount(db, a.accountId)).toBe(false);
  });

  it("ensureDefaultAccount is idempotent and follows a rotated configured secret", async () => {
    const db = getDb(env.DB);
    await ensureDefaultAccount(db, "123456789012", "AKIAIOSFODNN7EXAMPLE", "s1", Date.now());
    await ensureDefaultAccount(db, "123456789012", "AKIAIOSFODNN7EXAMPLE", "s2", Date.now());
    expect((await lookupAccessKey(db, "AKIAIOSFODNN7EXAMPLE"))?.secret).toBe("s2");
  });
});

describe("Durable Object bindings", () => {
  it("hosts the per-account STS sessions and consistency objects", async () => {
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName("123456789012"));
    expect(await stub.ping()).toBe("ok");
    const c = env.CONSISTENCY.get(env.CONSISTENCY.idFromName("123456789012"));
    expect(await runInDurableObject(c, (instance) => (instance as unknown as ConsistencyDO).ping())).toBe("ok");
  });
});
