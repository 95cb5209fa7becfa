/**
 * DateEquals, DateNotEquals, DateLessThan(Equals), DateGreaterThan(Equals): ISO 8601 or epoch seconds.
 *
 * IAM's legacy parser decides which policy values are dates (AWS's answers as recorded by moto's and
 * LocalStack's AWS-validated test suites):
 * - a value containing "T"/"t" or "-" is an ISO 8601 date-time, read loosely: the year may be short or
 *   negative ("01T", "-292275054", within Java's year range), month, day and the time parts are optional,
 *   hours may have one digit, a fraction has at most 9 digits, an offset has two-digit hours ("+23",
 *   "+10:59"; "+1" is refused);
 * - anything else is whole epoch seconds within a signed 64-bit integer ("9223372036854775808" and
 *   "1.5" are refused).
 * Negative offsets ("-05:00") and offsets after the hour or minute are accepted as Joda's ISO parser does;
 * AWS's suites do not show them, so that part is unconfirmed.
 */
import type { ConditionOperator, ValueTest } from "./types.js";

const MIN_YEAR = -292275054;
const MAX_YEAR = 292278993;
const MAX_EPOCH = 9223372036854775807n;

const ISO_RE = /^(-?\d+)(?:-(\d+))?(?:-(\d+))?(?:[Tt](?:(\d+)(?::(\d+)(?::(\d+)(?:\.(\d+))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?$/;
/** Context values (aws:EpochTime, our own clock) may carry a fraction; policy values may not. */
const CONTEXT_EPOCH_RE = /^\d+(\.\d+)?$/;

/** Milliseconds since the epoch of an ISO value, or NaN. Years beyond JavaScript's range become ±Infinity. */
function parseIso(t: string): number {
  const m = ISO_RE.exec(t);
  if (!m) return NaN;
  const year = Number(m[1]);
  const month = m[2] !== undefined ? Number(m[2]) : 1;
  const day = m[3] !== undefined ? Number(m[3]) : 1;
  const hour = m[4] !== undefined ? Number(m[4]) : 0;
  const minute = m[5] !== undefined ? Number(m[5]) : 0;
  const second = m[6] !== undefined ? Number(m[6]) : 0;
  const fraction = m[7];
  if (year < MIN_YEAR || year > MAX_YEAR) return NaN;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  if (fraction !== undefined && fraction.length > 9) return NaN;
  let offsetMin = 0;
  const tz = m[8];
  if (tz !== undefined && tz !== "Z" && tz !== "z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    const h = Number(digits.slice(0, 2));
    const mm = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (h > 23 || mm > 59) return NaN;
    offsetMin = sign * (h * 60 + mm);
  }
  // Date.UTC covers ±271,821 years; beyond that the instant is before or after every real one.
  if (year < -271820) return Number.NEGATIVE_INFINITY;
  if (year > 275759) return Number.POSITIVE_INFINITY;
  const ms = fraction !== undefined ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0..99 as written (Date.UTC would add 1900)
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMin * 60_000;
}

const isIsoShaped = (t: string): boolean => /[Tt-]/.test(t);

/** A policy value's instant in milliseconds, or NaN when IAM's parser refuses it. */
export function parsePolicyDate(s: string): number {
  if (isIsoShaped(s)) return parseIso(s);
  if (!/^\d+$/.test(s) || BigInt(s) > MAX_EPOCH) return NaN;
  return Number(s) * 1000;
}

/** A request-context value's instant in milliseconds, or NaN. Epoch values are seconds (aws:EpochTime). */
export function parseDate(s: string): number {
  const t = s.trim();
  if (CONTEXT_EPOCH_RE.test(t)) return Number(t) * 1000;
  return isIsoShaped(t) ? parseIso(t) : NaN;
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

const validate = (v: string): boolean => !Number.isNaN(parsePolicyDate(v));

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
