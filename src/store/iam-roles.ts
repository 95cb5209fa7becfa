/**
 * Roles (and service-linked roles) in D1.
 * Every query is scoped by account_id; multi-row writes are one D1 batch (one transaction),
 * and every write that changes who can do what bumps the account generation in that batch.
 */
import { isUniqueViolation, type Db } from "./db";
import { AwsError, errors } from "../protocol/errors";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";
import { LIST_DOCUMENT_BUDGET_CHARS, isQuotaAbort, overBudgetSql, quotaGuardStmt, quotaMessage, type AccountQuota } from "./iam-quotas";

export interface RoleRow {
  roleId: string;
  accountId: string;
  roleName: string;
  path: string;
  arn: string;
  createDate: string;
  /** the trust policy exactly as sent */
  assumeRolePolicyDocument: string;
  description: string | null;
  maxSessionDuration: number;
  permissionsBoundary: string | null;
  lastUsedDate: string | null;
  lastUsedRegion: string | null;
}

const ROLE_COLUMNS = `role_id AS roleId, account_id AS accountId, role_name AS roleName, path, arn,
  create_date AS createDate, assume_role_policy_document AS assumeRolePolicyDocument, description,
  max_session_duration AS maxSessionDuration, permissions_boundary AS permissionsBoundary,
  last_used_date AS lastUsedDate, last_used_region AS lastUsedRegion`;

/** Roles under these paths belong to AWS (service-linked roles, IAM Identity Center roles). */
export const SERVICE_ROLE_PATH_PREFIX = "/aws-service-role/";
export const RESERVED_ROLE_PATH_PREFIXES = [SERVICE_ROLE_PATH_PREFIX, "/aws-reserved/"] as const;

export function isServiceLinkedRole(role: Pick<RoleRow, "path">): boolean {
  return role.path.startsWith(SERVICE_ROLE_PATH_PREFIX);
}

export function isProtectedRole(role: Pick<RoleRow, "path">): boolean {
  return RESERVED_ROLE_PATH_PREFIXES.some((p) => role.path.startsWith(p));
}

export function unmodifiableRole(roleName: string): AwsError {
  return new AwsError(
    "UnmodifiableEntity",
    `Cannot perform the operation on the protected role '${roleName}' - this role is only modifiable by AWS`,
    400,
  );
}

/**
 * Throws AWS's UnmodifiableEntity (400) when the role is protected (service-linked or reserved).
 * Call it from every action that changes a role's permissions or trust: UpdateAssumeRolePolicy,
 * Put/DeleteRolePolicy, Attach/DetachRolePolicy, Put/DeleteRolePermissionsBoundary, DeleteRole,
 * Add/RemoveRoleToInstanceProfile. (AWS lets UpdateRoleDescription, TagRole/UntagRole and
 * UpdateRole without MaxSessionDuration through.)
 */
export function assertRoleModifiable(role: Pick<RoleRow, "path" | "roleName">): void {
  if (isProtectedRole(role)) throw unmodifiableRole(role.roleName);
}

// ---------------------------------------------------------------- reads

export async function getRoleByName(db: Db, accountId: string, name: string): Promise<RoleRow | undefined> {
  const row = await db.$client
    .prepare(`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = ? AND name_lower = ?`)
    .bind(accountId, name.toLowerCase())
    .first<RoleRow>();
  return row ?? undefined;
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
  const over = overBudgetSql("assume_role_policy_document", "name_lower", "?5");
  const { results } = await db.$client
    .prepare(`SELECT ${ROLE_COLUMNS.replace("assume_role_policy_document AS", `CASE WHEN ${over} THEN '' ELSE assume_role_policy_document END AS`)},
       ${over} AS overBudget, name_lower AS nameLower FROM roles WHERE account_id = ?1
       AND (?2 IS NULL OR name_lower > ?2) AND (?3 IS NULL OR substr(path, 1, length(?3)) = ?3)
       ORDER BY name_lower LIMIT ?4`)
    .bind(accountId, o.after ?? null, o.pathPrefix ?? null, o.limit, LIST_DOCUMENT_BUDGET_CHARS)
    .all<RoleRow & { overBudget: number }>();
  return results;
}

