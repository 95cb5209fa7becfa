/**
 * Managed policies (customer-managed in `policies`/`policy_versions`, AWS-managed in the global
 * read-only `aws_managed_policies`), their versions, tags, usage counts and the policy loader
 * the authorizer uses, in the store's one dialect (src/store/db.ts): drizzle `sql` templates over
 * the schema's tables and columns. Every query is scoped by account; limits are enforced inside
 * SQL so concurrent requests cannot overshoot them; every write is one batch (src/store/write.ts).
 * Outcomes are plain values; the services turn them into AWS's errors.
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { awsManagedPolicies, groups, policies, policyAttachments, policyVersions, roles, users } from "./schema";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";
import { writeBatch, type Write } from "./write";
import { isQuotaAbort, quotaGuardStmt, SUMMARY_QUOTAS } from "./iam-quotas";

export const AWS_POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy/";
export const MAX_POLICY_VERSIONS = SUMMARY_QUOTAS.VersionsPerPolicyQuota;

export function isAwsManagedArn(arn: string): boolean {
  return arn.startsWith(AWS_POLICY_ARN_PREFIX);
}

/** The columns both policy tables have (a customer policy's but account_id, name_lower and next_version), in one order. */
const SHARED = ["policyId", "policyName", "path", "arn", "defaultVersionId", "description", "createDate", "updateDate"] as const;
type SharedColumns = Pick<Row<typeof policies>, (typeof SHARED)[number]>;

/** The select list of SHARED from either table, in SHARED's order (the two branches of listPolicies are one UNION ALL). */
const shared = (t: typeof policies | typeof awsManagedPolicies): SQL =>
  sql.join(
    SHARED.map((k) => sql`${t[k]} AS ${sql.identifier(k)}`),
    sql`, `,
  );

export interface PolicyRow extends SharedColumns {
  attachmentCount: number;
  boundaryCount: number;
  awsManaged: boolean;
}

/** A policy as read: SHARED, the usage counts, and `aws` 1 for an AWS-managed policy. */
export type RawPolicy = SharedColumns & { attachmentCount: number; boundaryCount: number; aws: number };

export function toPolicy(r: RawPolicy): PolicyRow {
  return {
    policyId: r.policyId,
    policyName: r.policyName,
    path: r.path,
    arn: r.arn,
    defaultVersionId: r.defaultVersionId,
    description: r.description,
    createDate: r.createDate,
    updateDate: r.updateDate,
    attachmentCount: r.attachmentCount ?? 0,
    boundaryCount: r.boundaryCount ?? 0,
    awsManaged: r.aws === 1,
  };
}

/** The account's users and roles whose permissions boundary is `arn`, each an EXISTS. */
const boundaryUses = (accountId: string, arn: string): SQL[] => [
  sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.permissionsBoundary} = ${arn})`,
  sql`EXISTS (SELECT 1 FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.permissionsBoundary} = ${arn})`,
];

/** EXISTS: `arn` is attached to an identity of the account. */
const attached = (accountId: string, arn: string): SQL =>
  sql`EXISTS (SELECT 1 FROM ${policyAttachments} WHERE ${policyAttachments.accountId} = ${accountId} AND ${policyAttachments.policyArn} = ${arn})`;

/** The usage counts of one ARN in one account, as attachmentCount and boundaryCount. */
const counts = (accountId: string, arn: string): SQL => sql`
  (SELECT COUNT(*) FROM ${policyAttachments} WHERE ${policyAttachments.accountId} = ${accountId} AND ${policyAttachments.policyArn} = ${arn}) AS "attachmentCount",
  ((SELECT COUNT(*) FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.permissionsBoundary} = ${arn}) +
   (SELECT COUNT(*) FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.permissionsBoundary} = ${arn})) AS "boundaryCount"`;

/** A customer policy of the account or an AWS-managed policy, with its usage counts in the account. */
export async function getPolicy(db: Db, accountId: string, arn: string): Promise<PolicyRow | undefined> {
  const row = isAwsManagedArn(arn)
    ? await first<RawPolicy>(
        db,
        sql`SELECT ${shared(awsManagedPolicies)}, 1 AS aws, ${counts(accountId, arn)}
        FROM ${awsManagedPolicies} WHERE ${awsManagedPolicies.arn} = ${arn}`,
      )
    : await first<RawPolicy>(
        db,
        sql`SELECT ${shared(policies)}, 0 AS aws, ${counts(accountId, arn)}
        FROM ${policies} WHERE ${policies.accountId} = ${accountId} AND ${policies.arn} = ${arn}`,
      );
  return row ? toPolicy(row) : undefined;
}

export type { TagRow };

/** Is `arn` an existing managed policy this account can use (its own, or AWS-managed)? */
export async function managedPolicyExists(db: Db, accountId: string, arn: string): Promise<boolean> {
  const row = await first<{ found: number }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM ${policies} WHERE ${policies.accountId} = ${accountId} AND ${policies.arn} = ${arn})
       OR EXISTS (SELECT 1 FROM ${awsManagedPolicies} WHERE ${awsManagedPolicies.arn} = ${arn}) AS found`,
  );
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

