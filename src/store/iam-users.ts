/**
 * IAM users and their tags in D1. Every query is scoped by account; every write that changes
 * who can do what carries the account's generation bump in the same batch (one transaction).
 * Limits (users per account, tags per user) are enforced inside the SQL statements, so
 * concurrent requests cannot overshoot them.
 *
 * Tags of a user live in `tags` with resource_type 'user' and resource_id = the user id (AIDA…).
 */
import { isUniqueViolation, type Db } from "./db";
import { ACCOUNT_QUOTAS } from "./iam-quotas";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";

export const USERS_PER_ACCOUNT = ACCOUNT_QUOTAS.UsersPerAccount.max;

export interface UserRow {
  userId: string;
  userName: string;
  path: string;
  arn: string;
  createDate: string;
  permissionsBoundary: string | null;
  passwordLastUsed: string | null;
}

export type { TagRow };

const USER_COLS = `user_id AS userId, user_name AS userName, path, arn, create_date AS createDate,
  permissions_boundary AS permissionsBoundary, password_last_used AS passwordLastUsed`;

/** The bump only when the statement just before it in the batch changed a row. */
export function bumpIfChangedStmt(db: Db, accountId: string): D1PreparedStatement {
  return db.$client.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() > 0").bind(accountId);
}

export async function getUserByName(db: Db, accountId: string, name: string): Promise<UserRow | undefined> {
  const r = await db.$client
    .prepare(`SELECT ${USER_COLS} FROM users WHERE account_id = ? AND name_lower = ?`)
    .bind(accountId, name.toLowerCase())
    .first<UserRow>();
  return r ?? undefined;
}

export async function getUserById(db: Db, accountId: string, userId: string): Promise<UserRow | undefined> {
  const r = await db.$client
    .prepare(`SELECT ${USER_COLS} FROM users WHERE account_id = ? AND user_id = ?`)
    .bind(accountId, userId)
    .first<UserRow>();
  return r ?? undefined;
}

/** A user (by name, or by id when `byId`) with its tags, in one round trip. */
export async function getUserWithTags(
  db: Db,
  accountId: string,
  nameOrId: string,
  byId = false,
): Promise<{ user: UserRow; tags: TagRow[] } | undefined> {
  const d1 = db.$client;
  const where = byId ? "u.user_id = ?2" : "u.name_lower = ?2";
  const key = byId ? nameOrId : nameOrId.toLowerCase();
  const [u, t] = await d1.batch([
    d1.prepare(`SELECT ${USER_COLS} FROM users u WHERE u.account_id = ?1 AND ${where}`).bind(accountId, key),
    d1
      .prepare(`SELECT t.key AS Key, t.value AS Value FROM tags t JOIN users u ON u.user_id = t.resource_id
      WHERE u.account_id = ?1 AND ${where} AND t.account_id = ?1 AND t.resource_type = 'user' ORDER BY t.position, t.key_lower`)
      .bind(accountId, key),
  ]);
  const user = (u?.results[0] as UserRow | undefined) ?? undefined;
  if (!user) return undefined;
  return { user, tags: (t?.results ?? []) as TagRow[] };
}

/** Users in name order after `afterNameLower`, at most `limit` rows, optionally under a path prefix. */
export async function listUsers(
  db: Db,
  accountId: string,
  o: { pathPrefix?: string; afterNameLower?: string; limit: number },
): Promise<(UserRow & { nameLower: string })[]> {
  const prefix = o.pathPrefix ?? "/";
  const r = await db.$client
    .prepare(`SELECT ${USER_COLS}, name_lower AS nameLower FROM users
      WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2 AND name_lower > ?3 ORDER BY name_lower LIMIT ?4`)
    .bind(accountId, prefix, o.afterNameLower ?? "", o.limit)
    .all<UserRow & { nameLower: string }>();
  return r.results;
}

export type CreateUserResult = { ok: true; user: UserRow; tags: TagRow[] } | { ok: false; reason: "exists" | "limit" };

/**
 * Inserts a user (and its tags) unless the account already holds USERS_PER_ACCOUNT users.
 * A concurrent create of the same name (any case) hits the unique index: "exists".
 */
