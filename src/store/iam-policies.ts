/**
 * Managed policies (customer-managed in `policies`/`policy_versions`, AWS-managed in the global
 * read-only `aws_managed_policies`), their versions, tags, usage counts and the policy loader
 * the authorizer uses. Every query is scoped by account; limits are enforced inside SQL so
 * concurrent requests cannot overshoot them.
 */
import type { Db } from "./db";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";
import { bumpGeneration } from "./accounts";
import { isQuotaAbort, quotaGuardStmt, SUMMARY_QUOTAS } from "./iam-quotas";

export const AWS_POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy/";
export const MAX_POLICY_VERSIONS = SUMMARY_QUOTAS.VersionsPerPolicyQuota;

export function isAwsManagedArn(arn: string): boolean {
  return arn.startsWith(AWS_POLICY_ARN_PREFIX);
}

export interface PolicyRow {
  policyId: string;
  policyName: string;
  path: string;
  arn: string;
  defaultVersionId: string;
  description: string | null;
  createDate: string;
  updateDate: string;
  attachmentCount: number;
  boundaryCount: number;
  awsManaged: boolean;
}

export interface RawPolicy {
  policy_id: string;
  policy_name: string;
  path: string;
  arn: string;
  default_version_id: string;
  description: string | null;
  create_date: string;
  update_date: string;
  attachment_count: number;
  boundary_count: number;
  aws: number;
}

export function toPolicy(r: RawPolicy): PolicyRow {
  return {
    policyId: r.policy_id,
    policyName: r.policy_name,
    path: r.path,
    arn: r.arn,
    defaultVersionId: r.default_version_id,
    description: r.description,
    createDate: r.create_date,
    updateDate: r.update_date,
    attachmentCount: r.attachment_count ?? 0,
    boundaryCount: r.boundary_count ?? 0,
    awsManaged: r.aws === 1,
  };
}

/** Usage counts of one ARN in one account (bind: account, arn, account, arn, account, arn). */
const COUNTS_SQL = `
  (SELECT COUNT(*) FROM policy_attachments a WHERE a.account_id = ? AND a.policy_arn = ?) AS attachment_count,
  ((SELECT COUNT(*) FROM users u WHERE u.account_id = ? AND u.permissions_boundary = ?) +
   (SELECT COUNT(*) FROM roles r WHERE r.account_id = ? AND r.permissions_boundary = ?)) AS boundary_count`;

/** A customer policy of the account or an AWS-managed policy, with its usage counts in the account. */
export async function getPolicy(db: Db, accountId: string, arn: string): Promise<PolicyRow | undefined> {
  const d1 = db.$client;
  const counts = [accountId, arn, accountId, arn, accountId, arn];
  const row = isAwsManagedArn(arn)
    ? await d1
        .prepare(`SELECT policy_id, policy_name, path, arn, default_version_id, description, create_date, update_date, 1 AS aws, ${COUNTS_SQL}
        FROM aws_managed_policies WHERE arn = ?`)
        .bind(...counts, arn)
        .first<RawPolicy>()
    : await d1
        .prepare(`SELECT policy_id, policy_name, path, arn, default_version_id, description, create_date, update_date, 0 AS aws, ${COUNTS_SQL}
        FROM policies WHERE account_id = ? AND arn = ?`)
        .bind(...counts, accountId, arn)
        .first<RawPolicy>();
  return row ? toPolicy(row) : undefined;
}

export type { TagRow };

/** Is `arn` an existing managed policy this account can use (its own, or AWS-managed)? */
export async function managedPolicyExists(db: Db, accountId: string, arn: string): Promise<boolean> {
  const row = await db.$client
    .prepare(`SELECT EXISTS (SELECT 1 FROM policies WHERE account_id = ?1 AND arn = ?2)
       OR EXISTS (SELECT 1 FROM aws_managed_policies WHERE arn = ?2) AS found`)
    .bind(accountId, arn)
    .first<{ found: number }>();
  return !!row?.found;
}

export interface NewPolicy {
  policyId: string;
  policyName: string;
  path: string;
  arn: string;
  description?: string;
  document: string;
  createDate: string;
  tags: TagRow[];
}

export type CreatePolicyResult = "ok" | "exists" | "limit";

