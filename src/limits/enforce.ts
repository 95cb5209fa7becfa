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
import { readStoredRateLimits, type AccountRateLimits } from "./config";
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
  if (!admitSigned(limits, own, account, caller.accessKeyId, now)) throw new Throttled();
}

/** Before authenticating: throws Throttled when `sourceIp` spent its allowance of requests without a valid identity. */
export function enforceSourceIp(env: LimiterEnv, sourceIp: string): void {
  if (!sourceIpAllowed(sandboxRateLimits(env), sourceIp, Date.now())) throw new Throttled();
}

/** A failed authentication spends one of the source IP's tokens. */
export function noteFailedAuthentication(env: LimiterEnv, sourceIp: string): void {
  spendSourceIp(sandboxRateLimits(env), sourceIp, Date.now());
}
