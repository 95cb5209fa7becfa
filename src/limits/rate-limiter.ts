/**
 * The isolate's rate limiter: one token bucket per account, per access key and per source IP, in
 * memory. A check is two Map lookups and a few arithmetic operations (≈ 1 µs; bench/limiter.ts) —
 * no D1 or Durable Object call on the hot path.
 *
 * Scope, honestly: each isolate counts on its own. Locally (`npm start`, the tests) one isolate
 * serves everything, so the limits are exact. On a deploy Cloudflare may run several isolates (in
 * several colos) for one account's traffic; each enforces the full rule, so the ceiling is the rule
 * times the isolates actually serving that account — one learner's loop from one machine mostly
 * lands on one isolate (keep-alive connections), which is what the limit is for.
 *
 * Bounded: 100,000 buckets (≈ 10 MiB); the oldest goes first. Evicting a bucket refills it, which
 * takes an attacker 100,000 fresh keys or addresses — each of which also pays its own limit.
 */
import { BoundedMap } from "../lib/bounded";
import { fullBucket, hasToken, waitMs, type Bucket, type RateRule } from "./token-bucket";
import { DEFAULT_RATE_LIMITS, effectiveRule, parseRateLimits, type AccountRateLimits, type RateLimits } from "./config";

const buckets = new BoundedMap<string, Bucket>(100_000, 32 * 1024 * 1024, (_b, k) => 64 + 2 * k.length);

function bucketOf(key: string, rule: RateRule, now: number): Bucket {
  let b = buckets.get(key);
  if (!b) {
    b = fullBucket(rule, now);
    buckets.set(key, b);
  }
  return b;
}

let parsedFrom: string | undefined;
let parsed: RateLimits = DEFAULT_RATE_LIMITS;

/** The sandbox's rules from IAMLAB_RATE_LIMITS (parsed once per value; an invalid value keeps the defaults, loudly). */
export function sandboxRateLimits(env: { IAMLAB_RATE_LIMITS?: string }): RateLimits {
  const raw = env.IAMLAB_RATE_LIMITS ?? "";
  if (raw !== parsedFrom) {
    const r = parseRateLimits(raw);
    if (typeof r === "string") console.error(`${r} Using the default rate limits.`);
    parsed = typeof r === "string" ? DEFAULT_RATE_LIMITS : r;
    parsedFrom = raw;
  }
  return parsed;
}

/**
 * One authenticated request of `account` signed with `accessKeyId`: true (and a token taken from
 * both buckets) when both have one; false, taking nothing, when either is spent.
 */
export function admitSigned(
  limits: RateLimits,
  own: AccountRateLimits | undefined,
  account: string,
  accessKeyId: string,
  now: number,
): boolean {
  const accountRule = effectiveRule(limits.account, own?.account);
  const keyRule = effectiveRule(limits.accessKey, own?.accessKey);
  const a = accountRule ? bucketOf(`a:${account}`, accountRule, now) : undefined;
  const k = keyRule && accessKeyId ? bucketOf(`k:${accessKeyId}`, keyRule, now) : undefined;
  if (a && !hasToken(a, accountRule!, now)) return false;
  if (k && !hasToken(k, keyRule!, now)) return false;
  if (a) a.tokens -= 1;
  if (k) k.tokens -= 1;
  return true;
}

/**
 * Requests without a valid identity are counted per source IP **and the access key id they claim**
 * (a classroom behind one NAT: one learner's script looping on a bad secret throttles that key's
 * attempts, not the class), under a per-IP ceiling of IP_CEILING times the rule for all of them
 * together (rotating claimed key ids buys an attacker no more than that).
 */
export const IP_CEILING = 10;

function ipRules(rule: RateRule): { own: RateRule; all: RateRule } {
  return { own: rule, all: { perSecond: rule.perSecond * IP_CEILING, burst: rule.burst * IP_CEILING } };
}

/** Whether `ip` may still make requests without a valid identity claiming `claimedKey` (checked before authenticating). */
export function sourceIpAllowed(limits: RateLimits, ip: string, now: number, claimedKey = "-"): boolean {
  const rule = limits.sourceIp;
  if (!rule) return true;
  const { own, all } = ipRules(rule);
  return hasToken(bucketOf(`ip:${ip}|${claimedKey}`, own, now), own, now) && hasToken(bucketOf(`ip:${ip}`, all, now), all, now);
}

/** A request of `ip` without a valid identity (anonymous, or failed authentication) spends a token. */
export function spendSourceIp(limits: RateLimits, ip: string, now: number, claimedKey = "-"): void {
  const rule = limits.sourceIp;
  if (!rule) return;
  const { own, all } = ipRules(rule);
  for (const [key, r] of [
    [`ip:${ip}|${claimedKey}`, own],
    [`ip:${ip}`, all],
  ] as const) {
    const b = bucketOf(key, r, now);
    if (hasToken(b, r, now)) b.tokens -= 1;
  }
}

/** Failed admin-token attempts of `ip`: undefined while allowed, else the seconds until the next attempt may be made. */
export function adminLockout(limits: RateLimits, ip: string, now: number): number | undefined {
  const rule = limits.adminFailures;
  if (!rule) return undefined;
  const b = bucketOf(`admin:${ip}`, rule, now);
  return hasToken(b, rule, now) ? undefined : Math.max(1, Math.ceil(waitMs(b, rule) / 1000));
}

export function noteAdminFailure(limits: RateLimits, ip: string, now: number): void {
  const rule = limits.adminFailures;
  if (!rule) return;
  const b = bucketOf(`admin:${ip}`, rule, now);
  if (hasToken(b, rule, now)) b.tokens -= 1;
}

/** Forget every bucket (tests). */
export function resetBuckets(): void {
  buckets.clear();
}

/** A console sign-in attempt of `ip`: true (a token spent) while its allowance lasts. */
export function admitConsoleSignin(limits: RateLimits, ip: string, now: number): boolean {
  const rule = limits.consoleSignin;
  if (!rule) return true;
  const b = bucketOf(`signin:${ip}`, rule, now);
  if (!hasToken(b, rule, now)) return false;
  b.tokens -= 1;
  return true;
}
