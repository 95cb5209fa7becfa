/**
 * Whose credentials a call is about, in SQL: an IAM user by name (any case) or the account's root
 * user (stored as user_id 'root', as root's MFA devices are). Shared by the stores of SSH public
 * keys, signing certificates and service-specific credentials.
 */
import { sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { first, type Db } from "./db";
import { users } from "./schema";

export const ROOT_OWNER_ID = "root";

export type CredentialOwner = { kind: "user"; userName: string } | { kind: "root" };

/** The user named `userName` (any case) in the account. */
export const namedUser = (accountId: string, userName: string): SQL =>
  sql`${users.accountId} = ${accountId} AND ${users.nameLower} = ${userName.toLowerCase()}`;

/** SQL for the owner's user_id ('root', or the named user's id — NULL when there is no such user). */
export function ownerIdSql(accountId: string, owner: CredentialOwner): SQL {
  return owner.kind === "root"
    ? sql`${ROOT_OWNER_ID}`
    : sql`(SELECT ${users.userId} FROM ${users} WHERE ${namedUser(accountId, owner.userName)})`;
}

/** The user name an answer shows for an owner id column (table-qualified: RETURNING uses it too); NULL for root. */
export function ownerNameSql(userIdColumn: AnySQLiteColumn): SQL {
  return sql`(SELECT ${users.userName} FROM ${users} WHERE ${users.userId} = ${userIdColumn})`;
}

export async function ownerExists(db: Db, accountId: string, owner: CredentialOwner): Promise<boolean> {
  if (owner.kind === "root") return true;
  return !!(await first(db, sql`SELECT 1 AS x FROM ${users} WHERE ${namedUser(accountId, owner.userName)}`));
}
