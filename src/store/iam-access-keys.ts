/**
 * Long-term access keys of IAM users (and the account's root user, whose keys have no user_id)
 * in D1. The AccessKeysPerUser limit is a condition of the INSERT, so parallel creates for one
 * user leave exactly two keys. Every key write bumps the account generation in the same batch.
 */
import type { Db } from "./db";
import { SUMMARY_QUOTAS } from "./iam-quotas";
import { bumpIfChangedStmt } from "./iam-users";
import { isoSeconds } from "../lib/clock";

export const ACCESS_KEYS_PER_USER = SUMMARY_QUOTAS.AccessKeysPerUserQuota;

/** Whose keys: an IAM user by name, or the account's root user. */
export type KeyOwner = { kind: "user"; userName: string } | { kind: "root" };

export interface AccessKeyRow {
  accessKeyId: string;
  userId: string | null;
  userName: string | null;
  status: string;
  createDate: string;
  lastUsedDate: string | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}

const KEY_COLS = `k.access_key_id AS accessKeyId, k.user_id AS userId, k.user_name AS userName, k.status AS status,
  k.create_date AS createDate, k.last_used_date AS lastUsedDate, k.last_used_service AS lastUsedService, k.last_used_region AS lastUsedRegion`;

export type CreateKeyResult = { ok: true; key: AccessKeyRow } | { ok: false; reason: "noUser" | "limit" };

export async function createAccessKey(
  db: Db,
  accountId: string,
  owner: KeyOwner,
  key: { accessKeyId: string; secret: string; createDate: string },
): Promise<CreateKeyResult> {
  const d1 = db.$client;
  const insert =
    owner.kind === "user"
      ? d1
          .prepare(`INSERT INTO access_keys (access_key_id, account_id, user_id, user_name, secret, status, create_date)
          SELECT ?1, ?2, u.user_id, u.user_name, ?3, 'Active', ?4 FROM users u
          WHERE u.account_id = ?2 AND u.name_lower = ?5
            AND (SELECT COUNT(*) FROM access_keys k WHERE k.account_id = ?2 AND k.user_id = u.user_id) < ?6
          RETURNING user_id AS userId, user_name AS userName`)
          .bind(key.accessKeyId, accountId, key.secret, key.createDate, owner.userName.toLowerCase(), ACCESS_KEYS_PER_USER)
      : d1
          .prepare(`INSERT INTO access_keys (access_key_id, account_id, user_id, user_name, secret, status, create_date)
          SELECT ?1, ?2, NULL, NULL, ?3, 'Active', ?4
          WHERE (SELECT COUNT(*) FROM access_keys k WHERE k.account_id = ?2 AND k.user_id IS NULL) < ?5
          RETURNING user_id AS userId, user_name AS userName`)
          .bind(key.accessKeyId, accountId, key.secret, key.createDate, ACCESS_KEYS_PER_USER);
  const [ins] = await d1.batch([insert, bumpIfChangedStmt(db, accountId)]);
  const row = ins?.results[0] as { userId: string | null; userName: string | null } | undefined;
  if (row) {
    return {
      ok: true,
      key: {
        accessKeyId: key.accessKeyId,
        userId: row.userId,
        userName: row.userName,
        status: "Active",
        createDate: key.createDate,
        lastUsedDate: null,
        lastUsedService: null,
        lastUsedRegion: null,
      },
    };
  }
  if (owner.kind === "root") return { ok: false, reason: "limit" };
  const u = await d1
    .prepare(`SELECT 1 AS x FROM users WHERE account_id = ? AND name_lower = ?`)
    .bind(accountId, owner.userName.toLowerCase())
    .first();
  return { ok: false, reason: u ? "limit" : "noUser" };
}

/** Keys of a user (undefined when no such user) or of root, ordered by creation then id. */
export async function listAccessKeys(
  db: Db,
  accountId: string,
  owner: KeyOwner,
  o: { after?: { createDate: string; accessKeyId: string }; limit: number },
): Promise<AccessKeyRow[] | undefined> {
  const d1 = db.$client;
  const after = o.after ?? { createDate: "", accessKeyId: "" };
  const order = `AND (k.create_date > ?3 OR (k.create_date = ?3 AND k.access_key_id > ?4)) ORDER BY k.create_date, k.access_key_id LIMIT ?5`;
  if (owner.kind === "root") {
    const r = await d1
      .prepare(`SELECT ${KEY_COLS} FROM access_keys k WHERE k.account_id = ?1 AND k.user_id IS NULL AND ?2 = ?2 ${order}`)
      .bind(accountId, "", after.createDate, after.accessKeyId, o.limit)
      .all<AccessKeyRow>();
    return r.results;
  }
  const lower = owner.userName.toLowerCase();
  const [u, k] = await d1.batch([
    d1.prepare(`SELECT user_id FROM users WHERE account_id = ? AND name_lower = ?`).bind(accountId, lower),
    d1
      .prepare(`SELECT ${KEY_COLS} FROM access_keys k JOIN users u ON u.user_id = k.user_id
      WHERE k.account_id = ?1 AND u.account_id = ?1 AND u.name_lower = ?2 ${order}`)
      .bind(accountId, lower, after.createDate, after.accessKeyId, o.limit),
  ]);
  if ((u?.results.length ?? 0) === 0) return undefined;
  return (k?.results ?? []) as AccessKeyRow[];
}

