/**
 * Scale of a big account (issue 22), standalone: `npx tsx bench/scale.ts` (sizes from
 * BENCH_SCALE_SIZES, default "100,1000,5000" users). One account grows through the real API to each
 * size — users (each in one of 10 groups), roles (N/5, at most 1,000), customer managed policies
 * (0.3·N, at most 1,500) — plus a caller in 10 groups with 10 policies each. At each size, each call
 * below is timed sequentially (median of BENCH_SCALE_REPS, default 5; each after an untimed write,
 * so the IAM read cache misses and the call does its real work) so the cost curve shows
 * whether a call grows with the account (it should stay flat: pages are O(page)):
 *   ListUsers page (100, first and middle), ListRoles page, GetAccountAuthorizationDetails first
 *   page, the credential report (generate + get), SimulatePrincipalPolicy over 100 actions for the
 *   caller, AssumeRole, a denied call and its explanation (admin decisions API).
 * The full GetAccountAuthorizationDetails walk is timed once per size (it is O(account) by design).
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListRolesCommand,
  ListUsersCommand,
  SimulatePrincipalPolicyCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  paginateGetAccountAuthorizationDetails,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { startSandbox, LOCAL_DEFAULTS } from "../src/tools/sandbox";
import { TEST_VARS } from "../src/tools/local-config";
import { createAccount } from "./lib/seed";
import type { Creds } from "./lib/sign";
import { pool, range } from "./lib/pool";

const SIZES = (process.env.BENCH_SCALE_SIZES ?? "100,1000,5000").split(",").map(Number);
const REPS = Number(process.env.BENCH_SCALE_REPS ?? 5);
const log = (m: string) => console.error(`[bench scale] ${m}`);

const policyDoc = (i: number) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::bucket-${i}`, `arn:aws:s3:::bucket-${i}/*`] },
      { Effect: "Deny", Action: "iam:*", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } },
    ],
  });

/** Untimed before each repetition: a write that bumps the account's generation, so the IAM read cache misses. */
let bump: () => Promise<unknown> = async () => {};

