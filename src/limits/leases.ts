/**
 * Exact rate limits across isolates (issue 22), the isolate's side: tokens are leased in small
 * chunks from the account's RateLimitDO (limiter-do.ts) and spent locally. A request with tokens in
 * hand makes no call at all; when a lease runs below half its chunk, the next chunk is fetched
 * behind the response; only a request that finds a lease empty waits for the object.
 *
 * Bound: in any window the isolates together admit at most what the bucket gave out in it (burst +
 * rate × t) plus what they held when it began — at most two chunks per isolate. Chunks are one
 * second of the rule's rate, at most a quarter of its burst, so a caller at its limit costs one
 * object call per chunk (≈ 10 % of requests at the default rules), made behind a response. A lease
 * remembers the rule it was granted under: when an account's rule changes, its leases are dropped.
 * Tokens in hand that are never spent (the caller moved to another isolate) are lost, which makes
 * the limit stricter, never looser.
 *
 * When the object cannot answer (reset, overloaded), the isolate falls back to its own bucket
 * (rate-limiter.ts): throttling protects the class's shared capacity, it is not an authorization
 * decision, so it fails open to the per-isolate limit rather than refusing every request.
 */
import { BoundedMap } from "../lib/bounded";
import type { LeaseWant } from "./limiter-do";
import type { RateRule } from "./token-bucket";

/** Tokens one lease asks for: one second of the rule's rate, 1 to a quarter of its burst. */
export function chunkOf(rule: RateRule): number {
  return Math.max(1, Math.min(Math.ceil(rule.perSecond), Math.floor(rule.burst / 4)));
}

interface Lease {
  tokens: number;
  rule: RateRule;
}

const leases = new BoundedMap<string, Lease>(100_000, 16 * 1024 * 1024, (_l, k) => 64 + 2 * k.length);
const inflight = new Map<string, Promise<boolean>>();

/** Where leases come from: the account's RateLimitDO (a stub, or a fake in unit tests). */
export interface LeaseSource {
  lease(wants: LeaseWant[]): Promise<number[]>;
}

export interface Need {
  bucket: string;
  rule: RateRule;
}

function tokensOf(n: Need): number {
  const l = leases.get(n.bucket);
  return l && l.rule.perSecond === n.rule.perSecond && l.rule.burst === n.rule.burst ? l.tokens : 0;
}

function spend(needs: Need[]): void {
  for (const n of needs) leases.get(n.bucket)!.tokens -= 1;
}

/** Asks the object for a chunk of each bucket in `needs`; true when it granted them (all or nothing). */
function fetchLeases(source: LeaseSource, needs: Need[]): Promise<boolean> {
  const key = needs.map((n) => n.bucket).join("|");
  const running = inflight.get(key);
  if (running) return running;
  const p = source
    .lease(needs.map((n) => ({ bucket: n.bucket, rule: n.rule, want: chunkOf(n.rule) })))
    .then((granted) => {
      if (granted.some((g) => g < 1)) return false;
      for (const [i, n] of needs.entries()) leases.set(n.bucket, { tokens: tokensOf(n) + granted[i]!, rule: n.rule });
      return true;
    })
    .finally(() => inflight.delete(key));
  inflight.set(key, p);
  return p;
}

/**
 * One request needing a token of every bucket in `needs`: true (spent) or false (throttled), or a
 * promise of that when a lease had to be fetched first. `background` runs the prefetch of the next
 * chunk behind the response. Throws when the object fails (the caller falls back).
 */
export function admitLeased(source: LeaseSource, needs: Need[], background: (p: Promise<unknown>) => void): boolean | Promise<boolean> {
  const empty = needs.filter((n) => tokensOf(n) < 1);
  if (empty.length === 0) {
    spend(needs);
    // One call refills every bucket of the request once any runs low (not one call per bucket).
    if (needs.some((n) => tokensOf(n) < chunkOf(n.rule) / 2)) background(fetchLeases(source, needs).catch(() => false));
    return true;
  }
  return fetchLeases(source, empty).then((granted) => {
    if (!granted || needs.some((n) => tokensOf(n) < 1)) return false;
    spend(needs);
    return true;
  });
}

/** Forget every lease (tests). */
export function resetLeases(): void {
  leases.clear();
  inflight.clear();
}
