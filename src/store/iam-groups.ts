/**
 * IAM groups and memberships in D1. Limits (groups per account, groups per user) and the
 * DeleteGroup conflicts are conditions of the writing statements themselves.
 */
import { isUniqueViolation, type Db } from "./db";
import { ACCOUNT_QUOTAS, SUMMARY_QUOTAS } from "./iam-quotas";
import { bumpIfChangedStmt, type UserRow } from "./iam-users";

export const GROUPS_PER_ACCOUNT = ACCOUNT_QUOTAS.GroupsPerAccount.max;
export const GROUPS_PER_USER = SUMMARY_QUOTAS.GroupsPerUserQuota;

export interface GroupRow {
  groupId: string;
  groupName: string;
  path: string;
  arn: string;
  createDate: string;
}

const GROUP_COLS = `g.group_id AS groupId, g.group_name AS groupName, g.path AS path, g.arn AS arn, g.create_date AS createDate`;
const USER_COLS = `u.user_id AS userId, u.user_name AS userName, u.path AS path, u.arn AS arn, u.create_date AS createDate,
  u.permissions_boundary AS permissionsBoundary, u.password_last_used AS passwordLastUsed`;

export async function getGroupByName(db: Db, accountId: string, name: string): Promise<GroupRow | undefined> {
  const r = await db.$client
    .prepare(`SELECT ${GROUP_COLS} FROM groups g WHERE g.account_id = ? AND g.name_lower = ?`)
    .bind(accountId, name.toLowerCase())
    .first<GroupRow>();
  return r ?? undefined;
}

/** A group and one page of its members (in user-name order), in one round trip. */
export async function getGroupWithUsers(
  db: Db,
  accountId: string,
  name: string,
  o: { afterNameLower?: string; limit: number },
): Promise<{ group: GroupRow; users: (UserRow & { nameLower: string })[] } | undefined> {
  const d1 = db.$client;
  const lower = name.toLowerCase();
  const [g, u] = await d1.batch([
    d1.prepare(`SELECT ${GROUP_COLS} FROM groups g WHERE g.account_id = ? AND g.name_lower = ?`).bind(accountId, lower),
    d1
      .prepare(`SELECT ${USER_COLS}, u.name_lower AS nameLower FROM groups g
      JOIN group_members m ON m.group_id = g.group_id JOIN users u ON u.user_id = m.user_id
      WHERE g.account_id = ?1 AND g.name_lower = ?2 AND m.account_id = ?1 AND u.account_id = ?1 AND u.name_lower > ?3
      ORDER BY u.name_lower LIMIT ?4`)
      .bind(accountId, lower, o.afterNameLower ?? "", o.limit),
  ]);
  const group = g?.results[0] as GroupRow | undefined;
  if (!group) return undefined;
  return { group, users: (u?.results ?? []) as (UserRow & { nameLower: string })[] };
}

export async function listGroups(
  db: Db,
  accountId: string,
  o: { pathPrefix?: string; afterNameLower?: string; limit: number },
): Promise<(GroupRow & { nameLower: string })[]> {
  const r = await db.$client
    .prepare(`SELECT ${GROUP_COLS}, g.name_lower AS nameLower FROM groups g
      WHERE g.account_id = ?1 AND substr(g.path, 1, length(?2)) = ?2 AND g.name_lower > ?3 ORDER BY g.name_lower LIMIT ?4`)
    .bind(accountId, o.pathPrefix ?? "/", o.afterNameLower ?? "", o.limit)
    .all<GroupRow & { nameLower: string }>();
  return r.results;
}

