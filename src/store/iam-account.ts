/**
 * Account-level reads and aliases, in the store's one dialect (src/store/db.ts):
 * GetAccountAuthorizationDetails (three D1 round trips: the page of every requested section, the
 * sizes of its documents to cut it to a byte budget, then the details of exactly the rows on the
 * page), the counters of GetAccountSummary (one query), and the account alias (globally unique,
 * one per account; its writes are one batch through src/store/write.ts).
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, statement, type Db } from "./db";
import {
  accessKeys,
  accountAliases,
  accounts,
  awsManagedPolicies,
  groupMembers,
  groups,
  inlinePolicies,
  instanceProfiles,
  mfaDevices,
  policies,
  policyAttachments,
  policyVersions,
  roles,
  tags,
  users,
  serverCertificates,
  signingCertificates,
  oidcProviders,
  samlProviders,
} from "./schema";
import { writeBatch, type Write } from "./write";
import { listPoliciesStmt, toPolicy, type PolicyRow, type RawPolicy, type TagRow } from "./iam-policies";

export type AuthSection = "user" | "group" | "role" | "policy";
export const SECTION_ORDER: AuthSection[] = ["user", "group", "role", "policy"];

// The section rows are views (id / name / boundary / sortKey under one name for every section), not table rows.
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

/** Each entity section's select list (its columns under the section row's keys) and sort key (name_lower, newline, id). */
const SECTIONS = {
  user: {
    table: users,
    account: users.accountId,
    cols: sql`${users.userId} AS "id", ${users.userName} AS "name", ${users.path} AS "path", ${users.arn} AS "arn",
      ${users.createDate} AS "createDate", ${users.permissionsBoundary} AS "boundary"`,
    key: sql`${users.nameLower} || char(10) || ${users.userId}`,
  },
  group: {
    table: groups,
    account: groups.accountId,
    cols: sql`${groups.groupId} AS "id", ${groups.groupName} AS "name", ${groups.path} AS "path", ${groups.arn} AS "arn",
      ${groups.createDate} AS "createDate"`,
    key: sql`${groups.nameLower} || char(10) || ${groups.groupId}`,
  },
  role: {
    table: roles,
    account: roles.accountId,
    cols: sql`${roles.roleId} AS "id", ${roles.roleName} AS "name", ${roles.path} AS "path", ${roles.arn} AS "arn",
      ${roles.createDate} AS "createDate", ${roles.permissionsBoundary} AS "boundary",
      length(${roles.assumeRolePolicyDocument}) AS "trustLength", ${roles.description} AS "description",
      ${roles.maxSessionDuration} AS "maxSessionDuration", ${roles.lastUsedDate} AS "lastUsedDate", ${roles.lastUsedRegion} AS "lastUsedRegion"`,
    key: sql`${roles.nameLower} || char(10) || ${roles.roleId}`,
  },
};

