/** Explanations of organization decisions: every SCP / RCP level's verdict, root first, and AWS's message forms. */
import { describe, expect, it } from "vitest";
import { accessDeniedMessage, evaluate, parsePolicy, type PolicySet, type PolicySource } from "../../src/policy/index.js";
import { A, B, PRINCIPALS } from "./corpus.js";
import { decisionForCaller, type DecisionRecord } from "../../src/authz/decisions.js";

function src(type: "identity" | "scp" | "rcp" | "resource", id: string, statements: unknown[]): PolicySource {
  const r = parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), type);
  if (!r.ok) throw new Error(r.message);
  return { id, type, policy: r.policy };
}

const scpArn = (p: string) => `arn:aws:organizations::${B}:policy/o-abc/service_control_policy/${p}`;
const full = src("scp", "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", [
  { Effect: "Allow", Action: "*", Resource: "*" },
]);
const admin = src("identity", `arn:aws:iam::${A}:policy/Admin`, [{ Effect: "Allow", Action: "*", Resource: "*" }]);
const denyRegion = src("scp", scpArn("p-region"), [
  {
    Effect: "Deny",
    NotAction: ["iam:*", "sts:*", "organizations:*"],
    Resource: "*",
    Condition: { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } },
  },
]);
const onlyS3 = src("scp", scpArn("p-s3only"), [{ Effect: "Allow", Action: "s3:*", Resource: "*" }]);

const req = (action: string, region: string) => ({
  principal: PRINCIPALS.user!,
  action,
  resource: "*",
  context: { "aws:RequestedRegion": region },
});

