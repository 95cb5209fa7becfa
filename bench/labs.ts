/**
 * Applying a lab template to a class (issue 21), standalone: `npx tsx bench/labs.ts` (BENCH_LEARNERS,
 * default 30). Times POST /_iamlab/labs for an IAM-only template and for the same template with service
 * resources (a bucket with a policy and a seed object, two queues, a topic subscribed to a queue, a KMS
 * key, an ECR repository, an EC2 instance with its instance profile), and says the time per learner.
 */
import { startSandbox } from "../src/tools/sandbox";
import { TEST_VARS } from "../src/tools/local-config";

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 30);
const allow = (principal: string, action: string, resource: string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: action, Resource: resource }],
});
const IAM = {
  policies: [
    { name: "Read", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } },
  ],
  groups: [{ name: "devs", policies: ["Read"] }],
  users: [
    { name: "alice", password: true, accessKeys: 1, groups: ["devs"] },
    { name: "bob", accessKeys: 1 },
  ],
  roles: [
    {
      name: "app",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      },
      policies: ["Read"],
    },
  ],
  instanceProfiles: [{ name: "app", role: "app" }],
};
const RESOURCES = {
  ...IAM,
  buckets: [
    {
      name: "data-${account}",
      policy: allow("arn:aws:iam::${account}:user/alice", "s3:GetObject", "arn:aws:s3:::data-${account}/*"),
      objects: [{ key: "a.txt", body: "hello" }],
    },
  ],
  queues: [
    { name: "jobs", policy: allow("arn:aws:iam::${account}:user/bob", "sqs:SendMessage", "arn:aws:sqs:us-east-1:${account}:jobs") },
    { name: "dlq" },
  ],
  topics: [{ name: "alerts", subscriptions: [{ queue: "jobs" }] }],
  keys: [{ alias: "lab/data", description: "lab key" }],
  repositories: [{ name: "team/app" }],
  instances: [{ name: "web", instanceProfile: "app" }],
};

const sandbox = await startSandbox({ port: 0, persistTo: false, vars: TEST_VARS });
try {
  const apply = async (template: unknown): Promise<number> => {
    const t0 = performance.now();
    const r = await fetch(`${sandbox.url}/_iamlab/labs`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_VARS.IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ template, learners: LEARNERS }),
    });
    if (r.status !== 201) throw new Error(`POST /labs: ${r.status} ${await r.text()}`);
    return performance.now() - t0;
  };
  await apply(IAM); // warm-up (first compile of every path)
  const iam = await apply(IAM);
  const res = await apply(RESOURCES);
  console.log(`Lab template applied to ${LEARNERS} learners (one POST /_iamlab/labs each):`);
  console.log(
    `  IAM only (policy, group, 2 users with secrets, role, instance profile): ${(iam / 1000).toFixed(1)} s, ${(iam / LEARNERS).toFixed(0)} ms per learner`,
  );
  console.log(
    `  + resources (bucket, 2 queues, topic, key, repository, instance):      ${(res / 1000).toFixed(1)} s, ${(res / LEARNERS).toFixed(0)} ms per learner`,
  );
} finally {
  await sandbox.stop();
}
