/**
 * Many isolates (issue 22): two Worker isolates on the same D1 database, Durable Objects and R2 —
 * as Cloudflare runs several isolates of one deploy — each with its own in-memory caches. Writes go
 * through isolate A; isolate B, whose caches were warmed first, must stop honouring a deleted key,
 * a deactivated key, a revoked (role deleted) session and a detached policy within
 * IAMLAB_AUTH_CACHE_MS (plus scheduling slack), while A stops at once (its own writes invalidate).
 *
 * One Miniflare, two workers (`a` owns the Durable Object classes, `b` binds to a's), each on its
 * own socket (unsafeDirectSockets), so real SDK clients can talk to either.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Miniflare } from "miniflare";
import path from "node:path";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteRoleCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { applyMigrations, bundleWorker, ROOT } from "../../src/tools/sandbox";
import { TEST_VARS } from "../../src/tools/local-config";

const TTL_MS = 1000;
// Scheduling slack on a loaded 2-core machine: the bound is TTL_MS, the assertion TTL_MS + SLACK_MS.
const SLACK_MS = 2000;

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let mf: Miniflare;
let urlA: string;
let urlB: string;
let root: Creds;

const iamAt = (url: string, creds: Creds) => new IAMClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
const stsAt = (url: string, creds: Creds) => new STSClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });

beforeAll(async () => {
  const script = await bundleWorker();
  const vars: Record<string, string> = { ...TEST_VARS, IAMLAB_AUTH_CACHE_MS: String(TTL_MS) };
  const worker = (name: string, owner: boolean) => ({
    name,
    modules: [{ type: "ESModule" as const, path: path.join(ROOT, `src/${name}.js`), contents: script }],
    modulesRoot: ROOT,
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    bindings: vars,
    d1Databases: { DB: "00000000-0000-0000-0000-000000000000" },
    r2Buckets: { OBJECTS: "iamlab-objects" },
    durableObjects: {
      SESSIONS: { className: "SessionsDO", useSQLite: true, ...(owner ? {} : { scriptName: "a" }) },
      CONSISTENCY: { className: "ConsistencyDO", useSQLite: true, ...(owner ? {} : { scriptName: "a" }) },
      SQS_QUEUES: { className: "SqsQueueDO", useSQLite: true, ...(owner ? {} : { scriptName: "a" }) },
      RATE_LIMITS: { className: "RateLimitDO", useSQLite: true, ...(owner ? {} : { scriptName: "a" }) },
    },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  mf = new Miniflare({ host: "127.0.0.1", port: 0, workers: [worker("a", true), worker("b", false)] });
  await mf.ready;
  await applyMigrations(await mf.getD1Database("DB", "a"));
  urlA = (await mf.unsafeGetDirectURL("a")).toString().replace(/\/$/, "");
  urlB = (await mf.unsafeGetDirectURL("b")).toString().replace(/\/$/, "");
  const res = await fetch(`${urlA}/_iamlab/accounts`, {
    method: "POST",
    headers: { authorization: `Bearer ${vars.IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(201);
  const a = (await res.json()) as { rootAccessKeyId: string; rootSecretAccessKey: string };
  root = { accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey };
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
});

/** Milliseconds from now until `call` through B first fails (polling every 100 ms), or Infinity past the bound. */
async function msUntilRefused(call: () => Promise<unknown>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= TTL_MS + SLACK_MS) {
    const ok = await call().then(
      () => true,
      () => false,
    );
    if (!ok) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number.POSITIVE_INFINITY;
}

async function refused(call: () => Promise<unknown>): Promise<boolean> {
  return call().then(
    () => false,
    () => true,
  );
}

let n = 0;
async function userWithKey(policy?: object): Promise<{ name: string; creds: Creds }> {
  const name = `u${++n}`;
  const iam = iamAt(urlA, root);
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { name, creds: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! } };
}

