/**
 * Where the pipeline asks the limiter (src/app.ts): after authentication, per account and access
 * key; before authentication, per source IP for requests without a valid identity. Throws
 * Throttled (the pipeline answers in the service's words: throttling-errors.ts).
 *
 * An account's own rules (admin API) come from an isolate cache: the first request of an account
 * in an isolate reads them (one small D1 query); afterwards they are served from memory and
 * reloaded behind the response once older than IAMLAB_AUTH_CACHE_MS — never on the hot path. A
 * change through the admin API applies at once in its isolate, elsewhere within that bound.
 */
import type { Caller } from "../auth/caller";
import type { Db } from "../store/db";
import { getAccountRateLimits } from "../store/account-limits";
import { BoundedMap } from "../lib/bounded";
import { effectiveRule, readStoredRateLimits, type AccountRateLimits, type RateLimits } from "./config";
import { admitLeased, type Need } from "./leases";
import type { LeaseWant, RateLimitDO } from "./limiter-do";
import { durableStub } from "../lib/durable";
import { admitSigned, sandboxRateLimits, sourceIpAllowed, spendSourceIp } from "./rate-limiter";
import { Throttled } from "./throttling-errors";

interface Own {
  value: AccountRateLimits | undefined;
  loadedAt: number;
  refreshing: boolean;
}

const ownLimits = new BoundedMap<string, Own>(20_000, 8 * 1024 * 1024, (_v, k) => 256 + 2 * k.length);

async function loadOwn(db: Db, account: string): Promise<Own> {
  const row = await getAccountRateLimits(db, account);
  const own: Own = { value: readStoredRateLimits(row?.json), loadedAt: Date.now(), refreshing: false };
  ownLimits.set(account, own);
  return own;
}

async function ownRulesOf(
  db: Db,
  account: string,
  ttlMs: number,
  background: (p: Promise<unknown>) => void,
): Promise<AccountRateLimits | undefined> {
  const hit = ownLimits.get(account);
  if (!hit) return (await loadOwn(db, account)).value;
  if (!hit.refreshing && Date.now() - hit.loadedAt >= ttlMs) {
    hit.refreshing = true;
    background(loadOwn(db, account).catch(() => (hit.refreshing = false)));
  }
  return hit.value;
}

/** After the admin API changed (or the account lost) its own rules, in this isolate: read them again. */
export function forgetAccountRateLimits(account: string): void {
  ownLimits.delete(account);
}

export interface LimiterEnv {
  IAMLAB_RATE_LIMITS?: string;
  /** the accounts' authoritative buckets (exact limits across isolates); without it each isolate counts alone */
  RATE_LIMITS?: DurableObjectNamespace<RateLimitDO>;
}

let fallbackLoggedAt = 0;

/**
 * The account's and key's buckets through leases from the account's RateLimitDO; when the object
 * fails, this isolate's own buckets decide (fail open to the per-isolate limit: see leases.ts).
 */
async function admitShared(
  ns: DurableObjectNamespace<RateLimitDO>,
  limits: RateLimits,
  own: AccountRateLimits | undefined,
  account: string,
  accessKeyId: string,
  now: number,
  background: (p: Promise<unknown>) => void,
): Promise<boolean> {
  const needs: Need[] = [];
  const accountRule = effectiveRule(limits.account, own?.account);
  const keyRule = effectiveRule(limits.accessKey, own?.accessKey);
  if (accountRule) needs.push({ bucket: `a:${account}`, rule: accountRule });
  if (keyRule && accessKeyId) needs.push({ bucket: `k:${accessKeyId}`, rule: keyRule });
  if (needs.length === 0) return true;
  try {
    // The stub is made only when a lease is fetched: a request with tokens in hand touches no object.
    const source = { lease: (wants: LeaseWant[]) => durableStub(ns, account, "RATE_LIMITS").lease(wants) };
    const ok = admitLeased(source, needs, background);
    return ok === true || (ok !== false && (await ok));
  } catch (e) {
    if (now - fallbackLoggedAt > 60_000) {
      fallbackLoggedAt = now;
      console.error("rate limiter object unavailable; this isolate's own buckets decide:", e instanceof Error ? e.message : e);
    }
    return admitSigned(limits, own, account, accessKeyId, now);
  }
}

/** One authenticated (or anonymous) request: throws Throttled when its account, key or source IP is over its rule. */
export async function enforceRateLimit(
  env: LimiterEnv,
  db: Db,
  caller: Caller,
  sourceIp: string,
  ttlMs: number,
  background: (p: Promise<unknown>) => void,
): Promise<void> {
  const limits = sandboxRateLimits(env);
  const now = Date.now();
  if (caller.principal.kind === "anonymous") {
    if (!sourceIpAllowed(limits, sourceIp, now)) throw new Throttled();
    spendSourceIp(limits, sourceIp, now);
    return;
  }
  const account = caller.principal.account;
  const own = await ownRulesOf(db, account, Math.max(ttlMs, 1000), background);
  const admitted = env.RATE_LIMITS
    ? await admitShared(env.RATE_LIMITS, limits, own, account, caller.accessKeyId, now, background)
    : admitSigned(limits, own, account, caller.accessKeyId, now);
  if (!admitted) throw new Throttled();
}

/**
 * Before authenticating: throws Throttled when `sourceIp` spent its allowance of requests without a
 * valid identity claiming `claimedKey` (the request's access key id; anonymous: none), or all of them.
 */
export function enforceSourceIp(env: LimiterEnv, sourceIp: string, claimedKey?: string): void {
  if (!sourceIpAllowed(sandboxRateLimits(env), sourceIp, Date.now(), claimedKey)) throw new Throttled();
}

/** A failed authentication spends one of the source IP's tokens (for the key it claimed, and of the IP's ceiling). */
export function noteFailedAuthentication(env: LimiterEnv, sourceIp: string, claimedKey?: string): void {
  spendSourceIp(sandboxRateLimits(env), sourceIp, Date.now(), claimedKey);
}