/** Groups of a user (group-name order); undefined when there is no such user. */
export async function listGroupsForUser(
  db: Db,
  accountId: string,
  userName: string,
  o: { afterNameLower?: string; limit: number },
): Promise<(GroupRow & { nameLower: string })[] | undefined> {
  const d1 = db.$client;
  const lower = userName.toLowerCase();
  const [u, g] = await d1.batch([
    d1.prepare(`SELECT user_id FROM users WHERE account_id = ? AND name_lower = ?`).bind(accountId, lower),
    d1
      .prepare(`SELECT ${GROUP_COLS}, g.name_lower AS nameLower FROM users u
      JOIN group_members m ON m.user_id = u.user_id JOIN groups g ON g.group_id = m.group_id
      WHERE u.account_id = ?1 AND u.name_lower = ?2 AND m.account_id = ?1 AND g.account_id = ?1 AND g.name_lower > ?3
      ORDER BY g.name_lower LIMIT ?4`)
      .bind(accountId, lower, o.afterNameLower ?? "", o.limit),
  ]);
  if ((u?.results.length ?? 0) === 0) return undefined;
  return (g?.results ?? []) as (GroupRow & { nameLower: string })[];
}

export type CreateGroupResult = { ok: true } | { ok: false; reason: "exists" | "limit" };

