/**
 * Last-used data fed by real traffic: access-key last use (GetAccessKeyLastUsed, the credential
 * report) and Access Advisor activity. Written after the response through waitUntil, so the hot
 * path never waits for it. AWS records every authenticated attempt, allowed or denied.
 */
import type { ActionContext } from "./action";
import { recordAccessKeyUse } from "../store/iam-access-keys";
import { recordActivity } from "../store/access-activity";

export async function recordUsage(ctx: ActionContext, service: string, action: string): Promise<void> {
  const c = ctx.caller;
  const r = ctx.request;
  try {
    const writes: Promise<void>[] = [];
    if (c.accessKeyId.startsWith("AKIA") && !c.session)
      writes.push(recordAccessKeyUse(ctx.db, c.accessKeyId, { date: r.now, service, region: r.region }));
    const p = c.principal;
    const entityArn = p.kind === "user" ? p.arn : p.kind === "assumedRole" ? p.roleArn : undefined;
    if (entityArn)
      writes.push(recordActivity(ctx.db, { accountId: p.account, principalArn: p.arn, entityArn, service, action, region: r.region, now: r.now }));
    await Promise.all(writes);
  } catch (e) {
    console.error(`[${r.requestId}] recording last-used data failed`, e instanceof Error ? e.message : e);
  }
}
