/**
 * The decision, in two steps:
 *
 * 1. `analyze(request, policies)` evaluates every applicable policy type — SCP levels, RCP levels,
 *    resource-based, identity-based, permissions boundary, session — statement by statement, and returns
 *    plain data: per type whether a statement allowed, the first Deny that matched, how a resource-based
 *    Allow named the caller, and (explaining) every matched statement, every policy's record and the
 *    context keys the reached statements used. It decides nothing.
 * 2. `decide(analysis)` applies AWS's evaluation order to that data, a pure function of it:
 *    always-allowed actions → explicit Deny anywhere wins → RCPs, then SCPs (every level must allow) →
 *    principals without identity policies (root, services, anonymous) → same-account resource-based
 *    grants → identity side (identity allow → permissions boundary → session policies) → the resource
 *    side where it is required (cross account, trust policies) → allowed.
 *
 * `evaluate` is both, packaged as a Decision with its Explanation.
 *
 * Same account: a resource-based policy that names the caller (user / session / federated-user ARN, or "*")
 * grants on its own; naming the role ARN (or the IAM user behind a federated user session) grants unless
 * the boundary or a session policy implicitly denies; naming the account delegates to the identity side.
 * Cross account: both sides must allow.
 * A Deny's NotPrincipal never spares an IAM user or role that has a permissions boundary (AWS documents
 * that such a statement always denies it). The root user of the resource's account is allowed unless an
 * SCP/RCP/resource policy denies — unless the resource policy is mandatory (`requireResourceAllow`: KMS key
 * policies, trust policies), which must then allow the root user (directly or by naming its account) as anyone else.
 * sts:GetCallerIdentity is always allowed.
 *
 * Deciding only (`{ explain: false }`, the live authorizer's allow path) the analysis records nothing and
 * stops at the first explicit Deny (in the order a deny is reported), and the decision carries a shared,
 * frozen minimal explanation; the decision, reason and deniedBy are the same as with explain on.
 */
import { buildContext, type RequestContext } from "./context.js";
import { evaluateCondition } from "./conditions/evaluate.js";
import { actionHits, type CompiledStatement } from "./document.js";
import type {
  ConditionExplanation,
  ElementMatch,
  DecisionReason,
  OrgLevelVerdict,
  DecisionValue,
  Explanation,
  PolicyExplanation,
  PrincipalMatchKind,
  StatementExplanation,
} from "./explain.js";
import { matchPrincipal, NOT_PRINCIPAL_BOUNDED } from "./match/principal.js";
import { matchResource, resourceTarget, resourceValueVariables, type ResourceTarget } from "./match/resource.js";
import type { AuthzRequest, PolicySet, PolicySource, PolicySourceType, Principal } from "./types.js";

export interface Decision {
  decision: DecisionValue;
  /** Which policy type produced the final deny, for AWS's message wording. */
  reason: DecisionReason;
  deniedBy?: DenyingStatement;
  /**
   * Why. With `{ explain: false }` this is a shared, frozen minimal explanation (decision, reason,
   * crossAccount; empty `steps` and `policies`): re-run with explain on to get the full record.
   */
  explanation: Explanation;
}

export interface EvaluateOptions {
  /**
   * Record the explanation (every policy, reached statement and condition, and the steps). Default true.
   * When false the matchers decide without recording and the same decision, reason and deniedBy are returned.
   */
  explain?: boolean;
}

// ---- The analysis: what each policy type says, as data ------------------------------------------

/** The Deny statement reported for an explicit deny. */
export interface DenyingStatement {
  type: PolicySourceType;
  id: string;
  sid?: string;
}

/** A statement whose Action, Resource, Principal and every condition matched the request. */
export interface MatchedStatement {
  source: PolicySource;
  /** Its index in `source.policy.statements`. */
  index: number;
  effect: "Allow" | "Deny";
  sid?: string;
}

/** One policy type (or one SCP / RCP level): what its statements said about the request. */
export interface PolicyTypeAnalysis {
  /** Some Allow statement matched. */
  allows: boolean;
  /** The first Deny statement that matched, in policy and statement order. */
  deny?: DenyingStatement;
  /** Resource-based policies: the strongest way a matching Allow named the caller. */
  grant?: PrincipalMatchKind;
  /** Explaining: every matched statement, Allow and Deny, in order. null when deciding only. */
  matched: MatchedStatement[] | null;
}

