/**
 * The synthetic account of the Permissions Graph benchmarks (bench/graph.ts in-process, bench/graph-api.ts
 * through the API): N principals (70 % users in groups, some with inline policies of their own or
 * `${aws:username}` home folders; 30 % roles trusting the account, one user, or EC2 / Lambda) and
 * N resources (S3 buckets — a quarter with bucket policies naming a user or a role —, SQS queues,
 * SNS topics with AWS's default topic policy, KMS keys with the default key policy, ECR repositories,
 * Lambda functions), with a deny SCP.
 */
import type { AccountState, PolicyDoc, ResourceState } from "../../src/graph/index";

const doc = (...st: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: st });
const allow = (Action: string | string[], Resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});
const trust = (p: object) => doc({ Effect: "Allow", Principal: p, Action: "sts:AssumeRole" });

const ADMIN: PolicyDoc = { id: "arn:aws:iam::aws:policy/AdministratorAccess", json: doc(allow("*")) };

export function graphAccount(n: number, A = "123456789012"): AccountState {
  const managed = (name: string, ...st: object[]): PolicyDoc => ({ id: `arn:aws:iam::${A}:policy/${name}`, json: doc(...st) });
  const READ_ONLY = managed(
    "ReadOnly",
    allow([
      "s3:Get*",
      "s3:List*",
      "sqs:Get*",
      "sqs:List*",
      "sns:Get*",
      "sns:List*",
      "kms:Describe*",
      "ecr:Describe*",
      "lambda:Get*",
      "lambda:List*",
    ]),
  );
  const team = (t: number) =>
    managed(
      `Team${t}`,
      allow("s3:*", [`arn:aws:s3:::team${t}-*`, `arn:aws:s3:::team${t}-*/*`]),
      allow(["sqs:SendMessage", "sqs:ReceiveMessage"], `arn:aws:sqs:us-east-1:${A}:team${t}-*`),
    );
  const HOME = managed("Home", allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::home/${aws:username}/*"));
  const DEPLOY = managed(
    "Deploy",
    allow(["ec2:RunInstances", "lambda:CreateFunction", "lambda:InvokeFunction"]),
    allow("iam:PassRole", `arn:aws:iam::${A}:role/app-*`),
  );
  const nUsers = Math.round(n * 0.7);
  const nRoles = n - nUsers;
  const teams = 10;
  const groups = [
    { name: "readers", policies: [READ_ONLY] },
    { name: "admins", policies: [ADMIN] },
    { name: "home", policies: [HOME] },
    { name: "deployers", policies: [DEPLOY] },
    ...Array.from({ length: teams }, (_, t) => ({ name: `team${t}`, policies: [team(t)] })),
  ].map((g, i) => ({ arn: `arn:aws:iam::${A}:group/${g.name}`, name: g.name, id: `AGPA${i}`, policies: g.policies }));
  const users = Array.from({ length: nUsers }, (_, i) => {
    const name = `user${i}`;
    const gs = i % 50 === 0 ? [groups[1]!] : [groups[0]!, groups[4 + (i % teams)]!];
    if (i % 7 === 0) gs.push(groups[2]!);
    if (i % 40 === 3) gs.push(groups[3]!);
    const policies = gs.flatMap((g) => g.policies);
    if (i % 10 === 5)
      policies.push({ id: `user/${name}:inline/own`, json: doc(allow("s3:*", [`arn:aws:s3:::bucket${i}`, `arn:aws:s3:::bucket${i}/*`])) });
    return { arn: `arn:aws:iam::${A}:user/${name}`, name, id: `AIDA${i}`, policies, groups: gs.map((g) => g.name) };
  });
  const roles = Array.from({ length: nRoles }, (_, i) => {
    const name = i % 10 === 0 ? `app-${i}` : `role${i}`;
    const t =
      i % 10 === 0
        ? trust({ Service: i % 20 === 0 ? "ec2.amazonaws.com" : "lambda.amazonaws.com" })
        : i % 3 === 0
          ? trust({ AWS: `arn:aws:iam::${A}:user/user${i}` })
          : trust({ AWS: `arn:aws:iam::${A}:root` });
    const policies = i % 25 === 0 ? [ADMIN] : [i % 2 ? READ_ONLY : team(i % teams)];
    return { arn: `arn:aws:iam::${A}:role/${name}`, name, id: `AROA${i}`, trust: t, policies };
  });
  const resources: ResourceState[] = [];
  const kinds = ["s3", "s3", "s3", "s3", "sqs", "sqs", "sns", "kms", "ecr", "lambda"] as const;
  for (let i = 0; i < n; i++) {
    const k = kinds[i % kinds.length]!;
    const t = i % teams;
    if (k === "s3") {
      const name = i % 3 === 0 ? `team${t}-b${i}` : `bucket${i}`;
      const r: ResourceState = { arn: `arn:aws:s3:::${name}`, type: "s3:bucket" };
      if (i % 4 === 1)
        r.policy = doc({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${A}:${i % 8 === 1 ? "user/user" : "role/role"}${i % nRoles}` },
          Action: "s3:GetObject",
          Resource: `${r.arn}/*`,
        });
      resources.push(r);
    } else if (k === "sqs") resources.push({ arn: `arn:aws:sqs:us-east-1:${A}:team${t}-q${i}`, type: "sqs:queue" });
    else if (k === "sns") {
      const arn = `arn:aws:sns:us-east-1:${A}:topic${i}`;
      resources.push({
        arn,
        type: "sns:topic",
        policy: doc({
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
          Resource: arn,
          Condition: { StringEquals: { "AWS:SourceOwner": A } },
        }),
      });
    } else if (k === "kms")
      resources.push({
        arn: `arn:aws:kms:us-east-1:${A}:key/k${i}`,
        type: "kms:key",
        policy: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" }),
      });
    else if (k === "ecr") resources.push({ arn: `arn:aws:ecr:us-east-1:${A}:repository/repo${i}`, type: "ecr:repository" });
    else resources.push({ arn: `arn:aws:lambda:us-east-1:${A}:function:fn${i}`, type: "lambda:function" });
  }
  const scps = [
    [{ id: "p-FullAWSAccess", json: doc(allow("*")) }],
    [
      {
        id: "p-guard",
        json: doc(allow("*"), { Effect: "Deny", Action: ["organizations:LeaveOrganization", "kms:ScheduleKeyDeletion"], Resource: "*" }),
      },
    ],
  ];
  return {
    accountId: A,
    orgId: "o-bench",
    orgPath: "o-bench/r-root/",
    scps,
    users,
    groups,
    roles,
    policies: [READ_ONLY, team(0), HOME, DEPLOY].map((p) => ({ arn: p.id, name: p.id.split("/").pop()!, versions: 1 })),
    resources,
  };
}
