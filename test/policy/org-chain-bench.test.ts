/**
 * Micro-benchmark of the engine on a deep organization: 5 levels (root, three OUs, account) × 5 SCPs each
 * (FullAWSAccess and four deny-list SCPs of typical shapes: region deny with NotAction exemptions, tag and
 * ARN conditions, protected resources). Prints ns per evaluation beside the same request without SCPs;
 * asserts only the decisions (no timing assertions: the machine is shared).
 */
import { describe, expect, it } from "vitest";
import { evaluate, parsePolicy, type AuthzRequest, type PolicySet, type PolicySource } from "../../src/policy/index.js";
import { A, PRINCIPALS } from "./corpus.js";

function src(type: "identity" | "scp", id: string, statements: unknown[]): PolicySource {
  const r = parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), type);
  if (!r.ok) throw new Error(r.message);
  return { id, type, policy: r.policy };
}

const EXEMPT = ["iam:*", "sts:*", "organizations:*", "cloudfront:*", "route53:*", "support:*", "budgets:*"];

/** The four deny-list SCPs of one level (level-specific ids and values, so nothing is shared across levels). */
function denyList(level: number): PolicySource[] {
  const id = (n: string) => `arn:aws:organizations::${A}:policy/o-bench/service_control_policy/p-${level}-${n}`;
  return [
    src("scp", id("region"), [
      {
        Effect: "Deny",
        NotAction: EXEMPT,
        Resource: "*",
        Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } },
      },
    ]),
    src("scp", id("guard"), [
      { Effect: "Deny", Action: ["organizations:LeaveOrganization", "account:CloseAccount"], Resource: "*" },
      { Effect: "Deny", Action: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "config:Delete*"], Resource: "*" },
      {
        Effect: "Deny",
        Action: "iam:*",
        Resource: [`arn:aws:iam::*:role/OrganizationAccountAccessRole`, `arn:aws:iam::*:role/Security-${level}-*`],
        Condition: { ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin" } },
      },
    ]),
    src("scp", id("tags"), [
      {
        Effect: "Deny",
        Action: ["ec2:RunInstances", "ec2:CreateVolume"],
        Resource: "*",
        Condition: { Null: { "aws:RequestTag/cost-center": "true" } },
      },
      {
        Effect: "Deny",
        Action: ["iam:TagRole", "iam:UntagRole"],
        Resource: "*",
        Condition: {
          "ForAnyValue:StringEquals": { "aws:TagKeys": ["access-project"] },
          StringNotEquals: { "aws:PrincipalTag/role": "admin" },
        },
      },
    ]),
    src("scp", id("data"), [
      {
        Effect: "Deny",
        Action: ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
        Resource: [`arn:aws:s3:::prod-${level}-*`],
        Condition: { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": ["o-bench/r-ab12/ou-ab12-sandbox1/*"] } },
      },
      { Effect: "Deny", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ]),
  ];
}

const full = src("scp", "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", [
  { Effect: "Allow", Action: "*", Resource: "*" },
]);
const identity = [
  src("identity", `arn:aws:iam::${A}:policy/Admin`, [{ Effect: "Allow", Action: "*", Resource: "*" }]),
  src("identity", `arn:aws:iam::${A}:policy/DenyBilling`, [{ Effect: "Deny", Action: ["aws-portal:*", "billing:*"], Resource: "*" }]),
];
const scps = [0, 1, 2, 3, 4].map((l) => [full, ...denyList(l)]);
const withOrg: PolicySet = { identity, scps };
const withoutOrg: PolicySet = { identity };

const request = (region: string): AuthzRequest => ({
  principal: PRINCIPALS.session!,
  action: "s3:GetObject",
  resource: "arn:aws:s3:::prod-2-data/reports/q1.csv",
  context: {
    "aws:RequestedRegion": region,
    "aws:SecureTransport": "true",
    "aws:PrincipalOrgID": "o-bench",
    "aws:PrincipalOrgPaths": ["o-bench/r-ab12/ou-ab12-prod0001/"],
    "aws:PrincipalTag/role": "dev",
    "aws:SourceIp": "203.0.113.10",
  },
});

function nsPerEval(req: AuthzRequest, set: PolicySet, explain: boolean, n: number): number {
  for (let i = 0; i < 2000; i++) evaluate(req, set, { explain }); // warm up (JIT, lazily built matchers)
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluate(req, set, { explain });
  return Number(process.hrtime.bigint() - t0) / n;
}

describe("engine cost of a 5 × 5 SCP chain", () => {
  it("prints ns/eval: no org vs 5 levels × 5 SCPs, allowed and denied, deciding and explaining", () => {
    const allowed = request("eu-west-1");
    const denied = request("us-east-1");
    expect(evaluate(allowed, withOrg).decision).toBe("allow");
    expect(evaluate(denied, withOrg).reason).toBe("scpDeny");
    expect(evaluate(allowed, withoutOrg).decision).toBe("allow");

    const n = 20_000;
    const rows: Array<[string, number]> = [
      ["no organization, allowed (decide only)", nsPerEval(allowed, withoutOrg, false, n)],
      ["5×5 SCPs, allowed (decide only)", nsPerEval(allowed, withOrg, false, n)],
      ["5×5 SCPs, denied at the root (decide only)", nsPerEval(denied, withOrg, false, n)],
      ["5×5 SCPs, allowed (explained)", nsPerEval(allowed, withOrg, true, n / 4)],
      ["5×5 SCPs, denied (explained, as a denial is recorded)", nsPerEval(denied, withOrg, true, n / 4)],
    ];
    const base = rows[0]![1];
    console.log(
      [
        "org chain micro-benchmark (ns per evaluation):",
        ...rows.map(([k, v]) => `  ${k.padEnd(56)} ${v.toFixed(0).padStart(8)}  ×${(v / base).toFixed(1)}`),
      ].join("\n"),
    );
    for (const [, v] of rows) expect(v).toBeGreaterThan(0);
  });
});
