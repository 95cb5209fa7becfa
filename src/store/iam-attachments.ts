/**
 * Managed-policy attachments, inline policies and permissions boundaries of users, groups and
 * roles. Identities are addressed by name (case-insensitively, as AWS does); every write runs in
 * one D1 batch with the generation bump (conditional on the write having changed a row: the
 * `changes()` of the statement before it) and checks its limit inside the INSERT itself.
 */
import type { Db } from "./db";
import { SUMMARY_QUOTAS } from "./iam-quotas";
import { AWS_POLICY_ARN_PREFIX, type PolicyEntityType } from "./iam-policies";

export const MAX_ATTACHED_POLICIES = SUMMARY_QUOTAS.AttachedPoliciesPerUserQuota;

/** AWS's aggregate inline-policy size limits (characters without whitespace). */
export const INLINE_SIZE_LIMIT: Record<PolicyEntityType, number> = {
  user: SUMMARY_QUOTAS.UserPolicySizeQuota,
  group: SUMMARY_QUOTAS.GroupPolicySizeQuota,
  role: SUMMARY_QUOTAS.RolePolicySizeQuota,
};

const T = {
  user: { table: "users", id: "user_id", name: "user_name" },
  group: { table: "groups", id: "group_id", name: "group_name" },
  role: { table: "roles", id: "role_id", name: "role_name" },
} as const;

/** SQL: does the policy ARN name an attachable managed policy of the account (or AWS)? ?1 account, ?3 arn */
const POLICY_EXISTS = `(CASE WHEN substr(?3, 1, ${AWS_POLICY_ARN_PREFIX.length}) = '${AWS_POLICY_ARN_PREFIX}'
  THEN EXISTS (SELECT 1 FROM aws_managed_policies WHERE arn = ?3)
  ELSE EXISTS (SELECT 1 FROM policies WHERE account_id = ?1 AND arn = ?3) END)`;

export type AttachResult = "ok" | "noEntity" | "noPolicy" | "limit";

/**
 * Attaches a managed policy unless the identity already has ten (checked in the INSERT, so
 * twenty parallel attaches leave exactly ten). Attaching an attached policy succeeds unchanged.
 */
