/**
 * IAM groups and memberships in D1, in the store's one dialect (src/store/db.ts): drizzle `sql`
 * templates over the schema's tables and columns. Limits (groups per account, groups per user) and
 * the DeleteGroup conflicts are conditions of the writing statements themselves; every write is one
 * batch (src/store/write.ts). Outcomes are plain values; the services turn them into AWS's errors.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { ACCOUNT_QUOTAS, SUMMARY_QUOTAS } from "./iam-quotas";
import { groupMembers, groups, inlinePolicies, policyAttachments, users } from "./schema";
import { writeBatch, type Write } from "./write";

export const GROUPS_PER_ACCOUNT = ACCOUNT_QUOTAS.GroupsPerAccount.max;
export const GROUPS_PER_USER = SUMMARY_QUOTAS.GroupsPerUserQuota;

/** A group as the store returns it: every column of `groups` but account_id and name_lower. */
export type GroupRow = Row<typeof groups, "accountId" | "nameLower">;
const GROUP = selectList(groups, ["accountId", "nameLower"]);
/** A group or user of a page, with the name_lower the next page starts after. */
const GROUP_PAGED = selectList(groups, ["accountId"]);
const USER_PAGED = selectList(users, ["accountId"]);

const byName = (accountId: string, lower: string) => sql`${groups.accountId} = ${accountId} AND ${groups.nameLower} = ${lower}`;
const userByName = (accountId: string, lower: string) => sql`${users.accountId} = ${accountId} AND ${users.nameLower} = ${lower}`;

export async function getGroupByName(db: Db, accountId: string, name: string): Promise<GroupRow | undefined> {
  return first<GroupRow>(db, sql`SELECT ${GROUP} FROM ${groups} WHERE ${byName(accountId, name.toLowerCase())}`);
}

/** A group and one page of its members (in user-name order), in one round trip. */
export async function getGroupWithUsers(
  db: Db,
  accountId: string,
  name: string,
  o: { afterNameLower?: string; limit: number },
): Promise<{ group: GroupRow; users: Row<typeof users, "accountId">[] } | undefined> {
  const lower = name.toLowerCase();
  const [g, u] = await db.$client.batch([
    statement(db, sql`SELECT ${GROUP} FROM ${groups} WHERE ${byName(accountId, lower)}`),
    statement(
      db,
      sql`SELECT ${USER_PAGED} FROM ${groups}
      JOIN ${groupMembers} ON ${groupMembers.groupId} = ${groups.groupId} JOIN ${users} ON ${users.userId} = ${groupMembers.userId}
      WHERE ${byName(accountId, lower)} AND ${groupMembers.accountId} = ${accountId} AND ${users.accountId} = ${accountId}
        AND ${users.nameLower} > ${o.afterNameLower ?? ""}
      ORDER BY ${users.nameLower} LIMIT ${o.limit}`,
    ),
  ]);
  const group = g?.results[0] as GroupRow | undefined;
  if (!group) return undefined;
  return { group, users: (u?.results ?? []) as Row<typeof users, "accountId">[] };
}

export async function listGroups(
  db: Db,
  accountId: string,
  o: { pathPrefix?: string; afterNameLower?: string; limit: number },
): Promise<Row<typeof groups, "accountId">[]> {
  const prefix = o.pathPrefix ?? "/";
  return all(
    db,
    sql`SELECT ${GROUP_PAGED} FROM ${groups}
      WHERE ${groups.accountId} = ${accountId} AND substr(${groups.path}, 1, length(${prefix})) = ${prefix}
        AND ${groups.nameLower} > ${o.afterNameLower ?? ""}
      ORDER BY ${groups.nameLower} LIMIT ${o.limit}`,
  );
}

/** Groups of a user (group-name order); undefined when there is no such user. */
export async function listGroupsForUser(
  db: Db,
  accountId: string,
  userName: string,
  o: { afterNameLower?: string; limit: number },
): Promise<Row<typeof groups, "accountId">[] | undefined> {
  const lower = userName.toLowerCase();
  const [u, g] = await db.$client.batch([
    statement(db, sql`SELECT ${users.userId} FROM ${users} WHERE ${userByName(accountId, lower)}`),
    statement(
      db,
      sql`SELECT ${GROUP_PAGED} FROM ${users}
      JOIN ${groupMembers} ON ${groupMembers.userId} = ${users.userId} JOIN ${groups} ON ${groups.groupId} = ${groupMembers.groupId}
      WHERE ${userByName(accountId, lower)} AND ${groupMembers.accountId} = ${accountId} AND ${groups.accountId} = ${accountId}
        AND ${groups.nameLower} > ${o.afterNameLower ?? ""}
      ORDER BY ${groups.nameLower} LIMIT ${o.limit}`,
    ),
  ]);
  if ((u?.results.length ?? 0) === 0) return undefined;
  return (g?.results ?? []) as Row<typeof groups, "accountId">[];
}

