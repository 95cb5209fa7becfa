/**
 * Account-level reads and aliases: GetAccountAuthorizationDetails (three D1 round trips: the page
 * of every requested section, the sizes of its documents to cut it to a byte budget, then the
 * details of exactly the rows on the page), the counters
 * of GetAccountSummary (one query), and the account alias (globally unique, one per account).
 */
import type { Db } from "./db";
import { listPoliciesStmt, toPolicy, type PolicyRow, type RawPolicy, type TagRow } from "./iam-policies";

export type AuthSection = "user" | "group" | "role" | "policy";
export const SECTION_ORDER: AuthSection[] = ["user", "group", "role", "policy"];

export interface UserRow {
  id: string;
  name: string;
  path: string;
  arn: string;
  createDate: string;
  boundary: string | null;
  sortKey: string;
}
export interface GroupRow {
  id: string;
  name: string;
  path: string;
  arn: string;
  createDate: string;
  sortKey: string;
}
export interface RoleRow {
  id: string;
  name: string;
  path: string;
  arn: string;
  createDate: string;
  boundary: string | null;
  sortKey: string;
  /** length of the trust policy (the document itself is read with the page's details) */
  trustLength: number;
  description: string | null;
  maxSessionDuration: number;
  lastUsedDate: string | null;
  lastUsedRegion: string | null;
}

export interface AuthDetailsQuery {
  sections: AuthSection[];
  /** include customer-managed policies / AWS-managed policies in use in the account */
  localPolicies: boolean;
  awsPolicies: boolean;
  /** the page starts after this (section, key) */
  after?: { section: AuthSection; key: string };
  limit: number;
}

export interface AuthDetailsPage {
  items: Array<
    | { section: "user"; row: UserRow }
    | { section: "group"; row: GroupRow }
    | { section: "role"; row: RoleRow }
    | { section: "policy"; row: PolicyRow; sortKey: string }
  >;
  more: boolean;
}

/** Round trip 1: up to `limit + 1` rows of every requested section after the marker. */
export async function authDetailsPage(db: Db, accountId: string, q: AuthDetailsQuery): Promise<AuthDetailsPage> {
  const d1 = db.$client;
  const afterIdx = q.after ? SECTION_ORDER.indexOf(q.after.section) : -1;
  const keyFor = (section: AuthSection) => (q.after && q.after.section === section ? q.after.key : null);
  const wanted = SECTION_ORDER.filter((s, i) => q.sections.includes(s) && i >= afterIdx);
  const stmts: D1PreparedStatement[] = [];
  for (const sec of wanted) {
    const after = keyFor(sec);
    if (sec === "user")
      stmts.push(
        d1
          .prepare(`SELECT user_id AS id, user_name AS name, path, arn, create_date AS createDate, permissions_boundary AS boundary,
          name_lower || char(10) || user_id AS sortKey
        FROM users WHERE account_id = ?1 AND (?2 IS NULL OR name_lower || char(10) || user_id > ?2) ORDER BY sortKey LIMIT ?3`)
          .bind(accountId, after, q.limit + 1),
      );
    else if (sec === "group")
      stmts.push(
        d1
          .prepare(`SELECT group_id AS id, group_name AS name, path, arn, create_date AS createDate,
          name_lower || char(10) || group_id AS sortKey
        FROM groups WHERE account_id = ?1 AND (?2 IS NULL OR name_lower || char(10) || group_id > ?2) ORDER BY sortKey LIMIT ?3`)
          .bind(accountId, after, q.limit + 1),
      );
    else if (sec === "role")
      stmts.push(
        d1
          .prepare(`SELECT role_id AS id, role_name AS name, path, arn, create_date AS createDate, permissions_boundary AS boundary,
          length(assume_role_policy_document) AS trustLength, description, max_session_duration AS maxSessionDuration,
          last_used_date AS lastUsedDate, last_used_region AS lastUsedRegion, name_lower || char(10) || role_id AS sortKey
        FROM roles WHERE account_id = ?1 AND (?2 IS NULL OR name_lower || char(10) || role_id > ?2) ORDER BY sortKey LIMIT ?3`)
          .bind(accountId, after, q.limit + 1),
      );
    else {
      let afterPolicy: { name: string; arn: string } | undefined;
      if (after !== null) {
        const nl = after.indexOf("\n");
        afterPolicy = { name: after.slice(0, nl), arn: after.slice(nl + 1) };
      }
      const scope = q.localPolicies && q.awsPolicies ? "All" : q.localPolicies ? "Local" : "AWS";
      stmts.push(
        listPoliciesStmt(db, accountId, {
          scope,
          onlyAttached: scope === "AWS",
          awsOnlyIfUsed: scope === "All",
          pathPrefix: "/",
          after: afterPolicy,
          limit: q.limit + 1,
        }),
      );
    }
  }
  const results = stmts.length ? await d1.batch(stmts) : [];
  const items: AuthDetailsPage["items"] = [];
  let more = false;
  wanted.forEach((sec, n) => {
    for (const r of results[n]!.results as Record<string, unknown>[]) {
      if (items.length === q.limit) {
        more = true;
        return;
      }
      if (sec === "policy") {
        const p = toPolicy(r as unknown as RawPolicy);
        items.push({ section: "policy", row: p, sortKey: `${p.policyName}\n${p.arn}` });
      } else items.push({ section: sec, row: r } as unknown as AuthDetailsPage["items"][number]);
    }
  });
  return { items, more };
}

