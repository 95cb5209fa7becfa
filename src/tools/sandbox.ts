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
import { splitSqlStatements } from "../data/build/sql.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Documented local defaults (the AWS documentation's example key). Never use them on a deploy. */
export const LOCAL_DEFAULTS = {
  IAMLAB_DEFAULT_ACCOUNT_ID: "123456789012",
  IAMLAB_ROOT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  IAMLAB_ROOT_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  IAMLAB_ADMIN_TOKEN: "iamlab-local-admin-token",
  IAMLAB_TOKEN_KEY: "iamlab-local-session-token-key-change-me",
  IAMLAB_TEST_CLOCK: "true",
  // One isolate serves everything locally and every write invalidates its account at once, so the
  // TTL only bounds edits made behind the Worker's back (wrangler d1 execute --local). Deploys keep 1 s.
  IAMLAB_AUTH_CACHE_MS: "10000",
} as const;

export interface SandboxOptions {
  host?: string;
  port?: number;
  https?: boolean;
  /** directory for local D1 / Durable Object state; false = in memory */
  persistTo?: string | false;
  vars?: Record<string, string>;
  /** log the Worker's console output */
  verbose?: boolean;
  /** expose the V8 inspector (bench/profile.ts takes CPU profiles through it) */
  inspectorPort?: number;
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
  await db.prepare(`CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`).run();
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

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const script = await bundleWorker();
  const vars: Record<string, string> = { ...LOCAL_DEFAULTS, ...opts.vars };
  const persist = opts.persistTo === undefined ? false : opts.persistTo;
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: path.join(ROOT, "src/index.js"), contents: script }],
    modulesRoot: ROOT,
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    bindings: vars,
    // Same database id as wrangler.toml, so `wrangler d1 … --local` sees the same data.
    d1Databases: { DB: "00000000-0000-0000-0000-000000000000" },
    durableObjects: {
      SESSIONS: { className: "SessionsDO", useSQLite: true },
      CONSISTENCY: { className: "ConsistencyDO", useSQLite: true },
    },
    ...(persist
      ? { d1Persist: path.join(persist, "v3/d1"), durableObjectsPersist: path.join(persist, "v3/do"), defaultPersistRoot: persist }
      : {}),
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 8787,
    https: opts.https ?? false,
    verbose: opts.verbose ?? false,
    ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, "");
    await applyMigrations(await mf.getD1Database("DB"));
    return { url, mf, vars, stop: () => mf.dispose() };
  } catch (e) {
    await mf.dispose();
    throw e;
  }
}
