/**
 * Recent authorization decisions with their explanations, by id. Denials are always kept;
 * allows only when the client asked (x-iamlab-explain: true). A bounded in-isolate ring: the
 * admin API (and sts:DecodeAuthorizationMessage) resolve ids issued by this isolate — enough
 * for local sandboxes and labs; a multi-isolate deploy may miss older ids (noted in README).
 */
import type { AuthzRequest, Decision } from "../policy/index";
import type { ActionContext } from "../services/action";
import { isoSeconds } from "../lib/clock";

export interface DecisionRecord {
  decisionId: string;
  requestId: string;
  time: string;
  accountId: string;
  request: AuthzRequest;
  decision: Decision["decision"];
  reason: Decision["reason"];
  deniedBy?: Decision["deniedBy"];
  explanation: Decision["explanation"];
}

const MAX = 1000;
const records = new Map<string, DecisionRecord>();

/** `d` must carry its full explanation when it is kept (every denial; allows when ctx.explain). */
export function recordDecision(ctx: ActionContext, request: AuthzRequest, d: Decision): string {
  const id = `${ctx.request.requestId}:${records.size.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  if (d.decision === "allow" && !ctx.explain) return id;
  const rec: DecisionRecord = {
    decisionId: id,
    requestId: ctx.request.requestId,
    time: isoSeconds(ctx.request.now),
    accountId: ctx.caller.principal.account,
    request,
    decision: d.decision,
    reason: d.reason,
    explanation: d.explanation,
  };
  if (d.deniedBy) rec.deniedBy = d.deniedBy;
  records.set(id, rec);
  if (records.size > MAX) records.delete(records.keys().next().value!);
  return id;
}

export function getDecision(id: string): DecisionRecord | undefined {
  return records.get(id);
}
