/**
 * What the policy simulator needs beyond the authorizer's one-query gathering (store/authz.ts
 * loadPrincipalPolicies, reused for users and roles): a group's own policies (a group is never a
 * caller, so the authorizer has no query for it) and the names of the groups whose inline policies
 * appear (SourcePolicyId names them).
 */
import { sql } from "drizzle-orm";
import type { Db } from "./db";
import type { PolicyRow } from "./authz";

/** A group's managed (customer or AWS) and inline policies, in the authorizer's row format. */
export async function loadGroupPolicies(db: Db, accountId: string, groupId: string): Promise<PolicyRow[]> {
  return db.all<PolicyRow>(sql`
    SELECT 'identity' AS slot, pa.policy_arn AS id,
           COALESCE(p.default_version_id, am.default_version_id, '') AS version,
           COALESCE(pv.document, am.document) AS body
      FROM policy_attachments pa
      LEFT JOIN policies p ON p.account_id = ${accountId} AND p.arn = pa.policy_arn
      LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
      LEFT JOIN aws_managed_policies am ON am.arn = pa.policy_arn
     WHERE pa.account_id = ${accountId} AND pa.entity_type = 'group' AND pa.entity_id = ${groupId}
    UNION ALL
    SELECT 'identity', 'group/' || ip.entity_id || ':inline/' || ip.policy_name, '', ip.document
      FROM inline_policies ip
     WHERE ip.account_id = ${accountId} AND ip.entity_type = 'group' AND ip.entity_id = ${groupId}`);
}

/** group id → group name for the groups a user belongs to. */
export async function groupNamesOfUser(db: Db, accountId: string, userId: string): Promise<Map<string, string>> {
  const rows = await db.all<{ id: string; name: string }>(sql`
    SELECT g.group_id AS id, g.group_name AS name
      FROM group_members gm JOIN groups g ON g.account_id = gm.account_id AND g.group_id = gm.group_id
     WHERE gm.account_id = ${accountId} AND gm.user_id = ${userId}`);
  return new Map(rows.map((r) => [r.id, r.name]));
}
