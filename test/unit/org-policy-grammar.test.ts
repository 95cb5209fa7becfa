/** What Organizations accepts as an RCP or SCP (AWS's "RCP syntax" rules), and a handshake's state on the sandbox clock. */
import { describe, expect, it } from "vitest";
import { rcpRulesHold, validatePolicyContent } from "../../src/services/organizations/policy-grammar";
import { stateAt } from "../../src/services/organizations/handshakes";
import { AwsError } from "../../src/protocol/errors";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const codeOf = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof AwsError ? e.code : String(e);
  }
};

describe("RCP rules", () => {
  it("accept a Deny for everyone on the services RCPs support, conditions and NotResource included", () => {
    expect(
      rcpRulesHold(
        doc({
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*", "sts:AssumeRole", "kms:Decrypt", "sqs:*", "secretsmanager:GetSecretValue"],
          Resource: "*",
        }),
      ),
    ).toBe(true);
    expect(rcpRulesHold(doc({ Effect: "Deny", Principal: "*", Action: "*", NotResource: "arn:aws:s3:::public/*" }))).toBe(true);
    expect(
      rcpRulesHold(
        JSON.stringify({
          Version: "2012-10-17",
          Statement: {
            Effect: "Deny",
            Principal: "*",
            Action: "S3:GetObject",
            Resource: "*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        }),
      ),
    ).toBe(true);
  });

  it("refuse Allow, a named principal, NotPrincipal, NotAction and actions of other services", () => {
    expect(rcpRulesHold(doc({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }))).toBe(false);
    expect(rcpRulesHold(doc({ Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: "*" }))).toBe(false);
    expect(
      rcpRulesHold(doc({ Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "s3:*", Resource: "*" })),
    ).toBe(false);
    expect(rcpRulesHold(doc({ Effect: "Deny", Principal: "*", NotAction: "s3:GetObject", Resource: "*" }))).toBe(false);
    expect(rcpRulesHold(doc({ Effect: "Deny", Principal: "*", Action: ["s3:GetObject", "iam:CreateUser"], Resource: "*" }))).toBe(false);
  });

  it("validatePolicyContent: the type's grammar and the size limit, in AWS's error codes", () => {
    const rcp = "RESOURCE_CONTROL_POLICY";
    const scp = "SERVICE_CONTROL_POLICY";
    expect(
      codeOf(() => validatePolicyContent(rcp, doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }))),
    ).toBeUndefined();
    expect(codeOf(() => validatePolicyContent(rcp, doc({ Effect: "Deny", Action: "s3:*", Resource: "*" })))).toBe(
      "MalformedPolicyDocumentException",
    );
    expect(codeOf(() => validatePolicyContent(scp, doc({ Effect: "Deny", Action: "s3:*", Resource: "*" })))).toBeUndefined();
    expect(codeOf(() => validatePolicyContent(scp, doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" })))).toBe(
      "MalformedPolicyDocumentException",
    );
    expect(codeOf(() => validatePolicyContent(scp, " ".repeat(5121)))).toBe("ConstraintViolationException");
  });
});

describe("handshake state", () => {
  const expiration = "2026-01-16T00:00:00.000Z";
  it("an open handshake expires at its expiration time; closed ones keep their state", () => {
    expect(stateAt({ state: "OPEN", expiration }, Date.parse(expiration) - 1)).toBe("OPEN");
    expect(stateAt({ state: "OPEN", expiration }, Date.parse(expiration))).toBe("EXPIRED");
    expect(stateAt({ state: "ACCEPTED", expiration }, Date.parse(expiration) + 1)).toBe("ACCEPTED");
  });
});
