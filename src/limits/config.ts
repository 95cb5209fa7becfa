/**
 * Rate-limit configuration, pure: the sandbox-wide rules (IAMLAB_RATE_LIMITS, JSON; documented
 * defaults when unset) and an account's own rules (the admin API's PUT /_iamlab/accounts/:id/limits,
 * kept in accounts.rate_limits).
 *
 * The defaults are of the order of AWS's control-plane APIs. AWS publishes no number for IAM's
 * account-wide API rate (its knowledge-center article "iam-sts-throttling-error" only says calls
 * from the console, the CLI and applications share one per-account rate and get `Throttling: Rate
 * exceeded`, 400); AWS STS documents 600 requests per second per account and Region. A learner's
 * scripts, Terraform (10 parallel calls) and the console stay well inside 20/s with a burst of 100;
 * a tight loop does not.
 */
import type { RateRule } from "./token-bucket";

export type { RateRule } from "./token-bucket";

export interface RateLimits {
  /** every authenticated request of an account (all its principals, all services); null = off */
  account: RateRule | null;
  /** every request signed with one access key (permanent or temporary); null = off */
  accessKey: RateRule | null;
  /** requests without a valid identity, per source IP: anonymous S3 calls and failed authentications */
  sourceIp: RateRule | null;
  /** failed admin-token attempts per source IP (the admin API answers 429 once spent) */
  adminFailures: RateRule | null;
  /** console sign-in attempts per source IP (each costs a PBKDF2: name spraying across many users) */
  consoleSignin: RateRule | null;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  account: { perSecond: 20, burst: 100 },
  accessKey: { perSecond: 10, burst: 50 },
  sourceIp: { perSecond: 10, burst: 50 },
  adminFailures: { perSecond: 0.1, burst: 10 },
  // 60 attempts at once, then one every 3 s (20 a minute): a class behind one NAT signing in together fits.
  consoleSignin: { perSecond: 1 / 3, burst: 60 },
};

/** An account's own rules: each replaces the sandbox's rule for that account ("off": unlimited). */
export interface AccountRateLimits {
  account?: RateRule | "off";
  accessKey?: RateRule | "off";
}

const MAX_RATE = 1_000_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A rule from JSON, or the reason it is not one. */
export function parseRule(v: unknown, name: string): RateRule | "off" | string {
  if (v === "off") return "off";
  if (!isRecord(v)) return `${name} must be {"perSecond": n, "burst": n} or "off".`;
  const { perSecond, burst, ...rest } = v;
  if (Object.keys(rest).length) return `${name} has unknown fields: ${Object.keys(rest).join(", ")}.`;
  if (typeof perSecond !== "number" || !(perSecond > 0) || perSecond > MAX_RATE)
    return `${name}.perSecond must be a number above 0 and at most ${MAX_RATE}.`;
  if (typeof burst !== "number" || !Number.isInteger(burst) || burst < 1 || burst > MAX_RATE)
    return `${name}.burst must be a whole number from 1 to ${MAX_RATE}.`;
  return { perSecond, burst };
}

const SANDBOX_KEYS = ["account", "accessKey", "sourceIp", "adminFailures", "consoleSignin"] as const;

/**
 * IAMLAB_RATE_LIMITS: unset or "" = the defaults; "off" = no limit at all; else a JSON object
 * overriding some of the defaults, each rule {"perSecond": n, "burst": n} or "off". Returns the
 * reason when the value is not valid (the Worker then keeps the defaults and says so in its log).
 */
export function parseRateLimits(raw: string | undefined): RateLimits | string {
  if (raw === undefined || raw.trim() === "") return DEFAULT_RATE_LIMITS;
  if (raw.trim() === "off") return { account: null, accessKey: null, sourceIp: null, adminFailures: null, consoleSignin: null };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return `IAMLAB_RATE_LIMITS must be "off" or a JSON object (got ${JSON.stringify(raw.slice(0, 80))}).`;
  }
  if (!isRecord(v)) return "IAMLAB_RATE_LIMITS must be a JSON object.";
  const out: RateLimits = { ...DEFAULT_RATE_LIMITS };
  for (const [k, rule] of Object.entries(v)) {
    if (!(SANDBOX_KEYS as readonly string[]).includes(k))
      return `IAMLAB_RATE_LIMITS: unknown limit ${k} (known: ${SANDBOX_KEYS.join(", ")}).`;
    const r = parseRule(rule, `IAMLAB_RATE_LIMITS.${k}`);
    if (typeof r === "string" && r !== "off") return r;
    out[k as (typeof SANDBOX_KEYS)[number]] = r === "off" ? null : r;
  }
  return out;
}

/** The admin API's body for an account's limits, or the reason it is not valid. */
export function parseAccountRateLimits(v: unknown): AccountRateLimits | string {
  if (!isRecord(v)) return 'The body must be a JSON object: {"account": {"perSecond": n, "burst": n}, "accessKey": …}.';
  const out: AccountRateLimits = {};
  for (const [k, rule] of Object.entries(v)) {
    if (k !== "account" && k !== "accessKey") return `Unknown limit ${k} (an account has: account, accessKey).`;
    const r = parseRule(rule, k);
    if (typeof r === "string" && r !== "off") return r;
    out[k] = r;
  }
  return out;
}

/** An account's stored rules (accounts.rate_limits); anything unreadable counts as none. */
export function readStoredRateLimits(json: string | null | undefined): AccountRateLimits | undefined {
  if (!json) return undefined;
  try {
    const r = parseAccountRateLimits(JSON.parse(json));
    return typeof r === "string" ? undefined : r;
  } catch {
    return undefined;
  }
}

/** The rule that applies: the account's own when it set one ("off" = none), else the sandbox's. */
export function effectiveRule(sandbox: RateRule | null, own: RateRule | "off" | undefined): RateRule | null {
  if (own === "off") return null;
  return own ?? sandbox;
}
