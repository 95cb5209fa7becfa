/**
 * Recent authorization decisions with their explanations, by id. Denials are always kept;
 * allows only when the client asked (x-iamlab-explain: true). A bounded in-isolate ring, and a
 * copy in D1 for a day (rate-bounded per isolate), so the admin API and sts:DecodeAuthorizationMessage
 * resolve an id in any isolate of a deployed Worker.
 *
 * Shared-sandbox fairness: both bounds are per account. Each account keeps its latest
 * RING_PER_ACCOUNT decisions in the ring, and the ring as a whole holds RING_TOTAL; when it is full,
 * the account holding the most gives up its oldest. D1 writes are token buckets per account
 * (PERSIST_BURST, then PERSIST_PER_SEC) under an overall PERSIST_TOTAL_PER_SEC. So one tenant's
 * flood of denials evicts and throttles only its own decisions, never another tenant's.
 */
import type { AuthzRequest, Decision, PolicyExplanation } from "../policy/index";
import type { ActionContext } from "../services/action";
import { isoSeconds } from "../lib/clock";
import type { Db } from "../store/db";
import { DECISION_RETENTION_MS, loadDecision, recentDecisionRecords, saveDecision } from "../store/decisions";

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

const RING_PER_ACCOUNT = 200;
const RING_TOTAL = 2000;
/** decision id → record (every account) */
const records = new Map<string, DecisionRecord>();
/** account → its decision ids in this isolate, oldest first */
const byAccount = new Map<string, Set<string>>();

function evictOldest(account: string, ids: Set<string>): void {
  const oldest = ids.values().next().value;
  if (oldest === undefined) return;
  ids.delete(oldest);
  records.delete(oldest);
  if (ids.size === 0) byAccount.delete(account);
}

function keep(rec: DecisionRecord): void {
  let ids = byAccount.get(rec.accountId);
  if (!ids) byAccount.set(rec.accountId, (ids = new Set()));
  ids.add(rec.decisionId);
  records.set(rec.decisionId, rec);
  if (ids.size > RING_PER_ACCOUNT) evictOldest(rec.accountId, ids);
  if (records.size > RING_TOTAL) {
    // The account with the largest share gives way (only reached with more than
    // RING_TOTAL / RING_PER_ACCOUNT busy accounts in one isolate).
    let largest: [string, Set<string>] | undefined;
    for (const e of byAccount) if (!largest || e[1].size > largest[1].size) largest = e;
    if (largest) evictOldest(largest[0], largest[1]);
  }
}

// Persisting to D1 (so other isolates resolve the id) is bounded per isolate and per account: a
// burst of denials (a load test, a simulation of many actions) keeps its explanations here but writes
// at most PERSIST_PER_SEC of them a second after the first PERSIST_BURST; a learner's denials are all written.
const PERSIST_BURST = 20;
const PERSIST_PER_SEC = 5;
const PERSIST_TOTAL_PER_SEC = 100;
const MAX_BUCKETS = 4096;

interface Bucket {
  tokens: number;
  at: number;
}
const buckets = new Map<string, Bucket>();
const overall: Bucket = { tokens: PERSIST_TOTAL_PER_SEC, at: 0 };

function refill(b: Bucket, t: number, rate: number, cap: number): void {
  b.tokens = Math.min(cap, b.tokens + ((t - b.at) / 1000) * rate);
  b.at = t;
}

function mayPersist(account: string): boolean {
  const t = Date.now();
  let b = buckets.get(account);
  if (!b) {
    // Forgetting an idle account's bucket only refills it early (a full bucket is what a new one gets).
    if (buckets.size >= MAX_BUCKETS) buckets.clear();
    buckets.set(account, (b = { tokens: PERSIST_BURST, at: t }));
  }
  refill(b, t, PERSIST_PER_SEC, PERSIST_BURST);
  refill(overall, t, PERSIST_TOTAL_PER_SEC, PERSIST_TOTAL_PER_SEC);
  if (b.tokens < 1 || overall.tokens < 1) return false;
  b.tokens -= 1;
  overall.tokens -= 1;
  return true;
}
let persisted = 0;

function newDecisionId(requestId: string): string {
  const r = crypto.getRandomValues(new Uint8Array(6));
  let s = "";
  for (const b of r) s += b.toString(36).padStart(2, "0");
  return `${requestId}:${s}`;
}

