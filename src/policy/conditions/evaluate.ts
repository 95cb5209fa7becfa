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
}

function satisfies(c: CompiledCondition, ctx: RequestContext, vals: readonly string[] | null): { matched: boolean; missing: boolean } {
  const test = c.test!;
  const present = vals !== null && vals.length > 0;
  const { setOperator, ifExists } = c.parsed;
  if (!present) {
    if (setOperator === "ForAllValues") return { matched: true, missing: true };
    if (setOperator === "ForAnyValue") return { matched: ifExists && vals === null, missing: true };
    return { matched: ifExists || c.negated, missing: true };
  }
  const list = vals!;
  if (setOperator === "ForAllValues") {
    for (let i = 0; i < list.length; i++) if (test(list[i]!, ctx) === c.negated) return { matched: false, missing: false };
    return { matched: true, missing: false };
  }
  if (setOperator === "ForAnyValue") {
    for (let i = 0; i < list.length; i++) if (test(list[i]!, ctx) !== c.negated) return { matched: true, missing: false };
    return { matched: false, missing: false };
  }
  let any = false;
  for (let i = 0; i < list.length; i++) {
    if (test(list[i]!, ctx)) {
      any = true;
      break;
    }
  }
  return { matched: any !== c.negated, missing: false };
}

export function evaluateCondition(c: CompiledCondition, ctx: RequestContext): ConditionExplanation {
  const vals = contextValues(ctx, c.keyLower);
  let matched: boolean;
  let missing: boolean;
  if (c.parsed.operator === "Null") {
    const absent = vals === null || vals.length === 0;
    missing = absent;
    matched = false;
    for (const v of c.values) {
      const want = v.toLowerCase();
      if ((want === "true" && absent) || (want === "false" && !absent)) matched = true;
    }
  } else {
    ({ matched, missing } = satisfies(c, ctx, vals));
  }
  return { operator: c.operatorName, key: c.key, values: c.values as string[], contextValues: vals, matched, missing };
}
