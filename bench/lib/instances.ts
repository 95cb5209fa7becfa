/**
 * The extra Miniflare instances of the server benchmark (the real sandbox comes from
 * src/tools/sandbox.ts startSandbox()): the fixed-body baseline, and the bench-only counting and
 * loop builds of the real Worker (bundled by sandbox.ts's own bundle()). Miniflare options mirror
 * startSandbox's; keep them in step with it.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../../src/tools/local-config";
import { Miniflare } from "miniflare";
import path from "node:path";
import { applyMigrations, bundle, LOCAL_DEFAULTS, ROOT } from "../../src/tools/sandbox";

const COMPAT = { compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat"] };

export interface Instance {
  url: string;
  stop(): Promise<void>;
}

export async function startBaseline(): Promise<Instance> {
  const script = await bundle(path.join(ROOT, "bench/lib/baseline-worker.ts"));
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: path.join(ROOT, "bench/baseline.js"), contents: script }],
    ...COMPAT,
    d1Databases: { DB: "bench-baseline" },
    host: "127.0.0.1",
    port: 0,
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, "");
    const db = await mf.getD1Database("DB");
    await db.batch([
      db.prepare("CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"),
      db.prepare("INSERT OR REPLACE INTO bench (id, v) VALUES (1, '123456789012')"),
    ]);
    return { url, stop: () => mf.dispose() };
  } catch (e) {
    await mf.dispose();
    throw e;
  }
}

/** The real Worker wrapped by bench/lib/counting-worker.ts (D1 / Durable Object calls per request). */
export function startCounting(): Promise<Instance> {
  return startWrapped("bench/lib/counting-worker.ts");
}

/** The real Worker wrapped by bench/lib/loop-worker.ts (in-isolate replay: the Worker's own µs per request). */
export function startLoop(inspectorPort?: number): Promise<Instance> {
  return startWrapped("bench/lib/loop-worker.ts", inspectorPort);
}

async function startWrapped(entry: string, inspectorPort?: number): Promise<Instance> {
  const script = await bundle(path.join(ROOT, entry));
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: path.join(ROOT, entry.replace(/\.ts$/, ".js")), contents: script }],
    ...COMPAT,
    bindings: { ...LOCAL_DEFAULTS, IAMLAB_LOCAL: "true", IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS },
    d1Databases: { DB: "00000000-0000-0000-0000-000000000000" },
    r2Buckets: { OBJECTS: "iamlab-objects" },
    durableObjects: {
      SESSIONS: { className: "SessionsDO", useSQLite: true },
      CONSISTENCY: { className: "ConsistencyDO", useSQLite: true },
      SQS_QUEUES: { className: "SqsQueueDO", useSQLite: true },
    },
    host: "127.0.0.1",
    port: 0,
    ...(inspectorPort !== undefined ? { inspectorPort } : {}),
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, "");
    await applyMigrations(await mf.getD1Database("DB"));
    return { url, stop: () => mf.dispose() };
  } catch (e) {
    await mf.dispose();
    throw e;
  }
}
