/** DateEquals, DateNotEquals, DateLessThan(Equals), DateGreaterThan(Equals): ISO 8601 or epoch seconds. */
import type { ConditionOperator, ValueTest } from "./types.js";

const EPOCH_RE = /^\d+(\.\d+)?$/;
const ISO_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{1,2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** Milliseconds since the epoch, or NaN. Epoch values are seconds (aws:EpochTime). */
export function parseDate(s: string): number {
  const t = s.trim();
  if (EPOCH_RE.test(t)) return Number(t) * 1000;
  const m = ISO_RE.exec(t);
  if (!m) return NaN;
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) : 1;
  const day = m[3] ? Number(m[3]) : 1;
  const hour = m[4] ? Number(m[4]) : 0;
  const minute = m[5] ? Number(m[5]) : 0;
  const second = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  let offsetMin = 0;
  const tz = m[8];
  if (tz && tz !== "Z" && tz !== "z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2)) : 0));
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}

type Cmp = (ctx: number, policy: number) => boolean;

function compileDate(values: readonly string[], cmp: Cmp): ValueTest {
  const dates = values.map(parseDate).filter((n) => !Number.isNaN(n));
  return (cv) => {
    const d = parseDate(cv);
    if (Number.isNaN(d)) return false;
    for (let i = 0; i < dates.length; i++) if (cmp(d, dates[i]!)) return true;
    return false;
  };
}

const validate = (v: string): boolean => !Number.isNaN(parseDate(v));

const op = (name: string, negated: boolean, cmp: Cmp): ConditionOperator => ({
  name,
  negated,
  compile: (values) => compileDate(values, cmp),
  validate,
});

export const dateOperators: ConditionOperator[] = [
  op("DateEquals", false, (a, b) => a === b),
  op("DateNotEquals", true, (a, b) => a === b),
  op("DateLessThan", false, (a, b) => a < b),
  op("DateLessThanEquals", false, (a, b) => a <= b),
  op("DateGreaterThan", false, (a, b) => a > b),
  op("DateGreaterThanEquals", false, (a, b) => a >= b),
];
