/**
 * Roles (and service-linked roles) in D1, in the store's one dialect (src/store/db.ts): drizzle
 * `sql` templates over the schema's tables and columns. Every query is scoped by account_id; every
 * write is one D1 batch (src/store/write.ts: one transaction, with the generation bump the
 * action's effect asks for). Outcomes are plain values; the services turn them into AWS's errors.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { roles, policyAttachments, inlinePolicies, instanceProfiles, awsManagedPolicies, policies, deletionTasks } from "./schema";
import { writeBatch, type Write } from "./write";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";
import { isQuotaAbort, overBudget, quotaGuardStmt, type AccountQuota } from "./iam-quotas";

/** A role as the store returns it: every column of `roles` but name_lower. */
export type RoleRow = Row<typeof roles, "nameLower">;
const ROLE = selectList(roles, ["nameLower"]);

/** Roles under these paths belong to AWS (service-linked roles, IAM Identity Center roles). */
export const SERVICE_ROLE_PATH_PREFIX = "/aws-service-role/";
export const RESERVED_ROLE_PATH_PREFIXES = [SERVICE_ROLE_PATH_PREFIX, "/aws-reserved/"] as const;

export function isServiceLinkedRole(role: Pick<RoleRow, "path">): boolean {
  return role.path.startsWith(SERVICE_ROLE_PATH_PREFIX);
}

export function isProtectedRole(role: Pick<RoleRow, "path">): boolean {
  return RESERVED_ROLE_PATH_PREFIXES.some((p) => role.path.startsWith(p));
}

// ---------------------------------------------------------------- reads

export async function getRoleByName(db: Db, accountId: string, name: string): Promise<RoleRow | undefined> {
  return first<RoleRow>(
    db,
    sql`SELECT ${ROLE} FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.nameLower} = ${name.toLowerCase()}`,
  );
}

export interface ListOptions {
  pathPrefix?: string;
  /** name_lower of the last item of the previous page */
  after?: string;
  limit: number;
}

/**
 * A page of roles. Rows past LIST_DOCUMENT_BUDGET_CHARS of trust policies come back with
 * `overBudget` set and no document: the page ends before the first of them.
 */
export async function listRoles(db: Db, accountId: string, o: ListOptions): Promise<Array<RoleRow & { overBudget: number }>> {
  const over = overBudget(roles.assumeRolePolicyDocument, roles.nameLower);
  const list = selectList(roles, ["nameLower"], {
    assumeRolePolicyDocument: sql`CASE WHEN ${over} THEN '' ELSE ${roles.assumeRolePolicyDocument} END`,
  });
  const after = o.after ?? null;
  const prefix = o.pathPrefix ?? null;
  return all(
    db,
    sql`SELECT ${list}, ${over} AS overBudget FROM ${roles} WHERE ${roles.accountId} = ${accountId}
    AND (${after} IS NULL OR ${roles.nameLower} > ${after}) AND (${prefix} IS NULL OR substr(${roles.path}, 1, length(${prefix})) = ${prefix})
    ORDER BY ${roles.nameLower} LIMIT ${o.limit}`,
  );
}

/** Why a role cannot be deleted, in AWS's order of checks; null when nothing blocks it. */
export async function roleDeleteBlocker(
  db: Db,
  accountId: string,
  roleId: string,
): Promise<"attached" | "inline" | "instanceProfile" | null> {
  const row = await first<{ attached: number; inline: number; profile: number }>(
    db,
    sql`SELECT
      EXISTS (SELECT 1 FROM ${policyAttachments} WHERE ${policyAttachments.accountId} = ${accountId} AND ${policyAttachments.entityType} = 'role' AND ${policyAttachments.entityId} = ${roleId}) AS attached,
      EXISTS (SELECT 1 FROM ${inlinePolicies} WHERE ${inlinePolicies.accountId} = ${accountId} AND ${inlinePolicies.entityType} = 'role' AND ${inlinePolicies.entityId} = ${roleId}) AS inline,
      EXISTS (SELECT 1 FROM ${instanceProfiles} WHERE ${instanceProfiles.accountId} = ${accountId} AND ${instanceProfiles.roleId} = ${roleId}) AS profile`,
  );
  if (row?.attached) return "attached";
  if (row?.inline) return "inline";
  if (row?.profile) return "instanceProfile";
  return null;
}

// ---------------------------------------------------------------- writes

/** How a create ended: "exists" when the (account, name) was taken (a lost race included), "limit" at the account's quota. */
export type CreateOutcome = "ok" | "exists" | "limit";

/** Runs a create batch; with `quota`, the batch ends with that quota's guard (no other statement of a create can abort). */
export async function runCreate(w: Write, stmts: D1PreparedStatement[], quota?: AccountQuota): Promise<CreateOutcome> {
  try {
    await writeBatch(w, quota ? [...stmts, quotaGuardStmt(w.db, w.account, quota)] : stmts);
    return "ok";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    if (quota && isQuotaAbort(e)) return "limit";
    throw e;
  }
}