/** A key of this account by id, whoever owns it. */
export async function getAccessKey(db: Db, accountId: string, accessKeyId: string): Promise<AccessKeyRow | undefined> {
  const r = await db.$client
    .prepare(`SELECT ${KEY_COLS} FROM access_keys k WHERE k.account_id = ? AND k.access_key_id = ?`)
    .bind(accountId, accessKeyId)
    .first<AccessKeyRow>();
  return r ?? undefined;
}

export type KeyWriteResult = { ok: true } | { ok: false; reason: "noUser" | "noKey" };

function ownerCondition(owner: KeyOwner): string {
  return owner.kind === "root"
    ? "user_id IS NULL AND ?3 = ?3"
    : "user_id = (SELECT user_id FROM users WHERE account_id = ?1 AND name_lower = ?3)";
}

async function explainMiss(db: Db, accountId: string, owner: KeyOwner): Promise<KeyWriteResult> {
  if (owner.kind === "root") return { ok: false, reason: "noKey" };
  const u = await db.$client
    .prepare(`SELECT 1 AS x FROM users WHERE account_id = ? AND name_lower = ?`)
    .bind(accountId, owner.userName.toLowerCase())
    .first();
  return { ok: false, reason: u ? "noKey" : "noUser" };
}

export async function updateAccessKeyStatus(
  db: Db,
  accountId: string,
  owner: KeyOwner,
  accessKeyId: string,
  status: string,
): Promise<KeyWriteResult> {
  const d1 = db.$client;
  const name = owner.kind === "user" ? owner.userName.toLowerCase() : "";
  const [upd] = await d1.batch([
    d1
      .prepare(
        `UPDATE access_keys SET status = ?4 WHERE account_id = ?1 AND access_key_id = ?2 AND ${ownerCondition(owner)} RETURNING access_key_id`,
      )
      .bind(accountId, accessKeyId, name, status),
    bumpIfChangedStmt(db, accountId),
  ]);
  if ((upd?.results.length ?? 0) > 0) return { ok: true };
  return explainMiss(db, accountId, owner);
}

export async function deleteAccessKey(db: Db, accountId: string, owner: KeyOwner, accessKeyId: string): Promise<KeyWriteResult> {
  const d1 = db.$client;
  const name = owner.kind === "user" ? owner.userName.toLowerCase() : "";
  const [del] = await d1.batch([
    d1
      .prepare(`DELETE FROM access_keys WHERE account_id = ?1 AND access_key_id = ?2 AND ${ownerCondition(owner)} RETURNING access_key_id`)
      .bind(accountId, accessKeyId, name),
    bumpIfChangedStmt(db, accountId),
  ]);
  if ((del?.results.length ?? 0) > 0) return { ok: true };
  return explainMiss(db, accountId, owner);
}

export interface KeyUse {
  /** when the key was used: epoch ms, Date or ISO string */
  date: number | Date | string;
  /** the service of the request's credential scope, e.g. "iam", "sts" */
  service: string;
  /** the region of the request's credential scope */
  region: string;
}

/**
 * Records the last use of an access key (for GetAccessKeyLastUsed). AWS reports the date to
 * the minute (e.g. 2015-06-16T22:45:00Z), so the date is truncated to the minute and the row
 * is written only when the minute, service or region changes: at most one write per key per
 * minute per service/region. Not an authorization change, so no generation bump.
 * Meant to run off the request path (waitUntil); unknown keys (root of a deleted account,
 * temporary keys) are ignored.
 */
export async function recordAccessKeyUse(db: Db, keyId: string, use: KeyUse): Promise<void> {
  const ms = typeof use.date === "number" ? use.date : use.date instanceof Date ? use.date.getTime() : Date.parse(use.date);
  if (!Number.isFinite(ms)) return;
  const minute = isoSeconds(Math.floor(ms / 60_000) * 60_000);
  await db.$client
    .prepare(`UPDATE access_keys SET last_used_date = ?2, last_used_service = ?3, last_used_region = ?4
      WHERE access_key_id = ?1 AND (last_used_date IS NULL OR last_used_date < ?2
        OR (last_used_date = ?2 AND (last_used_service IS NOT ?3 OR last_used_region IS NOT ?4)))`)
    .bind(keyId, minute, use.service, use.region)
    .run();
}
