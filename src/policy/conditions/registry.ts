/** Every condition operator by name. `…IfExists`, `ForAllValues:` and `ForAnyValue:` are parsed around these. */
import { arnOperators } from "./arn.js";
import { boolOperators } from "./bool.js";
import { dateOperators } from "./date.js";
import { ipOperators } from "./ip.js";
import { numericOperators } from "./numeric.js";
import { stringOperators } from "./string.js";
import type { ConditionOperator } from "./types.js";

const all: ConditionOperator[] = [
  ...stringOperators,
  ...numericOperators,
  ...dateOperators,
  ...boolOperators,
  ...ipOperators,
  ...arnOperators,
];

export const operators: ReadonlyMap<string, ConditionOperator> = new Map(all.map((o) => [o.name, o]));

export interface ParsedOperatorName {
  /** "Null" is handled by the evaluator itself. */
  operator: ConditionOperator | "Null";
  setOperator: "ForAllValues" | "ForAnyValue" | null;
  ifExists: boolean;
}

/** Splits e.g. "ForAnyValue:StringLikeIfExists"; null for an unknown operator. */
export function parseOperatorName(name: string): ParsedOperatorName | null {
  let rest = name;
  let setOperator: ParsedOperatorName["setOperator"] = null;
  if (rest.startsWith("ForAllValues:")) {
    setOperator = "ForAllValues";
    rest = rest.slice(13);
  } else if (rest.startsWith("ForAnyValue:")) {
    setOperator = "ForAnyValue";
    rest = rest.slice(12);
  }
  if (rest === "Null") return { operator: "Null", setOperator, ifExists: false };
  let ifExists = false;
  if (rest.endsWith("IfExists")) {
    ifExists = true;
    rest = rest.slice(0, -8);
  }
  const operator = operators.get(rest);
  return operator ? { operator, setOperator, ifExists } : null;
}
