/**
 * Managed-policy attachments, inline policies and permissions boundaries of users, groups and
 * roles, in the store's one dialect (src/store/db.ts): drizzle `sql` templates over the schema's
 * tables and columns. Identities are addressed by name (case-insensitively, as AWS does); every
 * write runs in one D1 batch (src/store/write.ts: with the generation bump when it changed a row)
 * and checks its limit inside the INSERT itself. Outcomes are plain values; the services turn them
 * into AWS's errors.
 */
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { bare, first, statement, type Db } from "./db";
import { awsManagedPolicies, groups, inlinePolicies, policies, policyAttachments, roles, users } from "./schema";
import { writeBatch, type Write } from "./write";
import { SUMMARY_QUOTAS } from "./iam-quotas";
import { AWS_POLICY_ARN_PREFIX, type PolicyEntityType } from "./iam-policies";

export const MAX_ATTACHED_POLICIES = SUMMARY_QUOTAS.AttachedPoliciesPerUserQuota;

/** AWS's aggregate inline-policy size limits (characters without whitespace). */
export const INLINE_SIZE_LIMIT: Record<PolicyEntityType, number> = {
  user: SUMMARY_QUOTAS.UserPolicySizeQuota,
  group: SUMMARY_QUOTAS.GroupPolicySizeQuota,
  role: SUMMARY_QUOTAS.RolePolicySizeQuota,
};

/** Where each kind of identity lives: its table and the columns the queries below need. */
interface IdentitySpec {
  table: SQLiteTable;
  account: AnySQLiteColumn;
  id: AnySQLiteColumn;
  name: AnySQLiteColumn;
  nameLower: AnySQLiteColumn;
  path: AnySQLiteColumn;
  arn: AnySQLiteColumn;
  /** null for groups (no permissions boundary) */
  boundary: AnySQLiteColumn | null;
}

const T: Record<PolicyEntityType, IdentitySpec> = {
  user: {
    table: users,
    account: users.accountId,
    id: users.userId,
    name: users.userName,
    nameLower: users.nameLower,
    path: users.path,
    arn: users.arn,
    boundary: users.permissionsBoundary,
  },
  group: {
    table: groups,
    account: groups.accountId,
    id: groups.groupId,
    name: groups.groupName,
    nameLower: groups.nameLower,
    path: groups.path,
    arn: groups.arn,
    boundary: null,
  },
  role: {
    table: roles,
    account: roles.accountId,
    id: roles.roleId,
    name: roles.roleName,
    nameLower: roles.nameLower,
    path: roles.path,
    arn: roles.arn,
    boundary: roles.permissionsBoundary,
  },
};

/** The identity of kind `t` named `name` (case-insensitively) in the account. */
const named = (t: IdentitySpec, accountId: string, name: string): SQL =>
  sql`${t.account} = ${accountId} AND ${t.nameLower} = ${name.toLowerCase()}`;

/** Its id, or no row: the statement a write's batch ends with to tell "no such identity" from a failed condition. */
const idOf = (db: Db, t: IdentitySpec, accountId: string, name: string): D1PreparedStatement =>
  statement(db, sql`SELECT ${t.id} AS entity_id FROM ${t.table} WHERE ${named(t, accountId, name)}`);

/** Does the policy ARN name an attachable managed policy of the account (or AWS)? */
const policyExists = (accountId: string, arn: string): SQL =>
  sql`(CASE WHEN substr(${arn}, 1, ${AWS_POLICY_ARN_PREFIX.length}) = ${AWS_POLICY_ARN_PREFIX}
  THEN EXISTS (SELECT 1 FROM ${awsManagedPolicies} WHERE ${awsManagedPolicies.arn} = ${arn})
  ELSE EXISTS (SELECT 1 FROM ${policies} WHERE ${policies.accountId} = ${accountId} AND ${policies.arn} = ${arn}) END)`;

// ---- Labs (src/labs/): an identity's policies by id, as statements of one template batch.

