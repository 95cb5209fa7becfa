/**
 * BENCH-ONLY entry (never deployed, never used by `npm start` or the tests): the real Worker with
 * its bindings wrapped, per request, in counting proxies. Every D1 round trip (a statement's
 * first/all/run/raw, a batch, an exec), every Durable Object call and every R2 call (get, put,
 * head, delete, list, multipart) made while the request is handled is counted, and the counts come back in x-bench-* response headers. The production
 * hot path is untouched: the proxies exist only in this bundle.
 */
import worker from "../../src/index";
import { parseSignature, verifySignature } from "../../src/auth/sigv4";
import { lookupAccessKey } from "../../src/store/credentials";
import { getDb } from "../../src/store/db";
import { replay, type ReplaySpec } from "./replay";
import type { ConsistencyDO } from "../../src/consistency/consistency-do";
import type { SqsQueueDO } from "../../src/services/sqs/queue-do";
export * from "../../src/index";

/** Time during which at least one call of a kind was pending (overlapping calls are not double counted). */
class Busy {
  ms = 0;
  pending = 0;
  private since = 0;
  enter(): void {
    if (this.pending++ === 0) this.since = performance.now();
  }
  leave(): void {
    if (--this.pending === 0) this.ms += performance.now() - this.since;
  }
}

interface Counter {
  d1: number;
  d1Batch: number;
  d1Statements: number;
  doCalls: number;
  r2: number;
  r2Calls: string[];
  sql: string[];
  d1Busy: Busy;
  doBusy: Busy;
  r2Busy: Busy;
}

// Local workerd (unlike production) advances the clock during CPU work, so wall time per phase is
// measurable here; it has ~1 ms granularity, so callers average over many requests.
function timed<T>(p: Promise<T>, busy: Busy): Promise<T> {
  busy.enter();
  return p.finally(() => busy.leave());
}

const RPC_SKIP = new Set<string | symbol>(["then", "id", "name", "constructor", Symbol.toPrimitive, Symbol.toStringTag]);

function countingStatement(
  real: D1PreparedStatement,
  sql: string,
  c: Counter,
  realOf: WeakMap<object, D1PreparedStatement>,
): D1PreparedStatement {
  const proxy: D1PreparedStatement = new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      if (prop === "bind")
        return (...args: unknown[]) =>
          countingStatement((v as (...a: unknown[]) => D1PreparedStatement).apply(target, args), sql, c, realOf);
      if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
        return (...args: unknown[]) => {
          c.d1++;
          c.d1Statements++;
          c.sql.push(sql);
          return timed((v as (...a: unknown[]) => Promise<unknown>).apply(target, args), c.d1Busy);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  realOf.set(proxy, real);
  return proxy;
}

function countingD1(real: D1Database, c: Counter): D1Database {
  const realOf = new WeakMap<object, D1PreparedStatement>();
  return new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      if (prop === "prepare")
        return (sql: string) => countingStatement((v as (s: string) => D1PreparedStatement).call(target, sql), sql, c, realOf);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          c.d1++;
          c.d1Batch++;
          c.d1Statements += stmts.length;
          c.sql.push(`batch(${stmts.length})`);
          return timed(
            (v as (s: D1PreparedStatement[]) => Promise<unknown>).call(
              target,
              stmts.map((s) => realOf.get(s) ?? s),
            ),
            c.d1Busy,
          );
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          c.d1++;
          c.d1Statements++;
          c.sql.push(sql);
          return timed((v as (s: string) => Promise<unknown>).call(target, sql), c.d1Busy);
        };
      }
      // withSession() etc. would bypass the count: flag it loudly rather than undercount silently.
      if (prop === "withSession")
        return () => {
          throw new Error("bench counting proxy: withSession is not counted; extend bench/lib/counting-worker.ts");
        };
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function countingStub<T extends object>(stub: T, c: Counter): T {
  return new Proxy(stub, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function" || RPC_SKIP.has(prop)) return v;
      return (...args: unknown[]) => {
        c.doCalls++;
        const r = Reflect.apply(v as (...a: unknown[]) => unknown, target, args);
        // RPC calls return a thenable (JsRpcPromise), not a Promise.
        return r !== null && (typeof r === "object" || typeof r === "function") && typeof (r as PromiseLike<unknown>).then === "function"
          ? timed(Promise.resolve(r as PromiseLike<unknown>), c.doBusy)
          : r;
      };
    },
  });
}

function countingNamespace(real: DurableObjectNamespace, c: Counter): DurableObjectNamespace {
  return new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      if (prop === "get" || prop === "getByName")
        return (...args: unknown[]) => countingStub(Reflect.apply(v as (...a: unknown[]) => object, target, args), c);
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** Every call of an R2 bucket binding (get, put, head, delete, list, createMultipartUpload …) is one round trip. */
function countingR2(real: R2Bucket, c: Counter): R2Bucket {
  return new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        c.r2++;
        c.r2Calls.push(String(prop));
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        return r instanceof Promise ? timed(r, c.r2Busy) : r;
      };
    },
  });
}

function isR2(v: unknown): v is R2Bucket {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as R2Bucket).head === "function" &&
    typeof (v as R2Bucket).createMultipartUpload === "function"
  );
}

function isD1(v: unknown): v is D1Database {
  return (
    typeof v === "object" && v !== null && typeof (v as D1Database).prepare === "function" && typeof (v as D1Database).batch === "function"
  );
}
function isNamespace(v: unknown): v is DurableObjectNamespace {
  return typeof v === "object" && v !== null && typeof (v as DurableObjectNamespace).idFromName === "function";
}