/**
 * Round trip 2: the documents' sizes of the candidate rows (no document is read), then the page
 * is cut where its estimated answer passes `budget` bytes — always after at least one item, since
 * an entity cannot be split. AWS documents that a page may hold fewer than MaxItems items while
 * IsTruncated is true, so clients already loop on the Marker. Each item's estimate is its
 * documents' length times 3 (URL encoding turns whitespace and JSON punctuation into %XX; the
 * whitespace AWS does not count against its size quotas is what can make a document long), plus
 * a fixed allowance for the item's other elements. Returns the estimate of the page kept.
 */
export async function cutPageByBudget(db: Db, accountId: string, page: AuthDetailsPage, budget: number): Promise<number> {
  const d1 = db.$client;
  const entityIds = page.items.filter((i) => i.section !== "policy").map((i) => (i.row as UserRow).id);
  const roleIds = page.items.filter((i) => i.section === "role").map((i) => (i.row as RoleRow).id);
  const policies = page.items.filter((i) => i.section === "policy").map((i) => i.row as PolicyRow);
  const [inline, profiles, versions, awsDocs] = await d1.batch<{ id: string; n: number }>([
    d1
      .prepare(`SELECT ip.entity_id AS id, SUM(length(ip.document)) AS n FROM json_each(?2) e
      JOIN inline_policies ip ON ip.entity_id = e.value AND ip.account_id = ?1 GROUP BY ip.entity_id`)
      .bind(accountId, JSON.stringify(entityIds)),
    d1
      .prepare(`SELECT ip.role_id AS id, COUNT(*) AS n FROM json_each(?2) r
      JOIN instance_profiles ip ON ip.role_id = r.value AND ip.account_id = ?1 GROUP BY ip.role_id`)
      .bind(accountId, JSON.stringify(roleIds)),
    d1
      .prepare(`SELECT v.policy_id AS id, SUM(length(v.document)) AS n FROM json_each(?2) p
      JOIN policy_versions v ON v.policy_id = p.value AND v.account_id = ?1 GROUP BY v.policy_id`)
      .bind(accountId, JSON.stringify(policies.filter((p) => !p.awsManaged).map((p) => p.policyId))),
    d1
      .prepare(`SELECT m.arn AS id, length(m.document) AS n FROM json_each(?1) a JOIN aws_managed_policies m ON m.arn = a.value`)
      .bind(JSON.stringify(policies.filter((p) => p.awsManaged).map((p) => p.arn))),
  ]);
  const size = (rows: { id: string; n: number }[]) => new Map(rows.map((r) => [r.id, r.n]));
  const inlineChars = size(inline!.results);
  const profileCount = size(profiles!.results);
  const versionChars = size(versions!.results);
  const awsChars = size(awsDocs!.results);
  const ITEM_ALLOWANCE = 4096;
  let total = 0;
  for (let n = 0; n < page.items.length; n++) {
    const it = page.items[n]!;
    let chars: number;
    if (it.section === "policy") chars = it.row.awsManaged ? (awsChars.get(it.row.arn) ?? 0) : (versionChars.get(it.row.policyId) ?? 0);
    else {
      chars = inlineChars.get(it.row.id) ?? 0;
      // The trust policy is written once for the role and once more in each of its instance profiles.
      if (it.section === "role") chars += it.row.trustLength * (1 + (profileCount.get(it.row.id) ?? 0));
    }
    const est = 3 * chars + ITEM_ALLOWANCE;
    if (n > 0 && total + est > budget) {
      page.items.length = n;
      page.more = true;
      break;
    }
    total += est;
  }
  return total;
}

