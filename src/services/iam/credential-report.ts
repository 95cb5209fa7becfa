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
import * as store from "../../store/iam-credential-report";

export const REPORT_FRESH_MS = 4 * 3600 * 1000;
/** A generation that has not finished after a minute (its worker died) may be restarted. */
const STALE_GENERATION_MS = 60 * 1000;

export const reportErrors = {
  notPresent: () => new AwsError("ReportNotPresent", "Credential report not present. Use GenerateCredentialReport to generate a report.", 410),
  inProgress: () => new AwsError("ReportInProgress", "Credential report is being generated. Please retry later.", 404),
  expired: () => new AwsError("ReportExpired", "Credential report has expired. Use GenerateCredentialReport to generate a new report.", 410),
};

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
    const started = await store.startReport(ctx.db, account, generatedTime, isoSeconds(now - REPORT_FRESH_MS), isoSeconds(now - STALE_GENERATION_MS));
    if (started) {
      ctx.waitUntil(
        store.buildReportCsv(ctx.db, account)
          .then((csv) => store.completeReport(ctx.db, account, generatedTime, csv))
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