export async function attachPolicy(db: Db, accountId: string, type: PolicyEntityType, name: string, arn: string): Promise<AttachResult> {
  const t = T[type];
  const d1 = db.$client;
  // ?1 account, ?2 name (lower), ?3 arn
  const res = await d1.batch<{ entity_id?: string; policy_ok?: number; attached?: number }>([
    d1
      .prepare(`INSERT INTO policy_attachments (account_id, entity_type, entity_id, policy_arn)
      SELECT ?1, '${type}', e.${t.id}, ?3 FROM ${t.table} e
      WHERE e.account_id = ?1 AND e.name_lower = ?2 AND ${POLICY_EXISTS}
        AND (SELECT COUNT(*) FROM policy_attachments a WHERE a.entity_type = '${type}' AND a.entity_id = e.${t.id}) < ${MAX_ATTACHED_POLICIES}
      ON CONFLICT DO NOTHING`)
      .bind(accountId, name.toLowerCase(), arn),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() = 1").bind(accountId),
    d1
      .prepare(`SELECT e.${t.id} AS entity_id, ${POLICY_EXISTS} AS policy_ok,
        EXISTS (SELECT 1 FROM policy_attachments a WHERE a.entity_type = '${type}' AND a.entity_id = e.${t.id} AND a.policy_arn = ?3) AS attached
      FROM (SELECT 1) LEFT JOIN ${t.table} e ON e.account_id = ?1 AND e.name_lower = ?2`)
      .bind(accountId, name.toLowerCase(), arn),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  const s = res[2]!.results[0];
  if (!s?.entity_id) return "noEntity";
  if (!s.policy_ok) return "noPolicy";
  if (s.attached) return "ok";
  return "limit";
}

export type DetachResult = "ok" | "noEntity" | "notAttached";

export async function detachPolicy(db: Db, accountId: string, type: PolicyEntityType, name: string, arn: string): Promise<DetachResult> {
  const t = T[type];
  const d1 = db.$client;
  const res = await d1.batch<{ entity_id?: string }>([
    d1
      .prepare(`DELETE FROM policy_attachments WHERE account_id = ?1 AND entity_type = '${type}' AND policy_arn = ?3
      AND entity_id = (SELECT ${t.id} FROM ${t.table} WHERE account_id = ?1 AND name_lower = ?2)`)
      .bind(accountId, name.toLowerCase(), arn),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() = 1").bind(accountId),
    d1.prepare(`SELECT ${t.id} AS entity_id FROM ${t.table} WHERE account_id = ? AND name_lower = ?`).bind(accountId, name.toLowerCase()),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  return res[2]!.results.length ? "notAttached" : "noEntity";
}

export interface AttachedPolicy {
  policyName: string;
  policyArn: string;
}

/**
 * The managed policies attached to an identity, ordered by policy name; undefined when the
 * identity does not exist. Path prefix filters on the policy's path.
 */
export async function listAttached(
  db: Db,
  accountId: string,
  type: PolicyEntityType,
  name: string,
  o: { pathPrefix: string; after?: string; limit: number },
): Promise<AttachedPolicy[] | undefined> {
  const t = T[type];
  const d1 = db.$client;
  const [ent, rows] = await d1.batch<{ entity_id?: string; policy_name?: string; policy_arn?: string }>([
    d1.prepare(`SELECT ${t.id} AS entity_id FROM ${t.table} WHERE account_id = ? AND name_lower = ?`).bind(accountId, name.toLowerCase()),
    d1
      .prepare(`SELECT COALESCE(p.policy_name, m.policy_name) AS policy_name, a.policy_arn
      FROM ${t.table} e
      JOIN policy_attachments a ON a.entity_type = '${type}' AND a.entity_id = e.${t.id}
      LEFT JOIN policies p ON p.account_id = ?1 AND p.arn = a.policy_arn
      LEFT JOIN aws_managed_policies m ON m.arn = a.policy_arn
      WHERE e.account_id = ?1 AND e.name_lower = ?2
        AND substr(COALESCE(p.path, m.path), 1, length(?3)) = ?3
        AND (?4 IS NULL OR COALESCE(p.policy_name, m.policy_name) || char(10) || a.policy_arn > ?4)
      ORDER BY COALESCE(p.policy_name, m.policy_name) || char(10) || a.policy_arn LIMIT ?5`)
      .bind(accountId, name.toLowerCase(), o.pathPrefix, o.after ?? null, o.limit),
  ]);
  if (!ent!.results.length) return undefined;
  return rows!.results.map((r) => ({ policyName: r.policy_name!, policyArn: r.policy_arn! }));
}

// ---------------------------------------------------------------------------------------------
// Inline policies

/** SQL: characters of a stored document without whitespace (AWS's size measure). */
const SIZE = (col: string) => `length(replace(replace(replace(replace(${col}, ' ', ''), char(9), ''), char(10), ''), char(13), ''))`;

export type PutInlineResult = "ok" | "noEntity" | "tooBig";

/**
 * Creates or replaces an inline policy unless the identity's inline policies together would pass
 * AWS's size limit (checked inside the INSERT).
 */
export async function putInline(
  db: Db,
  accountId: string,
  type: PolicyEntityType,
  name: string,
  policyName: string,
  document: string,
  size: number,
): Promise<PutInlineResult> {
  const t = T[type];
  const d1 = db.$client;
  // ?1 account, ?2 entity name lower, ?3 policy name, ?4 document, ?5 size
  const res = await d1.batch<{ entity_id?: string }>([
    d1
      .prepare(`INSERT INTO inline_policies (account_id, entity_type, entity_id, policy_name, document)
      SELECT ?1, '${type}', e.${t.id}, ?3, ?4 FROM ${t.table} e
      WHERE e.account_id = ?1 AND e.name_lower = ?2
        AND ?5 + COALESCE((SELECT SUM(${SIZE("ip.document")}) FROM inline_policies ip
          WHERE ip.entity_type = '${type}' AND ip.entity_id = e.${t.id} AND ip.policy_name != ?3), 0) <= ${INLINE_SIZE_LIMIT[type]}
      ON CONFLICT (entity_type, entity_id, policy_name) DO UPDATE SET document = excluded.document`)
      .bind(accountId, name.toLowerCase(), policyName, document, size),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() = 1").bind(accountId),
    d1.prepare(`SELECT ${t.id} AS entity_id FROM ${t.table} WHERE account_id = ? AND name_lower = ?`).bind(accountId, name.toLowerCase()),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  return res[2]!.results.length ? "tooBig" : "noEntity";
}

export type GetInlineResult = { entityName: string; document: string } | "noEntity" | "noPolicy";

export async function getInline(
  db: Db,
  accountId: string,
  type: PolicyEntityType,
  name: string,
  policyName: string,
): Promise<GetInlineResult> {
  const t = T[type];
  const r = await db.$client
    .prepare(`SELECT e.${t.name} AS entity_name, ip.document FROM ${t.table} e
      LEFT JOIN inline_policies ip ON ip.entity_type = '${type}' AND ip.entity_id = e.${t.id} AND ip.policy_name = ?3
      WHERE e.account_id = ?1 AND e.name_lower = ?2`)
    .bind(accountId, name.toLowerCase(), policyName)
    .first<{ entity_name: string; document: string | null }>();
  if (!r) return "noEntity";
  if (r.document === null) return "noPolicy";
  return { entityName: r.entity_name, document: r.document };
}

export type DeleteInlineResult = "ok" | "noEntity" | "noPolicy";

export async function deleteInline(
  db: Db,
  accountId: string,
  type: PolicyEntityType,
  name: string,
  policyName: string,
): Promise<DeleteInlineResult> {
  const t = T[type];
  const d1 = db.$client;
  const res = await d1.batch([
    d1
      .prepare(`DELETE FROM inline_policies WHERE account_id = ?1 AND entity_type = '${type}' AND policy_name = ?3
      AND entity_id = (SELECT ${t.id} FROM ${t.table} WHERE account_id = ?1 AND name_lower = ?2)`)
      .bind(accountId, name.toLowerCase(), policyName),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() = 1").bind(accountId),
    d1.prepare(`SELECT ${t.id} AS entity_id FROM ${t.table} WHERE account_id = ? AND name_lower = ?`).bind(accountId, name.toLowerCase()),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  return res[2]!.results.length ? "noPolicy" : "noEntity";
}

/** Inline policy names of an identity in AWS's order (by name); undefined when it does not exist. */
export async function listInline(
  db: Db,
  accountId: string,
  type: PolicyEntityType,
  name: string,
  o: { after?: string; limit: number },
): Promise<string[] | undefined> {
  const t = T[type];
  const d1 = db.$client;
  const [ent, rows] = await d1.batch<{ entity_id?: string; policy_name?: string }>([
    d1.prepare(`SELECT ${t.id} AS entity_id FROM ${t.table} WHERE account_id = ? AND name_lower = ?`).bind(accountId, name.toLowerCase()),
    d1
      .prepare(`SELECT ip.policy_name FROM ${t.table} e
      JOIN inline_policies ip ON ip.entity_type = '${type}' AND ip.entity_id = e.${t.id}
      WHERE e.account_id = ?1 AND e.name_lower = ?2 AND (?3 IS NULL OR ip.policy_name > ?3)
      ORDER BY ip.policy_name LIMIT ?4`)
      .bind(accountId, name.toLowerCase(), o.after ?? null, o.limit),
  ]);
  if (!ent!.results.length) return undefined;
  return rows!.results.map((r) => r.policy_name!);
}

// ---------------------------------------------------------------------------------------------
// Permissions boundaries (users and roles)

export type BoundaryResult = "ok" | "noEntity" | "noPolicy";

/** Sets (arn) or clears (null) the permissions boundary; a set ARN must name a managed policy. */
export async function setBoundary(
  db: Db,
  accountId: string,
  type: "user" | "role",
  name: string,
  arn: string | null,
): Promise<BoundaryResult> {
  const t = T[type];
  const d1 = db.$client;
  const policyOk = arn === null ? "1" : POLICY_EXISTS;
  const res = await d1.batch<{ entity_id?: string; policy_ok?: number }>([
    d1
      .prepare(`UPDATE ${t.table} SET permissions_boundary = ?3 WHERE account_id = ?1 AND name_lower = ?2 AND ${policyOk}`)
      .bind(accountId, name.toLowerCase(), arn),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() = 1").bind(accountId),
    d1
      .prepare(`SELECT e.${t.id} AS entity_id, ${policyOk} AS policy_ok FROM (SELECT 1) LEFT JOIN ${t.table} e ON e.account_id = ?1 AND e.name_lower = ?2
      WHERE ?3 IS NULL OR 1`)
      .bind(accountId, name.toLowerCase(), arn),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  const s = res[2]!.results[0];
  if (!s?.entity_id) return "noEntity";
  return s.policy_ok ? "ok" : "noPolicy";
}

export interface EntityInfo {
  id: string;
  name: string;
  path: string;
  arn: string;
  boundary: string | null;
}

/** Id, name, path, ARN and permissions boundary of a named identity (authorization targets, role protection). */
export async function entityInfo(db: Db, accountId: string, type: PolicyEntityType, name: string): Promise<EntityInfo | undefined> {
  const t = T[type];
  const boundary = type === "group" ? "NULL" : "permissions_boundary";
  const r = await db.$client
    .prepare(
      `SELECT ${t.id} AS id, ${t.name} AS name, path, arn, ${boundary} AS boundary FROM ${t.table} WHERE account_id = ? AND name_lower = ?`,
    )
    .bind(accountId, name.toLowerCase())
    .first<EntityInfo>();
  return r ?? undefined;
}