describe("SCP levels in the explanation", () => {
  const set: PolicySet = { identity: [admin], scps: [[full], [full, denyRegion], [full]] };

  it("an explicit deny at an OU: each level's verdict, the denying policy named", () => {
    const d = evaluate(req("ec2:RunInstances", "us-east-1"), set);
    expect(d.reason).toBe("scpDeny");
    expect(d.explanation.organizationLevels).toEqual([
      { type: "scp", level: 0, target: "root", verdict: "allows", policies: [full.id] },
      { type: "scp", level: 1, target: "ou", verdict: "denies", policies: [full.id, denyRegion.id], deniedBy: denyRegion.id },
      { type: "scp", level: 2, target: "account", verdict: "allows", policies: [full.id] },
    ]);
    expect(d.explanation.steps.slice(0, 3)).toEqual([
      `SCP level 0 (the root): allows (${full.id})`,
      `SCP level 1 (an OU): explicit deny in ${denyRegion.id}`,
      `SCP level 2 (the account): allows (${full.id})`,
    ]);
    expect(accessDeniedMessage(req("ec2:RunInstances", "us-east-1"), d)).toBe(
      `User: ${PRINCIPALS.user!.arn} is not authorized to perform: ec2:RunInstances on resource: * with an explicit deny in a service control policy: ${denyRegion.id}`,
    );
  });

  it("an allow-list level without a matching Allow: that level says no Allow, the others allow", () => {
    const r = req("ec2:RunInstances", "eu-west-1");
    const d = evaluate(r, { identity: [admin], scps: [[full], [onlyS3], [full]] });
    expect(d.reason).toBe("noScpAllow");
    expect(d.explanation.organizationLevels!.map((l) => `${l.target}:${l.verdict}`)).toEqual([
      "root:allows",
      "ou:noAllow",
      "account:allows",
    ]);
    expect(d.explanation.steps).toContain(`SCP level 1 (an OU): no Allow (${onlyS3.id})`);
    expect(accessDeniedMessage(r, d)).toBe(
      `User: ${PRINCIPALS.user!.arn} is not authorized to perform: ec2:RunInstances on resource: * because no service control policy allows the ec2:RunInstances action`,
    );
  });

  it("five levels: three OUs between root and account", () => {
    const d = evaluate(req("s3:GetObject", "eu-west-1"), { identity: [admin], scps: [[full], [full], [full], [onlyS3], [full]] });
    expect(d.decision).toBe("allow");
    expect(d.explanation.organizationLevels!.map((l) => l.target)).toEqual(["root", "ou", "ou", "ou", "account"]);
  });

  it("a level with no policy attached shows it", () => {
    const d = evaluate(req("s3:GetObject", "eu-west-1"), { identity: [admin], scps: [[full], []] });
    expect(d.reason).toBe("noScpAllow");
    expect(d.explanation.steps).toContain("SCP level 1 (the account): no Allow (no policy attached)");
  });

  it("RCP levels follow the SCP levels; their steps name no policy", () => {
    const rcpFull = src("rcp", "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess", [
      { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" },
    ]);
    const perimeter = src("rcp", `arn:aws:organizations::${B}:policy/o-abc/resource_control_policy/p-perimeter`, [
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: "*",
        Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": "o-abc" }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } },
      },
    ]);
    const r = {
      principal: PRINCIPALS.userB!,
      action: "s3:GetObject",
      resource: "arn:aws:s3:::member-bucket/k",
      resourceAccount: A,
      context: { "aws:PrincipalOrgID": "o-other" },
    };
    const d = evaluate(r, {
      identity: [admin],
      scps: [[full], [full]],
      rcps: [[rcpFull], [rcpFull, perimeter]],
      resource: [src("resource", "bucket", [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }])],
    });
    expect(d.reason).toBe("rcpDeny");
    expect(d.explanation.organizationLevels!.map((l) => `${l.type}${l.level}:${l.verdict}`)).toEqual([
      "scp0:allows",
      "scp1:allows",
      "rcp0:allows",
      "rcp1:denies",
    ]);
    expect(d.explanation.steps).toContain("RCP level 1 (the account): explicit deny");
    expect(d.explanation.steps).toContain("RCP level 0 (the root): allows (1 policy)");
    expect(accessDeniedMessage(r, d)).toBe(
      `User: ${PRINCIPALS.userB!.arn} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::member-bucket/k with an explicit deny in a resource control policy: ${perimeter.id}`,
    );
  });

  it("no organization: no levels; deciding only: no explanation records", () => {
    expect(evaluate(req("s3:GetObject", "eu-west-1"), { identity: [admin] }).explanation.organizationLevels).toBeUndefined();
    const quick = evaluate(req("ec2:RunInstances", "us-east-1"), set, { explain: false });
    expect(quick.reason).toBe("scpDeny");
    expect(quick.explanation.organizationLevels).toBeUndefined();
  });

  it("the caller's view of a cross-account decision keeps the RCP levels' verdicts, not their policies", () => {
    const rcpFull = src("rcp", "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess", [
      { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" },
    ]);
    const secret = src("rcp", `arn:aws:organizations::${A}:policy/o-abc/resource_control_policy/p-secret1`, [
      { Sid: "OwnerOnlySid", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" },
    ]);
    const r = {
      principal: PRINCIPALS.userB!,
      action: "s3:GetObject",
      resource: "arn:aws:s3:::owner-bucket/k",
      resourceAccount: A,
      context: {},
    };
    const d = evaluate(r, { identity: [admin], scps: [[full]], rcps: [[rcpFull], [rcpFull, secret]] });
    expect(d.reason).toBe("rcpDeny");
    const rec: DecisionRecord = {
      decisionId: "r:1",
      requestId: "r",
      time: "2026-12-04T00:00:00Z",
      accountId: B,
      request: r,
      decision: d.decision,
      reason: d.reason,
      explanation: d.explanation,
    };
    if (d.deniedBy) rec.deniedBy = d.deniedBy;
    const view = decisionForCaller(rec);
    expect(view.explanation.organizationLevels!.map((l) => [l.type, l.verdict, l.policies.length])).toEqual([
      ["scp", "allows", 1],
      ["rcp", "allows", 0],
      ["rcp", "denies", 0],
    ]);
    const text = JSON.stringify(view);
    expect(text).not.toContain("p-secret1");
    expect(text).not.toContain("OwnerOnlySid");
  });
});
