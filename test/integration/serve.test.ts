/**
 * `npm start` itself (src/tools/serve.ts in a child process of its own process group): the operator's
 * configuration wins over the local defaults, a non-loopback host with the documented admin token is
 * refused, and the process exits non-zero when the workerd runtime dies.
 * Every IAMLAB_* variable is pinned in the child's environment, so neither the developer's
 * environment nor a .dev.vars in the checkout changes what these tests see (env > .dev.vars).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { LOCAL_DEFAULTS, TEST_VARS } from "../../src/tools/local-config";
import { waitFor } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");

interface Serve {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Serve[] = [];

function serve(args: string[], vars: Record<string, string>): Serve {
  const env: Record<string, string> = { WRANGLER_SEND_METRICS: "false" };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("IAMLAB_")) env[k] = v;
  Object.assign(env, TEST_VARS, vars);
  const child = spawn(process.execPath, ["--import", "tsx", "src/tools/serve.ts", ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const s = { child, stdout: () => out, stderr: () => err, exited };
  started.push(s);
  return s;
}

/** Resolves with the URL once the banner is out; rejects if the process exits first or after `ms`. */
async function listening(s: Serve, ms = 90_000): Promise<string> {
  let gone = false;
  void s.exited.then(() => (gone = true));
  return waitFor(
    () => {
      const m = /iamlab is listening on (\S+)/.exec(s.stdout());
      if (m) return m[1]!;
      if (gone) throw new Error(`serve exited before listening:\n${s.stdout()}\n${s.stderr()}`);
      return undefined;
    },
    { timeoutMs: ms, intervalMs: 100, what: "serve's listening banner", detail: () => `${s.stdout()}\n${s.stderr()}` },
  );
}

async function exitWithin(s: Serve, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | "timeout"> {
  return Promise.race([s.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms))]);
}

/** The workerd processes in a process group. */
function workerdIn(pgid: number): number[] {
  const ps = execFileSync("ps", ["-A", "-o", "pid=,pgid=,comm="], { encoding: "utf8" });
  return ps
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === pgid && (f[2] ?? "").includes("workerd"))
    .map((f) => Number(f[0]));
}

afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
    try {
      process.kill(-s.child.pid!, "SIGTERM");
    } catch {
      continue;
    }
    if ((await exitWithin(s, 10_000)) === "timeout") {
      try {
        process.kill(-s.child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  // workerd is in the same group: make sure none is left behind.
  for (const s of started) for (const pid of workerdIn(s.child.pid!)) process.kill(pid, "SIGKILL");
});

describe("npm start with the operator's configuration", () => {
  const token = "operator-admin-token-0123456789";
  const secret = "operatorSecretKey0123456789abcdefghijklm";
  let s: Serve;
  let base: string;

  beforeAll(async () => {
    s = serve(["--port", "0", "--in-memory"], {
      IAMLAB_ADMIN_TOKEN: token,
      IAMLAB_ROOT_SECRET_ACCESS_KEY: secret,
      IAMLAB_TEST_CLOCK: "false",
    });
    base = await listening(s);
  }, 120_000);

  it("serves the environment's secrets, not the documented ones, and prints them", async () => {
    expect(s.stdout()).toContain(`Bearer ${token}`);
    expect(s.stdout()).toContain(`AWS_SECRET_ACCESS_KEY=${secret}`);
    expect(s.stdout()).not.toContain(LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN);
    expect(s.stdout()).not.toContain(LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY);
    expect(s.stdout()).toMatch(/Test clock .*: off/);

    const admin = (t: string, init: RequestInit = {}) =>
      fetch(`${base}/_iamlab${init.method === "POST" ? "/clock" : "/accounts"}`, { ...init, headers: { authorization: `Bearer ${t}` } });
    expect((await admin(LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN)).status).toBe(401);
    expect((await admin(token)).status).toBe(200);
    const clock = await admin(token, { method: "POST", body: '{"offsetMs":1000}' });
    expect(clock.status).toBe(403);
    expect(((await clock.json()) as { error: string }).error).toBe("ClockDisabled");

    const client = (secretAccessKey: string) =>
      new STSClient({
        endpoint: base,
        region: "us-east-1",
        maxAttempts: 1,
        credentials: { accessKeyId: LOCAL_DEFAULTS.IAMLAB_ROOT_ACCESS_KEY_ID, secretAccessKey },
      });
    expect((await client(secret).send(new GetCallerIdentityCommand({}))).Account).toBe("123456789012");
    await expect(client(LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
    });
  });

  it("exits non-zero, saying why, when its workerd runtime is killed", async () => {
    const pids = workerdIn(s.child.pid!);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const exit = await exitWithin(s, 60_000);
    expect(exit).not.toBe("timeout");
    expect(exit).toMatchObject({ code: 1 });
    expect(s.stderr()).toMatch(/workerd runtime exited.*the sandbox is down/);
  }, 90_000);
});

describe("npm start beyond loopback", () => {
  it("refuses --host 0.0.0.0 with the documented admin token, before listening", async () => {
    const s = serve(["--port", "0", "--in-memory", "--host", "0.0.0.0"], { IAMLAB_ADMIN_TOKEN: LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN });
    const exit = await exitWithin(s, 60_000);
    expect(exit).toMatchObject({ code: 1 });
    expect(s.stderr()).toMatch(/Refusing to listen on 0\.0\.0\.0 with the documented admin token.*Set IAMLAB_ADMIN_TOKEN/);
    expect(s.stdout()).not.toContain("listening");
  }, 90_000);
});
