/**
 * The isolate's caches, in one place and one vocabulary. One isolate serves every tenant, so every
 * cache is bounded in entries and in bytes (BoundedMap, src/lib/bounded.ts: evict-oldest).
 *
 * Vocabulary
 * - scope: what an entry's validity depends on — an account's IAM state (`account`), its IAM read
 *   answers (`reads`: also last-used data), or its root keys (`rootKeys`);
 * - epoch: a per-scope counter bumped by every invalidation of that scope; an entry remembers the
 *   epoch it was stored under and is dead once its scope's epoch moved (plus a global epoch for
 *   "everything": the clock moved);
 * - TTL: how long an entry may serve changes made behind this isolate's back (other isolates,
 *   `wrangler d1 execute`): IAMLAB_AUTH_CACHE_MS, default 1 s (local sandbox 10 s); entries in use past
 *   half their life are reloaded behind the response (refresh ahead);
 * - generation: D1's per-account counter bumped with every permission-relevant write (the store's
 *   write batch adds the bump from the action's effect: src/store/write.ts); caches keyed by it
 *   (compiled principal policies, consistency snapshots) never need invalidating.
 *
 * | cache                      | key                                   | scope / validity          | TTL      | bound               | invalidated by |
 * |----------------------------|---------------------------------------|---------------------------|----------|---------------------|----------------|
 * | entries (this module)      | `key:<id>` access-key rows            | account, or rootKeys (root keys of accounts without consistency) | TTL | 10,000 / 24 MiB | afterAction, afterAdminChange, afterClockMove |
 * |                            | `role:<acct>/<name>` AssumeRole roles | account                   | TTL      |                     | afterAction, … |
 * |                            | `live:<acct>:<kind>:<id>` session liveness | account              | TTL      |                     | afterAction, … |
 * |                            | `quiet:<acct>` consistency "nothing pending at G" | account       | TTL      |                     | afterAction, afterLaggingWriteLogged, … |
 * |                            | `read\|<acct>\|<caller>\|<action>\|<input>` IAM read answers | reads | TTL |         | afterAction, afterUsageBookkeeping, … |
 * | principal policies (authz/authorize.ts) | account/kind/entity/generation | generation         | –        | 2,048 / 12 MiB      | – (a new generation misses) |
 * | compiled policies (policy/cache.ts) | policy id @ version or content hash | immutable          | –        | 4,096 / 16 MiB      | – |
 * | session records (sessions/resolver.ts) | session id                      | until the session expires | –     | 10,000 / 8 MiB      | forgetSession (revocation) |
 * | snapshots (consistency/client.ts) | account/generation                | immutable                 | –        | 256 / 24 MiB        | – |
 * | signing keys (auth/sigv4.ts) | date/region/service/secret          | immutable                 | –        | 2,048 / 4 MiB       | – |
 * | token MAC keys (sessions/token.ts) | secret                         | immutable                 | –        | 16                  | – |
 * | data-plane rows (services/data-rows.ts) | `sqs:<acct>/<name>` queues, `kms:<keyId>` keys, `kms-alias:…` | data (the resource owner's) | TTL | (entries) | afterDataWrite (the store's own writes), afterAction, afterAdminChange |
 * | decisions (authz/decisions.ts) | decision id                       | a day (D1 holds them)     | –        | 200 per account, 2,000 in all | account deletion |
 * | last-used memo (services/usage.ts) | key/entity, minute             | the minute                | –        | 20,000 / 4 MiB      | – |
 * | lower-cased context keys (policy/context.ts) | key name             | immutable                 | –        | 4,096               | – |
 * | rate-limit buckets (limits/rate-limiter.ts) | account / key / IP   | refilled over time        | –        | 100,000 / 32 MiB    | – (an evicted bucket starts full) |
 * | rate-limit leases (limits/leases.ts) | account / key bucket          | until spent; rule-tagged  | –        | 100,000 / 16 MiB    | – (an evicted lease's tokens are lost: stricter) |
 * | accounts' own limits (limits/enforce.ts) | account                   | refreshed behind requests | –        | 20,000 / 8 MiB      | admin limits API |
 *
 * The byte bounds below are declarations (about 171 MiB in all): the isolate scales them by one factor to
 * fit IAMLAB_CACHE_MB (default 48 MiB; a Worker isolate has 128 MB), src/lib/bounded.ts setCacheBudget.
 * Misses are not cached (a new key must work at once). Times are real time, not the sandbox clock.
 */
