/**
 * Starts the Worker locally through Miniflare's API (not `wrangler dev`, whose proxy costs ~5×):
 * bundles src/index.ts with esbuild, applies migrations/ to the local D1 (recording them in
 * d1_migrations as wrangler does), and serves on host:port over http or https.
 * Used by `npm start`, the integration tests and the benchmarks.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { splitSqlStatements } from "../data/build/sql.ts";
import { LOCAL_DEFAULTS } from "./local-config.ts";
import { formatRequestLog, parseRequestLogLine, type RequestLogEntry, type RequestLogFormat } from "../lib/request-log.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export { LOCAL_DEFAULTS } from "./local-config.ts";

export interface SandboxOptions {
  host?: string;
  port?: number;
  https?: boolean;
  /** directory for local D1 / Durable Object state; false = in memory */
  persistTo?: string | false;
  vars?: Record<string, string>;
  /** log the Worker's console output */
  verbose?: boolean;
  /**
   * One line per AWS request on stdout, as text or JSON lines (src/lib/request-log.ts). Also on, as
   * text, when vars set IAMLAB_REQUEST_LOG (`json` for JSON lines).
   */
  requestLog?: RequestLogFormat;
  /** receives each request-log entry instead of stdout (tests) */
  onRequestLog?: (entry: RequestLogEntry) => void;
  /** expose the V8 inspector (bench/profile.ts takes CPU profiles through it) */
  inspectorPort?: number;
  /**
   * Called once if the workerd runtime dies (crash, OOM kill, SIGKILL) while the sandbox is not
   * being stopped: Miniflare itself never notices, and the port is closed from then on.
   */
  onRuntimeExit?: (reason: string) => void;
}

export interface Sandbox {
  url: string;
  mf: Miniflare;
  vars: Record<string, string>;
  stop(): Promise<void>;
}

/** Bundles a Worker entry as the sandbox serves it (also used for the bench-only builds in bench/lib). */
export async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    write: false,
    minify: false,
    sourcemap: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

export function bundleWorker(): Promise<string> {
  return bundle(path.join(ROOT, "src/index.ts"));
}

export async function readMigrations(): Promise<{ name: string; statements: string[] }[]> {
  const dir = path.join(ROOT, "migrations");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  return Promise.all(files.map(async (name) => ({ name, statements: splitSqlStatements(await readFile(path.join(dir, name), "utf8")) })));
}

export async function applyMigrations(db: D1Database): Promise<string[]> {
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`,
    )
    .run();
  const done = new Set((await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name));
  const applied: string[] = [];
  for (const m of await readMigrations()) {
    if (done.has(m.name)) continue;
    // One batch per migration: it applies whole or not at all.
    await db.batch([...m.statements.map((s) => db.prepare(s)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(m.name)]);
    applied.push(m.name);
  }
  return applied;
}

/** Forwards workerd's output as Miniflare does, and reports when it ends (the process is gone). */
function runtimeStdio(onEnd: (reason: string) => void, onRequest?: (e: RequestLogEntry) => void) {
  return (stdout: Readable, stderr: Readable): void => {
    createInterface(stdout).on("line", (l) => {
      const entry = onRequest && parseRequestLogLine(l);
      if (entry) onRequest(entry);
      else console.log(l);
    });
    createInterface(stderr).on("line", (l) => console.error(l));
    // Miniflare pipes workerd's stdout/stderr through these streams; they end when the process's
    // pipes close, i.e. when it exits. (Miniflare's own dispose destroys them instead: no "end".)
    stdout.once("end", () => onEnd("the workerd runtime exited (its output closed)"));
  };
}

/**
 * Fallback for runtimeStdio (should a Miniflare release stop calling handleRuntimeStdio): a TCP
 * connect every few seconds; two refusals in a row mean nothing listens on the port any more.
 */
function probePort(url: string, onDead: (reason: string) => void): () => void {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  let refused = 0;
  const timer = setInterval(() => {
    const sock = connect({ host: target, port });
    sock.setTimeout(5000, () => sock.destroy());
    sock.once("connect", () => {
      refused = 0;
      sock.destroy();
    });
    sock.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "ECONNREFUSED") return;
      if (++refused >= 2) onDead(`nothing listens on ${target}:${port} any more`);
    });
  }, 5000);
  timer.unref();
  return () => clearInterval(timer);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const script = await bundleWorker();
  // IAMLAB_LOCAL marks local serving: a Worker without it is a deploy and refuses the documented secrets (issue 22).
  const vars: Record<string, string> = { ...LOCAL_DEFAULTS, IAMLAB_LOCAL: "true", ...opts.vars };
  const logFormat = opts.requestLog ?? (vars.IAMLAB_REQUEST_LOG ? (vars.IAMLAB_REQUEST_LOG === "json" ? "json" : "text") : undefined);
  if (logFormat) vars.IAMLAB_REQUEST_LOG = logFormat;
  const onRequest = !logFormat
    ? undefined
    : (opts.onRequestLog ?? ((e: RequestLogEntry) => process.stdout.write(`${formatRequestLog(e, logFormat)}\n`)));
  const persist = opts.persistTo === undefined ? false : opts.persistTo;
  let stopping = false;
  let stopProbe = (): void => {};
  const onRuntimeExit = opts.onRuntimeExit;
  const died = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    stopProbe();
    onRuntimeExit?.(reason);
  };
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: path.join(ROOT, "src/index.js"), contents: script }],
    modulesRoot: ROOT,
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    bindings: vars,
    // Same database id as wrangler.toml, so `wrangler d1 … --local` sees the same data.
    d1Databases: { DB: "00000000-0000-0000-0000-000000000000" },
    // S3 object bodies (wrangler.toml's binding; same bucket name, so `wrangler r2 … --local` sees them).
    r2Buckets: { OBJECTS: "iamlab-objects" },
    durableObjects: {
      SESSIONS: { className: "SessionsDO", useSQLite: true },
      CONSISTENCY: { className: "ConsistencyDO", useSQLite: true },
      SQS_QUEUES: { className: "SqsQueueDO", useSQLite: true },
      RATE_LIMITS: { className: "RateLimitDO", useSQLite: true },
      TRAIL_DELIVERY: { className: "TrailDeliveryDO", useSQLite: true },
    },
    ...(persist
      ? {
          d1Persist: path.join(persist, "v3/d1"),
          durableObjectsPersist: path.join(persist, "v3/do"),
          r2Persist: path.join(persist, "v3/r2"),
          defaultPersistRoot: persist,
        }
      : {}),
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 8787,
    https: opts.https ?? false,
    verbose: opts.verbose ?? false,
    ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
    ...(onRuntimeExit || onRequest ? { handleRuntimeStdio: runtimeStdio(died, onRequest) } : {}),
  });
  const stop = (): Promise<void> => {
    stopping = true;
    stopProbe();
    return mf.dispose();
  };
  try {
    const url = (await mf.ready).toString().replace(/\/$/, "");
    await applyMigrations(await mf.getD1Database("DB"));
    if (onRuntimeExit && !stopping) stopProbe = probePort(url, died);
    return { url, mf, vars, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
