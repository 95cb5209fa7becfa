/**
 * The console's own rows (issue 20): sessions (by the SHA-256 of their id), failed sign-ins per
 * account and user name, and the root user's console password. Bookkeeping outside any action:
 * the plain `Db`, each change one statement.
 */
import { sql } from "drizzle-orm";
import { bare, first, selectList, statement, type Db, type Row } from "./db";
import { accounts, consoleSamlUsed, consoleSessions, consoleSigninFailures, consoleSigninTokens } from "./schema";

export type ConsoleSessionRow = Row<typeof consoleSessions>;
export type ConsoleStage = "mfa" | "password" | "active";

/** Inserts a session; the account's expired sessions go in the same batch (nothing else prunes them). */
export async function insertConsoleSession(db: Db, row: ConsoleSessionRow): Promise<void> {
  const t = consoleSessions;
  const cols = Object.entries(row) as [keyof ConsoleSessionRow, unknown][];
  const prune = statement(db, sql`DELETE FROM ${t} WHERE ${t.accountId} = ${row.accountId} AND ${t.expiresAt} <= ${row.createdAt}`);
  const insert = statement(
    db,
    sql`INSERT INTO ${t} (${sql.join(
      cols.map(([k]) => bare(t[k])),
      sql`, `,
    )}) VALUES (${sql.join(
      cols.map(([, v]) => sql`${v ?? null}`),
      sql`, `,
    )})`,
  );
  await db.$client.batch([prune, insert]);
}

/** A live session (not expired at `now`), or undefined. */
export async function getConsoleSession(db: Db, idHash: string, now: number): Promise<ConsoleSessionRow | undefined> {
  const t = consoleSessions;
  return first<ConsoleSessionRow>(db, sql`SELECT ${selectList(t)} FROM ${t} WHERE ${t.idHash} = ${idHash} AND ${t.expiresAt} > ${now}`);
}

export async function deleteConsoleSession(db: Db, idHash: string): Promise<void> {
  await statement(db, sql`DELETE FROM ${consoleSessions} WHERE ${consoleSessions.idHash} = ${idHash}`).run();
}

/** The fields a stage change or Switch Role sets; `null` clears a field. */
export type ConsoleSessionUpdate = Partial<
  Pick<
    ConsoleSessionRow,
    | "stage"
    | "mfaTime"
    | "stsAccessKeyId"
    | "stsToken"
    | "roleArn"
    | "roleDisplay"
    | "roleAccessKeyId"
    | "roleToken"
    | "roleExpiresAt"
    | "expiresAt"
  >
>;

export async function updateConsoleSession(db: Db, idHash: string, u: ConsoleSessionUpdate): Promise<void> {
  const t = consoleSessions;
  const sets = (Object.entries(u) as [keyof ConsoleSessionUpdate, unknown][]).map(([k, v]) => sql`${bare(t[k])} = ${v ?? null}`);
  if (!sets.length) return;
  await statement(db, sql`UPDATE ${t} SET ${sql.join(sets, sql`, `)} WHERE ${t.idHash} = ${idHash}`).run();
}

// ---------------------------------------------------------------- failed sign-ins

export interface SigninFailures {
  failures: number;
  firstFailure: number;
  lockedUntil: number | null;
}

export async function getSigninFailures(db: Db, accountId: string, userKey: string): Promise<SigninFailures | undefined> {
  const t = consoleSigninFailures;
  return first<SigninFailures>(
    db,
    sql`SELECT ${t.failures} AS "failures", ${t.firstFailure} AS "firstFailure", ${t.lockedUntil} AS "lockedUntil"
      FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.userKey} = ${userKey}`,
  );
}

/**
 * Counts one failure in one statement (concurrent failures all count): a window older than
 * `windowMs` starts again at 1; reaching `max` locks until `now + lockMs`. Returns the new state.
 */
