/**
 * Lab bookkeeping (issue 21, migrations/0028_labs.sql): which template a lab applied, which template
 * each account last received (what a lab owns there) and its saved snapshot. The account's IAM state
 * itself is written by the entity stores' statement builders (src/labs/apply.ts).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, statement, type Db } from "./db";
import * as schemaTables from "./schema";
import { labAccounts, labs } from "./schema";

export interface LabAccountRow {
  accountId: string;
  labId: string | null;
  template: string;
  snapshot: string | null;
  appliedDate: string;
}

export function insertLabStmt(db: Db, labId: string, template: string, createDate: string): D1PreparedStatement {
  return statement(
    db,
    sql`INSERT INTO ${labs} (${bare(labs.labId)}, ${bare(labs.template)}, ${bare(labs.createDate)}) VALUES (${labId}, ${template}, ${createDate})`,
  );
}

export async function getLab(db: Db, labId: string): Promise<{ labId: string; template: string; createDate: string } | undefined> {
  return first(
    db,
    sql`SELECT ${labs.labId} AS "labId", ${labs.template} AS "template", ${labs.createDate} AS "createDate" FROM ${labs} WHERE ${labs.labId} = ${labId}`,
  );
}

const LAB_ACCOUNT = sql`${labAccounts.accountId} AS "accountId", ${labAccounts.labId} AS "labId", ${labAccounts.template} AS "template",
  ${labAccounts.snapshot} AS "snapshot", ${labAccounts.appliedDate} AS "appliedDate"`;

export async function getLabAccount(db: Db, accountId: string): Promise<LabAccountRow | undefined> {
  return first(db, sql`SELECT ${LAB_ACCOUNT} FROM ${labAccounts} WHERE ${labAccounts.accountId} = ${accountId}`);
}

/** The accounts of a lab that still exist as lab accounts (an account deleted or reset by the admin API leaves it). */
export async function listLabAccounts(db: Db, labId: string): Promise<LabAccountRow[]> {
  return all(db, sql`SELECT ${LAB_ACCOUNT} FROM ${labAccounts} WHERE ${labAccounts.labId} = ${labId} ORDER BY ${labAccounts.accountId}`);
}

/**
 * The template now applied to the account (part of the apply's batch); the lab id is kept when
 * `labId` is undefined (a re-apply), the snapshot always.
 */
export function recordTemplateStmt(
  db: Db,
  accountId: string,
  labId: string | null | undefined,
  template: string,
  now: string,
): D1PreparedStatement {
  const t = labAccounts;
  return statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.labId)}, ${bare(t.template)}, ${bare(t.snapshot)}, ${bare(t.appliedDate)})
    VALUES (${accountId}, ${labId ?? null}, ${template}, NULL, ${now})
    ON CONFLICT (${bare(t.accountId)}) DO UPDATE SET ${bare(t.template)} = excluded.${bare(t.template)}, ${bare(t.appliedDate)} = excluded.${bare(t.appliedDate)}
      ${labId === undefined ? sql`` : sql`, ${bare(t.labId)} = excluded.${bare(t.labId)}`}`,
  );
}

/** Saves a snapshot (an account no template was applied to gets a record with an empty template: the lab owns nothing there). */
export async function saveSnapshot(db: Db, accountId: string, snapshot: string, now: string): Promise<void> {
  const t = labAccounts;
  await statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.labId)}, ${bare(t.template)}, ${bare(t.snapshot)}, ${bare(t.appliedDate)})
    VALUES (${accountId}, NULL, '{}', ${snapshot}, ${now})
    ON CONFLICT (${bare(t.accountId)}) DO UPDATE SET ${bare(t.snapshot)} = excluded.${bare(t.snapshot)}`,
  ).run();
}

// ---------------------------------------------------------------------------------------------
// An account's IAM state as a lab sees it (export, converge, reset), read in one round trip.

