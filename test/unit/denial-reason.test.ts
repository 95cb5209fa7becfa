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
});