/** A new role's row, its tags and (service-linked roles) the managed policies that exist of `attachPolicies`. */
export function insertRoleStmts(db: Db, role: RoleRow, tags: TagRow[], attachPolicies: string[] = []): D1PreparedStatement[] {
  const a = role.accountId;
  const r = roles;
  const pa = policyAttachments;
  return [
    statement(
      db,
      sql`INSERT INTO ${r} (${bare(r.roleId)}, ${bare(r.accountId)}, ${bare(r.roleName)}, ${bare(r.nameLower)}, ${bare(r.path)}, ${bare(r.arn)},
        ${bare(r.createDate)}, ${bare(r.assumeRolePolicyDocument)}, ${bare(r.description)}, ${bare(r.maxSessionDuration)}, ${bare(r.permissionsBoundary)})
      VALUES (${role.roleId}, ${a}, ${role.roleName}, ${role.roleName.toLowerCase()}, ${role.path}, ${role.arn}, ${role.createDate},
        ${role.assumeRolePolicyDocument}, ${role.description}, ${role.maxSessionDuration}, ${role.permissionsBoundary})`,
    ),
    ...insertTagsStmts(db, a, "role", role.roleId, tags),
    ...attachPolicies.map((arn) =>
      // Only policies that exist (the AWS-managed seed may lag behind a service's table).
      statement(
        db,
        sql`INSERT INTO ${pa} (${bare(pa.accountId)}, ${bare(pa.entityType)}, ${bare(pa.entityId)}, ${bare(pa.policyArn)})
        SELECT ${a}, 'role', ${role.roleId}, ${arn} WHERE EXISTS (SELECT 1 FROM ${awsManagedPolicies} WHERE ${awsManagedPolicies.arn} = ${arn})
          OR EXISTS (SELECT 1 FROM ${policies} WHERE ${policies.accountId} = ${a} AND ${policies.arn} = ${arn})`,
      ),
    ),
  ];
}

/** Labs (src/labs/): every field of a role a template sets, in place. */
export function updateRoleStmt(
  db: Db,
  role: Pick<
    RoleRow,
    "accountId" | "roleId" | "path" | "arn" | "assumeRolePolicyDocument" | "description" | "maxSessionDuration" | "permissionsBoundary"
  >,
): D1PreparedStatement {
  const r = roles;
  return statement(
    db,
    sql`UPDATE ${r} SET ${bare(r.path)} = ${role.path}, ${bare(r.arn)} = ${role.arn}, ${bare(r.assumeRolePolicyDocument)} = ${role.assumeRolePolicyDocument},
      ${bare(r.description)} = ${role.description}, ${bare(r.maxSessionDuration)} = ${role.maxSessionDuration}, ${bare(r.permissionsBoundary)} = ${role.permissionsBoundary}
    WHERE ${r.accountId} = ${role.accountId} AND ${r.roleId} = ${role.roleId}`,
  );
}

/** Labs: a role with its policies and tags, taken out of any instance profile. */
export function deleteRoleCascadeStmts(db: Db, accountId: string, roleId: string): D1PreparedStatement[] {
  const pa = policyAttachments;
  const ip = inlinePolicies;
  return [
    statement(
      db,
      sql`UPDATE ${instanceProfiles} SET ${bare(instanceProfiles.roleId)} = NULL WHERE ${instanceProfiles.accountId} = ${accountId} AND ${instanceProfiles.roleId} = ${roleId}`,
    ),
    statement(db, sql`DELETE FROM ${pa} WHERE ${pa.accountId} = ${accountId} AND ${pa.entityType} = 'role' AND ${pa.entityId} = ${roleId}`),
    statement(db, sql`DELETE FROM ${ip} WHERE ${ip.accountId} = ${accountId} AND ${ip.entityType} = 'role' AND ${ip.entityId} = ${roleId}`),
    deleteTagsStmt(db, accountId, "role", roleId),
    statement(db, sql`DELETE FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.roleId} = ${roleId}`),
  ];
}

/** Inserts a role with its tags and (service-linked roles) the managed policies that exist of `attachPolicies`. */
export async function insertRole(w: Write, role: RoleRow, tags: TagRow[], attachPolicies: string[] = []): Promise<CreateOutcome> {
  return runCreate(w, insertRoleStmts(w.db, role, tags, attachPolicies), "RolesPerAccount");
}

