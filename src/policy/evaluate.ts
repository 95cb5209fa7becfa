/**
 * The decision, in AWS's evaluation order:
 * explicit Deny anywhere wins → SCPs (every level must allow) → RCPs (every level must allow) →
 * resource-based policy → identity-based policies → permissions boundary → session policies.
 *
 * Same account: a resource-based policy that names the caller (user / session / federated-user ARN, or "*")
 * grants on its own; naming the role ARN grants unless the boundary or a session policy implicitly denies;
 * naming the account delegates to the identity side. Cross account: both sides must allow.
 * The root user of the resource's account is allowed unless an SCP/RCP/resource policy denies.
 * sts:GetCallerIdentity is always allowed.
 */
import { buildContext, type RequestContext } from "./context.js";
import { evaluateCondition } from "./conditions/evaluate.js";
import { actionHits, type CompiledStatement } from "./document.js";
import type {
  ConditionExplanation,
  ElementMatch,
  DecisionReason,
  DecisionValue,
  Explanation,
  PolicyExplanation,
  PrincipalMatchKind,
  StatementExplanation,
} from "./explain.js";
import { matchPrincipal } from "./match/principal.js";
import { matchResource, resourceTarget, type ResourceTarget } from "./match/resource.js";
import type { AuthzRequest, PolicySet, PolicySource, PolicySourceType, Principal } from "./types.js";

export interface Decision {
  decision: DecisionValue;
  /** Which policy type produced the final deny, for AWS's message wording. */
  reason: DecisionReason;
  deniedBy?: { type: PolicySourceType; id: string; sid?: string };
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

interface State {
  actionLower: string;
  target: ResourceTarget;
  ctx: RequestContext;
  principal: Principal;
  /** null when not explaining. */
  policies: PolicyExplanation[] | null;
  steps: string[] | null;
}

interface Deny {
  type: PolicySourceType;
  id: string;
  sid?: string;
}

interface TypeResult {
  allow: boolean;
  /** Resource policies: the strongest way an Allow named the caller. */
  grant?: PrincipalMatchKind;
  deny?: Deny;
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

/**
 * One statement the action reached (`action` is its Action/NotAction result, memoized per policy).
 * Returns the statement's Principal match kind when it matched (`true` without a Principal element),
 * false otherwise. Records into `se` when explaining (`se` is null otherwise).
 */
function evaluateStatement(
  s: CompiledStatement,
  action: ElementMatch,
  st: State,
  se: StatementExplanation | null,
): PrincipalMatchKind | boolean {
  if (!action.matched) return false;
  const explain = se !== null;
  if (s.resource) {
    const r = matchResource(s.resource, st.target, st.ctx, explain);
    if (se) se.resource = r;
    if (!r.matched) return false;
  }
  let kind: PrincipalMatchKind | true = true;
  if (s.principal) {
    const p = matchPrincipal(s.principal, st.principal, explain);
    if (se) se.principal = p;
    if (!p.matched) return false;
    kind = p.principalMatch ?? true;
  }
  const conds = s.conditions;
  if (conds.length > 0) {
    if (se) {
      // Every condition is evaluated and recorded, even after one fails.
      const out: ConditionExplanation[] = [];
      let all = true;
      for (let i = 0; i < conds.length; i++) if (!evaluateCondition(conds[i]!, st.ctx, out)) all = false;
      se.conditions = out;
      if (!all) return false;
    } else {
      for (let i = 0; i < conds.length; i++) if (!evaluateCondition(conds[i]!, st.ctx, null)) return false;
    }
  }
  if (se) se.matched = true;
  return kind;
}

function newStatementExplanation(s: CompiledStatement, action: ElementMatch): StatementExplanation {
  const se: StatementExplanation = { index: s.index, effect: s.effect, matched: false, action };
  if (s.sid !== undefined) se.sid = s.sid;
  return se;
}

function evaluateSources(sources: readonly PolicySource[], st: State, level?: number): TypeResult {
  const result: TypeResult = { allow: false };
  const explain = st.policies !== null;
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
      if (!pe && s.effect === "Allow" && result.allow && (s.principal === null || GRANT_STRENGTH[result.grant ?? "account"] >= 5))
        continue;
      let se: StatementExplanation | null = null;
      if (pe) se = pe.statements[j] = newStatementExplanation(s, hits.matches[h]!);
      const kind = evaluateStatement(s, hits.matches[h]!, st, se);
      if (kind === false) continue;
      if (s.effect === "Deny") {
        if (pe) pe.denies = true;
        if (!result.deny) {
          result.deny = { type: src.type, id: src.id };
          if (s.sid !== undefined) result.deny.sid = s.sid;
          if (!pe) break;
        }
      } else {
        if (pe) pe.allows = true;
        result.allow = true;
        if (kind !== true && (!result.grant || GRANT_STRENGTH[kind] > GRANT_STRENGTH[result.grant])) result.grant = kind;
      }
    }
  }
  return result;
}