import { BoundedMap, estimateBytes } from "../lib/bounded";

/**
 * What an action does to its account's IAM state (declared by every action, src/services/action.ts):
 * `read` (its answer may be cached), `none` (changes nothing IAM holds, never cached), `write`,
 * `permissions` (changes who can do what), `rootKeys` (may change the account's root keys).
 */
export type ActionEffect = "read" | "none" | "write" | "permissions" | "rootKeys";

/** What an entry's validity depends on. */
export interface Scope {
  kind: "account" | "reads" | "rootKeys" | "data";
  account: string;
}

export const scopes = {
  /** The account's IAM state: keys, roles, sessions' liveness, consistency markers. */
  account: (account: string): Scope => ({ kind: "account", account }),
  /** The account's cached IAM read answers (they also show last-used data, written behind responses). */
  reads: (account: string): Scope => ({ kind: "reads", account }),
  /** Root key rows of accounts without eventual consistency: only the access-key actions change them. */
  rootKeys: (account: string): Scope => ({ kind: "rootKeys", account }),
  /**
   * The account's data-plane resource rows (SQS queues, KMS keys and aliases) as the warm paths of
   * SendMessage / Encrypt read them: dropped by any write to one of them in this isolate.
   */
  data: (account: string): Scope => ({ kind: "data", account }),
};

interface Entry<T> {
  value: T;
  expires: number;
  epoch: number;
  refreshing?: boolean;
}

const entries = new BoundedMap<string, Entry<unknown>>(10_000, 24 * 1024 * 1024, (e, k) => 2 * k.length + estimateBytes(e.value));
// One counter per (kind, account); bounded by the number of accounts (created by the admin API only).
const epochs = new Map<string, number>();

// Bumped when everything must go. Epochs only grow, so the sum never repeats a value an entry was stored with.
let globalEpoch = 0;
// Counts invalidations of what cachedLookup holds (keys, roles, sessions; not reads, which have
// their own tickets): a load that overlapped one may have read the state before a write.
let invalidations = 0;

function scopeKey(s: Scope): string {
  return `${s.kind}:${s.account}`;
}

function epochOf(s: Scope): number {
  return (epochs.get(scopeKey(s)) ?? 0) + globalEpoch;
}

function bump(s: Scope): void {
  const k = scopeKey(s);
  epochs.set(k, (epochs.get(k) ?? 0) + 1);
  if (s.kind !== "reads") invalidations++;
}

// ---- invalidation, named by cause ---------------------------------------------------------------

/** After an action of `effect` ran (or failed) in this isolate: its account's state and reads may have changed. */
export function afterAction(account: string, effect: ActionEffect): void {
  if (effect === "read" || effect === "none") return;
  bump(scopes.account(account));
  bump(scopes.reads(account));
  bump(scopes.data(account));
  if (effect === "rootKeys") bump(scopes.rootKeys(account));
}

/** After a queue, key or alias of `account` (the resource owner) was written in this isolate. */
export function afterDataWrite(account: string): void {
  bump(scopes.data(account));
}

/** After a lagging account's write was logged with its Durable Object: anything cached in between is stale. */
export function afterLaggingWriteLogged(account: string): void {
  bump(scopes.account(account));
}

/** After last-used bookkeeping (key use, RoleLastUsed, Access Advisor) was written: only read answers show it. */
export function afterUsageBookkeeping(account: string): void {
  bump(scopes.reads(account));
}

/** After the admin API changed an account (consistency mode, deletion, re-creation): everything of it. */
export function afterAdminChange(account: string): void {
  bump(scopes.account(account));
  bump(scopes.reads(account));
  bump(scopes.data(account));
  bump(scopes.rootKeys(account));
}

/** After the sandbox clock moved: cached reads may depend on "now" (report ages, key ages) — everything goes. */
export function afterClockMove(): void {
  globalEpoch++;
  invalidations++;
}

// ---- lookups -----------------------------------------------------------------------------------

/** The TTL in ms (IAMLAB_AUTH_CACHE_MS; default 1000, 0 = no caching). */
export function authCacheTtl(env: { IAMLAB_AUTH_CACHE_MS?: string }): number {
  const raw = env.IAMLAB_AUTH_CACHE_MS;
  if (raw === undefined || raw === "") return 1000;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 1000;
}

