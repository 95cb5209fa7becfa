/**
 * KMS keys and aliases (D1 tables `kms_keys`, `kms_aliases`). KMS writes are effect `none`, each one
 * statement — but PutKeyPolicy, a `permissions` write through the write batch that moves the owner
 * account's generation (eventual consistency: `policyGeneration`, as S3's bucket policies). Grants
 * are added and removed by one statement each (SQLite's JSON functions), so concurrent CreateGrant
 * calls never lose one another's grant. Every write drops this isolate's cached key and alias rows of
 * the account (src/services/data-rows.ts). Key ids are UUIDs, unique across the sandbox; aliases are
 * per account and region, as on AWS.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { accounts, kmsAliases, kmsKeys } from "./schema";
import { writeBatch, type Write } from "./write";
import { afterDataWrite } from "../cache/index";

/** A key as its writes name it. */
export type KeyRef = Pick<KeyRow, "keyId" | "accountId">;

export type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

export interface KeyRow {
  keyId: string;
  accountId: string;
  region: string;
  description: string;
  keyState: KeyState;
  creationDate: number;
  deletionDate?: number;
  policy: string;
  /**
   * Eventual consistency: the owner account's generation of the last key-policy change made while it
   * lagged; until its data plane sees it, the previous key policy applies (absent: in force).
   */
  policyGeneration?: number;
  /** 32 bytes, base64 */
  material: string;
  tags: Record<string, string>;
  grants: Grant[];
}

/** A grant (CreateGrant), kept with its key. */
export interface Grant {
  grantId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  issuingAccount: string;
  operations: string[];
  constraints?: { EncryptionContextEquals?: Record<string, string>; EncryptionContextSubset?: Record<string, string> };
  /** epoch ms */
  creationDate: number;
}

export type AliasRow = Row<typeof kmsAliases>;

const KEY = selectList(kmsKeys);

function keyOf(r: Row<typeof kmsKeys>): KeyRow {
  const k: KeyRow = {
    keyId: r.keyId,
    accountId: r.accountId,
    region: r.region,
    description: r.description,
    keyState: r.keyState as KeyState,
    creationDate: r.creationDate,
    policy: r.policy,
    material: r.material,
    tags: {},
    grants: [],
  };
  if (typeof r.deletionDate === "number") k.deletionDate = r.deletionDate;
  if (typeof r.policyGeneration === "number") k.policyGeneration = r.policyGeneration;
  try {
    const t: unknown = JSON.parse(r.tags);
    if (t && typeof t === "object" && !Array.isArray(t))
      for (const [key, v] of Object.entries(t)) if (typeof v === "string") k.tags[key] = v;
  } catch {
    // a row written by hand: no tags
  }
  try {
    const g: unknown = JSON.parse(r.grants);
    if (Array.isArray(g)) k.grants = g as Grant[];
  } catch {
    // a row written by hand: no grants
  }
  return k;
}

export async function getKey(db: Db, keyId: string): Promise<KeyRow | undefined> {
  const r = await first<Row<typeof kmsKeys>>(db, sql`SELECT ${KEY} FROM ${kmsKeys} WHERE ${kmsKeys.keyId} = ${keyId}`);
  return r ? keyOf(r) : undefined;
}

export async function createKey(db: Db, k: KeyRow): Promise<void> {
  const t = kmsKeys;
  await statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.keyId)}, ${bare(t.accountId)}, ${bare(t.region)}, ${bare(t.description)}, ${bare(t.keyState)},
        ${bare(t.creationDate)}, ${bare(t.policy)}, ${bare(t.material)}, ${bare(t.tags)})
      VALUES (${k.keyId}, ${k.accountId}, ${k.region}, ${k.description}, ${k.keyState}, ${k.creationDate}, ${k.policy}, ${k.material},
        ${JSON.stringify(k.tags)})`,
  ).run();
  afterDataWrite(k.accountId);
}

/** The account's keys in a region, in key id order, from `after` (exclusive), at most `limit`. */
export async function listKeys(db: Db, accountId: string, region: string, after: string, limit: number): Promise<KeyRow[]> {
  const rows = await all<Row<typeof kmsKeys>>(
    db,
    sql`SELECT ${KEY} FROM ${kmsKeys} WHERE ${kmsKeys.accountId} = ${accountId} AND ${kmsKeys.region} = ${region}
      AND ${kmsKeys.keyId} > ${after} ORDER BY ${kmsKeys.keyId} LIMIT ${limit}`,
  );
  return rows.map(keyOf);
}

export async function setKeyState(db: Db, k: KeyRef, state: KeyState, deletionDate: number | null): Promise<void> {
  await statement(
    db,
    sql`UPDATE ${kmsKeys} SET ${bare(kmsKeys.keyState)} = ${state}, ${bare(kmsKeys.deletionDate)} = ${deletionDate}
      WHERE ${kmsKeys.keyId} = ${k.keyId}`,
  ).run();
  afterDataWrite(k.accountId);
}

/**
 * Sets the key policy through the write batch of a `permissions` action (the account's generation
 * moves with it). `lagging`: the owner account's eventual consistency is on, so the row records the
 * generation this change creates for the data plane to wait for; otherwise it is in force at once.
 */
export async function setKeyPolicy(w: Write, k: KeyRef, policy: string, lagging: boolean): Promise<void> {
  const t = kmsKeys;
  const a = accounts;
  const generation = lagging ? sql`(SELECT ${a.generation} + 1 FROM ${a} WHERE ${a.id} = ${k.accountId})` : sql`NULL`;
  await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${t} SET ${bare(t.policy)} = ${policy}, ${bare(t.policyGeneration)} = ${generation} WHERE ${t.keyId} = ${k.keyId}`,
    ),
  ]);
  afterDataWrite(k.accountId);
}

