/**
 * The explanation of a decision. Every matcher fills in its own part while it evaluates, so what is
 * reported is exactly what was decided (nothing is re-derived afterwards).
 * Treat it as read-only: common outcomes (an Action that does not match, a Resource that does not match)
 * are shared frozen objects built when the policy was compiled.
 * `evaluate(…, { explain: false })` runs the same matchers with recording off: they return shared frozen
 * outcomes, and the decision carries a shared frozen minimal Explanation (no steps, no policies).
 */
import type { PolicySourceType } from "./types.js";

export type DecisionValue = "allow" | "explicitDeny" | "implicitDeny";

export type DecisionReason =
  | "allowed"
  | "alwaysAllowed" // sts:GetCallerIdentity
  | "rootUser"
  | "explicitDeny"
  | "noIdentityAllow"
  | "noResourceAllow"
  | "noBoundaryAllow"
  | "noSessionAllow"
  | "scpDeny"
  | "noScpAllow"
  | "rcpDeny"
  | "noRcpAllow";

/** How a Principal / NotPrincipal element related to the caller. */
export type PrincipalMatchKind =
  | "wildcard" // "*" or {"AWS":"*"}
  | "account" // account id or arn:aws:iam::A:root (delegates to identity policies in the same account)
  | "role" // the role ARN behind an assumed-role session, or the IAM user behind a federated user session
  | "principal" // the caller's own ARN (user, session, federated user, root)
  | "service"
  | "federated"
  | "canonicalUser";

export interface ElementMatch {
  element: "Action" | "NotAction" | "Resource" | "NotResource" | "Principal" | "NotPrincipal";
  matched: boolean;
  /** The policy value that matched (for Action/Resource/Principal) or, for Not*, the value that excluded the request. */
  value?: string;
  /** For Principal: how the caller was matched. */
  principalMatch?: PrincipalMatchKind;
  /** Resource values whose policy variables could not be resolved. */
  unresolved?: string[];
}

export interface ConditionExplanation {
  /** As written, e.g. "ForAnyValue:StringLikeIfExists". */
  operator: string;
  /** As written, e.g. "aws:PrincipalTag/team". */
  key: string;
  /** Policy values as written. */
  values: string[];
  /** Request values; null when the key is absent from the request context. */
  contextValues: readonly string[] | null;
  matched: boolean;
  /** The key was absent (its absence decided the outcome as AWS defines for this operator). */
  missing: boolean;
  /** Policy variables that had no value and no default. */
  unresolved?: string[];
}

export interface StatementExplanation {
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
  /** Action, Resource, Principal and every condition matched. */
  matched: boolean;
  action: ElementMatch;
  resource?: ElementMatch;
  principal?: ElementMatch;
  /** Present when action/resource/principal matched and the statement has conditions. */
  conditions?: ConditionExplanation[];
}

export interface PolicyExplanation {
  type: PolicySourceType;
  id: string;
  name?: string;
  /** For SCPs / RCPs: the level in the hierarchy (0 = root). */
  level?: number;
  allows: boolean;
  denies: boolean;
  statements: StatementExplanation[];
}

/**
 * One level of an organization's chain (SCPs or RCPs): root first, the account last, OUs between. AWS's
 * rule per level: an explicit Deny in any of its policies denies; otherwise some Allow must match.
 */
export interface OrgLevelVerdict {
  type: "scp" | "rcp";
  /** 0 = the root. */
  level: number;
  /** What the level is, by its position in the chain (the engine knows no target ids). */
  target: "root" | "ou" | "account";
  verdict: "allows" | "denies" | "noAllow";
  /** The level's policies, in order. */
  policies: string[];
  /** The policy whose Deny statement matched (verdict "denies"). */
  deniedBy?: string;
}

export interface Explanation {
  decision: DecisionValue;
  reason: DecisionReason;
  /** Same or cross account (resource owner vs caller). */
  crossAccount: boolean;
  /** How a resource-based allow counted: directly (alone) or only together with the identity side. */
  resourceGrant?: "direct" | "roleArn" | "delegated";
  /** Human-readable steps of the evaluation order, in order. */
  steps: string[];
  policies: PolicyExplanation[];
  /** SCP then RCP levels as evaluated (absent when none applied): each level's verdict. */
  organizationLevels?: OrgLevelVerdict[];
}
