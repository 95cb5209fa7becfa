/** The few D1 reads STS needs beyond the IAM store: a key's account and a session's liveness. */
import type { Db } from "../store/db";

/** Account of a permanent key stored in D1 (keys such as AKIAIOSFODNN7EXAMPLE don't encode theirs). */
export async function accountOfStoredKey(db: Db, accessKeyId: string): Promise<string | undefined> {
  const row = await db.$client
    .prepare("SELECT account_id AS a FROM access_keys WHERE access_key_id = ?")
    .bind(accessKeyId)
    .first<{ a: string }>();
  return row?.a;
}

/** The account's incarnation (accounts.incarnation), which its session tokens carry; undefined = no such account. */
export async function accountIncarnation(db: Db, accountId: string): Promise<string | undefined> {
  const row = await db.$client.prepare("SELECT incarnation FROM accounts WHERE id = ?").bind(accountId).first<{ incarnation: string }>();
  return row?.incarnation;
}

/**
 * One D1 round trip per session request: the account's generation (which keys the authorizer's
 * policy cache, exactly as for permanent keys), whether the session's role or user still exists,
 * and the account's incarnation (a token of an earlier incarnation is dead). undefined = the account is gone.
 */
export async function sessionLiveness(
  db: Db,
  accountId: string,
  entityKind: "role" | "user" | "root",
  entityId: string | undefined,
): Promise<{ generation: number; exists: boolean; consistencyMode: string; incarnation: string } | undefined> {
  const exists =
    entityKind === "role"
      ? "EXISTS (SELECT 1 FROM roles WHERE account_id = ?1 AND role_id = ?2)"
      : entityKind === "user"
        ? "EXISTS (SELECT 1 FROM users WHERE account_id = ?1 AND user_id = ?2)"
        : "1";
  const stmt = db.$client.prepare(`SELECT generation, consistency_mode, incarnation, ${exists} AS ok FROM accounts WHERE id = ?1`);
  const row = await (entityKind === "root" ? stmt.bind(accountId) : stmt.bind(accountId, entityId ?? "")).first<{
    generation: number;
    ok: number;
    consistency_mode: string;
    incarnation: string;
  }>();
  return row
    ? { generation: row.generation, exists: row.ok === 1, consistencyMode: row.consistency_mode, incarnation: row.incarnation }
    : undefined;
}