/**
 * A new customer managed policy with its versions (v1 … vN; the last one, vN, is the default) and its
 * tags: the versions and tags land only when the policy row did (`changes() = 1`: a name or ARN taken
 * leaves the batch without effect; the caller tells by the first statement's changes).
 */
export function insertPolicyStmts(
  db: Db,
  accountId: string,
  p: Omit<NewPolicy, "document">,
  documents: readonly string[],
): D1PreparedStatement[] {
  const t = policies;
  const v = policyVersions;
  const n = documents.length;
  return [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.policyId)}, ${bare(t.accountId)}, ${bare(t.policyName)}, ${bare(t.nameLower)}, ${bare(t.path)}, ${bare(t.arn)},
        ${bare(t.defaultVersionId)}, ${bare(t.nextVersion)}, ${bare(t.description)}, ${bare(t.createDate)}, ${bare(t.updateDate)})
      VALUES (${p.policyId}, ${accountId}, ${p.policyName}, ${p.policyName.toLowerCase()}, ${p.path}, ${p.arn}, ${`v${n}`}, ${n + 1},
        ${p.description ?? null}, ${p.createDate}, ${p.createDate}) ON CONFLICT DO NOTHING`,
    ),
    ...documents.map((document, i) =>
      statement(
        db,
        sql`INSERT INTO ${v} (${bare(v.accountId)}, ${bare(v.policyId)}, ${bare(v.versionId)}, ${bare(v.document)}, ${bare(v.createDate)})
        SELECT ${accountId}, ${p.policyId}, ${`v${i + 1}`}, ${document}, ${p.createDate} WHERE changes() = 1`,
      ),
    ),
    ...insertTagsStmts(db, accountId, "policy", p.policyId, p.tags),
  ];
}

/**
 * Labs (src/labs/): a policy's versions replaced by `documents` (new ids after the policy's last,
 * as CreatePolicyVersion numbers them; the last is the default) and its description set.
 */
export function replacePolicyVersionsStmts(
  db: Db,
  accountId: string,
  policyId: string,
  nextVersion: number,
  documents: readonly string[],
  description: string | null,
  now: string,
): D1PreparedStatement[] {
  const t = policies;
  const v = policyVersions;
  const last = nextVersion + documents.length - 1;
  return [
    statement(db, sql`DELETE FROM ${v} WHERE ${v.accountId} = ${accountId} AND ${v.policyId} = ${policyId}`),
    ...documents.map((document, i) =>
      statement(
        db,
        sql`INSERT INTO ${v} (${bare(v.accountId)}, ${bare(v.policyId)}, ${bare(v.versionId)}, ${bare(v.document)}, ${bare(v.createDate)})
        VALUES (${accountId}, ${policyId}, ${`v${nextVersion + i}`}, ${document}, ${now})`,
      ),
    ),
    statement(
      db,
      sql`UPDATE ${t} SET ${bare(t.defaultVersionId)} = ${`v${last}`}, ${bare(t.nextVersion)} = ${last + 1}, ${bare(t.description)} = ${description},
        ${bare(t.updateDate)} = ${now}
      WHERE ${t.accountId} = ${accountId} AND ${t.policyId} = ${policyId}`,
    ),
  ];
}

/** Labs: a customer managed policy with its versions and tags, detached from every identity and boundary of the account. */
export function deletePolicyCascadeStmts(db: Db, accountId: string, policyId: string, arn: string): D1PreparedStatement[] {
  return [
    statement(
      db,
      sql`DELETE FROM ${policyAttachments} WHERE ${policyAttachments.accountId} = ${accountId} AND ${policyAttachments.policyArn} = ${arn}`,
    ),
    statement(
      db,
      sql`UPDATE ${users} SET ${bare(users.permissionsBoundary)} = NULL WHERE ${users.accountId} = ${accountId} AND ${users.permissionsBoundary} = ${arn}`,
    ),
    statement(
      db,
      sql`UPDATE ${roles} SET ${bare(roles.permissionsBoundary)} = NULL WHERE ${roles.accountId} = ${accountId} AND ${roles.permissionsBoundary} = ${arn}`,
    ),
    statement(
      db,
      sql`DELETE FROM ${policyVersions} WHERE ${policyVersions.accountId} = ${accountId} AND ${policyVersions.policyId} = ${policyId}`,
    ),
    deleteTagsStmt(db, accountId, "policy", policyId),
    statement(db, sql`DELETE FROM ${policies} WHERE ${policies.accountId} = ${accountId} AND ${policies.policyId} = ${policyId}`),
  ];
}

export type CreatePolicyResult = "ok" | "exists" | "limit";

/**
 * Inserts the policy, its v1 and its tags in one transaction: "exists" when the name is taken,
 * "limit" when the account already holds PoliciesPerAccount customer managed policies.
 */
export async function createPolicy(w: Write, p: NewPolicy): Promise<CreatePolicyResult> {
  const { db, account: accountId } = w;
  const stmts = [...insertPolicyStmts(db, accountId, p, [p.document]), quotaGuardStmt(db, accountId, "PoliciesPerAccount")];
  try {
    const res = await writeBatch(w, stmts);
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

/** listPolicies as one statement (rows are RawPolicy), for a read batch. */
export function listPoliciesStmt(db: Db, accountId: string, q: ListPoliciesQuery): D1PreparedStatement {
  // Every filter runs inside its branch, and each branch stops at `limit` rows in (name, arn)
  // order — the AWS branch walks its primary key (policy_name) — so only the rows of the page
  // are joined with the usage counts. ac, bc and p are the query's own names (CTEs).
  const used =
    q.usage === "PermissionsPolicy"
      ? sql`SELECT policy_arn FROM ac`
      : q.usage === "PermissionsBoundary"
        ? sql`SELECT policy_arn FROM bc`
        : sql`SELECT policy_arn FROM ac UNION ALL SELECT policy_arn FROM bc`;
  const branch = (t: typeof policies | typeof awsManagedPolicies, scope: SQL, aws: 0 | 1, onlyUsed: boolean) => {
    const marker = q.after
      ? sql`AND ${t.policyName} >= ${q.after.name} AND (${t.policyName} > ${q.after.name} OR ${t.arn} > ${q.after.arn})`
      : sql``;
    return sql`SELECT * FROM (
      SELECT ${shared(t)}, ${sql.raw(String(aws))} AS aws
      FROM ${t} WHERE ${scope} AND substr(${t.path}, 1, length(${q.pathPrefix})) = ${q.pathPrefix} ${marker}
        ${onlyUsed ? sql`AND ${t.arn} IN (${used})` : sql``}
      ORDER BY ${t.policyName}, ${t.arn} LIMIT ${q.limit})`;
  };
  const parts: SQL[] = [];
  if (q.scope !== "Local") parts.push(branch(awsManagedPolicies, sql`1`, 1, q.onlyAttached || !!q.awsOnlyIfUsed));
  if (q.scope !== "AWS") parts.push(branch(policies, sql`${policies.accountId} = ${accountId}`, 0, q.onlyAttached));
  const pa = policyAttachments;
  const query = sql`WITH ac AS (SELECT ${pa.policyArn} AS policy_arn, COUNT(*) AS n FROM ${pa} WHERE ${pa.accountId} = ${accountId} GROUP BY ${pa.policyArn}),
    bc AS (SELECT pb AS policy_arn, COUNT(*) AS n FROM (
      SELECT ${users.permissionsBoundary} AS pb FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.permissionsBoundary} IS NOT NULL
      UNION ALL SELECT ${roles.permissionsBoundary} FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.permissionsBoundary} IS NOT NULL) GROUP BY pb),
    p AS (${sql.join(parts, sql` UNION ALL `)})
    SELECT p.*, COALESCE(ac.n, 0) AS "attachmentCount", COALESCE(bc.n, 0) AS "boundaryCount"
    FROM p LEFT JOIN ac ON ac.policy_arn = p.arn LEFT JOIN bc ON bc.policy_arn = p.arn
    ORDER BY p."policyName", p.arn LIMIT ${q.limit}`;
  return statement(db, query);
}

export type DeletePolicyResult = "deleted" | "notFound" | "attached" | "versions";

/**
 * Deletes a customer policy (with its versions and tags) unless it is in use or has other versions,
 * in one batch: the versions and tags go only when the policy row is gone.
 */
export async function deletePolicy(w: Write, arn: string, retry = true): Promise<DeletePolicyResult> {
  const { db, account: accountId } = w;
  const p = policies;
  const v = policyVersions;
  // The id, to clear the policy's versions and tags by key once the policy row is gone.
  const id = (
    await first<{ id: string }>(db, sql`SELECT ${p.policyId} AS id FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}`)
  )?.id;
  if (!id) return "notFound";
  const [inUse, asUser, asRole] = [attached(accountId, arn), ...boundaryUses(accountId, arn)];
  const versions = sql`(SELECT COUNT(*) FROM ${v} WHERE ${v.policyId} = ${p.policyId})`;
  const res = await writeBatch<{ policyId: string }>(w, [
    statement(
      db,
      sql`DELETE FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn} AND ${p.policyId} = ${id}
      AND NOT ${inUse} AND NOT ${asUser} AND NOT ${asRole} AND ${versions} <= 1
      RETURNING ${bare(p.policyId)} AS "policyId"`,
    ),
    statement(
      db,
      sql`DELETE FROM ${v} WHERE ${v.accountId} = ${accountId} AND ${v.policyId} = ${id}
      AND NOT EXISTS (SELECT 1 FROM ${p} WHERE ${p.policyId} = ${id})`,
    ),
    deleteTagsStmt(db, accountId, "policy", id),
    statement(
      db,
      sql`SELECT ${p.policyId} AS "policyId", ${inUse} OR ${asUser} OR ${asRole} AS used, ${versions} AS versions
      FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}`,
    ),
  ]);
  if (res[0]!.results[0]) return "deleted";
  const state = res[3]!.results[0] as unknown as { used: number; versions: number } | undefined;
  if (!state) return "notFound";
  if (state.used) return "attached";
  if (state.versions <= 1) return retry ? deletePolicy(w, arn, false) : "notFound"; // replaced meanwhile (same ARN, new id)
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
  const v = policyVersions;
  const rows = await all<Row<typeof policyVersions, "accountId" | "policyId">>(
    db,
    sql`SELECT ${selectList(v, ["accountId", "policyId"])} FROM ${v} WHERE ${v.accountId} = ${accountId} AND ${v.policyId} = ${policy.policyId}
      ORDER BY CAST(substr(${v.versionId}, 2) AS INTEGER) DESC`,
  );
  return rows.map((r) => ({
    versionId: r.versionId,
    document: r.document,
    createDate: r.createDate,
    isDefault: r.versionId === policy.defaultVersionId,
  }));
}

async function awsManagedDocument(db: Db, arn: string): Promise<string | undefined> {
  const r = await first<{ document: string }>(
    db,
    sql`SELECT ${awsManagedPolicies.document} AS "document" FROM ${awsManagedPolicies} WHERE ${awsManagedPolicies.arn} = ${arn}`,
  );
  return r?.document;
}

/** One version of a policy (customer or AWS-managed), with its default flag. */
export async function getVersion(db: Db, accountId: string, arn: string, versionId: string): Promise<VersionRow | undefined> {
  if (isAwsManagedArn(arn)) {
    const a = awsManagedPolicies;
    const r = await first<{ document: string; updateDate: string }>(
      db,
      sql`SELECT ${a.document} AS "document", ${a.updateDate} AS "updateDate" FROM ${a}
      WHERE ${a.arn} = ${arn} AND ${a.defaultVersionId} = ${versionId}`,
    );
    return r ? { versionId, document: r.document, createDate: r.updateDate, isDefault: true } : undefined;
  }
  const p = policies;
  const v = policyVersions;
  const r = await first<{ document: string; createDate: string; defaultVersionId: string }>(
    db,
    sql`SELECT ${v.document} AS "document", ${v.createDate} AS "createDate", ${p.defaultVersionId} AS "defaultVersionId" FROM ${p}
      JOIN ${v} ON ${v.policyId} = ${p.policyId} AND ${v.versionId} = ${versionId}
      WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}`,
  );
  return r ? { versionId, document: r.document, createDate: r.createDate, isDefault: r.defaultVersionId === versionId } : undefined;
}

export type CreateVersionResult = { ok: true; versionId: string } | { ok: false; reason: "notFound" | "limit" };

/**
 * Adds a version numbered from the policy's counter (ids are never reused) unless the policy
 * already has five; optionally makes it the default. One transaction.
 */
export async function createVersion(
  w: Write,
  arn: string,
  document: string,
  setAsDefault: boolean,
  now: string,
): Promise<CreateVersionResult> {
  const { db, account: accountId } = w;
  const p = policies;
  const v = policyVersions;
  const stmts = [
    statement(
      db,
      sql`INSERT INTO ${v} (${bare(v.accountId)}, ${bare(v.policyId)}, ${bare(v.versionId)}, ${bare(v.document)}, ${bare(v.createDate)})
      SELECT ${p.accountId}, ${p.policyId}, 'v' || ${p.nextVersion}, ${document}, ${now} FROM ${p}
      WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}
        AND (SELECT COUNT(*) FROM ${v} WHERE ${v.policyId} = ${p.policyId}) < ${MAX_POLICY_VERSIONS}
      RETURNING ${bare(v.versionId)} AS "versionId"`,
    ),
    statement(
      db,
      sql`UPDATE ${p} SET
        ${bare(p.defaultVersionId)} = CASE WHEN ${setAsDefault ? 1 : 0} THEN 'v' || ${p.nextVersion} ELSE ${p.defaultVersionId} END,
        ${bare(p.nextVersion)} = ${p.nextVersion} + 1, ${bare(p.updateDate)} = ${now}
      WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn} AND changes() = 1`,
    ),
    statement(db, sql`SELECT 1 AS found FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}`),
  ];
  const res = await writeBatch<{ versionId?: string; found?: number }>(w, stmts);
  const inserted = res[0]!.results[0];
  if (inserted?.versionId) return { ok: true, versionId: inserted.versionId };
  return { ok: false, reason: res[2]!.results.length ? "limit" : "notFound" };
}

export type DeleteVersionResult = "deleted" | "noPolicy" | "noVersion" | "default";

export async function deleteVersion(w: Write, arn: string, versionId: string): Promise<DeleteVersionResult> {
  const { db, account: accountId } = w;
  const p = policies;
  const v = policyVersions;
  const res = await writeBatch<{ versionId?: string; defaultVersionId?: string }>(w, [
    statement(
      db,
      sql`DELETE FROM ${v} WHERE ${v.accountId} = ${accountId} AND ${v.versionId} = ${versionId}
      AND ${v.policyId} = (SELECT ${p.policyId} FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn} AND ${p.defaultVersionId} != ${versionId})
      RETURNING ${bare(v.versionId)} AS "versionId"`,
    ),
    statement(
      db,
      sql`SELECT ${p.defaultVersionId} AS "defaultVersionId" FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}`,
    ),
  ]);
  if (res[0]!.results.length) return "deleted";
  const row = res[1]!.results[0];
  if (!row) return "noPolicy";
  if (row.defaultVersionId === versionId) return "default";
  return "noVersion";
}

export type SetDefaultResult = "ok" | "noPolicy" | "noVersion";

export async function setDefaultVersion(w: Write, arn: string, versionId: string): Promise<SetDefaultResult> {
  const { db, account: accountId } = w;
  const p = policies;
  const v = policyVersions;
  const res = await writeBatch(w, [
    statement(
      db,
      sql`UPDATE ${p} SET ${bare(p.defaultVersionId)} = ${versionId} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}
      AND EXISTS (SELECT 1 FROM ${v} WHERE ${v.policyId} = ${p.policyId} AND ${v.versionId} = ${versionId})
      RETURNING ${bare(p.policyId)}`,
    ),
    statement(db, sql`SELECT ${p.policyId} FROM ${p} WHERE ${p.accountId} = ${accountId} AND ${p.arn} = ${arn}`),
  ]);
  if (res[0]!.results.length) return "ok";
  return res[1]!.results.length ? "noVersion" : "noPolicy";
}

// ---------------------------------------------------------------------------------------------
// Who uses a policy

export interface PolicyEntity {
  type: "user" | "group" | "role";
  name: string;
  id: string;
  path: string;
}

/** Where each identity type lives: its table, id and name columns. */
const IDENTITIES = {
  user: { table: users, id: users.userId, name: users.userName },
  group: { table: groups, id: groups.groupId, name: groups.groupName },
  role: { table: roles, id: roles.roleId, name: roles.roleName },
} as const;

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
  const parts: SQL[] = [];
  const pa = policyAttachments;
  for (const type of o.types) {
    const { table: e, id, name } = IDENTITIES[type];
    const conds: SQL[] = [];
    if (o.usage !== "PermissionsBoundary")
      conds.push(
        sql`EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.entityType} = ${type} AND ${pa.entityId} = ${id} AND ${pa.policyArn} = ${arn})`,
      );
    if (o.usage !== "PermissionsPolicy" && type !== "group") {
      const boundary = type === "user" ? users.permissionsBoundary : roles.permissionsBoundary;
      conds.push(sql`${boundary} = ${arn}`);
    }
    if (conds.length === 0) continue;
    const order = type === "group" ? "1" : type === "user" ? "2" : "3";
    parts.push(sql`SELECT ${type} AS type, ${name} AS name, ${id} AS id, ${e.path} AS path,
      ${order} || char(10) || ${e.nameLower} || char(10) || ${id} AS "sortKey"
      FROM ${e} WHERE ${e.accountId} = ${accountId} AND substr(${e.path}, 1, length(${o.pathPrefix})) = ${o.pathPrefix}
        AND (${sql.join(conds, sql` OR `)})`);
  }
  if (parts.length === 0) return [];
  const after = o.after === undefined ? sql`` : sql`WHERE "sortKey" > ${o.after}`;
  return all(db, sql`SELECT * FROM (${sql.join(parts, sql` UNION ALL `)}) ${after} ORDER BY "sortKey" LIMIT ${o.limit}`);
}

/** The identities a policy can be attached to. */
export type PolicyEntityType = "user" | "group" | "role";
