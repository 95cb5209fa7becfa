/**
 * Last-used data fed by real traffic: access-key last use (GetAccessKeyLastUsed, the credential
 * report) and Access Advisor activity. Written after the response through waitUntil, so the hot
 * path never waits for it. AWS records every authenticated attempt, allowed or denied.
 */
import type { ActionContext } from "./action";
import { accessKeyUseStatement } from "../store/iam-access-keys";
import { activityStatements } from "../store/access-activity";
import { recordRoleUse } from "../store/iam-roles";
import { isoSeconds } from "../lib/clock";
import { afterUsageBookkeeping } from "../cache/index";
import { BoundedMap } from "../lib/bounded";

// What this isolate already wrote, per minute: a burst of calls costs one write, not one per call.
// (AWS reports last use to the minute; Access Advisor's own data lags by hours.)
const written = new BoundedMap<string, true>(20_000, 4 * 1024 * 1024, (_, k) => 64 + 2 * k.length);
function firstThisMinute(key: string): boolean {
  if (written.has(key)) return false;
  written.set(key, true);
  return true;
}

/**
 * The last-used writes this call needs, or undefined when this isolate already wrote them this
 * minute (the common case: no promise, no waitUntil on the hot path).
 */
export function recordUsage(ctx: ActionContext, service: string, action: string): Promise<void> | undefined {
  const c = ctx.caller;
  const r = ctx.request;
  const minute = Math.floor(r.now / 60_000);
  const keyUse = c.accessKeyId.startsWith("AKIA") && !c.session && firstThisMinute(`k|${c.accessKeyId}|${minute}|${service}|${r.region}`);
  const p = c.principal;
  const entityArn = p.kind === "user" ? p.arn : p.kind === "assumedRole" ? p.roleArn : undefined;
  const activity = entityArn !== undefined && firstThisMinute(`a|${entityArn}|${p.arn}|${minute}|${service}|${action}|${r.region}`);
  if (!keyUse && !activity) return undefined;
  return write(ctx, service, action, keyUse, activity ? entityArn : undefined);
}

async function write(ctx: ActionContext, service: string, action: string, keyUse: boolean, entityArn: string | undefined): Promise<void> {
  const c = ctx.caller;
  const r = ctx.request;
  const p = c.principal;
  try {
    // One D1 batch for both (one round trip behind the response, not two).
    const stmts: D1PreparedStatement[] = [];
    const keyStmt = keyUse ? accessKeyUseStatement(ctx.db, c.accessKeyId, { date: r.now, service, region: r.region }) : undefined;
    if (keyStmt) stmts.push(keyStmt);
    if (entityArn)
      stmts.push(
        ...activityStatements(ctx.db, {
          accountId: p.account,
          principalArn: p.arn,
          entityArn,
          service,
          action,
          region: r.region,
          now: r.now,
        }),
      );
    if (stmts.length) await ctx.db.$client.batch(stmts);
    // Last-used data is part of IAM reads (GetAccessKeyLastUsed, RoleLastUsed, Access Advisor).
    afterUsageBookkeeping(p.account);
  } catch (e) {
    console.error(`[${r.requestId}] recording last-used data failed`, e instanceof Error ? e.message : e);
  }
}

/**
 * RoleLastUsed after an AssumeRole, like key last-used at most once a minute per role and region
 * (AWS's own last-used data lags by hours); it is part of GetRole, so the account's cached reads go.
 */
export function recordRoleUsage(ctx: ActionContext, account: string, roleId: string): void {
  const r = ctx.request;
  if (!firstThisMinute(`r|${account}|${roleId}|${Math.floor(r.now / 60_000)}|${r.region}`)) return;
  ctx.waitUntil(
    recordRoleUse(ctx.db, account, roleId, { date: isoSeconds(r.now), region: r.region }).then(
      () => afterUsageBookkeeping(account),
      () => undefined,
    ),
  );
}
