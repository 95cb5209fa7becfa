/** The console's pure parts: policy-editor findings, signed cookie values, shell quoting, flip hints. */
import { describe, expect, it } from "vitest";
import { validatePolicy } from "../../src/console/validate-policy";
import { cookieHeader, readCookie, signValue, verifyValue } from "../../src/console/cookies";
import { sh } from "../../src/console/views/layout";

const codes = (doc: unknown, type?: "IDENTITY_POLICY" | "RESOURCE_POLICY" | "TRUST_POLICY") =>
  validatePolicy(typeof doc === "string" ? doc : JSON.stringify(doc), type).map((f) => `${f.findingType}:${f.issueCode}`);

describe("policy editor findings", () => {
  it("a valid policy has none", () => {
    expect(codes({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:Get*", "iam:ListUsers"], Resource: "*" }] })).toEqual(
      [],
    );
  });

  it("reports JSON syntax, malformed documents, unknown services and actions", () => {
    expect(codes("{")).toEqual(["ERROR:JSON_SYNTAX_ERROR"]);
    expect(codes({ Version: "2012-10-17", Statement: [{ Effect: "Maybe", Action: "s3:GetObject", Resource: "*" }] })).toEqual([
      "ERROR:MALFORMED_POLICY_DOCUMENT",
    ]);
    expect(
      codes({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s4:GetObject", "s3:GetObjekt", "s3:Zz*"], Resource: "*" }] }),
    ).toEqual(["ERROR:INVALID_SERVICE", "ERROR:INVALID_ACTION", "ERROR:INVALID_ACTION"]);
  });

  it("warns about risky and outdated forms", () => {
    expect(codes({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] })).toEqual([
      "ERROR:MALFORMED_POLICY_DOCUMENT", // managed policies must say 2012-10-17
      "WARNING:MISSING_VERSION",
    ]);
    expect(codes({ Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] })).toContain(
      "SECURITY_WARNING:ALLOW_WITH_NOT_ACTION",
    );
    expect(codes({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }] })).toContain(
      "SECURITY_WARNING:PASS_ROLE_WITH_STAR_IN_RESOURCE",
    );
    expect(codes({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] })).toContain(
      "SECURITY_WARNING:FULL_ACCESS",
    );
    expect(
      codes({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: {} }] }),
    ).toContain("SUGGESTION:EMPTY_OBJECT_CONDITION");
  });
});

describe("console cookies", () => {
  it("verifies only values signed with the key, unaltered", async () => {
    const v = await signValue("k1", "abc_DEF-123");
    expect(await verifyValue("k1", v)).toBe("abc_DEF-123");
    expect(await verifyValue("k2", v)).toBeUndefined();
    expect(await verifyValue("k1", `x${v}`)).toBeUndefined();
    expect(
      await verifyValue(
        "k1",
        v.replace(/.$/, (c) => (c === "A" ? "B" : "A")),
      ),
    ).toBeUndefined();
    expect(await verifyValue("k1", "no-dot")).toBeUndefined();
    expect(await verifyValue("k1", undefined)).toBeUndefined();
  });

  it("writes HttpOnly, SameSite=Strict cookies, Secure over https, and reads them back", () => {
    expect(cookieHeader("n", "v", { secure: true, maxAgeSeconds: 60 })).toBe(
      "n=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=60; Secure",
    );
    expect(cookieHeader("n", "v", { secure: false, maxAgeSeconds: 60 })).not.toContain("Secure");
    expect(readCookie("a=1; n=v.w; b=2", "n")).toBe("v.w");
    expect(readCookie("an=1", "n")).toBeUndefined();
  });
});

describe("CLI snippets", () => {
  it("quotes attacker-chosen names for a POSIX shell", () => {
    expect(sh("alice")).toBe("alice");
    expect(sh("a b")).toBe("'a b'");
    expect(sh("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(sh("$(id)")).toBe("'$(id)'");
  });
});
