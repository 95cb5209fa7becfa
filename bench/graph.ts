/**
 * The Permissions Graph's cost (`npx tsx bench/graph.ts [sizes…]`, default 100 300 1000): a synthetic
 * account of N principals (70 % users in groups, some with inline policies of their own or
 * `${aws:username}` home folders; 30 % roles trusting the account, one user, or EC2 / Lambda) and
 * N resources (S3 buckets — a quarter with bucket policies naming a user or a role —, SQS queues,
 * SNS topics with AWS's default topic policy, KMS keys with the default key policy, ECR repositories,
 * Lambda functions), in an organization with a deny SCP. Pure and in-process (no Worker, no D1):
 * it measures the engine's part; the API adds one D1 load (see the README).
 * Prints, per size: build (principal edges + admin tests), every access edge (limit 10,000), the
 * escalation paths, one reach query, the DOT export; engine evaluations and principal classes.
 */
import { graphDocument, PermissionsGraph, toDot, type AccountState, type PolicyDoc, type ResourceState } from "../src/graph/index";

const A = "123456789012";
const doc = (...st: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: st });
const allow = (Action: string | string[], Resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});
const trust = (p: object) => doc({ Effect: "Allow", Principal: p, Action: "sts:AssumeRole" });
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
const ADMIN: PolicyDoc = { id: "arn:aws:iam::aws:policy/AdministratorAccess", json: doc(allow("*")) };
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

function account(n: number): AccountState {
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

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
for (const n of sizes.length ? sizes : [100, 300, 1000]) {
  const state = account(n);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const g = new PermissionsGraph({ accounts: [state], rcpServices: ["s3", "sqs", "kms", "ecr", "sts"] });
  const t1 = performance.now();
  const d = graphDocument(g, { limit: 10_000 }, t0, () => performance.now());
  const t2 = performance.now();
  const esc = g.escalations();
  const t3 = performance.now();
  const who = g.reach("arn:aws:s3:::team3-b3/*", "s3:GetObject");
  const t4 = performance.now();
  const dot = toDot(d);
  const t5 = performance.now();
  const json = JSON.stringify(d);
  const t6 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(
    `N=${n}: principals ${g.principals.length} (classes ${g.classCount}), resources ${g.resources.length}; build ${ms(t1 - t0)}, access edges ${ms(t2 - t1)} (${d.accessEdges.total} edges, ${d.accessEdges.returned} returned), escalations ${ms(t3 - t2)} (${esc.length} paths), reach ${ms(t4 - t3)} (${who.length} principals), DOT ${ms(t5 - t4)} (${(dot.length / 1e6).toFixed(1)} MB), JSON ${ms(t6 - t5)} (${(json.length / 1e6).toFixed(1)} MB); total ${ms(t6 - t0)} wall, ${ms((cpu.user + cpu.system) / 1000)} CPU; engine evaluations ${g.evaluator.evaluations}; principal edges ${g.principalEdges.length}`,
  );
}