/** Only the fields given change; false when the role vanished meanwhile. */
export async function updateRoleFields(
  w: Write,
  roleId: string,
  f: { description?: string; maxSessionDuration?: number },
): Promise<boolean> {
  const description = f.description !== undefined ? sql`${f.description}` : sql`${roles.description}`;
  const [upd] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${roles} SET ${bare(roles.description)} = ${description},
        ${bare(roles.maxSessionDuration)} = COALESCE(${f.maxSessionDuration ?? null}, ${roles.maxSessionDuration})
      WHERE ${roles.accountId} = ${w.account} AND ${roles.roleId} = ${roleId} RETURNING ${bare(roles.roleId)}`,
    ),
  ]);
  return (upd?.results.length ?? 0) > 0;
}

export async function updateTrustPolicy(w: Write, roleId: string, document: string): Promise<boolean> {
  const [upd] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${roles} SET ${bare(roles.assumeRolePolicyDocument)} = ${document}
      WHERE ${roles.accountId} = ${w.account} AND ${roles.roleId} = ${roleId} RETURNING ${bare(roles.roleId)}`,
    ),
  ]);
  return (upd?.results.length ?? 0) > 0;
}

/**
 * Deletes a role only if nothing is attached to it, inside one statement so a concurrent
 * AttachRolePolicy / PutRolePolicy / AddRoleToInstanceProfile cannot slip in between the check
 * and the delete. With `force`, the role's attachments and inline policies go with it
 * (DeleteServiceLinkedRole). Returns false when the role was not deleted.
 */
export async function deleteRoleRow(
  w: Write,
  roleId: string,
  opts: { force?: boolean; extra?: D1PreparedStatement[] } = {},
): Promise<boolean> {
  const { db, account: a } = w;
  const pa = policyAttachments;
  const ip = inlinePolicies;
  const inProfile = sql`EXISTS (SELECT 1 FROM ${instanceProfiles} WHERE ${instanceProfiles.accountId} = ${a} AND ${instanceProfiles.roleId} = ${roleId})`;
  const guard = opts.force
    ? sql`NOT ${inProfile}`
    : sql`NOT EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.accountId} = ${a} AND ${pa.entityType} = 'role' AND ${pa.entityId} = ${roleId})
       AND NOT EXISTS (SELECT 1 FROM ${ip} WHERE ${ip.accountId} = ${a} AND ${ip.entityType} = 'role' AND ${ip.entityId} = ${roleId})
       AND NOT ${inProfile}`;
  const gone = sql`NOT EXISTS (SELECT 1 FROM ${roles} WHERE ${roles.roleId} = ${roleId})`;
  const [del] = await writeBatch(w, [
    statement(
      db,
      sql`DELETE FROM ${roles} WHERE ${roles.accountId} = ${a} AND ${roles.roleId} = ${roleId} AND ${guard} RETURNING ${bare(roles.roleId)}`,
    ),
    deleteTagsStmt(db, a, "role", roleId),
    statement(
      db,
      sql`DELETE FROM ${pa} WHERE ${pa.accountId} = ${a} AND ${pa.entityType} = 'role' AND ${pa.entityId} = ${roleId} AND ${gone}`,
    ),
    statement(
      db,
      sql`DELETE FROM ${ip} WHERE ${ip.accountId} = ${a} AND ${ip.entityType} = 'role' AND ${ip.entityId} = ${roleId} AND ${gone}`,
    ),
    ...(opts.extra ?? []),
  ]);
  return (del?.results.length ?? 0) > 0;
}

/** Called by sts:AssumeRole on success (RoleLastUsed): bookkeeping, not an action's write. */
export async function recordRoleUse(db: Db, accountId: string, roleId: string, use: { date: string; region: string }): Promise<void> {
  await statement(
    db,
    sql`UPDATE ${roles} SET ${bare(roles.lastUsedDate)} = ${use.date}, ${bare(roles.lastUsedRegion)} = ${use.region}
    WHERE ${roles.accountId} = ${accountId} AND ${roles.roleId} = ${roleId}`,
  ).run();
}

// ---------------------------------------------------------------- service-linked role deletion tasks

export type DeletionTaskRow = Row<typeof deletionTasks>;

/**
 * DeleteServiceLinkedRole: removes the role with its policies and tags and records the task
 * (completed at once) in the same transaction. False when the role could not be deleted.
 */
export async function deleteServiceLinkedRoleRow(w: Write, role: RoleRow, taskId: string, createDate: string): Promise<boolean> {
  const t = deletionTasks;
  const record = statement(
    w.db,
    sql`INSERT INTO ${t} (${bare(t.taskId)}, ${bare(t.accountId)}, ${bare(t.roleArn)}, ${bare(t.status)}, ${bare(t.reason)}, ${bare(t.createDate)})
      SELECT ${taskId}, ${role.accountId}, ${role.arn}, 'SUCCEEDED', NULL, ${createDate} WHERE NOT EXISTS (SELECT 1 FROM ${roles} WHERE ${roles.roleId} = ${role.roleId})`,
  );
  return deleteRoleRow(w, role.roleId, { force: true, extra: [record] });
}

export async function getDeletionTask(db: Db, accountId: string, taskId: string): Promise<DeletionTaskRow | undefined> {
  return first<DeletionTaskRow>(
    db,
    sql`SELECT ${selectList(deletionTasks)} FROM ${deletionTasks}
    WHERE ${deletionTasks.accountId} = ${accountId} AND ${deletionTasks.taskId} = ${taskId}`,
  );
}

export type { TagRow };
