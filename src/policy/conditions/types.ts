import type { RequestContext } from "../context.js";

/** Tests one request value against all policy values of one condition: true when any policy value matches. */
export type ValueTest = (contextValue: string, ctx: RequestContext) => boolean;

export interface CompileOptions {
  /** Version 2012-10-17: policy variables are substituted. */
  variables: boolean;
}

/** One condition operator family member, e.g. StringLike. Negated operators wrap their positive twin. */
export interface ConditionOperator {
  name: string;
  /** StringNotEquals, NotIpAddress, ArnNotLike...: true on a missing key, and the negation of the positive test. */
  negated: boolean;
  /** Compiles the policy values once; the returned test runs per request value. */
  compile(values: readonly string[], opts: CompileOptions): ValueTest;
  /** Validates one policy value at parse time (legacy parser rules); returns false to reject the document. */
  validate?(value: string): boolean;
}
