/** A bounded LRU of compiled policies, keyed by policy id + version (e.g. "arn:…:policy/p@v3"). */
import { parsePolicy, type CompiledPolicy, type ParseOptions } from "./document.js";
import type { PolicyKind } from "./types.js";

export class PolicyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedPolicyDocument";
  }
}

export class CompiledPolicyCache {
  private readonly entries = new Map<string, CompiledPolicy>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError("maxEntries must be at least 1");
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
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, hit);
      return hit;
    }
    this.misses++;
    const r = parsePolicy(json, kind, options);
    if (!r.ok) throw new PolicyParseError(r.message);
    this.entries.set(cacheKey, r.policy);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return r.policy;
  }

  delete(key: string, kind: PolicyKind): void {
    this.entries.delete(`${kind}\u0000${key}`);
  }

  clear(): void {
    this.entries.clear();
  }
}
