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
  explanation: Explanation;
}

interface State {
  actionLower: string;
  target: ResourceTarget;
  ctx: RequestContext;
  principal: Principal;
  policies: PolicyExplanation[];
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

/** One statement the action reached (`action` is its Action/NotAction result, memoized per policy). */
function evaluateStatement(s: CompiledStatement, action: ElementMatch, st: State): StatementExplanation {
  const se: StatementExplanation = { index: s.index, effect: s.effect, matched: false, action };
  if (s.sid !== undefined) se.sid = s.sid;
  if (!action.matched) return se;
  if (s.resource) {
    const r = matchResource(s.resource, st.target, st.ctx);
    se.resource = r;
    if (!r.matched) return se;
  }
  if (s.principal) {
    const p = matchPrincipal(s.principal, st.principal);
    se.principal = p;
    if (!p.matched) return se;
  }
  const conds = s.conditions;
  if (conds.length > 0) {
    const out: ConditionExplanation[] = new Array<ConditionExplanation>(conds.length);
    let all = true;
    for (let i = 0; i < conds.length; i++) {
      const e = evaluateCondition(conds[i]!, st.ctx);
      out[i] = e;
      if (!e.matched) all = false;
    }
    se.conditions = out;
    if (!all) return se;
  }
  se.matched = true;
  return se;
}

function evaluateSources(sources: readonly PolicySource[], st: State, level?: number): TypeResult {
  const result: TypeResult = { allow: false };
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i]!;
    const policy = src.policy;
    const stmts = policy.statements;
    const hits = actionHits(policy, st.actionLower);
    // Statements the action does not reach keep their precomputed (shared, frozen) explanation.
    const explained = policy.missTemplate.slice();
    const pe: PolicyExplanation = { type: src.type, id: src.id, allows: false, denies: false, statements: explained };
    if (src.name !== undefined) pe.name = src.name;
    if (level !== undefined) pe.level = level;
    const idx = hits.indexes;
    for (let h = 0; h < idx.length; h++) {
      const j = idx[h]!;
      const s = stmts[j]!;
      const se = evaluateStatement(s, hits.matches[h]!, st);
      explained[j] = se;
      if (!se.matched) continue;
      if (s.effect === "Deny") {
        pe.denies = true;
        if (!result.deny) {
          result.deny = { type: src.type, id: src.id };
          if (s.sid !== undefined) result.deny.sid = s.sid;
        }
      } else {
        pe.allows = true;
        result.allow = true;
        const kind = se.principal?.principalMatch;
        if (kind && (!result.grant || GRANT_STRENGTH[kind] > GRANT_STRENGTH[result.grant])) result.grant = kind;
      }
    }
    st.policies.push(pe);
  }
  return result;
}

const EMPTY: TypeResult = { allow: false };

function finish(
  decision: DecisionValue,
  reason: DecisionReason,
  explanation: Omit<Explanation, "decision" | "reason">,
  deny?: Deny,
): Decision {
  const d: Decision = { decision, reason, explanation: { decision, reason, ...explanation } };
  if (deny) d.deniedBy = deny;
  return d;
}