async function median(fn: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < REPS; i++) {
    await bump();
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

// The tests' pinned configuration (no consistency delay, no request log).
const sandbox = await startSandbox({ port: 0, persistTo: false, vars: TEST_VARS });
try {
  const url = sandbox.url;
  const account = await createAccount(url);
  const iam = new IAMClient({ endpoint: url, region: "us-east-1", credentials: account.root, maxAttempts: 3 });
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account.accountId}:root` }, Action: "sts:AssumeRole" }],
  });
  // The caller: 10 groups × 10 policies (100 customer policies), plus sts:AssumeRole.
  log("seeding the caller (10 groups × 10 policies)");
  for (const g of range(0, 10)) await iam.send(new CreateGroupCommand({ GroupName: `g${g}` }));
  await pool(range(0, 100), (i) => iam.send(new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: policyDoc(i) })));
  await pool(range(0, 100), (i) =>
    iam.send(new AttachGroupPolicyCommand({ GroupName: `g${i % 10}`, PolicyArn: `arn:aws:iam::${account.accountId}:policy/p${i}` })),
  );
  await iam.send(new CreateUserCommand({ UserName: "caller" }));
  for (const g of range(0, 10)) await iam.send(new AddUserToGroupCommand({ UserName: "caller", GroupName: `g${g}` }));
  const assumePolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] });
  await iam.send(new PutUserPolicyCommand({ UserName: "caller", PolicyName: "assume", PolicyDocument: assumePolicy }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: "caller" }))).AccessKey!;
  const caller: Creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  let tick = 0;
  bump = () => iam.send(new TagUserCommand({ UserName: "caller", Tags: [{ Key: "bench", Value: String(tick++) }] }));
  const callerIam = new IAMClient({ endpoint: url, region: "us-east-1", credentials: caller, maxAttempts: 1 });
  const callerSts = new STSClient({ endpoint: url, region: "us-east-1", credentials: caller, maxAttempts: 1 });
  // 100 distinct action names (the simulator evaluates each against the caller's 101 policies).
  const simActions = ["s3", "iam", "sqs", "kms", "ec2"].flatMap((svc) =>
    ["Get", "List", "Put", "Delete"].flatMap((verb) =>
      ["Object", "User", "Queue", "Key", "Instance"].map((noun) => `${svc}:${verb}${noun}`),
    ),
  );

  let users = 0;
  let roles = 0;
  let policies = 0;
  const rows: string[] = [];
  const header = [
    "users",
    "roles",
    "policies",
    "ListUsers p1",
    "ListUsers mid",
    "ListRoles p1",
    "GAAD p1",
    "GAAD walk",
    "cred report",
    "simulate 100",
    "AssumeRole",
    "denied + explain",
  ];
  for (const size of SIZES) {
    const t0 = performance.now();
    const roleTarget = Math.min(1000, Math.floor(size / 5));
    const policyTarget = Math.min(1500 - 100, Math.floor(size * 0.3)); // 1,500 customer policies in all (quota)
    log(`growing to ${size} users, ${roleTarget} roles, ${policyTarget} (+100) policies`);
    // The caller is one of the account's users: `size` in all (5,000 is the quota).
    await pool(range(users, size - 1), (i) =>
      iam.send(new CreateUserCommand({ UserName: `user-${String(i).padStart(5, "0")}`, Tags: [{ Key: "team", Value: `t${i % 7}` }] })),
    );
    await pool(range(users, size - 1), (i) =>
      iam.send(new AddUserToGroupCommand({ UserName: `user-${String(i).padStart(5, "0")}`, GroupName: `g${i % 10}` })),
    );
    users = size - 1;
    await pool(range(roles, roleTarget), (i) =>
      iam.send(new CreateRoleCommand({ RoleName: `role-${i}`, AssumeRolePolicyDocument: trust })),
    );
    roles = Math.max(roles, roleTarget);
    await pool(range(policies, policyTarget), (i) =>
      iam.send(new CreatePolicyCommand({ PolicyName: `bulk-${i}`, PolicyDocument: policyDoc(1000 + i) })),
    );
    policies = Math.max(policies, policyTarget);
    log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s; timing`);

    const firstPage = await iam.send(new ListUsersCommand({ MaxItems: 100 }));
    let mid = firstPage.Marker;
    for (let i = 0; i < Math.floor(size / 200) && mid; i++)
      mid = (await iam.send(new ListUsersCommand({ MaxItems: 100, Marker: mid }))).Marker;
    const cells = [
      await median(() => iam.send(new ListUsersCommand({ MaxItems: 100 }))),
      await median(() => iam.send(new ListUsersCommand({ MaxItems: 100, ...(mid ? { Marker: mid } : {}) }))),
      await median(() => iam.send(new ListRolesCommand({ MaxItems: 100 }))),
      await median(() => iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 100 }))),
    ];
    const walkStart = performance.now();
    let pages = 0;
    for await (const _ of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 1000 }, {})) pages++;
    cells.push(performance.now() - walkStart);
    cells.push(
      await median(async () => {
        await iam.send(new GenerateCredentialReportCommand({}));
        for (let i = 0; i < 50; i++) {
          try {
            return await iam.send(new GetCredentialReportCommand({}));
          } catch {
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        throw new Error("credential report never ready");
      }),
    );
    cells.push(
      await median(() =>
        iam.send(
          new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account.accountId}:user/caller`, ActionNames: simActions }),
        ),
      ),
    );
    cells.push(
      await median(() =>
        callerSts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account.accountId}:role/role-0`, RoleSessionName: "bench" })),
      ),
    );
    cells.push(
      await median(async () => {
        const r = await callerIam
          .send(new CreateUserCommand({ UserName: "never" }))
          .catch((e: { $response?: { headers: Record<string, string> } }) => e);
        const id = (r as { $response?: { headers: Record<string, string> } }).$response?.headers["x-iamlab-decision-id"];
        if (!id) throw new Error("the denied call carried no decision id");
        const res = await fetch(`${url}/_iamlab/decisions/${encodeURIComponent(id)}`, {
          headers: { authorization: `Bearer ${LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN}` },
        });
        if (res.status !== 200) throw new Error(`explanation: ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    rows.push(`| ${users + 1} | ${roles} | ${policies + 100} | ${cells.map((c) => c.toFixed(1)).join(" | ")} |`);
    log(`GAAD walk: ${pages} pages`);
  }
  console.log(`Scale of one account (ms, median of ${REPS}; GAAD walk once, pages of 1,000)\n`);
  console.log(`| ${header.join(" | ")} |\n|${header.map(() => "---:").join("|")}|\n${rows.join("\n")}`);
} finally {
  await sandbox.stop();
}
