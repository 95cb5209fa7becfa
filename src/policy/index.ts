/** The policy engine's public API. Pure and synchronous; imports only src/lib. */
export type { PolicyKind, PolicySource, PolicySourceType, Principal, AuthzRequest, PolicySet, ContextValue } from "./types.js";
export { parsePolicy, policySizeWithoutWhitespace } from "./document.js";
export type { CompiledPolicy, CompiledStatement, ParseOptions, ParseResult } from "./document.js";
export { analyze, decide, decisionOf, evaluate } from "./evaluate.js";
export type {
  Analysis,
  ContextKeyUse,
  Decision,
  DenyingStatement,
  EvaluateOptions,
  MatchedStatement,
  PolicyTypeAnalysis,
  Verdict,
} from "./evaluate.js";
export type {
  ConditionExplanation,
  DecisionReason,
  DecisionValue,
  ElementMatch,
  Explanation,
  OrgLevelVerdict,
  PolicyExplanation,
  PrincipalMatchKind,
  StatementExplanation,
} from "./explain.js";
export { accessDeniedMessage, MALFORMED } from "./messages.js";
export type { AccessDeniedOptions } from "./messages.js";
export { CompiledPolicyCache, PolicyParseError } from "./cache.js";
