/**
 * KMS keys and aliases (D1 tables `kms_keys`, `kms_aliases`). KMS writes are effect `none` (a key
 * policy is not IAM state: it is read with the key on every call), so each write is one statement
 * or one plain d1.batch. Key ids are UUIDs, unique across the sandbox; aliases are per account and
 * region, as on AWS.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { kmsAliases, kmsKeys } from "./schema";

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

export async function setKeyState(db: Db, keyId: string, state: KeyState, deletionDate: number | null): Promise<void> {
  await statement(
    db,
    sql`UPDATE ${kmsKeys} SET ${bare(kmsKeys.keyState)} = ${state}, ${bare(kmsKeys.deletionDate)} = ${deletionDate}
      WHERE ${kmsKeys.keyId} = ${keyId}`,
  ).run();
}

export async function setKeyPolicy(db: Db, keyId: string, policy: string): Promise<void> {
  await statement(db, sql`UPDATE ${kmsKeys} SET ${bare(kmsKeys.policy)} = ${policy} WHERE ${kmsKeys.keyId} = ${keyId}`).run();
}

export async function setKeyTags(db: Db, keyId: string, tags: Record<string, string>): Promise<void> {
  await statement(db, sql`UPDATE ${kmsKeys} SET ${bare(kmsKeys.tags)} = ${JSON.stringify(tags)} WHERE ${kmsKeys.keyId} = ${keyId}`).run();
}

/** Replaces the key's grants (CreateGrant, RetireGrant, RevokeGrant: read, change, write back). */
export async function setKeyGrants(db: Db, keyId: string, grants: readonly Grant[]): Promise<void> {
  await statement(
    db,
    sql`UPDATE ${kmsKeys} SET ${bare(kmsKeys.grants)} = ${JSON.stringify(grants)} WHERE ${kmsKeys.keyId} = ${keyId}`,
  ).run();
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
