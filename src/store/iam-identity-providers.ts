/**
 * IAM's identity providers in D1 (OIDC and SAML), in the store's one dialect (src/store/db.ts), with
 * their tags in `tags` (resource_type 'oidc-provider' / 'saml-provider', resource_id the ARN). An ARN
 * is unique (a concurrent create of the same one loses on the primary key); the 100-per-account
 * quotas are the batch's quota guards. Outcomes are plain values.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { oidcProviders, samlProviders } from "./schema";
import { writeBatch, type Write } from "./write";
import { isQuotaAbort, quotaGuardStmt } from "./iam-quotas";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";

/** An OIDC provider with its lists decoded. */
export interface OidcProvider {
  arn: string;
  /** the issuer without `https://` */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  createDate: string;
}

type OidcRow = Row<typeof oidcProviders, "accountId">;
const o = oidcProviders;
const OIDC = selectList(o, ["accountId"]);

const strings = (json: string): string[] => {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
};
const oidcOf = (r: OidcRow): OidcProvider => ({
  arn: r.arn,
  url: r.url,
  clientIds: strings(r.clientIds),
  thumbprints: strings(r.thumbprints),
  createDate: r.createDate,
});

export async function createOidcProvider(w: Write, p: OidcProvider, tagList: TagRow[]): Promise<"ok" | "exists" | "limit"> {
  try {
    await writeBatch(w, [
      statement(
        w.db,
        sql`INSERT INTO ${o} (${bare(o.accountId)}, ${bare(o.arn)}, ${bare(o.url)}, ${bare(o.clientIds)}, ${bare(o.thumbprints)}, ${bare(o.createDate)})
          VALUES (${w.account}, ${p.arn}, ${p.url}, ${JSON.stringify(p.clientIds)}, ${JSON.stringify(p.thumbprints)}, ${p.createDate})`,
      ),
      ...insertTagsStmts(w.db, w.account, "oidc-provider", p.arn, tagList),
      quotaGuardStmt(w.db, w.account, "OpenIdConnectProvidersPerAccount"),
    ]);
    return "ok";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    if (isQuotaAbort(e)) return "limit";
    throw e;
  }
}

export async function getOidcProvider(db: Db, accountId: string, arn: string): Promise<OidcProvider | undefined> {
  const r = await first<OidcRow>(db, sql`SELECT ${OIDC} FROM ${o} WHERE ${o.accountId} = ${accountId} AND ${o.arn} = ${arn}`);
  return r && oidcOf(r);
}

/** The account's provider for an issuer (`url` without `https://`; AWS compares host case-insensitively, the path exactly). */
export async function findOidcProviderByUrl(db: Db, accountId: string, url: string): Promise<OidcProvider | undefined> {
  const rows = await all<OidcRow>(db, sql`SELECT ${OIDC} FROM ${o} WHERE ${o.accountId} = ${accountId}`);
  const key = issuerKey(url);
  const r = rows.find((x) => issuerKey(x.url) === key);
  return r && oidcOf(r);
}

/** host lower-cased, path as is, no trailing slash. */
export function issuerKey(url: string): string {
  const slash = url.indexOf("/");
  const host = slash < 0 ? url : url.slice(0, slash);
  const path = slash < 0 ? "" : url.slice(slash).replace(/\/+$/, "");
  return host.toLowerCase() + path;
}

export async function listOidcProviders(db: Db, accountId: string): Promise<string[]> {
  const rows = await all<{ arn: string }>(db, sql`SELECT ${o.arn} AS arn FROM ${o} WHERE ${o.accountId} = ${accountId} ORDER BY ${o.arn}`);
  return rows.map((r) => r.arn);
}

/** Replaces the client id and/or thumbprint lists; false when the provider is gone. */
export async function updateOidcProvider(
  w: Write,
  arn: string,
  change: { clientIds?: string[]; thumbprints?: string[] },
): Promise<boolean> {
  const sets = [
    ...(change.clientIds ? [sql`${bare(o.clientIds)} = ${JSON.stringify(change.clientIds)}`] : []),
    ...(change.thumbprints ? [sql`${bare(o.thumbprints)} = ${JSON.stringify(change.thumbprints)}`] : []),
  ];
  if (sets.length === 0) return true;
  const [r] = await writeBatch(w, [
    statement(w.db, sql`UPDATE ${o} SET ${sql.join(sets, sql`, `)} WHERE ${o.accountId} = ${w.account} AND ${o.arn} = ${arn}`),
  ]);
  return (r?.meta.changes ?? 0) > 0;
}

export async function deleteOidcProvider(w: Write, arn: string): Promise<boolean> {
  const [del] = await writeBatch(w, [
    statement(w.db, sql`DELETE FROM ${o} WHERE ${o.accountId} = ${w.account} AND ${o.arn} = ${arn} RETURNING ${bare(o.arn)}`),
    deleteTagsStmt(w.db, w.account, "oidc-provider", arn),
  ]);
  return (del?.results.length ?? 0) > 0;
}

// ---- SAML ----

export type SamlProvider = Row<typeof samlProviders, "accountId">;
const p = samlProviders;
const SAML = selectList(p, ["accountId"]);

export async function createSamlProvider(w: Write, s: SamlProvider, tagList: TagRow[]): Promise<"ok" | "exists" | "limit"> {
  try {
    await writeBatch(w, [
      statement(
        w.db,
        sql`INSERT INTO ${p} (${bare(p.accountId)}, ${bare(p.arn)}, ${bare(p.name)}, ${bare(p.metadata)}, ${bare(p.createDate)}, ${bare(p.validUntil)})
          VALUES (${w.account}, ${s.arn}, ${s.name}, ${s.metadata}, ${s.createDate}, ${s.validUntil})`,
      ),
      ...insertTagsStmts(w.db, w.account, "saml-provider", s.arn, tagList),
      quotaGuardStmt(w.db, w.account, "SAMLProvidersPerAccount"),
    ]);
    return "ok";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    if (isQuotaAbort(e)) return "limit";
    throw e;
  }
}

/** The provider an ARN names, its name compared without case (as IAM does). */
export async function getSamlProvider(db: Db, accountId: string, arn: string): Promise<SamlProvider | undefined> {
  return first<SamlProvider>(
    db,
    sql`SELECT ${SAML} FROM ${p} WHERE ${p.accountId} = ${accountId} AND lower(${p.arn}) = ${arn.toLowerCase()}`,
  );
}

export async function listSamlProviders(db: Db, accountId: string): Promise<SamlProvider[]> {
  return all<SamlProvider>(db, sql`SELECT ${SAML} FROM ${p} WHERE ${p.accountId} = ${accountId} ORDER BY ${p.arn}`);
}

export async function updateSamlProvider(w: Write, arn: string, metadata: string, validUntil: string): Promise<boolean> {
  const [r] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${p} SET ${bare(p.metadata)} = ${metadata}, ${bare(p.validUntil)} = ${validUntil}
        WHERE ${p.accountId} = ${w.account} AND ${p.arn} = ${arn}`,
    ),
  ]);
  return (r?.meta.changes ?? 0) > 0;
}

export async function deleteSamlProvider(w: Write, arn: string): Promise<boolean> {
  const [del] = await writeBatch(w, [
    statement(w.db, sql`DELETE FROM ${p} WHERE ${p.accountId} = ${w.account} AND ${p.arn} = ${arn} RETURNING ${bare(p.arn)}`),
    deleteTagsStmt(w.db, w.account, "saml-provider", arn),
  ]);
  return (del?.results.length ?? 0) > 0;
}