/** Labs (src/labs/): a new group's row (no quota check: a template holds far fewer than GROUPS_PER_ACCOUNT). */
export function insertGroupStmt(db: Db, accountId: string, g: GroupRow): D1PreparedStatement {
  const t = groups;
  return statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.groupId)}, ${bare(t.accountId)}, ${bare(t.groupName)}, ${bare(t.nameLower)}, ${bare(t.path)}, ${bare(t.arn)}, ${bare(t.createDate)})
    VALUES (${g.groupId}, ${accountId}, ${g.groupName}, ${g.groupName.toLowerCase()}, ${g.path}, ${g.arn}, ${g.createDate})`,
  );
}

/** Labs: a group's path (with its ARN) set in place. */
export function updateGroupPathStmt(db: Db, accountId: string, groupId: string, path: string, arn: string): D1PreparedStatement {
  return statement(
    db,
    sql`UPDATE ${groups} SET ${bare(groups.path)} = ${path}, ${bare(groups.arn)} = ${arn} WHERE ${groups.accountId} = ${accountId} AND ${groups.groupId} = ${groupId}`,
  );
}

/** Labs: a group with its memberships and policies. */
export function deleteGroupCascadeStmts(db: Db, accountId: string, groupId: string): D1PreparedStatement[] {
  return [
    statement(db, sql`DELETE FROM ${groupMembers} WHERE ${groupMembers.accountId} = ${accountId} AND ${groupMembers.groupId} = ${groupId}`),
    statement(
      db,
      sql`DELETE FROM ${inlinePolicies} WHERE ${inlinePolicies.entityType} = 'group' AND ${inlinePolicies.entityId} = ${groupId}`,
    ),
    statement(
      db,
      sql`DELETE FROM ${policyAttachments} WHERE ${policyAttachments.entityType} = 'group' AND ${policyAttachments.entityId} = ${groupId}`,
    ),
    statement(db, sql`DELETE FROM ${groups} WHERE ${groups.accountId} = ${accountId} AND ${groups.groupId} = ${groupId}`),
  ];
}

/** Labs: a membership by ids (idempotent). */
export function addMemberStmt(db: Db, accountId: string, groupId: string, userId: string): D1PreparedStatement {
  const m = groupMembers;
  return statement(
    db,
    sql`INSERT INTO ${m} (${bare(m.accountId)}, ${bare(m.groupId)}, ${bare(m.userId)}) VALUES (${accountId}, ${groupId}, ${userId}) ON CONFLICT DO NOTHING`,
  );
}

/** Labs: every membership of a user. */
export function clearMembershipsStmt(db: Db, accountId: string, userId: string): D1PreparedStatement {
  return statement(
    db,
    sql`DELETE FROM ${groupMembers} WHERE ${groupMembers.accountId} = ${accountId} AND ${groupMembers.userId} = ${userId}`,
  );
}

export type CreateGroupResult = { ok: true } | { ok: false; reason: "exists" | "limit" };

export async function createGroup(w: Write, g: GroupRow): Promise<CreateGroupResult> {
  const { db, account: accountId } = w;
  const t = groups;
  try {
    const [ins] = await writeBatch(w, [
      statement(
        db,
        sql`INSERT INTO ${t} (${bare(t.groupId)}, ${bare(t.accountId)}, ${bare(t.groupName)}, ${bare(t.nameLower)}, ${bare(t.path)}, ${bare(t.arn)}, ${bare(t.createDate)})
        SELECT ${g.groupId}, ${accountId}, ${g.groupName}, ${g.groupName.toLowerCase()}, ${g.path}, ${g.arn}, ${g.createDate}
        WHERE (SELECT COUNT(*) FROM ${t} WHERE ${t.accountId} = ${accountId}) < ${GROUPS_PER_ACCOUNT}`,
      ),
    ]);
    return (ins?.meta.changes ?? 0) > 0 ? { ok: true } : { ok: false, reason: "limit" };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
}

export type UpdateGroupResult = { ok: true } | { ok: false; reason: "notFound" | "exists" };

export async function updateGroup(
  w: Write,
  name: string,
  change: { newName: string; newPath: string; newArn: string },
): Promise<UpdateGroupResult> {
  const { db, account: accountId } = w;
  try {
    const [upd] = await writeBatch(w, [
      statement(
        db,
        sql`UPDATE ${groups} SET ${bare(groups.groupName)} = ${change.newName}, ${bare(groups.nameLower)} = ${change.newName.toLowerCase()},
          ${bare(groups.path)} = ${change.newPath}, ${bare(groups.arn)} = ${change.newArn}
        WHERE ${byName(accountId, name.toLowerCase())}`,
      ),
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

/** What hangs off the group row in scope (`groups.group_id`), each an EXISTS, in AWS's order of DeleteGroup's checks. */
function dependents() {
  const gid = groups.groupId;
  return {
    mem: sql`EXISTS (SELECT 1 FROM ${groupMembers} WHERE ${groupMembers.groupId} = ${gid})`,
    inl: sql`EXISTS (SELECT 1 FROM ${inlinePolicies} WHERE ${inlinePolicies.entityType} = 'group' AND ${inlinePolicies.entityId} = ${gid})`,
    att: sql`EXISTS (SELECT 1 FROM ${policyAttachments} WHERE ${policyAttachments.entityType} = 'group' AND ${policyAttachments.entityId} = ${gid})`,
  };
}

export async function deleteGroup(w: Write, name: string, retry = true): Promise<DeleteGroupResult> {
  const { db, account: accountId } = w;
  const lower = name.toLowerCase();
  const d = dependents();
  const [del] = await writeBatch(w, [
    statement(
      db,
      sql`DELETE FROM ${groups} WHERE ${byName(accountId, lower)} AND NOT ${d.mem} AND NOT ${d.inl} AND NOT ${d.att}
      RETURNING ${bare(groups.groupId)}`,
    ),
  ]);
  if ((del?.results.length ?? 0) > 0) return { ok: true };
  const r = await first<{ mem: number; inl: number; att: number }>(
    db,
    sql`SELECT ${d.mem} AS mem, ${d.inl} AS inl, ${d.att} AS att FROM ${groups} WHERE ${byName(accountId, lower)}`,
  );
  if (!r) return { ok: false, reason: "notFound" };
  if (!r.mem && !r.inl && !r.att && retry) return deleteGroup(w, name, false);
  return { ok: false, reason: "conflict", blocker: r.mem ? "members" : r.inl ? "inlinePolicies" : "attachedPolicies" };
}

export type MembershipResult = { ok: true } | { ok: false; reason: "noUser" | "noGroup" | "limit" };

/**
 * Adds a user to a group (idempotent). The GroupsPerUser limit is a condition of the insert,
 * so parallel adds of one user to many groups stop at exactly the limit.
 */
export async function addUserToGroup(w: Write, groupName: string, userName: string): Promise<MembershipResult> {
  const { db, account: accountId } = w;
  const gl = groupName.toLowerCase();
  const ul = userName.toLowerCase();
  const m = groupMembers;
  const [ins] = await writeBatch(w, [
    statement(
      db,
      sql`INSERT INTO ${m} (${bare(m.accountId)}, ${bare(m.groupId)}, ${bare(m.userId)})
      SELECT ${accountId}, ${groups.groupId}, ${users.userId} FROM ${users}, ${groups}
      WHERE ${userByName(accountId, ul)} AND ${byName(accountId, gl)}
        AND (SELECT COUNT(*) FROM ${m} WHERE ${m.userId} = ${users.userId}) < ${GROUPS_PER_USER}
      ON CONFLICT DO NOTHING`,
    ),
  ]);
  if ((ins?.meta.changes ?? 0) > 0) return { ok: true };
  const r = await first<{ u: string | null; g: string | null; member: number }>(
    db,
    sql`SELECT
        (SELECT ${users.userId} FROM ${users} WHERE ${userByName(accountId, ul)}) AS u,
        (SELECT ${groups.groupId} FROM ${groups} WHERE ${byName(accountId, gl)}) AS g,
        EXISTS (SELECT 1 FROM ${m} JOIN ${users} ON ${users.userId} = ${m.userId} JOIN ${groups} ON ${groups.groupId} = ${m.groupId}
          WHERE ${userByName(accountId, ul)} AND ${byName(accountId, gl)}) AS member`,
  );
  if (!r?.u) return { ok: false, reason: "noUser" };
  if (!r.g) return { ok: false, reason: "noGroup" };
  if (r.member) return { ok: true };
  return { ok: false, reason: "limit" };
}

/** Removes a user from a group; removing a non-member succeeds, as in AWS. */
export async function removeUserFromGroup(w: Write, groupName: string, userName: string): Promise<MembershipResult> {
  const { db, account: accountId } = w;
  const gl = groupName.toLowerCase();
  const ul = userName.toLowerCase();
  const userId = sql`(SELECT ${users.userId} FROM ${users} WHERE ${userByName(accountId, ul)})`;
  const groupId = sql`(SELECT ${groups.groupId} FROM ${groups} WHERE ${byName(accountId, gl)})`;
  const [check] = await writeBatch(w, [
    statement(db, sql`SELECT ${userId} AS u, ${groupId} AS g`),
    statement(
      db,
      sql`DELETE FROM ${groupMembers} WHERE ${groupMembers.accountId} = ${accountId}
        AND ${groupMembers.userId} = ${userId} AND ${groupMembers.groupId} = ${groupId}`,
    ),
  ]);
  const r = check?.results[0] as { u: string | null; g: string | null } | undefined;
  if (!r?.u) return { ok: false, reason: "noUser" };
  if (!r.g) return { ok: false, reason: "noGroup" };
  return { ok: true };
}