const EMPTY: TypeResult = { allow: false };

type ExplanationExtras = Pick<Explanation, "crossAccount" | "resourceGrant">;

const NOTHING: readonly never[] = Object.freeze([]);
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

function finish(st: State, reason: DecisionReason, extras: ExplanationExtras, deny?: Deny): Decision {
  const decision = REASON_DECISION[reason];
  let explanation: Explanation;
  if (st.policies === null) explanation = MINIMAL[extras.crossAccount ? 1 : 0]![reason];
  else {
    explanation = { decision, reason, crossAccount: extras.crossAccount, steps: st.steps!, policies: st.policies };
    if (extras.resourceGrant) explanation.resourceGrant = extras.resourceGrant;
  }
  const d: Decision = { decision, reason, explanation };
  if (deny) d.deniedBy = deny;
  return d;
}

function step(st: State, text: string): void {
  if (st.steps !== null) st.steps.push(text);
}

export function evaluate(req: AuthzRequest, policies: PolicySet, options?: EvaluateOptions): Decision {
  const explain = options?.explain ?? true;
  const p = req.principal;
  const actionLower = req.action.toLowerCase();
  const resourceAccount = req.resourceAccount ?? p.account;
  const crossAccount = resourceAccount !== p.account;
  const st: State = {
    actionLower,
    target: resourceTarget(req.resource),
    ctx: buildContext(req),
    principal: p,
    policies: explain ? [] : null,
    steps: explain ? [] : null,
  };
  const base: ExplanationExtras = { crossAccount };

  if (actionLower === "sts:getcalleridentity") {
    step(st, "sts:GetCallerIdentity is always allowed");
    return finish(st, "alwaysAllowed", base);
  }

  const isRoot = p.kind === "root";
  const isServiceOrAnonymous = p.kind === "service" || p.kind === "anonymous";
  const orgApplies = !p.serviceLinkedRole && !isServiceOrAnonymous;
  const identitySide = !isRoot && !isServiceOrAnonymous;

  // 1. Evaluate every applicable policy (each matcher records its own explanation), in the order in which
  //    an explicit deny is reported: SCPs, RCPs, resource, identity, boundary, session. Deciding only
  //    (explain off), the first explicit deny ends the evaluation.
  let scpLevels: TypeResult[] | null = null;
  let rcpLevels: TypeResult[] | null = null;
  let resource = EMPTY;
  let identity = EMPTY;
  let boundary: TypeResult | null = null;
  let session: TypeResult | null = null;
  if (orgApplies && policies.scps) {
    scpLevels = [];
    for (let i = 0; i < policies.scps.length; i++) {
      const lvl = evaluateSources(policies.scps[i]!, st, i);
      scpLevels.push(lvl);
      if (lvl.deny && !explain) break;
    }
  }
  let denied = !explain && scpLevels !== null && scpLevels[scpLevels.length - 1]?.deny !== undefined;
  if (!denied && orgApplies && policies.rcps) {
    rcpLevels = [];
    for (let i = 0; i < policies.rcps.length; i++) {
      const lvl = evaluateSources(policies.rcps[i]!, st, i);
      rcpLevels.push(lvl);
      if (lvl.deny && !explain) break;
    }
    denied = !explain && rcpLevels[rcpLevels.length - 1]?.deny !== undefined;
  }
  if (!denied && policies.resource) {
    resource = evaluateSources(policies.resource, st);
    denied = !explain && resource.deny !== undefined;
  }
  if (!denied && identitySide) {
    identity = evaluateSources(policies.identity, st);
    denied = !explain && identity.deny !== undefined;
    if (!denied && policies.boundary) {
      boundary = evaluateSources(policies.boundary, st);
      denied = !explain && boundary.deny !== undefined;
    }
    if (!denied && policies.session) session = evaluateSources(policies.session, st);
  }

  // 2. Explicit deny anywhere wins.
  if (scpLevels) {
    for (let i = 0; i < scpLevels.length; i++) {
      const deny = scpLevels[i]!.deny;
      if (deny) {
        step(st, "explicit deny in a service control policy");
        return finish(st, "scpDeny", base, deny);
      }
    }
  }
  if (rcpLevels) {
    for (let i = 0; i < rcpLevels.length; i++) {
      const deny = rcpLevels[i]!.deny;
      if (deny) {
        step(st, "explicit deny in a resource control policy");
        return finish(st, "rcpDeny", base, deny);
      }
    }
  }
  const deny = resource.deny ?? identity.deny ?? boundary?.deny ?? session?.deny;
  if (deny) {
    step(st, `explicit deny in a ${deny.type} policy`);
    return finish(st, "explicitDeny", base, deny);
  }
  step(st, "no explicit deny");

  // 3. Organizations: every level must allow.
  if (scpLevels) {
    if (!scpLevels.every((l) => l.allow)) {
      step(st, "a service control policy level has no Allow");
      return finish(st, "noScpAllow", base);
    }
    step(st, "every SCP level allows");
  } else if (policies.scps && !orgApplies) step(st, "SCPs do not apply to this principal");
  if (rcpLevels) {
    if (!rcpLevels.every((l) => l.allow)) {
      step(st, "a resource control policy level has no Allow");
      return finish(st, "noRcpAllow", base);
    }
    step(st, "every RCP level allows");
  }

  // 4. Principals with no identity side: root (own account), services, anonymous.
  if (isRoot && !crossAccount) {
    step(st, "the root user of the resource's account is allowed");
    return finish(st, "rootUser", base);
  }
  if (isServiceOrAnonymous) {
    if (resource.allow) {
      step(st, "a resource-based policy allows the service/anonymous principal");
      return finish(st, "allowed", base);
    }
    step(st, "no resource-based policy allows");
    return finish(st, "noResourceAllow", base);
  }

  // 5. Same-account resource-based grants.
  if (resource.allow && !crossAccount && resource.grant) {
    const strength = GRANT_STRENGTH[resource.grant];
    if (strength >= 5) {
      step(st, "a resource-based policy names the caller: allowed on its own");
      return finish(st, "allowed", { crossAccount, resourceGrant: "direct" });
    }
    if (strength >= 3) {
      step(st, "a resource-based policy names the role: limited by boundary and session policies");
      const roleArn: ExplanationExtras = { crossAccount, resourceGrant: "roleArn" };
      if (boundary && !boundary.allow) return finish(st, "noBoundaryAllow", roleArn);
      if (session && !session.allow) return finish(st, "noSessionAllow", roleArn);
      return finish(st, "allowed", roleArn);
    }
    step(st, "a resource-based policy names the account: delegated to identity-based policies");
  }
  const withGrant: ExplanationExtras = resource.allow ? { crossAccount, resourceGrant: "delegated" } : base;

  // 6. Identity side: identity allow → boundary → session.
  if (isRoot) {
    step(st, "the root user's identity side allows everything");
  } else {
    if (!identity.allow) {
      step(st, "no identity-based policy allows");
      return finish(st, "noIdentityAllow", withGrant);
    }
    if (boundary && !boundary.allow) {
      step(st, "the permissions boundary does not allow");
      return finish(st, "noBoundaryAllow", withGrant);
    }
    if (session && !session.allow) {
      step(st, "no session policy allows");
      return finish(st, "noSessionAllow", withGrant);
    }
    step(st, "identity side allows");
  }

  // 7. Cross account (or a mandatory resource policy such as a trust policy): the resource side must allow too.
  if ((crossAccount || policies.requireResourceAllow) && !resource.allow) {
    step(st, crossAccount ? "cross-account: no resource-based policy allows" : "no resource-based policy allows");
    return finish(st, "noResourceAllow", base);
  }
  return finish(st, "allowed", withGrant);
}
