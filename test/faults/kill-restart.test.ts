/**
 * Fault injection (issue 22): the sandbox's process group is SIGKILLed while clients make multi-row
 * writes (CreateUser with tags, CreatePolicyVersion with SetAsDefault, detach + DeleteUser, AssumeRole
 * then DeleteRole), restarted on the same persisted state, and the account is checked for
 * half-written state: every attachment points at an existing policy, each policy has exactly one
 * default version, attachment counts match the attachments, every user has all of its tags, every
 * acknowledged write is there and every acknowledged deletion stayed deleted, and no session of a
 * deleted role works.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  PutUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  IAMClient,
  paginateGetAccountAuthorizationDetails,
  type ManagedPolicyDetail,
  type UserDetail,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { LOCAL_DEFAULTS } from "../../src/tools/local-config";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ACCOUNT = LOCAL_DEFAULTS.IAMLAB_DEFAULT_ACCOUNT_ID;
const rootCreds = { accessKeyId: LOCAL_DEFAULTS.IAMLAB_ROOT_ACCESS_KEY_ID, secretAccessKey: LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY };
const ROUNDS = 3;
const WORKERS = 4;
const TAGS = 5;

interface Server {
  url: string;
  child: ChildProcess;
}

/** Starts the sandbox in its own process group (so one kill reaches node and workerd). */
async function start(dir: string): Promise<Server> {
  const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "test/faults/server-child.ts"), dir], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NODE_NO_WARNINGS: "1" },
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the sandbox did not start within 60 s")), 60_000);
    child.once("exit", (code) => reject(new Error(`the sandbox exited (${code}) before serving`)));
    lines.on("line", (l) => {
      if (!l.startsWith("{")) return;
      clearTimeout(timer);
      resolve((JSON.parse(l) as { url: string }).url);
    });
  });
  return { url, child };
}

function kill(s: Server, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
    s.child.once("exit", () => resolve());
    try {
      process.kill(-s.child.pid!, signal);
    } catch {
      resolve();
    }
  });
}

/** What the clients saw acknowledged before the kill. */
interface Acked {
  users: Set<string>;
  deletedUsers: Set<string>;
  v2Default: Set<string>;
  attached: Map<string, string>;
  deletedRoleSessions: { accessKeyId: string; secretAccessKey: string; sessionToken: string }[];
  roles: Set<string>;
  /** names whose deletion (or detachment) was sent but not acknowledged: either state is fine */
  uncertain: Set<string>;
}

type Creds = { accessKeyId: string; secretAccessKey: string };

