/** Runs the whole case corpus: one test per case line in test/policy/cases/*.json. */
import { describe, expect, it } from "vitest";
import { accessDeniedMessage, evaluate } from "../../src/policy/index.js";
import { buildCase, loadCases } from "./corpus.js";

const cases = loadCases();

describe("policy case corpus", () => {
  it("has at least 400 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(400);
  });

  it("has at least 202 S3 cases (issue 15: 52 first, then 150 more), each later one naming its AWS page", () => {
    const s3 = cases.filter((c) => c.file.startsWith("s3-"));
    expect(s3.length).toBeGreaterThanOrEqual(202);
    for (const c of s3) if (c.file !== "s3-bucket-policies.json") expect(c.doc, c.name).toMatch(/^(IAM|Amazon S3|AWS|Service)/);
  });

  it.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))("%s", (_name, c) => {
    const { req, set } = buildCase(c);
    const d = evaluate(req, set);
    const got = { decision: d.decision, reason: d.reason, deniedBy: d.deniedBy?.type };
    const want: Record<string, string | undefined> = {
      decision: c.expect,
      reason: c.reason ?? d.reason,
      deniedBy: c.deniedBy ?? got.deniedBy,
    };
    expect(got, JSON.stringify(d.explanation, null, 1)).toEqual(want);
    if (c.message) expect(accessDeniedMessage(req, d)).toBe(c.message);
    // The explanation is the decision's own record.
    expect(d.explanation.decision).toBe(d.decision);
    expect(d.explanation.reason).toBe(d.reason);

    // Deciding without recording the explanation gives the same decision, reason and denying policy.
    const quick = evaluate(req, set, { explain: false });
    expect({ decision: quick.decision, reason: quick.reason, deniedBy: quick.deniedBy }).toEqual({
      decision: d.decision,
      reason: d.reason,
      deniedBy: d.deniedBy,
    });
    if (c.message) expect(accessDeniedMessage(req, quick)).toBe(c.message);
    expect(quick.explanation).toMatchObject({
      decision: d.decision,
      reason: d.reason,
      crossAccount: d.explanation.crossAccount,
      policies: [],
    });
    expect(Object.isFrozen(quick.explanation)).toBe(true);
  });
});
