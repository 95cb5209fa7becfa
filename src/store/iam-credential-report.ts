/**
 * The credential report (credential_reports, one row per account): its generation state and the
 * CSV, built from users, login profiles, MFA devices, access keys and the password policy in one
 * batch of reads.
 */
import type { Db } from "./db";
import { toCsv } from "../lib/csv";
import type { PasswordPolicy } from "../lib/password";

export type ReportState = "STARTED" | "INPROGRESS" | "COMPLETE";
export interface ReportRow { state: ReportState; generatedTime: string; content: string | null }

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
export async function startReport(db: Db, accountId: string, generatedTime: string, freshSince: string, staleBefore: string): Promise<boolean> {
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
    .prepare(`UPDATE credential_reports SET state = 'COMPLETE', content = ? WHERE account_id = ? AND generated_time = ? AND state <> 'COMPLETE'`)
    .bind(content, accountId, generatedTime)
    .run();
}

export const CREDENTIAL_REPORT_COLUMNS = [
  "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation",
  "mfa_active", "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region",
  "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
  "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated", "cert_2_active",
  "cert_2_last_rotated",
] as const;

/** The report's timestamps: ISO 8601 with an explicit +00:00 offset (`2026-11-23T12:00:00+00:00`). */
export function reportTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

interface UserLine { userId: string; userName: string; arn: string; createDate: string; passwordLastUsed: string | null; hasProfile: number; passwordLastChanged: string | null; mfa: number }
interface KeyLine { userId: string | null; status: string; createDate: string; lastUsedDate: string | null; lastUsedRegion: string | null; lastUsedService: string | null }

function keyCells(k: KeyLine | undefined): string[] {
  if (!k) return ["false", "N/A", "N/A", "N/A", "N/A"];
  return [
    String(k.status === "Active"),
    reportTime(k.createDate) ?? "N/A",
    reportTime(k.lastUsedDate) ?? "N/A",
    k.lastUsedDate ? (k.lastUsedRegion ?? "N/A") : "N/A",
    k.lastUsedDate ? (k.lastUsedService ?? "N/A") : "N/A",
  ];
}

const NO_CERTS = ["false", "N/A", "false", "N/A"];

/** Builds the CSV (header, `<root_account>`, then users by name) as AWS lays it out. */
export async function buildReportCsv(db: Db, accountId: string): Promise<string> {
  const d1 = db.$client;
  const [acct, users, keys, rootMfa, policy] = await d1.batch([
    d1.prepare(`SELECT create_date AS createDate FROM accounts WHERE id = ?`).bind(accountId),
    d1.prepare(`SELECT u.user_id AS userId, u.user_name AS userName, u.arn, u.create_date AS createDate, u.password_last_used AS passwordLastUsed,
        (lp.user_id IS NOT NULL) AS hasProfile, lp.password_last_changed AS passwordLastChanged,
        EXISTS (SELECT 1 FROM mfa_devices m WHERE m.account_id = u.account_id AND m.user_id = u.user_id) AS mfa
      FROM users u LEFT JOIN login_profiles lp ON lp.user_id = u.user_id AND lp.account_id = u.account_id
      WHERE u.account_id = ? ORDER BY u.name_lower`).bind(accountId),
    d1.prepare(`SELECT user_id AS userId, status, create_date AS createDate, last_used_date AS lastUsedDate,
        last_used_region AS lastUsedRegion, last_used_service AS lastUsedService
      FROM access_keys WHERE account_id = ? ORDER BY create_date, access_key_id`).bind(accountId),
    d1.prepare(`SELECT EXISTS (SELECT 1 FROM mfa_devices WHERE account_id = ? AND user_id = 'root') AS mfa`).bind(accountId),
    d1.prepare(`SELECT policy FROM password_policies WHERE account_id = ?`).bind(accountId),
  ]);
  const keysOf = new Map<string, KeyLine[]>();
  for (const k of (keys?.results ?? []) as KeyLine[]) {
    const owner = k.userId ?? "root";
    let list = keysOf.get(owner);
    if (!list) keysOf.set(owner, (list = []));
    list.push(k);
  }
  const policyJson = (policy?.results[0] as { policy?: string } | undefined)?.policy;
  const maxAge = policyJson ? (JSON.parse(policyJson) as PasswordPolicy).MaxPasswordAge : undefined;
  const rows: string[][] = [[...CREDENTIAL_REPORT_COLUMNS]];
  const rootKeys = keysOf.get("root") ?? [];
  rows.push([
    "<root_account>",
    `arn:aws:iam::${accountId}:root`,
    reportTime((acct?.results[0] as { createDate?: string } | undefined)?.createDate) ?? "N/A",
    "not_supported",
    "no_information",
    "not_supported",
    "not_supported",
    String(!!(rootMfa?.results[0] as { mfa?: number } | undefined)?.mfa),
    ...keyCells(rootKeys[0]),
    ...keyCells(rootKeys[1]),
    ...NO_CERTS,
  ]);
  for (const u of (users?.results ?? []) as UserLine[]) {
    const k = keysOf.get(u.userId) ?? [];
    const has = !!u.hasProfile;
    const nextRotation = has && maxAge && u.passwordLastChanged ? reportTime(new Date(Date.parse(u.passwordLastChanged) + maxAge * 86_400_000).toISOString()) : null;
    rows.push([
      u.userName,
      u.arn,
      reportTime(u.createDate) ?? "N/A",
      String(has),
      has ? (reportTime(u.passwordLastUsed) ?? "no_information") : "N/A",
      has ? (reportTime(u.passwordLastChanged) ?? "N/A") : "N/A",
      nextRotation ?? "N/A",
      String(!!u.mfa),
      ...keyCells(k[0]),
      ...keyCells(k[1]),
      ...NO_CERTS,
    ]);
  }
  return toCsv(rows);
}
