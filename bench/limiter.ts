/**
 * The rate limiter's cost per request (issue 22), in process: `npx tsx bench/limiter.ts`.
 * Per-isolate buckets (admitSigned) vs leases from an authority (admitLeased, the exact limits
 * across isolates) with tokens in hand, over 100 accounts × 10 keys; and how many authority calls
 * the leases make per 1,000 requests at the default rules (20/s burst 100 per account, 10/s burst
 * 50 per key) for a caller at its limit.
 */
import { admitSigned } from "../src/limits/rate-limiter";
import { admitLeased, resetLeases, type LeaseSource, type Need } from "../src/limits/leases";
import { DEFAULT_RATE_LIMITS } from "../src/limits/config";

const N = 1_000_000;
const big = { perSecond: 1e6, burst: 1e6 };
const limits = { ...DEFAULT_RATE_LIMITS, account: big, accessKey: big };

function perCall(label: string, f: (i: number) => unknown): void {
  for (let i = 0; i < 50_000; i++) f(i); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(i);
  const us = Number(process.hrtime.bigint() - t) / 1000 / N;
  console.log(`${label}: ${us.toFixed(3)} µs per request`);
}

let calls = 0;
const generous: LeaseSource = {
  lease: async (wants) => {
    calls++;
    return wants.map((w) => w.want);
  },
};
const needs: Need[][] = Array.from({ length: 1000 }, (_, i) => [
  { bucket: `a:${100000000000 + (i % 100)}`, rule: big },
  { bucket: `k:AKIA${i}`, rule: big },
]);
const none = () => {};

async function main(): Promise<void> {
  perCall("per-isolate buckets (admitSigned)", (i) => admitSigned(limits, undefined, `${100000000000 + (i % 100)}`, `AKIA${i % 1000}`, i));
  // Fill every lease first, then time requests that find tokens in hand.
  for (const n of needs) await admitLeased(generous, n, none);
  perCall("leases with tokens in hand (admitLeased)", (i) => admitLeased(generous, needs[i % 1000]!, none));
  // At the default rules, a caller at its limit: how many authority calls per 1,000 admitted requests.
  resetLeases();
  calls = 0;
  const def: Need[] = [
    { bucket: "a:999999999999", rule: DEFAULT_RATE_LIMITS.account! },
    { bucket: "k:AKIADEFAULT", rule: DEFAULT_RATE_LIMITS.accessKey! },
  ];
  const pending: Promise<unknown>[] = [];
  let admitted = 0;
  while (admitted < 1000) {
    const r = admitLeased(generous, def, (p) => pending.push(p));
    if (r === true || (r !== false && (await r))) admitted++;
    await Promise.all(pending.splice(0));
  }
  console.log(`default rules: ${calls} authority calls per 1,000 admitted requests (${(calls / 10).toFixed(1)} %)`);
}

void main();
