/** The hot-path lookup: an access key, its account's generation and its user, in one query. */
import { sql, type SQL } from "drizzle-orm";
import { statement, type Db } from "./db";
import { principalPoliciesOfKeySql, type PolicyRow } from "./authz";

export interface KeyLookup {
  accessKeyId: string;
  accountId: string;
  secret: string;
  status: string;
  generation: number;
  userId: string | null;
  userName: string | null;
  userArn: string | null;
  /** the account's eventual-consistency mode (off | fixed | random); read with the key so `off` costs nothing */
  consistencyMode?: string;
}

interface KeyRow {
  access_key_id: string;
  account_id: string;
  secret: string;
  status: string;
  generation: number;
  user_id: string | null;
  user_name: string | null;
  arn: string | null;
  consistency_mode: string;
}

function keySql(accessKeyId: string): SQL {
  return sql`SELECT k.access_key_id, k.account_id, k.secret, k.status, a.generation, k.user_id, u.user_name, u.arn, a.consistency_mode
    FROM access_keys k JOIN accounts a ON a.id = k.account_id
    LEFT JOIN users u ON u.user_id = k.user_id
    WHERE k.access_key_id = ${accessKeyId}`;
}

export async function lookupAccessKey(db: Db, accessKeyId: string): Promise<KeyLookup | undefined> {
  return toLookup((await db.all<KeyRow>(keySql(accessKeyId)))[0]);
}

/**
 * The key and, in the same round trip (one D1 batch, one consistent read), the policy rows of the
 * user owning it — what the authorizer will ask for next when its cache is cold as well.
 * `generation` of the key is the generation of those rows.
 */
export async function lookupAccessKeyWithPolicies(
  db: Db,
  accessKeyId: string,
): Promise<{ key: KeyLookup | undefined; policies: PolicyRow[] }> {
  const [rows, policies] = await db.$client.batch<KeyRow | PolicyRow>([
    statement(db, keySql(accessKeyId)),
    statement(db, principalPoliciesOfKeySql(accessKeyId)),
  ]);
  return { key: toLookup(rows!.results[0] as KeyRow | undefined), policies: policies!.results as PolicyRow[] };
}

function toLookup(r: KeyRow | undefined): KeyLookup | undefined {
  if (!r) return undefined;
  return {
    accessKeyId: r.access_key_id,
    accountId: r.account_id,
    secret: r.secret,
    status: r.status,
    generation: r.generation,
    userId: r.user_id,
    userName: r.user_name,
    userArn: r.arn,
    consistencyMode: r.consistency_mode,
  };
}

/** Generation and consistency mode of an account (the deleted-key path of a lagging account). */
export async function accountState(db: Db, accountId: string): Promise<{ generation: number; consistencyMode: string } | undefined> {
  const rows = await db.all<{ generation: number; consistency_mode: string }>(
    sql`SELECT generation, consistency_mode FROM accounts WHERE id = ${accountId}`,
  );
  const r = rows[0];
  return r ? { generation: r.generation, consistencyMode: r.consistency_mode } : undefined;
}
