/**
 * Service-specific credentials of IAM users in D1, in the store's one dialect (src/store/db.ts).
 * Their secrets (password, API key) are shown once and not kept. The limit (2 per user per service)
 * is a condition of the INSERT, so parallel creates cannot overshoot. Outcomes are plain values.
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, statement, type Db } from "./db";
import { serviceSpecificCredentials, users } from "./schema";
import { writeBatch, type Write } from "./write";
import { namedUser, ownerExists, ownerIdSql, ownerNameSql, type CredentialOwner } from "./iam-credential-owner";

/** AWS: "a maximum of two sets of service-specific credentials for each supported service per user". */
export const CREDENTIALS_PER_USER_PER_SERVICE = 2;

export type ServiceCredentialRow = {
  credentialId: string;
  userName: string;
  serviceName: string;
  serviceUserName: string | null;
  credentialAlias: string | null;
  status: string;
  createDate: string;
  expirationDate: string | null;
};

const t = serviceSpecificCredentials;
const CRED = sql`${t.credentialId} AS "credentialId", ${ownerNameSql(t.userId)} AS "userName", ${t.serviceName} AS "serviceName",
  ${t.serviceUserName} AS "serviceUserName", ${t.credentialAlias} AS "credentialAlias", ${t.status} AS "status",
  ${t.createDate} AS "createDate", ${t.expirationDate} AS "expirationDate"`;

export type CreateCredentialResult = { ok: true; credential: ServiceCredentialRow } | { ok: false; reason: "noUser" | "limit" };

export async function createServiceCredential(
  w: Write,
  userName: string,
  c: Omit<ServiceCredentialRow, "userName" | "status">,
): Promise<CreateCredentialResult> {
  const { db, account: accountId } = w;
  const [ins] = await writeBatch<{ userName: string }>(w, [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.credentialId)}, ${bare(t.accountId)}, ${bare(t.userId)}, ${bare(t.serviceName)}, ${bare(t.serviceUserName)},
        ${bare(t.credentialAlias)}, ${bare(t.status)}, ${bare(t.createDate)}, ${bare(t.expirationDate)})
      SELECT ${c.credentialId}, ${accountId}, ${users.userId}, ${c.serviceName}, ${c.serviceUserName}, ${c.credentialAlias}, 'Active',
        ${c.createDate}, ${c.expirationDate} FROM ${users}
      WHERE ${namedUser(accountId, userName)}
        AND (SELECT COUNT(*) FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.userId} = ${users.userId}
          AND ${t.serviceName} = ${c.serviceName}) < ${CREDENTIALS_PER_USER_PER_SERVICE}
      RETURNING ${ownerNameSql(t.userId)} AS "userName"`,
    ),
  ]);
  const row = ins?.results[0];
  if (row) return { ok: true, credential: { ...c, userName: row.userName, status: "Active" } };
  return { ok: false, reason: (await ownerExists(db, accountId, { kind: "user", userName })) ? "limit" : "noUser" };
}

/**
 * Credentials in creation order after `after`: of one owner (undefined when the named user does
 * not exist; none for root), or of every user of the account (`allUsers`), optionally of one service.
 */
export async function listServiceCredentials(
  db: Db,
  accountId: string,
  o: { owner?: CredentialOwner; serviceName?: string; after?: { createDate: string; id: string }; limit: number },
): Promise<ServiceCredentialRow[] | undefined> {
  const after = o.after ?? { createDate: "", id: "" };
  const whose = o.owner ? sql`AND ${t.userId} = ${ownerIdSql(accountId, o.owner)}` : sql``;
  const service = o.serviceName !== undefined ? sql`AND ${t.serviceName} = ${o.serviceName}` : sql``;
  const [rows, exists] = await Promise.all([
    all<ServiceCredentialRow>(
      db,
      sql`SELECT ${CRED} FROM ${t} WHERE ${t.accountId} = ${accountId} ${whose} ${service}
      AND (${t.createDate} > ${after.createDate} OR (${t.createDate} = ${after.createDate} AND ${t.credentialId} > ${after.id}))
    ORDER BY ${t.createDate}, ${t.credentialId} LIMIT ${o.limit}`,
    ),
    o.owner ? ownerExists(db, accountId, o.owner) : true,
  ]);
  return exists ? rows : undefined;
}

const owned = (accountId: string, owner: CredentialOwner, id: string): SQL =>
  sql`${t.accountId} = ${accountId} AND ${t.credentialId} = ${id} AND ${t.userId} = ${ownerIdSql(accountId, owner)}`;

/** The credential `id` of the owner. */
export async function getServiceCredential(
  db: Db,
  accountId: string,
  owner: CredentialOwner,
  id: string,
): Promise<ServiceCredentialRow | undefined> {
  return first<ServiceCredentialRow>(db, sql`SELECT ${CRED} FROM ${t} WHERE ${owned(accountId, owner, id)}`);
}

export type CredentialWriteResult = { ok: true } | { ok: false; reason: "noUser" | "noCredential" };

async function explainMiss(db: Db, accountId: string, owner: CredentialOwner): Promise<CredentialWriteResult> {
  return { ok: false, reason: owner.kind === "user" && !(await ownerExists(db, accountId, owner)) ? "noUser" : "noCredential" };
}

export async function updateServiceCredentialStatus(
  w: Write,
  owner: CredentialOwner,
  id: string,
  status: string,
): Promise<CredentialWriteResult> {
  const [upd] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${t} SET ${bare(t.status)} = ${status} WHERE ${owned(w.account, owner, id)} RETURNING ${bare(t.credentialId)}`,
    ),
  ]);
  return (upd?.results.length ?? 0) > 0 ? { ok: true } : explainMiss(w.db, w.account, owner);
}

export async function deleteServiceCredential(w: Write, owner: CredentialOwner, id: string): Promise<CredentialWriteResult> {
  const [del] = await writeBatch(w, [
    statement(w.db, sql`DELETE FROM ${t} WHERE ${owned(w.account, owner, id)} RETURNING ${bare(t.credentialId)}`),
  ]);
  return (del?.results.length ?? 0) > 0 ? { ok: true } : explainMiss(w.db, w.account, owner);
}