/** Why a role cannot be deleted, in AWS's order of checks; null when nothing blocks it. */
export async function roleDeleteBlocker(
  db: Db,
  accountId: string,
  roleId: string,
): Promise<"attached" | "inline" | "instanceProfile" | null> {
  const row = await db.$client
    .prepare(`SELECT
        EXISTS (SELECT 1 FROM policy_attachments WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2) AS attached,
        EXISTS (SELECT 1 FROM inline_policies WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2) AS inline,
        EXISTS (SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND role_id = ?2) AS profile`)
    .bind(accountId, roleId)
    .first<{ attached: number; inline: number; profile: number }>();
  if (row?.attached) return "attached";
  if (row?.inline) return "inline";
  if (row?.profile) return "instanceProfile";
  return null;
}

// ---------------------------------------------------------------- writes

const bump = (db: Db, accountId: string) =>
  db.$client.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ?").bind(accountId);

/** Runs a create batch (a lost race on the unique (account, name) index becomes `onDuplicate()`); with `quota`, the batch ends with that quota's guard (no other statement of a create can abort). */
async function runCreate(db: Db, stmts: D1PreparedStatement[], onDuplicate: () => AwsError, quota?: AccountQuota): Promise<void> {
  try {
    await db.$client.batch(stmts);
  } catch (e) {
    if (isUniqueViolation(e)) throw onDuplicate();
    if (quota && isQuotaAbort(e)) throw errors.limitExceeded(quotaMessage(quota));
    throw e;
  }
}

