/**
 * The Permissions Graph through its API (`npx tsx bench/graph-api.ts [N]`, default 1000): starts a
 * local sandbox, builds bench/lib/graph-account.ts's account of N principals and N resources with the
 * real AWS SDK clients (S3 and SQS only — the SDK clients this repository installs —: the SNS
 * topics, KMS keys, ECR repositories and Lambda functions' share goes to SQS queues; no SCP), then times GET /_iamlab/accounts/:id/graph (JSON, then DOT),
 * /graph/escalations and /graph/reach — each the D1 load plus the computation. Seeding sends a few
 * thousand requests, four at a time.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startSandbox } from "../src/tools/sandbox";
import { graphAccount } from "./lib/graph-account";

const N = Number(process.argv[2] ?? 1000);
const sb = await startSandbox({ port: 0, persistTo: false });
const token = sb.vars.IAMLAB_ADMIN_TOKEN;
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${sb.url}/_iamlab${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

/** Runs the tasks, `width` at a time. */
async function pool(tasks: Array<() => Promise<unknown>>, width = 4): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

try {
  const acct = (await (await admin("/accounts", { method: "POST", body: "{}" })).json()) as {
    accountId: string;
    rootAccessKeyId: string;
    rootSecretAccessKey: string;
  };
  const A = acct.accountId;
  const credentials = { accessKeyId: acct.rootAccessKeyId, secretAccessKey: acct.rootSecretAccessKey };
  const cfg = { endpoint: sb.url, region: "us-east-1", credentials };
  const iam = new IAMClient(cfg);
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  const sqs = new SQSClient(cfg);
  const state = graphAccount(N, A);
  const t0 = performance.now();
  // Customer managed policies once, then groups, users, roles.
  const managed = new Map<string, string>();
  for (const g of state.groups)
    for (const p of [...g.policies, ...state.roles.flatMap((r) => r.policies)])
      if (p.id.startsWith(`arn:aws:iam::${A}:policy/`)) managed.set(p.id, p.json);
  await pool(
    [...managed].map(
      ([arn, json]) =>
        () =>
          iam.send(new CreatePolicyCommand({ PolicyName: arn.split("/").pop()!, PolicyDocument: json })),
    ),
  );
  await pool(
    state.groups.map((g) => async () => {
      await iam.send(new CreateGroupCommand({ GroupName: g.name }));
      for (const p of g.policies) await iam.send(new AttachGroupPolicyCommand({ GroupName: g.name, PolicyArn: p.id }));
    }),
  );
  await pool(
    state.users.map((u) => async () => {
      await iam.send(new CreateUserCommand({ UserName: u.name }));
      for (const g of u.groups) await iam.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.name }));
      for (const p of u.policies.filter((x) => x.id.includes(":inline/")))
        await iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: p.id.split("/").pop()!, PolicyDocument: p.json }));
    }),
  );
  await pool(
    state.roles.map((r) => async () => {
      await iam.send(new CreateRoleCommand({ RoleName: r.name, AssumeRolePolicyDocument: r.trust }));
      for (const p of r.policies) await iam.send(new AttachRolePolicyCommand({ RoleName: r.name, PolicyArn: p.id }));
    }),
  );
  await pool(
    state.resources.map((r) => async () => {
      const name = r.arn.split(/[:/]/).pop()!;
      if (r.type === "s3:bucket") {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        if (r.policy) await s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: r.policy }));
      } else await sqs.send(new CreateQueueCommand({ QueueName: r.type === "sqs:queue" ? name : `q-${name}` }));
    }),
  );
  console.log(
    `seeded ${state.users.length} users, ${state.roles.length} roles, ${state.resources.length} resources in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  const time = async (label: string, path: string) => {
    const runs: number[] = [];
    let size = 0;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const res = await admin(path);
      const text = await res.text();
      runs.push(performance.now() - s);
      size = text.length;
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
    }
    runs.sort((a, b) => a - b);
    console.log(`${label}: median ${runs[1]!.toFixed(0)} ms (min ${runs[0]!.toFixed(0)}), ${(size / 1e6).toFixed(1)} MB`);
  };
  const base = `/accounts/${A}/graph`;
  await time("graph JSON (2,000 access edges)", base);
  await time("graph JSON, action=s3:GetObject", `${base}?action=s3:GetObject&limit=100000`);
  await time("graph DOT", `${base}?format=dot`);
  await time("escalations", `${base}/escalations`);
  await time("reach s3:GetObject", `${base}/reach?resource=${encodeURIComponent("arn:aws:s3:::team3-b3/x")}&action=s3:GetObject`);
} finally {
  await sb.stop();
}