export interface LabRows {
  account: { alias: string | null; explainDenials: number } | undefined;
  passwordPolicy: string | null;
  users: { userId: string; userName: string; path: string; permissionsBoundary: string | null }[];
  groups: { groupId: string; groupName: string; path: string }[];
  members: { groupId: string; userId: string }[];
  roles: {
    roleId: string;
    roleName: string;
    path: string;
    description: string | null;
    assumeRolePolicyDocument: string;
    maxSessionDuration: number;
    permissionsBoundary: string | null;
  }[];
  policies: {
    policyId: string;
    policyName: string;
    path: string;
    arn: string;
    description: string | null;
    defaultVersionId: string;
    nextVersion: number;
  }[];
  versions: { policyId: string; versionId: string; document: string }[];
  attachments: { entityType: string; entityId: string; policyArn: string }[];
  inline: { entityType: string; entityId: string; policyName: string; document: string }[];
  profiles: { instanceProfileId: string; instanceProfileName: string; path: string; roleId: string | null }[];
  tags: { resourceType: string; resourceId: string; key: string; value: string }[];
  logins: { userId: string; passwordResetRequired: number }[];
  keys: { accessKeyId: string; userId: string; createDate: string; status: string }[];
  mfa: { serialNumber: string; userId: string }[];
}

