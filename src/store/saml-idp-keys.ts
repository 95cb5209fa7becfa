/**
 * The signing key of each account's built-in SAML IdP (src/federation/builtin-saml-idp.ts), in
 * the store's one dialect. One row per account, written once: two first requests racing keep the
 * first key (INSERT … ON CONFLICT DO NOTHING), and only for an existing account. The row carries
 * account_id, so account deletion and reset take it with the account.
 */
import { sql } from "drizzle-orm";
import { bare, first, statement, type Db } from "./db";
import { samlIdpKeys } from "./schema";

export interface SamlIdpKey {
  privatePkcs8: string;
  certificate: string;
  createdAt: number;
  /** the certificate rotated out, still in the metadata until retired */
  previousCertificate?: string | null;
}

const k = samlIdpKeys;

export async function getSamlIdpKey(db: Db, accountId: string): Promise<SamlIdpKey | undefined> {
  return first<SamlIdpKey>(
    db,
    sql`SELECT ${k.privatePkcs8} AS "privatePkcs8", ${k.certificate} AS certificate, ${k.createdAt} AS "createdAt",
      ${k.previousCertificate} AS "previousCertificate"
      FROM ${k} WHERE ${k.accountId} = ${accountId}`,
  );
}

export async function addSamlIdpKey(db: Db, accountId: string, key: SamlIdpKey): Promise<void> {
  await statement(
    db,
    sql`INSERT INTO ${k} (${bare(k.accountId)}, ${bare(k.privatePkcs8)}, ${bare(k.certificate)}, ${bare(k.createdAt)})
      SELECT ${accountId}, ${key.privatePkcs8}, ${key.certificate}, ${key.createdAt}
      WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ${accountId})
      ON CONFLICT DO NOTHING`,
  ).run();
}

/** Rotation: the new key signs from now on; the current certificate stays published as the previous one. */
export async function rotateSamlIdpKey(db: Db, accountId: string, key: SamlIdpKey): Promise<boolean> {
  const r = await statement(
    db,
    sql`UPDATE ${k} SET ${bare(k.previousCertificate)} = ${bare(k.certificate)}, ${bare(k.privatePkcs8)} = ${key.privatePkcs8},
      ${bare(k.certificate)} = ${key.certificate}, ${bare(k.createdAt)} = ${key.createdAt}
      WHERE ${k.accountId} = ${accountId}`,
  ).run();
  return r.meta.changes > 0;
}

/** Retirement: the previous certificate leaves the metadata. */
export async function retirePreviousSamlIdpKey(db: Db, accountId: string): Promise<boolean> {
  const r = await statement(
    db,
    sql`UPDATE ${k} SET ${bare(k.previousCertificate)} = NULL WHERE ${k.accountId} = ${accountId} AND ${k.previousCertificate} IS NOT NULL`,
  ).run();
  return r.meta.changes > 0;
}