/**
 * A context key a reached statement needed: a condition's key that the request context lacks, or a policy
 * variable (in a condition value, or in a Resource value that could not be resolved), present or not.
 */
export interface ContextKeyUse {
  /** As written in the policy. */
  key: string;
  use: "condition" | "variable";
  /** The request context has a value for it (from the request or derived from the principal); always false for "condition". */
  present: boolean;
}

export interface Analysis {
  /** sts:GetCallerIdentity: nothing else was evaluated. */
  alwaysAllowed: boolean;
  /** The resource's account is not the caller's. */
  crossAccount: boolean;
  /**
   * How the caller's own permissions are decided: by identity-based policies ("policies"), by being the
   * root user ("root": allows everything), or not at all ("none": services and anonymous callers).
   */
  identitySide: "policies" | "root" | "none";
  /** A resource-based policy must allow even in the same account (trust policies, key policies). */
  requireResourceAllow: boolean;
  /** SCPs were given but do not apply to this caller (service-linked roles, services, anonymous). */
  scpsExempt: boolean;
  /**
   * Per policy type; null when not given or not evaluated (the caller has no such side, or — deciding
   * only — an earlier type already denied). SCP / RCP levels run root → account; deciding only, they end
   * at the first level that denies.
   */
  scps: PolicyTypeAnalysis[] | null;
  rcps: PolicyTypeAnalysis[] | null;
  resource: PolicyTypeAnalysis | null;
  /** Grants (PolicySet.grants); absent or null when there are none. */
  grants?: PolicyTypeAnalysis | null;
  identity: PolicyTypeAnalysis | null;
  boundary: PolicyTypeAnalysis | null;
  session: PolicyTypeAnalysis | null;
  /** Explaining: every evaluated policy's record, in evaluation order. null when deciding only. */
  policies: PolicyExplanation[] | null;
  /**
   * Explaining: the condition keys the reached statements' conditions found absent and the policy variables
   * they used, in evaluation order and with repeats (a statement is reached when its Action matched; its
   * conditions when its Resource and Principal matched too). null when deciding only.
   */
  contextKeys: ContextKeyUse[] | null;
}

/** The request as the matchers see it, and where the analysis records (null sinks when deciding only). */
interface State {
  actionLower: string;
  target: ResourceTarget;
  ctx: RequestContext;
  principal: Principal;
  /** The caller is an IAM user or role with a permissions boundary (a Deny's NotPrincipal then never spares it). */
  bounded: boolean;
  policies: PolicyExplanation[] | null;
  contextKeys: ContextKeyUse[] | null;
}

const GRANT_STRENGTH: Record<PrincipalMatchKind, number> = {
  principal: 5,
  wildcard: 5,
  service: 5,
  federated: 5,
  canonicalUser: 5,
  role: 3,
  account: 1,
};

function recordVariables(st: State, names: readonly string[]): void {
  for (let i = 0; i < names.length; i++) {
    const key = names[i]!;
    st.contextKeys!.push({ key, use: "variable", present: st.ctx.get(key.toLowerCase()) !== undefined });
  }
}

/**
 * One statement the action reached (`action` is its Action/NotAction result, memoized per policy).
 * Returns the statement's Principal match kind when it matched (`true` without a Principal element),
 * false otherwise. Records into `se` and the context-key uses when explaining (`se` is null otherwise).
 * The recording lives in helpers so that this function stays small enough to be inlined on the hot path.
 */
function analyzeStatement(
  s: CompiledStatement,
  action: ElementMatch,
  st: State,
  se: StatementExplanation | null,
): PrincipalMatchKind | boolean {
  if (!action.matched) return false;
  const explain = se !== null;
  if (s.resource) {
    const r = matchResource(s.resource, st.target, st.ctx, explain);
    if (se) recordResource(s, r, st, se);
    if (!r.matched) return false;
  }
  let kind: PrincipalMatchKind | true = true;
  if (s.principal) {
    const p =
      st.bounded && s.principal.not && s.effect === "Deny" ? NOT_PRINCIPAL_BOUNDED : matchPrincipal(s.principal, st.principal, explain);
    if (se) se.principal = p;
    if (!p.matched) return false;
    kind = p.principalMatch ?? true;
  }
  const conds = s.conditions;
  if (conds.length > 0) {
    if (se) {
      if (!explainConditions(s, st, se)) return false;
    } else {
      for (let i = 0; i < conds.length; i++) if (!evaluateCondition(conds[i]!, st.ctx, null)) return false;
    }
  }
  if (se) se.matched = true;
  return kind;
}

