/** The one-line reason of a denial (src/admin/denial-reason.ts), per DecisionReason. */
import { describe, expect, it } from "vitest";
import { denialReason, policyLabel } from "../../src/admin/denial-reason";
import type { CallerDecisionView } from "../../src/authz/decisions";

const A = "111111111111";
function view(
  o: Partial<CallerDecisionView> & { policies?: { type: string; id: string; name?: string }[]; resourceAccount?: string },
): CallerDecisionView {
  return {
    decisionId: "r:1",
    requestId: "r",
    time: "2026-12-04T08:00:00Z",
    accountId: A,
    request: {
      principal: { account: A } as CallerDecisionView["request"]["principal"],
      action: "s3:GetObject",
      resource: "arn:aws:s3:::b/k",
      resourceAccount: o.resourceAccount ?? A,
      context: {},
    },
    decision: "implicitDeny",
    reason: "noIdentityAllow",
    explanation: {
      decision: "implicitDeny",
      reason: "noIdentityAllow",
      crossAccount: false,
      steps: [],
      policies: (o.policies ?? []) as never,
    },
    ...o,
  } as CallerDecisionView;
}

describe("denialReason", () => {
  it("names the caller's policies when none allows, or says there are none", () => {
    expect(denialReason(view({ policies: [{ type: "identity", id: `arn:aws:iam::${A}:policy/team/ReadOnly` }] }))).toBe(
      "no statement of the caller's identity-based policies (ReadOnly) allows s3:GetObject on arn:aws:s3:::b/k",
    );
    expect(denialReason(view({}))).toBe("the caller has no identity-based policy, so nothing allows s3:GetObject on arn:aws:s3:::b/k");
  });

  it("names the statement of an explicit deny", () => {
    const v = view({
      reason: "explicitDeny",
      decision: "explicitDeny",
      deniedBy: { type: "resource", id: "arn:aws:s3:::b", sid: "NoGet" },
    });
    expect(denialReason(v)).toBe(
      "an explicit Deny in the resource-based policy arn:aws:s3:::b (statement NoGet) matches s3:GetObject on arn:aws:s3:::b/k",
    );
  });

  it("says which side refused across accounts, and names boundaries and session policies", () => {
    expect(denialReason(view({ reason: "noResourceAllow", resourceAccount: "222222222222" }))).toBe(
      "the resource-based policy of account 222222222222 does not allow s3:GetObject on arn:aws:s3:::b/k (across accounts both sides must allow)",
    );
    expect(denialReason(view({ reason: "noBoundaryAllow", policies: [{ type: "boundary", id: `arn:aws:iam::${A}:policy/Fence` }] }))).toBe(
      "the permissions boundary Fence does not allow s3:GetObject on arn:aws:s3:::b/k",
    );
    expect(denialReason(view({ reason: "noSessionAllow" }))).toMatch(/^the session policy .* does not allow s3:GetObject/);
  });

  it("labels policies as learners name them", () => {
    expect(policyLabel({ id: "user/AIDAEXAMPLE:inline/read-only" })).toBe("inline policy read-only");
    expect(policyLabel({ id: "arn:aws:iam::aws:policy/ReadOnlyAccess" })).toBe("ReadOnlyAccess");
    expect(policyLabel({ id: "x", name: "Named" })).toBe("Named");
  });

  it("SCP and RCP denials name the refusing level (root → OU → account)", () => {
    const scp = (p: string) => `arn:aws:organizations::222222222222:policy/o-abc/service_control_policy/${p}`;
    const levels = [
      { type: "scp" as const, level: 0, target: "root" as const, verdict: "allows" as const, policies: [scp("p-FullAWSAccess")] },
      { type: "scp" as const, level: 1, target: "ou" as const, verdict: "noAllow" as const, policies: [scp("p-s3only"), scp("p-ec2only")] },
      { type: "scp" as const, level: 2, target: "account" as const, verdict: "allows" as const, policies: [scp("p-FullAWSAccess")] },
    ];
    const base = view({});
    const noAllow = { ...base, reason: "noScpAllow" as const, explanation: { ...base.explanation, organizationLevels: levels } };
    expect(denialReason(noAllow)).toBe(
      "no service control policy at level 1, an OU (root → OU → account): p-s3only, p-ec2only allows s3:GetObject on arn:aws:s3:::b/k (every level must allow)",
    );
    const denyLevels = levels.map((l) => (l.level === 2 ? { ...l, verdict: "denies" as const, deniedBy: scp("p-deny") } : l));
    const denied = {
      ...base,
      decision: "explicitDeny" as const,
      reason: "scpDeny" as const,
      deniedBy: { type: "scp" as const, id: scp("p-deny"), sid: "NoS3" },
      explanation: { ...base.explanation, organizationLevels: denyLevels },
    };
    expect(denialReason(denied)).toBe(
      `an explicit Deny in the service control policy ${scp("p-deny")} (statement NoS3) at level 2, the account (root → OU → account) matches s3:GetObject on arn:aws:s3:::b/k`,
    );
    // Without level records (an old decision): the plain wording.
    expect(denialReason({ ...base, reason: "noScpAllow" })).toBe(
      "no service control policy allows s3:GetObject on arn:aws:s3:::b/k (every level must allow)",
    );
  });
});