/** Attaches a managed policy to the identity `entityId` (idempotent; the caller has resolved the ARN). */
export function attachByIdStmt(db: Db, accountId: string, type: PolicyEntityType, entityId: string, arn: string): D1PreparedStatement {
  const pa = policyAttachments;
  return statement(
    db,
    sql`INSERT INTO ${pa} (${bare(pa.accountId)}, ${bare(pa.entityType)}, ${bare(pa.entityId)}, ${bare(pa.policyArn)})
    VALUES (${accountId}, ${type}, ${entityId}, ${arn}) ON CONFLICT DO NOTHING`,
  );
}

/** Creates or replaces an inline policy of the identity `entityId`. */
export function putInlineByIdStmt(
  db: Db,
  accountId: string,
  type: PolicyEntityType,
  entityId: string,
  policyName: string,
  document: string,
): D1PreparedStatement {
  const ip = inlinePolicies;
  return statement(
    db,
    sql`INSERT INTO ${ip} (${bare(ip.accountId)}, ${bare(ip.entityType)}, ${bare(ip.entityId)}, ${bare(ip.policyName)}, ${bare(ip.document)})
    VALUES (${accountId}, ${type}, ${entityId}, ${policyName}, ${document})
    ON CONFLICT (${bare(ip.entityType)}, ${bare(ip.entityId)}, ${bare(ip.policyName)}) DO UPDATE SET ${bare(ip.document)} = excluded.${bare(ip.document)}`,
  );
}

/** Every managed-policy attachment and inline policy of the identity `entityId`. */
export function clearPoliciesStmts(db: Db, accountId: string, type: PolicyEntityType, entityId: string): D1PreparedStatement[] {
  const pa = policyAttachments;
  const ip = inlinePolicies;
  return [
    statement(
      db,
      sql`DELETE FROM ${pa} WHERE ${pa.accountId} = ${accountId} AND ${pa.entityType} = ${type} AND ${pa.entityId} = ${entityId}`,
    ),
    statement(
      db,
      sql`DELETE FROM ${ip} WHERE ${ip.accountId} = ${accountId} AND ${ip.entityType} = ${type} AND ${ip.entityId} = ${entityId}`,
    ),
  ];
}

export type AttachResult = "ok" | "noEntity" | "noPolicy" | "limit";

/**
 * Attaches a managed policy unless the identity already has ten (checked in the INSERT, so
 * twenty parallel attaches leave exactly ten). Attaching an attached policy succeeds unchanged.
 */
