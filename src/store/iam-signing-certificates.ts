/**
 * X.509 signing certificates of IAM users and of the root user (user_id 'root') in D1, in the
 * store's one dialect (src/store/db.ts). The limit (2 per user) and the duplicate check (the same
 * certificate anywhere in the account, by the SHA-256 of its DER bytes) are conditions of the
 * INSERT, so parallel uploads cannot overshoot; a miss is explained by one read afterwards.
 */
import { sql, type SQL } from "drizzle-orm";
import { bare, first, statement, type Db } from "./db";
import { signingCertificates } from "./schema";
import { writeBatch, type Write } from "./write";
import { SUMMARY_QUOTAS } from "./iam-quotas";
import { ownerExists, ownerIdSql, ownerNameSql, type CredentialOwner } from "./iam-credential-owner";

export const SIGNING_CERTIFICATES_PER_USER = SUMMARY_QUOTAS.SigningCertificatesPerUserQuota;

/** A certificate as the store returns it; userName null for the root user's. */
export type SigningCertificateRow = {
  certificateId: string;
  userName: string | null;
  body: string;
  status: string;
  uploadDate: string;
};

const c = signingCertificates;
const CERT = sql`${c.certificateId} AS "certificateId", ${ownerNameSql(c.userId)} AS "userName", ${c.body} AS "body",
  ${c.status} AS "status", ${c.uploadDate} AS "uploadDate"`;

export type UploadCertificateResult =
  | { ok: true; certificate: SigningCertificateRow }
  | { ok: false; reason: "noUser" | "duplicate" | "limit" };

export async function uploadSigningCertificate(
  w: Write,
  owner: CredentialOwner,
  cert: { certificateId: string; body: string; fingerprint: string; uploadDate: string },
): Promise<UploadCertificateResult> {
  const { db, account: accountId } = w;
  const ownerId = ownerIdSql(accountId, owner);
  const [ins] = await writeBatch<{ userName: string | null }>(w, [
    statement(
      db,
      sql`INSERT INTO ${c} (${bare(c.certificateId)}, ${bare(c.accountId)}, ${bare(c.userId)}, ${bare(c.body)}, ${bare(c.fingerprint)},
        ${bare(c.status)}, ${bare(c.uploadDate)})
      SELECT ${cert.certificateId}, ${accountId}, o.id, ${cert.body}, ${cert.fingerprint}, 'Active', ${cert.uploadDate}
      FROM (SELECT ${ownerId} AS id) o
      WHERE o.id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ${c} WHERE ${c.accountId} = ${accountId} AND ${c.fingerprint} = ${cert.fingerprint})
        AND (SELECT COUNT(*) FROM ${c} WHERE ${c.accountId} = ${accountId} AND ${c.userId} = o.id) < ${SIGNING_CERTIFICATES_PER_USER}
      RETURNING ${ownerNameSql(c.userId)} AS "userName"`,
    ),
  ]);
  const row = ins?.results[0];
  if (row) return { ok: true, certificate: { ...cert, userName: row.userName, status: "Active" } };
  if (!(await ownerExists(db, accountId, owner))) return { ok: false, reason: "noUser" };
  const dup = await first(db, sql`SELECT 1 AS x FROM ${c} WHERE ${c.accountId} = ${accountId} AND ${c.fingerprint} = ${cert.fingerprint}`);
  return { ok: false, reason: dup ? "duplicate" : "limit" };
}

/** The owner's certificates in upload order (undefined when the named user does not exist). */
export async function listSigningCertificates(
  db: Db,
  accountId: string,
  owner: CredentialOwner,
  o: { after?: { uploadDate: string; id: string }; limit: number },
): Promise<SigningCertificateRow[] | undefined> {
  const after = o.after ?? { uploadDate: "", id: "" };
  const [who, rows] = await db.$client.batch([
    statement(db, sql`SELECT ${ownerIdSql(accountId, owner)} AS id`),
    statement(
      db,
      sql`SELECT ${CERT} FROM ${c} WHERE ${c.accountId} = ${accountId} AND ${c.userId} = ${ownerIdSql(accountId, owner)}
        AND (${c.uploadDate} > ${after.uploadDate} OR (${c.uploadDate} = ${after.uploadDate} AND ${c.certificateId} > ${after.id}))
      ORDER BY ${c.uploadDate}, ${c.certificateId} LIMIT ${o.limit}`,
    ),
  ]);
  if (!(who?.results[0] as { id: string | null } | undefined)?.id) return undefined;
  return (rows?.results ?? []) as SigningCertificateRow[];
}

export type CertificateWriteResult = { ok: true } | { ok: false; reason: "noUser" | "noCertificate" };

const owned = (accountId: string, owner: CredentialOwner, id: string): SQL =>
  sql`${c.accountId} = ${accountId} AND ${c.certificateId} = ${id} AND ${c.userId} = ${ownerIdSql(accountId, owner)}`;

async function explainMiss(db: Db, accountId: string, owner: CredentialOwner): Promise<CertificateWriteResult> {
  return { ok: false, reason: (await ownerExists(db, accountId, owner)) ? "noCertificate" : "noUser" };
}

export async function updateSigningCertificateStatus(
  w: Write,
  owner: CredentialOwner,
  id: string,
  status: string,
): Promise<CertificateWriteResult> {
  const [upd] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${c} SET ${bare(c.status)} = ${status} WHERE ${owned(w.account, owner, id)} RETURNING ${bare(c.certificateId)}`,
    ),
  ]);
  return (upd?.results.length ?? 0) > 0 ? { ok: true } : explainMiss(w.db, w.account, owner);
}

export async function deleteSigningCertificate(w: Write, owner: CredentialOwner, id: string): Promise<CertificateWriteResult> {
  const [del] = await writeBatch(w, [
    statement(w.db, sql`DELETE FROM ${c} WHERE ${owned(w.account, owner, id)} RETURNING ${bare(c.certificateId)}`),
  ]);
  return (del?.results.length ?? 0) > 0 ? { ok: true } : explainMiss(w.db, w.account, owner);
}