/** Explaining: the Resource outcome, and the policy variables of the values that could not be resolved. */
function recordResource(s: CompiledStatement, r: ElementMatch, st: State, se: StatementExplanation): void {
  se.resource = r;
  if (r.unresolved) for (const v of r.unresolved) recordVariables(st, resourceValueVariables(s.resource!, v));
}

/**
 * Explaining: every condition is evaluated and recorded, even after one fails, with the keys the request
 * lacks and the policy variables the values use. Returns whether all of them matched.
 */
function explainConditions(s: CompiledStatement, st: State, se: StatementExplanation): boolean {
  const conds = s.conditions;
  const out: ConditionExplanation[] = [];
  let all = true;
  for (let i = 0; i < conds.length; i++) {
    const c = conds[i]!;
    if (!evaluateCondition(c, st.ctx, out)) all = false;
    if (out[i]!.contextValues === null) st.contextKeys!.push({ key: c.key, use: "condition", present: false });
    if (c.variables.length > 0) recordVariables(st, c.variables);
  }
  se.conditions = out;
  return all;
}

function newStatementExplanation(s: CompiledStatement, action: ElementMatch): StatementExplanation {
  const se: StatementExplanation = { index: s.index, effect: s.effect, matched: false, action };
  if (s.sid !== undefined) se.sid = s.sid;
  return se;
}

/** The policies of one type (or one SCP / RCP level). */
function analyzePolicies(sources: readonly PolicySource[], st: State, level?: number): PolicyTypeAnalysis {
  const explain = st.policies !== null;
  const result: PolicyTypeAnalysis = { allows: false, matched: explain ? [] : null };
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i]!;
    const policy = src.policy;
    const stmts = policy.statements;
    const hits = actionHits(policy, st.actionLower);
    let pe: PolicyExplanation | null = null;
    if (explain) {
      // Statements the action does not reach keep their precomputed (shared, frozen) explanation.
      pe = { type: src.type, id: src.id, allows: false, denies: false, statements: policy.missTemplate.slice() };
      if (src.name !== undefined) pe.name = src.name;
      if (level !== undefined) pe.level = level;
      st.policies!.push(pe);
    } else if (result.deny) {
      // Deciding only: the first Deny of this policy type is the one reported; nothing later changes it.
      break;
    }
    const idx = hits.indexes;
    for (let h = 0; h < idx.length; h++) {
      const j = idx[h]!;
      const s = stmts[j]!;
      // Deciding only: once this type allows, a further Allow changes nothing unless it could name the
      // caller more strongly (resource policies).
      if (!pe && s.effect === "Allow" && result.allows && (s.principal === null || GRANT_STRENGTH[result.grant ?? "account"] >= 5))
        continue;
      let se: StatementExplanation | null = null;
      if (pe) se = pe.statements[j] = newStatementExplanation(s, hits.matches[h]!);
      const kind = analyzeStatement(s, hits.matches[h]!, st, se);
      if (kind === false) continue;
      if (pe) {
        const m: MatchedStatement = { source: src, index: s.index, effect: s.effect };
        if (s.sid !== undefined) m.sid = s.sid;
        result.matched!.push(m);
      }
      if (s.effect === "Deny") {
        if (pe) pe.denies = true;
        if (!result.deny) {
          result.deny = { type: src.type, id: src.id };
          if (s.sid !== undefined) result.deny.sid = s.sid;
          if (!pe) break;
        }
      } else {
        if (pe) pe.allows = true;
        result.allows = true;
        if (kind !== true && (!result.grant || GRANT_STRENGTH[kind] > GRANT_STRENGTH[result.grant])) result.grant = kind;
      }
    }
  }
  return result;
}

