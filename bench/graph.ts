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
import { graphDocument, PermissionsGraph, toDot } from "../src/graph/index";
import { graphAccount } from "./lib/graph-account";

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
for (const n of sizes.length ? sizes : [100, 300, 1000]) {
  const state = graphAccount(n);
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
