/**
 * SSH public keys of IAM users in D1, in the store's one dialect (src/store/db.ts). The limit (5
 * per user) and the duplicate check (same fingerprint on the same user) are conditions of the
 * INSERT itself, so parallel uploads cannot overshoot; a miss is then explained by one read.
 * Outcomes are plain values; the service turns them into AWS's errors.
 */
import { sql, type SQL } from "drizzle-orm";
import { bare, first, statement, type Db } from "./db";
import { sshPublicKeys, users } from "./schema";
import { writeBatch, type Write } from "./write";
import { namedUser, ownerExists, ownerIdSql, type CredentialOwner } from "./iam-credential-owner";

/** AWS: "SSH public keys per IAM user: 5". */
export const SSH_KEYS_PER_USER = 5;

/** A key as the store returns it, with its user's current name. */
export type SshKeyRow = {
  sshPublicKeyId: string;
  userName: string;
  body: string;
  fingerprint: string;
  status: string;
  uploadDate: string;
};

const k = sshPublicKeys;
const KEY = sql`${k.sshPublicKeyId} AS "sshPublicKeyId", ${users.userName} AS "userName", ${k.body} AS "body",
  ${k.fingerprint} AS "fingerprint", ${k.status} AS "status", ${k.uploadDate} AS "uploadDate"`;

export type UploadSshKeyResult = { ok: true; key: SshKeyRow } | { ok: false; reason: "noUser" | "duplicate" | "limit" };

export async function uploadSshKey(
  w: Write,
  userName: string,
  key: { sshPublicKeyId: string; body: string; fingerprint: string; uploadDate: string },
): Promise<UploadSshKeyResult> {
  const { db, account: accountId } = w;
  const [ins] = await writeBatch<{ userName: string }>(w, [
    statement(
      db,
      sql`INSERT INTO ${k} (${bare(k.sshPublicKeyId)}, ${bare(k.accountId)}, ${bare(k.userId)}, ${bare(k.body)}, ${bare(k.fingerprint)},
        ${bare(k.status)}, ${bare(k.uploadDate)})
      SELECT ${key.sshPublicKeyId}, ${accountId}, ${users.userId}, ${key.body}, ${key.fingerprint}, 'Active', ${key.uploadDate} FROM ${users}
      WHERE ${namedUser(accountId, userName)}
        AND NOT EXISTS (SELECT 1 FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.userId} = ${users.userId} AND ${k.fingerprint} = ${key.fingerprint})
        AND (SELECT COUNT(*) FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.userId} = ${users.userId}) < ${SSH_KEYS_PER_USER}
      RETURNING (SELECT ${users.userName} FROM ${users} WHERE ${users.userId} = ${k.userId}) AS "userName"`,
    ),
  ]);
  const row = ins?.results[0];
  if (row) return { ok: true, key: { ...key, userName: row.userName, status: "Active" } };
  const why = await first<{ dup: number }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.fingerprint} = ${key.fingerprint}
      AND ${k.userId} = ${ownerIdSql(accountId, { kind: "user", userName })}) AS dup FROM ${users} WHERE ${namedUser(accountId, userName)}`,
  );
  if (!why) return { ok: false, reason: "noUser" };
  return { ok: false, reason: why.dup ? "duplicate" : "limit" };
}

/** The keys of `userName` (undefined when no such user), in upload order after `after`. */
export async function listSshKeys(
  db: Db,
  accountId: string,
  owner: CredentialOwner,
  o: { after?: { uploadDate: string; id: string }; limit: number },
): Promise<SshKeyRow[] | undefined> {
  if (owner.kind === "root") return []; // the root user has no SSH keys (it cannot be given any)
  const after = o.after ?? { uploadDate: "", id: "" };
  const [u, rows] = await db.$client.batch([
    statement(db, sql`SELECT ${users.userId} FROM ${users} WHERE ${namedUser(accountId, owner.userName)}`),
    statement(
      db,
      sql`SELECT ${KEY} FROM ${k} JOIN ${users} ON ${users.userId} = ${k.userId}
      WHERE ${k.accountId} = ${accountId} AND ${namedUser(accountId, owner.userName)}
        AND (${k.uploadDate} > ${after.uploadDate} OR (${k.uploadDate} = ${after.uploadDate} AND ${k.sshPublicKeyId} > ${after.id}))
      ORDER BY ${k.uploadDate}, ${k.sshPublicKeyId} LIMIT ${o.limit}`,
    ),
  ]);
  if ((u?.results.length ?? 0) === 0) return undefined;
  return (rows?.results ?? []) as SshKeyRow[];
}

/** The key `id` of the named user. */
export async function getSshKey(db: Db, accountId: string, userName: string, id: string): Promise<SshKeyRow | undefined> {
  return first<SshKeyRow>(
    db,
    sql`SELECT ${KEY} FROM ${k} JOIN ${users} ON ${users.userId} = ${k.userId}
    WHERE ${k.accountId} = ${accountId} AND ${k.sshPublicKeyId} = ${id} AND ${namedUser(accountId, userName)}`,
  );
}

export type SshKeyWriteResult = { ok: true } | { ok: false; reason: "noUser" | "noKey" };

const ownedKey = (accountId: string, userName: string, id: string): SQL =>
  sql`${k.accountId} = ${accountId} AND ${k.sshPublicKeyId} = ${id} AND ${k.userId} = ${ownerIdSql(accountId, { kind: "user", userName })}`;

async function explainMiss(db: Db, accountId: string, userName: string): Promise<SshKeyWriteResult> {
  return { ok: false, reason: (await ownerExists(db, accountId, { kind: "user", userName })) ? "noKey" : "noUser" };
}

export async function updateSshKeyStatus(w: Write, userName: string, id: string, status: string): Promise<SshKeyWriteResult> {
  const [upd] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${k} SET ${bare(k.status)} = ${status} WHERE ${ownedKey(w.account, userName, id)} RETURNING ${bare(k.sshPublicKeyId)}`,
    ),
  ]);
  return (upd?.results.length ?? 0) > 0 ? { ok: true } : explainMiss(w.db, w.account, userName);
}

export async function deleteSshKey(w: Write, userName: string, id: string): Promise<SshKeyWriteResult> {
  const [del] = await writeBatch(w, [
    statement(w.db, sql`DELETE FROM ${k} WHERE ${ownedKey(w.account, userName, id)} RETURNING ${bare(k.sshPublicKeyId)}`),
  ]);
  return (del?.results.length ?? 0) > 0 ? { ok: true } : explainMiss(w.db, w.account, userName);
}