export async function readLabRows(db: Db, accountId: string): Promise<LabRows> {
  const q = (query: ReturnType<typeof sql>) => statement(db, query);
  const s = schemaTables;
  const res = await db.$client.batch([
    q(
      sql`SELECT ${s.accounts.alias} AS "alias", ${s.accounts.explainDenials} AS "explainDenials" FROM ${s.accounts} WHERE ${s.accounts.id} = ${accountId}`,
    ),
    q(sql`SELECT ${s.passwordPolicies.policy} AS "policy" FROM ${s.passwordPolicies} WHERE ${s.passwordPolicies.accountId} = ${accountId}`),
    q(
      sql`SELECT ${s.users.userId} AS "userId", ${s.users.userName} AS "userName", ${s.users.path} AS "path", ${s.users.permissionsBoundary} AS "permissionsBoundary"
      FROM ${s.users} WHERE ${s.users.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.groups.groupId} AS "groupId", ${s.groups.groupName} AS "groupName", ${s.groups.path} AS "path" FROM ${s.groups} WHERE ${s.groups.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.groupMembers.groupId} AS "groupId", ${s.groupMembers.userId} AS "userId" FROM ${s.groupMembers} WHERE ${s.groupMembers.accountId} = ${accountId}`,
    ),
    // Service-linked roles are AWS's: a lab neither exports nor deletes them.
    q(
      sql`SELECT ${s.roles.roleId} AS "roleId", ${s.roles.roleName} AS "roleName", ${s.roles.path} AS "path", ${s.roles.description} AS "description",
        ${s.roles.assumeRolePolicyDocument} AS "assumeRolePolicyDocument", ${s.roles.maxSessionDuration} AS "maxSessionDuration",
        ${s.roles.permissionsBoundary} AS "permissionsBoundary"
      FROM ${s.roles} WHERE ${s.roles.accountId} = ${accountId} AND substr(${s.roles.path}, 1, 18) != '/aws-service-role/'`,
    ),
    q(
      sql`SELECT ${s.policies.policyId} AS "policyId", ${s.policies.policyName} AS "policyName", ${s.policies.path} AS "path", ${s.policies.arn} AS "arn",
        ${s.policies.description} AS "description", ${s.policies.defaultVersionId} AS "defaultVersionId", ${s.policies.nextVersion} AS "nextVersion"
      FROM ${s.policies} WHERE ${s.policies.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.policyVersions.policyId} AS "policyId", ${s.policyVersions.versionId} AS "versionId", ${s.policyVersions.document} AS "document"
      FROM ${s.policyVersions} WHERE ${s.policyVersions.accountId} = ${accountId} ORDER BY CAST(substr(${s.policyVersions.versionId}, 2) AS INTEGER)`,
    ),
    q(
      sql`SELECT ${s.policyAttachments.entityType} AS "entityType", ${s.policyAttachments.entityId} AS "entityId", ${s.policyAttachments.policyArn} AS "policyArn"
      FROM ${s.policyAttachments} WHERE ${s.policyAttachments.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.inlinePolicies.entityType} AS "entityType", ${s.inlinePolicies.entityId} AS "entityId", ${s.inlinePolicies.policyName} AS "policyName",
        ${s.inlinePolicies.document} AS "document" FROM ${s.inlinePolicies} WHERE ${s.inlinePolicies.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.instanceProfiles.instanceProfileId} AS "instanceProfileId", ${s.instanceProfiles.instanceProfileName} AS "instanceProfileName",
        ${s.instanceProfiles.path} AS "path", ${s.instanceProfiles.roleId} AS "roleId" FROM ${s.instanceProfiles} WHERE ${s.instanceProfiles.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.tags.resourceType} AS "resourceType", ${s.tags.resourceId} AS "resourceId", ${s.tags.key} AS "key", ${s.tags.value} AS "value"
      FROM ${s.tags} WHERE ${s.tags.accountId} = ${accountId} AND ${s.tags.resourceType} IN ('user', 'role', 'policy', 'instance-profile')
      ORDER BY ${s.tags.position}, ${s.tags.keyLower}`,
    ),
    q(
      sql`SELECT ${s.loginProfiles.userId} AS "userId", ${s.loginProfiles.passwordResetRequired} AS "passwordResetRequired"
      FROM ${s.loginProfiles} WHERE ${s.loginProfiles.accountId} = ${accountId}`,
    ),
    q(
      sql`SELECT ${s.accessKeys.accessKeyId} AS "accessKeyId", ${s.accessKeys.userId} AS "userId", ${s.accessKeys.createDate} AS "createDate", ${s.accessKeys.status} AS "status"
      FROM ${s.accessKeys} WHERE ${s.accessKeys.accountId} = ${accountId} AND ${s.accessKeys.userId} IS NOT NULL
      ORDER BY ${s.accessKeys.createDate}, ${s.accessKeys.accessKeyId}`,
    ),
    q(
      sql`SELECT ${s.mfaDevices.serialNumber} AS "serialNumber", ${s.mfaDevices.userId} AS "userId" FROM ${s.mfaDevices}
      WHERE ${s.mfaDevices.accountId} = ${accountId} AND ${s.mfaDevices.userId} IS NOT NULL AND ${s.mfaDevices.userId} != 'root'`,
    ),
  ]);
  const rows = <T>(i: number) => (res[i]?.results ?? []) as T[];
  return {
    account: rows<LabRows["account"] & object>(0)[0],
    passwordPolicy: rows<{ policy: string }>(1)[0]?.policy ?? null,
    users: rows(2),
    groups: rows(3),
    members: rows(4),
    roles: rows(5),
    policies: rows(6),
    versions: rows(7),
    attachments: rows(8),
    inline: rows(9),
    profiles: rows(10),
    tags: rows(11),
    logins: rows(12),
    keys: rows(13),
    mfa: rows(14),
  };
}

/** AWS managed policies by lower-case name, for the names and ARNs a template references. */
export async function awsManagedByName(db: Db, names: readonly string[], arns: readonly string[]): Promise<Map<string, string>> {
  if (!names.length && !arns.length) return new Map();
  const m = schemaTables.awsManagedPolicies;
  const lowered = names.map((n) => n.toLowerCase());
  const rows = await all<{ name: string; arn: string }>(
    db,
    sql`SELECT ${m.policyName} AS "name", ${m.arn} AS "arn" FROM ${m}
    WHERE lower(${m.policyName}) IN (${sql.join(lowered.length ? lowered.map((n) => sql`${n}`) : [sql`''`], sql`, `)})
      OR ${m.arn} IN (${sql.join(arns.length ? arns.map((a) => sql`${a}`) : [sql`''`], sql`, `)})`,
  );
  return new Map(rows.map((r) => [r.name.toLowerCase(), r.arn]));
}

/** The account holding an alias, if any. */
export async function accountAliasHolder(db: Db, alias: string): Promise<string | undefined> {
  const a = schemaTables.accountAliases;
  return (await first<{ id: string }>(db, sql`SELECT ${a.accountId} AS "id" FROM ${a} WHERE ${a.alias} = ${alias}`))?.id;
}