/**
 * A value loaded through the cache: a valid entry is returned (and refreshed ahead past half its
 * life, through `background`); else `load` runs, and its value is kept unless an invalidation
 * overlapped the load (then it is used, not kept).
 */
export async function cachedLookup<T>(
  key: string,
  ttlMs: number,
  scopeOf: (v: T) => Scope | undefined,
  load: () => Promise<T | undefined>,
  background?: (p: Promise<unknown>) => void,
): Promise<T | undefined> {
  const now = Date.now();
  const hit = entries.get(key) as Entry<T> | undefined;
  if (hit && hit.expires > now) {
    const scope = scopeOf(hit.value);
    if (scope !== undefined && hit.epoch === epochOf(scope)) {
      if (background && dueForRefresh(hit, now, ttlMs)) {
        hit.refreshing = true;
        background(refresh(key, hit, scope, ttlMs, scopeOf, load));
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
  const scope = scopeOf(value);
  // A write landed while we were reading: what we read may predate it, so it is used, not kept.
  if (scope === undefined || invalidations !== before) return value;
  entries.set(key, { value, expires: now + ttlMs, epoch: epochOf(scope) });
  return value;
}

/** Past half its lifetime and not being reloaded yet (entries live `ttlMs` from when they were loaded). */
function dueForRefresh(hit: Entry<unknown>, now: number, ttlMs: number): boolean {
  return !hit.refreshing && now - (hit.expires - ttlMs) >= ttlMs / 2;
}

async function refresh<T>(
  key: string,
  hit: Entry<T>,
  scope: Scope,
  ttlMs: number,
  scopeOf: (v: T) => Scope | undefined,
  load: () => Promise<T | undefined>,
): Promise<void> {
  const started = Date.now();
  try {
    const value = await load();
    // A write in this isolate meanwhile (new epoch) or a newer entry wins over what was read.
    if (entries.get(key) !== hit || epochOf(scope) !== hit.epoch) return;
    const now = value === undefined ? undefined : scopeOf(value);
    if (now === undefined || scopeKey(now) !== scopeKey(scope)) entries.delete(key);
    else entries.set(key, { value, expires: started + ttlMs, epoch: hit.epoch });
  } catch {
    hit.refreshing = false; // the entry stays until it expires; the next request may try again
  }
}

/** When a cached value is due for a refresh ahead: the epoch and time the reload started from. */
export interface RefreshTicket {
  key: string;
  scope: Scope;
  epoch: number;
  started: number;
}

/**
 * A value cached under `scope` and still valid (same epoch, within its TTL), or undefined. With
 * `ttlMs`, an entry past half its life also comes with a ticket (once at a time): the caller reloads
 * it behind the response and hands the ticket to `remember` (or `forget` when the reload fails).
 */
export function peek<T>(key: string, scope: Scope, ttlMs?: number): { value: T; refresh?: RefreshTicket } | undefined {
  const hit = entries.get(key) as Entry<T> | undefined;
  if (!hit) return undefined;
  const now = Date.now();
  if (hit.expires <= now || hit.epoch !== epochOf(scope)) {
    entries.delete(key);
    return undefined;
  }
  if (ttlMs !== undefined && dueForRefresh(hit, now, ttlMs)) {
    hit.refreshing = true;
    return { value: hit.value, refresh: { key, scope, epoch: hit.epoch, started: now } };
  }
  return { value: hit.value };
}

/** A ticket for a value about to be read from D1: `remember` keeps it only if nothing invalidated its scope in between. */
export function readTicket(key: string, scope: Scope): RefreshTicket {
  return { key, scope, epoch: epochOf(scope), started: Date.now() };
}

/** Caches `value`; with a ticket, only if its scope was not invalidated since the ticket was issued. */
export function remember<T>(key: string, scope: Scope, value: T, ttlMs: number, ticket?: RefreshTicket): void {
  if (ttlMs <= 0) return;
  if (ticket && epochOf(scope) !== ticket.epoch) return;
  entries.set(key, { value, expires: (ticket?.started ?? Date.now()) + ttlMs, epoch: epochOf(scope) });
}

export function forget(key: string): void {
  entries.delete(key);
}
