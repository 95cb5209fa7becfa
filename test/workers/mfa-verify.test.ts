import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { enableDevice, insertDevice, verifyMfaCode, ROOT_USER_ID } from "../../src/store/iam-mfa";
import type { Write } from "../../src/store/write";
import { hotp, newTotpSeed, timeStep } from "../../src/lib/totp";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);

async function setup(account: string, userId: string) {
  userId = userId === ROOT_USER_ID ? userId : `AIDAUSER${account}`;
  const db = getDb(env.DB);
  await createAccount(db, account, null, T0);
  await db.$client
    .prepare(`INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES (?, ?, 'u', 'u', '/', ?, ?)`)
    .bind(`AIDAUSER${account}`, account, `arn:aws:iam::${account}:user/u`, "2026-11-23T12:00:00Z")
    .run();
  const seed = newTotpSeed();
  const serial = `arn:aws:iam::${account}:mfa/dev`;
  const w: Write = { db, account, effect: "write" };
  expect(await insertDevice(w, { serialNumber: serial, deviceName: "dev", path: "/", seed, createDate: "2026-11-23T12:00:00Z" }, [])).toBe(
    "ok",
  );
  // Enabled with the codes of steps T0-2 and T0-1.
  expect(await enableDevice(w, serial, userId, "2026-11-23T12:00:05Z", timeStep(T0) - 1)).toEqual({ ok: true });
  return { db, seed, serial, userId };
}

describe("verifyMfaCode (for STS)", () => {
  it("accepts a fresh code of the assigned user once, within ±1 step, and never again", async () => {
    const { db, seed, serial, userId: u } = await setup("700000000001", "user");
    const step = timeStep(T0);
    const code = await hotp(seed, step);
    expect(await verifyMfaCode(db, "700000000001", serial, code, T0, "AIDAOTHER")).toBe(false); // other user
    expect(await verifyMfaCode(db, "700000000002", serial, code, T0, u)).toBe(false); // other account
    expect(await verifyMfaCode(db, "700000000001", serial, code, T0, u)).toBe(true);
    expect(await verifyMfaCode(db, "700000000001", serial, code, T0, u)).toBe(false); // replay
    // The code of the previous step is older than the one used: refused too.
    expect(await verifyMfaCode(db, "700000000001", serial, await hotp(seed, step - 1), T0, u)).toBe(false);
    // The next step's code is accepted 30 s later (and also as clock skew now).
    expect(await verifyMfaCode(db, "700000000001", serial, await hotp(seed, step + 1), T0 + 30_000, u)).toBe(true);
    // Too far in the future / past.
    expect(await verifyMfaCode(db, "700000000001", serial, await hotp(seed, step + 5), T0 + 30_000, u)).toBe(false);
    expect(await verifyMfaCode(db, "700000000001", serial, "12345", T0, u)).toBe(false);
    expect(await verifyMfaCode(db, "700000000001", `${serial}x`, code, T0, u)).toBe(false);
  });

  it("the codes used to enable the device cannot be used to sign in", async () => {
    const { db, seed, serial, userId: u } = await setup("700000000003", "user");
    const step = timeStep(T0);
    expect(await verifyMfaCode(db, "700000000003", serial, await hotp(seed, step - 1), T0, u)).toBe(false);
    expect(await verifyMfaCode(db, "700000000003", serial, await hotp(seed, step), T0, u)).toBe(true);
  });

  it("concurrent uses of one code: exactly one succeeds", async () => {
    const { db, seed, serial } = await setup("700000000004", ROOT_USER_ID);
    const code = await hotp(seed, timeStep(T0));
    const res = await Promise.all(Array.from({ length: 10 }, () => verifyMfaCode(db, "700000000004", serial, code, T0, ROOT_USER_ID)));
    expect(res.filter(Boolean)).toHaveLength(1);
  });
});
