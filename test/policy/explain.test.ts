/** The explanation is produced by the matchers while deciding: check what each records. */
import { describe, expect, it } from "vitest";
import { CompiledPolicyCache, PolicyParseError, evaluate, parsePolicy, type PolicySource } from "../../src/policy/index.js";
import { A, PRINCIPALS } from "./corpus.js";

function identity(id: string, statements: unknown[]): PolicySource {
  const r = parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), "identity");
  if (!r.ok) throw new Error(r.message);
  return { id, type: "identity", policy: r.policy };
}

const req = {
  principal: PRINCIPALS.user!,
  action: "s3:GetObject",
  resource: "arn:aws:s3:::bucket/k",
  context: { "aws:SourceIp": "9.9.9.9" },
};

describe("explanation", () => {
  const d = evaluate(req, {
    identity: [
      identity("p1", [
        { Sid: "Other", Effect: "Allow", Action: "iam:*", Resource: "*" },
        { Sid: "WrongBucket", Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::other/*" },
        {
          Sid: "FromOffice",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "*",
          Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" }, Bool: { "aws:MultiFactorAuthPresent": "true" } },
        },
      ]),
    ],
  });
  const stmts = d.explanation.policies[0]!.statements;

  it("records the final reason", () => {
    expect(d.decision).toBe("implicitDeny");
    expect(d.explanation.reason).toBe("noIdentityAllow");
    expect(d.explanation.steps.at(-1)).toBe("no identity-based policy allows");
  });
  it("records an action mismatch", () => {
    expect(stmts[0]).toEqual({ index: 0, sid: "Other", effect: "Allow", matched: false, action: { element: "Action", matched: false } });
  });
  it("records a resource mismatch after an action match", () => {
    expect(stmts[1]!.action).toEqual({ element: "Action", matched: true, value: "s3:*" });
    expect(stmts[1]!.resource).toEqual({ element: "Resource", matched: false });
    expect(stmts[1]!.conditions).toBeUndefined();
  });
  it("records each condition: operator, key, values, request values, missing", () => {
    expect(stmts[2]!.conditions).toEqual([
      { operator: "IpAddress", key: "aws:SourceIp", values: ["10.0.0.0/8"], contextValues: ["9.9.9.9"], matched: false, missing: false },
      { operator: "Bool", key: "aws:MultiFactorAuthPresent", values: ["true"], contextValues: null, matched: false, missing: true },
    ]);
    expect(stmts[2]!.matched).toBe(false);
  });
  it("records the statement that denied", () => {
    const deny = evaluate(req, {
      identity: [
        identity(`arn:aws:iam::${A}:policy/D`, [
          { Effect: "Allow", Action: "*", Resource: "*" },
          { Sid: "NoS3", Effect: "Deny", Action: "s3:*", Resource: "*" },
        ]),
      ],
    });
    expect(deny.deniedBy).toEqual({ type: "identity", id: `arn:aws:iam::${A}:policy/D`, sid: "NoS3" });
    expect(deny.explanation.policies[0]).toMatchObject({ allows: true, denies: true });
  });
  it("records NotAction exclusions and principal matches", () => {
    const r = parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:role/Dev` }, NotAction: "s3:Delete*", Resource: "*" }],
      }),
      "resource",
    );
    if (!r.ok) throw new Error(r.message);
    const s = { ...req, principal: PRINCIPALS.session! };
    const out = evaluate(s, { identity: [], resource: [{ id: "bucket", type: "resource", policy: r.policy }] });
    expect(out.decision).toBe("allow");
    expect(out.explanation.resourceGrant).toBe("roleArn");
    expect(out.explanation.policies[0]!.statements[0]!.principal).toEqual({
      element: "Principal",
      matched: true,
      value: `arn:aws:iam::${A}:role/Dev`,
      principalMatch: "role",
    });
    const del = evaluate(
      { ...s, action: "s3:DeleteObject" },
      { identity: [], resource: [{ id: "bucket", type: "resource", policy: r.policy }] },
    );
    expect(del.explanation.policies[0]!.statements[0]!.action).toEqual({ element: "NotAction", matched: false, value: "s3:Delete*" });
  });
  it("reports unresolved policy variables", () => {
    const out = evaluate(
      { ...req, principal: PRINCIPALS.session! },
      { identity: [identity("p", [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::bucket/${aws:username}/*" }])] },
    );
    expect(out.explanation.policies[0]!.statements[0]!.resource).toEqual({
      element: "Resource",
      matched: false,
      unresolved: ["arn:aws:s3:::bucket/${aws:username}/*"],
    });
  });
  it("is JSON-serializable", () => {
    expect(JSON.parse(JSON.stringify(d.explanation))).toEqual(d.explanation);
  });
});

describe("CompiledPolicyCache", () => {
  const json = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
  it("returns the same compiled policy on a hit", () => {
    const c = new CompiledPolicyCache(2);
    const a = c.get("p@v1", json, "identity");
    expect(c.get("p@v1", json, "identity")).toBe(a);
    expect([c.hits, c.misses]).toEqual([1, 1]);
  });
  it("evicts the least recently used entry", () => {
    const c = new CompiledPolicyCache(2);
    const a = c.get("a", json, "identity");
    c.get("b", json, "identity");
    c.get("a", json, "identity");
    c.get("c", json, "identity");
    expect(c.size).toBe(2);
    expect(c.get("a", json, "identity")).toBe(a);
    const misses = c.misses;
    c.get("b", json, "identity");
    expect(c.misses).toBe(misses + 1);
  });
  it("throws MalformedPolicyDocument with AWS's message", () => {
    const c = new CompiledPolicyCache(2);
    expect(() => c.get("bad", "{", "identity")).toThrowError(new PolicyParseError("Syntax errors in policy."));
    expect(c.size).toBe(0);
  });
  it("keys by kind too", () => {
    const c = new CompiledPolicyCache(4);
    expect(c.get("p", json, "identity")).not.toBe(c.get("p", json, "boundary"));
  });
});
