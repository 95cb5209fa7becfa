import { describe, expect, it } from "vitest";
import { BoundedMap, cacheBudgetBytes, cacheUsage, estimateBytes, setBounded, setCacheBudget } from "../../src/lib/bounded";
import { readCacheKey } from "../../src/services/read-cache";
import type { Caller } from "../../src/auth/caller";

describe("setBounded", () => {
  it("evicts only the oldest entry when full, and a re-set key becomes the newest", () => {
    const m = new Map<string, number>();
    for (const [i, k] of ["a", "b", "c"].entries()) setBounded(m, k, i, 3);
    setBounded(m, "a", 10, 3); // refresh a: b is now the oldest
    setBounded(m, "d", 4, 3);
    expect([...m.entries()]).toEqual([
      ["c", 2],
      ["a", 10],
      ["d", 4],
    ]);
  });
});

describe("BoundedMap", () => {
  it("evicts the oldest entries until the new one fits the byte budget", () => {
    const m = new BoundedMap<string, string>(100, 8_000, (v) => v.length);
    m.set("a", "x".repeat(900));
    m.set("b", "x".repeat(900));
    m.set("c", "x".repeat(900));
    expect(m.bytes).toBe(2_700);
    for (let i = 0; i < 6; i++) m.set(`n${i}`, "x".repeat(900));
    // 9 × 900 > 8,000: the oldest went first.
    expect(m.has("a")).toBe(false);
    expect(m.has("b")).toBe(true);
    expect(m.bytes).toBeLessThanOrEqual(8_000);
  });

  it("never keeps a value larger than an eighth of the budget, and keeps what it had", () => {
    const m = new BoundedMap<string, string>(100, 8_000, (v) => v.length);
    m.set("small", "x");
    expect(m.set("huge", "x".repeat(1_001))).toBe(false);
    expect(m.has("huge")).toBe(false);
    expect(m.get("small")).toBe("x");
  });

  it("bounds the entry count too, and re-setting a key replaces its bytes", () => {
    const m = new BoundedMap<number, string>(3, 1_000_000, (v) => v.length);
    for (let i = 0; i < 5; i++) m.set(i, "abc");
    expect([...m.keys()]).toEqual([2, 3, 4]);
    m.set(3, "abcdef");
    expect(m.bytes).toBe(12);
    expect([...m.keys()]).toEqual([2, 4, 3]);
  });
});

describe("estimateBytes", () => {
  it("counts strings, nested objects and arrays; a long string seen twice counts once", () => {
    const doc = "y".repeat(10_000);
    const one = estimateBytes({ rows: [{ body: doc }] });
    const hundred = estimateBytes({ rows: Array.from({ length: 100 }, () => ({ body: doc })) });
    expect(one).toBeGreaterThan(20_000);
    expect(hundred).toBeLessThan(one + 100 * 200);
  });

  it("a value past the node budget counts as infinitely large (it is then not cached)", () => {
    expect(
      estimateBytes(
        Array.from({ length: 200 }, (_, i) => i),
        100,
      ),
    ).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("readCacheKey", () => {
  const caller = { principal: { account: "123456789012", arn: "arn:aws:iam::123456789012:root" } } as unknown as Caller;
  it("is built from the decoded input only: no request body, no unknown parameter", () => {
    expect(readCacheKey(caller, "ListUsers", { PathPrefix: "/a/" })).toBe(readCacheKey(caller, "ListUsers", { PathPrefix: "/a/" }));
    expect(readCacheKey(caller, "ListUsers", { PathPrefix: "/a/" })).not.toBe(readCacheKey(caller, "ListUsers", { PathPrefix: "/b/" }));
    expect(readCacheKey(caller, "ListUsers", { PathPrefix: "x".repeat(5_000) })).toBeUndefined();
  });
});

describe("one memory budget for every cache (IAMLAB_CACHE_MB)", () => {
  it("scales each cache's byte bound by the same factor, evicting the oldest entries to fit", () => {
    const a = new BoundedMap<string, string>(1000, 8000, (v) => v.length);
    const b = new BoundedMap<string, string>(1000, 24_000, (v) => v.length);
    for (let i = 0; i < 8; i++) a.set(`k${i}`, "x".repeat(900));
    expect(a.bytes).toBe(7200);
    // Half of what all caches (these and the modules' own) declare: every bound halves.
    const r = setCacheBudget(cacheUsage().declaredBytes / 2);
    expect(r.scale).toBe(0.5);
    expect(a.maxBytes).toBe(4000);
    expect(b.maxBytes).toBe(12_000);
    expect(cacheUsage().maxBytes).toBeLessThanOrEqual(r.declared / 2);
    expect(a.bytes).toBeLessThanOrEqual(a.maxBytes);
    expect(a.get("k7")).toBeDefined(); // the newest entries stay
    expect(a.get("k0")).toBeUndefined();
    // A cache created later takes the same factor; a larger budget never lifts a bound above its declaration.
    const c = new BoundedMap<string, string>(10, 10_000);
    expect(c.maxBytes).toBeLessThan(10_000);
    setCacheBudget(Number.MAX_SAFE_INTEGER);
    expect([a.maxBytes, b.maxBytes, c.maxBytes]).toEqual([8000, 24_000, 10_000]);
  });

  it("IAMLAB_CACHE_MB: MiB, 48 when unset or invalid", () => {
    expect(cacheBudgetBytes("64")).toBe(64 * 1024 * 1024);
    expect(cacheBudgetBytes(undefined)).toBe(48 * 1024 * 1024);
    expect(cacheBudgetBytes("lots")).toBe(48 * 1024 * 1024);
    expect(cacheBudgetBytes("0")).toBe(48 * 1024 * 1024);
  });
});
