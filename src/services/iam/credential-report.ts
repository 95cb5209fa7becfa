/**
 * GenerateCredentialReport / GetCredentialReport. A generation starts at most once every 4 hours
 * (STARTED, then INPROGRESS while it runs, COMPLETE when done); the CSV is built after the response
 * (ctx.waitUntil), so a GetCredentialReport right away may see ReportInProgress, as on AWS. A report
 * older than 4 hours has expired.
 */
import { defineAction, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { toBase64, utf8 } from "../../lib/encoding";
import { toCsv } from "../../lib/csv";
import * as store from "../../store/iam-credential-report";

export const REPORT_FRESH_MS = 4 * 3600 * 1000;
/** A generation that has not finished after a minute (its worker died) may be restarted. */
const STALE_GENERATION_MS = 60 * 1000;

export const reportErrors = {
  notPresent: () =>
    new AwsError("ReportNotPresent", "Credential report not present. Use GenerateCredentialReport to generate a report.", 410),
  inProgress: () => new AwsError("ReportInProgress", "Credential report is being generated. Please retry later.", 404),
  expired: () =>
    new AwsError("ReportExpired", "Credential report has expired. Use GenerateCredentialReport to generate a new report.", 410),
};

export const CREDENTIAL_REPORT_COLUMNS = [
  "user",
  "arn",
  "user_creation_time",
  "password_enabled",
  "password_last_used",
  "password_last_changed",
  "password_next_rotation",
  "mfa_active",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_1_last_used_region",
  "access_key_1_last_used_service",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
  "access_key_2_last_used_region",
  "access_key_2_last_used_service",
  "cert_1_active",
  "cert_1_last_rotated",
  "cert_2_active",
  "cert_2_last_rotated",
] as const;

/** The report's timestamps: ISO 8601 with an explicit +00:00 offset (`2026-11-23T12:00:00+00:00`). */
export function reportTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

function keyCells(k: store.ReportKey | undefined): string[] {
  if (!k) return ["false", "N/A", "N/A", "N/A", "N/A"];
  return [
    String(k.status === "Active"),
    reportTime(k.createDate) ?? "N/A",
    reportTime(k.lastUsedDate) ?? "N/A",
    k.lastUsedDate ? (k.lastUsedRegion ?? "N/A") : "N/A",
    k.lastUsedDate ? (k.lastUsedService ?? "N/A") : "N/A",
  ];
}

/** cert_N_active, cert_N_last_rotated of one signing certificate (its upload date: a certificate is rotated by uploading another). */
function certCells(c: store.ReportCertificate | undefined): string[] {
  if (!c) return ["false", "N/A"];
  return [String(c.status === "Active"), reportTime(c.uploadDate) ?? "N/A"];
}

/** The CSV (header, `<root_account>`, then users by name) as AWS lays it out. */
export function renderReportCsv(accountId: string, d: store.ReportData): string {
  const keysOf = new Map<string, store.ReportKey[]>();
  for (const k of d.keys) {
    const owner = k.userId ?? "root";
    let list = keysOf.get(owner);
    if (!list) keysOf.set(owner, (list = []));
    list.push(k);
  }
  const certsOf = new Map<string, store.ReportCertificate[]>();
  for (const c of d.certificates) {
    let list = certsOf.get(c.userId);
    if (!list) certsOf.set(c.userId, (list = []));
    list.push(c);
  }
  const certCols = (owner: string) => {
    const c = certsOf.get(owner) ?? [];
    return [...certCells(c[0]), ...certCells(c[1])];
  };
  const rows: string[][] = [[...CREDENTIAL_REPORT_COLUMNS]];
  const rootKeys = keysOf.get("root") ?? [];
  rows.push([
    "<root_account>",
    `arn:aws:iam::${accountId}:root`,
    reportTime(d.accountCreateDate) ?? "N/A",
    "not_supported",
    "no_information",
    "not_supported",
    "not_supported",
    String(d.rootMfa),
    ...keyCells(rootKeys[0]),
    ...keyCells(rootKeys[1]),
    ...certCols("root"),
  ]);
  const maxAge = d.maxPasswordAge;
  for (const u of d.users) {
    const k = keysOf.get(u.userId) ?? [];
    const has = !!u.hasProfile;
    const nextRotation =
      has && maxAge && u.passwordLastChanged
        ? reportTime(new Date(Date.parse(u.passwordLastChanged) + maxAge * 86_400_000).toISOString())
        : null;
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
      ...certCols(u.userId),
    ]);
  }
  return toCsv(rows);
}

export const GenerateCredentialReport = defineAction({
  service: "iam",
  name: "GenerateCredentialReport",
  effect: "none",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (_i, ctx) => {
    const account = ctx.caller.principal.account;
    const now = ctx.request.now;
    const generatedTime = isoSeconds(now);
    const started = await store.startReport(
      ctx.db,
      account,
      generatedTime,
      isoSeconds(now - REPORT_FRESH_MS),
      isoSeconds(now - STALE_GENERATION_MS),
    );
    if (started) {
      ctx.waitUntil(
        store
          .readReportData(ctx.db, account)
          .then((data) => store.completeReport(ctx.db, account, generatedTime, renderReportCsv(account, data)))
          .catch((e: unknown) => console.error("credential report generation failed", e)),
      );
      return { State: "STARTED", Description: "No report exists. Starting a new report generation task" };
    }
    const row = await store.getReport(ctx.db, account);
    return { State: row?.state === "COMPLETE" ? "COMPLETE" : "INPROGRESS" };
  },
});

export const GetCredentialReport = defineAction({
  service: "iam",
  name: "GetCredentialReport",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (_i, ctx) => {
    const row = await store.getReport(ctx.db, ctx.caller.principal.account);
    if (!row) throw reportErrors.notPresent();
    if (row.state !== "COMPLETE" || row.content === null) throw reportErrors.inProgress();
    if (ctx.request.now - Date.parse(row.generatedTime) >= REPORT_FRESH_MS) throw reportErrors.expired();
    return { Content: toBase64(utf8.encode(row.content)), ReportFormat: "text/csv", GeneratedTime: row.generatedTime };
  },
});

export const credentialReportActions: RegisteredAction[] = [GenerateCredentialReport, GetCredentialReport];