/** Round trip 1: up to `limit + 1` rows of every requested section after the marker. */
export async function authDetailsPage(db: Db, accountId: string, q: AuthDetailsQuery): Promise<AuthDetailsPage> {
  const afterIdx = q.after ? SECTION_ORDER.indexOf(q.after.section) : -1;
  const keyFor = (section: AuthSection) => (q.after && q.after.section === section ? q.after.key : null);
  const wanted = SECTION_ORDER.filter((s, i) => q.sections.includes(s) && i >= afterIdx);
  const stmts: D1PreparedStatement[] = [];
  for (const sec of wanted) {
    const after = keyFor(sec);
    if (sec !== "policy") {
      const s = SECTIONS[sec];
      stmts.push(
        statement(
          db,
          sql`SELECT ${s.cols}, ${s.key} AS "sortKey" FROM ${s.table}
          WHERE ${s.account} = ${accountId} ${after === null ? sql`` : sql`AND ${s.key} > ${after}`} ORDER BY "sortKey" LIMIT ${q.limit + 1}`,
        ),
      );
    } else {
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
  const results = stmts.length ? await db.$client.batch(stmts) : [];
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
  const entityIds = page.items.filter((i) => i.section !== "policy").map((i) => (i.row as UserRow).id);
  const roleIds = page.items.filter((i) => i.section === "role").map((i) => (i.row as RoleRow).id);
  const pagePolicies = page.items.filter((i) => i.section === "policy").map((i) => i.row as PolicyRow);
  const ip = inlinePolicies;
  const prof = instanceProfiles;
  const v = policyVersions;
  const m = awsManagedPolicies;
  const [inline, profiles, versions, awsDocs] = await db.$client.batch<{ id: string; n: number }>([
    statement(
      db,
      sql`SELECT ${ip.entityId} AS id, SUM(length(${ip.document})) AS n FROM json_each(${JSON.stringify(entityIds)}) e
      JOIN ${ip} ON ${ip.entityId} = e.value AND ${ip.accountId} = ${accountId} GROUP BY ${ip.entityId}`,
    ),
    statement(
      db,
      sql`SELECT ${prof.roleId} AS id, COUNT(*) AS n FROM json_each(${JSON.stringify(roleIds)}) r
      JOIN ${prof} ON ${prof.roleId} = r.value AND ${prof.accountId} = ${accountId} GROUP BY ${prof.roleId}`,
    ),
    statement(
      db,
      sql`SELECT ${v.policyId} AS id, SUM(length(${v.document})) AS n
      FROM json_each(${JSON.stringify(pagePolicies.filter((p) => !p.awsManaged).map((p) => p.policyId))}) p
      JOIN ${v} ON ${v.policyId} = p.value AND ${v.accountId} = ${accountId} GROUP BY ${v.policyId}`,
    ),
    statement(
      db,
      sql`SELECT ${m.arn} AS id, length(${m.document}) AS n FROM json_each(${JSON.stringify(pagePolicies.filter((p) => p.awsManaged).map((p) => p.arn))}) a
      JOIN ${m} ON ${m.arn} = a.value`,
    ),
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
  const entities = page.items.filter((i) => i.section !== "policy").map((i) => ({ t: i.section, i: (i.row as UserRow).id }));
  const userIds = page.items.filter((i) => i.section === "user").map((i) => (i.row as UserRow).id);
  const roleIds = page.items.filter((i) => i.section === "role").map((i) => (i.row as RoleRow).id);
  const pagePolicies = page.items.filter((i) => i.section === "policy").map((i) => i.row as PolicyRow);
  const customerIds = pagePolicies.filter((p) => !p.awsManaged).map((p) => p.policyId);
  const awsArns = pagePolicies.filter((p) => p.awsManaged).map((p) => p.arn);
  /** The page's entities as rows (t = entity type, i = id). */
  const ENT = sql`(SELECT json_extract(value, '$.t') AS t, json_extract(value, '$.i') AS i FROM json_each(${JSON.stringify(entities)}))`;
  const ip = inlinePolicies;
  const pa = policyAttachments;
  const gm = groupMembers;
  const prof = instanceProfiles;
  const v = policyVersions;
  const m = awsManagedPolicies;
  const [inline, attached, groupRows, tagRows, profiles, versions, awsDocs, trust] = await db.$client.batch<Record<string, string>>([
    statement(
      db,
      sql`SELECT ${ip.entityId} AS id, ${ip.policyName} AS name, ${ip.document} AS document FROM ${ENT} e
      JOIN ${ip} ON ${ip.entityType} = e.t AND ${ip.entityId} = e.i AND ${ip.accountId} = ${accountId} ORDER BY ${ip.policyName}`,
    ),
    statement(
      db,
      sql`SELECT ${pa.entityId} AS id, COALESCE(${policies.policyName}, ${m.policyName}) AS name, ${pa.policyArn} AS arn FROM ${ENT} e
      JOIN ${pa} ON ${pa.entityType} = e.t AND ${pa.entityId} = e.i AND ${pa.accountId} = ${accountId}
      LEFT JOIN ${policies} ON ${policies.accountId} = ${accountId} AND ${policies.arn} = ${pa.policyArn}
      LEFT JOIN ${m} ON ${m.arn} = ${pa.policyArn}
      ORDER BY name, ${pa.policyArn}`,
    ),
    statement(
      db,
      sql`SELECT ${gm.userId} AS id, ${groups.groupName} AS name FROM json_each(${JSON.stringify(userIds)}) u
      JOIN ${gm} ON ${gm.userId} = u.value AND ${gm.accountId} = ${accountId}
      JOIN ${groups} ON ${groups.groupId} = ${gm.groupId} ORDER BY ${groups.nameLower}`,
    ),
    statement(
      db,
      sql`SELECT ${tags.resourceId} AS id, ${tags.key} AS key, ${tags.value} AS value FROM ${ENT} e
      JOIN ${tags} ON ${tags.resourceType} = e.t AND ${tags.resourceId} = e.i AND ${tags.accountId} = ${accountId}
      ORDER BY ${tags.position}, ${tags.keyLower}`,
    ),
    statement(
      db,
      sql`SELECT ${prof.roleId} AS "roleId", ${prof.instanceProfileId} AS id, ${prof.instanceProfileName} AS name, ${prof.path} AS path,
        ${prof.arn} AS arn, ${prof.createDate} AS "createDate"
      FROM json_each(${JSON.stringify(roleIds)}) r JOIN ${prof} ON ${prof.roleId} = r.value AND ${prof.accountId} = ${accountId}
      ORDER BY ${prof.nameLower}`,
    ),
    statement(
      db,
      sql`SELECT ${v.policyId} AS id, ${v.versionId} AS "versionId", ${v.document} AS document, ${v.createDate} AS "createDate"
      FROM json_each(${JSON.stringify(customerIds)}) p JOIN ${v} ON ${v.policyId} = p.value AND ${v.accountId} = ${accountId}
      ORDER BY CAST(substr(${v.versionId}, 2) AS INTEGER) DESC`,
    ),
    statement(
      db,
      sql`SELECT ${m.arn} AS id, ${m.document} AS document FROM json_each(${JSON.stringify(awsArns)}) a JOIN ${m} ON ${m.arn} = a.value`,
    ),
    statement(
      db,
      sql`SELECT ${roles.roleId} AS id, ${roles.assumeRolePolicyDocument} AS document FROM json_each(${JSON.stringify(roleIds)}) x
      JOIN ${roles} ON ${roles.roleId} = x.value AND ${roles.accountId} = ${accountId}`,
    ),
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
    groupsOfUser: group(groupRows!.results, (r) => r.name!),
    tags: group(tagRows!.results, (r) => ({ Key: r.key!, Value: r.value! })),
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
  /** server certificates of the account */
  serverCertificates: number;
  /** signing certificates of the root user */
  rootSigningCertificates: number;
  /** identity providers (SAML and OIDC) of the account */
  providers: number;
}

export async function accountCounts(db: Db, accountId: string): Promise<AccountCounts> {
  const count = (t: typeof users | typeof groups | typeof roles | typeof policies | typeof instanceProfiles | typeof policyAttachments) =>
    sql`(SELECT COUNT(*) FROM ${t} WHERE ${t.accountId} = ${accountId})`;
  const mfa = (where: SQL) => sql`(SELECT COUNT(*) FROM ${mfaDevices} WHERE ${mfaDevices.accountId} = ${accountId}${where})`;
  const r = await first<AccountCounts>(
    db,
    sql`SELECT ${count(users)} AS users, ${count(groups)} AS groups, ${count(roles)} AS roles, ${count(policies)} AS policies,
      ${count(instanceProfiles)} AS "instanceProfiles", ${count(policyAttachments)} AS attachments,
      (SELECT COUNT(*) FROM ${accessKeys} WHERE ${accessKeys.accountId} = ${accountId} AND ${accessKeys.userId} IS NULL) AS "rootKeys",
      ${mfa(sql``)} AS "mfaDevices", ${mfa(sql` AND ${mfaDevices.userId} IS NOT NULL`)} AS "mfaDevicesInUse",
      ${mfa(sql` AND ${mfaDevices.userId} = 'root'`)} AS "rootMfa",
      (SELECT COUNT(*) FROM ${serverCertificates} WHERE ${serverCertificates.accountId} = ${accountId}) AS "serverCertificates",
      (SELECT COUNT(*) FROM ${signingCertificates} WHERE ${signingCertificates.accountId} = ${accountId}
        AND ${signingCertificates.userId} = 'root') AS "rootSigningCertificates",
      (SELECT COUNT(*) FROM ${samlProviders} WHERE ${samlProviders.accountId} = ${accountId})
        + (SELECT COUNT(*) FROM ${oidcProviders} WHERE ${oidcProviders.accountId} = ${accountId}) AS providers`,
  );
  return r!;
}

// ---------------------------------------------------------------------------------------------
// Account aliases: globally unique (primary key), at most one per account (unique account_id).

export type CreateAliasResult = "ok" | "taken";

/** The alias row `alias`, held by `accountId` or (`other`) by another account (WHERE fragment). */
const aliasHeld = (alias: string, accountId: string, other = false) =>
  sql`${accountAliases.alias} = ${alias} AND ${accountAliases.accountId} ${other ? sql`!=` : sql`=`} ${accountId}`;

/** Sets the account's alias (replacing an existing one) unless another account holds it. */
export async function createAlias(w: Write, alias: string): Promise<CreateAliasResult> {
  const res = await writeBatch<{ account_id?: string }>(w, setAliasStmts(w.db, w.account, alias));
  return res[3]!.results[0]?.account_id === w.account ? "ok" : "taken";
}

/**
 * The account's alias set (replacing its own), unless another account holds it; the last statement
 * reads who holds the alias afterwards.
 */
export function setAliasStmts(db: Db, accountId: string, alias: string): D1PreparedStatement[] {
  const t = accountAliases;
  return [
    statement(
      db,
      sql`DELETE FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.alias} != ${alias}
      AND NOT EXISTS (SELECT 1 FROM ${t} WHERE ${aliasHeld(alias, accountId, true)})`,
    ),
    statement(db, sql`INSERT INTO ${t} (${bare(t.alias)}, ${bare(t.accountId)}) VALUES (${alias}, ${accountId}) ON CONFLICT DO NOTHING`),
    statement(
      db,
      sql`UPDATE ${accounts} SET ${bare(accounts.alias)} = ${alias}
      WHERE ${accounts.id} = ${accountId} AND EXISTS (SELECT 1 FROM ${t} WHERE ${aliasHeld(alias, accountId)})`,
    ),
    statement(db, sql`SELECT ${t.accountId} AS account_id FROM ${t} WHERE ${t.alias} = ${alias}`),
  ];
}

/** Labs (src/labs/): whatever alias the account has, removed. */
export function clearAliasStmts(db: Db, accountId: string): D1PreparedStatement[] {
  return [
    statement(db, sql`DELETE FROM ${accountAliases} WHERE ${accountAliases.accountId} = ${accountId}`),
    statement(db, sql`UPDATE ${accounts} SET ${bare(accounts.alias)} = NULL WHERE ${accounts.id} = ${accountId}`),
  ];
}

/** Removes the alias when it is the account's; false otherwise. */
export async function deleteAlias(w: Write, alias: string): Promise<boolean> {
  const { db, account: accountId } = w;
  const res = await writeBatch(w, [
    statement(db, sql`DELETE FROM ${accountAliases} WHERE ${aliasHeld(alias, accountId)}`),
    // Only when the DELETE just above removed the alias.
    statement(db, sql`UPDATE ${accounts} SET ${bare(accounts.alias)} = NULL WHERE ${accounts.id} = ${accountId} AND changes() = 1`),
  ]);
  return (res[0]?.meta.changes ?? 0) > 0;
}

export async function listAliases(db: Db, accountId: string): Promise<string[]> {
  const rows = await all<{ alias: string }>(
    db,
    sql`SELECT ${accountAliases.alias} AS alias FROM ${accountAliases} WHERE ${accountAliases.accountId} = ${accountId}`,
  );
  return rows.map((r) => r.alias);
}