/** The key policies of an account's keys, by key ARN (eventual consistency's snapshots keep them). */
export async function keyPoliciesOf(db: Db, accountId: string): Promise<Map<string, string>> {
  const t = kmsKeys;
  const rs = await all<{ region: string; keyId: string; policy: string }>(
    db,
    sql`SELECT ${t.region} AS ${sql.identifier("region")}, ${t.keyId} AS ${sql.identifier("keyId")}, ${t.policy} AS ${sql.identifier("policy")}
      FROM ${t} WHERE ${t.accountId} = ${accountId}`,
  );
  return new Map(rs.map((r) => [`arn:aws:kms:${r.region}:${accountId}:key/${r.keyId}`, r.policy]));
}

export async function setKeyTags(db: Db, k: KeyRef, tags: Record<string, string>): Promise<void> {
  await statement(db, sql`UPDATE ${kmsKeys} SET ${bare(kmsKeys.tags)} = ${JSON.stringify(tags)} WHERE ${kmsKeys.keyId} = ${k.keyId}`).run();
  afterDataWrite(k.accountId);
}

/** The most grants a key may have (KMS quotas: grants per KMS key, 50,000). */
export const MAX_GRANTS_PER_KEY = 50_000;

/**
 * Appends a grant to the key's list in one statement (no read-modify-write: concurrent CreateGrant
 * calls all land). False when the key already holds MAX_GRANTS_PER_KEY grants.
 */
export async function addKeyGrant(db: Db, k: KeyRef, grant: Grant): Promise<boolean> {
  const g = kmsKeys.grants;
  const r = await statement(
    db,
    sql`UPDATE ${kmsKeys} SET ${bare(g)} = json_insert(${bare(g)}, '$[#]', json(${JSON.stringify(grant)}))
      WHERE ${kmsKeys.keyId} = ${k.keyId} AND json_array_length(${bare(g)}) < ${MAX_GRANTS_PER_KEY}`,
  ).run();
  afterDataWrite(k.accountId);
  return r.meta.changes > 0;
}

/** Removes one grant from the key's list in one statement; false when it was not there (retired or revoked meanwhile). */
export async function removeKeyGrant(db: Db, k: KeyRef, grantId: string): Promise<boolean> {
  const g = kmsKeys.grants;
  const r = await statement(
    db,
    sql`UPDATE ${kmsKeys} SET ${bare(g)} = (SELECT coalesce(json_group_array(json(value)), '[]') FROM json_each(${bare(g)})
        WHERE json_extract(value, '$.grantId') <> ${grantId})
      WHERE ${kmsKeys.keyId} = ${k.keyId}
        AND EXISTS (SELECT 1 FROM json_each(${bare(g)}) WHERE json_extract(value, '$.grantId') = ${grantId})`,
  ).run();
  afterDataWrite(k.accountId);
  return r.meta.changes > 0;
}

export async function getAlias(db: Db, accountId: string, region: string, aliasName: string): Promise<AliasRow | undefined> {
  return first<AliasRow>(
    db,
    sql`SELECT ${selectList(kmsAliases)} FROM ${kmsAliases} WHERE ${kmsAliases.accountId} = ${accountId}
      AND ${kmsAliases.region} = ${region} AND ${kmsAliases.aliasName} = ${aliasName}`,
  );
}

/** Creates the alias; false when the account already has one of that name in the region. */
export async function createAlias(db: Db, a: AliasRow): Promise<boolean> {
  const t = kmsAliases;
  try {
    await statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.region)}, ${bare(t.aliasName)}, ${bare(t.targetKeyId)}, ${bare(t.creationDate)})
        VALUES (${a.accountId}, ${a.region}, ${a.aliasName}, ${a.targetKeyId}, ${a.creationDate})`,
    ).run();
    afterDataWrite(a.accountId);
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}

export async function deleteAlias(db: Db, accountId: string, region: string, aliasName: string): Promise<void> {
  await statement(
    db,
    sql`DELETE FROM ${kmsAliases} WHERE ${kmsAliases.accountId} = ${accountId} AND ${kmsAliases.region} = ${region}
      AND ${kmsAliases.aliasName} = ${aliasName}`,
  ).run();
  afterDataWrite(accountId);
}

/** The account's aliases in a region (of one key when `keyId` is given), by name, after `after`, at most `limit`. */
export async function listAliases(
  db: Db,
  accountId: string,
  region: string,
  keyId: string | undefined,
  after: string,
  limit: number,
): Promise<AliasRow[]> {
  const t = kmsAliases;
  const byKey = keyId === undefined ? sql`` : sql` AND ${t.targetKeyId} = ${keyId}`;
  return all<AliasRow>(
    db,
    sql`SELECT ${selectList(t)} FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.region} = ${region}${byKey}
      AND ${t.aliasName} > ${after} ORDER BY ${t.aliasName} LIMIT ${limit}`,
  );
}
