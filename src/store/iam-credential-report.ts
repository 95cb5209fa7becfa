/**
 * The credential report (credential_reports, one row per account): its generation state, the
 * stored CSV, and the data it is built from (users, login profiles, MFA devices, access keys and
 * the password policy, in one batch of reads). The service renders the CSV.
 */
import type { Db } from "./db";
import type { PasswordPolicy } from "../lib/password";

export type ReportState = "STARTED" | "INPROGRESS" | "COMPLETE";
export interface ReportRow {
  state: ReportState;
  generatedTime: string;
  content: string | null;
}

export async function getReport(db: Db, accountId: string): Promise<ReportRow | null> {
  return db.$client
    .prepare(`SELECT state, generated_time AS generatedTime, content FROM credential_reports WHERE account_id = ?`)
    .bind(accountId)
    .first<ReportRow>();
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
  const row = await db.$client
    .prepare(`INSERT INTO credential_reports (account_id, state, generated_time, content) VALUES (?1, 'STARTED', ?2, NULL)
      ON CONFLICT (account_id) DO UPDATE SET state = 'STARTED', generated_time = ?2, content = NULL
      WHERE (credential_reports.state = 'COMPLETE' AND credential_reports.generated_time < ?3)
         OR (credential_reports.state <> 'COMPLETE' AND credential_reports.generated_time < ?4)
      RETURNING account_id`)
    .bind(accountId, generatedTime, freshSince, staleBefore)
    .first();
  return row !== null;
}

/** Stores the finished CSV, unless a newer generation replaced this one meanwhile. */
export async function completeReport(db: Db, accountId: string, generatedTime: string, content: string): Promise<void> {
  await db.$client
    .prepare(
      `UPDATE credential_reports SET state = 'COMPLETE', content = ? WHERE account_id = ? AND generated_time = ? AND state <> 'COMPLETE'`,
    )
    .bind(content, accountId, generatedTime)
    .run();
}

/** A user line of the credential report, as stored. */
export interface ReportUser {
  userId: string;
  userName: string;
  arn: string;
  createDate: string;
  passwordLastUsed: string | null;
  /** 1 when the user has a login profile (console password) */
  hasProfile: number;
  passwordLastChanged: string | null;
  /** 1 when an MFA device is assigned */
  mfa: number;
}
/** An access key of the account (userId null: the root user's). */
export interface ReportKey {
  userId: string | null;
  status: string;
  createDate: string;
  lastUsedDate: string | null;
  lastUsedRegion: string | null;
  lastUsedService: string | null;
}

/** What the credential report is built from, read in one batch. */
export interface ReportData {
  accountCreateDate: string | null;
  rootMfa: boolean;
  /** by name */
  users: ReportUser[];
  /** by creation date, then key id */
  keys: ReportKey[];
  /** the password policy's MaxPasswordAge (days), when one is set */
  maxPasswordAge: number | undefined;
}

export async function readReportData(db: Db, accountId: string): Promise<ReportData> {
  const d1 = db.$client;
  const [acct, users, keys, rootMfa, policy] = await d1.batch([
    d1.prepare(`SELECT create_date AS createDate FROM accounts WHERE id = ?`).bind(accountId),
    d1
      .prepare(`SELECT u.user_id AS userId, u.user_name AS userName, u.arn, u.create_date AS createDate, u.password_last_used AS passwordLastUsed,
        (lp.user_id IS NOT NULL) AS hasProfile, lp.password_last_changed AS passwordLastChanged,
        EXISTS (SELECT 1 FROM mfa_devices m WHERE m.account_id = u.account_id AND m.user_id = u.user_id) AS mfa
      FROM users u LEFT JOIN login_profiles lp ON lp.user_id = u.user_id AND lp.account_id = u.account_id
      WHERE u.account_id = ? ORDER BY u.name_lower`)
      .bind(accountId),
    d1
      .prepare(`SELECT user_id AS userId, status, create_date AS createDate, last_used_date AS lastUsedDate,
        last_used_region AS lastUsedRegion, last_used_service AS lastUsedService
      FROM access_keys WHERE account_id = ? ORDER BY create_date, access_key_id`)
      .bind(accountId),
    d1.prepare(`SELECT EXISTS (SELECT 1 FROM mfa_devices WHERE account_id = ? AND user_id = 'root') AS mfa`).bind(accountId),
    d1.prepare(`SELECT policy FROM password_policies WHERE account_id = ?`).bind(accountId),
  ]);
  const policyJson = (policy?.results[0] as { policy?: string } | undefined)?.policy;
  return {
    accountCreateDate: (acct?.results[0] as { createDate?: string } | undefined)?.createDate ?? null,
    rootMfa: !!(rootMfa?.results[0] as { mfa?: number } | undefined)?.mfa,
    users: (users?.results ?? []) as ReportUser[],
    keys: (keys?.results ?? []) as ReportKey[],
    maxPasswordAge: policyJson ? (JSON.parse(policyJson) as PasswordPolicy).MaxPasswordAge : undefined,
  };
}