/** `d` must carry its full explanation when it is kept (every denial; allows when ctx.explain). */
export function recordDecision(ctx: ActionContext, request: AuthzRequest, d: Decision): string {
  const id = newDecisionId(ctx.request.requestId);
  if (d.decision === "allow" && !ctx.explain) return id;
  const rec: DecisionRecord = {
    decisionId: id,
    requestId: ctx.request.requestId,
    time: isoSeconds(ctx.request.now),
    // An anonymous caller has no account: its decisions are the resource owner's to read (and count).
    accountId: ctx.caller.principal.account || request.resourceAccount || "",
    request,
    decision: d.decision,
    reason: d.reason,
    explanation: d.explanation,
  };
  if (d.deniedBy) rec.deniedBy = d.deniedBy;
  keep(rec);
  if (mayPersist(rec.accountId)) {
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

/** Drops an account's decisions from this isolate's ring (the account was deleted; D1's rows go with its other rows). */
export function forgetDecisions(account: string): void {
  const ids = byAccount.get(account);
  if (!ids) return;
  for (const id of ids) records.delete(id);
  byAccount.delete(account);
  buckets.delete(account);
}

/** A policy of another account, as a caller may see it: which side it is and whether it allowed or denied, nothing of its text. */
export interface WithheldPolicy {
  type: PolicyExplanation["type"];
  /** only when it is the ARN the caller named itself (a role's trust policy is identified by the role) */
  id?: string;
  ownerAccount: string;
  allows: boolean;
  denies: boolean;
  withheld: string;
}

export interface CallerDecisionView extends Omit<DecisionRecord, "explanation"> {
  explanation: Omit<Decision["explanation"], "policies"> & { policies: (PolicyExplanation | WithheldPolicy)[]; note?: string };
}

/**
 * The part of a decision the caller's account may see (sts:DecodeAuthorizationMessage; the admin
 * API sees the whole record). Policies owned by another account — across accounts, the resource-based
 * policies (a role's trust policy) and RCPs of the resource's account — are reduced to which side
 * refused: no statements, Sids, condition keys or values (an sts:ExternalId, for one), no policy
 * ids other than the resource the caller named.
 */
export function decisionForCaller(rec: DecisionRecord): CallerDecisionView {
  const caller = rec.accountId;
  const owner = rec.request.resourceAccount ?? caller;
  const foreign = (type: PolicyExplanation["type"]) => owner !== caller && (type === "resource" || type === "rcp");
  const policies = rec.explanation.policies.map((p): PolicyExplanation | WithheldPolicy => {
    if (!foreign(p.type)) return p;
    const w: WithheldPolicy = {
      type: p.type,
      ownerAccount: owner,
      allows: p.allows,
      denies: p.denies,
      withheld: `This ${p.type === "resource" ? "resource-based policy" : "resource control policy"} belongs to account ${owner}; its content is not shown to account ${caller}.`,
    };
    if (p.id === rec.request.resource) w.id = p.id;
    return w;
  });
  const explanation: CallerDecisionView["explanation"] = { ...rec.explanation, policies };
  // Another account's RCP levels: their verdicts, not which policies they hold.
  if (rec.explanation.organizationLevels && owner !== caller)
    explanation.organizationLevels = rec.explanation.organizationLevels.map((l) =>
      l.type === "rcp" ? { type: l.type, level: l.level, target: l.target, verdict: l.verdict, policies: [] } : l,
    );
  const view: CallerDecisionView = { ...rec, explanation };
  if (rec.deniedBy && foreign(rec.deniedBy.type)) {
    view.deniedBy = {
      type: rec.deniedBy.type,
      id: rec.deniedBy.id === rec.request.resource ? rec.deniedBy.id : "(another account's policy)",
    };
  }
  if (
    owner !== caller &&
    rec.decision !== "allow" &&
    (rec.reason === "noResourceAllow" || (rec.reason === "explicitDeny" && rec.deniedBy?.type === "resource"))
  )
    explanation.note = `The ${rec.request.action.toLowerCase().startsWith("sts:") ? "trust policy" : "resource-based policy"} of account ${owner} does not allow this request; its content belongs to that account and is not shown.`;
  return view;
}

// --- console (issue 20) ---
/** The account's recent decisions (this isolate's ring, then D1's), newest first, without duplicates. */
export async function recentDecisions(accountId: string, db: Db, limit: number): Promise<DecisionRecord[]> {
  const out = new Map<string, DecisionRecord>();
  const here = [...(byAccount.get(accountId) ?? [])].reverse();
  for (const id of here) {
    const r = records.get(id);
    if (r) out.set(id, r);
  }
  for (const json of await recentDecisionRecords(db, accountId, limit)) {
    const r = JSON.parse(json) as DecisionRecord;
    if (!out.has(r.decisionId)) out.set(r.decisionId, r);
  }
  return [...out.values()].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, limit);
}
