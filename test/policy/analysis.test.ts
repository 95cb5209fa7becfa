/** evaluate = decide(analyze(…)): the analysis is plain data, the decision a pure function of it. */
import { describe, expect, it } from "vitest";
import {
  analyze,
  decide,
  decisionOf,
  evaluate,
  parsePolicy,
  type Analysis,
  type PolicySource,
  type PolicySourceType,
} from "../../src/policy/index.js";
import { A, B, PRINCIPALS } from "./corpus.js";

function src(id: string, type: PolicySourceType, statements: unknown[], version = "2012-10-17"): PolicySource {
  const kind = type === "resource" ? "resource" : type;
  const r = parsePolicy(JSON.stringify({ Version: version, Statement: statements }), kind);
  if (!r.ok) throw new Error(r.message);
  return { id, type, policy: r.policy };
}

const req = {
  principal: PRINCIPALS.user!,
  action: "s3:GetObject",
  resource: "arn:aws:s3:::bucket/k",
  context: { "aws:SourceIp": "10.1.1.1" },
};

describe("analyze", () => {
  const id = src("id", "identity", [
    { Sid: "Read", Effect: "Allow", Action: "s3:Get*", Resource: "*" },
    {
      Sid: "Office",
      Effect: "Allow",
      Action: "s3:*",
      Resource: "arn:aws:s3:::bucket/${aws:PrincipalTag/team}",
      Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
    },
    {
      Sid: "Mfa",
      Effect: "Deny",
      Action: "s3:GetObject",
      Resource: "*",
      Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" }, StringLike: { "s3:prefix": "${aws:username}/*" } },
    },
  ]);
  const boundary = src("b", "boundary", [{ Effect: "Allow", Action: "s3:*", Resource: "*" }]);

  it("per policy type: allows, first deny, matched statements; the caller's side; absent condition keys and policy variables", () => {
    const a = analyze(req, { identity: [id], boundary: [boundary] });
    expect(a).toMatchObject({
      alwaysAllowed: false,
      crossAccount: false,
      identitySide: "policies",
      scps: null,
      resource: null,
      session: null,
    });
    expect(a.identity).toEqual({ allows: true, matched: [{ source: id, index: 0, effect: "Allow", sid: "Read" }] });
    expect(a.boundary).toEqual({ allows: true, matched: [{ source: boundary, index: 0, effect: "Allow" }] });
    expect(a.contextKeys).toEqual([
      { key: "aws:PrincipalTag/team", use: "variable", present: false },
      { key: "aws:MultiFactorAuthPresent", use: "condition", present: false },
      { key: "s3:prefix", use: "condition", present: false },
      { key: "aws:username", use: "variable", present: true },
    ]);
  });

  it("deciding only: nothing recorded, and the analysis stops at the first explicit deny", () => {
    const deny = src("deny", "identity", [{ Effect: "Deny", Action: "*", Resource: "*" }]);
    const a = analyze(req, { identity: [deny], boundary: [boundary] }, { explain: false });
    expect(a.identity).toEqual({ allows: false, deny: { type: "identity", id: "deny" }, matched: null });
    expect(a.boundary).toBeNull();
    expect(a.policies).toBeNull();
    expect(a.contextKeys).toBeNull();
  });

  it("policy variables are context keys in 2012-10-17 documents only (2008: literal text); present condition keys are not listed", () => {
    const cond = {
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "*",
      Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" }, StringEquals: { "s3:prefix": "${aws:username}" } },
    };
    expect(analyze(req, { identity: [src("new", "identity", [cond])] }).contextKeys!.map((k) => k.key)).toEqual([
      "s3:prefix",
      "aws:username",
    ]);
    expect(analyze(req, { identity: [src("old", "identity", [cond], "2008-10-17")] }).contextKeys!.map((k) => k.key)).toEqual([
      "s3:prefix",
    ]);
  });

  it("resource-based grants: the strongest way an Allow named the caller", () => {
    const rp = src("rp", "resource", [
      { Effect: "Allow", Principal: { AWS: A }, Action: "s3:*", Resource: "*" },
      { Effect: "Allow", Principal: { AWS: PRINCIPALS.user!.arn }, Action: "s3:GetObject", Resource: "*" },
    ]);
    expect(analyze(req, { identity: [], resource: [rp] }).resource).toMatchObject({ allows: true, grant: "principal" });
  });
});

describe("decide", () => {
  const none: Analysis = {
    alwaysAllowed: false,
    crossAccount: false,
    identitySide: "policies",
    requireResourceAllow: false,
    scpsExempt: false,
    scps: null,
    rcps: null,
    resource: null,
    identity: { allows: true, matched: null },
    boundary: null,
    session: null,
    policies: null,
    contextKeys: null,
  };
  const allow = { allows: true, matched: null };
  const nothing = { allows: false, matched: null };

  it("is a pure function of the analysis, in AWS's order", () => {
    expect(decide(none)).toEqual({ reason: "allowed", steps: null });
    expect(decide({ ...none, identity: nothing })).toEqual({ reason: "noIdentityAllow", steps: null });
    expect(decide({ ...none, boundary: nothing })).toMatchObject({ reason: "noBoundaryAllow" });
    expect(decide({ ...none, session: nothing, resource: allow })).toEqual({
      reason: "noSessionAllow",
      resourceGrant: "delegated",
      steps: null,
    });
    expect(decide({ ...none, crossAccount: true })).toMatchObject({ reason: "noResourceAllow" });
    expect(decide({ ...none, crossAccount: true, resource: allow })).toMatchObject({ reason: "allowed", resourceGrant: "delegated" });
    expect(decide({ ...none, scps: [allow, nothing] })).toMatchObject({ reason: "noScpAllow" });
    const deny = { type: "boundary" as const, id: "b" };
    expect(decide({ ...none, scps: [nothing], boundary: { allows: false, deny, matched: null } })).toEqual({
      reason: "explicitDeny",
      deniedBy: deny,
      steps: null,
    });
    expect(
      decide({ ...none, identity: nothing, resource: { allows: true, grant: "role", matched: null }, boundary: nothing }),
    ).toMatchObject({
      reason: "noBoundaryAllow",
      resourceGrant: "roleArn",
    });
    expect(decide({ ...none, identitySide: "root", identity: null })).toMatchObject({ reason: "rootUser" });
    expect(decide({ ...none, identitySide: "none", identity: null })).toMatchObject({ reason: "noResourceAllow" });
    expect(decide({ ...none, alwaysAllowed: true, identity: nothing })).toMatchObject({ reason: "alwaysAllowed" });
  });

  it("writes the steps out when the analysis was explained", () => {
    const v = decide({ ...none, policies: [], contextKeys: [] });
    expect(v.steps).toEqual(["no explicit deny", "identity side allows"]);
  });

  it("evaluate is decisionOf(analyze(…))", () => {
    const set = { identity: [src("id", "identity", [{ Effect: "Allow", Action: "s3:*", Resource: "*" }])] };
    const cross = { ...req, resourceAccount: B };
    expect(evaluate(cross, set)).toEqual(decisionOf(analyze(cross, set)));
    expect(decisionOf(analyze(cross, set, { explain: false })).explanation).toBe(evaluate(cross, set, { explain: false }).explanation);
  });
});
