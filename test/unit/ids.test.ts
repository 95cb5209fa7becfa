import { describe, expect, it } from "vitest";
import { accountOfAccessKeyId, newAccessKeyId, newAccountId, newSecretAccessKey, newUniqueId } from "../../src/lib/ids";
import { parseArn, iamArn, assumedRoleArn } from "../../src/lib/arn";

describe("ids", () => {
  it("unique ids are a prefix + 17 base32 characters", () => {
    for (const p of ["AIDA", "AGPA", "AROA", "ANPA", "AIPA"] as const) expect(newUniqueId(p)).toMatch(new RegExp(`^${p}[A-Z2-7]{17}$`));
  });
  it("access key ids encode their account, as AWS's do", () => {
    for (const acct of ["123456789012", "000000000001", "999999999999", "210987654321"]) {
      const perm = newAccessKeyId(acct, false);
      const temp = newAccessKeyId(acct, true);
      expect(perm).toMatch(/^AKIA[A-Z2-7]{16}$/);
      expect(temp).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(accountOfAccessKeyId(perm)).toBe(acct);
      expect(accountOfAccessKeyId(temp)).toBe(acct);
    }
  });
  it("decodes a real-world key id the way the public algorithm does", () => {
    // Known public example: ASIAY34FZKBOKMUTVV7A belongs to account 609629065308.
    expect(accountOfAccessKeyId("ASIAY34FZKBOKMUTVV7A")).toBe("609629065308");
    expect(accountOfAccessKeyId("not-a-key")).toBeNull();
  });
  it("secrets are 40 characters and account ids 12 digits", () => {
    expect(newSecretAccessKey()).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(newAccountId()).toMatch(/^[1-9]\d{11}$/);
  });
});

describe("arn", () => {
  it("parses and builds ARNs", () => {
    expect(parseArn("arn:aws:iam::123456789012:user/dev/bob")).toEqual({
      partition: "aws",
      service: "iam",
      region: "",
      account: "123456789012",
      resource: "user/dev/bob",
    });
    expect(parseArn("arn:aws:s3:::bucket/key:with:colons")?.resource).toBe("bucket/key:with:colons");
    expect(parseArn("nope")).toBeNull();
    expect(iamArn("123456789012", "user", "/dev/", "bob")).toBe("arn:aws:iam::123456789012:user/dev/bob");
    expect(assumedRoleArn("123456789012", "r1", "s1")).toBe("arn:aws:sts::123456789012:assumed-role/r1/s1");
  });
});
