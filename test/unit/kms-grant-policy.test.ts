/** Grants as a resource policy (src/services/kms/grant-policy.ts): the statements the corpus (kms-grants.json) assumes. */
import { describe, expect, it } from "vitest";
import { grantsPolicy } from "../../src/services/kms/grant-policy";
import { parsePolicy } from "../../src/policy/index";
import type { Grant } from "../../src/store/kms-keys";

const base = (over: Partial<Grant>): Grant => ({
  grantId: "a".repeat(64),
  granteePrincipal: "arn:aws:iam::111111111111:user/bob",
  issuingAccount: "arn:aws:iam::111111111111:root",
  operations: ["Encrypt"],
  creationDate: 0,
  ...over,
});

describe("grantsPolicy", () => {
  it("one Allow statement per grant, naming the grantee, for its operations", () => {
    const doc = JSON.parse(grantsPolicy([base({}), base({ grantId: "b".repeat(64), operations: ["Decrypt", "RetireGrant"] })]));
    expect(doc.Statement).toEqual([
      {
        Sid: `Grant${"a".repeat(64)}`,
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:user/bob" },
        Action: ["kms:Encrypt"],
        Resource: "*",
      },
      {
        Sid: `Grant${"b".repeat(64)}`,
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:user/bob" },
        Action: ["kms:Decrypt", "kms:RetireGrant"],
        Resource: "*",
      },
    ]);
  });

  it("constraints become conditions on the encryption context", () => {
    const subset = JSON.parse(grantsPolicy([base({ constraints: { EncryptionContextSubset: { app: "lab" } } })]));
    expect(subset.Statement[0].Condition).toEqual({ StringEquals: { "kms:EncryptionContext:app": "lab" } });
    const equals = JSON.parse(grantsPolicy([base({ constraints: { EncryptionContextEquals: { app: "lab", team: "red" } } })]));
    expect(equals.Statement[0].Condition).toEqual({
      StringEquals: { "kms:EncryptionContext:app": "lab", "kms:EncryptionContext:team": "red" },
      "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["app", "team"] },
    });
  });

  it("service grantees are Service principals; every document parses as a resource policy", () => {
    const doc = grantsPolicy([
      base({ granteePrincipal: "ec2.amazonaws.com" }),
      base({ grantId: "c".repeat(64), granteePrincipal: "222222222222" }),
    ]);
    expect(JSON.parse(doc).Statement.map((s: { Principal: unknown }) => s.Principal)).toEqual([
      { Service: "ec2.amazonaws.com" },
      { AWS: "222222222222" },
    ]);
    expect(parsePolicy(doc, "resource").ok).toBe(true);
  });
});
