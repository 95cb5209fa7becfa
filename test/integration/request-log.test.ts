/**
 * `npm start -- --verbose` (src/tools/serve.ts in a child process group of its own): the banner
 * (endpoint advice, never `export AWS_ENDPOINT_URL`), and one request-log line per AWS request
 * with account, principal, action, status/code, decision and id, latency; JSON lines with
 * --log-format json (startSandbox's onRequestLog hook, in this process).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CreateAccessKeyCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { TEST_VARS } from "../../src/tools/local-config";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";
import type { RequestLogEntry } from "../../src/lib/request-log";
import { iam, rootCreds, sts } from "../helpers/sandbox";
import { keyCreds } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");

describe("npm start -- --verbose", () => {
  let child: ChildProcess;
  let out = "";
  let base: string;

  beforeAll(async () => {
    const env: Record<string, string> = { WRANGLER_SEND_METRICS: "false" };
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("IAMLAB_")) env[k] = v;
    Object.assign(env, TEST_VARS);
    child = spawn(process.execPath, ["--import", "tsx", "src/tools/serve.ts", "--port", "0", "--in-memory", "--verbose"], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    base = await waitFor(() => /iamlab is listening on (\S+)/.exec(out)?.[1], {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: "the banner",
      detail: () => out,
    });
    await waitFor(() => (out.includes("Ctrl-C stops") ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "the whole banner",
    });
  }, 120_000);

  afterAll(() => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      /* gone */
    }
  });

  it("prints the --endpoint-url form and never tells to export AWS_ENDPOINT_URL", () => {
    expect(out).toContain(`aws --endpoint-url ${base} sts get-caller-identity`);
    expect(out).not.toMatch(/export AWS_ENDPOINT_URL/);
    expect(out).toMatch(/AWS_ENDPOINT_URL and a profile's endpoint_url are honoured only by CLI v2 >= 2\.13\.0/);
    expect(out).toContain(`${base}/_iamlab/health`);
    expect(out).toContain("Request log: on (text)");
  });

  it("prints one line per request: time account principal action status/code decision id latency", async () => {
    const root = rootCreds();
    await sts(root, "us-east-1", base).send(new GetCallerIdentityCommand({}));
    await iam(root, "us-east-1", base).send(new CreateUserCommand({ UserName: "bob" }));
    const bob = keyCreds((await iam(root, "us-east-1", base).send(new CreateAccessKeyCommand({ UserName: "bob" }))).AccessKey!);
    await iam(bob, "us-east-1", base)
      .send(new CreateUserCommand({ UserName: "eve" }))
      .catch(() => {});
    const t = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    await waitFor(() => (/iam:CreateUser 403/.test(out) ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: "the log line" });
    expect(out).toMatch(new RegExp(`^${t} 123456789012 arn:aws:iam::123456789012:root sts:GetCallerIdentity 200 allow \\d+ms$`, "m"));
    expect(out).toMatch(new RegExp(`^${t} 123456789012 arn:aws:iam::123456789012:root iam:CreateUser 200 allow \\d+ms$`, "m"));
    expect(out).toMatch(
      new RegExp(`^${t} 123456789012 arn:aws:iam::123456789012:user/bob iam:CreateUser 403/AccessDenied deny \\S+:\\S+ \\d+ms$`, "m"),
    );
  });
});

describe("--log-format json (startSandbox's hook)", () => {
  let sandbox: Sandbox;
  const entries: RequestLogEntry[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, persistTo: false, vars: TEST_VARS, requestLog: "json", onRequestLog: (e) => entries.push(e) });
  }, 90_000);
  afterAll(() => sandbox?.stop());

  it("hands over one entry per request, unauthenticated ones included", async () => {
    await sts(rootCreds(), "us-east-1", sandbox.url).send(new GetCallerIdentityCommand({}));
    await sts({ accessKeyId: "AKIAIOSFODNN7NOTHERE", secretAccessKey: "x" }, "us-east-1", sandbox.url)
      .send(new GetCallerIdentityCommand({}))
      .catch(() => {});
    await waitFor(() => (entries.length >= 2 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: "two entries" });
    expect(entries[0]).toMatchObject({
      account: "123456789012",
      principal: "arn:aws:iam::123456789012:root",
      action: "sts:GetCallerIdentity",
      status: 200,
      decision: "allow",
      method: "POST",
      path: "/",
    });
    expect(entries[0]!.requestId).toMatch(/\S/);
    expect(entries[0]!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(entries[1]).toMatchObject({ status: 403, code: "InvalidClientTokenId" });
    expect(entries[1]!.principal).toBeUndefined();
  });
});
