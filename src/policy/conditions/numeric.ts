/** NumericEquals, NumericNotEquals, NumericLessThan(Equals), NumericGreaterThan(Equals). */
import type { ConditionOperator, ValueTest } from "./types.js";

const NUMBER_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number as AWS accepts it (integers and decimals); NaN otherwise. */
export function parseNumber(s: string): number {
  return NUMBER_RE.test(s) ? Number(s) : NaN;
}

type Cmp = (ctx: number, policy: number) => boolean;

function compileNumeric(values: readonly string[], cmp: Cmp): ValueTest {
  const nums = values.map(parseNumber).filter((n) => !Number.isNaN(n));
  return (cv) => {
    const n = parseNumber(cv);
    if (Number.isNaN(n)) return false;
    for (let i = 0; i < nums.length; i++) if (cmp(n, nums[i]!)) return true;
    return false;
  };
}

const op = (name: string, negated: boolean, cmp: Cmp): ConditionOperator => ({
  name,
  negated,
  compile: (values) => compileNumeric(values, cmp),
});

export const numericOperators: ConditionOperator[] = [
  op("NumericEquals", false, (a, b) => a === b),
  op("NumericNotEquals", true, (a, b) => a === b),
  op("NumericLessThan", false, (a, b) => a < b),
  op("NumericLessThanEquals", false, (a, b) => a <= b),
  op("NumericGreaterThan", false, (a, b) => a > b),
  op("NumericGreaterThanEquals", false, (a, b) => a >= b),
];
