/**
 * Console passwords in D1, in the store's one dialect (src/store/db.ts): the account password
 * policy (password_policies, the PasswordPolicy fields as JSON), login profiles (login_profiles, a
 * PBKDF2 hash per user) and the history of hashes (password_history) behind
 * PasswordReusePrevention. Each write is one batch (src/store/write.ts).
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { labPasswords, loginProfiles, passwordHistory, passwordPolicies, users } from "./schema";
import { writeBatch, type Write } from "./write";
import type { PasswordPolicy } from "../lib/password";

/** PasswordReusePrevention allows at most 24 previous passwords; older history is pruned. */
export const PASSWORD_HISTORY_MAX = 24;

export async function getPasswordPolicy(db: Db, accountId: string): Promise<PasswordPolicy | null> {
  const row = await first<{ policy: string }>(
    db,
    sql`SELECT ${passwordPolicies.policy} AS "policy" FROM ${passwordPolicies} WHERE ${passwordPolicies.accountId} = ${accountId}`,
  );
  return row ? (JSON.parse(row.policy) as PasswordPolicy) : null;
}

/** The account's password policy set (replaced), as one statement of a batch. */
export function putPasswordPolicyStmt(db: Db, accountId: string, policy: PasswordPolicy): D1PreparedStatement {
  const t = passwordPolicies;
  return statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.policy)}) VALUES (${accountId}, ${JSON.stringify(policy)})
      ON CONFLICT (${bare(t.accountId)}) DO UPDATE SET ${bare(t.policy)} = excluded.${bare(t.policy)}`,
  );
}

export function deletePasswordPolicyStmt(db: Db, accountId: string): D1PreparedStatement {
  return statement(db, sql`DELETE FROM ${passwordPolicies} WHERE ${passwordPolicies.accountId} = ${accountId}`);
}

export async function putPasswordPolicy(w: Write, policy: PasswordPolicy): Promise<void> {
  await writeBatch(w, [putPasswordPolicyStmt(w.db, w.account, policy)]);
}

export async function deletePasswordPolicy(w: Write): Promise<boolean> {
  const [res] = await writeBatch(w, [deletePasswordPolicyStmt(w.db, w.account)]);
  return (res?.meta.changes ?? 0) > 0;
}

/** A login profile as the store returns it: every column of `login_profiles` but account_id. */
export type LoginProfileRow = Row<typeof loginProfiles, "accountId">;

/** The login profile of `userId` (WHERE fragment). */
const profileOf = (accountId: string, userId: string) =>
  sql`${loginProfiles.accountId} = ${accountId} AND ${loginProfiles.userId} = ${userId}`;

export async function getLoginProfile(db: Db, accountId: string, userId: string): Promise<LoginProfileRow | null> {
  // A raw query: the boolean column comes back as SQLite's 0/1.
  const row = await first<Omit<LoginProfileRow, "passwordResetRequired"> & { passwordResetRequired: number }>(
    db,
    sql`SELECT ${selectList(loginProfiles, ["accountId"])} FROM ${loginProfiles} WHERE ${profileOf(accountId, userId)}`,
  );
  return row ? { ...row, passwordResetRequired: !!row.passwordResetRequired } : null;
}

/** The password history of `userId` (WHERE fragment). */
const historyOf = (accountId: string, userId: string) =>
  sql`${passwordHistory.accountId} = ${accountId} AND ${passwordHistory.userId} = ${userId}`;

/** The most recent password hashes of a user, newest first (the current password included). */
export async function recentPasswordHashes(db: Db, accountId: string, userId: string, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const rows = await all<{ h: string }>(
    db,
    sql`SELECT ${passwordHistory.passwordHash} AS h FROM ${passwordHistory} WHERE ${historyOf(accountId, userId)} ORDER BY rowid DESC LIMIT ${n}`,
  );
  return rows.map((r) => r.h);
}

/** After a statement that set the password: records it in the history (only when that statement changed a row) and prunes the history. */
function historyStatements(db: Db, accountId: string, userId: string, hash: string, when: string): D1PreparedStatement[] {
  const t = passwordHistory;
  return [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.userId)}, ${bare(t.passwordHash)}, ${bare(t.changedAt)})
        SELECT ${accountId}, ${userId}, ${hash}, ${when} WHERE changes() > 0`,
    ),
    statement(
      db,
      sql`DELETE FROM ${t} WHERE ${historyOf(accountId, userId)} AND rowid NOT IN
        (SELECT rowid FROM ${t} WHERE ${historyOf(accountId, userId)} ORDER BY rowid DESC LIMIT ${PASSWORD_HISTORY_MAX})`,
    ),
  ];
}

