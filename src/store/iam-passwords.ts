/**
 * Console passwords in D1: the account password policy (password_policies, the PasswordPolicy
 * fields as JSON), login profiles (login_profiles, a PBKDF2 hash per user) and the history of
 * hashes (password_history) behind PasswordReusePrevention. Each write is one batch.
 */
import type { Db } from "./db";
import type { PasswordPolicy } from "../lib/password";

/** PasswordReusePrevention allows at most 24 previous passwords; older history is pruned. */
export const PASSWORD_HISTORY_MAX = 24;

export async function getPasswordPolicy(db: Db, accountId: string): Promise<PasswordPolicy | null> {
  const row = await db.$client
    .prepare(`SELECT policy FROM password_policies WHERE account_id = ?`)
    .bind(accountId)
    .first<{ policy: string }>();
  return row ? (JSON.parse(row.policy) as PasswordPolicy) : null;
}

export async function putPasswordPolicy(db: Db, accountId: string, policy: PasswordPolicy): Promise<void> {
  await db.$client
    .prepare(
      `INSERT INTO password_policies (account_id, policy) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET policy = excluded.policy`,
    )
    .bind(accountId, JSON.stringify(policy))
    .run();
}

export async function deletePasswordPolicy(db: Db, accountId: string): Promise<boolean> {
  const res = await db.$client.prepare(`DELETE FROM password_policies WHERE account_id = ?`).bind(accountId).run();
  return res.meta.changes > 0;
}

export interface LoginProfileRow {
  userId: string;
  passwordHash: string;
  createDate: string;
  passwordResetRequired: boolean;
  passwordLastChanged: string;
}

export async function getLoginProfile(db: Db, accountId: string, userId: string): Promise<LoginProfileRow | null> {
  const row = await db.$client
    .prepare(`SELECT user_id AS userId, password_hash AS passwordHash, create_date AS createDate,
        password_reset_required AS passwordResetRequired, password_last_changed AS passwordLastChanged
      FROM login_profiles WHERE account_id = ? AND user_id = ?`)
    .bind(accountId, userId)
    .first<Omit<LoginProfileRow, "passwordResetRequired"> & { passwordResetRequired: number }>();
  return row ? { ...row, passwordResetRequired: !!row.passwordResetRequired } : null;
}

/** The most recent password hashes of a user, newest first (the current password included). */
export async function recentPasswordHashes(db: Db, accountId: string, userId: string, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const { results } = await db.$client
    .prepare(`SELECT password_hash AS h FROM password_history WHERE account_id = ? AND user_id = ? ORDER BY rowid DESC LIMIT ?`)
    .bind(accountId, userId, n)
    .all<{ h: string }>();
  return results.map((r) => r.h);
}

function historyStatements(db: Db, accountId: string, userId: string, hash: string, when: string): D1PreparedStatement[] {
  const d1 = db.$client;
  return [
    d1
      .prepare(`INSERT INTO password_history (account_id, user_id, password_hash, changed_at) SELECT ?1, ?2, ?3, ?4 WHERE changes() > 0`)
      .bind(accountId, userId, hash, when),
    d1
      .prepare(`DELETE FROM password_history WHERE account_id = ?1 AND user_id = ?2 AND rowid NOT IN
        (SELECT rowid FROM password_history WHERE account_id = ?1 AND user_id = ?2 ORDER BY rowid DESC LIMIT ?3)`)
      .bind(accountId, userId, PASSWORD_HISTORY_MAX),
  ];
}

export type CreateProfileResult = "created" | "exists" | "noUser";

/** Creates the login profile of an existing user (and records the password in its history). */
export async function createLoginProfile(
  db: Db,
  accountId: string,
  userId: string,
  hash: string,
  now: string,
  resetRequired: boolean,
): Promise<CreateProfileResult> {
  const d1 = db.$client;
  const [ins] = await d1.batch([
    d1
      .prepare(`INSERT INTO login_profiles (user_id, account_id, password_hash, create_date, password_reset_required, password_last_changed)
        SELECT ?1, ?2, ?3, ?4, ?5, ?4 WHERE EXISTS (SELECT 1 FROM users WHERE account_id = ?2 AND user_id = ?1)
        ON CONFLICT (user_id) DO NOTHING RETURNING user_id`)
      .bind(userId, accountId, hash, now, resetRequired ? 1 : 0),
    ...historyStatements(db, accountId, userId, hash, now),
  ]);
  if ((ins?.results.length ?? 0) > 0) return "created";
  const exists = await d1.prepare(`SELECT 1 AS x FROM login_profiles WHERE account_id = ? AND user_id = ?`).bind(accountId, userId).first();
  return exists ? "exists" : "noUser";
}

/**
 * Sets a new password and/or the reset flag; false when the user has no login profile.
 * `expectHash` (ChangePassword) makes the update conditional on the password not having
 * changed since it was verified.
 */
export async function updateLoginProfile(
  db: Db,
  accountId: string,
  userId: string,
  u: { hash?: string; resetRequired?: boolean; now: string; expectHash?: string },
): Promise<boolean> {
  const d1 = db.$client;
  const sets: string[] = [];
  const binds: unknown[] = [accountId, userId];
  if (u.hash !== undefined) {
    binds.push(u.hash, u.now);
    sets.push(`password_hash = ?${binds.length - 1}`, `password_last_changed = ?${binds.length}`);
  }
  if (u.resetRequired !== undefined) {
    binds.push(u.resetRequired ? 1 : 0);
    sets.push(`password_reset_required = ?${binds.length}`);
  }
  let guard = "";
  if (u.expectHash !== undefined) {
    binds.push(u.expectHash);
    guard = ` AND password_hash = ?${binds.length}`;
  }
  // No field to change: still report whether the profile exists.
  const set = sets.length ? sets.join(", ") : "user_id = user_id";
  const stmts = [
    d1.prepare(`UPDATE login_profiles SET ${set} WHERE account_id = ?1 AND user_id = ?2${guard} RETURNING user_id`).bind(...binds),
  ];
  if (u.hash !== undefined) stmts.push(...historyStatements(db, accountId, userId, u.hash, u.now));
  const [upd] = await d1.batch(stmts);
  return (upd?.results.length ?? 0) > 0;
}

/** Deletes the login profile and its password history; false when there was none. */
export async function deleteLoginProfile(db: Db, accountId: string, userId: string): Promise<boolean> {
  const d1 = db.$client;
  const [del] = await d1.batch([
    d1.prepare(`DELETE FROM login_profiles WHERE account_id = ? AND user_id = ? RETURNING user_id`).bind(accountId, userId),
    d1
      .prepare(`DELETE FROM password_history WHERE account_id = ?1 AND user_id = ?2
        AND NOT EXISTS (SELECT 1 FROM login_profiles WHERE account_id = ?1 AND user_id = ?2)`)
      .bind(accountId, userId),
  ]);
  return (del?.results.length ?? 0) > 0;
}