export interface AuthDetailsExtras {
  inline: Map<string, Array<{ name: string; document: string }>>;
  attached: Map<string, Array<{ PolicyName: string; PolicyArn: string }>>;
  groupsOfUser: Map<string, string[]>;
  tags: Map<string, TagRow[]>;
  instanceProfiles: Map<string, Array<{ id: string; name: string; path: string; arn: string; createDate: string }>>;
  versions: Map<string, Array<{ versionId: string; document: string; createDate: string }>>;
  awsDocuments: Map<string, string>;
  trust: Map<string, string>;
}

/** Round trip 3: inline and attached policies, groups, tags, instance profiles, trust policies and versions of the page's rows. */
export async function authDetailsExtras(db: Db, accountId: string, page: AuthDetailsPage): Promise<AuthDetailsExtras> {
  const d1 = db.$client;
  const entities = page.items.filter((i) => i.section !== "policy").map((i) => ({ t: i.section, i: (i.row as UserRow).id }));
  const userIds = page.items.filter((i) => i.section === "user").map((i) => (i.row as UserRow).id);
  const roleIds = page.items.filter((i) => i.section === "role").map((i) => (i.row as RoleRow).id);
  const policies = page.items.filter((i) => i.section === "policy").map((i) => i.row as PolicyRow);
  const customerIds = policies.filter((p) => !p.awsManaged).map((p) => p.policyId);
  const awsArns = policies.filter((p) => p.awsManaged).map((p) => p.arn);
  const ent = JSON.stringify(entities);
  const ENT = `(SELECT json_extract(value, '$.t') AS t, json_extract(value, '$.i') AS i FROM json_each(?2))`;
  const [inline, attached, groups, tags, profiles, versions, awsDocs, trust] = await d1.batch<Record<string, string>>([
    d1
      .prepare(`SELECT ip.entity_id AS id, ip.policy_name AS name, ip.document FROM ${ENT} e
      JOIN inline_policies ip ON ip.entity_type = e.t AND ip.entity_id = e.i AND ip.account_id = ?1 ORDER BY ip.policy_name`)
      .bind(accountId, ent),
    d1
      .prepare(`SELECT a.entity_id AS id, COALESCE(p.policy_name, m.policy_name) AS name, a.policy_arn AS arn FROM ${ENT} e
      JOIN policy_attachments a ON a.entity_type = e.t AND a.entity_id = e.i AND a.account_id = ?1
      LEFT JOIN policies p ON p.account_id = ?1 AND p.arn = a.policy_arn
      LEFT JOIN aws_managed_policies m ON m.arn = a.policy_arn
      ORDER BY name, a.policy_arn`)
      .bind(accountId, ent),
    d1
      .prepare(`SELECT gm.user_id AS id, g.group_name AS name FROM json_each(?2) u
      JOIN group_members gm ON gm.user_id = u.value AND gm.account_id = ?1
      JOIN groups g ON g.group_id = gm.group_id ORDER BY g.name_lower`)
      .bind(accountId, JSON.stringify(userIds)),
    d1
      .prepare(`SELECT t.resource_id AS id, t.key, t.value FROM ${ENT} e
      JOIN tags t ON t.resource_type = e.t AND t.resource_id = e.i AND t.account_id = ?1 ORDER BY t.position, t.key_lower`)
      .bind(accountId, ent),
    d1
      .prepare(`SELECT ip.role_id AS roleId, ip.instance_profile_id AS id, ip.instance_profile_name AS name, ip.path, ip.arn, ip.create_date AS createDate
      FROM json_each(?2) r JOIN instance_profiles ip ON ip.role_id = r.value AND ip.account_id = ?1 ORDER BY ip.name_lower`)
      .bind(accountId, JSON.stringify(roleIds)),
    d1
      .prepare(`SELECT v.policy_id AS id, v.version_id AS versionId, v.document, v.create_date AS createDate
      FROM json_each(?2) p JOIN policy_versions v ON v.policy_id = p.value AND v.account_id = ?1
      ORDER BY CAST(substr(v.version_id, 2) AS INTEGER) DESC`)
      .bind(accountId, JSON.stringify(customerIds)),
    d1
      .prepare(`SELECT m.arn AS id, m.document FROM json_each(?1) a JOIN aws_managed_policies m ON m.arn = a.value`)
      .bind(JSON.stringify(awsArns)),
    d1
      .prepare(`SELECT r.role_id AS id, r.assume_role_policy_document AS document FROM json_each(?2) x
      JOIN roles r ON r.role_id = x.value AND r.account_id = ?1`)
      .bind(accountId, JSON.stringify(roleIds)),
  ]);
  const group = <T>(rows: Record<string, string>[], map: (r: Record<string, string>) => T): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const r of rows) {
      const k = r.id!;
      if (!m.has(k)) m.set(k, []);
      m.get(k)!.push(map(r));
    }
    return m;
  };
  return {
    inline: group(inline!.results, (r) => ({ name: r.name!, document: r.document! })),
    attached: group(attached!.results, (r) => ({ PolicyName: r.name!, PolicyArn: r.arn! })),
    groupsOfUser: group(groups!.results, (r) => r.name!),
    tags: group(tags!.results, (r) => ({ Key: r.key!, Value: r.value! })),
    instanceProfiles: group(
      profiles!.results.map((r) => ({ ...r, id: r.roleId!, profileId: r.id! })),
      (r) => ({
        id: r.profileId!,
        name: r.name!,
        path: r.path!,
        arn: r.arn!,
        createDate: r.createDate!,
      }),
    ),
    versions: group(versions!.results, (r) => ({ versionId: r.versionId!, document: r.document!, createDate: r.createDate! })),
    awsDocuments: new Map(awsDocs!.results.map((r) => [r.id!, r.document!])),
    trust: new Map(trust!.results.map((r) => [r.id!, r.document!])),
  };
}

