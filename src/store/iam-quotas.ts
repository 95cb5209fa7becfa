/**
 * IAM's quotas, in one place: GetAccountSummary advertises these numbers and the stores enforce
 * them (each inside the D1 batch that creates the entity, so parallel creates cannot overshoot).
 * Defaults from the "IAM and AWS STS quotas" page (IAM User Guide); this sandbox offers no
 * quota increases.
 */
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { statement, type Db } from "./db";
import { groups, instanceProfiles, mfaDevices, oidcProviders, policies, roles, samlProviders, serverCertificates, users } from "./schema";

/** The quota entries of GetAccountSummary's SummaryMap, by AWS's key. */
export const SUMMARY_QUOTAS = {
  UsersQuota: 5000,
  GroupsQuota: 300,
  RolesQuota: 1000,
  PoliciesQuota: 1500,
  InstanceProfilesQuota: 1000,
  ServerCertificatesQuota: 20,
  GroupsPerUserQuota: 10,
  AccessKeysPerUserQuota: 2,
  SigningCertificatesPerUserQuota: 2,
  AttachedPoliciesPerUserQuota: 10,
  AttachedPoliciesPerGroupQuota: 10,
  AttachedPoliciesPerRoleQuota: 10,
  VersionsPerPolicyQuota: 5,
  PolicyVersionsInUseQuota: 10000,
  /** sizes in characters, not counting whitespace */
  UserPolicySizeQuota: 2048,
  GroupPolicySizeQuota: 5120,
  RolePolicySizeQuota: 10240,
  PolicySizeQuota: 6144,
  AssumeRolePolicySizeQuota: 2048,
} as const;

/**
 * Per-account entity counts: the name AWS prints in "Cannot exceed quota for <name>: <n>"
 * and the schema table the rows live in (each has an account_id column).
 */
export const ACCOUNT_QUOTAS = {
  UsersPerAccount: { max: SUMMARY_QUOTAS.UsersQuota, table: users },
  GroupsPerAccount: { max: SUMMARY_QUOTAS.GroupsQuota, table: groups },
  RolesPerAccount: { max: SUMMARY_QUOTAS.RolesQuota, table: roles },
  PoliciesPerAccount: { max: SUMMARY_QUOTAS.PoliciesQuota, table: policies },
  InstanceProfilesPerAccount: { max: SUMMARY_QUOTAS.InstanceProfilesQuota, table: instanceProfiles },
  // "Virtual MFA devices (assigned or unassigned) in an AWS account: equal to the user quota".
  // GetAccountSummary has no key for it, and the quota name AWS prints is unconfirmed.
  VirtualMFADevicesPerAccount: { max: SUMMARY_QUOTAS.UsersQuota, table: mfaDevices },
  ServerCertificatesPerAccount: { max: SUMMARY_QUOTAS.ServerCertificatesQuota, table: serverCertificates },
  // Federation (issue 19): "IAM and AWS STS quotas" lists 100 of each per account; the names are
  // those of Service Quotas (the wording of AWS's LimitExceeded message for them is unconfirmed).
  OpenIdConnectProvidersPerAccount: { max: 100, table: oidcProviders },
  SAMLProvidersPerAccount: { max: 100, table: samlProviders },
} as const;

export type AccountQuota = keyof typeof ACCOUNT_QUOTAS;

export function quotaMessage(q: AccountQuota): string {
  return `Cannot exceed quota for ${q}: ${ACCOUNT_QUOTAS[q].max}`;
}

/**
 * A statement for the end of a create batch: once the batch's INSERT has run, it aborts (and so
 * rolls back) the whole batch when the account now holds more rows than the quota allows. D1
 * runs a batch as one transaction, so of N parallel creates at the limit exactly the ones that
 * fit succeed. `json('x')` raises "malformed JSON" — the only way to raise from plain SQL here.
 */
export function quotaGuardStmt(db: Db, accountId: string, q: AccountQuota): D1PreparedStatement {
  const { table, max } = ACCOUNT_QUOTAS[q];
  return statement(
    db,
    sql`SELECT CASE WHEN (SELECT COUNT(*) FROM ${table} WHERE ${table.accountId} = ${accountId}) > ${max} THEN json('x') ELSE 0 END AS over`,
  );
}

/** True when a batch failed on its quota guard. */
export function isQuotaAbort(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return m.includes("malformed JSON");
}

/**
 * Sandbox-only, not AWS: how many characters of stored policy documents one page of a list that
 * embeds them (ListRoles, ListInstanceProfiles…) carries before it stops early with IsTruncated
 * and a Marker — AWS documents that a page may hold fewer than MaxItems items. Documents are
 * URL-encoded in answers (whitespace padding triples), so this keeps a page near 8 MiB.
 */
export const LIST_DOCUMENT_BUDGET_CHARS = Math.floor((8 * 1024 * 1024) / 3);

/**
 * SQL expression: 1 when the rows before this one (in `orderBy` order) already carry
 * LIST_DOCUMENT_BUDGET_CHARS characters of `doc`, so this row must wait for the next page (a
 * running sum: rows are never read twice).
 */
export function overBudget(doc: SQLWrapper, orderBy: SQLWrapper): SQL {
  const len = sql`COALESCE(length(${doc}), 0)`;
  return sql`(SUM(${len}) OVER (ORDER BY ${orderBy} ROWS UNBOUNDED PRECEDING) - ${len} >= ${LIST_DOCUMENT_BUDGET_CHARS})`;
}
