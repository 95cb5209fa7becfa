/**
 * Signing keys of the accounts' built-in OIDC identity providers (src/federation/builtin-idp.ts),
 * in the store's one dialect. One active key signs; rotated keys stay published (inactive) so
 * tokens signed before a rotation keep verifying until they expire. Rows carry account_id, so
 * account deletion and reset take them with the account.
 */
import { sql } from "drizzle-orm";
import { all, bare, statement, type Db } from "./db";
import { idpKeys } from "./schema";

export interface IdpKey {
  kid: string;
  alg: string;
  publicJwk: string;
  privateJwk: string;
  createdAt: number;
  active: number;
}

const k = idpKeys;

/** The account's keys, newest first. */
export async function listIdpKeys(db: Db, accountId: string): Promise<IdpKey[]> {
  return all<IdpKey>(
    db,
    sql`SELECT ${k.kid} AS kid, ${k.alg} AS alg, ${k.publicJwk} AS "publicJwk", ${k.privateJwk} AS "privateJwk",
      ${k.createdAt} AS "createdAt", ${k.active} AS active
      FROM ${k} WHERE ${k.accountId} = ${accountId} ORDER BY ${k.createdAt} DESC, ${k.kid}`,
  );
}

/**
 * Adds a key. `rotate`: it becomes the only active key (the others stay published); otherwise it
 * is added only if the account has no active key yet (two first requests racing: one key wins).
 * Only for an existing account (no keys for an id that has none).
 */
export async function addIdpKey(db: Db, accountId: string, key: Omit<IdpKey, "active">, rotate: boolean): Promise<void> {
  const insert = statement(
    db,
    sql`INSERT INTO ${k} (${bare(k.accountId)}, ${bare(k.kid)}, ${bare(k.alg)}, ${bare(k.publicJwk)}, ${bare(k.privateJwk)}, ${bare(k.createdAt)}, ${bare(k.active)})
      SELECT ${accountId}, ${key.kid}, ${key.alg}, ${key.publicJwk}, ${key.privateJwk}, ${key.createdAt}, 1
      WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ${accountId})
        ${rotate ? sql`` : sql`AND NOT EXISTS (SELECT 1 FROM ${k} WHERE ${k.accountId} = ${accountId} AND ${k.active} = 1)`}`,
  );
  if (!rotate) {
    await insert.run();
    return;
  }
  await db.$client.batch([statement(db, sql`UPDATE ${k} SET ${bare(k.active)} = 0 WHERE ${k.accountId} = ${accountId}`), insert]);
}
