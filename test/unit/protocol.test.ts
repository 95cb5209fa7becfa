import { describe, expect, it } from "vitest";
import { parseForm, decodeInput } from "../../src/protocol/query";
import { s, common } from "../../src/protocol/shapes";
import { successXml, errorXml, XmlMap, NAMESPACES } from "../../src/protocol/xml";
import { AwsError } from "../../src/protocol/errors";

describe("parseForm", () => {
  it("decodes botocore's percent-encoding and treats + and %20 as spaces", () => {
    const p = parseForm("Action=CreatePolicy&PolicyDocument=%7B%22a%22%3A%22s3%3A%2A%22%7D&X=a+b%20c&Empty=");
    expect(p.get("Action")).toBe("CreatePolicy");
    expect(p.get("PolicyDocument")).toBe('{"a":"s3:*"}');
    expect(p.get("X")).toBe("a b c");
    expect(p.get("Empty")).toBe("");
  });
  it("rejects broken escapes with MalformedQueryString", () => {
    expect(() => parseForm("A=%E0%A4%A")).toThrowError(AwsError);
    try {
      parseForm("A=%ZZ");
    } catch (e) {
      expect((e as AwsError).code).toBe("MalformedQueryString");
    }
  });
});

describe("decodeInput (shape-driven)", () => {
  const shape = {
    UserName: common.name(64),
    MaxItems: s.integer({ min: 1, max: 1000 }),
    Flag: s.boolean(),
    Tags: common.tags(),
    ContextEntries: s.list(s.struct({ ContextKeyName: s.string(), ContextKeyValues: s.list(s.string()) })),
    Attrs: s.map(s.string()),
  };

  it("decodes member lists, nested lists, structures and maps", () => {
    const p = parseForm(
      "UserName=bob&MaxItems=5&Flag=true&Tags.member.1.Key=team&Tags.member.1.Value=red&Tags.member.2.Key=env&Tags.member.2.Value=" +
        "&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1&ContextEntries.member.1.ContextKeyValues.member.2=10.0.0.2" +
        "&Attrs.entry.1.key=k1&Attrs.entry.1.value=v1",
    );
    expect(decodeInput(shape, p)).toEqual({
      UserName: "bob",
      MaxItems: 5,
      Flag: true,
      Tags: [
        { Key: "team", Value: "red" },
        { Key: "env", Value: "" },
      ],
      ContextEntries: [{ ContextKeyName: "aws:SourceIp", ContextKeyValues: ["10.0.0.1", "10.0.0.2"] }],
      Attrs: { k1: "v1" },
    });
  });

  it("an empty list sent as `X=` decodes to []", () => {
    expect(decodeInput({ L: s.list(s.string()) }, parseForm("L="))).toEqual({ L: [] });
  });

  it("reports every violation in AWS's wording", () => {
    const p = parseForm(`UserName=${"x".repeat(65)}&MaxItems=0`);
    expect(() => decodeInput(shape, p)).toThrowError(
      "2 validation errors detected: Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64; Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  it("a missing required member is 'Member must not be null'", () => {
    try {
      decodeInput(shape, parseForm(""));
      expect.unreachable();
    } catch (e) {
      expect((e as AwsError).code).toBe("ValidationError");
      expect((e as AwsError).status).toBe(400);
      expect((e as AwsError).message).toBe(
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must not be null",
      );
    }
  });

  it("patterns, enums, numbers and booleans are checked", () => {
    expect(() => decodeInput(shape, parseForm("UserName=bad/name"))).toThrowError(
      /Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\+/,
    );
    expect(() => decodeInput(shape, parseForm("UserName=a&MaxItems=x"))).toThrowError(/Member must be a number/);
    expect(() => decodeInput(shape, parseForm("UserName=a&Flag=yes"))).toThrowError(/Member must be a boolean/);
    expect(() => decodeInput({ S: s.string({ enum: ["Active", "Inactive"] }) }, parseForm("S=On"))).toThrowError(
      /enum value set: \[Active, Inactive\]/,
    );
  });
});

describe("XML serializer", () => {
  it("writes results generically, escaping text and omitting undefined", () => {
    const xml = successXml(
      NAMESPACES.iam,
      "ListUsers",
      {
        Users: [{ UserName: "a&b", CreateDate: new Date(Date.UTC(2026, 10, 22, 19, 32, 30, 123)), Path: undefined }],
        IsTruncated: false,
      },
      "rid",
    );
    expect(xml).toBe(
      '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users><member><UserName>a&amp;b</UserName><CreateDate>2026-11-22T19:32:30Z</CreateDate></member></Users><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListUsersResponse>',
    );
  });
  it("writes maps as entry/key/value and empty results as metadata only", () => {
    expect(successXml(NAMESPACES.iam, "GetAccountSummary", { SummaryMap: new XmlMap([["Users", 2]]) }, "r")).toContain(
      "<SummaryMap><entry><key>Users</key><value>2</value></entry></SummaryMap>",
    );
    expect(successXml(NAMESPACES.iam, "DeleteUser", undefined, "r")).toBe(
      '<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>',
    );
  });
  it("never writes a character XML 1.0 forbids: each becomes U+FFFD (issue 23)", () => {
    const bad = "a\u0000b\u0007c\u001bd\u000be\ud800f\udc00g\uffff";
    const xml = successXml(NAMESPACES.iam, "GetPolicy", { Policy: { Description: bad }, M: new XmlMap([[bad, bad]]) }, "r");
    expect(xml).toContain("<Description>a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffd</Description>");
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    // TAB, LF, CR (as a reference), DEL, C1 controls and real surrogate pairs are legal and kept.
    const ok = "t\tl\nc\r\u007f\u0085\u{1F600}";
    expect(successXml(NAMESPACES.iam, "X", { V: ok }, "r")).toContain("<V>t\tl\nc&#13;\u007f\u0085\u{1F600}</V>");
    expect(errorXml(NAMESPACES.iam, "Sender", "ValidationError", "Value 'x\u001b' at 'description'", "r")).toContain(
      "<Message>Value 'x\ufffd' at 'description'</Message>",
    );
  });
  it("writes AWS's ErrorResponse", () => {
    expect(errorXml(NAMESPACES.sts, "Sender", "AccessDenied", "no <way>", "r")).toBe(
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no &lt;way&gt;</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    );
  });
});

describe("common shapes", () => {
  it("paths must start and end with a slash", () => {
    const shape = { Path: common.path() };
    expect(decodeInput(shape, parseForm("Path=%2F"))).toEqual({ Path: "/" });
    expect(decodeInput(shape, parseForm("Path=%2Fdev%2Fteam%2F"))).toEqual({ Path: "/dev/team/" });
    expect(() => decodeInput(shape, parseForm("Path=%2Ffoo"))).toThrowError(/regular expression pattern/);
    expect(() => decodeInput(shape, parseForm("Path=foo%2F"))).toThrowError(/regular expression pattern/);
  });
});
