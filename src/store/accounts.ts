/**
 * Accounts (tenancy) and their root keys, in the store's one dialect (src/store/db.ts). Written by
 * the admin API and the bootstrap, outside any action: the plain `Db`, each change one batch.
 */
import { getTableName, sql } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import {
  accessKeys,
  accountAliases,
  accounts,
  groupMembers,
  groups,
  inlinePolicies,
  instanceProfiles,
  policies,
  policyAttachments,
  policyVersions,
  roles,
  serverCertificates,
  serviceSpecificCredentials,
  signingCertificates,
  sshPublicKeys,
  tags,
  users,
} from "./schema";
import { isoSeconds } from "../lib/clock";
import { newAccessKeyId, newIncarnation, newSecretAccessKey } from "../lib/ids";

/** An account as the store returns it: its id, alias, creation date and generation. */
export type AccountRow = Row<typeof accounts, "writeMark" | "consistencyMode" | "consistencyConfig" | "incarnation" | "rootPasswordHash">;
const ACCOUNT = selectList(accounts, ["writeMark", "consistencyMode", "consistencyConfig", "incarnation", "rootPasswordHash"]);

export async function getAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  return first<AccountRow>(db, sql`SELECT ${ACCOUNT} FROM ${accounts} WHERE ${accounts.id} = ${id}`);
}

export async function listAccounts(db: Db): Promise<AccountRow[]> {
  return all<AccountRow>(db, sql`SELECT ${ACCOUNT} FROM ${accounts} ORDER BY ${accounts.createDate}, ${accounts.id}`);
}

export interface CreatedAccount {
  accountId: string;
  alias: string | null;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  createDate: string;
}

/** INSERT of a new account row, returning its id (none when the id is taken). */
function insertAccountStmt(db: Db, id: string, alias: string | null, createDate: string): D1PreparedStatement {
  const a = accounts;
  return statement(
    db,
    sql`INSERT INTO ${a} (${bare(a.id)}, ${bare(a.alias)}, ${bare(a.createDate)}, ${bare(a.incarnation)})
      VALUES (${id}, ${alias}, ${createDate}, ${newIncarnation()}) ON CONFLICT DO NOTHING RETURNING ${bare(a.id)}`,
  );
}

/** The root key's INSERT, for after insertAccountStmt: it lands only when the account row was new (`changes() = 1`). */
const insertRootKey = (keyId: string, accountId: string, secret: string, createDate: string) => {
  const k = accessKeys;
  return sql`INSERT INTO ${k} (${bare(k.accessKeyId)}, ${bare(k.accountId)}, ${bare(k.userId)}, ${bare(k.userName)}, ${bare(k.secret)},
      ${bare(k.status)}, ${bare(k.createDate)})
    SELECT ${keyId}, ${accountId}, NULL, NULL, ${secret}, 'Active', ${createDate} WHERE changes() = 1`;
};

/** Creates an account and its root key in one batch; false when the id is taken. */
export async function createAccount(
  db: Db,
  id: string,
  alias: string | null,
  now: number,
  rootKey?: { id: string; secret: string },
): Promise<CreatedAccount | null> {
  const createDate = isoSeconds(now);
  const key = rootKey ?? { id: newAccessKeyId(id, false), secret: newSecretAccessKey() };
  const stmts = [
    insertAccountStmt(db, id, alias, createDate),
    // Only write the key (and alias) when the account row was new: same batch = one transaction.
    statement(db, insertRootKey(key.id, id, key.secret, createDate)),
  ];
  // A taken alias violates the primary key and rolls the whole batch back.
  if (alias)
    stmts.push(
      statement(
        db,
        sql`INSERT INTO ${accountAliases} (${bare(accountAliases.alias)}, ${bare(accountAliases.accountId)})
          SELECT ${alias}, ${id} WHERE changes() = 1`,
      ),
    );
  const [ins] = await db.$client.batch<{ id: string }>(stmts);
  if (!ins || ins.results.length === 0) return null;
  return { accountId: id, alias, rootAccessKeyId: key.id, rootSecretAccessKey: key.secret, createDate };
}

