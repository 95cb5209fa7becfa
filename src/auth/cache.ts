/**
 * The isolate's cache of what authentication reads from D1 (access-key rows, session liveness),
 * so a warm request pays no D1 round trip. Correctness:
 * - every IAM write in this isolate invalidates its account at once (`invalidateAccount`), so with
 *   one isolate (the local sandbox, the tests) a change is visible to the very next request;
 * - other isolates of a deployed Worker see a change within the TTL (IAMLAB_AUTH_CACHE_MS, default
 *   1000 ms; 0 disables the cache) — a bounded, honest eventual consistency, as IAM itself has.
 * Misses are not cached (a new key must work at once). Times are real time, not the sandbox clock.
 */
import { setBounded } from "../lib/bounded";

interface Entry<T> { value: T; expires: number; epoch: number }

const entries = new Map<string, Entry<unknown>>();
const epochs = new Map<string, number>();
const MAX = 10_000;

function epochOf(account: string): number {
  return epochs.get(account) ?? 0;
}

/** The scope of an account's root-key rows (see authenticate.ts keyCacheScope). */
export function rootKeyScope(account: string): string {
  return `${account}#root`;
}

/**
 * The scope of an account's cached IAM read results. Reads also show last-used data (access keys,
 * roles, Access Advisor), which traffic writes behind the response: those writes drop the reads
 * only, not the keys and sessions that authentication caches.
 */
export function readScope(account: string): string {
  return `${account}#reads`;
}

/** IAM actions that can change a root key row (root manages its own keys without a UserName). */
const ROOT_KEY_ACTIONS = new Set(["CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"]);

/** After an IAM write: drop the account's cached data, and its root keys when the action can touch them. */
export function invalidateAfterWrite(account: string, action: string): void {
  invalidateAccount(account);
  invalidateAccount(readScope(account));
  if (ROOT_KEY_ACTIONS.has(action)) invalidateAccount(rootKeyScope(account));
}

/** Everything cached for the account, whatever its scope (admin changes, account deletion). */
export function invalidateEverything(account: string): void {
  invalidateAccount(account);
  invalidateAccount(readScope(account));
  invalidateAccount(rootKeyScope(account));
}

/** Drops everything cached for `account` (its keys, sessions, generation). */
export function invalidateAccount(account: string): void {
  epochs.set(account, epochOf(account) + 1);
}

export async function cachedLookup<T>(
  key: string,
  ttlMs: number,
  accountOf: (v: T) => string | undefined,
  load: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const now = Date.now();
  const hit = entries.get(key) as Entry<T> | undefined;
  if (hit && hit.expires > now) {
    const account = accountOf(hit.value);
    if (account !== undefined && hit.epoch === epochOf(account)) return hit.value;
  }
  const value = await load();
  if (value === undefined || ttlMs <= 0) {
    entries.delete(key);
    return value;
  }
  const account = accountOf(value);
  if (account === undefined) return value;
  setBounded(entries, key, { value, expires: now + ttlMs, epoch: epochOf(account) }, MAX);
  return value;
}

export function authCacheTtl(env: { IAMLAB_AUTH_CACHE_MS?: string }): number {
  const raw = env.IAMLAB_AUTH_CACHE_MS;
  if (raw === undefined || raw === "") return 1000;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 1000;
}

/** A value cached for `account` and still valid (same epoch, within its TTL), or undefined. */
export function peek<T>(key: string, account: string): T | undefined {
  const hit = entries.get(key) as Entry<T> | undefined;
  if (!hit) return undefined;
  if (hit.expires <= Date.now() || hit.epoch !== epochOf(account)) {
    entries.delete(key);
    return undefined;
  }
  return hit.value;
}

export function remember<T>(key: string, account: string, value: T, ttlMs: number): void {
  if (ttlMs <= 0) return;
  setBounded(entries, key, { value, expires: Date.now() + ttlMs, epoch: epochOf(account) }, MAX);
}
