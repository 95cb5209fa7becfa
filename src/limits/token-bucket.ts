/**
 * A token bucket, pure: `burst` tokens at most, refilled at `perSecond`; one request takes one.
 * The state is two numbers mutated in place, so a check on the hot path is a few arithmetic
 * operations and no allocation (the limiter keeps one bucket per account, key and source IP).
 */
export interface RateRule {
  /** sustained requests per second */
  perSecond: number;
  /** requests allowed at once after a quiet period (the bucket's size) */
  burst: number;
}

export interface Bucket {
  tokens: number;
  /** ms timestamp of the last refill */
  at: number;
}

export function fullBucket(rule: RateRule, now: number): Bucket {
  return { tokens: rule.burst, at: now };
}

/** Adds what `now - bucket.at` earned, up to the burst. */
export function refill(bucket: Bucket, rule: RateRule, now: number): void {
  const elapsed = now - bucket.at;
  if (elapsed > 0) {
    bucket.tokens = Math.min(rule.burst, bucket.tokens + (elapsed * rule.perSecond) / 1000);
    bucket.at = now;
  } else if (bucket.tokens > rule.burst) bucket.tokens = rule.burst; // the rule was lowered
}

/** Whether a token is there (after refilling); takes nothing. */
export function hasToken(bucket: Bucket, rule: RateRule, now: number): boolean {
  refill(bucket, rule, now);
  return bucket.tokens >= 1;
}

/** Milliseconds until the bucket holds a whole token again (0 when it does). */
export function waitMs(bucket: Bucket, rule: RateRule): number {
  return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 1000) / rule.perSecond);
}
