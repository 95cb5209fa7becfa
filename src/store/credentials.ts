/**
 * The hot-path lookup: an access key, its account's generation and its user, in one query, in
 * the store's one dialect (src/store/db.ts): drizzle `sql` templates over the schema's tables.
 */
import { sql, type SQL } from "drizzle-orm";
import { first, selectList, statement, type Db } from "./db";
import { accessKeys, accounts, users } from "./schema";
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

/** The key's own columns (the user's name is read from its user row), then its account's and its user's. */
const KEY = selectList(accessKeys, ["userName", "createDate", "lastUsedDate", "lastUsedService", "lastUsedRegion"]);

function keySql(accessKeyId: string): SQL {
  return sql`SELECT ${KEY}, ${accounts.generation} AS "generation", ${users.userName} AS "userName", ${users.arn} AS "userArn",
      ${accounts.consistencyMode} AS "consistencyMode"
    FROM ${accessKeys} JOIN ${accounts} ON ${accounts.id} = ${accessKeys.accountId}
    LEFT JOIN ${users} ON ${users.userId} = ${accessKeys.userId}
    WHERE ${accessKeys.accessKeyId} = ${accessKeyId}`;
}

export async function lookupAccessKey(db: Db, accessKeyId: string): Promise<KeyLookup | undefined> {
  return first<KeyLookup>(db, keySql(accessKeyId));
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
  const [rows, policies] = await db.$client.batch<KeyLookup | PolicyRow>([
    statement(db, keySql(accessKeyId)),
    statement(db, principalPoliciesOfKeySql(accessKeyId)),
  ]);
  return { key: rows!.results[0] as KeyLookup | undefined, policies: policies!.results as PolicyRow[] };
}

/** Generation and consistency mode of an account (the deleted-key path of a lagging account). */
export async function accountState(db: Db, accountId: string): Promise<{ generation: number; consistencyMode: string } | undefined> {
  return first(
    db,
    sql`SELECT ${accounts.generation} AS "generation", ${accounts.consistencyMode} AS "consistencyMode" FROM ${accounts}
    WHERE ${accounts.id} = ${accountId}`,
  );
}
