/**
 * An account's state as the Permissions Graph reads it (src/graph/types.ts AccountState): every user,
 * group and role with the policy rows the authorizer loads for it (src/store/authz.ts
 * loadAccountPolicies: the same ids, documents and tags), customer managed policies, the resources
 * of every service with their resource-based policies, and the organization's SCP / RCP chain.
 * The control plane's latest state (as IAM's read APIs show it), not a lagging data plane's view.
 * One batch of reads plus the two policy loads, run together.
 */
import { sql } from "drizzle-orm";
import type { AccountState, PolicyDoc, ResourceState } from "../graph/types";
import { chainDocuments } from "../authz/org-chain";
import { all, type Db } from "./db";
import { loadAccountPolicies, type PolicyRow } from "./authz";
import { loadOrgChain } from "./org-organizations";
import { enginePolicy } from "./ecr-repositories";
import { s3BucketArn } from "../lib/arn";

interface Entity {
  id: string;
  name: string;
  arn: string;
  path: string;
  boundary: string | null;
  trust?: string;
}

function split(rows: PolicyRow[] | undefined): { policies: PolicyDoc[]; boundary?: PolicyDoc; tags: Record<string, string> } {
  const policies: PolicyDoc[] = [];
  const tags: Record<string, string> = {};
  let boundary: PolicyDoc | undefined;
  for (const r of rows ?? []) {
    if (r.slot === "tag") tags[r.id] = r.body;
    else if (r.body === null || r.body === undefined) continue;
    else if (r.slot === "boundary") boundary = { id: r.id, json: r.body };
    else policies.push({ id: r.id, json: r.body });
  }
  return boundary ? { policies, boundary, tags } : { policies, tags };
}

