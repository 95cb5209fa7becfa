/**
 * Server certificates in D1, in the store's one dialect (src/store/db.ts): the certificate body and
 * chain with their metadata (the private key is checked on upload and never stored), and their tags
 * (tags.resource_type 'server-certificate'). Names are unique per account in any case (the unique
 * index answers a concurrent upload of the same name); the 20-per-account quota is the batch's
 * quota guard. Outcomes are plain values.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { serverCertificates } from "./schema";
import { writeBatch, type Write } from "./write";
import { isQuotaAbort, quotaGuardStmt } from "./iam-quotas";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";

/** A server certificate as the store returns it: every column but account_id and name_lower. */
export type ServerCertificateRow = Row<typeof serverCertificates, "accountId" | "nameLower">;
const t = serverCertificates;
const CERT = selectList(t, ["accountId", "nameLower"]);

const named = (accountId: string, name: string) => sql`${t.accountId} = ${accountId} AND ${t.nameLower} = ${name.toLowerCase()}`;

export async function uploadServerCertificate(w: Write, c: ServerCertificateRow, tagList: TagRow[]): Promise<"ok" | "exists" | "limit"> {
  const { db, account: accountId } = w;
  try {
    await writeBatch(w, [
      statement(
        db,
        sql`INSERT INTO ${t} (${bare(t.serverCertificateId)}, ${bare(t.accountId)}, ${bare(t.name)}, ${bare(t.nameLower)}, ${bare(t.path)},
          ${bare(t.arn)}, ${bare(t.body)}, ${bare(t.chain)}, ${bare(t.uploadDate)}, ${bare(t.expiration)})
        VALUES (${c.serverCertificateId}, ${accountId}, ${c.name}, ${c.name.toLowerCase()}, ${c.path}, ${c.arn}, ${c.body}, ${c.chain},
          ${c.uploadDate}, ${c.expiration})`,
      ),
      ...insertTagsStmts(db, accountId, "server-certificate", c.serverCertificateId, tagList),
      quotaGuardStmt(db, accountId, "ServerCertificatesPerAccount"),
    ]);
    return "ok";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    if (isQuotaAbort(e)) return "limit";
    throw e;
  }
}

export async function getServerCertificate(db: Db, accountId: string, name: string): Promise<ServerCertificateRow | undefined> {
  return first<ServerCertificateRow>(db, sql`SELECT ${CERT} FROM ${t} WHERE ${named(accountId, name)}`);
}

/** Certificates in name order after `afterNameLower`, under a path prefix, at most `limit`. */
export async function listServerCertificates(
  db: Db,
  accountId: string,
  o: { pathPrefix?: string; afterNameLower?: string; limit: number },
): Promise<(ServerCertificateRow & { nameLower: string })[]> {
  const prefix = o.pathPrefix ?? "/";
  return all(
    db,
    sql`SELECT ${CERT}, ${t.nameLower} AS "nameLower" FROM ${t}
      WHERE ${t.accountId} = ${accountId} AND substr(${t.path}, 1, length(${prefix})) = ${prefix} AND ${t.nameLower} > ${o.afterNameLower ?? ""}
      ORDER BY ${t.nameLower} LIMIT ${o.limit}`,
  );
}

export type UpdateServerCertificateResult = "ok" | "notFound" | "exists";

/** Renames and/or moves a certificate; its ARN follows. */
export async function updateServerCertificate(
  w: Write,
  name: string,
  change: { newName: string; newPath: string; newArn: string },
): Promise<UpdateServerCertificateResult> {
  try {
    const [upd] = await writeBatch(w, [
      statement(
        w.db,
        sql`UPDATE ${t} SET ${bare(t.name)} = ${change.newName}, ${bare(t.nameLower)} = ${change.newName.toLowerCase()},
          ${bare(t.path)} = ${change.newPath}, ${bare(t.arn)} = ${change.newArn}
        WHERE ${named(w.account, name)}`,
      ),
    ]);
    return (upd?.meta.changes ?? 0) > 0 ? "ok" : "notFound";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    throw e;
  }
}

/** Deletes a certificate and its tags; false when there is none of that name. */
export async function deleteServerCertificate(w: Write, name: string): Promise<boolean> {
  const row = await first<{ id: string }>(w.db, sql`SELECT ${t.serverCertificateId} AS id FROM ${t} WHERE ${named(w.account, name)}`);
  if (!row) return false;
  const [del] = await writeBatch(w, [
    statement(
      w.db,
      sql`DELETE FROM ${t} WHERE ${t.accountId} = ${w.account} AND ${t.serverCertificateId} = ${row.id} RETURNING ${bare(t.serverCertificateId)}`,
    ),
    deleteTagsStmt(w.db, w.account, "server-certificate", row.id),
  ]);
  return (del?.results.length ?? 0) > 0;
}