export function evaluate(req: AuthzRequest, policies: PolicySet): Decision {
  const p = req.principal;
  const actionLower = req.action.toLowerCase();
  const resourceAccount = req.resourceAccount ?? p.account;
  const crossAccount = resourceAccount !== p.account;
  const steps: string[] = [];
  const st: State = {
    actionLower,
    target: resourceTarget(req.resource),
    ctx: buildContext(req),
    principal: p,
    policies: [],
  };
  const base = { crossAccount, steps, policies: st.policies };

  if (actionLower === "sts:getcalleridentity") {
    steps.push("sts:GetCallerIdentity is always allowed");
    return finish("allow", "alwaysAllowed", base);
  }

  const isRoot = p.kind === "root";
  const isServiceOrAnonymous = p.kind === "service" || p.kind === "anonymous";
  const orgApplies = !p.serviceLinkedRole && !isServiceOrAnonymous;

  // 1. Evaluate every applicable policy (each matcher records its own explanation).
  const scpLevels = orgApplies && policies.scps ? policies.scps.map((lvl, i) => evaluateSources(lvl, st, i)) : null;
  const rcpLevels = orgApplies && policies.rcps ? policies.rcps.map((lvl, i) => evaluateSources(lvl, st, i)) : null;
  const resource = policies.resource ? evaluateSources(policies.resource, st) : EMPTY;
  const identitySide = !isRoot && !isServiceOrAnonymous;
  const identity = identitySide ? evaluateSources(policies.identity, st) : EMPTY;
  const boundary = identitySide && policies.boundary ? evaluateSources(policies.boundary, st) : null;
  const session = identitySide && policies.session ? evaluateSources(policies.session, st) : null;

  // 2. Explicit deny anywhere wins.
  for (const lvl of scpLevels ?? []) {
    if (lvl.deny) {
      steps.push("explicit deny in a service control policy");
      return finish("explicitDeny", "scpDeny", base, lvl.deny);
    }
  }
  for (const lvl of rcpLevels ?? []) {
    if (lvl.deny) {
      steps.push("explicit deny in a resource control policy");
      return finish("explicitDeny", "rcpDeny", base, lvl.deny);
    }
  }
  for (const r of [resource, identity, boundary, session]) {
    if (r?.deny) {
      steps.push(`explicit deny in a ${r.deny.type} policy`);
      return finish("explicitDeny", "explicitDeny", base, r.deny);
    }
  }
  steps.push("no explicit deny");

  // 3. Organizations: every level must allow.
  if (scpLevels) {
    if (!scpLevels.every((l) => l.allow)) {
      steps.push("a service control policy level has no Allow");
      return finish("implicitDeny", "noScpAllow", base);
    }
    steps.push("every SCP level allows");
  } else if (policies.scps && !orgApplies) steps.push("SCPs do not apply to this principal");
  if (rcpLevels) {
    if (!rcpLevels.every((l) => l.allow)) {
      steps.push("a resource control policy level has no Allow");
      return finish("implicitDeny", "noRcpAllow", base);
    }
    steps.push("every RCP level allows");
  }

  // 4. Principals with no identity side: root (own account), services, anonymous.
  if (isRoot && !crossAccount) {
    steps.push("the root user of the resource's account is allowed");
    return finish("allow", "rootUser", base);
  }
  if (isServiceOrAnonymous) {
    if (resource.allow) {
      steps.push("a resource-based policy allows the service/anonymous principal");
      return finish("allow", "allowed", base);
    }
    steps.push("no resource-based policy allows");
    return finish("implicitDeny", "noResourceAllow", base);
  }

  // 5. Same-account resource-based grants.
  if (resource.allow && !crossAccount && resource.grant) {
    const strength = GRANT_STRENGTH[resource.grant];
    if (strength >= 5) {
      steps.push("a resource-based policy names the caller: allowed on its own");
      return finish("allow", "allowed", { ...base, resourceGrant: "direct" });
    }
    if (strength >= 3) {
      steps.push("a resource-based policy names the role: limited by boundary and session policies");
      if (boundary && !boundary.allow) return finish("implicitDeny", "noBoundaryAllow", { ...base, resourceGrant: "roleArn" });
      if (session && !session.allow) return finish("implicitDeny", "noSessionAllow", { ...base, resourceGrant: "roleArn" });
      return finish("allow", "allowed", { ...base, resourceGrant: "roleArn" });
    }
    steps.push("a resource-based policy names the account: delegated to identity-based policies");
  }
  const resourceGrant = resource.allow ? { resourceGrant: "delegated" as const } : {};

  // 6. Identity side: identity allow → boundary → session.
  if (isRoot) {
    steps.push("the root user's identity side allows everything");
  } else {
    if (!identity.allow) {
      steps.push("no identity-based policy allows");
      return finish("implicitDeny", "noIdentityAllow", { ...base, ...resourceGrant });
    }
    if (boundary && !boundary.allow) {
      steps.push("the permissions boundary does not allow");
      return finish("implicitDeny", "noBoundaryAllow", { ...base, ...resourceGrant });
    }
    if (session && !session.allow) {
      steps.push("no session policy allows");
      return finish("implicitDeny", "noSessionAllow", { ...base, ...resourceGrant });
    }
    steps.push("identity side allows");
  }

  // 7. Cross account (or a mandatory resource policy such as a trust policy): the resource side must allow too.
  if ((crossAccount || policies.requireResourceAllow) && !resource.allow) {
    steps.push(crossAccount ? "cross-account: no resource-based policy allows" : "no resource-based policy allows");
    return finish("implicitDeny", "noResourceAllow", base);
  }
  return finish("allow", "allowed", { ...base, ...resourceGrant });
}
