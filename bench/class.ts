/**
 * A whole class on one sandbox (issue 22), standalone: `npx tsx bench/class.ts`.
 * 1. BENCH_CLASS_LEARNERS (default 100) learners, each in an account of their own with a user that
 *    has IAMReadOnlyAccess, may tag itself and assume a lab role; a mixed workload replayed
 *    round-robin across all learners at 1 and 8 connections — GetUser, ListUsers (reads), TagUser
 *    (a write: it bumps the account's generation, so the learner's next reads miss the caches),
 *    AssumeRole, and CreateUser (denied: AccessDenied 403) — with p50/p99, statuses and 5xx count.
 * 2. The sandbox grows to BENCH_CLASS_ACCOUNTS (default 1,000) accounts: account creation time, and
 *    one learner's GetUser latency at the class size and at the large size (authorization must not
 *    depend on the number of accounts).
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { startSandbox } from "../src/tools/sandbox";
import { TEST_VARS } from "../src/tools/local-config";
import { runLoad, type LoadResult } from "./lib/load";
import { createAccount, iamClient } from "./lib/seed";
import { signRequest, type SignedRequest } from "./lib/sign";
import { pool, range } from "./lib/pool";

const LEARNERS = Number(process.env.BENCH_CLASS_LEARNERS ?? 100);
const ACCOUNTS = Number(process.env.BENCH_CLASS_ACCOUNTS ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const log = (m: string) => console.error(`[bench class] ${m}`);

interface Learner {
  getUser: SignedRequest;
  mix: SignedRequest[];
}

async function learner(url: string): Promise<Learner> {
  const acct = await createAccount(url);
  const c = iamClient(url, acct.root);
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${acct.accountId}:root` }, Action: "sts:AssumeRole" }],
  });
  await c.send(new CreateRoleCommand({ RoleName: "lab", AssumeRolePolicyDocument: trust }));
  await c.send(new CreateUserCommand({ UserName: "learner" }));
  await c.send(new AttachUserPolicyCommand({ UserName: "learner", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
  const own = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "iam:TagUser", Resource: `arn:aws:iam::${acct.accountId}:user/learner` },
      { Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${acct.accountId}:role/lab` },
    ],
  };
  await c.send(new PutUserPolicyCommand({ UserName: "learner", PolicyName: "lab", PolicyDocument: JSON.stringify(own) }));
  const k = (await c.send(new CreateAccessKeyCommand({ UserName: "learner" }))).AccessKey!;
  const creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  const iam = (params: Record<string, string>) => signRequest({ url, creds, service: "iam", params });
  const getUser = await iam({ Action: "GetUser" });
  return {
    getUser,
    mix: [
      getUser,
      await iam({ Action: "ListUsers" }),
      await iam({ Action: "TagUser", UserName: "learner", "Tags.member.1.Key": "seen", "Tags.member.1.Value": "yes" }),
      await signRequest({
        url,
        creds,
        service: "sts",
        params: { Action: "AssumeRole", RoleArn: `arn:aws:iam::${acct.accountId}:role/lab`, RoleSessionName: "bench" },
      }),
      await iam({ Action: "CreateUser", UserName: "intruder" }),
    ],
  };
}

const fiveXX = (r: LoadResult) => Object.entries(r.statuses).reduce((n, [s, c]) => n + (Number(s) >= 500 ? c : 0), 0);
const statuses = (r: LoadResult) =>
  Object.entries(r.statuses)
    .map(([s, c]) => `${s}: ${c}`)
    .join(", ");

// The tests' pinned configuration (no consistency delay, no request log).
// BENCH_TRAIL=off: the same class without CloudTrail recording (to see what the trail costs a class).
const sandbox = await startSandbox({
  port: 0,
  persistTo: false,
  vars: { ...TEST_VARS, ...(process.env.BENCH_TRAIL === "off" ? { IAMLAB_TRAIL: "off" } : {}) },
});
try {
  const url = sandbox.url;
  log(`seeding ${LEARNERS} learners`);
  const learners: Learner[] = new Array(LEARNERS);
  const t0 = performance.now();
  await pool(range(0, LEARNERS), async (i) => {
    learners[i] = await learner(url);
  });
  log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Round-robin: learner 0's five calls, then learner 1's … (a class working through the same lab).
  const cycle = learners.flatMap((l) => l.mix);
  const lines = [
    `Mixed class workload: ${LEARNERS} learners × (GetUser, ListUsers, TagUser, AssumeRole, denied CreateUser), round-robin`,
    "",
    "| connections | req/s | p50 ms | p90 ms | p99 ms | max ms | statuses | 5xx |",
    "|---:|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const c of [1, 8]) {
    log(`mixed workload, ${c} connection(s)`);
    const r = await runLoad({ url, connections: c, durationSec: DURATION, cycle });
    lines.push(
      `| ${c} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${statuses(r)} | ${fiveXX(r)} |`,
    );
  }
  console.log(lines.join("\n"));
  // Each kind alone, round-robin over the learners at 1 connection: where the mix's time goes.
  const kinds = ["GetUser", "ListUsers", "TagUser (write)", "AssumeRole", "CreateUser (denied)"];
  const each = ["", "| call alone, round-robin over learners (1 conn) | req/s | p50 ms | p99 ms | statuses |", "|---|---:|---:|---:|---|"];
  for (const [k, name] of kinds.entries()) {
    const r = await runLoad({ url, connections: 1, durationSec: Math.max(2, DURATION / 2), cycle: learners.map((l) => l.mix[k]!) });
    each.push(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${statuses(r)} |`);
  }
  console.log(each.join("\n"));

  const probe = learners[0]!.getUser;
  const small = await runLoad({ url, connections: 1, durationSec: DURATION, request: probe });
  const more = Math.max(0, ACCOUNTS - LEARNERS);
  log(`creating ${more} more accounts`);
  const t1 = performance.now();
  await pool(range(0, more), () => createAccount(url));
  const createMs = performance.now() - t1;
  const large = await runLoad({ url, connections: 1, durationSec: DURATION, request: probe });
  console.log(
    [
      "",
      `Accounts in one sandbox: ${more} created in ${(createMs / 1000).toFixed(1)} s (${(createMs / Math.max(1, more)).toFixed(1)} ms each at 8 in flight, ${((more * 1000) / createMs).toFixed(0)}/s)`,
      "",
      "| accounts | one learner's GetUser req/s | p50 ms | p99 ms |",
      "|---:|---:|---:|---:|",
      `| ${LEARNERS} | ${small.rps.toFixed(0)} | ${small.p50.toFixed(2)} | ${small.p99.toFixed(2)} |`,
      `| ${ACCOUNTS} | ${large.rps.toFixed(0)} | ${large.p50.toFixed(2)} | ${large.p99.toFixed(2)} |`,
    ].join("\n"),
  );
} finally {
  await sandbox.stop();
}