type Fetch = (req: Request, env: Record<string, unknown>, ctx: ExecutionContext) => Response | Promise<Response>;

export default {
  async fetch(req: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    const t0 = performance.now();
    const pathname = new URL(req.url).pathname;
    if (pathname === "/__bench/sigv4") return sigv4Micro(req, env.DB as D1Database);
    // The Worker's own µs per request: the real bindings, no counting proxies, no HTTP.
    if (pathname === "/__bench/loop")
      return Response.json(
        await replay((await req.json()) as ReplaySpec, (worker as unknown as { fetch: Fetch }).fetch as never, env, ctx),
      );
    if (pathname === "/__bench/d1ping") {
      // The floor: one trivial D1 round trip from this Worker, timed like the real ones.
      await req.arrayBuffer();
      const t = performance.now();
      await (env.DB as D1Database).prepare("SELECT 1 AS one").first();
      const d1 = performance.now() - t;
      const res = new Response("ok");
      res.headers.set("x-bench-ms", String(performance.now() - t0));
      res.headers.set("x-bench-d1-ms", String(d1));
      res.headers.set("x-bench-do-ms", "0");
      return res;
    }
    if (pathname === "/__bench/doping" || pathname === "/__bench/dowrite") {
      // The other floors: one Durable Object RPC that touches no storage (ConsistencyDO.ping), and one
      // that writes (an SQS queue object's purge: one DELETE, committed before it answers), timed the same way.
      await req.arrayBuffer();
      const t = performance.now();
      if (pathname === "/__bench/doping") {
        const ns = env.CONSISTENCY as DurableObjectNamespace<ConsistencyDO>;
        await ns.get(ns.idFromName("bench-ping")).ping();
      } else {
        const ns = env.SQS_QUEUES as DurableObjectNamespace<SqsQueueDO>;
        await ns.get(ns.idFromName("bench-floor")).purge();
      }
      const doMs = performance.now() - t;
      const res = new Response("ok");
      res.headers.set("x-bench-ms", String(performance.now() - t0));
      res.headers.set("x-bench-d1-ms", "0");
      res.headers.set("x-bench-do-ms", String(doMs));
      return res;
    }
    const c: Counter = {
      d1: 0,
      d1Batch: 0,
      d1Statements: 0,
      doCalls: 0,
      r2: 0,
      r2Calls: [],
      sql: [],
      d1Busy: new Busy(),
      doBusy: new Busy(),
      r2Busy: new Busy(),
    };
    const wrapped: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(env))
      wrapped[k] = isD1(v) ? countingD1(v, c) : isNamespace(v) ? countingNamespace(v, c) : isR2(v) ? countingR2(v, c) : v;
    const res = await (worker as unknown as { fetch: Fetch }).fetch(req, wrapped, ctx);
    const out = new Response(res.body, res);
    out.headers.set("x-bench-ms", String(performance.now() - t0));
    // Calls still pending when the response is ready are write-behind work (ctx.waitUntil): they
    // cost D1 capacity but not this response's latency. Busy time counts finished calls only.
    out.headers.set("x-bench-d1-background", String(c.d1Busy.pending));
    out.headers.set("x-bench-do-background", String(c.doBusy.pending));
    out.headers.set("x-bench-d1-ms", String(c.d1Busy.ms));
    out.headers.set("x-bench-do-ms", String(c.doBusy.ms));
    out.headers.set("x-bench-r2-ms", String(c.r2Busy.ms));
    out.headers.set("x-bench-d1", String(c.d1));
    out.headers.set("x-bench-d1-batches", String(c.d1Batch));
    out.headers.set("x-bench-d1-statements", String(c.d1Statements));
    out.headers.set("x-bench-do", String(c.doCalls));
    out.headers.set("x-bench-r2", String(c.r2));
    out.headers.set("x-bench-r2-calls", c.r2Calls.join(","));
    out.headers.set("x-bench-sql", encodeURIComponent(c.sql.map((s) => s.replace(/\s+/g, " ").slice(0, 90)).join(" ;; ")));
    return out;
  },
};

/**
 * POST /__bench/sigv4 {request, secret, iterations}: costs measured inside workerd, N times each,
 * with no HTTP in between: the server's SigV4 check (parse + verify, signing-key cache warm), one
 * trivial D1 query, and the access-key lookup (src/store/credentials.ts) through drizzle.
 */
async function sigv4Micro(req: Request, d1: D1Database): Promise<Response> {
  const o = (await req.json()) as {
    request: { method: string; path: string; headers: Record<string, string>; body: string };
    secret: string;
    iterations: number;
  };
  const raw = {
    method: o.request.method,
    url: new URL(o.request.path, `http://${o.request.headers.host ?? "localhost"}`),
    headers: new Headers(o.request.headers),
  };
  const body = new TextEncoder().encode(o.request.body);
  const run = async (): Promise<void> => {
    const info = parseSignature(raw)!;
    await verifySignature(raw, body, info, o.secret);
  };
  const time = async (f: () => Promise<unknown>, n: number): Promise<number> => {
    await f();
    const t = performance.now();
    for (let i = 0; i < n; i++) await f();
    await new Promise((r) => setTimeout(r, 0));
    return ((performance.now() - t) * 1000) / n;
  };
  const keyId = o.request.headers.authorization!.split("Credential=")[1]!.split("/")[0]!;
  const db = getDb(d1);
  return Response.json({
    iterations: o.iterations,
    usPerVerify: await time(run, o.iterations),
    usPerD1Ping: await time(() => d1.prepare("SELECT 1 AS one").first(), 300),
    usPerKeyLookup: await time(() => lookupAccessKey(db, keyId), 300),
  });
}
