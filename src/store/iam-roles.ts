/**
 * Roles (and service-linked roles) in D1, plus the tag helpers shared with instance profiles.
 * Every query is scoped by account_id; multi-row writes are one D1 batch (one transaction),
 * and every write that changes who can do what bumps the account generation in that batch.
 */
import type { Db } from "./db";
import { AwsError, errors } from "../protocol/errors";
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

/** The service principal of a service-linked role (`/aws-service-role/<service>/`), else null. */
export function linkedServiceOf(role: Pick<RoleRow, "path">): string | null {
  if (!isServiceLinkedRole(role)) return null;
  const rest = role.path.slice(SERVICE_ROLE_PATH_PREFIX.length);
  const end = rest.indexOf("/");
  return end > 0 ? rest.slice(0, end) : null;
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

export async function getRoleById(db: Db, accountId: string, roleId: string): Promise<RoleRow | undefined> {
  const row = await db.$client
    .prepare(`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = ? AND role_id = ?`)
    .bind(accountId, roleId)
    .first<RoleRow>();
  return row ?? undefined;
}

/** A role and its tags in one round trip (GetRole, UpdateRoleDescription). */
export async function getRoleWithTags(db: Db, accountId: string, name: string): Promise<{ role: RoleRow; tags: TagRow[] } | undefined> {
  const d1 = db.$client;
  const [roles, tags] = await d1.batch([
    d1.prepare(`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = ? AND name_lower = ?`).bind(accountId, name.toLowerCase()),
    d1.prepare(`SELECT t.key AS Key, t.value AS Value FROM tags t JOIN roles r ON r.role_id = t.resource_id
       WHERE r.account_id = ? AND r.name_lower = ? AND t.account_id = ? AND t.resource_type = 'role' ORDER BY t.position, t.key_lower`)
      .bind(accountId, name.toLowerCase(), accountId),
  ]);
  const role = (roles?.results as RoleRow[] | undefined)?.[0];
  if (!role) return undefined;
  return { role, tags: (tags?.results ?? []) as TagRow[] };
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
export async function roleDeleteBlocker(db: Db, accountId: string, roleId: string): Promise<"attached" | "inline" | "instanceProfile" | null> {
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

/** Is `arn` an existing managed policy this account can use (its own, or AWS-managed)? */
export async function managedPolicyExists(db: Db, accountId: string, arn: string): Promise<boolean> {
  const row = await db.$client
    .prepare(`SELECT EXISTS (SELECT 1 FROM policies WHERE account_id = ?1 AND arn = ?2)
       OR EXISTS (SELECT 1 FROM aws_managed_policies WHERE arn = ?2) AS found`)
    .bind(accountId, arn)
    .first<{ found: number }>();
  return !!row?.found;
}

// ---------------------------------------------------------------- writes

const bump = (db: Db, accountId: string) =>
  db.$client.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ?").bind(accountId);

/** Converts a lost race on the unique (account, name) index into AWS's error. */
/** Runs a create batch; with `quota`, the batch ends with that quota's guard (no other statement of a create can abort). */
async function runCreate(db: Db, stmts: D1PreparedStatement[], onDuplicate: () => AwsError, quota?: AccountQuota): Promise<void> {
  try {
    await db.$client.batch(stmts);
  } catch (e) {
    if (isUnique(e)) throw onDuplicate();
    if (quota && isQuotaAbort(e)) throw errors.limitExceeded(quotaMessage(quota));
    throw mapTagLimit(e);
  }
}

function isUnique(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return m.includes("UNIQUE constraint failed") || m.includes("PRIMARY KEY");
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
    d1.prepare(`INSERT INTO roles (role_id, account_id, role_name, name_lower, path, arn, create_date,
        assume_role_policy_document, description, max_session_duration, permissions_boundary)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .bind(role.roleId, role.accountId, role.roleName, role.roleName.toLowerCase(), role.path, role.arn, role.createDate,
        role.assumeRolePolicyDocument, role.description, role.maxSessionDuration, role.permissionsBoundary),
    ...tags.map((t, i) =>
      d1.prepare(`INSERT INTO tags (account_id, resource_type, resource_id, key, key_lower, value, position) VALUES (?, 'role', ?, ?, ?, ?, ?)`)
        .bind(role.accountId, role.roleId, t.Key, t.Key.toLowerCase(), t.Value, i)),
    ...attachPolicies.map((arn) =>
      // Only policies that exist (the AWS-managed seed may lag behind a service's table).
      d1.prepare(`INSERT INTO policy_attachments (account_id, entity_type, entity_id, policy_arn)
          SELECT ?1, 'role', ?2, ?3 WHERE EXISTS (SELECT 1 FROM aws_managed_policies WHERE arn = ?3)
            OR EXISTS (SELECT 1 FROM policies WHERE account_id = ?1 AND arn = ?3)`)
        .bind(role.accountId, role.roleId, arn)),
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
    d1.prepare(`UPDATE roles SET description = CASE WHEN ?3 THEN ?4 ELSE description END,
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
    d1.prepare("UPDATE roles SET assume_role_policy_document = ? WHERE account_id = ? AND role_id = ? RETURNING role_id").bind(document, accountId, roleId),
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
export async function deleteRoleRow(db: Db, accountId: string, roleId: string, opts: { force?: boolean; extra?: D1PreparedStatement[] } = {}): Promise<boolean> {
  const d1 = db.$client;
  const guard = opts.force
    ? "NOT EXISTS (SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND role_id = ?2)"
    : `NOT EXISTS (SELECT 1 FROM policy_attachments WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2)
       AND NOT EXISTS (SELECT 1 FROM inline_policies WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2)
       AND NOT EXISTS (SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND role_id = ?2)`;
  const gone = "NOT EXISTS (SELECT 1 FROM roles WHERE role_id = ?2)";
  const stmts = [
    d1.prepare(`DELETE FROM roles WHERE account_id = ?1 AND role_id = ?2 AND ${guard} RETURNING role_id`).bind(accountId, roleId),
    d1.prepare(`DELETE FROM tags WHERE account_id = ?1 AND resource_type = 'role' AND resource_id = ?2 AND ${gone}`).bind(accountId, roleId),
    d1.prepare(`DELETE FROM policy_attachments WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2 AND ${gone}`).bind(accountId, roleId),
    d1.prepare(`DELETE FROM inline_policies WHERE account_id = ?1 AND entity_type = 'role' AND entity_id = ?2 AND ${gone}`).bind(accountId, roleId),
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

export interface DeletionTaskRow { taskId: string; accountId: string; roleArn: string; status: string; reason: string | null; createDate: string }

/**
 * DeleteServiceLinkedRole: removes the role with its policies and tags and records the task
 * (completed at once) in the same transaction. False when the role could not be deleted.
 */
export async function deleteServiceLinkedRoleRow(db: Db, role: RoleRow, taskId: string, createDate: string): Promise<boolean> {
  const d1 = db.$client;
  const record = d1.prepare(`INSERT INTO deletion_tasks (task_id, account_id, role_arn, status, reason, create_date)
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

// ---------------------------------------------------------------- tags (roles, instance profiles)

import type { TagRow } from "./tags";
export type { TagRow };
export type TaggedResource = "role" | "instance-profile";

/** The table and id column that own a tagged resource, for existence guards. */
const OWNER: Record<TaggedResource, { table: string; id: string }> = {
  role: { table: "roles", id: "role_id" },
  "instance-profile": { table: "instance_profiles", id: "instance_profile_id" },
};

export async function listTags(db: Db, accountId: string, type: TaggedResource, resourceId: string): Promise<TagRow[]> {
  const { results } = await db.$client
    .prepare(`SELECT key AS Key, value AS Value FROM tags WHERE account_id = ? AND resource_type = ? AND resource_id = ? ORDER BY position, key_lower`)
    .bind(accountId, type, resourceId)
    .all<TagRow>();
  return results;
}

const TAG_LIMIT_SENTINEL = "malformed JSON";

function mapTagLimit(e: unknown): unknown {
  const m = e instanceof Error ? e.message : String(e);
  if (m.includes(TAG_LIMIT_SENTINEL)) return errors.limitExceeded("The number of tags has reached the maximum limit.");
  return e;
}

/**
 * Adds or overwrites tags (keys are case-insensitive). The resource must still exist, and the
 * 50-tag limit is re-checked inside the transaction: a final statement fails (rolling the batch
 * back) when a concurrent TagX pushed the count over. Returns false when the resource is gone.
 */
export async function putTags(db: Db, accountId: string, type: TaggedResource, resourceId: string, tags: TagRow[], bumpGeneration: boolean): Promise<boolean> {
  const d1 = db.$client;
  const owner = OWNER[type];
  const exists = `EXISTS (SELECT 1 FROM ${owner.table} WHERE account_id = ?1 AND ${owner.id} = ?3)`;
  const stmts: D1PreparedStatement[] = [
    d1.prepare(`SELECT ${exists} AS found`).bind(accountId, type, resourceId),
    ...tags.map((t) =>
      d1.prepare(`INSERT INTO tags (account_id, resource_type, resource_id, key, key_lower, value, position)
          SELECT ?1, ?2, ?3, ?4, ?5, ?6,
            (SELECT COALESCE(MAX(position), -1) + 1 FROM tags WHERE resource_type = ?2 AND resource_id = ?3)
          WHERE ${exists}
          ON CONFLICT (resource_type, resource_id, key_lower) DO UPDATE SET key = excluded.key, value = excluded.value`)
        .bind(accountId, type, resourceId, t.Key, t.Key.toLowerCase(), t.Value)),
    // json('x') raises "malformed JSON": the only portable way to abort a D1 batch from SQL.
    d1.prepare(`SELECT CASE WHEN (SELECT COUNT(*) FROM tags WHERE resource_type = ?2 AND resource_id = ?3) > 50
        THEN json('x') ELSE 0 END AS over`).bind(accountId, type, resourceId),
  ];
  if (bumpGeneration) stmts.push(d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ?").bind(accountId));
  try {
    const [found] = await d1.batch<{ found: number }>(stmts);
    return !!found?.results[0]?.found;
  } catch (e) {
    throw mapTagLimit(e);
  }
}

export async function removeTags(db: Db, accountId: string, type: TaggedResource, resourceId: string, keys: string[], bumpGeneration: boolean): Promise<void> {
  if (keys.length === 0) return;
  const d1 = db.$client;
  const stmts: D1PreparedStatement[] = [
    d1.prepare(`DELETE FROM tags WHERE account_id = ? AND resource_type = ? AND resource_id = ?
        AND key_lower IN (SELECT value FROM json_each(?))`).bind(accountId, type, resourceId, JSON.stringify(keys.map((k) => k.toLowerCase()))),
  ];
  if (bumpGeneration) stmts.push(d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() > 0").bind(accountId));
  await d1.batch(stmts);
}

export { runCreate as runCreateBatch, isUnique as isUniqueError };
