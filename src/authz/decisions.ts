/**
 * Recent authorization decisions with their explanations, by id. Denials are always kept;
 * allows only when the client asked (x-iamlab-explain: true). A bounded in-isolate ring, and a
 * copy in D1 for a day (rate-bounded per isolate), so the admin API and sts:DecodeAuthorizationMessage
 * resolve an id in any isolate of a deployed Worker.
 */
import type { AuthzRequest, Decision } from "../policy/index";
import type { ActionContext } from "../services/action";
import { isoSeconds } from "../lib/clock";
import type { Db } from "../store/db";
import { DECISION_RETENTION_MS, loadDecision, saveDecision } from "../store/decisions";

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

// Persisting to D1 (so other isolates resolve the id) is bounded per isolate: a burst of denials
// (a load test, a simulation of many actions) keeps its explanations here but writes at most
// PERSIST_PER_SEC of them; a learner's denials are all written.
const PERSIST_PER_SEC = 20;
let tokens = PERSIST_PER_SEC;
let refilledAt = 0;
let persisted = 0;
function mayPersist(): boolean {
  const t = Date.now();
  tokens = Math.min(PERSIST_PER_SEC, tokens + ((t - refilledAt) / 1000) * PERSIST_PER_SEC);
  refilledAt = t;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

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
  if (mayPersist()) {
    const now = Date.now(); // retention is real time, whatever the sandbox clock says
    const prune = ++persisted % 200 === 0 ? now - DECISION_RETENTION_MS : undefined;
    ctx.waitUntil(
      saveDecision(ctx.db, id, rec.accountId, now, JSON.stringify(rec), prune).catch((e: unknown) =>
        console.error(`[${rec.requestId}] keeping decision ${id} failed`, e instanceof Error ? e.message : e),
      ),
    );
  }
  return id;
}

/** A decision by id: this isolate's recent ones, else the ones any isolate kept in D1 (a day). */
export async function getDecision(id: string, db: Db): Promise<DecisionRecord | undefined> {
  const here = records.get(id);
  if (here) return here;
  const json = await loadDecision(db, id);
  return json ? (JSON.parse(json) as DecisionRecord) : undefined;
}