/**
 * Bootstraps the configured default account: when its row is new, creates it with the configured
 * root key (one batch). On later starts the account is left as its owner left it: a deleted or
 * deactivated root key stays deleted / inactive; only the secret of a root key that still exists
 * follows a rotated configuration. true when the account was new.
 */
export async function ensureDefaultAccount(db: Db, id: string, keyId: string, secret: string, now: number): Promise<boolean> {
  const createDate = isoSeconds(now);
  const k = accessKeys;
  const [inserted] = await db.$client.batch<{ id: string }>([
    insertAccountStmt(db, id, null, createDate),
    // Only for a new account row (same batch = one transaction); a key id already taken elsewhere is left alone.
    statement(db, sql`${insertRootKey(keyId, id, secret, createDate)} ON CONFLICT DO NOTHING`),
    statement(
      db,
      sql`UPDATE ${k} SET ${bare(k.secret)} = ${secret} WHERE ${k.accessKeyId} = ${keyId} AND ${k.accountId} = ${id} AND ${k.userId} IS NULL`,
    ),
  ]);
  return (inserted?.results.length ?? 0) > 0;
}

/** Every table that holds account-owned rows; deleting an account clears them all in one batch. */
const ACCOUNT_TABLES = [
  accessKeys,
  users,
  groups,
  groupMembers,
  roles,
  policies,
  policyVersions,
  policyAttachments,
  inlinePolicies,
  tags,
  instanceProfiles,
  accountAliases,
  sshPublicKeys,
  signingCertificates,
  serverCertificates,
  serviceSpecificCredentials,
].map(getTableName);

export async function deleteAccount(db: Db, id: string): Promise<boolean> {
  const extra = await listAccountTables(db);
  const res = await db.$client.batch<{ id: string }>([
    statement(db, sql`DELETE FROM ${accounts} WHERE ${accounts.id} = ${id} RETURNING ${bare(accounts.id)}`),
    ...membersLeaveStmts(db, id),
    // Tables found by their account_id column (not all of them in the schema): the column by its name.
    ...extra.map((table) => statement(db, sql`DELETE FROM ${sql.identifier(table)} WHERE account_id = ${id}`)),
  ]);
  return (res[0]?.results.length ?? 0) > 0;
}

/**
 * The members of the organization `id` manages leave it (before its rows go, in the same batch): a
 * management account deleted or emptied by the admin API leaves standalone accounts behind, not
 * memberships of an organization that no longer exists. (AWS refuses to close a management account
 * with members; the admin API is the lab author's teardown.)
 */
function membersLeaveStmts(db: Db, id: string): D1PreparedStatement[] {
  const orgOf = sql`(SELECT org_id FROM ${sql.identifier("org_organizations")} WHERE account_id = ${id})`;
  return [
    // Their generation moves: cached organization chains (SCPs, RCPs) of the old generation are not used again.
    statement(
      db,
      sql`UPDATE ${accounts} SET ${bare(accounts.generation)} = ${accounts.generation} + 1
        WHERE ${accounts.id} IN (SELECT account_id FROM ${sql.identifier("org_accounts")} WHERE org_id IN ${orgOf} AND account_id != ${id})`,
    ),
    statement(db, sql`DELETE FROM ${sql.identifier("org_accounts")} WHERE org_id IN ${orgOf}`),
  ];
}

/** Tables added by later migrations are found by their account_id column, so deletion never misses one. */
async function listAccountTables(db: Db): Promise<string[]> {
  const rows = await all<{ name: string }>(
    db,
    sql`SELECT m.name AS name FROM sqlite_master m
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_cf_%' AND m.name != 'accounts'
    AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'account_id')`,
  );
  const names = rows.map((r) => r.name);
  for (const known of ACCOUNT_TABLES) if (!names.includes(known)) throw new Error(`table ${known} missing`);
  return names;
}

