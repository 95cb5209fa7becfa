/**
 * The pure parts of AssumeRoleWithSAML (src/federation/saml-federation.ts): the time, audience and
 * recipient window, the Role pair, the AWS attributes, SAML:sub_type, NameQualifier and the SAML:* keys.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  REDEEM_WITHIN_MS,
  awsAttributes,
  checkAssertionWindow,
  nameQualifierOf,
  roleAttributeAllows,
  samlConditionKeys,
  subjectTypeOf,
} from "../../src/federation/saml-federation";
import type { SamlAssertion } from "../../src/federation/saml/response";
import { AwsError } from "../../src/protocol/errors";

const NOW = Date.UTC(2026, 5, 1, 12);
const ROLE = "arn:aws:iam::111111111111:role/Reader";
const PROVIDER = "arn:aws:iam::111111111111:saml-provider/Lab";
const attr = (n: string) => `https://aws.amazon.com/SAML/Attributes/${n}`;

function assertion(o: Partial<SamlAssertion> = {}, attributes: [string, string[]][] = []): SamlAssertion {
  return {
    issuer: "https://idp.example.com/saml",
    subject: "alice@example.com",
    nameIdFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    issueInstant: NOW - 10_000,
    notBefore: NOW - 10_000,
    notOnOrAfter: NOW + 290_000,
    confirmations: [{ recipient: "https://signin.aws.amazon.com/saml", notOnOrAfter: NOW + 290_000 }],
    audiences: ["https://signin.aws.amazon.com/saml"],
    attributes: new Map([[attr("Role"), [`${ROLE},${PROVIDER}`]], [attr("RoleSessionName"), ["alice"]], ...attributes]),
    signed: "assertion",
    ...o,
  };
}

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof AwsError ? `${e.code}: ${e.message}` : String(e);
  }
  return "ok";
};

describe("the assertion's window", () => {
  it("accepts the sign-in endpoint (global, regional, urn:amazon:webservices) and answers SAML:aud from the Recipient", () => {
    expect(checkAssertionWindow(assertion(), NOW)).toBe("https://signin.aws.amazon.com/saml");
    const regional = "https://eu-west-1.signin.aws.amazon.com/saml";
    expect(checkAssertionWindow(assertion({ audiences: ["urn:amazon:webservices"], confirmations: [{ recipient: regional }] }), NOW)).toBe(
      regional,
    );
  });

  it("refuses a future assertion beyond the skew, an expired or stale one, a foreign audience or recipient", () => {
    expect(codeOf(() => checkAssertionWindow(assertion({ notBefore: NOW + 301_000 }), NOW))).toMatch(/^InvalidIdentityToken/);
    expect(codeOf(() => checkAssertionWindow(assertion({ notBefore: NOW + 200_000 }), NOW))).toBe("ok");
    expect(codeOf(() => checkAssertionWindow(assertion({ notOnOrAfter: NOW }), NOW))).toMatch(/^ExpiredTokenException/);
    expect(codeOf(() => checkAssertionWindow(assertion({ confirmations: [{ notOnOrAfter: NOW - 1 }] }), NOW))).toMatch(
      /^ExpiredTokenException/,
    );
    expect(codeOf(() => checkAssertionWindow(assertion({ sessionNotOnOrAfter: NOW - 1 }), NOW))).toMatch(/^ExpiredTokenException/);
    expect(
      codeOf(() =>
        checkAssertionWindow(
          assertion({ issueInstant: NOW - REDEEM_WITHIN_MS - 1, notOnOrAfter: NOW + 3_600_000, confirmations: [{}] }),
          NOW,
        ),
      ),
    ).toBe("ExpiredTokenException: Token must be redeemed within 5 minutes of issuance");
    expect(codeOf(() => checkAssertionWindow(assertion({ audiences: ["https://app.example.com"] }), NOW))).toMatch(/^InvalidIdentityToken/);
    expect(codeOf(() => checkAssertionWindow(assertion({ confirmations: [{ recipient: "https://evil.example.com/saml" }] }), NOW))).toMatch(
      /^InvalidIdentityToken/,
    );
    expect(codeOf(() => checkAssertionWindow(assertion({ confirmations: [] }), NOW))).toMatch(/^InvalidIdentityToken/);
  });
});

describe("the Role attribute and the AWS attributes", () => {
  it("pairs role and provider in either order, exactly", () => {
    expect(roleAttributeAllows(assertion(), ROLE, PROVIDER)).toBe(true);
    expect(roleAttributeAllows(assertion({ attributes: new Map([[attr("Role"), [` ${PROVIDER} , ${ROLE} `]]]) }), ROLE, PROVIDER)).toBe(
      true,
    );
    expect(roleAttributeAllows(assertion(), `${ROLE}2`, PROVIDER)).toBe(false);
    expect(roleAttributeAllows(assertion(), ROLE, `${PROVIDER}2`)).toBe(false);
    expect(roleAttributeAllows(assertion({ attributes: new Map() }), ROLE, PROVIDER)).toBe(false);
  });

  it("reads session name, duration, tags, transitive keys and source identity, refusing bad ones", () => {
    const a = assertion({}, [
      [attr("SessionDuration"), ["1800"]],
      [attr("PrincipalTag:team"), ["blue"]],
      [attr("PrincipalTag:cost-center"), ["42"]],
      [attr("TransitiveTagKeys"), ["Team"]],
      [attr("SourceIdentity"), ["alice"]],
    ]);
    expect(awsAttributes(a)).toEqual({
      sessionName: "alice",
      sessionDuration: 1800,
      sessionTags: { team: "blue", "cost-center": "42" },
      transitiveTagKeys: ["team"],
      sourceIdentity: "alice",
    });
    const bad = (attributes: [string, string[]][]) => codeOf(() => awsAttributes(assertion({ attributes: new Map(attributes) })));
    expect(bad([])).toBe("InvalidIdentityToken: RoleSessionName is required in AuthnResponse");
    expect(bad([[attr("RoleSessionName"), ["a b"]]])).toBe(
      "InvalidIdentityToken: RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    );
    expect(
      bad([
        [attr("RoleSessionName"), ["alice"]],
        [attr("SessionDuration"), ["60"]],
      ]),
    ).toMatch(/^InvalidIdentityToken/);
    expect(
      bad([
        [attr("RoleSessionName"), ["alice"]],
        [attr("PrincipalTag:a*b"), ["x"]],
      ]),
    ).toMatch(/^InvalidIdentityToken/);
    expect(
      bad([
        [attr("RoleSessionName"), ["alice"]],
        [attr("PrincipalTag:Team"), ["x"]],
        [attr("PrincipalTag:team"), ["y"]],
      ]),
    ).toMatch(/^InvalidIdentityToken/);
  });
});

describe("SAML condition keys", () => {
  it("strips the SAML 2.0 name-id-format prefix only", () => {
    expect(subjectTypeOf("urn:oasis:names:tc:SAML:2.0:nameid-format:transient")).toBe("transient");
    expect(subjectTypeOf("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")).toBe(
      "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    );
    expect(subjectTypeOf(undefined)).toBe("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
  });

  it("computes NameQualifier as AWS documents it", async () => {
    const expected = createHash("sha1").update("https://example.com/saml123456789012/MySAMLIdP").digest("base64");
    expect(await nameQualifierOf("https://example.com/saml", "123456789012", "MySAMLIdP")).toBe(expected);
  });

  it("gives the trust policy SAML:aud/iss/sub/sub_type/namequalifier/doc, attribute keys and aws:FederatedProvider", async () => {
    const a = assertion({}, [
      ["urn:oid:1.3.6.1.4.1.5923.1.1.1.1", ["staff", "member"]],
      ["urn:oid:0.9.2342.19200300.100.1.3", ["alice@example.com"]],
      ["FirstName", ["Alice"]],
    ]);
    const { keys } = await samlConditionKeys(
      a,
      { arn: PROVIDER, account: "111111111111", name: "Lab" },
      "https://signin.aws.amazon.com/saml",
    );
    expect(keys).toEqual({
      "SAML:aud": "https://signin.aws.amazon.com/saml",
      "SAML:iss": "https://idp.example.com/saml",
      "SAML:sub": "alice@example.com",
      "SAML:sub_type": "persistent",
      "SAML:namequalifier": await nameQualifierOf("https://idp.example.com/saml", "111111111111", "Lab"),
      "SAML:doc": "111111111111/Lab",
      "SAML:edupersonaffiliation": ["staff", "member"],
      "SAML:mail": "alice@example.com",
      "aws:FederatedProvider": PROVIDER,
    });
  });
});
