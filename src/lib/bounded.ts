/**
 * Isolate caches stay bounded by evicting their oldest entry (a Map iterates in insertion order),
 * not by clearing: a full cache on a busy shared sandbox must not turn into a burst of misses for
 * every tenant at once. One isolate serves every tenant, so every cache is bounded in bytes too:
 * an entry count alone lets a few huge values (a big read result, a big policy) exhaust the heap.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/**
 * A Map bounded by entry count and by (estimated) bytes, evicting the oldest entries first. A
 * value larger than `maxBytes / 8` is never kept: one entry must not flush a whole cache.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, { value: V; bytes: number }>();
  private total = 0;
  /** The byte bound in force: `declaredBytes` scaled down to the isolate's cache budget (setCacheBudget). */
  maxBytes: number;

  constructor(
    readonly maxEntries: number,
    readonly declaredBytes: number,
    private readonly sizeOf: (value: V, key: K) => number = (v, k) => estimateBytes(k) + estimateBytes(v),
  ) {
    this.maxBytes = Math.floor(declaredBytes * budgetScale);
    registry.push(this as BoundedMap<unknown, unknown>);
  }

  get size(): number {
    return this.map.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Keeps `value` as the newest entry; false (and nothing kept) when it is too large to cache. */
  set(key: K, value: V): boolean {
    this.delete(key);
    const bytes = this.sizeOf(value, key);
    if (bytes > this.maxBytes / 8) return false;
    while (this.map.size > 0 && (this.map.size >= this.maxEntries || this.total + bytes > this.maxBytes)) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
    this.map.set(key, { value, bytes });
    this.total += bytes;
    return true;
  }

  /** Marks `key` as recently used (least-recently-used eviction for callers that want it). */
  touch(key: K): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.map.set(key, e);
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.map.delete(key);
    this.total -= e.bytes;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  /** Applies a new byte bound, evicting the oldest entries until the cache fits. */
  rebound(maxBytes: number): void {
    this.maxBytes = maxBytes;
    while (this.total > maxBytes) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }
}

/**
 * One budget for all the isolate's caches. Each cache declares its own byte bound; together they
 * would pass a Worker's 128 MB memory limit, so the isolate scales every bound by the same factor
 * to fit `IAMLAB_CACHE_MB` (src/index.ts applies it on the first request). Caches created later
 * (module-level ones are created at import) take the same factor.
 */
const registry: BoundedMap<unknown, unknown>[] = [];
let budgetScale = 1;

/** The caches' shared budget (MiB) when IAMLAB_CACHE_MB is unset or not a positive number. */
export const DEFAULT_CACHE_MB = 48;

/** IAMLAB_CACHE_MB as bytes. */
export function cacheBudgetBytes(raw: string | undefined): number {
  const mb = Number(raw);
  return (raw && Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_CACHE_MB) * 1024 * 1024;
}

/** Scales every cache's byte bound so their sum is at most `bytes` (never above what each declared). */
export function setCacheBudget(bytes: number): { declared: number; budget: number; scale: number } {
  const declared = registry.reduce((n, m) => n + m.declaredBytes, 0);
  budgetScale = declared > 0 ? Math.min(1, bytes / declared) : 1;
  for (const m of registry) m.rebound(Math.floor(m.declaredBytes * budgetScale));
  return { declared, budget: bytes, scale: budgetScale };
}

/** The caches' bytes in use and their bounds (health and tests). */
export function cacheUsage(): { caches: number; bytes: number; maxBytes: number; declaredBytes: number } {
  return registry.reduce(
    (u, m) => ({
      caches: u.caches + 1,
      bytes: u.bytes + m.bytes,
      maxBytes: u.maxBytes + m.maxBytes,
      declaredBytes: u.declaredBytes + m.declaredBytes,
    }),
    { caches: 0, bytes: 0, maxBytes: 0, declaredBytes: 0 },
  );
}

/**
 * A rough size in bytes of a plain value (strings as UTF-16, numbers 8, objects and arrays with a
 * small overhead per slot). Walks at most `budget` nodes and a bounded depth: past that the value
 * counts as huge, so an unexpectedly deep or large value is simply not cached. A long string met
 * again counts once (snapshots share one string per policy document among many rows).
 */
export function estimateBytes(value: unknown, budget = 100_000): number {
  let nodes = 0;
  let seen: Set<string> | undefined;
  const walk = (v: unknown, depth: number): number => {
    if (++nodes > budget || depth > 24) return Number.POSITIVE_INFINITY;
    switch (typeof v) {
      case "string":
        if (v.length > 1024) {
          if ((seen ??= new Set()).has(v)) return 8;
          seen.add(v);
        }
        return 16 + 2 * v.length;
      case "number":
      case "boolean":
      case "bigint":
      case "undefined":
        return 8;
      case "object": {
        if (v === null) return 8;
        if (v instanceof RegExp) return 64 + 2 * v.source.length;
        if (v instanceof Uint8Array || v instanceof ArrayBuffer) return 32 + v.byteLength;
        let n = 32;
        if (v instanceof Map) {
          for (const [k, x] of v) n += 16 + walk(k, depth + 1) + walk(x, depth + 1);
        } else if (v instanceof Set) {
          for (const x of v) n += 8 + walk(x, depth + 1);
        } else if (Array.isArray(v)) {
          for (const x of v) n += 8 + walk(x, depth + 1);
        } else {
          for (const k in v) n += 16 + 2 * k.length + walk((v as Record<string, unknown>)[k], depth + 1);
        }
        return n;
      }
      default:
        return 16; // functions, symbols: a reference
    }
  };
  return walk(value, 0);
}