export async function attachPolicy(w: Write, type: PolicyEntityType, name: string, arn: string): Promise<AttachResult> {
  const t = T[type];
  const { db, account: accountId } = w;
  const pa = policyAttachments;
  const res = await writeBatch<{ entity_id?: string; policy_ok?: number; attached?: number }>(w, [
    statement(
      db,
      sql`INSERT INTO ${pa} (${bare(pa.accountId)}, ${bare(pa.entityType)}, ${bare(pa.entityId)}, ${bare(pa.policyArn)})
      SELECT ${accountId}, ${type}, ${t.id}, ${arn} FROM ${t.table}
      WHERE ${named(t, accountId, name)} AND ${policyExists(accountId, arn)}
        AND (SELECT COUNT(*) FROM ${pa} WHERE ${pa.entityType} = ${type} AND ${pa.entityId} = ${t.id}) < ${MAX_ATTACHED_POLICIES}
      ON CONFLICT DO NOTHING`,
    ),
    statement(
      db,
      sql`SELECT ${t.id} AS entity_id, ${policyExists(accountId, arn)} AS policy_ok,
        EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.entityType} = ${type} AND ${pa.entityId} = ${t.id} AND ${pa.policyArn} = ${arn}) AS attached
      FROM (SELECT 1) LEFT JOIN ${t.table} ON ${named(t, accountId, name)}`,
    ),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  const s = res[1]!.results[0];
  if (!s?.entity_id) return "noEntity";
  if (!s.policy_ok) return "noPolicy";
  if (s.attached) return "ok";
  return "limit";
}

export type DetachResult = "ok" | "noEntity" | "notAttached";

export async function detachPolicy(w: Write, type: PolicyEntityType, name: string, arn: string): Promise<DetachResult> {
  const t = T[type];
  const { db, account: accountId } = w;
  const pa = policyAttachments;
  const res = await writeBatch<{ entity_id?: string }>(w, [
    statement(
      db,
      sql`DELETE FROM ${pa} WHERE ${pa.accountId} = ${accountId} AND ${pa.entityType} = ${type} AND ${pa.policyArn} = ${arn}
      AND ${pa.entityId} = (SELECT ${t.id} FROM ${t.table} WHERE ${named(t, accountId, name)})`,
    ),
    idOf(db, t, accountId, name),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  return res[1]!.results.length ? "notAttached" : "noEntity";
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
  const pa = policyAttachments;
  const p = policies;
  const m = awsManagedPolicies;
  const policyName = sql`COALESCE(${p.policyName}, ${m.policyName})`;
  const sortKey = sql`${policyName} || char(10) || ${pa.policyArn}`;
  const after = o.after ?? null;
  const [ent, rows] = await db.$client.batch<{ entity_id?: string } & Partial<AttachedPolicy>>([
    idOf(db, t, accountId, name),
    statement(
      db,
      sql`SELECT ${policyName} AS "policyName", ${pa.policyArn} AS "policyArn"
      FROM ${t.table}
      JOIN ${pa} ON ${pa.entityType} = ${type} AND ${pa.entityId} = ${t.id}
      LEFT JOIN ${p} ON ${p.accountId} = ${accountId} AND ${p.arn} = ${pa.policyArn}
      LEFT JOIN ${m} ON ${m.arn} = ${pa.policyArn}
      WHERE ${named(t, accountId, name)}
        AND substr(COALESCE(${p.path}, ${m.path}), 1, length(${o.pathPrefix})) = ${o.pathPrefix}
        AND (${after} IS NULL OR ${sortKey} > ${after})
      ORDER BY ${sortKey} LIMIT ${o.limit}`,
    ),
  ]);
  if (!ent!.results.length) return undefined;
  return rows!.results.map((r) => ({ policyName: r.policyName!, policyArn: r.policyArn! }));
}

// ---------------------------------------------------------------------------------------------
// Inline policies

/** Characters of a stored document without whitespace (AWS's size measure). */
const size = (col: SQLWrapper): SQL =>
  sql`length(replace(replace(replace(replace(${col}, ' ', ''), char(9), ''), char(10), ''), char(13), ''))`;

export type PutInlineResult = "ok" | "noEntity" | "tooBig";

/**
 * Creates or replaces an inline policy unless the identity's inline policies together would pass
 * AWS's size limit (checked inside the INSERT).
 */
export async function putInline(
  w: Write,
  type: PolicyEntityType,
  name: string,
  policyName: string,
  document: string,
  docSize: number,
): Promise<PutInlineResult> {
  const t = T[type];
  const { db, account: accountId } = w;
  const ip = inlinePolicies;
  const res = await writeBatch<{ entity_id?: string }>(w, [
    statement(
      db,
      sql`INSERT INTO ${ip} (${bare(ip.accountId)}, ${bare(ip.entityType)}, ${bare(ip.entityId)}, ${bare(ip.policyName)}, ${bare(ip.document)})
      SELECT ${accountId}, ${type}, ${t.id}, ${policyName}, ${document} FROM ${t.table}
      WHERE ${named(t, accountId, name)}
        AND ${docSize} + COALESCE((SELECT SUM(${size(ip.document)}) FROM ${ip}
          WHERE ${ip.entityType} = ${type} AND ${ip.entityId} = ${t.id} AND ${ip.policyName} != ${policyName}), 0) <= ${INLINE_SIZE_LIMIT[type]}
      ON CONFLICT (${bare(ip.entityType)}, ${bare(ip.entityId)}, ${bare(ip.policyName)})
      DO UPDATE SET ${bare(ip.document)} = excluded.${bare(ip.document)}`,
    ),
    idOf(db, t, accountId, name),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  return res[1]!.results.length ? "tooBig" : "noEntity";
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
  const ip = inlinePolicies;
  const r = await first<{ entityName: string; document: string | null }>(
    db,
    sql`SELECT ${t.name} AS "entityName", ${ip.document} AS document FROM ${t.table}
      LEFT JOIN ${ip} ON ${ip.entityType} = ${type} AND ${ip.entityId} = ${t.id} AND ${ip.policyName} = ${policyName}
      WHERE ${named(t, accountId, name)}`,
  );
  if (!r) return "noEntity";
  if (r.document === null) return "noPolicy";
  return { entityName: r.entityName, document: r.document };
}

export type DeleteInlineResult = "ok" | "noEntity" | "noPolicy";

export async function deleteInline(w: Write, type: PolicyEntityType, name: string, policyName: string): Promise<DeleteInlineResult> {
  const t = T[type];
  const { db, account: accountId } = w;
  const ip = inlinePolicies;
  const res = await writeBatch<{ entity_id?: string }>(w, [
    statement(
      db,
      sql`DELETE FROM ${ip} WHERE ${ip.accountId} = ${accountId} AND ${ip.entityType} = ${type} AND ${ip.policyName} = ${policyName}
      AND ${ip.entityId} = (SELECT ${t.id} FROM ${t.table} WHERE ${named(t, accountId, name)})`,
    ),
    idOf(db, t, accountId, name),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  return res[1]!.results.length ? "noPolicy" : "noEntity";
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
  const ip = inlinePolicies;
  const after = o.after ?? null;
  const [ent, rows] = await db.$client.batch<{ entity_id?: string; policy_name?: string }>([
    idOf(db, t, accountId, name),
    statement(
      db,
      sql`SELECT ${ip.policyName} AS policy_name FROM ${t.table}
      JOIN ${ip} ON ${ip.entityType} = ${type} AND ${ip.entityId} = ${t.id}
      WHERE ${named(t, accountId, name)} AND (${after} IS NULL OR ${ip.policyName} > ${after})
      ORDER BY ${ip.policyName} LIMIT ${o.limit}`,
    ),
  ]);
  if (!ent!.results.length) return undefined;
  return rows!.results.map((r) => r.policy_name!);
}

// ---------------------------------------------------------------------------------------------
// Permissions boundaries (users and roles)

export type BoundaryResult = "ok" | "noEntity" | "noPolicy";

/** Sets (arn) or clears (null) the permissions boundary; a set ARN must name a managed policy. */
export async function setBoundary(w: Write, type: "user" | "role", name: string, arn: string | null): Promise<BoundaryResult> {
  const t = T[type];
  const { db, account: accountId } = w;
  const policyOk = arn === null ? sql`1` : policyExists(accountId, arn);
  const res = await writeBatch<{ entity_id?: string; policy_ok?: number }>(w, [
    statement(db, sql`UPDATE ${t.table} SET ${bare(t.boundary!)} = ${arn} WHERE ${named(t, accountId, name)} AND ${policyOk}`),
    statement(
      db,
      sql`SELECT ${t.id} AS entity_id, ${policyOk} AS policy_ok FROM (SELECT 1) LEFT JOIN ${t.table} ON ${named(t, accountId, name)}`,
    ),
  ]);
  if ((res[0]?.meta.changes ?? 0) > 0) return "ok";
  const s = res[1]!.results[0];
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
  return first<EntityInfo>(
    db,
    sql`SELECT ${t.id} AS id, ${t.name} AS name, ${t.path} AS path, ${t.arn} AS arn, ${t.boundary ?? sql`NULL`} AS boundary
      FROM ${t.table} WHERE ${named(t, accountId, name)}`,
  );
}
