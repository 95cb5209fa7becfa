/**
 * The wildcard matcher (src/policy/glob.ts): exact equivalence with the textbook algorithm on random
 * inputs, and hostile sizes that used to take seconds to minutes. No timing assertions: each case must
 * simply finish, with the right answer, inside the default test timeout.
 */
import { describe, expect, it } from "vitest";
import { compileGlob, escapeLiteral, globMatch, LIT_QMARK, LIT_STAR } from "../../src/policy/glob.js";
import { WorkBudgetExceeded, withWorkBudget } from "../../src/policy/budget.js";

/** The reference: wildcard match by dynamic programming over (pattern, value) prefixes. */
function reference(p: string, s: string): boolean {
  let prev = new Array<boolean>(s.length + 1).fill(false);
  prev[0] = true;
  for (let i = 0; i < p.length; i++) {
    const pc = p[i]!;
    const cur = new Array<boolean>(s.length + 1).fill(false);
    if (pc === "*") {
      cur[0] = prev[0]!;
      for (let j = 1; j <= s.length; j++) cur[j] = prev[j]! || cur[j - 1]!;
    } else {
      for (let j = 1; j <= s.length; j++) {
        const sc = s[j - 1]!;
        const ok = pc === "?" || pc === sc || (pc === LIT_STAR && sc === "*") || (pc === LIT_QMARK && sc === "?");
        cur[j] = ok && prev[j - 1]!;
      }
    }
    prev = cur;
  }
  return prev[s.length]!;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("glob matcher", () => {
  it("agrees with the reference on random patterns and values, small and large", () => {
    const r = rng(23);
    const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
    for (let k = 0; k < 3000; k++) {
      // Large enough, often, to leave the small-input loop and exercise the segment matcher.
      const big = k % 3 === 0;
      const s = pick("ab*?", big ? 200 + Math.floor(r() * 300) : Math.floor(r() * 12));
      let p = pick(`ab*?${LIT_STAR}${LIT_QMARK}`, big ? 20 + Math.floor(r() * 60) : Math.floor(r() * 8));
      if (big && r() < 0.5) p = `*${p}*`;
      const want = reference(p, s);
      expect(globMatch(p, s), JSON.stringify({ p, s })).toBe(want);
      expect(compileGlob(p)(s), JSON.stringify({ p, s })).toBe(want);
    }
  });

  it("matches long values through every segment shape", () => {
    const v = `${"x".repeat(5000)}-middle-${"y".repeat(5000)}.end`;
    expect(globMatch("x*-middle-*.end", v)).toBe(true);
    expect(globMatch("x*-mid?le-*.end", v)).toBe(true);
    expect(globMatch("x*-mid??le-*.end", v)).toBe(false);
    expect(globMatch("*y.end", v)).toBe(true);
    expect(globMatch("*y?end", v)).toBe(true);
    expect(globMatch("x*-middle-*.en", v)).toBe(false);
    expect(globMatch(`x*${escapeLiteral("*")}*`, v)).toBe(false);
    expect(globMatch(`x*${escapeLiteral("*")}*`, `${v}*`)).toBe(true);
    expect(globMatch(`${"?".repeat(v.length)}`, v)).toBe(true);
    expect(globMatch(`${"?".repeat(v.length + 1)}`, v)).toBe(false);
  });

  it("a 100k-character `*a…a*b` pattern against a 1 MiB value finishes with the right answer", () => {
    const value = "a".repeat(1 << 20);
    const p = `*${"a".repeat(100_000)}*b`;
    expect(globMatch(p, value)).toBe(false);
    expect(compileGlob(p)(value)).toBe(false);
    expect(globMatch(p, `${value}b`)).toBe(true);
  });

  it("long literals that defeat native indexOf (a…ab a…a in a…a) finish", () => {
    const value = "a".repeat(1 << 20);
    const lit = `${"a".repeat(50_000)}b${"a".repeat(50_000)}`;
    expect(globMatch(`*${lit}*`, value)).toBe(false);
    const hit = `${value}${lit}`;
    expect(globMatch(`*${lit}*`, hit)).toBe(true);
    expect(globMatch(`*${lit}`, hit)).toBe(true);
  });

  it("many segments against a long value stay linear", () => {
    const value = "ab".repeat(1 << 19);
    const p = `*${"a*".repeat(50_000)}c`;
    expect(globMatch(p, value)).toBe(false);
    expect(globMatch(`*${"a*".repeat(50_000)}b`, value)).toBe(true);
  });

  it("`?`-heavy patterns against long values finish (bit-parallel search)", () => {
    const value = "a".repeat(200_000);
    const p = `*${"a?".repeat(5_000)}b*`;
    expect(globMatch(p, value)).toBe(false);
    expect(globMatch(p, `${value}b${value}`)).toBe(true);
    expect(globMatch(`*${"?a".repeat(5_000)}*`, value)).toBe(true);
  });

  it("a pattern longer than the value fails before searching", () => {
    expect(globMatch(`*${"a".repeat(100_000)}*`, "a".repeat(60 * 1024))).toBe(false);
  });

  it("charges a work budget for large matches (the simulator bounds a request with it)", () => {
    const value = "a".repeat(1 << 20);
    expect(() => withWorkBudget(1000, () => globMatch(`*${"a?".repeat(100)}b*`, value))).toThrow(WorkBudgetExceeded);
    // Small matches are not charged; outside a budget nothing throws.
    expect(withWorkBudget(1, () => globMatch("a*b", "axxb"))).toBe(true);
    expect(globMatch(`*${"a?".repeat(100)}b*`, value)).toBe(false);
  });
});