/** undefined when the account does not exist. */
export async function loadGraphState(db: Db, accountId: string): Promise<AccountState | undefined> {
  const q = <T>(query: ReturnType<typeof sql>) => all<T>(db, query);
  const [
    acct,
    users,
    groups,
    members,
    roles,
    groupPolicies,
    managed,
    buckets,
    queues,
    topics,
    keys,
    repos,
    functions,
    userRows,
    roleRows,
    chainRows,
  ] = await Promise.all([
    q<{ alias: string | null }>(sql`SELECT alias FROM accounts WHERE id = ${accountId}`),
    q<Entity & { hasPassword: number; accessKeys: number }>(sql`SELECT u.user_id AS id, u.user_name AS name, u.arn, u.path,
      u.permissions_boundary AS boundary,
      EXISTS (SELECT 1 FROM login_profiles lp WHERE lp.user_id = u.user_id) AS "hasPassword",
      (SELECT COUNT(*) FROM access_keys k WHERE k.account_id = u.account_id AND k.user_id = u.user_id) AS "accessKeys"
      FROM users u WHERE u.account_id = ${accountId} ORDER BY u.name_lower`),
    q<Entity>(sql`SELECT group_id AS id, group_name AS name, arn, path, NULL AS boundary FROM groups
      WHERE account_id = ${accountId} ORDER BY name_lower`),
    q<{ userId: string; groupName: string }>(sql`SELECT gm.user_id AS "userId", g.group_name AS "groupName" FROM group_members gm
      JOIN groups g ON g.group_id = gm.group_id WHERE gm.account_id = ${accountId} ORDER BY g.name_lower`),
    q<Entity>(sql`SELECT role_id AS id, role_name AS name, arn, path, permissions_boundary AS boundary,
      assume_role_policy_document AS trust FROM roles WHERE account_id = ${accountId} ORDER BY name_lower`),
    // A group's own policies (AddUserToGroup asks what joining it would give): inline and attached, default versions.
    q<{ groupId: string; id: string; json: string }>(sql`
      SELECT ip.entity_id AS "groupId", 'group/' || ip.entity_id || ':inline/' || ip.policy_name AS id, ip.document AS json
        FROM inline_policies ip WHERE ip.account_id = ${accountId} AND ip.entity_type = 'group'
      UNION ALL
      SELECT pa.entity_id, pa.policy_arn, COALESCE(pv.document, am.document)
        FROM policy_attachments pa
        LEFT JOIN policies p ON p.account_id = pa.account_id AND p.arn = pa.policy_arn
        LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
        LEFT JOIN aws_managed_policies am ON am.arn = pa.policy_arn
       WHERE pa.account_id = ${accountId} AND pa.entity_type = 'group' AND COALESCE(pv.document, am.document) IS NOT NULL`),
    q<{ arn: string; name: string; versions: number }>(sql`SELECT p.arn, p.policy_name AS name,
      (SELECT COUNT(*) FROM policy_versions v WHERE v.policy_id = p.policy_id) AS versions
      FROM policies p WHERE p.account_id = ${accountId}`),
    q<{ name: string; policy: string | null }>(sql`SELECT name, policy FROM s3_buckets WHERE account_id = ${accountId} ORDER BY name`),
    q<{ region: string; name: string; policy: string | null }>(
      sql`SELECT region, name, policy FROM sqs_queues WHERE account_id = ${accountId} ORDER BY region, name`,
    ),
    q<{ region: string; name: string; policy: string }>(
      sql`SELECT region, name, policy FROM sns_topics WHERE account_id = ${accountId} ORDER BY region, name`,
    ),
    q<{ region: string; keyId: string; policy: string }>(
      sql`SELECT region, key_id AS "keyId", policy FROM kms_keys WHERE account_id = ${accountId} ORDER BY region, key_id`,
    ),
    q<{ region: string; name: string; policy: string | null }>(
      sql`SELECT region, name, policy FROM ecr_repositories WHERE account_id = ${accountId} ORDER BY region, name`,
    ),
    q<{ region: string; name: string; policy: string | null; role: string | null }>(
      sql`SELECT region, name, policy, json_extract(config, '$.Role') AS role FROM lambda_functions
      WHERE account_id = ${accountId} ORDER BY region, name`,
    ),
    loadAccountPolicies(db, accountId, "user"),
    loadAccountPolicies(db, accountId, "role"),
    loadOrgChain(db, accountId),
  ]);
  if (!acct[0]) return undefined;
  const groupsOf = new Map<string, string[]>();
  for (const m of members) {
    let list = groupsOf.get(m.userId);
    if (!list) groupsOf.set(m.userId, (list = []));
    list.push(m.groupName);
  }
  const ownPolicies = new Map<string, PolicyDoc[]>();
  for (const g of groupPolicies) {
    let list = ownPolicies.get(g.groupId);
    if (!list) ownPolicies.set(g.groupId, (list = []));
    list.push({ id: g.id, json: g.json });
  }
  const resources: ResourceState[] = [];
  const withPolicy = (r: ResourceState, policy: string | null | undefined): ResourceState => (policy ? { ...r, policy } : r);
  for (const b of buckets) resources.push(withPolicy({ arn: s3BucketArn(b.name), type: "s3:bucket" }, b.policy));
  for (const x of queues)
    resources.push(withPolicy({ arn: `arn:aws:sqs:${x.region}:${accountId}:${x.name}`, type: "sqs:queue" }, x.policy));
  for (const x of topics)
    resources.push(withPolicy({ arn: `arn:aws:sns:${x.region}:${accountId}:${x.name}`, type: "sns:topic" }, x.policy));
  for (const x of keys)
    resources.push(withPolicy({ arn: `arn:aws:kms:${x.region}:${accountId}:key/${x.keyId}`, type: "kms:key" }, x.policy));
  for (const x of repos) {
    const arn = `arn:aws:ecr:${x.region}:${accountId}:repository/${x.name}`;
    // ECR statements name no Resource: the engine reads them as about the repository (as the authorizer does).
    resources.push(withPolicy({ arn, type: "ecr:repository" }, x.policy ? enginePolicy(x.policy, arn) : null));
  }
  for (const x of functions) {
    const fn: ResourceState = { arn: `arn:aws:lambda:${x.region}:${accountId}:function:${x.name}`, type: "lambda:function" };
    if (x.role) fn.role = x.role;
    resources.push(withPolicy(fn, x.policy));
  }
  const chain = chainDocuments(accountId, chainRows);
  const state: AccountState = {
    accountId,
    users: users.map((u) => {
      const s = split(userRows.get(u.id));
      return {
        arn: u.arn,
        name: u.name,
        id: u.id,
        policies: s.policies,
        groups: groupsOf.get(u.id) ?? [],
        boundary: s.boundary,
        tags: s.tags,
        hasPassword: Boolean(u.hasPassword),
        accessKeys: u.accessKeys,
      };
    }),
    groups: groups.map((g) => ({ arn: g.arn, name: g.name, id: g.id, policies: ownPolicies.get(g.id) ?? [] })),
    roles: roles.map((r) => {
      const s = split(roleRows.get(r.id));
      return {
        arn: r.arn,
        name: r.name,
        id: r.id,
        trust: r.trust ?? "",
        policies: s.policies,
        boundary: s.boundary,
        tags: s.tags,
        serviceLinked: r.path.startsWith("/aws-service-role/"),
      };
    }),
    policies: managed,
    resources,
  };
  if (acct[0].alias) state.alias = acct[0].alias;
  if (chain) {
    state.orgId = chain.orgId;
    state.orgPath = chain.path;
    if (chain.scps) state.scps = chain.scps;
    if (chain.rcps) state.rcps = chain.rcps;
  }
  return state;
}