const allow = (action: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

describe("two isolates on the same state", () => {
  it("a key created through A works through B at once (misses are never cached)", async () => {
    const u = await userWithKey(allow("iam:GetUser"));
    await iamAt(urlB, u.creds).send(new GetUserCommand({}));
  });

  it("a deleted access key stops working through B within IAMLAB_AUTH_CACHE_MS", async () => {
    const u = await userWithKey(allow("iam:GetUser"));
    const viaB = () => iamAt(urlB, u.creds).send(new GetUserCommand({}));
    await viaB(); // B caches the key row
    await iamAt(urlA, root).send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId }));
    expect(await refused(() => iamAt(urlA, u.creds).send(new GetUserCommand({})))).toBe(true);
    expect(await msUntilRefused(viaB)).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
  });

  it("a write through B with a key deleted through A is refused at once, even while B still has the key cached", async () => {
    const u = await userWithKey({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["iam:GetUser", "iam:CreateUser", "iam:TagUser"], Resource: "*" }],
    });
    await iamAt(urlB, u.creds).send(new GetUserCommand({})); // B caches the key row
    await iamAt(urlA, root).send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId }));
    const e = await iamAt(urlB, u.creds)
      .send(new CreateUserCommand({ UserName: `${u.name}-stale` }))
      .then(
        () => undefined,
        (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => err,
      );
    expect({ code: e?.name, status: e?.$metadata?.httpStatusCode }).toEqual({ code: "InvalidClientTokenId", status: 403 });
    // Nothing was written.
    await expect(iamAt(urlA, root).send(new GetUserCommand({ UserName: `${u.name}-stale` }))).rejects.toMatchObject({
      name: "NoSuchEntityException",
    });
  });

  it("a deactivated access key stops working through B within the bound", async () => {
    const u = await userWithKey(allow("iam:GetUser"));
    const viaB = () => iamAt(urlB, u.creds).send(new GetUserCommand({}));
    await viaB();
    await iamAt(urlA, root).send(new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId, Status: "Inactive" }));
    expect(await refused(() => iamAt(urlA, u.creds).send(new GetUserCommand({})))).toBe(true);
    expect(await msUntilRefused(viaB)).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
  });

  it("a detached managed policy stops granting through B within the bound", async () => {
    const u = await userWithKey();
    const iam = iamAt(urlA, root);
    const arn = (
      await iam.send(new CreatePolicyCommand({ PolicyName: `list${n}`, PolicyDocument: JSON.stringify(allow("iam:ListUsers")) }))
    ).Policy!.Arn!;
    await iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: arn }));
    const viaB = () => iamAt(urlB, u.creds).send(new ListUsersCommand({}));
    await viaB(); // B caches the principal's policies
    await iam.send(new DetachUserPolicyCommand({ UserName: u.name, PolicyArn: arn }));
    expect(await refused(() => iamAt(urlA, u.creds).send(new ListUsersCommand({})))).toBe(true);
    expect(await msUntilRefused(viaB)).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
  });

  it("a session whose role was deleted stops working through B within the bound", async () => {
    const iam = iamAt(urlA, root);
    const account = (await stsAt(urlA, root).send(new GetCallerIdentityCommand({}))).Account!;
    const role = `r${++n}`;
    await iam.send(
      new CreateRoleCommand({
        RoleName: role,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const caller = await userWithKey(allow("sts:AssumeRole")); // root users may not assume roles
    const c = (
      await stsAt(urlA, caller.creds).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: "s1" }),
      )
    ).Credentials!;
    const session: Creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const viaB = () => stsAt(urlB, session).send(new GetCallerIdentityCommand({}));
    await viaB(); // B caches the session and its liveness
    await iam.send(new DeleteRoleCommand({ RoleName: role }));
    expect(await refused(() => stsAt(urlA, session).send(new GetCallerIdentityCommand({})))).toBe(true);
    expect(await msUntilRefused(viaB)).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
  });
});

// --- rate limits exact across isolates (issue 22): leases from the account's RateLimitDO ---
describe("an account's rate limit holds across both isolates together", () => {
  async function newAccount(limits: unknown): Promise<Creds> {
    const headers = { authorization: `Bearer ${TEST_VARS.IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" };
    const res = await fetch(`${urlA}/_iamlab/accounts`, { method: "POST", headers, body: "{}" });
    const a = (await res.json()) as { accountId: string; rootAccessKeyId: string; rootSecretAccessKey: string };
    const put = await fetch(`${urlA}/_iamlab/accounts/${a.accountId}/limits`, { method: "PUT", headers, body: JSON.stringify(limits) });
    expect(put.status).toBe(200);
    return { accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey };
  }

  /** Requests alternating between A and B for `ms`: how many were admitted and over how many seconds. */
  async function alternate(creds: Creds, ms: number, pauseMs = 0): Promise<{ admitted: number; throttled: number; seconds: number }> {
    let admitted = 0;
    let throttled = 0;
    const start = Date.now();
    for (let i = 0; Date.now() - start < ms; i++) {
      try {
        await stsAt(i % 2 ? urlB : urlA, creds).send(new GetCallerIdentityCommand({}));
        admitted++;
      } catch (e) {
        if ((e as { name?: string }).name !== "Throttling") throw e;
        throttled++;
      }
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
    return { admitted, throttled, seconds: (Date.now() - start) / 1000 };
  }

  it("a tight loop through A and B gets at most burst + rate × t (+ one lease per isolate), not twice that", async () => {
    const rule = { perSecond: 2, burst: 10 };
    const creds = await newAccount({ account: rule, accessKey: "off" });
    const { admitted, throttled, seconds } = await alternate(creds, 2500);
    // Each isolate counting alone would admit about 2 × (10 + 2t); the shared bucket allows 10 + 2t.
    expect(throttled).toBeGreaterThan(0);
    expect(admitted).toBeGreaterThanOrEqual(rule.burst);
    expect(admitted).toBeLessThanOrEqual(rule.burst + Math.ceil(rule.perSecond * seconds) + 2);
  });

  it("an account under its limit is not refused through either isolate", async () => {
    // 5 requests per second against a rule of 5/s with a burst of 10: leases never run dry for long.
    const creds = await newAccount({ account: { perSecond: 5, burst: 10 }, accessKey: "off" });
    const { admitted, throttled } = await alternate(creds, 2000, 200);
    expect(throttled).toBe(0);
    expect(admitted).toBeGreaterThan(0);
  });
});
