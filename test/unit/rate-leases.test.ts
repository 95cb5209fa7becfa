/**
 * Exact rate limits across isolates (issue 22), the isolate's side: leases from the account's
 * authoritative buckets (src/limits/leases.ts), driven with an in-process source that behaves like
 * RateLimitDO.lease (all or nothing over one request's buckets).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { admitLeased, chunkOf, resetLeases, type LeaseSource, type Need } from "../../src/limits/leases";
import { fullBucket, refill, type Bucket } from "../../src/limits/token-bucket";
import type { LeaseWant } from "../../src/limits/limiter-do";

/** The object's buckets in process, with a call counter; `clock` is the object's time. */
function authority(clock: { now: number }) {
  const buckets = new Map<string, Bucket>();
  let calls = 0;
  const source: LeaseSource = {
    async lease(wants: LeaseWant[]) {
      calls++;
      const held = wants.map((w) => {
        const b = buckets.get(w.bucket) ?? fullBucket(w.rule, clock.now);
        buckets.set(w.bucket, b);
        refill(b, w.rule, clock.now);
        return b;
      });
      if (held.some((b) => b.tokens < 1)) return wants.map(() => 0);
      return wants.map((w, i) => {
        const g = Math.max(1, Math.min(Math.floor(held[i]!.tokens), w.want));
        held[i]!.tokens -= g;
        return g;
      });
    },
  };
  return { source, calls: () => calls };
}

const background: Promise<unknown>[] = [];
const run = (p: Promise<unknown>) => void background.push(p);
async function admit(source: LeaseSource, needs: Need[]): Promise<boolean> {
  const r = admitLeased(source, needs, run);
  const ok = r === true || (r !== false && (await r));
  await Promise.all(background.splice(0));
  return ok;
}

beforeEach(() => resetLeases());

describe("lease chunks", () => {
  it.each([
    [{ perSecond: 20, burst: 100 }, 20],
    [{ perSecond: 10, burst: 50 }, 10],
    [{ perSecond: 1, burst: 10 }, 1],
    [{ perSecond: 5, burst: 10 }, 2],
    [{ perSecond: 1000, burst: 8 }, 2],
    [{ perSecond: 0.001, burst: 1 }, 1],
  ])("%j leases %i tokens at a time", (rule, chunk) => {
    expect(chunkOf(rule)).toBe(chunk);
  });
});

describe("admission through leases", () => {
  it("two isolates' worth of callers sharing one authority admit exactly the burst, not twice it", async () => {
    const clock = { now: 0 }; // the object's clock stands still: no refill
    const { source } = authority(clock);
    const need: Need[] = [{ bucket: "a:111111111111", rule: { perSecond: 0.001, burst: 20 } }];
    let admitted = 0;
    for (let i = 0; i < 60; i++) {
      // Alternating "isolates" is the same as one here: the authority is what bounds them.
      if (i % 2) resetLeases();
      if (await admit(source, need)) admitted++;
    }
    expect(admitted).toBeLessThanOrEqual(20);
  });

  it("spends leased tokens locally: one object call per chunk, not per request", async () => {
    const { source, calls } = authority({ now: 0 });
    const need: Need[] = [{ bucket: "a:222222222222", rule: { perSecond: 1000, burst: 100_000 } }];
    for (let i = 0; i < 2000; i++) expect(await admit(source, need)).toBe(true);
    // chunk 1,000: about 2000 / 1000 leases (+ a prefetch or two).
    expect(calls()).toBeLessThanOrEqual(4);
  });

  it("is all or nothing: an empty key bucket takes no token from the account's", async () => {
    const clock = { now: 0 };
    const { source } = authority(clock);
    const account = { bucket: "a:333333333333", rule: { perSecond: 0.001, burst: 3 } };
    const key = (k: string) => ({ bucket: `k:${k}`, rule: { perSecond: 0.001, burst: 1 } });
    expect(await admit(source, [account, key("AKIA1")])).toBe(true);
    expect(await admit(source, [account, key("AKIA1")])).toBe(false); // key spent
    expect(await admit(source, [account, key("AKIA2")])).toBe(true); // the account still had its tokens
    expect(await admit(source, [account, key("AKIA3")])).toBe(true);
    expect(await admit(source, [account, key("AKIA4")])).toBe(false); // account spent
  });

  it("drops a lease granted under another rule (an account's limit changed)", async () => {
    const { source } = authority({ now: 0 });
    const generous = { bucket: "a:555555555555", rule: { perSecond: 1000, burst: 100_000 } };
    expect(await admit(source, [generous])).toBe(true); // 1,000 tokens now in hand
    const tight = { bucket: "a:555555555555", rule: { perSecond: 0.001, burst: 2 } };
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await admit(source, [tight]));
    // The object's bucket still holds the generous rule's tokens, but the tight rule caps it at 2.
    expect(outcomes.filter(Boolean).length).toBeLessThanOrEqual(2);
  });

  it("propagates the object's failure to the caller (enforce.ts then falls back to the isolate's own bucket)", async () => {
    const failing: LeaseSource = { lease: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) };
    await expect(admit(failing, [{ bucket: "a:444444444444", rule: { perSecond: 1, burst: 5 } }])).rejects.toThrow(/reset/);
  });
});
