/**
 * One condition (operator + key + values) against the request context, with AWS's rules:
 * - several values for one key: OR; several keys / operators: AND (done by the statement);
 * - missing key: false, except `…IfExists` (true) and negated operators (true);
 * - ForAnyValue: some request value satisfies the operator (missing/empty: false);
 * - ForAllValues: every request value satisfies it (missing/empty: true);
 * - Null: "true" wants the key absent, "false" wants it present.
 */
import { contextValues, type RequestContext } from "../context.js";
import type { ConditionExplanation } from "../explain.js";
import type { ParsedOperatorName } from "./registry.js";
import type { ValueTest } from "./types.js";
import { charge } from "../budget.js";

export interface CompiledCondition {
  /** As written. */
  operatorName: string;
  key: string;
  keyLower: string;
  values: readonly string[];
  parsed: ParsedOperatorName;
  negated: boolean;
  /** Undefined for Null. */
  test?: ValueTest;
  /** Null only: the policy values lower-cased ("true" / "false"). */
  nullWants?: readonly string[];
  /**
   * The policy variables its values reference (`${aws:username}` → "aws:username"), as written, in order;
   * empty in documents that do not substitute variables (Version other than 2012-10-17).
   */
  variables: readonly string[];
}

const MATCHED = 1;
const MISSING = 2;

/** Bit flags: MATCHED | MISSING (no allocation on the hot path). */
function satisfies(c: CompiledCondition, ctx: RequestContext, vals: readonly string[] | null): number {
  const test = c.test!;
  const { setOperator, ifExists } = c.parsed;
  if (vals === null || vals.length === 0) {
    if (setOperator === "ForAllValues") return MATCHED | MISSING;
    if (setOperator === "ForAnyValue") return ifExists && vals === null ? MATCHED | MISSING : MISSING;
    return ifExists || c.negated ? MATCHED | MISSING : MISSING;
  }
  // Request values × policy values: a simulator's ContextKeyValues list can be long (budget.ts).
  if (vals.length > 1) charge(vals.length * c.values.length);
  if (setOperator === "ForAllValues") {
    for (let i = 0; i < vals.length; i++) if (test(vals[i]!, ctx) === c.negated) return 0;
    return MATCHED;
  }
  if (setOperator === "ForAnyValue") {
    for (let i = 0; i < vals.length; i++) if (test(vals[i]!, ctx) !== c.negated) return MATCHED;
    return 0;
  }
  let any = false;
  for (let i = 0; i < vals.length; i++) {
    if (test(vals[i]!, ctx)) {
      any = true;
      break;
    }
  }
  return any !== c.negated ? MATCHED : 0;
}

/**
 * Evaluates one condition; when `record` is given, appends its explanation there.
 * Returns whether the condition is satisfied.
 */
export function evaluateCondition(c: CompiledCondition, ctx: RequestContext, record: ConditionExplanation[] | null): boolean {
  const vals = contextValues(ctx, c.keyLower);
  let r: number;
  if (c.parsed.operator === "Null") {
    const absent = vals === null || vals.length === 0;
    r = absent ? MISSING : 0;
    for (let i = 0; i < c.values.length; i++) {
      const want = c.nullWants![i];
      if ((want === "true" && absent) || (want === "false" && !absent)) r |= MATCHED;
    }
  } else r = satisfies(c, ctx, vals);
  const matched = (r & MATCHED) !== 0;
  if (record !== null) {
    record.push({
      operator: c.operatorName,
      key: c.key,
      values: c.values as string[],
      contextValues: vals,
      matched,
      missing: (r & MISSING) !== 0,
    });
  }
  return matched;
}