/** SCP or RCP levels, root → account; deciding only, up to the first level that denies. */
function analyzeLevels(levels: readonly (readonly PolicySource[])[], st: State): PolicyTypeAnalysis[] {
  const out: PolicyTypeAnalysis[] = [];
  for (let i = 0; i < levels.length; i++) {
    const lvl = analyzePolicies(levels[i]!, st, i);
    out.push(lvl);
    if (lvl.deny && st.policies === null) break;
  }
  return out;
}

const deniesIn = (levels: readonly PolicyTypeAnalysis[] | null): boolean =>
  levels !== null && levels.length > 0 && levels[levels.length - 1]!.deny !== undefined;

/**
 * Evaluates every policy that applies to the request, in the order in which an explicit deny is
 * reported: SCPs, RCPs, resource, identity, boundary, session. Deciding only (explain off), the first
 * explicit deny ends the analysis (nothing after it can change the decision).
 */
export function analyze(req: AuthzRequest, policies: PolicySet, options?: EvaluateOptions): Analysis {
  const explain = options?.explain ?? true;
  const p = req.principal;
  const actionLower = req.action.toLowerCase();
  const identitySide = p.kind === "root" ? "root" : p.kind === "service" || p.kind === "anonymous" ? "none" : "policies";
  // SCPs limit the principals of member accounts; RCPs limit every caller of the resource's account, "regardless
  // of whether the principals belong to your organization" (anonymous callers and AWS services included).
  // Neither applies to service-linked roles (IAM User Guide, "Policy evaluation logic": policy types).
  const orgApplies = !p.serviceLinkedRole && identitySide !== "none";
  const rcpsApply = !p.serviceLinkedRole;
  const a: Analysis = {
    alwaysAllowed: actionLower === "sts:getcalleridentity",
    crossAccount: (req.resourceAccount ?? p.account) !== p.account,
    identitySide,
    requireResourceAllow: policies.requireResourceAllow === true,
    scpsExempt: policies.scps !== undefined && !orgApplies,
    scps: null,
    rcps: null,
    resource: null,
    identity: null,
    boundary: null,
    session: null,
    policies: explain ? [] : null,
    contextKeys: explain ? [] : null,
  };
  if (a.alwaysAllowed) return a;
  const st: State = {
    actionLower,
    target: resourceTarget(req.resource),
    ctx: buildContext(req),
    principal: p,
    bounded: identitySide === "policies" && policies.boundary !== undefined,
    policies: a.policies,
    contextKeys: a.contextKeys,
  };
  if (orgApplies && policies.scps) {
    a.scps = analyzeLevels(policies.scps, st);
    if (!explain && deniesIn(a.scps)) return a;
  }
  if (rcpsApply && policies.rcps) {
    a.rcps = analyzeLevels(policies.rcps, st);
    if (!explain && deniesIn(a.rcps)) return a;
  }
  if (policies.resource) {
    a.resource = analyzePolicies(policies.resource, st);
    if (!explain && a.resource.deny) return a;
  }
  if (policies.grants) a.grants = analyzePolicies(policies.grants, st);
  if (identitySide !== "policies") return a;
  a.identity = analyzePolicies(policies.identity, st);
  if (!explain && a.identity.deny) return a;
  if (policies.boundary) {
    a.boundary = analyzePolicies(policies.boundary, st);
    if (!explain && a.boundary.deny) return a;
  }
  if (policies.session) a.session = analyzePolicies(policies.session, st);
  return a;
}

// ---- The decision: AWS's evaluation order over the analysis -------------------------------------

/** What `decide` concludes. */
export interface Verdict {
  reason: DecisionReason;
  /** For an explicit deny: the statement reported. */
  deniedBy?: DenyingStatement;
  /** How a resource-based Allow counted: directly (alone) or only together with the identity side. */
  resourceGrant?: "direct" | "roleArn" | "delegated";
  /** The evaluation order's steps, in words, when the analysis was explained; null otherwise. */
  steps: string[] | null;
}

type Steps = string[] | null;

/** The decision each reason stands for. */
const REASON_DECISION: Record<DecisionReason, DecisionValue> = {
  allowed: "allow",
  alwaysAllowed: "allow",
  rootUser: "allow",
  explicitDeny: "explicitDeny",
  scpDeny: "explicitDeny",
  rcpDeny: "explicitDeny",
  noIdentityAllow: "implicitDeny",
  noResourceAllow: "implicitDeny",
  noBoundaryAllow: "implicitDeny",
  noSessionAllow: "implicitDeny",
  noScpAllow: "implicitDeny",
  noRcpAllow: "implicitDeny",
};