/** A user allowed to assume the roles (root may not assume roles). */
async function operator(url: string): Promise<Creds> {
  const iam = new IAMClient({ endpoint: url, region: "us-east-1", credentials: rootCreds, maxAttempts: 1 });
  await iam.send(new CreateUserCommand({ UserName: "operator" }));
  const allow = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] };
  await iam.send(new PutUserPolicyCommand({ UserName: "operator", PolicyName: "assume", PolicyDocument: JSON.stringify(allow) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: "operator" }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

async function workload(url: string, op: Creds, round: number, worker: number, acked: Acked, stop: { now: boolean }): Promise<void> {
  const iam = new IAMClient({ endpoint: url, region: "us-east-1", credentials: rootCreds, maxAttempts: 1 });
  const sts = new STSClient({ endpoint: url, region: "us-east-1", credentials: op, maxAttempts: 1 });
  const tags = Array.from({ length: TAGS }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
  });
  const doc = (i: number) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::b${i}/*` }] });
  try {
    for (let i = 0; !stop.now; i++) {
      const name = `r${round}-w${worker}-${i}`;
      if (i % 4 === 0) {
        await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
        acked.roles.add(name);
        const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`, RoleSessionName: "faults" })))
          .Credentials!;
        acked.uncertain.add(name);
        await iam.send(new DeleteRoleCommand({ RoleName: name }));
        acked.roles.delete(name);
        acked.deletedRoleSessions.push({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
      }
      await iam.send(new CreateUserCommand({ UserName: name, Tags: tags }));
      acked.users.add(name);
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: doc(i) }));
      const arn = p.Policy!.Arn!;
      await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(i + 1), SetAsDefault: true }));
      acked.v2Default.add(arn);
      await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
      acked.attached.set(name, arn);
      if (i % 3 === 1) {
        acked.uncertain.add(name);
        await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
        acked.attached.delete(name);
        await iam.send(new DeleteUserCommand({ UserName: name }));
        acked.deletedUsers.add(name);
      }
    }
  } catch (e) {
    if (!stop.now) console.log(`worker ${worker}: ${String(e)}`);
    // The kill: connection refused or reset. Whatever was not acknowledged may or may not be there.
  }
}

async function details(url: string): Promise<{ users: UserDetail[]; policies: ManagedPolicyDetail[]; roles: string[] }> {
  const iam = new IAMClient({ endpoint: url, region: "us-east-1", credentials: rootCreds, maxAttempts: 3 });
  const out = { users: [] as UserDetail[], policies: [] as ManagedPolicyDetail[], roles: [] as string[] };
  for await (const page of paginateGetAccountAuthorizationDetails({ client: iam }, { Filter: ["User", "Role", "LocalManagedPolicy"] })) {
    out.users.push(...(page.UserDetailList ?? []));
    out.policies.push(...(page.Policies ?? []));
    out.roles.push(...(page.RoleDetailList ?? []).map((r) => r.RoleName!));
  }
  return out;
}

let dir: string | undefined;
let server: Server | undefined;
afterAll(async () => {
  if (server) await kill(server, "SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a sandbox killed in the middle of multi-row writes", () => {
  it(`leaves no half-written state after restart (${ROUNDS} kills at random points)`, async () => {
    dir = await mkdtemp(path.join(tmpdir(), "iamlab-faults-"));
    const acked: Acked = {
      users: new Set(),
      deletedUsers: new Set(),
      v2Default: new Set(),
      attached: new Map(),
      deletedRoleSessions: [],
      roles: new Set(),
      uncertain: new Set(),
    };
    let op: Creds | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      server = await start(dir);
      const opCreds = (op ??= await operator(server.url));
      const stop = { now: false };
      const running = Array.from({ length: WORKERS }, (_, w) => workload(server!.url, opCreds, round, w, acked, stop));
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
      await kill(server, "SIGKILL");
      stop.now = true;
      await Promise.all(running);
    }
    server = await start(dir);
    const { users, policies, roles } = await details(server.url);
    const byArn = new Map(policies.map((p) => [p.Arn!, p]));
    const userNames = new Set(users.map((u) => u.UserName!));
    // The kill landed mid-workload: something was written in every round.
    expect(acked.users.size).toBeGreaterThan(ROUNDS);

    const attachments = new Map<string, number>();
    for (const u of users) {
      if (u.UserName === "operator") continue;
      expect(u.Tags?.length, `user ${u.UserName}: all tags or none`).toBe(TAGS);
      for (const a of u.AttachedManagedPolicies ?? []) {
        expect(byArn.has(a.PolicyArn!), `${u.UserName} attached to a missing ${a.PolicyArn}`).toBe(true);
        attachments.set(a.PolicyArn!, (attachments.get(a.PolicyArn!) ?? 0) + 1);
      }
    }
    for (const p of policies) {
      const defaults = (p.PolicyVersionList ?? []).filter((v) => v.IsDefaultVersion);
      expect(
        defaults.map((v) => v.VersionId),
        `${p.PolicyName}: one default version`,
      ).toEqual([p.DefaultVersionId]);
      expect(p.AttachmentCount, `${p.PolicyName}: attachment count`).toBe(attachments.get(p.Arn!) ?? 0);
    }
    for (const name of acked.users)
      if (!acked.deletedUsers.has(name) && !acked.uncertain.has(name)) expect(userNames.has(name), `acknowledged user ${name}`).toBe(true);
    for (const name of acked.deletedUsers) expect(userNames.has(name), `acknowledged deletion of ${name}`).toBe(false);
    for (const arn of acked.v2Default) expect(byArn.get(arn)?.DefaultVersionId, `${arn} default after SetAsDefault`).toBe("v2");
    for (const [user, arn] of acked.attached) {
      if (acked.uncertain.has(user)) continue;
      const u = users.find((x) => x.UserName === user);
      expect(u?.AttachedManagedPolicies?.map((a) => a.PolicyArn)).toContain(arn);
    }
    for (const name of acked.roles) if (!acked.uncertain.has(name)) expect(roles).toContain(name);
    for (const c of acked.deletedRoleSessions) {
      const sts = new STSClient({ endpoint: server.url, region: "us-east-1", credentials: c, maxAttempts: 1 });
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: "InvalidClientTokenId" });
    }
    console.log(
      `faults: ${ROUNDS} kills; ${acked.users.size} users acknowledged (${acked.deletedUsers.size} deleted), ${policies.length} policies, ${acked.deletedRoleSessions.length} sessions of deleted roles checked`,
    );
  }, 300_000);
});