export interface AccountCounts {
  users: number;
  groups: number;
  roles: number;
  policies: number;
  instanceProfiles: number;
  attachments: number;
  rootKeys: number;
  mfaDevices: number;
  mfaDevicesInUse: number;
  rootMfa: number;
}

export async function accountCounts(db: Db, accountId: string): Promise<AccountCounts> {
  const r = await db.$client
    .prepare(`SELECT
      (SELECT COUNT(*) FROM users WHERE account_id = ?1) AS users,
      (SELECT COUNT(*) FROM groups WHERE account_id = ?1) AS groups,
      (SELECT COUNT(*) FROM roles WHERE account_id = ?1) AS roles,
      (SELECT COUNT(*) FROM policies WHERE account_id = ?1) AS policies,
      (SELECT COUNT(*) FROM instance_profiles WHERE account_id = ?1) AS instanceProfiles,
      (SELECT COUNT(*) FROM policy_attachments WHERE account_id = ?1) AS attachments,
      (SELECT COUNT(*) FROM access_keys WHERE account_id = ?1 AND user_id IS NULL) AS rootKeys,
      (SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1) AS mfaDevices,
      (SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1 AND user_id IS NOT NULL) AS mfaDevicesInUse,
      (SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1 AND user_id = 'root') AS rootMfa`)
    .bind(accountId)
    .first<AccountCounts>();
  return r!;
}

// ---------------------------------------------------------------------------------------------
// Account aliases: globally unique (primary key), at most one per account (unique account_id).

export type CreateAliasResult = "ok" | "taken";

/** Sets the account's alias (replacing an existing one) unless another account holds it. */
export async function createAlias(db: Db, accountId: string, alias: string): Promise<CreateAliasResult> {
  const d1 = db.$client;
  const res = await d1.batch<{ account_id?: string }>([
    d1
      .prepare(`DELETE FROM account_aliases WHERE account_id = ?1 AND alias != ?2
      AND NOT EXISTS (SELECT 1 FROM account_aliases WHERE alias = ?2 AND account_id != ?1)`)
      .bind(accountId, alias),
    d1.prepare(`INSERT INTO account_aliases (alias, account_id) VALUES (?2, ?1) ON CONFLICT DO NOTHING`).bind(accountId, alias),
    d1
      .prepare(
        `UPDATE accounts SET alias = ?2 WHERE id = ?1 AND EXISTS (SELECT 1 FROM account_aliases WHERE alias = ?2 AND account_id = ?1)`,
      )
      .bind(accountId, alias),
    d1.prepare("SELECT account_id FROM account_aliases WHERE alias = ?").bind(alias),
  ]);
  return res[3]!.results[0]?.account_id === accountId ? "ok" : "taken";
}

/** Removes the alias when it is the account's; false otherwise. */
export async function deleteAlias(db: Db, accountId: string, alias: string): Promise<boolean> {
  const d1 = db.$client;
  const res = await d1.batch([
    d1.prepare("DELETE FROM account_aliases WHERE account_id = ? AND alias = ?").bind(accountId, alias),
    d1.prepare("UPDATE accounts SET alias = NULL WHERE id = ? AND changes() = 1").bind(accountId),
  ]);
  return (res[0]?.meta.changes ?? 0) > 0;
}

export async function listAliases(db: Db, accountId: string): Promise<string[]> {
  const { results } = await db.$client
    .prepare("SELECT alias FROM account_aliases WHERE account_id = ?")
    .bind(accountId)
    .all<{ alias: string }>();
  return results.map((r) => r.alias);
}