/**
 * Empties an account in one batch, keeping the account row (id, alias, settings) and its root keys
 * (reactivated): every other account-owned row goes (IAM
 * entities, policies, S3 buckets and objects, reports, decisions …, found by their account_id
 * column as deleteAccount finds them). The generation moves and the incarnation is renewed, so no
 * cache or session token of the emptied state survives. false when the account does not exist.
 */
export async function resetAccount(db: Db, id: string): Promise<boolean> {
  const tables = await listAccountTables(db);
  const a = accounts;
  const k = accessKeys;
  const res = await db.$client.batch<{ id: string }>([
    statement(
      db,
      sql`UPDATE ${a} SET ${bare(a.generation)} = ${a.generation} + 1, ${bare(a.incarnation)} = ${newIncarnation()}
        WHERE ${a.id} = ${id} RETURNING ${bare(a.id)}`,
    ),
    ...membersLeaveStmts(db, id),
    ...tables
      .filter((t) => t !== getTableName(accessKeys))
      .map((table) => statement(db, sql`DELETE FROM ${sql.identifier(table)} WHERE account_id = ${id}`)),
    statement(db, sql`DELETE FROM ${k} WHERE ${k.accountId} = ${id} AND ${k.userId} IS NOT NULL`),
    statement(db, sql`UPDATE ${k} SET ${bare(k.status)} = 'Active' WHERE ${k.accountId} = ${id} AND ${k.userId} IS NULL`),
    // accounts.alias mirrors the alias row (iam-account.ts): the account keeps its name.
    statement(
      db,
      sql`INSERT INTO ${accountAliases} (${bare(accountAliases.alias)}, ${bare(accountAliases.accountId)})
        SELECT ${a.alias}, ${a.id} FROM ${a} WHERE ${a.id} = ${id} AND ${a.alias} IS NOT NULL ON CONFLICT DO NOTHING`,
    ),
  ]);
  return (res[0]?.results.length ?? 0) > 0;
}

/** Puts the configured root key back on the default account (after a reset), unless its id belongs to another account. */
export async function restoreRootKey(db: Db, id: string, keyId: string, secret: string, now: number): Promise<void> {
  const k = accessKeys;
  await db.$client.batch([
    statement(
      db,
      sql`INSERT INTO ${k} (${bare(k.accessKeyId)}, ${bare(k.accountId)}, ${bare(k.userId)}, ${bare(k.userName)}, ${bare(k.secret)},
          ${bare(k.status)}, ${bare(k.createDate)})
        VALUES (${keyId}, ${id}, NULL, NULL, ${secret}, 'Active', ${isoSeconds(now)}) ON CONFLICT DO NOTHING`,
    ),
    statement(
      db,
      sql`UPDATE ${k} SET ${bare(k.secret)} = ${secret}, ${bare(k.status)} = 'Active'
        WHERE ${k.accessKeyId} = ${keyId} AND ${k.accountId} = ${id} AND ${k.userId} IS NULL`,
    ),
  ]);
}

/** Lab settings an admin may change on an account (PATCH /_iamlab/accounts/:id). */
export interface AccountSettings {
  explainDenials?: boolean;
}

/** Applies `settings`; false when the account does not exist. */
export async function updateAccountSettings(db: Db, id: string, settings: AccountSettings): Promise<boolean> {
  const row = await first<{ id: string }>(
    db,
    settings.explainDenials === undefined
      ? sql`SELECT ${bare(accounts.id)} AS id FROM ${accounts} WHERE ${accounts.id} = ${id}`
      : sql`UPDATE ${accounts} SET ${bare(accounts.explainDenials)} = ${settings.explainDenials ? 1 : 0} WHERE ${accounts.id} = ${id} RETURNING ${bare(accounts.id)} AS id`,
  );
  return row !== undefined;
}

/** Whether the account's denial messages carry their explanation; undefined when there is no such account. */
export async function explainsDenials(db: Db, id: string): Promise<boolean | undefined> {
  const row = await first<{ on: number }>(db, sql`SELECT ${accounts.explainDenials} AS "on" FROM ${accounts} WHERE ${accounts.id} = ${id}`);
  return row ? row.on === 1 : undefined;
}
