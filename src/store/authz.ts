/**
 * The one policy loader. What the authorizer needs about a principal, in ONE D1 round trip: every
 * identity policy (managed — customer or AWS — and inline, of the user and its groups, or of the
 * role), the permissions boundary document, and the principal's tags (aws:PrincipalTag/*).
 * The snapshot of the data plane and the policy simulator use it too; the simulator also asks for
 * a group (never a caller: its own policies only, no boundary).
 */
import { sql } from "drizzle-orm";
import type { Db } from "./db";

export type EntityKind = "user" | "role" | "group";

export interface PolicyRow {
  /** identity | boundary | tag */
  slot: "identity" | "boundary" | "tag";
  /** policy ARN, `<entity_type>/<entity name>:inline/<name>`, or the tag key */
  id: string;
  /** version id for managed policies, "" for inline */
  version: string;
  /** document JSON, or the tag value */
  body: string;
}

export async function loadPrincipalPolicies(db: Db, accountId: string, kind: EntityKind, entityId: string): Promise<PolicyRow[]> {
  // Entities whose policies apply: the user and its groups, the role, or the group.
  const entities =
    kind === "user"
      ? sql`SELECT 'user' AS t, ${entityId} AS id UNION ALL SELECT 'group', gm.group_id FROM group_members gm WHERE gm.account_id = ${accountId} AND gm.user_id = ${entityId}`
      : kind === "role"
        ? sql`SELECT 'role' AS t, ${entityId} AS id`
        : sql`SELECT 'group' AS t, ${entityId} AS id`;
  const boundaryOf =
    kind === "user"
      ? sql`SELECT permissions_boundary AS arn FROM users WHERE account_id = ${accountId} AND user_id = ${entityId}`
      : kind === "role"
        ? sql`SELECT permissions_boundary AS arn FROM roles WHERE account_id = ${accountId} AND role_id = ${entityId}`
        : sql`SELECT NULL AS arn`;
  return db.all<PolicyRow>(sql`
    WITH ents AS (${entities})
    SELECT 'identity' AS slot, pa.policy_arn AS id,
           COALESCE(p.default_version_id, am.default_version_id, '') AS version,
           COALESCE(pv.document, am.document) AS body
      FROM policy_attachments pa JOIN ents e ON e.t = pa.entity_type AND e.id = pa.entity_id
      LEFT JOIN policies p ON p.account_id = ${accountId} AND p.arn = pa.policy_arn
      LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
      LEFT JOIN aws_managed_policies am ON am.arn = pa.policy_arn
     WHERE pa.account_id = ${accountId}
    UNION ALL
    SELECT 'identity', ip.entity_type || '/' || ip.entity_id || ':inline/' || ip.policy_name, '', ip.document
      FROM inline_policies ip JOIN ents e ON e.t = ip.entity_type AND e.id = ip.entity_id
     WHERE ip.account_id = ${accountId}
    UNION ALL
    SELECT 'boundary', b.arn, COALESCE(p.default_version_id, am.default_version_id, ''), COALESCE(pv.document, am.document)
      FROM (${boundaryOf}) b
      LEFT JOIN policies p ON p.account_id = ${accountId} AND p.arn = b.arn
      LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
      LEFT JOIN aws_managed_policies am ON am.arn = b.arn
     WHERE b.arn IS NOT NULL
    UNION ALL
    SELECT 'tag', t.key, '', t.value FROM tags t
     WHERE t.account_id = ${accountId} AND t.resource_type = ${kind} AND t.resource_id = ${entityId}`);
}
