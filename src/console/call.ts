/**
 * Every read and write of a console page is a real action called as the signed-in principal
 * (src/services/dispatch.ts: session restrictions, authorization by the same engine, the handler).
 * A denial comes back with its decision as the caller's account may see it (decisionForCaller), so
 * the page can say why instead of showing an empty list.
 */
import type { ActionContext } from "../services/action";
import { callAs } from "../services/dispatch";
import { decisionForCaller, getDecision, type CallerDecisionView } from "../authz/decisions";

export interface CallFailure {
  ok: false;
  code: string;
  message: string;
  decisionId?: string;
  /** present for AccessDenied answers whose decision is still kept */
  decision?: CallerDecisionView;
}

export type ConsoleResult<T> = { ok: true; output: T } | CallFailure;

export async function call<T>(
  ctx: ActionContext,
  service: string,
  action: string,
  params: Record<string, unknown> = {},
): Promise<ConsoleResult<T>> {
  const r = await callAs(ctx, service, action, params);
  if (r.ok) return { ok: true, output: r.output as T };
  const f: CallFailure = { ok: false, code: r.error.code, message: r.error.message };
  const id = r.error.decisionId;
  if (id) {
    f.decisionId = id;
    if (r.error.code.startsWith("AccessDenied")) {
      const rec = await getDecision(id, ctx.db);
      if (rec && rec.accountId === ctx.caller.principal.account) f.decision = decisionForCaller(rec);
    }
  }
  return f;
}

/** IAM's list parameters in Query form: `Prefix.member.N` (…) from an array. */
export function members(prefix: string, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  values.forEach((v, i) => {
    out[`${prefix}.member.${i + 1}`] = v;
  });
  return out;
}

/** Tags in Query form: `Tags.member.N.Key` / `.Value`. */
export function tagMembers(tags: readonly { Key: string; Value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  tags.forEach((t, i) => {
    out[`Tags.member.${i + 1}.Key`] = t.Key;
    out[`Tags.member.${i + 1}.Value`] = t.Value;
  });
  return out;
}