/** Deciding only, most verdicts are just a reason: one shared frozen verdict per reason. */
const BARE_VERDICT = Object.fromEntries(
  (Object.keys(REASON_DECISION) as DecisionReason[]).map((reason) => [reason, Object.freeze({ reason, steps: null })]),
) as Record<DecisionReason, Verdict>;

function verdict(steps: Steps, reason: DecisionReason, resourceGrant?: Verdict["resourceGrant"]): Verdict {
  if (steps === null && resourceGrant === undefined) return BARE_VERDICT[reason];
  const v: Verdict = { reason, steps };
  if (resourceGrant) v.resourceGrant = resourceGrant;
  return v;
}

function step(steps: Steps, text: string): void {
  if (steps !== null) steps.push(text);
}

function firstDeny(levels: readonly PolicyTypeAnalysis[] | null): DenyingStatement | undefined {
  if (levels !== null) for (let i = 0; i < levels.length; i++) if (levels[i]!.deny) return levels[i]!.deny;
  return undefined;
}

const LEVEL_TARGET_WORDS: Record<OrgLevelVerdict["target"], string> = { root: "the root", ou: "an OU", account: "the account" };

/**
 * Each SCP level, then each RCP level, with its verdict (explaining only): root first, the account last,
 * OUs between. The policy ids come from the analysis' records of each level.
 */
export function orgLevelVerdicts(a: Analysis): OrgLevelVerdict[] {
  const out: OrgLevelVerdict[] = [];
  const add = (type: "scp" | "rcp", levels: readonly PolicyTypeAnalysis[] | null) => {
    if (!levels) return;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      const v: OrgLevelVerdict = {
        type,
        level: i,
        target: i === 0 ? "root" : i === levels.length - 1 ? "account" : "ou",
        verdict: l.deny ? "denies" : l.allows ? "allows" : "noAllow",
        policies: (a.policies ?? []).filter((p) => p.type === type && p.level === i).map((p) => p.id),
      };
      if (l.deny) v.deniedBy = l.deny.id;
      out.push(v);
    }
  };
  add("scp", a.scps);
  add("rcp", a.rcps);
  return out;
}

/**
 * Explaining: one step per SCP / RCP level, e.g. "SCP level 1 (an OU): no Allow (arn…p-1, arn…p-2)". RCP
 * steps name no policy: RCPs belong to the resource's account, which may not be the caller's (the
 * explanation's records carry the ids, and decisionForCaller withholds them across accounts).
 */
function levelSteps(levels: readonly OrgLevelVerdict[], steps: Steps): void {
  for (const l of levels) {
    const named = l.type === "scp";
    const what =
      l.verdict === "denies" ? `explicit deny${named ? ` in ${l.deniedBy}` : ""}` : l.verdict === "allows" ? "allows" : "no Allow";
    const among =
      l.verdict === "denies"
        ? ""
        : l.policies.length === 0
          ? " (no policy attached)"
          : named
            ? ` (${l.policies.join(", ")})`
            : ` (${l.policies.length} ${l.policies.length === 1 ? "policy" : "policies"})`;
    step(steps, `${l.type.toUpperCase()} level ${l.level} (${LEVEL_TARGET_WORDS[l.target]}): ${what}${among}`);
  }
}

/** An explicit Deny anywhere wins, reported in the order SCPs, RCPs, resource, identity, boundary, session. */
function explicitDeny(a: Analysis, steps: Steps): Verdict | null {
  const scpDeny = firstDeny(a.scps);
  if (scpDeny) {
    step(steps, "explicit deny in a service control policy");
    return { reason: "scpDeny", deniedBy: scpDeny, steps };
  }
  const rcpDeny = firstDeny(a.rcps);
  if (rcpDeny) {
    step(steps, "explicit deny in a resource control policy");
    return { reason: "rcpDeny", deniedBy: rcpDeny, steps };
  }
  const deny = a.resource?.deny ?? a.identity?.deny ?? a.boundary?.deny ?? a.session?.deny;
  if (deny) {
    step(steps, `explicit deny in a ${deny.type} policy`);
    return { reason: "explicitDeny", deniedBy: deny, steps };
  }
  step(steps, "no explicit deny");
  return null;
}

