/**
 * S3's "public" bucket policies (src/services/s3/public-policy.ts), as data: one statement (or a
 * list) per line and S3's verdict, from the user guide's "The meaning of 'public'".
 */
import { describe, expect, it } from "vitest";
import { isPublicPolicy, policyPublicity, restrictToAccount } from "../../src/services/s3/public-policy";
import { evaluate, parsePolicy, type Principal } from "../../src/policy/index";

const R = "arn:aws:s3:::b/*";
const allow = (principal: unknown, condition?: object) => ({
  Effect: "Allow",
  Principal: principal,
  Action: "s3:GetObject",
  Resource: R,
  ...(condition ? { Condition: condition } : {}),
});
const eq = (key: string, value: string | string[]) => ({ StringEquals: { [key]: value } });

// [what, statement(s), public?]
const CASES: [string, object | object[], boolean][] = [
  ['Principal "*"', allow("*"), true],
  ['{"AWS": "*"}', allow({ AWS: "*" }), true],
  ["an account", allow({ AWS: "111122223333" }), false],
  ["an account root ARN", allow({ AWS: "arn:aws:iam::111122223333:root" }), false],
  ["a role ARN", allow({ AWS: "arn:aws:iam::111122223333:role/r" }), false],
  ["a service principal", allow({ Service: "cloudtrail.amazonaws.com" }), false],
  ["a canonical user", allow({ CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" }), false],
  ["a Federated principal (the docs' example)", allow({ Federated: "graph.facebook.com" }), true],
  ["NotPrincipal with Allow", { Effect: "Allow", NotPrincipal: { AWS: "111122223333" }, Action: "s3:GetObject", Resource: R }, true],
  ["a Deny to everyone is not a grant", { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: R }, false],
  ["* with a fixed aws:SourceVpc (the docs' example)", allow("*", eq("aws:SourceVpc", "vpc-91237329")), false],
  ["* with aws:SourceVpc vpc-* (the docs' example)", allow("*", { StringLike: { "aws:SourceVpc": "vpc-*" } }), true],
  ["* with a fixed aws:SourceVpce", allow("*", eq("aws:SourceVpce", "vpce-1a2b3c4d")), false],
  [
    "* with a fixed aws:SourceArn (ArnEquals)",
    allow("*", { ArnEquals: { "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t" } }),
    false,
  ],
  [
    "* with a wildcarded aws:SourceArn (ArnLike)",
    allow("*", { ArnLike: { "aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*" } }),
    true,
  ],
  ["* with a fixed aws:SourceAccount", allow("*", eq("aws:SourceAccount", "111122223333")), false],
  ["* with a fixed aws:SourceOwner", allow("*", eq("aws:SourceOwner", "111122223333")), false],
  ["* with a fixed aws:PrincipalAccount", allow("*", eq("aws:PrincipalAccount", "111122223333")), false],
  ["* with aws:PrincipalAccount as a policy variable", allow("*", eq("aws:PrincipalAccount", "${aws:ResourceAccount}")), true],
  ["* with a fixed aws:PrincipalOrgID", allow("*", eq("aws:PrincipalOrgID", "o-abc123")), false],
  ["* with aws:PrincipalOrgID o-*", allow("*", { StringLike: { "aws:PrincipalOrgID": "o-*" } }), true],
  ["* with a fixed aws:PrincipalArn", allow("*", { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/r" } }), false],
  ["* with a wildcarded aws:PrincipalArn", allow("*", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/r" } }), true],
  ["* with a fixed aws:userid", allow("*", eq("aws:userid", "AIDAEXAMPLE")), false],
  ["* with aws:userid AROLEID:* (every session of one role)", allow("*", { StringLike: { "aws:userid": "AROAEXAMPLEID:*" } }), false],
  ["* with aws:userid *", allow("*", { StringLike: { "aws:userid": "*" } }), true],
  [
    "* with a fixed KMS key id",
    allow("*", eq("s3:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/k")),
    false,
  ],
  [
    "* with access points of one account",
    allow("*", { ArnLike: { "s3:DataAccessPointArn": "arn:aws:s3:us-west-2:111122223333:accesspoint/*" } }),
    false,
  ],
  [
    "* with access points of any account",
    allow("*", { ArnLike: { "s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*" } }),
    true,
  ],
  ["* with a fixed s3:DataAccessPointAccount", allow("*", eq("s3:DataAccessPointAccount", "111122223333")), false],
  ["* with aws:SourceIp /24", allow("*", { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } }), false],
  ["* with aws:SourceIp /8", allow("*", { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }), false],
  ["* with aws:SourceIp /7 (broader than /8)", allow("*", { IpAddress: { "aws:SourceIp": "10.0.0.0/7" } }), true],
  ["* with aws:SourceIp 0.0.0.0/1 (the docs' example)", allow("*", { IpAddress: { "aws:SourceIp": "0.0.0.0/1" } }), true],
  ["* with aws:SourceIp one address", allow("*", { IpAddress: { "aws:SourceIp": "203.0.113.7" } }), false],
  ["* with aws:SourceIp IPv6 /32", allow("*", { IpAddress: { "aws:SourceIp": "2001:db8::/32" } }), false],
  ["* with aws:SourceIp IPv6 /31", allow("*", { IpAddress: { "aws:SourceIp": "2001:db8::/31" } }), true],
  ["* with one narrow and one broad range", allow("*", { IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "0.0.0.0/0"] } }), true],
  ["* with NotIpAddress (confines nothing)", allow("*", { NotIpAddress: { "aws:SourceIp": "192.0.2.0/24" } }), true],
  ["* with StringNotEquals (confines nothing)", allow("*", { StringNotEquals: { "aws:SourceVpce": "vpce-1" } }), true],
  [
    "* with StringEqualsIfExists (holds when the key is absent)",
    allow("*", { StringEqualsIfExists: { "aws:SourceVpce": "vpce-1" } }),
    true,
  ],
  ["* with ForAnyValue:StringEquals", allow("*", { "ForAnyValue:StringEquals": { "aws:SourceVpce": "vpce-1" } }), false],
  [
    "* with ForAllValues:StringEquals (holds when the key is absent)",
    allow("*", { "ForAllValues:StringEquals": { "aws:SourceVpce": "vpce-1" } }),
    true,
  ],
  ["* with an untrusted key (aws:Referer)", allow("*", eq("aws:Referer", "https://example.com/")), true],
  ["* with an untrusted key (aws:SecureTransport)", allow("*", { Bool: { "aws:SecureTransport": "true" } }), true],
  [
    "* with an untrusted key and a trusted one",
    allow("*", { ...eq("aws:SourceVpce", "vpce-1"), Bool: { "aws:SecureTransport": "true" } }),
    false,
  ],
  ["key names are case-insensitive", allow("*", { StringEquals: { "AWS:SOURCEVPCE": "vpce-1" } }), false],
  [
    "one public statement among fixed ones",
    [allow({ AWS: "111122223333" }), allow({ Service: "cloudtrail.amazonaws.com" }), allow("*")],
    true,
  ],
  ["only fixed statements", [allow({ AWS: "111122223333" }), allow({ Service: "cloudtrail.amazonaws.com" })], false],
];

describe("the meaning of 'public' for a bucket policy", () => {
  it.each(CASES)("%s", (_what, statements, expected) => {
    const json = JSON.stringify({ Version: "2012-10-17", Statement: statements });
    expect(isPublicPolicy(json)).toBe(expected);
  });

  it("names the first public statement and why", () => {
    const json = JSON.stringify({
      Version: "2012-10-17",
      Statement: [allow({ AWS: "111122223333" }), { Sid: "PublicRead", ...allow("*") }],
    });
    expect(policyPublicity(json)).toEqual({
      isPublic: true,
      statement: { index: 1, sid: "PublicRead", why: 'it grants to Principal "*" and no condition confines it to fixed values' },
    });
  });

  it("a single statement object (not a list) is read too", () => {
    expect(isPublicPolicy(JSON.stringify({ Version: "2012-10-17", Statement: allow("*") }))).toBe(true);
  });
});

describe("RestrictPublicBuckets: a public policy confined to the owner's account", () => {
  const OWNER = "111122223333";
  const OTHER = "444455556666";
  const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
  const confined = (s: object, extra: Record<string, unknown> = {}) => ({
    ...s,
    Condition: { ...extra, StringEquals: { ...((extra.StringEquals as object) ?? {}), "aws:PrincipalAccount": OWNER } },
  });
  const statementsOf = (json: string | null) => (json === null ? null : (JSON.parse(json) as { Statement: object[] }).Statement);
  const deny = { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: R, Condition: { Bool: { "aws:SecureTransport": "false" } } };

  // [what, statements, statements once restricted (null: nothing left)]
  const RESTRICT: [string, object[], object[] | null][] = [
    ["a policy that is not public is kept as is", [allow({ AWS: OTHER })], [allow({ AWS: OTHER })]],
    ["a public Allow is confined", [allow("*")], [confined(allow("*"))]],
    [
      "every Allow is confined, the ones naming accounts too",
      [allow("*"), allow({ AWS: OTHER })],
      [confined(allow("*")), confined(allow({ AWS: OTHER }))],
    ],
    ["Denys are kept as written", [deny, allow("*")], [deny, confined(allow("*"))]],
    [
      "service principals keep their grant",
      [allow({ Service: "cloudtrail.amazonaws.com" }), allow("*")],
      [allow({ Service: "cloudtrail.amazonaws.com" }), confined(allow("*"))],
    ],
    [
      "a statement naming services and accounts is split",
      [allow({ Service: "logging.s3.amazonaws.com", AWS: "*" })],
      [allow({ Service: "logging.s3.amazonaws.com" }), confined(allow({ AWS: "*" }))],
    ],
    [
      "existing conditions stay",
      [allow("*", { Bool: { "aws:SecureTransport": "true" } })],
      [confined(allow("*"), { Bool: { "aws:SecureTransport": "true" } })],
    ],
    [
      "a statement testing aws:PrincipalAccount keeps its test, and gets the owner's too",
      [allow("*", { StringLike: { "aws:PrincipalAccount": "4444*" } })],
      [confined(allow("*"), { StringLike: { "aws:PrincipalAccount": "4444*" } })],
    ],
    [
      "… with the next operator that means the same when StringEquals is taken",
      [allow("*", { StringEquals: { "aws:principalaccount": "${aws:ResourceAccount}" } })],
      [
        {
          ...allow("*"),
          Condition: {
            StringEquals: { "aws:principalaccount": "${aws:ResourceAccount}" },
            "ForAnyValue:StringEquals": { "aws:PrincipalAccount": OWNER },
          },
        },
      ],
    ],
  ];

  it.each(RESTRICT)("%s", (_what, statements, expected) => {
    expect(statementsOf(restrictToAccount(doc(...statements), OWNER))).toEqual(expected);
  });

  it("as the engine evaluates it: anonymous and other accounts lose the grant, the owner's users keep it", () => {
    const restricted = restrictToAccount(doc(allow("*"), allow({ AWS: OTHER })), OWNER)!;
    const compiled = parsePolicy(restricted, "resource");
    if (!compiled.ok) throw new Error(compiled.message);
    const resource = [{ id: "arn:aws:s3:::b", type: "resource" as const, policy: compiled.policy }];
    const decide = (principal: Principal, identity = false) =>
      evaluate(
        { principal, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", resourceAccount: OWNER, context: {} },
        { identity: identity ? [{ id: "p", type: "identity", policy: allowAll }] : [], resource },
      ).decision;
    const allowAllParsed = parsePolicy(doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }), "identity");
    if (!allowAllParsed.ok) throw new Error(allowAllParsed.message);
    const allowAll = allowAllParsed.policy;
    expect(decide({ kind: "anonymous", account: "", arn: "anonymous", userId: "anonymous" })).toBe("implicitDeny");
    expect(decide({ kind: "user", account: OTHER, arn: `arn:aws:iam::${OTHER}:user/x`, userId: "AIDAX", username: "x" }, true)).toBe(
      "implicitDeny",
    );
    expect(decide({ kind: "user", account: OWNER, arn: `arn:aws:iam::${OWNER}:user/u`, userId: "AIDAU", username: "u" })).toBe("allow");
  });
});
