/**
 * The authoritative rate-limit buckets of one account (issue 22): one Durable Object per account
 * (`idFromName(accountId)`) holds the account's bucket and its access keys' buckets, in memory.
 * Isolates do not ask it per request: they lease a few tokens at a time (src/limits/leases.ts) and
 * spend them locally, so however many isolates serve an account, together they never admit more
 * than the bucket holds — the limit is exact across isolates and colos.
 *
 * In memory only: an object evicted after a quiet period starts with full buckets, which is what a
 * quiet period would have given anyway. A lease is all-or-nothing over the buckets of one request
 * (account and key): no token is taken from one when another is empty.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fullBucket, refill, type Bucket, type RateRule } from "./token-bucket";

export interface LeaseWant {
  /** bucket name: `a:<account>` or `k:<access key id>` */
  bucket: string;
  rule: RateRule;
  /** tokens wanted (≥ 1) */
  want: number;
}

export class RateLimitDO extends DurableObject<Env> {
  private readonly buckets = new Map<string, Bucket>();

  /** Grants per wanted bucket: 0 for all when any bucket has no whole token, else up to each want. */
  async lease(wants: LeaseWant[]): Promise<number[]> {
    const now = Date.now();
    const held = wants.map((w) => {
      let b = this.buckets.get(w.bucket);
      if (!b) {
        b = fullBucket(w.rule, now);
        this.buckets.set(w.bucket, b);
      }
      refill(b, w.rule, now);
      return b;
    });
    if (held.some((b) => b.tokens < 1)) return wants.map(() => 0);
    return wants.map((w, i) => {
      const b = held[i]!;
      const granted = Math.max(1, Math.min(Math.floor(b.tokens), Math.floor(w.want)));
      b.tokens -= granted;
      return granted;
    });
  }

  async ping(): Promise<string> {
    return "ok";
  }
}