export async function createGroup(db: Db, accountId: string, g: GroupRow): Promise<CreateGroupResult> {
  const d1 = db.$client;
  try {
    const [ins] = await d1.batch([
      d1
        .prepare(`INSERT INTO groups (group_id, account_id, group_name, name_lower, path, arn, create_date)
        SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM groups WHERE account_id = ?) < ?`)
        .bind(g.groupId, accountId, g.groupName, g.groupName.toLowerCase(), g.path, g.arn, g.createDate, accountId, GROUPS_PER_ACCOUNT),
      bumpIfChangedStmt(db, accountId),
    ]);
    return (ins?.meta.changes ?? 0) > 0 ? { ok: true } : { ok: false, reason: "limit" };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
}

export type UpdateGroupResult = { ok: true } | { ok: false; reason: "notFound" | "exists" };

export async function updateGroup(
  db: Db,
  accountId: string,
  name: string,
  change: { newName: string; newPath: string; newArn: string },
): Promise<UpdateGroupResult> {
  const d1 = db.$client;
  try {
    const [upd] = await d1.batch([
      d1
        .prepare(`UPDATE groups SET group_name = ?, name_lower = ?, path = ?, arn = ? WHERE account_id = ? AND name_lower = ?`)
        .bind(change.newName, change.newName.toLowerCase(), change.newPath, change.newArn, accountId, name.toLowerCase()),
      bumpIfChangedStmt(db, accountId),
    ]);
    return (upd?.meta.changes ?? 0) > 0 ? { ok: true } : { ok: false, reason: "notFound" };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
}

export type GroupDeleteBlocker = "members" | "inlinePolicies" | "attachedPolicies";
export type DeleteGroupResult =
  | { ok: true }
  | { ok: false; reason: "notFound" }
  | { ok: false; reason: "conflict"; blocker: GroupDeleteBlocker };

export async function deleteGroup(db: Db, accountId: string, name: string, retry = true): Promise<DeleteGroupResult> {
  const d1 = db.$client;
  const lower = name.toLowerCase();
  const [del] = await d1.batch([
    d1
      .prepare(`DELETE FROM groups WHERE account_id = ?1 AND name_lower = ?2
      AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = groups.group_id)
      AND NOT EXISTS (SELECT 1 FROM inline_policies p WHERE p.entity_type = 'group' AND p.entity_id = groups.group_id)
      AND NOT EXISTS (SELECT 1 FROM policy_attachments a WHERE a.entity_type = 'group' AND a.entity_id = groups.group_id)
      RETURNING group_id`)
      .bind(accountId, lower),
    bumpIfChangedStmt(db, accountId),
  ]);
  if ((del?.results.length ?? 0) > 0) return { ok: true };
  const r = await d1
    .prepare(`SELECT
        EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.group_id) AS mem,
        EXISTS (SELECT 1 FROM inline_policies p WHERE p.entity_type = 'group' AND p.entity_id = g.group_id) AS inl,
        EXISTS (SELECT 1 FROM policy_attachments a WHERE a.entity_type = 'group' AND a.entity_id = g.group_id) AS att
      FROM groups g WHERE g.account_id = ? AND g.name_lower = ?`)
    .bind(accountId, lower)
    .first<{ mem: number; inl: number; att: number }>();
  if (!r) return { ok: false, reason: "notFound" };
  if (!r.mem && !r.inl && !r.att && retry) return deleteGroup(db, accountId, name, false);
  return { ok: false, reason: "conflict", blocker: r.mem ? "members" : r.inl ? "inlinePolicies" : "attachedPolicies" };
}

export type MembershipResult = { ok: true } | { ok: false; reason: "noUser" | "noGroup" | "limit" };

/**
 * Adds a user to a group (idempotent). The GroupsPerUser limit is a condition of the insert,
 * so parallel adds of one user to many groups stop at exactly the limit.
 */
export async function addUserToGroup(db: Db, accountId: string, groupName: string, userName: string): Promise<MembershipResult> {
  const d1 = db.$client;
  const gl = groupName.toLowerCase();
  const ul = userName.toLowerCase();
  const [ins] = await d1.batch([
    d1
      .prepare(`INSERT INTO group_members (account_id, group_id, user_id)
      SELECT ?1, g.group_id, u.user_id FROM users u, groups g
      WHERE u.account_id = ?1 AND u.name_lower = ?2 AND g.account_id = ?1 AND g.name_lower = ?3
        AND (SELECT COUNT(*) FROM group_members x WHERE x.user_id = u.user_id) < ?4
      ON CONFLICT DO NOTHING`)
      .bind(accountId, ul, gl, GROUPS_PER_USER),
    bumpIfChangedStmt(db, accountId),
  ]);
  if ((ins?.meta.changes ?? 0) > 0) return { ok: true };
  const r = await d1
    .prepare(`SELECT
        (SELECT user_id FROM users WHERE account_id = ?1 AND name_lower = ?2) AS u,
        (SELECT group_id FROM groups WHERE account_id = ?1 AND name_lower = ?3) AS g,
        EXISTS (SELECT 1 FROM group_members m JOIN users u ON u.user_id = m.user_id JOIN groups g ON g.group_id = m.group_id
          WHERE u.account_id = ?1 AND u.name_lower = ?2 AND g.account_id = ?1 AND g.name_lower = ?3) AS member`)
    .bind(accountId, ul, gl)
    .first<{ u: string | null; g: string | null; member: number }>();
  if (!r?.u) return { ok: false, reason: "noUser" };
  if (!r.g) return { ok: false, reason: "noGroup" };
  if (r.member) return { ok: true };
  return { ok: false, reason: "limit" };
}

/** Removes a user from a group; removing a non-member succeeds, as in AWS. */
export async function removeUserFromGroup(db: Db, accountId: string, groupName: string, userName: string): Promise<MembershipResult> {
  const d1 = db.$client;
  const gl = groupName.toLowerCase();
  const ul = userName.toLowerCase();
  const [check] = await d1.batch([
    d1
      .prepare(`SELECT (SELECT user_id FROM users WHERE account_id = ?1 AND name_lower = ?2) AS u,
        (SELECT group_id FROM groups WHERE account_id = ?1 AND name_lower = ?3) AS g`)
      .bind(accountId, ul, gl),
    d1
      .prepare(`DELETE FROM group_members WHERE account_id = ?1
        AND user_id = (SELECT user_id FROM users WHERE account_id = ?1 AND name_lower = ?2)
        AND group_id = (SELECT group_id FROM groups WHERE account_id = ?1 AND name_lower = ?3)`)
      .bind(accountId, ul, gl),
    bumpIfChangedStmt(db, accountId),
  ]);
  const r = check?.results[0] as { u: string | null; g: string | null } | undefined;
  if (!r?.u) return { ok: false, reason: "noUser" };
  if (!r.g) return { ok: false, reason: "noGroup" };
  return { ok: true };
}
