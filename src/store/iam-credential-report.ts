/**
 * The credential report (credential_reports, one row per account), in the store's one dialect
 * (src/store/db.ts): its generation state, the stored CSV, and the data it is built from (users,
 * login profiles, MFA devices, access keys, signing certificates and the password policy, in one batch of reads). The
 * service renders the CSV. Generating it is bookkeeping of an effect-`none` action: the plain `Db`.
 */
import { sql } from "drizzle-orm";
import { bare, first, selectList, statement, type Db, type Row } from "./db";
import { accessKeys, accounts, credentialReports, loginProfiles, mfaDevices, passwordPolicies, signingCertificates, users } from "./schema";
import type { PasswordPolicy } from "../lib/password";

export type ReportState = "STARTED" | "INPROGRESS" | "COMPLETE";
/** The report as the store returns it: every column of `credential_reports` but account_id. */
export type ReportRow = Omit<Row<typeof credentialReports, "accountId">, "state"> & { state: ReportState };

export async function getReport(db: Db, accountId: string): Promise<ReportRow | null> {
  const t = credentialReports;
  return (await first<ReportRow>(db, sql`SELECT ${selectList(t, ["accountId"])} FROM ${t} WHERE ${t.accountId} = ${accountId}`)) ?? null;
}

/**
 * Starts a generation unless one is fresh (completed at or after `freshSince`) or running (started
 * at or after `staleBefore`): one conditional upsert, so concurrent callers start it once. True when
 * this call started it.
 */
export async function startReport(
  db: Db,
  accountId: string,
  generatedTime: string,
  freshSince: string,
  staleBefore: string,
): Promise<boolean> {
  const t = credentialReports;
  const row = await first(
    db,
    sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.state)}, ${bare(t.generatedTime)}, ${bare(t.content)})
      VALUES (${accountId}, 'STARTED', ${generatedTime}, NULL)
      ON CONFLICT (${bare(t.accountId)}) DO UPDATE SET ${bare(t.state)} = 'STARTED', ${bare(t.generatedTime)} = ${generatedTime}, ${bare(t.content)} = NULL
      WHERE (${t.state} = 'COMPLETE' AND ${t.generatedTime} < ${freshSince})
         OR (${t.state} <> 'COMPLETE' AND ${t.generatedTime} < ${staleBefore})
      RETURNING ${bare(t.accountId)}`,
  );
  return row !== undefined;
}

/** Stores the finished CSV, unless a newer generation replaced this one meanwhile. */
export async function completeReport(db: Db, accountId: string, generatedTime: string, content: string): Promise<void> {
  const t = credentialReports;
  await statement(
    db,
    sql`UPDATE ${t} SET ${bare(t.state)} = 'COMPLETE', ${bare(t.content)} = ${content}
      WHERE ${t.accountId} = ${accountId} AND ${t.generatedTime} = ${generatedTime} AND ${t.state} <> 'COMPLETE'`,
  ).run();
}

/** A user line of the credential report, as stored. */
export interface ReportUser extends Row<typeof users, "accountId" | "nameLower" | "path" | "permissionsBoundary"> {
  /** 1 when the user has a login profile (console password) */
  hasProfile: number;
  passwordLastChanged: string | null;
  /** 1 when an MFA device is assigned */
  mfa: number;
}
/** An access key of the account (userId null: the root user's). */
export type ReportKey = Row<typeof accessKeys, "accessKeyId" | "accountId" | "userName" | "secret">;

/** A signing certificate of the account (userId 'root': the root user's). */
export type ReportCertificate = { userId: string; status: string; uploadDate: string };

/** What the credential report is built from, read in one batch. */
export interface ReportData {
  accountCreateDate: string | null;
  rootMfa: boolean;
  /** by name */
  users: ReportUser[];
  /** by creation date, then key id */
  keys: ReportKey[];
  /** in upload order (within a second, by rowid: the order of the INSERTs) */
  certificates: ReportCertificate[];
  /** the password policy's MaxPasswordAge (days), when one is set */
  maxPasswordAge: number | undefined;
}

export async function readReportData(db: Db, accountId: string): Promise<ReportData> {
  const u = users;
  const lp = loginProfiles;
  const sc = signingCertificates;
  const [acct, userRows, keys, rootMfa, policy, certs] = await db.$client.batch([
    statement(db, sql`SELECT ${accounts.createDate} AS "createDate" FROM ${accounts} WHERE ${accounts.id} = ${accountId}`),
    statement(
      db,
      sql`SELECT ${selectList(u, ["accountId", "nameLower", "path", "permissionsBoundary"])},
        (${lp.userId} IS NOT NULL) AS "hasProfile", ${lp.passwordLastChanged} AS "passwordLastChanged",
        EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.accountId} = ${u.accountId} AND ${mfaDevices.userId} = ${u.userId}) AS "mfa"
      FROM ${u} LEFT JOIN ${lp} ON ${lp.userId} = ${u.userId} AND ${lp.accountId} = ${u.accountId}
      WHERE ${u.accountId} = ${accountId} ORDER BY ${u.nameLower}`,
    ),
    statement(
      db,
      sql`SELECT ${selectList(accessKeys, ["accessKeyId", "accountId", "userName", "secret"])} FROM ${accessKeys}
      WHERE ${accessKeys.accountId} = ${accountId} ORDER BY ${accessKeys.createDate}, ${accessKeys.accessKeyId}`,
    ),
    statement(
      db,
      sql`SELECT EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.accountId} = ${accountId} AND ${mfaDevices.userId} = 'root') AS "mfa"`,
    ),
    statement(
      db,
      sql`SELECT ${passwordPolicies.policy} AS "policy" FROM ${passwordPolicies} WHERE ${passwordPolicies.accountId} = ${accountId}`,
    ),
    statement(
      db,
      sql`SELECT ${sc.userId} AS "userId", ${sc.status} AS "status", ${sc.uploadDate} AS "uploadDate" FROM ${sc}
      WHERE ${sc.accountId} = ${accountId} ORDER BY ${sc.uploadDate}, ${sc}.rowid`,
    ),
  ]);
  const policyJson = (policy?.results[0] as { policy?: string } | undefined)?.policy;
  return {
    accountCreateDate: (acct?.results[0] as { createDate?: string } | undefined)?.createDate ?? null,
    rootMfa: !!(rootMfa?.results[0] as { mfa?: number } | undefined)?.mfa,
    users: (userRows?.results ?? []) as ReportUser[],
    keys: (keys?.results ?? []) as ReportKey[],
    certificates: (certs?.results ?? []) as ReportCertificate[],
    maxPasswordAge: policyJson ? (JSON.parse(policyJson) as PasswordPolicy).MaxPasswordAge : undefined,
  };
}