/** Labs (src/labs/): a new user's login profile (and its first history entry), as statements of a batch. */
export function insertLoginProfileStmts(
  db: Db,
  accountId: string,
  userId: string,
  hash: string,
  now: string,
  resetRequired: boolean,
): D1PreparedStatement[] {
  const t = loginProfiles;
  return [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.userId)}, ${bare(t.accountId)}, ${bare(t.passwordHash)}, ${bare(t.createDate)},
          ${bare(t.passwordResetRequired)}, ${bare(t.passwordLastChanged)})
        VALUES (${userId}, ${accountId}, ${hash}, ${now}, ${resetRequired ? 1 : 0}, ${now})`,
    ),
    ...historyStatements(db, accountId, userId, hash, now),
  ];
}

/** Labs: remembers the hash a lab gave the user (a reset restores it). */
export function rememberLabPasswordStmt(db: Db, accountId: string, userId: string, hash: string): D1PreparedStatement {
  const l = labPasswords;
  return statement(
    db,
    sql`INSERT INTO ${l} (${bare(l.userId)}, ${bare(l.accountId)}, ${bare(l.passwordHash)}) VALUES (${userId}, ${accountId}, ${hash})
      ON CONFLICT (${bare(l.userId)}) DO UPDATE SET ${bare(l.passwordHash)} = excluded.${bare(l.passwordHash)}, ${bare(l.accountId)} = excluded.${bare(l.accountId)}`,
  );
}

/**
 * Labs' reset: the lab's password back over one the learner changed (with the template's
 * reset-required flag); nothing when it is unchanged or the lab never set one.
 */
export function restoreLabPasswordStmt(
  db: Db,
  accountId: string,
  userId: string,
  resetRequired: boolean,
  now: string,
): D1PreparedStatement {
  const t = loginProfiles;
  const l = labPasswords;
  const lab = sql`(SELECT ${l.passwordHash} FROM ${l} WHERE ${l.userId} = ${userId} AND ${l.accountId} = ${accountId})`;
  return statement(
    db,
    sql`UPDATE ${t} SET ${bare(t.passwordHash)} = ${lab}, ${bare(t.passwordResetRequired)} = ${resetRequired ? 1 : 0},
        ${bare(t.passwordLastChanged)} = ${now}
      WHERE ${profileOf(accountId, userId)} AND ${lab} IS NOT NULL AND ${lab} != ${t.passwordHash}`,
  );
}

/** Labs: the reset-required flag of a login profile. */
export function setPasswordResetRequiredStmt(db: Db, accountId: string, userId: string, resetRequired: boolean): D1PreparedStatement {
  return statement(
    db,
    sql`UPDATE ${loginProfiles} SET ${bare(loginProfiles.passwordResetRequired)} = ${resetRequired ? 1 : 0} WHERE ${profileOf(accountId, userId)}`,
  );
}

/** Labs: a login profile removed. */
export function deleteLoginProfileStmt(db: Db, accountId: string, userId: string): D1PreparedStatement {
  return statement(db, sql`DELETE FROM ${loginProfiles} WHERE ${profileOf(accountId, userId)}`);
}

export type CreateProfileResult = "created" | "exists" | "noUser";

/** Creates the login profile of an existing user (and records the password in its history). */
export async function createLoginProfile(
  w: Write,
  userId: string,
  hash: string,
  now: string,
  resetRequired: boolean,
): Promise<CreateProfileResult> {
  const { db, account: accountId } = w;
  const t = loginProfiles;
  const [ins] = await writeBatch(w, [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.userId)}, ${bare(t.accountId)}, ${bare(t.passwordHash)}, ${bare(t.createDate)},
          ${bare(t.passwordResetRequired)}, ${bare(t.passwordLastChanged)})
        SELECT ${userId}, ${accountId}, ${hash}, ${now}, ${resetRequired ? 1 : 0}, ${now}
        WHERE EXISTS (SELECT 1 FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.userId} = ${userId})
        ON CONFLICT (${bare(t.userId)}) DO NOTHING RETURNING ${bare(t.userId)}`,
    ),
    ...historyStatements(db, accountId, userId, hash, now),
  ]);
  if ((ins?.results.length ?? 0) > 0) return "created";
  const exists = await first(db, sql`SELECT 1 AS x FROM ${t} WHERE ${profileOf(accountId, userId)}`);
  return exists ? "exists" : "noUser";
}

/**
 * Sets a new password and/or the reset flag; false when the user has no login profile.
 * `expectHash` (ChangePassword) makes the update conditional on the password not having
 * changed since it was verified.
 */
export async function updateLoginProfile(
  w: Write,
  userId: string,
  u: { hash?: string; resetRequired?: boolean; now: string; expectHash?: string },
): Promise<boolean> {
  const { db, account: accountId } = w;
  const t = loginProfiles;
  const sets: SQL[] = [];
  if (u.hash !== undefined) sets.push(sql`${bare(t.passwordHash)} = ${u.hash}`, sql`${bare(t.passwordLastChanged)} = ${u.now}`);
  if (u.resetRequired !== undefined) sets.push(sql`${bare(t.passwordResetRequired)} = ${u.resetRequired ? 1 : 0}`);
  // No field to change: still report whether the profile exists.
  if (!sets.length) sets.push(sql`${bare(t.userId)} = ${bare(t.userId)}`);
  const guard = u.expectHash !== undefined ? sql` AND ${t.passwordHash} = ${u.expectHash}` : sql``;
  const stmts = [
    statement(
      db,
      sql`UPDATE ${t} SET ${sql.join(sets, sql`, `)} WHERE ${profileOf(accountId, userId)}${guard} RETURNING ${bare(t.userId)}`,
    ),
  ];
  if (u.hash !== undefined) stmts.push(...historyStatements(db, accountId, userId, u.hash, u.now));
  const [upd] = await writeBatch(w, stmts);
  return (upd?.results.length ?? 0) > 0;
}

/** Deletes the login profile and its password history; false when there was none. */
export async function deleteLoginProfile(w: Write, userId: string): Promise<boolean> {
  const { db, account: accountId } = w;
  const [del] = await writeBatch(w, [
    statement(db, sql`DELETE FROM ${loginProfiles} WHERE ${profileOf(accountId, userId)} RETURNING ${bare(loginProfiles.userId)}`),
    statement(
      db,
      sql`DELETE FROM ${passwordHistory} WHERE ${historyOf(accountId, userId)}
        AND NOT EXISTS (SELECT 1 FROM ${loginProfiles} WHERE ${profileOf(accountId, userId)})`,
    ),
  ]);
  return (del?.results.length ?? 0) > 0;
}