export async function createUser(
  db: Db,
  accountId: string,
  u: {
    userId: string;
    userName: string;
    path: string;
    arn: string;
    createDate: string;
    permissionsBoundary: string | null;
    tags: TagRow[];
  },
): Promise<CreateUserResult> {
  const d1 = db.$client;
  const stmts: D1PreparedStatement[] = [
    d1
      .prepare(`INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date, permissions_boundary)
      SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM users WHERE account_id = ?) < ?`)
      .bind(
        u.userId,
        accountId,
        u.userName,
        u.userName.toLowerCase(),
        u.path,
        u.arn,
        u.createDate,
        u.permissionsBoundary,
        accountId,
        USERS_PER_ACCOUNT,
      ),
    bumpIfChangedStmt(db, accountId),
    ...insertTagsStmts(db, accountId, "user", u.userId, u.tags),
  ];
  try {
    const [ins] = await d1.batch(stmts);
    if ((ins?.meta.changes ?? 0) === 0) return { ok: false, reason: "limit" };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
  return {
    ok: true,
    user: {
      userId: u.userId,
      userName: u.userName,
      path: u.path,
      arn: u.arn,
      createDate: u.createDate,
      permissionsBoundary: u.permissionsBoundary,
      passwordLastUsed: null,
    },
    tags: u.tags,
  };
}

export type UpdateUserResult = { ok: true } | { ok: false; reason: "notFound" | "exists" };

/** Renames and/or moves a user; its ARN and the denormalized user_name of its keys follow. */
export async function updateUser(
  db: Db,
  accountId: string,
  name: string,
  change: { newName: string; newPath: string; newArn: string },
): Promise<UpdateUserResult> {
  const d1 = db.$client;
  try {
    const [upd] = await d1.batch([
      d1
        .prepare(`UPDATE users SET user_name = ?, name_lower = ?, path = ?, arn = ? WHERE account_id = ? AND name_lower = ?`)
        .bind(change.newName, change.newName.toLowerCase(), change.newPath, change.newArn, accountId, name.toLowerCase()),
      bumpIfChangedStmt(db, accountId),
      d1
        .prepare(
          `UPDATE access_keys SET user_name = ? WHERE account_id = ? AND user_id = (SELECT user_id FROM users WHERE account_id = ? AND name_lower = ?)`,
        )
        .bind(change.newName, accountId, accountId, change.newName.toLowerCase()),
    ]);
    if ((upd?.meta.changes ?? 0) === 0) return { ok: false, reason: "notFound" };
    return { ok: true };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
}

export type DeleteBlocker = "loginProfile" | "accessKeys" | "mfaDevices" | "inlinePolicies" | "attachedPolicies" | "groups";
export type DeleteUserResult = { ok: true } | { ok: false; reason: "notFound" } | { ok: false; reason: "conflict"; blocker: DeleteBlocker };

/**
 * Deletes a user only while nothing hangs off it (login profile, keys, MFA devices, inline or
 * attached policies, group memberships): the checks are part of the DELETE itself, so a concurrent AddUserToGroup or
 * CreateAccessKey either lands before (and blocks the delete) or finds no user.
 */
export async function deleteUser(db: Db, accountId: string, name: string, retry = true): Promise<DeleteUserResult> {
  const d1 = db.$client;
  const lower = name.toLowerCase();
  // The id, to clear the user's tags and password history by key once the user row is gone.
  const id = (
    await d1
      .prepare(`SELECT user_id AS id FROM users WHERE account_id = ? AND name_lower = ?`)
      .bind(accountId, lower)
      .first<{ id: string }>()
  )?.id;
  if (!id) return { ok: false, reason: "notFound" };
  const [del] = await d1.batch([
    d1
      .prepare(`DELETE FROM users WHERE account_id = ?1 AND user_id = ?2
      AND NOT EXISTS (SELECT 1 FROM login_profiles l WHERE l.user_id = users.user_id)
      AND NOT EXISTS (SELECT 1 FROM access_keys k WHERE k.account_id = ?1 AND k.user_id = users.user_id)
      AND NOT EXISTS (SELECT 1 FROM mfa_devices d WHERE d.account_id = ?1 AND d.user_id = users.user_id)
      AND NOT EXISTS (SELECT 1 FROM inline_policies p WHERE p.entity_type = 'user' AND p.entity_id = users.user_id)
      AND NOT EXISTS (SELECT 1 FROM policy_attachments a WHERE a.entity_type = 'user' AND a.entity_id = users.user_id)
      AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = users.user_id)
      RETURNING user_id`)
      .bind(accountId, id),
    bumpIfChangedStmt(db, accountId),
    // Only when the user row is really gone (deleted just now).
    deleteTagsStmt(db, accountId, "user", id),
    d1
      .prepare(`DELETE FROM password_history WHERE user_id = ?1
      AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = ?1)`)
      .bind(id),
  ]);
  if ((del?.results.length ?? 0) > 0) return { ok: true };
  const r = await d1
    .prepare(`SELECT u.user_id AS id,
        EXISTS (SELECT 1 FROM login_profiles l WHERE l.user_id = u.user_id) AS login,
        EXISTS (SELECT 1 FROM access_keys k WHERE k.account_id = ?1 AND k.user_id = u.user_id) AS keys,
        EXISTS (SELECT 1 FROM mfa_devices d WHERE d.account_id = ?1 AND d.user_id = u.user_id) AS mfa,
        EXISTS (SELECT 1 FROM inline_policies p WHERE p.entity_type = 'user' AND p.entity_id = u.user_id) AS inl,
        EXISTS (SELECT 1 FROM policy_attachments a WHERE a.entity_type = 'user' AND a.entity_id = u.user_id) AS att,
        EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = u.user_id) AS grp
      FROM users u WHERE u.account_id = ?1 AND u.name_lower = ?2`)
    .bind(accountId, lower)
    .first<{ id: string; login: number; keys: number; mfa: number; inl: number; att: number; grp: number }>();
  if (!r) return { ok: false, reason: "notFound" };
  // The order of AWS's documented clean-up steps for DeleteUser.
  const blocker: DeleteBlocker | undefined = r.login
    ? "loginProfile"
    : r.keys
      ? "accessKeys"
      : r.mfa
        ? "mfaDevices"
        : r.inl
          ? "inlinePolicies"
          : r.att
            ? "attachedPolicies"
            : r.grp
              ? "groups"
              : undefined;
  if (!blocker) return retry ? deleteUser(db, accountId, name, false) : { ok: false, reason: "notFound" }; // freed meanwhile
  return { ok: false, reason: "conflict", blocker };
}