/**
 * Organizations: every RCP level, then every SCP level, must allow — AWS's order after the deny evaluation
 * (IAM User Guide, "How AWS enforcement code logic evaluates requests": RCPs, then SCPs, then resource-based
 * policies …). The order only names the reason when both lack an Allow (an RCP level cannot, in AWS:
 * RCPFullAWSAccess cannot be detached).
 */
function organizations(a: Analysis, steps: Steps): Verdict | null {
  if (a.rcps) {
    if (!a.rcps.every((l) => l.allows)) {
      step(steps, "a resource control policy level has no Allow");
      return verdict(steps, "noRcpAllow");
    }
    step(steps, "every RCP level allows");
  }
  if (a.scps) {
    if (!a.scps.every((l) => l.allows)) {
      step(steps, "a service control policy level has no Allow");
      return verdict(steps, "noScpAllow");
    }
    step(steps, "every SCP level allows");
  } else if (a.scpsExempt) step(steps, "SCPs do not apply to this principal");
  return null;
}

/** Callers without identity policies: the root user in its own account, services, anonymous callers. */
function callerWithoutIdentityPolicies(a: Analysis, steps: Steps): Verdict | null {
  // Where the resource policy is mandatory (KMS key policies, trust policies), it binds the root user too:
  // a key policy that does not name the account locks out even its root user (AWS, KMS key policies).
  if (a.identitySide === "root" && !a.crossAccount && !a.requireResourceAllow) {
    step(steps, "the root user of the resource's account is allowed");
    return verdict(steps, "rootUser");
  }
  if (a.identitySide === "none") {
    if (a.resource?.allows || a.grants?.allows) {
      step(steps, "a resource-based policy allows the service/anonymous principal");
      return verdict(steps, "allowed");
    }
    step(steps, "no resource-based policy allows");
    return verdict(steps, "noResourceAllow");
  }
  return null;
}

/**
 * Same account, a resource-based Allow that names the caller grants on its own; one that names the role
 * behind a session (or the IAM user behind a federated user session) grants unless the boundary or a
 * session policy does not allow; one that names the account delegates to the identity side.
 */
function sameAccountResourceGrant(a: Analysis, steps: Steps): Verdict | null {
  const r = a.resource;
  if (!r?.allows || a.crossAccount || !r.grant) return null;
  const strength = GRANT_STRENGTH[r.grant];
  if (strength >= 5) {
    step(steps, "a resource-based policy names the caller: allowed on its own");
    return verdict(steps, "allowed", "direct");
  }
  if (strength >= 3) {
    step(steps, "a resource-based policy names the role or user behind the session: limited by boundary and session policies");
    if (a.boundary && !a.boundary.allows) return verdict(steps, "noBoundaryAllow", "roleArn");
    if (a.session && !a.session.allows) return verdict(steps, "noSessionAllow", "roleArn");
    return verdict(steps, "allowed", "roleArn");
  }
  step(steps, "a resource-based policy names the account: delegated to identity-based policies");
  return null;
}

/** The identity side allows, boundary and session policies included (no steps: a grant's delegation asks quietly). */
function identitySideAllows(a: Analysis): boolean {
  if (a.identitySide === "root") return true;
  return a.identity?.allows === true && (!a.boundary || a.boundary.allows) && (!a.session || a.session.allows);
}

/**
 * Grants (KMS), in the resource's account or across accounts alike: one that names the caller allows
 * on its own; one that names the role behind the session allows unless the boundary or a session
 * policy does not; one that names the caller's account allows when the identity side does. Otherwise
 * the usual order decides (a key policy may still allow).
 */
function grantSide(a: Analysis, steps: Steps): Verdict | null {
  const g = a.grants;
  if (!g?.allows || !g.grant) return null;
  const strength = GRANT_STRENGTH[g.grant];
  if (strength >= 5) {
    step(steps, "a grant names the caller: allowed on its own");
    return verdict(steps, "allowed", "direct");
  }
  if (strength >= 3) {
    if ((a.boundary && !a.boundary.allows) || (a.session && !a.session.allows)) return null;
    step(steps, "a grant names the role behind the session: allowed within boundary and session policies");
    return verdict(steps, "allowed", "roleArn");
  }
  if (!identitySideAllows(a)) return null;
  step(steps, "a grant names the caller's account and its identity side allows");
  return verdict(steps, "allowed", "delegated");
}