export async function insertRole(
  db: Db,
  role: RoleRow,
  tags: TagRow[],
  onDuplicate: () => AwsError,
  attachPolicies: string[] = [],
): Promise<void> {
  const d1 = db.$client;
  const stmts: D1PreparedStatement[] = [
    d1
      .prepare(`INSERT INTO roles (role_id, account_id, role_name, name_lower, path, arn, create_date,
        assume_role_policy_document, description, max_session_duration, permissions_boundary)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .bind(
        role.roleId,
        role.accountId,
        role.roleName,
        role.roleName.toLowerCase(),
        role.path,
        role.arn,
        role.createDate,
        role.assumeRolePolicyDocument,
        role.description,
        role.maxSessionDuration,
        role.permissionsBoundary,
      ),
    ...insertTagsStmts(db, role.accountId, "role", role.roleId, tags),
    ...attachPolicies.map((arn) =>
      // Only policies that exist (the AWS-managed seed may lag behind a service's table).
      d1
        .prepare(`INSERT INTO policy_attachments (account_id, entity_type, entity_id, policy_arn)
          SELECT ?1, 'role', ?2, ?3 WHERE EXISTS (SELECT 1 FROM aws_managed_policies WHERE arn = ?3)
            OR EXISTS (SELECT 1 FROM policies WHERE account_id = ?1 AND arn = ?3)`)
        .bind(role.accountId, role.roleId, arn),
    ),
    bump(db, role.accountId),
    quotaGuardStmt(db, role.accountId, "RolesPerAccount"),
  ];
  await runCreate(db, stmts, onDuplicate, "RolesPerAccount");
}

/** Only the fields given change; false when the role vanished meanwhile. */
export async function updateRoleFields(
  db: Db,
  accountId: string,
  roleId: string,
  f: { description?: string; maxSessionDuration?: number },
): Promise<boolean> {
  const d1 = db.$client;
  const [upd] = await d1.batch([
    d1
      .prepare(`UPDATE roles SET description = CASE WHEN ?3 THEN ?4 ELSE description END,
        max_session_duration = COALESCE(?5, max_session_duration)
        WHERE account_id = ?1 AND role_id = ?2 RETURNING role_id`)
      .bind(accountId, roleId, f.description !== undefined ? 1 : 0, f.description ?? null, f.maxSessionDuration ?? null),
    // MaxSessionDuration is read by sts:AssumeRole from the cached principal data.
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() > 0").bind(accountId),
  ]);
  return (upd?.results.length ?? 0) > 0;
}

export async function updateTrustPolicy(db: Db, accountId: string, roleId: string, document: string): Promise<boolean> {
  const d1 = db.$client;
  const [upd] = await d1.batch([
    d1
      .prepare("UPDATE roles SET assume_role_policy_document = ? WHERE account_id = ? AND role_id = ? RETURNING role_id")
      .bind(document, accountId, roleId),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() > 0").bind(accountId),
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
  db: Db,
  accountId: string,
  roleId: string,
  opts: { force?: boolean; extra?: D1PreparedStatement[] } = {},
): Promise<boolean> {
  const d1 = db.$client;
  const guard = opts.force
    ? "NOT EXISTS (SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND role_id = ?2)"
    : `NOT EXISTS (SELECT 1 FROM policy_attachments WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2)
       AND NOT EXISTS (SELECT 1 FROM inline_policies WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2)
       AND NOT EXISTS (SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND role_id = ?2)`;
  const gone = "NOT EXISTS (SELECT 1 FROM roles WHERE role_id = ?2)";
  const stmts = [
    d1.prepare(`DELETE FROM roles WHERE account_id = ?1 AND role_id = ?2 AND ${guard} RETURNING role_id`).bind(accountId, roleId),
    deleteTagsStmt(db, accountId, "role", roleId),
    d1
      .prepare(`DELETE FROM policy_attachments WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2 AND ${gone}`)
      .bind(accountId, roleId),
    d1
      .prepare(`DELETE FROM inline_policies WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2 AND ${gone}`)
      .bind(accountId, roleId),
    ...(opts.extra ?? []),
    d1.prepare(`UPDATE accounts SET generation = generation + 1 WHERE id = ?1 AND ${gone}`).bind(accountId, roleId),
  ];
  const [del] = await d1.batch(stmts);
  return (del?.results.length ?? 0) > 0;
}

/** Called by sts:AssumeRole on success (RoleLastUsed). Not an authorization change: no bump. */
export async function recordRoleUse(db: Db, accountId: string, roleId: string, use: { date: string; region: string }): Promise<void> {
  await db.$client
    .prepare("UPDATE roles SET last_used_date = ?, last_used_region = ? WHERE account_id = ? AND role_id = ?")
    .bind(use.date, use.region, accountId, roleId)
    .run();
}

// ---------------------------------------------------------------- service-linked role deletion tasks

export interface DeletionTaskRow {
  taskId: string;
  accountId: string;
  roleArn: string;
  status: string;
  reason: string | null;
  createDate: string;
}

/**
 * DeleteServiceLinkedRole: removes the role with its policies and tags and records the task
 * (completed at once) in the same transaction. False when the role could not be deleted.
 */
export async function deleteServiceLinkedRoleRow(db: Db, role: RoleRow, taskId: string, createDate: string): Promise<boolean> {
  const d1 = db.$client;
  const record = d1
    .prepare(`INSERT INTO deletion_tasks (task_id, account_id, role_arn, status, reason, create_date)
      SELECT ?1, ?2, ?3, 'SUCCEEDED', NULL, ?4 WHERE NOT EXISTS (SELECT 1 FROM roles WHERE role_id = ?5)`)
    .bind(taskId, role.accountId, role.arn, createDate, role.roleId);
  return deleteRoleRow(db, role.accountId, role.roleId, { force: true, extra: [record] });
}

export async function getDeletionTask(db: Db, accountId: string, taskId: string): Promise<DeletionTaskRow | undefined> {
  const row = await db.$client
    .prepare(`SELECT task_id AS taskId, account_id AS accountId, role_arn AS roleArn, status, reason, create_date AS createDate
       FROM deletion_tasks WHERE account_id = ? AND task_id = ?`)
    .bind(accountId, taskId)
    .first<DeletionTaskRow>();
  return row ?? undefined;
}

export type { TagRow };
export { runCreate as runCreateBatch };
