/**
 * Long-term access keys of IAM users (and the account's root user, whose keys have no user_id)
 * in D1, in the store's one dialect (src/store/db.ts): drizzle `sql` templates over the schema's
 * tables and columns. The AccessKeysPerUser limit is a condition of the INSERT, so parallel
 * creates for one user leave exactly two keys. Every key write is one batch (src/store/write.ts:
 * the key actions are `rootKeys` actions, so it bumps the account generation). Outcomes are plain
 * values; the services turn them into AWS's errors.
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { accessKeys, users } from "./schema";
import { SUMMARY_QUOTAS } from "./iam-quotas";
import { writeBatch, type Write } from "./write";
import { isoSeconds } from "../lib/clock";

export const ACCESS_KEYS_PER_USER = SUMMARY_QUOTAS.AccessKeysPerUserQuota;

/** Whose keys: an IAM user by name, or the account's root user. */
export type KeyOwner = { kind: "user"; userName: string } | { kind: "root" };

/** A key as the store returns it: every column of `access_keys` but account_id and the secret. */
export type AccessKeyRow = Row<typeof accessKeys, "accountId" | "secret">;
const KEY = selectList(accessKeys, ["accountId", "secret"]);

/** The user named `userName` (any case) in the account. */
const namedUser = (accountId: string, userName: string): SQL =>
  sql`${users.accountId} = ${accountId} AND ${users.nameLower} = ${userName.toLowerCase()}`;

/** Labs (src/labs/): a user's new access key by id, as a statement of a batch. */
export function insertUserKeyStmt(
  db: Db,
  accountId: string,
  user: { userId: string; userName: string },
  key: { accessKeyId: string; secret: string; createDate: string; status?: "Active" | "Inactive" },
): D1PreparedStatement {
  const k = accessKeys;
  return statement(
    db,
    sql`INSERT INTO ${k} (${bare(k.accessKeyId)}, ${bare(k.accountId)}, ${bare(k.userId)}, ${bare(k.userName)}, ${bare(k.secret)},
      ${bare(k.status)}, ${bare(k.createDate)})
    VALUES (${key.accessKeyId}, ${accountId}, ${user.userId}, ${user.userName}, ${key.secret}, ${key.status ?? "Active"}, ${key.createDate})`,
  );
}

/** Labs: one access key's status set (template `accessKeys: [{status}]`, issue 21). */
export function setKeyStatusStmt(db: Db, accountId: string, accessKeyId: string, status: "Active" | "Inactive"): D1PreparedStatement {
  const k = accessKeys;
  return statement(
    db,
    sql`UPDATE ${k} SET ${bare(k.status)} = ${status} WHERE ${k.accountId} = ${accountId} AND ${k.accessKeyId} = ${accessKeyId}`,
  );
}

/** Labs: one access key removed by id. */
export function deleteKeyStmt(db: Db, accountId: string, accessKeyId: string): D1PreparedStatement {
  const k = accessKeys;
  return statement(db, sql`DELETE FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.accessKeyId} = ${accessKeyId}`);
}

export type CreateKeyResult = { ok: true; key: AccessKeyRow } | { ok: false; reason: "noUser" | "limit" };

export async function createAccessKey(
  w: Write,
  owner: KeyOwner,
  key: { accessKeyId: string; secret: string; createDate: string },
): Promise<CreateKeyResult> {
  const { db, account: accountId } = w;
  const k = accessKeys;
  const into = sql`INSERT INTO ${k} (${bare(k.accessKeyId)}, ${bare(k.accountId)}, ${bare(k.userId)}, ${bare(k.userName)}, ${bare(k.secret)},
    ${bare(k.status)}, ${bare(k.createDate)})`;
  const returning = sql`RETURNING ${bare(k.userId)} AS "userId", ${bare(k.userName)} AS "userName"`;
  const insert =
    owner.kind === "user"
      ? sql`${into}
          SELECT ${key.accessKeyId}, ${accountId}, ${users.userId}, ${users.userName}, ${key.secret}, 'Active', ${key.createDate} FROM ${users}
          WHERE ${namedUser(accountId, owner.userName)}
            AND (SELECT COUNT(*) FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.userId} = ${users.userId}) < ${ACCESS_KEYS_PER_USER}
          ${returning}`
      : sql`${into}
          SELECT ${key.accessKeyId}, ${accountId}, NULL, NULL, ${key.secret}, 'Active', ${key.createDate}
          WHERE (SELECT COUNT(*) FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.userId} IS NULL) < ${ACCESS_KEYS_PER_USER}
          ${returning}`;
  const [ins] = await writeBatch<Pick<AccessKeyRow, "userId" | "userName">>(w, [statement(db, insert)]);
  const row = ins?.results[0];
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
  return { ok: false, reason: (await userExists(db, accountId, owner.userName)) ? "limit" : "noUser" };
}

async function userExists(db: Db, accountId: string, userName: string): Promise<boolean> {
  return !!(await first(db, sql`SELECT 1 AS x FROM ${users} WHERE ${namedUser(accountId, userName)}`));
}