/** The resource side's part when the identity side must allow too. */
const delegated = (a: Analysis): Verdict["resourceGrant"] => (a.resource?.allows ? "delegated" : undefined);

/** Identity side: an identity-based Allow, then the permissions boundary, then the session policies. */
function identitySide(a: Analysis, steps: Steps): Verdict | null {
  if (a.identitySide === "root") {
    step(steps, "the root user's identity side allows everything");
    return null;
  }
  if (!a.identity?.allows) {
    step(steps, "no identity-based policy allows");
    return verdict(steps, "noIdentityAllow", delegated(a));
  }
  if (a.boundary && !a.boundary.allows) {
    step(steps, "the permissions boundary does not allow");
    return verdict(steps, "noBoundaryAllow", delegated(a));
  }
  if (a.session && !a.session.allows) {
    step(steps, "no session policy allows");
    return verdict(steps, "noSessionAllow", delegated(a));
  }
  step(steps, "identity side allows");
  return null;
}

/** Cross account (or a mandatory resource policy such as a trust policy): the resource side must allow too. */
function resourceSide(a: Analysis, steps: Steps): Verdict {
  if ((a.crossAccount || a.requireResourceAllow) && !a.resource?.allows) {
    step(steps, a.crossAccount ? "cross-account: no resource-based policy allows" : "no resource-based policy allows");
    return verdict(steps, "noResourceAllow");
  }
  return verdict(steps, "allowed", delegated(a));
}

/**
 * AWS's evaluation order over an analysis. Pure: the same analysis always gives the same verdict; the
 * steps are written out when the analysis was explained.
 */
export function decide(a: Analysis): Verdict {
  const steps: Steps = a.policies !== null ? [] : null;
  if (a.alwaysAllowed) {
    step(steps, "sts:GetCallerIdentity is always allowed");
    return verdict(steps, "alwaysAllowed");
  }
  if (steps !== null) levelSteps(orgLevelVerdicts(a), steps);
  return (
    explicitDeny(a, steps) ??
    organizations(a, steps) ??
    callerWithoutIdentityPolicies(a, steps) ??
    grantSide(a, steps) ??
    sameAccountResourceGrant(a, steps) ??
    identitySide(a, steps) ??
    resourceSide(a, steps)
  );
}

// ---- The Decision (what callers receive) ----------------------------------------------------------

const NOTHING: readonly never[] = Object.freeze([]);
/** The minimal explanations returned with `{ explain: false }`: one frozen object per crossAccount × reason. */
const MINIMAL = [false, true].map((crossAccount) => {
  const byReason = {} as Record<DecisionReason, Explanation>;
  for (const reason of Object.keys(REASON_DECISION) as DecisionReason[]) {
    byReason[reason] = Object.freeze({
      decision: REASON_DECISION[reason],
      reason,
      crossAccount,
      steps: NOTHING as unknown as string[],
      policies: NOTHING as unknown as PolicyExplanation[],
    });
  }
  return byReason;
});

/** The analysis and its verdict as a Decision: the full explanation when explained, the shared minimal one otherwise. */
export function decisionOf(a: Analysis, v: Verdict = decide(a)): Decision {
  const decision = REASON_DECISION[v.reason];
  let explanation: Explanation;
  if (a.policies === null || v.steps === null) explanation = MINIMAL[a.crossAccount ? 1 : 0]![v.reason];
  else {
    explanation = { decision, reason: v.reason, crossAccount: a.crossAccount, steps: v.steps, policies: a.policies };
    if (v.resourceGrant) explanation.resourceGrant = v.resourceGrant;
    const levels = orgLevelVerdicts(a);
    if (levels.length) explanation.organizationLevels = levels;
  }
  const d: Decision = { decision, reason: v.reason, explanation };
  if (v.deniedBy) d.deniedBy = v.deniedBy;
  return d;
}

/** The decision on one request: `decide(analyze(…))` as a Decision. */
export function evaluate(req: AuthzRequest, policies: PolicySet, options?: EvaluateOptions): Decision {
  return decisionOf(analyze(req, policies, options));
}
