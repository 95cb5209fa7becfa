/**
 * BENCH-ONLY entry (never deployed, never used by `npm start` or the tests): the real Worker with
 * its bindings wrapped, per request, in counting proxies. Every D1 round trip (a statement's
 * first/all/run/raw, a batch, an exec) and every Durable Object call made while the request is
 * handled is counted, and the counts come back in x-bench-* response headers. The production
 * hot path is untouched: the proxies exist only in this bundle.
 */
import worker from "../../src/index";
export * from "../../src/index";

interface Counter { d1: number; d1Batch: number; d1Statements: number; doCalls: number; sql: string[] }

const RPC_SKIP = new Set<string | symbol>(["then", "id", "name", "constructor", Symbol.toPrimitive, Symbol.toStringTag]);

function countingStatement(real: D1PreparedStatement, sql: string, c: Counter, realOf: WeakMap<object, D1PreparedStatement>): D1PreparedStatement {
  const proxy: D1PreparedStatement = new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      if (prop === "bind") return (...args: unknown[]) => countingStatement((v as (...a: unknown[]) => D1PreparedStatement).apply(target, args), sql, c, realOf);
      if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
        return (...args: unknown[]) => {
          c.d1++;
          c.d1Statements++;
          c.sql.push(sql);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
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
      if (prop === "prepare") return (sql: string) => countingStatement((v as (s: string) => D1PreparedStatement).call(target, sql), sql, c, realOf);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          c.d1++;
          c.d1Batch++;
          c.d1Statements += stmts.length;
          c.sql.push(`batch(${stmts.length})`);
          return (v as (s: D1PreparedStatement[]) => unknown).call(target, stmts.map((s) => realOf.get(s) ?? s));
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          c.d1++;
          c.d1Statements++;
          c.sql.push(sql);
          return (v as (s: string) => unknown).call(target, sql);
        };
      }
      // withSession() etc. would bypass the count: flag it loudly rather than undercount silently.
      if (prop === "withSession") return () => { throw new Error("bench counting proxy: withSession is not counted; extend bench/lib/counting-worker.ts"); };
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
        return Reflect.apply(v as (...a: unknown[]) => unknown, target, args);
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

function isD1(v: unknown): v is D1Database {
  return typeof v === "object" && v !== null && typeof (v as D1Database).prepare === "function" && typeof (v as D1Database).batch === "function";
}
function isNamespace(v: unknown): v is DurableObjectNamespace {
  return typeof v === "object" && v !== null && typeof (v as DurableObjectNamespace).idFromName === "function";
}

type Fetch = (req: Request, env: Record<string, unknown>, ctx: ExecutionContext) => Response | Promise<Response>;

export default {
  async fetch(req: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    const c: Counter = { d1: 0, d1Batch: 0, d1Statements: 0, doCalls: 0, sql: [] };
    const wrapped: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(env)) wrapped[k] = isD1(v) ? countingD1(v, c) : isNamespace(v) ? countingNamespace(v, c) : v;
    const res = await (worker as unknown as { fetch: Fetch }).fetch(req, wrapped, ctx);
    const out = new Response(res.body, res);
    out.headers.set("x-bench-d1", String(c.d1));
    out.headers.set("x-bench-d1-batches", String(c.d1Batch));
    out.headers.set("x-bench-d1-statements", String(c.d1Statements));
    out.headers.set("x-bench-do", String(c.doCalls));
    out.headers.set("x-bench-sql", encodeURIComponent(c.sql.map((s) => s.replace(/\s+/g, " ").slice(0, 90)).join(" ;; ")));
    return out;
  },
};