/** Keys of a user (undefined when no such user) or of root, ordered by creation then id. */
export async function listAccessKeys(
  db: Db,
  accountId: string,
  owner: KeyOwner,
  o: { after?: { createDate: string; accessKeyId: string }; limit: number },
): Promise<AccessKeyRow[] | undefined> {
  const k = accessKeys;
  const after = o.after ?? { createDate: "", accessKeyId: "" };
  const page = sql`AND (${k.createDate} > ${after.createDate} OR (${k.createDate} = ${after.createDate} AND ${k.accessKeyId} > ${after.accessKeyId}))
    ORDER BY ${k.createDate}, ${k.accessKeyId} LIMIT ${o.limit}`;
  if (owner.kind === "root")
    return all<AccessKeyRow>(db, sql`SELECT ${KEY} FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.userId} IS NULL ${page}`);
  const [u, keys] = await db.$client.batch([
    statement(db, sql`SELECT ${users.userId} FROM ${users} WHERE ${namedUser(accountId, owner.userName)}`),
    statement(
      db,
      sql`SELECT ${KEY} FROM ${k} JOIN ${users} ON ${users.userId} = ${k.userId}
      WHERE ${k.accountId} = ${accountId} AND ${namedUser(accountId, owner.userName)} ${page}`,
    ),
  ]);
  if ((u?.results.length ?? 0) === 0) return undefined;
  return (keys?.results ?? []) as AccessKeyRow[];
}

/** A key of this account by id, whoever owns it. */
export async function getAccessKey(db: Db, accountId: string, accessKeyId: string): Promise<AccessKeyRow | undefined> {
  return first<AccessKeyRow>(
    db,
    sql`SELECT ${KEY} FROM ${accessKeys} WHERE ${accessKeys.accountId} = ${accountId} AND ${accessKeys.accessKeyId} = ${accessKeyId}`,
  );
}

export type KeyWriteResult = { ok: true } | { ok: false; reason: "noUser" | "noKey" };

/** The key `accessKeyId` of the account, owned by `owner`. */
function ownedKey(accountId: string, owner: KeyOwner, accessKeyId: string): SQL {
  const k = accessKeys;
  const whose =
    owner.kind === "root"
      ? sql`${k.userId} IS NULL`
      : sql`${k.userId} = (SELECT ${users.userId} FROM ${users} WHERE ${namedUser(accountId, owner.userName)})`;
  return sql`${k.accountId} = ${accountId} AND ${k.accessKeyId} = ${accessKeyId} AND ${whose}`;
}

async function explainMiss(db: Db, accountId: string, owner: KeyOwner): Promise<KeyWriteResult> {
  if (owner.kind === "root") return { ok: false, reason: "noKey" };
  return { ok: false, reason: (await userExists(db, accountId, owner.userName)) ? "noKey" : "noUser" };
}

export async function updateAccessKeyStatus(w: Write, owner: KeyOwner, accessKeyId: string, status: string): Promise<KeyWriteResult> {
  const { db, account: accountId } = w;
  const k = accessKeys;
  const [upd] = await writeBatch(w, [
    statement(
      db,
      sql`UPDATE ${k} SET ${bare(k.status)} = ${status} WHERE ${ownedKey(accountId, owner, accessKeyId)} RETURNING ${bare(k.accessKeyId)}`,
    ),
  ]);
  if ((upd?.results.length ?? 0) > 0) return { ok: true };
  return explainMiss(db, accountId, owner);
}

export async function deleteAccessKey(w: Write, owner: KeyOwner, accessKeyId: string): Promise<KeyWriteResult> {
  const { db, account: accountId } = w;
  const k = accessKeys;
  const [del] = await writeBatch(w, [
    statement(db, sql`DELETE FROM ${k} WHERE ${ownedKey(accountId, owner, accessKeyId)} RETURNING ${bare(k.accessKeyId)}`),
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
  await accessKeyUseStatement(db, keyId, use)?.run();
}

/** The UPDATE recordAccessKeyUse runs (undefined for an invalid date), for callers batching it with other writes. */
export function accessKeyUseStatement(db: Db, keyId: string, use: KeyUse): D1PreparedStatement | undefined {
  const ms = typeof use.date === "number" ? use.date : use.date instanceof Date ? use.date.getTime() : Date.parse(use.date);
  if (!Number.isFinite(ms)) return undefined;
  const minute = isoSeconds(Math.floor(ms / 60_000) * 60_000);
  const k = accessKeys;
  return statement(
    db,
    sql`UPDATE ${k} SET ${bare(k.lastUsedDate)} = ${minute}, ${bare(k.lastUsedService)} = ${use.service}, ${bare(k.lastUsedRegion)} = ${use.region}
      WHERE ${k.accessKeyId} = ${keyId} AND (${k.lastUsedDate} IS NULL OR ${k.lastUsedDate} < ${minute}
        OR (${k.lastUsedDate} = ${minute} AND (${k.lastUsedService} IS NOT ${use.service} OR ${k.lastUsedRegion} IS NOT ${use.region})))`,
  );
}
