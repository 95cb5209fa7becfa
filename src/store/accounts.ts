/** Accounts (tenancy) and their root keys. */
import { eq, sql } from "drizzle-orm";
import type { Db } from "./db";
import * as t from "./schema";
import { isoSeconds } from "../lib/clock";
import { newAccessKeyId, newIncarnation, newSecretAccessKey } from "../lib/ids";

export interface AccountRow {
  id: string;
  alias: string | null;
  createDate: string;
  generation: number;
}

export async function getAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  return db
    .select({ id: t.accounts.id, alias: t.accounts.alias, createDate: t.accounts.createDate, generation: t.accounts.generation })
    .from(t.accounts)
    .where(eq(t.accounts.id, id))
    .get();
}

export async function listAccounts(db: Db): Promise<AccountRow[]> {
  return db
    .select({ id: t.accounts.id, alias: t.accounts.alias, createDate: t.accounts.createDate, generation: t.accounts.generation })
    .from(t.accounts)
    .orderBy(t.accounts.createDate, t.accounts.id)
    .all();
}

export interface CreatedAccount {
  accountId: string;
  alias: string | null;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  createDate: string;
}

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
  const d1 = db.$client;
  const stmts = [
    d1
      .prepare("INSERT INTO accounts (id, alias, create_date, incarnation) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id")
      .bind(id, alias, createDate, newIncarnation()),
    // Only write the key (and alias) when the account row was new: same batch = one transaction.
    d1
      .prepare(`INSERT INTO access_keys (access_key_id, account_id, user_id, user_name, secret, status, create_date)
      SELECT ?, ?, NULL, NULL, ?, 'Active', ? WHERE changes() = 1`)
      .bind(key.id, id, key.secret, createDate),
  ];
  // A taken alias violates the primary key and rolls the whole batch back.
  if (alias) stmts.push(d1.prepare("INSERT INTO account_aliases (alias, account_id) SELECT ?, ? WHERE changes() = 1").bind(alias, id));
  const [ins] = await d1.batch<{ id: string }>(stmts);
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
  const d1 = db.$client;
  const [inserted] = await d1.batch<{ id: string }>([
    d1
      .prepare("INSERT INTO accounts (id, alias, create_date, incarnation) VALUES (?, NULL, ?, ?) ON CONFLICT DO NOTHING RETURNING id")
      .bind(id, createDate, newIncarnation()),
    // Only for a new account row (same batch = one transaction); a key id already taken elsewhere is left alone.
    d1
      .prepare(`INSERT INTO access_keys (access_key_id, account_id, user_id, user_name, secret, status, create_date)
      SELECT ?, ?, NULL, NULL, ?, 'Active', ? WHERE changes() = 1 ON CONFLICT DO NOTHING`)
      .bind(keyId, id, secret, createDate),
    d1.prepare("UPDATE access_keys SET secret = ? WHERE access_key_id = ? AND account_id = ? AND user_id IS NULL").bind(secret, keyId, id),
  ]);
  return (inserted?.results.length ?? 0) > 0;
}

/** Every table that holds account-owned rows; deleting an account clears them all in one batch. */
const ACCOUNT_TABLES = [
  "access_keys",
  "users",
  "groups",
  "group_members",
  "roles",
  "policies",
  "policy_versions",
  "policy_attachments",
  "inline_policies",
  "tags",
  "instance_profiles",
  "account_aliases",
] as const;

export async function deleteAccount(db: Db, id: string): Promise<boolean> {
  const extra = await listAccountTables(db);
  const d1 = db.$client;
  const res = await d1.batch<{ id: string }>([
    d1.prepare("DELETE FROM accounts WHERE id = ? RETURNING id").bind(id),
    ...extra.map((table) => d1.prepare(`DELETE FROM "${table}" WHERE account_id = ?`).bind(id)),
  ]);
  return (res[0]?.results.length ?? 0) > 0;
}

/** Tables added by later migrations are found by their account_id column, so deletion never misses one. */
async function listAccountTables(db: Db): Promise<string[]> {
  const rows = await db.all<{ name: string }>(sql`SELECT m.name AS name FROM sqlite_master m
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_cf_%' AND m.name != 'accounts'
    AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'account_id')`);
  const names = rows.map((r) => r.name);
  for (const known of ACCOUNT_TABLES) if (!names.includes(known)) throw new Error(`table ${known} missing`);
  return names;
}

/** Bumps the authorization generation; call inside the same batch as the write it covers. */
export function bumpGeneration(db: Db, accountId: string) {
  return db
    .update(t.accounts)
    .set({ generation: sql`${t.accounts.generation} + 1` })
    .where(eq(t.accounts.id, accountId));
}