/**
 * Inserts the policy, its v1 and its tags in one transaction: "exists" when the name is taken,
 * "limit" when the account already holds PoliciesPerAccount customer managed policies.
 */
export async function createPolicy(db: Db, accountId: string, p: NewPolicy): Promise<CreatePolicyResult> {
  const d1 = db.$client;
  const stmts = [
    d1
      .prepare(`INSERT INTO policies (policy_id, account_id, policy_name, name_lower, path, arn, default_version_id, next_version, description, create_date, update_date)
      VALUES (?, ?, ?, ?, ?, ?, 'v1', 2, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .bind(
        p.policyId,
        accountId,
        p.policyName,
        p.policyName.toLowerCase(),
        p.path,
        p.arn,
        p.description ?? null,
        p.createDate,
        p.createDate,
      ),
    d1
      .prepare(`INSERT INTO policy_versions (account_id, policy_id, version_id, document, create_date)
      SELECT ?, ?, 'v1', ?, ? WHERE changes() = 1`)
      .bind(accountId, p.policyId, p.document, p.createDate),
    ...insertTagsStmts(db, accountId, "policy", p.policyId, p.tags),
    quotaGuardStmt(db, accountId, "PoliciesPerAccount"),
  ];
  try {
    const res = await d1.batch(stmts);
    return (res[0]?.meta.changes ?? 0) === 1 ? "ok" : "exists";
  } catch (e) {
    if (isQuotaAbort(e)) return "limit";
    throw e;
  }
}

export interface ListPoliciesQuery {
  scope: "All" | "AWS" | "Local";
  onlyAttached: boolean;
  usage?: "PermissionsPolicy" | "PermissionsBoundary";
  pathPrefix: string;
  /** with scope All: AWS-managed policies only when attached or used as a boundary in the account */
  awsOnlyIfUsed?: boolean;
  /** (name, arn) of the last item of the previous page */
  after?: { name: string; arn: string };
  limit: number;
}

/**
 * One query over both sources, ordered by name then ARN, with the account's usage counts joined
 * from two small aggregates (the ~1,600 AWS rows are read from the table's own columns only,
 * never their documents).
 */
export async function listPolicies(db: Db, accountId: string, q: ListPoliciesQuery): Promise<PolicyRow[]> {
  const { results } = await listPoliciesStmt(db, accountId, q).all<RawPolicy>();
  return results.map(toPolicy);
}

export function listPoliciesStmt(db: Db, accountId: string, q: ListPoliciesQuery): D1PreparedStatement {
  // ?1 path prefix, ?2 account, ?3/?4 name and ARN of the marker, ?5 limit.
  // Every filter runs inside its branch, and each branch stops at `limit` rows in (name, arn)
  // order — the AWS branch walks its primary key (policy_name) — so only the rows of the page
  // are joined with the usage counts.
  const used =
    q.usage === "PermissionsPolicy"
      ? "SELECT policy_arn FROM ac"
      : q.usage === "PermissionsBoundary"
        ? "SELECT policy_arn FROM bc"
        : "SELECT policy_arn FROM ac UNION ALL SELECT policy_arn FROM bc";
  const marker = q.after ? "AND policy_name >= ?3 AND (policy_name > ?3 OR arn > ?4)" : "";
  const branch = (from: string, aws: 0 | 1, onlyUsed: boolean) => `SELECT * FROM (
      SELECT policy_id, policy_name, path, arn, default_version_id, description, create_date, update_date, ${aws} AS aws
      FROM ${from} AND substr(path, 1, length(?1)) = ?1 ${marker} ${onlyUsed ? `AND arn IN (${used})` : ""}
      ORDER BY policy_name, arn LIMIT ?5)`;
  const parts: string[] = [];
  if (q.scope !== "Local") parts.push(branch("aws_managed_policies WHERE 1", 1, q.onlyAttached || !!q.awsOnlyIfUsed));
  if (q.scope !== "AWS") parts.push(branch("policies WHERE account_id = ?2", 0, q.onlyAttached));
  const sql = `WITH ac AS (SELECT policy_arn, COUNT(*) AS n FROM policy_attachments WHERE account_id = ?2 GROUP BY policy_arn),
    bc AS (SELECT permissions_boundary AS policy_arn, COUNT(*) AS n FROM (
      SELECT permissions_boundary FROM users WHERE account_id = ?2 AND permissions_boundary IS NOT NULL
      UNION ALL SELECT permissions_boundary FROM roles WHERE account_id = ?2 AND permissions_boundary IS NOT NULL) GROUP BY permissions_boundary),
    p AS (${parts.join(" UNION ALL ")})
    SELECT p.*, COALESCE(ac.n, 0) AS attachment_count, COALESCE(bc.n, 0) AS boundary_count
    FROM p LEFT JOIN ac ON ac.policy_arn = p.arn LEFT JOIN bc ON bc.policy_arn = p.arn
    ORDER BY p.policy_name, p.arn LIMIT ?5`;
  return db.$client.prepare(sql).bind(q.pathPrefix, accountId, q.after?.name ?? null, q.after?.arn ?? null, q.limit);
}

export type DeletePolicyResult = "deleted" | "notFound" | "attached" | "versions";

/** Deletes a customer policy (with its versions and tags) unless it is in use or has other versions. */
export async function deletePolicy(db: Db, accountId: string, arn: string): Promise<DeletePolicyResult> {
  const d1 = db.$client;
  const res = await d1.batch<{ policy_id: string }>([
    d1
      .prepare(`DELETE FROM policies WHERE account_id = ?1 AND arn = ?2
      AND NOT EXISTS (SELECT 1 FROM policy_attachments WHERE account_id = ?1 AND policy_arn = ?2)
      AND NOT EXISTS (SELECT 1 FROM users WHERE account_id = ?1 AND permissions_boundary = ?2)
      AND NOT EXISTS (SELECT 1 FROM roles WHERE account_id = ?1 AND permissions_boundary = ?2)
      AND (SELECT COUNT(*) FROM policy_versions v WHERE v.policy_id = policies.policy_id) <= 1
      RETURNING policy_id`)
      .bind(accountId, arn),
    d1
      .prepare(`SELECT p.policy_id,
      EXISTS (SELECT 1 FROM policy_attachments WHERE account_id = ?1 AND policy_arn = ?2)
        OR EXISTS (SELECT 1 FROM users WHERE account_id = ?1 AND permissions_boundary = ?2)
        OR EXISTS (SELECT 1 FROM roles WHERE account_id = ?1 AND permissions_boundary = ?2) AS used,
      (SELECT COUNT(*) FROM policy_versions v WHERE v.policy_id = p.policy_id) AS versions
      FROM policies p WHERE p.account_id = ?1 AND p.arn = ?2`)
      .bind(accountId, arn),
  ]);
  const deleted = res[0]!.results[0];
  if (deleted) {
    await d1.batch([
      d1
        .prepare(
          "DELETE FROM policy_versions WHERE account_id = ? AND policy_id = ? AND NOT EXISTS (SELECT 1 FROM policies WHERE policy_id = ?)",
        )
        .bind(accountId, deleted.policy_id, deleted.policy_id),
      deleteTagsStmt(db, accountId, "policy", deleted.policy_id),
    ]);
    return "deleted";
  }
  const state = res[1]!.results[0] as unknown as { used: number; versions: number } | undefined;
  if (!state) return "notFound";
  if (state.used) return "attached";
  return "versions";
}

export interface VersionRow {
  versionId: string;
  document: string;
  createDate: string;
  isDefault: boolean;
}

/** The policy's versions, newest first; AWS-managed policies expose their default version only. */
export async function listVersions(db: Db, accountId: string, policy: PolicyRow): Promise<VersionRow[]> {
  if (policy.awsManaged) {
    const doc = await awsManagedDocument(db, policy.arn);
    return [{ versionId: policy.defaultVersionId, document: doc ?? "", createDate: policy.updateDate, isDefault: true }];
  }
  const { results } = await db.$client
    .prepare(`SELECT version_id, document, create_date FROM policy_versions WHERE account_id = ? AND policy_id = ?
      ORDER BY CAST(substr(version_id, 2) AS INTEGER) DESC`)
    .bind(accountId, policy.policyId)
    .all<{ version_id: string; document: string; create_date: string }>();
  return results.map((r) => ({
    versionId: r.version_id,
    document: r.document,
    createDate: r.create_date,
    isDefault: r.version_id === policy.defaultVersionId,
  }));
}

async function awsManagedDocument(db: Db, arn: string): Promise<string | undefined> {
  const r = await db.$client.prepare("SELECT document FROM aws_managed_policies WHERE arn = ?").bind(arn).first<{ document: string }>();
  return r?.document;
}

/** One version of a policy (customer or AWS-managed), with its default flag. */
export async function getVersion(db: Db, accountId: string, arn: string, versionId: string): Promise<VersionRow | undefined> {
  const d1 = db.$client;
  if (isAwsManagedArn(arn)) {
    const r = await d1
      .prepare("SELECT document, update_date FROM aws_managed_policies WHERE arn = ? AND default_version_id = ?")
      .bind(arn, versionId)
      .first<{ document: string; update_date: string }>();
    return r ? { versionId, document: r.document, createDate: r.update_date, isDefault: true } : undefined;
  }
  const r = await d1
    .prepare(`SELECT v.document, v.create_date, p.default_version_id FROM policies p
      JOIN policy_versions v ON v.policy_id = p.policy_id AND v.version_id = ?
      WHERE p.account_id = ? AND p.arn = ?`)
    .bind(versionId, accountId, arn)
    .first<{ document: string; create_date: string; default_version_id: string }>();
  return r ? { versionId, document: r.document, createDate: r.create_date, isDefault: r.default_version_id === versionId } : undefined;
}

export type CreateVersionResult = { ok: true; versionId: string } | { ok: false; reason: "notFound" | "limit" };

/**
 * Adds a version numbered from the policy's counter (ids are never reused) unless the policy
 * already has five; optionally makes it the default. One transaction.
 */
export async function createVersion(
  db: Db,
  accountId: string,
  arn: string,
  document: string,
  setAsDefault: boolean,
  now: string,
): Promise<CreateVersionResult> {
  const d1 = db.$client;
  const stmts = [
    d1
      .prepare(`INSERT INTO policy_versions (account_id, policy_id, version_id, document, create_date)
      SELECT p.account_id, p.policy_id, 'v' || p.next_version, ?, ? FROM policies p
      WHERE p.account_id = ? AND p.arn = ?
        AND (SELECT COUNT(*) FROM policy_versions v WHERE v.policy_id = p.policy_id) < ${MAX_POLICY_VERSIONS}
      RETURNING version_id`)
      .bind(document, now, accountId, arn),
    d1
      .prepare(`UPDATE policies SET
        default_version_id = CASE WHEN ? THEN 'v' || next_version ELSE default_version_id END,
        next_version = next_version + 1, update_date = ?
      WHERE account_id = ? AND arn = ? AND changes() = 1`)
      .bind(setAsDefault ? 1 : 0, now, accountId, arn),
    d1.prepare("SELECT 1 AS found FROM policies WHERE account_id = ? AND arn = ?").bind(accountId, arn),
  ];
  if (setAsDefault) stmts.push(bumpGenerationStmt(db, accountId));
  const res = await d1.batch<{ version_id?: string; found?: number }>(stmts);
  const inserted = res[0]!.results[0];
  if (inserted?.version_id) return { ok: true, versionId: inserted.version_id };
  return { ok: false, reason: res[2]!.results.length ? "limit" : "notFound" };
}

export type DeleteVersionResult = "deleted" | "noPolicy" | "noVersion" | "default";

export async function deleteVersion(db: Db, accountId: string, arn: string, versionId: string): Promise<DeleteVersionResult> {
  const d1 = db.$client;
  const res = await d1.batch<{ version_id?: string; default_version_id?: string; has_version?: number }>([
    d1
      .prepare(`DELETE FROM policy_versions WHERE account_id = ?1 AND version_id = ?3
      AND policy_id = (SELECT policy_id FROM policies WHERE account_id = ?1 AND arn = ?2 AND default_version_id != ?3)
      RETURNING version_id`)
      .bind(accountId, arn, versionId),
    d1
      .prepare(`SELECT p.default_version_id, EXISTS (SELECT 1 FROM policy_versions v WHERE v.policy_id = p.policy_id AND v.version_id = ?3) AS has_version
      FROM policies p WHERE p.account_id = ?1 AND p.arn = ?2`)
      .bind(accountId, arn, versionId),
  ]);
  if (res[0]!.results.length) return "deleted";
  const p = res[1]!.results[0];
  if (!p) return "noPolicy";
  if (p.default_version_id === versionId) return "default";
  return "noVersion";
}

export type SetDefaultResult = "ok" | "noPolicy" | "noVersion";

export async function setDefaultVersion(db: Db, accountId: string, arn: string, versionId: string): Promise<SetDefaultResult> {
  const d1 = db.$client;
  const res = await d1.batch<{ policy_id?: string; has_version?: number }>([
    d1
      .prepare(`UPDATE policies SET default_version_id = ?3 WHERE account_id = ?1 AND arn = ?2
      AND EXISTS (SELECT 1 FROM policy_versions v WHERE v.policy_id = policies.policy_id AND v.version_id = ?3)
      RETURNING policy_id`)
      .bind(accountId, arn, versionId),
    bumpGenerationStmt(db, accountId),
    d1.prepare("SELECT policy_id FROM policies WHERE account_id = ? AND arn = ?").bind(accountId, arn),
  ]);
  if (res[0]!.results.length) return "ok";
  return res[2]!.results.length ? "noVersion" : "noPolicy";
}

/** The generation bump as a raw D1 statement, for batches built with `db.$client`. */
export function bumpGenerationStmt(db: Db, accountId: string): D1PreparedStatement {
  const q = bumpGeneration(db, accountId).toSQL();
  return db.$client.prepare(q.sql).bind(...q.params);
}

// ---------------------------------------------------------------------------------------------
// Who uses a policy

export interface PolicyEntity {
  type: "user" | "group" | "role";
  name: string;
  id: string;
  path: string;
}

export async function listEntitiesForPolicy(
  db: Db,
  accountId: string,
  arn: string,
  o: {
    types: Array<"user" | "group" | "role">;
    usage?: "PermissionsPolicy" | "PermissionsBoundary";
    pathPrefix: string;
    after?: string;
    limit: number;
  },
): Promise<Array<PolicyEntity & { sortKey: string }>> {
  // ?1 account, ?2 policy ARN, ?3 path LIKE pattern, ?4 marker key, ?5 limit
  const parts: string[] = [];
  const tables = {
    user: ["users", "user_id", "user_name"],
    group: ["groups", "group_id", "group_name"],
    role: ["roles", "role_id", "role_name"],
  } as const;
  for (const type of o.types) {
    const [table, idCol, nameCol] = tables[type];
    const conds: string[] = [];
    if (o.usage !== "PermissionsBoundary")
      conds.push(
        `EXISTS (SELECT 1 FROM policy_attachments a WHERE a.entity_type = '${type}' AND a.entity_id = e.${idCol} AND a.policy_arn = ?2)`,
      );
    if (o.usage !== "PermissionsPolicy" && type !== "group") conds.push("e.permissions_boundary = ?2");
    if (conds.length === 0) continue;
    const order = type === "group" ? 1 : type === "user" ? 2 : 3;
    parts.push(`SELECT '${type}' AS type, e.${nameCol} AS name, e.${idCol} AS id, e.path AS path,
      '${order}' || char(10) || e.name_lower || char(10) || e.${idCol} AS sort_key
      FROM ${table} e WHERE e.account_id = ?1 AND substr(e.path, 1, length(?3)) = ?3 AND (${conds.join(" OR ")})`);
  }
  if (parts.length === 0) return [];
  const sql = `SELECT * FROM (${parts.join(" UNION ALL ")}) WHERE ?4 IS NULL OR sort_key > ?4 ORDER BY sort_key LIMIT ?5`;
  const { results } = await db.$client
    .prepare(sql)
    .bind(accountId, arn, o.pathPrefix, o.after ?? null, o.limit)
    .all<{ type: PolicyEntity["type"]; name: string; id: string; path: string; sort_key: string }>();
  return results.map((r) => ({ type: r.type, name: r.name, id: r.id, path: r.path, sortKey: r.sort_key }));
}

/** The identities a policy can be attached to. */
export type PolicyEntityType = "user" | "group" | "role";
