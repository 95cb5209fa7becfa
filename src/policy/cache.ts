/**
 * A bounded LRU of compiled policies, keyed by policy id + version (e.g. "arn:…:policy/p@v3"),
 * bounded in entries and in bytes (estimated from the document's length: a compiled policy holds
 * its strings and matchers, a few times the JSON text).
 */
import { BoundedMap } from "../lib/bounded.js";
import { parsePolicy, type CompiledPolicy, type ParseOptions } from "./document.js";
import type { PolicyKind } from "./types.js";

export class PolicyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedPolicyDocument";
  }
}

export class CompiledPolicyCache {
  private readonly entries: BoundedMap<string, CompiledPolicy>;
  private readonly sizes = new WeakMap<CompiledPolicy, number>();
  hits = 0;
  misses = 0;

  constructor(maxEntries: number, maxBytes = 16 * 1024 * 1024) {
    if (!(maxEntries >= 1)) throw new RangeError("maxEntries must be at least 1");
    this.entries = new BoundedMap(maxEntries, maxBytes, (p, k) => 2 * k.length + (this.sizes.get(p) ?? 0));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The compiled policy for `key`; parses `json` on a miss. Throws PolicyParseError when invalid. */
  get(key: string, json: string, kind: PolicyKind, options?: ParseOptions): CompiledPolicy {
    const cacheKey = `${kind}\u0000${key}`;
    const hit = this.entries.get(cacheKey);
    if (hit) {
      this.hits++;
      this.entries.touch(cacheKey);
      return hit;
    }
    this.misses++;
    const r = parsePolicy(json, kind, options);
    if (!r.ok) throw new PolicyParseError(r.message);
    this.sizes.set(r.policy, 256 + 8 * json.length);
    this.entries.set(cacheKey, r.policy);
    return r.policy;
  }

  delete(key: string, kind: PolicyKind): void {
    this.entries.delete(`${kind}\u0000${key}`);
  }

  clear(): void {
    this.entries.clear();
  }
}
