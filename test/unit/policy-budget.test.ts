/**
 * The policy-evaluation budget (issue 22): the worst wildcard patterns and policies the engine
 * accepts stay linear. Measured in operations, not time: every String#charCodeAt call and every
 * character String#indexOf scans is counted while the engine runs (instrumented for this file only).
 * Bounds are generous (constant factors of a few) but fail on any quadratic behaviour.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { globMatch } from "../../src/policy/glob.js";
import { evaluate, parsePolicy, type PolicySource } from "../../src/policy/index.js";
import { PRINCIPALS } from "../policy/corpus.js";

let ops = 0;
const proto = String.prototype;
const charCodeAt = proto.charCodeAt;
const indexOf = proto.indexOf;

beforeEach(() => {
  proto.charCodeAt = function (this: string, i: number) {
    ops++;
    return charCodeAt.call(this, i);
  };
  proto.indexOf = function (this: string, search: string, from?: number) {
    const at = indexOf.call(this, search, from);
    // What a search scans at most: up to the hit (plus the needle), else to the end.
    ops += (at < 0 ? this.length - (from ?? 0) : at - (from ?? 0) + search.length) + 1;
    return at;
  };
});
afterEach(() => {
  proto.charCodeAt = charCodeAt;
  proto.indexOf = indexOf;
});

function count<T>(f: () => T): { value: T; ops: number } {
  ops = 0;
  const value = f();
  return { value, ops };
}

// A managed policy may hold 6,144 characters (IAM quotas): no accepted pattern is longer.
const MAX_PATTERN = 6144;
// The longest resource ARNs requests carry: S3 object ARNs (1,024-byte keys) and beyond, to be safe.
const arn = (n: number) => `arn:aws:s3:::bucket/${"a".repeat(n)}`;

describe("wildcard matching stays linear for the worst accepted patterns", () => {
  const cases: [string, string][] = [
    ["thousands of stars", `*${"a*".repeat((MAX_PATTERN - 2) / 2)}b`],
    ["stars and question marks", `*${"?*".repeat((MAX_PATTERN - 2) / 2)}b`],
    ["long ?-segments", `*${"a?".repeat((MAX_PATTERN - 2) / 2)}b*`],
    ["many short literal segments that almost match", `*${"aab*".repeat((MAX_PATTERN - 1) / 4)}`],
    ["a long literal that defeats naive search", `*${"a".repeat(MAX_PATTERN / 2 - 2)}b${"a".repeat(MAX_PATTERN / 2 - 2)}*`],
  ];

  for (const [name, pattern] of cases)
    it(`${name}: operations grow linearly with the ARN and are bounded by |pattern| + |ARN|·⌈|pattern|/32⌉`, () => {
      // Values ending in "b": the patterns' tails match, so the middle segments are all searched.
      const small = count(() => globMatch(pattern, `${arn(8_192)}b`));
      const large = count(() => globMatch(pattern, `${arn(32_768)}b`));
      const bound = (n: number) => 8 * (pattern.length + n * Math.ceil(pattern.length / 32));
      expect(small.ops).toBeLessThan(bound(8_192));
      expect(large.ops).toBeLessThan(bound(32_768));
      // Four times the value: at most ~four times the work (quadratic would be sixteen).
      expect(large.ops).toBeLessThan(5 * small.ops + pattern.length * 4);
    });

  it("star-only patterns cost O(|pattern| + |value|), not their product", () => {
    const pattern = `*${"a*".repeat(3000)}b`;
    const { value, ops: n } = count(() => globMatch(pattern, arn(100_000)));
    expect(value).toBe(false);
    expect(n).toBeLessThan(20 * (pattern.length + 100_000));
  });
});

describe("evaluation stays linear in statements × conditions", () => {
  function policyOf(statements: number, conditions: number): PolicySource {
    const stmt = (i: number) => ({
      Sid: `S${i}`,
      Effect: "Allow",
      Action: ["s3:Get*", "s3:List*", `s3:Put*${i}`],
      Resource: [`arn:aws:s3:::bucket/*a*${i}*`, "arn:aws:s3:::bucket/*?*a*a"],
      Condition: {
        StringLike: Object.fromEntries(Array.from({ length: conditions }, (_, c) => [`aws:PrincipalTag/k${c}`, [`*v*${c}*`, "*x*"]])),
      },
    });
    const r = parsePolicy(
      JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: statements }, (_, i) => stmt(i)) }),
      "identity",
    );
    if (!r.ok) throw new Error(r.message);
    return { id: "p", type: "identity", policy: r.policy };
  }

  // Every statement's action and resource match and all its conditions but the last hold: the
  // engine evaluates every statement and every condition, and nothing allows.
  const request = (tags: number) => ({
    principal: PRINCIPALS.user!,
    action: "s3:GetObject",
    resource: arn(1_000),
    context: Object.fromEntries(
      Array.from({ length: tags }, (_, c) => [`aws:PrincipalTag/k${c}`, c === tags - 1 ? "nomatch" : `${"v".repeat(200)}${c}q`]),
    ),
  });

  it("twice the statements or twice the conditions: about twice the operations", () => {
    const run = (s: number, c: number) => count(() => evaluate(request(c), { identity: [policyOf(s, c)] })).ops;
    const base = run(20, 10);
    const moreStatements = run(40, 10);
    const moreConditions = run(20, 20);
    expect(base).toBeGreaterThan(0);
    expect(moreStatements).toBeLessThan(2.6 * base);
    expect(moreConditions).toBeLessThan(2.6 * base);
    // And in absolute terms: per statement × condition, a bounded number of operations.
    expect(run(50, 20)).toBeLessThan(50 * 20 * 5_000);
  });
});
