/**
 * The isolate's cache of what authentication reads from D1 (access-key rows, session liveness),
 * so a warm request pays no D1 round trip. Correctness:
 * - every IAM write in this isolate invalidates its account at once (`invalidateAccount`), so with
 *   one isolate (the local sandbox, the tests) a change is visible to the very next request;
 * - other isolates of a deployed Worker see a change within the TTL (IAMLAB_AUTH_CACHE_MS, default
 *   1000 ms; 0 disables the cache) — a bounded, honest eventual consistency, as IAM itself has.
 *   The local sandbox is one isolate, so `npm start` uses a longer TTL (src/tools/sandbox.ts): there
 *   it only bounds changes made behind the Worker's back (`wrangler d1 execute --local`).
 * Misses are not cached (a new key must work at once). Times are real time, not the sandbox clock.
 */
import { BoundedMap, estimateBytes } from "../lib/bounded";

interface Entry<T> { value: T; expires: number; epoch: number; refreshing?: boolean }

// Bounded in count and in bytes (IAM read results can be large; one isolate serves every tenant).
const MAX = 10_000;
const MAX_BYTES = 24 * 1024 * 1024;
const entries = new BoundedMap<string, Entry<unknown>>(MAX, MAX_BYTES, (e, k) => 2 * k.length + estimateBytes(e.value));
const epochs = new Map<string, number>();

// Bumped when everything must go (the test clock moved: cached reads may depend on "now"). Epochs
// only grow, so the sum never repeats a value an entry was stored with.
let globalEpoch = 0;
// Counts invalidations of what cachedLookup holds (keys, roles, sessions; not IAM reads, which have
// their own tickets): a load that overlapped one may have read the state before a write.
let invalidations = 0;

function epochOf(account: string): number {
  return (epochs.get(account) ?? 0) + globalEpoch;
}

/** Drops everything cached in this isolate, for every account. */
export function invalidateAll(): void {
  globalEpoch++;
  invalidations++;
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
  return `${account}${READS}`;
}
const READS = "#reads";

/** After an IAM write: drop the account's cached data, and its root keys when the action can touch them (effect `rootKeys`). */
export function invalidateAfterWrite(account: string, effect: "write" | "permissions" | "rootKeys" | "read" | "none"): void {
  invalidateAccount(account);
  invalidateAccount(readScope(account));
  if (effect === "rootKeys") invalidateAccount(rootKeyScope(account));
}

/** Everything cached for the account, whatever its scope (admin changes, account deletion). */
export function invalidateEverything(account: string): void {
  invalidateAccount(account);
  invalidateAccount(readScope(account));
  invalidateAccount(rootKeyScope(account));
}

/** Drops everything cached for `account` (its keys, sessions, generation). */
export function invalidateAccount(account: string): void {
  epochs.set(account, (epochs.get(account) ?? 0) + 1);
  if (!account.endsWith(READS)) invalidations++;
}

export async function cachedLookup<T>(
  key: string,
  ttlMs: number,
  accountOf: (v: T) => string | undefined,
  load: () => Promise<T | undefined>,
  background?: (p: Promise<unknown>) => void,
): Promise<T | undefined> {
  const now = Date.now();
  const hit = entries.get(key) as Entry<T> | undefined;
  if (hit && hit.expires > now) {
    const account = accountOf(hit.value);
    if (account !== undefined && hit.epoch === epochOf(account)) {
      // Refresh ahead: an entry in use past half its lifetime is reloaded behind the response, so
      // steady traffic never waits for D1 and a change elsewhere still shows within the TTL.
      if (background && dueForRefresh(hit, now, ttlMs)) {
        hit.refreshing = true;
        background(refresh(key, hit, account, ttlMs, accountOf, load));
      }
      return hit.value;
    }
  }
  const before = invalidations;
  const value = await load();
  if (value === undefined || ttlMs <= 0) {
    entries.delete(key);
    return value;
  }
  const account = accountOf(value);
  // A write landed while we were reading: what we read may predate it, so it is used, not kept.
  if (account === undefined || invalidations !== before) return value;
  entries.set(key, { value, expires: now + ttlMs, epoch: epochOf(account) });
  return value;
}

/** Past half its lifetime and not being reloaded yet (entries live `ttlMs` from when they were loaded). */
function dueForRefresh(hit: Entry<unknown>, now: number, ttlMs: number): boolean {
  return !hit.refreshing && now - (hit.expires - ttlMs) >= ttlMs / 2;
}

async function refresh<T>(key: string, hit: Entry<T>, account: string, ttlMs: number, accountOf: (v: T) => string | undefined, load: () => Promise<T | undefined>): Promise<void> {
  const started = Date.now();
  try {
    const value = await load();
    // A write in this isolate meanwhile (new epoch) or a newer entry wins over what was read.
    if (entries.get(key) !== hit || epochOf(account) !== hit.epoch) return;
    if (value === undefined || accountOf(value) !== account) entries.delete(key);
    else entries.set(key, { value, expires: started + ttlMs, epoch: hit.epoch });
  } catch {
    hit.refreshing = false; // the entry stays until it expires; the next request may try again
  }
}

export function authCacheTtl(env: { IAMLAB_AUTH_CACHE_MS?: string }): number {
  const raw = env.IAMLAB_AUTH_CACHE_MS;
  if (raw === undefined || raw === "") return 1000;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 1000;
}

/** When a cached value is due for a refresh ahead: the epoch and time the reload started from. */
export interface RefreshTicket { key: string; account: string; epoch: number; started: number }

/**
 * A value cached for `account` and still valid (same epoch, within its TTL), or undefined. With
 * `ttlMs`, an entry past half its life also comes with a ticket (once at a time): the caller reloads
 * it behind the response and hands the ticket to `remember` (or `forget` when the reload fails).
 */
export function peek<T>(key: string, account: string, ttlMs?: number): { value: T; refresh?: RefreshTicket } | undefined {
  const hit = entries.get(key) as Entry<T> | undefined;
  if (!hit) return undefined;
  const now = Date.now();
  if (hit.expires <= now || hit.epoch !== epochOf(account)) {
    entries.delete(key);
    return undefined;
  }
  if (ttlMs !== undefined && dueForRefresh(hit, now, ttlMs)) {
    hit.refreshing = true;
    return { value: hit.value, refresh: { key, account, epoch: hit.epoch, started: now } };
  }
  return { value: hit.value };
}

/** A ticket for a value about to be read from D1: `remember` keeps it only if no write to the account came in between. */
export function readTicket(key: string, account: string): RefreshTicket {
  return { key, account, epoch: epochOf(account), started: Date.now() };
}

/** Caches `value`; with a ticket, only if nothing was written to the account since it was issued. */
export function remember<T>(key: string, account: string, value: T, ttlMs: number, ticket?: RefreshTicket): void {
  if (ttlMs <= 0) return;
  if (ticket && epochOf(account) !== ticket.epoch) return;
  entries.set(key, { value, expires: (ticket?.started ?? Date.now()) + ttlMs, epoch: epochOf(account) });
}

export function forget(key: string): void {
  entries.delete(key);
}
