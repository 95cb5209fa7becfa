/** parsePolicy: IAM's MalformedPolicyDocument messages, stage order, kinds, and the compiled form. */
import { describe, expect, it } from "vitest";
import { parsePolicy, policySizeWithoutWhitespace, type PolicyKind } from "../../src/policy/index.js";

const S = { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::example_bucket" };
const doc = (statement: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statement, ...extra });

const invalid: Array<[string, string, string, PolicyKind?]> = [
  ["not json", "This is not a json document", "Syntax errors in policy."],
  ["trust policy not json", "{not json", "This policy contains invalid Json", "trust"],
  ["trust policy JSON of the wrong shape", "[]", "Syntax errors in policy.", "trust"],
  ["array document", "[]", "Syntax errors in policy."],
  ["unknown version", JSON.stringify({ Version: "2013-10-17", Statement: S }), "Syntax errors in policy."],
  ["no statement", JSON.stringify({ Version: "2012-10-17" }), "Syntax errors in policy."],
  ["empty statement list", doc([]), "Syntax errors in policy."],
  ["statement is a string", doc(["afd"]), "Syntax errors in policy."],
  ["extra top-level field", doc(S, { "Extra field": "value" }), "Syntax errors in policy."],
  ["extra statement field", doc({ ...S, "Extra field": "value" }), "Syntax errors in policy."],
  ["Id is a list", doc(S, { Id: ["x"] }), "Syntax errors in policy."],
  ["Effect invalid", doc({ ...S, Effect: "invalid" }), "Syntax errors in policy."],
  ["Effect missing", doc({ Action: "s3:ListBucket", Resource: "*" }), "Syntax errors in policy."],
  ["Action and NotAction", doc({ ...S, NotAction: "iam:dsf" }), "Syntax errors in policy."],
  ["Resource and NotResource", doc({ ...S, NotResource: "*" }), "Syntax errors in policy."],
  ["Resource object", doc({ ...S, Resource: { a: "b" } }), "Syntax errors in policy."],
  ["Resource list with object", doc({ ...S, Resource: ["adfdf", {}] }), "Syntax errors in policy."],
  ["Action nested list", doc({ ...S, Action: [[]] }), "Syntax errors in policy."],
  ["Condition list", doc({ ...S, Condition: [] }), "Syntax errors in policy."],
  ["Condition string", doc({ ...S, Condition: "a" }), "Syntax errors in policy."],
  ["Condition block string", doc({ ...S, Condition: { a: "b" } }), "Syntax errors in policy."],
  ["Condition unknown operator", doc({ ...S, Condition: { x: { a: "1" } } }), "Syntax errors in policy."],
  ["Condition double colon", doc({ ...S, Condition: { "ForAnyValue::StringEqualsIfExists": { a: "x" } } }), "Syntax errors in policy."],
  ["Condition value object", doc({ ...S, Condition: { DateGreaterThan: { a: {} } } }), "Syntax errors in policy."],
  ["Sid object", doc({ ...S, Sid: {} }), "Syntax errors in policy."],
  ["Principal wrong type key", doc({ ...S, Principal: { Users: "x" } }, {}), "Syntax errors in policy.", "resource"],
  ["Effect lower-case", doc({ ...S, Effect: "allow" }), "The policy failed legacy parsing"],
  ["Effect mixed case", doc({ ...S, Effect: "denY" }), "The policy failed legacy parsing"],
  ["bad date", doc({ ...S, Condition: { DateGreaterThan: { a: "sdfdsf" } } }), "The policy failed legacy parsing"],
  ["bad date month", doc({ ...S, Condition: { DateLessThanEquals: { a: "234-13" } } }), "The policy failed legacy parsing"],
  ["resource too few segments", doc({ ...S, Resource: "arn:aws:s3::example_bucket" }), "The policy failed legacy parsing"],
  ["resource empty service", doc({ ...S, Resource: "arn:aws::::example_bucket" }), "The policy failed legacy parsing"],
  ["legacy before actions present", doc({ Effect: "Allow", Resource: "arn:aws:s3::example_bucket" }), "The policy failed legacy parsing"],
  [
    "duplicate sid",
    doc([
      { ...S, Sid: "a" },
      { ...S, Sid: "a" },
    ]),
    "Statement IDs (SID) in a single policy must be unique.",
  ],
  [
    "sid not alphanumeric (identity)",
    doc({ ...S, Sid: "my sid" }),
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
  ],
  ["no actions", doc({ Effect: "Allow", Resource: "*" }), "Policy statement must contain actions."],
  ["empty actions", doc({ ...S, Action: [] }), "Policy statement must contain actions."],
  ["actions before resources", doc({ Effect: "Allow" }), "Policy statement must contain actions."],
  ["no resources", doc({ Effect: "Allow", Action: "s3:ListBucket" }), "Policy statement must contain resources."],
  ["empty resources", doc({ ...S, Resource: [] }), "Policy statement must contain resources."],
  // AWS reports an invalid action before a missing Resource (LocalStack's AWS-validated snapshots, moto)
  [
    "action vendor before resources",
    doc({ Effect: "Allow", Action: "invalid" }),
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  ],
  ["resources present after action vendors", doc({ Effect: "Allow", Action: "s3:ListBucket" }), "Policy statement must contain resources."],
  [
    "resource format before resources present",
    doc([
      { Effect: "Allow", Action: "s3:ListBucket" },
      { ...S, Resource: "nope" },
    ]),
    'Resource nope must be in ARN format or "*".',
  ],
  [
    "resource format before action vendor",
    doc({ Effect: "Allow", Action: "invalid", Resource: "nope" }),
    'Resource nope must be in ARN format or "*".',
  ],
  ["actions present before resource format", doc({ Effect: "Allow", Resource: "nope" }), "Policy statement must contain actions."],
  [
    "resource without arn prefix",
    doc({ ...S, Resource: "aws:s3:::example_bucket" }),
    'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".',
  ],
  [
    "last partition error of a list",
    doc({ ...S, Resource: ["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"] }),
    'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".',
  ],
  ["partition b short", doc({ ...S, Resource: "a:b:cadfsdf" }), 'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".'],
  [
    "bad date beats bad partition",
    doc({ ...S, Resource: "arn:error:s3:::example_bucket", Condition: { DateGreaterThan: { a: "sdfdsf" } } }),
    "The policy failed legacy parsing",
  ],
  ["short arn with double colon", doc({ ...S, Resource: "arn:aws::fdsasf" }), "The policy failed legacy parsing"],
  [
    "NotResource too few segments",
    doc({ Effect: "Allow", Action: "s3:ListBucket", NotResource: "arn:aws:s3::example_bucket" }),
    "The policy failed legacy parsing",
  ],
  [
    "date epoch beyond 64 bits",
    doc({ ...S, Condition: { DateLessThan: { a: "9223372036854775808" } } }),
    "The policy failed legacy parsing",
  ],
  ["date epoch fraction", doc({ ...S, Condition: { DateLessThan: { a: "1500000000.5" } } }), "The policy failed legacy parsing"],
  [
    "date offset one digit",
    doc({ ...S, Condition: { DateLessThanEquals: { a: "2016-12-13t2:00:00.593194+1" } } }),
    "The policy failed legacy parsing",
  ],
  [
    "date fraction of ten digits",
    doc({ ...S, Condition: { DateLessThanEquals: { a: "2016-12-13t2:00:00.1999999999+10:59" } } }),
    "The policy failed legacy parsing",
  ],
  ["date year below Java's range", doc({ ...S, Condition: { DateLessThan: { a: "-292275055" } } }), "The policy failed legacy parsing"],
  ["date empty", doc({ ...S, Condition: { DateLessThan: { a: "" } } }), "The policy failed legacy parsing"],
  ["date hour 24", doc({ ...S, Condition: { DateLessThan: { a: "2020-01-01T24:00:00Z" } } }), "The policy failed legacy parsing"],
  ["date four parts", doc({ ...S, Condition: { DateLessThan: { a: "2020-01-01-01" } } }), "The policy failed legacy parsing"],
  ["date offset without T", doc({ ...S, Condition: { DateLessThan: { a: "2020-01-01Z" } } }), "The policy failed legacy parsing"],
  ["resource not ARN", doc({ ...S, Resource: "invalid resource" }), 'Resource invalid resource must be in ARN format or "*".'],
  ["resource empty", doc({ ...S, Resource: "" }), 'Resource  must be in ARN format or "*".'],
  [
    "resource bad partition",
    doc({ ...S, Resource: "a:bsdfdsafsad" }),
    'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".',
  ],
  [
    "resource bad partition long",
    doc({ ...S, Resource: "a:b:c:d:e:f:g:h" }),
    'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".',
  ],
  ["resource vendor missing", doc({ ...S, Resource: "arn:aws" }), "Resource vendor must be fully qualified and cannot contain regexes."],
  [
    "iam resource with region",
    doc({ ...S, Resource: "arn:aws:iam:us-east-1::example_bucket" }),
    "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
  ],
  [
    "s3 resource with region",
    doc({ ...S, Resource: "arn:aws:s3:us-east-1::example_bucket" }),
    "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
  ],
  [
    "iam resource bad path",
    doc({ ...S, Resource: "arn:aws:iam:::example_bucket" }),
    'IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.',
  ],
  ["action without vendor", doc({ ...S, Action: "invalid" }), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
  [
    "NotAction empty string",
    doc({ Effect: "Allow", NotAction: "", Resource: "*" }),
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  ],
  ["action two colons", doc({ ...S, Action: "s3:List:Bucket" }), "Actions/Condition can contain only one colon."],
  ["action vendor with space", doc({ ...S, Action: "a a:ListBucket" }), "Vendor a a is not valid"],
  ["identity policy with Principal", doc({ ...S, Principal: "*" }), "Policy document should not specify a principal."],
  [
    "boundary with NotPrincipal",
    doc({ ...S, NotPrincipal: { AWS: "111111111111" } }),
    "Policy document should not specify a principal.",
    "boundary",
  ],
  ["scp with principal", doc({ ...S, Principal: "*" }), "Policy document should not specify a principal.", "scp"],
  ["resource policy without principal", doc(S), "Missing required field Principal", "resource"],
  ["trust policy without principal", doc({ Effect: "Allow", Action: "sts:AssumeRole" }), "Missing required field Principal", "trust"],
  [
    "trust policy with Resource",
    doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "111111111111" }, Resource: "*" }),
    "Has prohibited field Resource",
    "trust",
  ],
  [
    "trust policy non-sts action",
    doc({ Effect: "Allow", Action: "s3:GetObject", Principal: { AWS: "111111111111" } }),
    "AssumeRole policy may only specify STS AssumeRole actions.",
    "trust",
  ],
  [
    "invalid AWS principal",
    doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "bob" } }),
    'Invalid principal in policy: "AWS":"bob"',
    "trust",
  ],
  [
    "principal with wildcard name",
    doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:iam::111111111111:user/*" } }),
    'Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:user/*"',
    "trust",
  ],
  [
    "principal partial wildcard account",
    doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:iam::1111*:root" } }),
    "Partial wildcard (*) not supported in the account ID portion of the ARN",
    "trust",
  ],
  [
    "principal wrong service",
    doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:s3:::bucket" } }),
    'Invalid principal in policy: "AWS":"arn:aws:s3:::bucket"',
    "trust",
  ],
  [
    "invalid service principal",
    doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "ec2 amazonaws" } }),
    'Invalid principal in policy: "SERVICE":"ec2 amazonaws"',
    "trust",
  ],
];

describe("parsePolicy: invalid documents", () => {
  it.each(invalid)("%s", (_name, json, message, kind) => {
    const r = parsePolicy(json, kind ?? "identity");
    expect(r).toEqual({ ok: false, message });
  });

  it("managed policies must be 2012-10-17", () => {
    const noVersion = JSON.stringify({ Statement: S });
    expect(parsePolicy(noVersion, "identity", { requireVersion2012: true })).toEqual({
      ok: false,
      message: "Policy document must be version 2012-10-17 or greater.",
    });
    const old = JSON.stringify({ Version: "2008-10-17", Statement: S });
    expect(parsePolicy(old, "identity", { requireVersion2012: true })).toMatchObject({ ok: false });
    // the version check comes before the legacy parser
    const both = JSON.stringify({ Statement: { ...S, Effect: "denY" } });
    expect(parsePolicy(both, "identity", { requireVersion2012: true })).toEqual({
      ok: false,
      message: "Policy document must be version 2012-10-17 or greater.",
    });
  });
});

const valid: Array<[string, string, PolicyKind?]> = [
  ["list resource", doc({ ...S, Resource: ["arn:aws:s3:::example_bucket"] })],
  ["odd action text", doc({ ...S, Action: "iam: asdf safdsf af " })],
  ["resource list with star", doc({ ...S, Resource: ["arn:aws:s3:::example_bucket", "*"] })],
  ["action star", doc({ ...S, Action: "*" })],
  [
    "date conditions",
    doc({
      ...S,
      Condition: { DateGreaterThan: { "aws:CurrentTime": "2017-07-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "1500000000" } },
    }),
  ],
  ["iam user resource", doc({ ...S, Resource: "arn:aws:iam:::user/example_bucket" })],
  ["unknown service resource", doc({ ...S, Resource: "arn:aws:s33:::example_bucket" })],
  ["short resource", doc({ ...S, Resource: "arn:aws:fdsasf" })],
  ["empty condition", doc({ ...S, Condition: {} })],
  ["empty operator block", doc({ ...S, Condition: { DateGreaterThan: {} } })],
  ["unknown operator empty", doc({ ...S, Condition: { a: {} } })],
  ["set operator", doc({ ...S, Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": "Department" } } })],
  ["region in ec2 arn", doc({ ...S, Resource: "arn:aws:ec2:us-east-1::example_bucket" })],
  ["s3 access point object ARN", doc({ ...S, Resource: "arn:aws:s3:us-west-2:123456789012:accesspoint/name/object/*" })],
  ["s3 access point ARN", doc({ ...S, Resource: "arn:aws:s3:us-west-2:123456789012:accesspoint/name" })],
  ["s3 batch job ARN", doc({ ...S, Resource: "arn:aws:s3:us-east-1:123456789012:job/*" })],
  ["iam root resource", doc({ ...S, Resource: "arn:aws:iam::123456789012:root" })],
  ["date partial ISO 01T", doc({ ...S, Condition: { DateGreaterThan: { a: "01T" } } })],
  ["date large negative value", doc({ ...S, Condition: { DateLessThan: { a: "-292275054" } } })],
  ["date largest epoch", doc({ ...S, Condition: { DateLessThan: { a: "9223372036854775807" } } })],
  ["date lower-case t, one-digit hour, +23", doc({ ...S, Condition: { DateLessThanEquals: { a: "2016-12-13t2:00:00.593194+23" } } })],
  ["date microseconds and offset", doc({ ...S, Condition: { DateLessThanEquals: { a: "2016-12-13T21:20:37.593194+00:00" } } })],
  ["date nine-digit fraction", doc({ ...S, Condition: { DateLessThanEquals: { a: "2016-12-13T21:20:37.123456789Z" } } })],
  ["date year-month", doc({ ...S, Condition: { DateLessThanEquals: { a: "2019-07" } } })],
  ["date hour only", doc({ ...S, Condition: { DateLessThanEquals: { a: "2019-07-01T13" } } })],
  [
    "numbers and booleans in conditions",
    doc({ ...S, Condition: { NumericLessThan: { "s3:max-keys": 10 }, Bool: { "aws:SecureTransport": true } } }),
  ],
  ["2008 version", JSON.stringify({ Version: "2008-10-17", Statement: S })],
  ["no version (inline)", JSON.stringify({ Statement: S })],
  [
    "resource policy",
    doc({
      ...S,
      Principal: {
        AWS: [
          "111111111111",
          "arn:aws:iam::111111111111:root",
          "arn:aws:iam::111111111111:user/p/bob",
          "arn:aws:sts::111111111111:assumed-role/R/s",
        ],
      },
    }),
    "resource",
  ],
  ["resource policy sid with spaces", doc({ ...S, Sid: "Allow read", Principal: "*" }), "resource"],
  [
    "trust policy",
    doc({ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Principal: { Service: "ec2.amazonaws.com" } }),
    "trust",
  ],
  [
    "trust federated",
    doc({ Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity", Principal: { Federated: "cognito-identity.amazonaws.com" } }),
    "trust",
  ],
  ["rcp", doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }), "rcp"],
  ["variables", doc({ ...S, Resource: "arn:aws:s3:::bucket/${aws:username}/*" })],
  ["partition wildcard", doc({ ...S, Resource: "arn:*:s3:::bucket" })],
];

describe("parsePolicy: valid documents", () => {
  it.each(valid)("%s", (_name, json, kind) => {
    const r = parsePolicy(json, kind ?? "identity");
    expect(r.ok, r.ok ? "" : r.message).toBe(true);
  });

  it("compiles to an immutable policy with pre-lowercased actions", () => {
    const r = parsePolicy(doc([{ Sid: "A1", Effect: "Allow", Action: ["IAM:GetUser", "s3:Get*"], Resource: "*" }]), "identity");
    if (!r.ok) throw new Error(r.message);
    const p = r.policy;
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.statements)).toBe(true);
    expect(Object.isFrozen(p.statements[0])).toBe(true);
    expect([...p.statements[0]!.action.exact]).toEqual([["iam:getuser", "IAM:GetUser"]]);
    expect(p.statements[0]!.action.globs.map((g) => g.value)).toEqual(["s3:Get*"]);
    expect(p.statements[0]!.sid).toBe("A1");
    expect(p.variables).toBe(true);
  });

  it("variables only in 2012-10-17", () => {
    const old = parsePolicy(JSON.stringify({ Version: "2008-10-17", Statement: S }), "identity");
    const none = parsePolicy(JSON.stringify({ Statement: S }), "identity");
    expect(old.ok && old.policy.variables).toBe(false);
    expect(none.ok && none.policy.variables).toBe(false);
  });
});

describe("policySizeWithoutWhitespace", () => {
  it("does not count spaces, tabs and newlines", () => {
    expect(policySizeWithoutWhitespace('{ "a" :\n\t"b c" }')).toBe(10);
    const compact = doc(S);
    expect(policySizeWithoutWhitespace(JSON.stringify(JSON.parse(compact), null, 4))).toBe(policySizeWithoutWhitespace(compact));
  });
  it("is recorded on the compiled policy", () => {
    const json = JSON.stringify(JSON.parse(doc(S)), null, 2);
    const r = parsePolicy(json, "identity");
    expect(r.ok && r.policy.size).toBe(policySizeWithoutWhitespace(json));
  });
});