export async function recordSigninFailure(
  db: Db,
  accountId: string,
  userKey: string,
  now: number,
  windowMs: number,
  max: number,
  lockMs: number,
): Promise<SigninFailures | undefined> {
  const t = consoleSigninFailures;
  const fresh = sql`${t.firstFailure} <= ${now - windowMs}`;
  return first<SigninFailures>(
    db,
    sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.userKey)}, ${bare(t.failures)}, ${bare(t.firstFailure)}, ${bare(t.lockedUntil)})
      VALUES (${accountId}, ${userKey}, 1, ${now}, ${max <= 1 ? now + lockMs : null})
      ON CONFLICT (${bare(t.accountId)}, ${bare(t.userKey)}) DO UPDATE SET
        ${bare(t.failures)} = CASE WHEN ${fresh} THEN 1 ELSE ${t.failures} + 1 END,
        ${bare(t.firstFailure)} = CASE WHEN ${fresh} THEN ${now} ELSE ${t.firstFailure} END,
        ${bare(t.lockedUntil)} = CASE WHEN (CASE WHEN ${fresh} THEN 1 ELSE ${t.failures} + 1 END) >= ${max} THEN ${now + lockMs} ELSE ${t.lockedUntil} END
      RETURNING ${bare(t.failures)} AS "failures", ${bare(t.firstFailure)} AS "firstFailure", ${bare(t.lockedUntil)} AS "lockedUntil"`,
  );
}

export async function clearSigninFailures(db: Db, accountId: string, userKey: string): Promise<void> {
  const t = consoleSigninFailures;
  await statement(db, sql`DELETE FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.userKey} = ${userKey}`).run();
}

// ---------------------------------------------------------------- root password

/** The account (by id, or by alias when `idOrAlias` is not 12 digits) with its root password hash. */
export async function signinAccount(
  db: Db,
  idOrAlias: string,
): Promise<{ id: string; alias: string | null; rootPasswordHash: string | null } | undefined> {
  const a = accounts;
  const where = /^\d{12}$/.test(idOrAlias) ? sql`${a.id} = ${idOrAlias}` : sql`${a.alias} = ${idOrAlias.toLowerCase()}`;
  return first(
    db,
    sql`SELECT ${a.id} AS "id", ${a.alias} AS "alias", ${a.rootPasswordHash} AS "rootPasswordHash" FROM ${a} WHERE ${where}`,
  );
}

/** Sets (or with null removes) the root console password; false when there is no such account. */
export async function setRootPassword(db: Db, accountId: string, hash: string | null): Promise<boolean> {
  const a = accounts;
  const row = await first(
    db,
    sql`UPDATE ${a} SET ${bare(a.rootPasswordHash)} = ${hash} WHERE ${a.id} = ${accountId} RETURNING ${bare(a.id)}`,
  );
  return row !== undefined;
}

// --- console SSO (issues 19/20) ---

export type SigninTokenRow = Row<typeof consoleSigninTokens>;

/** Stores a sign-in token (its hash); expired tokens go in the same batch. */
export async function insertSigninToken(db: Db, row: SigninTokenRow, now: number): Promise<void> {
  const t = consoleSigninTokens;
  await db.$client.batch([
    statement(db, sql`DELETE FROM ${t} WHERE ${t.expiresAt} <= ${now}`),
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.tokenHash)}, ${bare(t.accountId)}, ${bare(t.accessKeyId)}, ${bare(t.sessionToken)}, ${bare(t.sessionSeconds)}, ${bare(t.expiresAt)})
        VALUES (${row.tokenHash}, ${row.accountId}, ${row.accessKeyId}, ${row.sessionToken}, ${row.sessionSeconds ?? null}, ${row.expiresAt})`,
    ),
  ]);
}

/** Takes a live sign-in token (deleting it: single use), or undefined. */
export async function takeSigninToken(db: Db, tokenHash: string, now: number): Promise<SigninTokenRow | undefined> {
  const t = consoleSigninTokens;
  return first<SigninTokenRow>(
    db,
    sql`DELETE FROM ${t} WHERE ${t.tokenHash} = ${tokenHash} AND ${t.expiresAt} > ${now} RETURNING ${selectList(t)}`,
  );
}

/** Marks a SAML response used; false when it already was (a replay). Expired marks go in the same batch. */
export async function markSamlResponseUsed(db: Db, responseHash: string, expiresAt: number, now: number): Promise<boolean> {
  const t = consoleSamlUsed;
  const [, inserted] = await db.$client.batch([
    statement(db, sql`DELETE FROM ${t} WHERE ${t.expiresAt} <= ${now}`),
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.responseHash)}, ${bare(t.expiresAt)}) VALUES (${responseHash}, ${expiresAt}) ON CONFLICT DO NOTHING`,
    ),
  ]);
  return (inserted?.meta.changes ?? 0) > 0;
}
// --- end console SSO ---
