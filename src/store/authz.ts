/**
 * The one policy loader. What the authorizer needs about a principal, in ONE D1 round trip: every
 * identity policy (managed — customer or AWS — and inline, of the user and its groups, or of the
 * role), the permissions boundary document, and the principal's tags (aws:PrincipalTag/*).
 * The snapshot of the data plane and the policy simulator use it too; the simulator also asks for
 * a group (never a caller: its own policies only, no boundary).
 */
import { sql, type SQL } from "drizzle-orm";
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

export function loadPrincipalPolicies(db: Db, accountId: string, kind: EntityKind, entityId: string): Promise<PolicyRow[]> {
  return db.all<PolicyRow>(principalPoliciesSql(kind, sql`SELECT ${accountId} AS acct, ${entityId} AS eid`));
}

/**
 * The same rows for the user who owns an access key (none for a root key), to be batched with the
 * key lookup: a request whose cached key was dropped gets its key and its policies in ONE round trip.
 */
export function principalPoliciesOfKeySql(accessKeyId: string): SQL {
  return principalPoliciesSql(
    "user",
    sql`SELECT account_id AS acct, user_id AS eid FROM access_keys WHERE access_key_id = ${accessKeyId} AND user_id IS NOT NULL`,
  );
}

/**
 * `me` is a CTE of principals (acct, eid): one row (or none) for the authorizer, every user or every
 * role of an account for the consistency snapshot. With `withOwner` each row also says whose it is.
 */
function principalPoliciesSql(kind: EntityKind, me: SQL, withOwner = false, managedByRef = false): SQL {
  // Entities whose policies apply, per principal: the user and its groups, the role, or the group.
  const entities =
    kind === "user"
      ? sql`SELECT me.eid AS owner, 'user' AS t, me.eid AS id FROM me UNION ALL SELECT me.eid, 'group', gm.group_id FROM group_members gm JOIN me ON gm.account_id = me.acct AND gm.user_id = me.eid`
      : sql`SELECT me.eid AS owner, ${kind} AS t, me.eid AS id FROM me`;
  const boundaryOf =
    kind === "user"
      ? sql`SELECT me.eid AS owner, u.permissions_boundary AS arn FROM users u JOIN me ON u.account_id = me.acct AND u.user_id = me.eid`
      : kind === "role"
        ? sql`SELECT me.eid AS owner, r.permissions_boundary AS arn FROM roles r JOIN me ON r.account_id = me.acct AND r.role_id = me.eid`
        : sql`SELECT me.eid AS owner, NULL AS arn FROM me`;
  const owner = (col: SQL): SQL => (withOwner ? sql`, ${col} AS owner` : sql``);
  // managedByRef: managed documents are left out (body NULL) and named `arn@version` instead; see loadAccountPolicies.
  const managedBody = managedByRef ? sql`NULL` : sql`COALESCE(pv.document, am.document)`;
  const ref = (arn: SQL): SQL =>
    managedByRef ? sql`, ${arn} || '@' || COALESCE(p.default_version_id, am.default_version_id, '') AS ref` : sql``;
  const noRef = managedByRef ? sql`, NULL AS ref` : sql``;
  return sql`
    WITH me AS (${me}), ents AS (${entities})
    SELECT 'identity' AS slot, pa.policy_arn AS id,
           COALESCE(p.default_version_id, am.default_version_id, '') AS version,
           ${managedBody} AS body${owner(sql`e.owner`)}${ref(sql`pa.policy_arn`)}
      FROM policy_attachments pa JOIN ents e ON e.t = pa.entity_type AND e.id = pa.entity_id
      JOIN me ON me.eid = e.owner AND pa.account_id = me.acct
      LEFT JOIN policies p ON p.account_id = me.acct AND p.arn = pa.policy_arn
      LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
      LEFT JOIN aws_managed_policies am ON am.arn = pa.policy_arn
    UNION ALL
    SELECT 'identity', ip.entity_type || '/' || ip.entity_id || ':inline/' || ip.policy_name, '', ip.document${owner(sql`e.owner`)}${noRef}
      FROM inline_policies ip JOIN ents e ON e.t = ip.entity_type AND e.id = ip.entity_id
      JOIN me ON me.eid = e.owner AND ip.account_id = me.acct
    UNION ALL
    SELECT 'boundary', b.arn, COALESCE(p.default_version_id, am.default_version_id, ''), ${managedBody}${owner(sql`b.owner`)}${ref(sql`b.arn`)}
      FROM (${boundaryOf}) b JOIN me ON me.eid = b.owner
      LEFT JOIN policies p ON p.account_id = me.acct AND p.arn = b.arn
      LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
      LEFT JOIN aws_managed_policies am ON am.arn = b.arn
     WHERE b.arn IS NOT NULL
    UNION ALL
    SELECT 'tag', t.key, '', t.value${owner(sql`me.eid`)}${noRef} FROM tags t JOIN me
     ON t.account_id = me.acct AND t.resource_type = ${kind} AND t.resource_id = me.eid`;
}

/**
 * Every user's (or role's) policy rows in one account, by user or role id: the consistency
 * snapshot's read. Managed documents come once each (a hundred users with the same 40 KB policy
 * would otherwise be a hundred copies out of D1), and every row of one document shares its string.
 * Callers hold the account's write slot, so `arn@version` names one document throughout.
 */
export async function loadAccountPolicies(db: Db, accountId: string, kind: "user" | "role"): Promise<Map<string, PolicyRow[]>> {
  const me =
    kind === "user"
      ? sql`SELECT account_id AS acct, user_id AS eid FROM users WHERE account_id = ${accountId}`
      : sql`SELECT account_id AS acct, role_id AS eid FROM roles WHERE account_id = ${accountId}`;
  const [rows, docs] = await Promise.all([
    db.all<PolicyRow & { owner: string; ref: string | null }>(principalPoliciesSql(kind, me, true, true)),
    managedDocuments(db, accountId, kind),
  ]);
  const out = new Map<string, PolicyRow[]>();
  for (const { owner, ref, ...row } of rows) {
    if (ref !== null) {
      const body = docs.get(ref);
      if (body === undefined) continue; // an attachment whose policy is gone: the live loader's rows skip it too
      row.body = body;
    }
    let list = out.get(owner);
    if (!list) out.set(owner, (list = []));
    list.push(row);
  }
  return out;
}

/** The managed documents (default versions) attached to, or bounding, the account's users or roles: `arn@version` → document. */
async function managedDocuments(db: Db, accountId: string, kind: "user" | "role"): Promise<Map<string, string>> {
  const table = kind === "user" ? sql`users` : sql`roles`;
  const rows = await db.all<{ ref: string; body: string }>(sql`
    SELECT x.arn || '@' || COALESCE(p.default_version_id, am.default_version_id, '') AS ref, COALESCE(pv.document, am.document) AS body
      FROM (SELECT DISTINCT policy_arn AS arn FROM policy_attachments WHERE account_id = ${accountId} AND entity_type IN (${kind}, 'group')
            UNION SELECT permissions_boundary FROM ${table} WHERE account_id = ${accountId} AND permissions_boundary IS NOT NULL) x
      LEFT JOIN policies p ON p.account_id = ${accountId} AND p.arn = x.arn
      LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
      LEFT JOIN aws_managed_policies am ON am.arn = x.arn
     WHERE COALESCE(pv.document, am.document) IS NOT NULL`);
  return new Map(rows.map((r) => [r.ref, r.body]));
}
