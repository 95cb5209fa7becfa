/**
 * In-isolate replay, shared by the bench-only Worker builds: one request replayed n times through
 * the real Worker's fetch handler with no HTTP in between, timed inside workerd (local workerd
 * advances its clock during CPU work). The Request objects are built before the clock starts.
 */
export interface ReplaySpec {
  n: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}
export interface ReplayResult {
  n: number;
  usPerRequest: number;
  statuses: Record<string, number>;
}

type Fetch = (req: Request, env: never, ctx: ExecutionContext) => Promise<Response>;

export async function replay(spec: ReplaySpec, fetch: Fetch, env: unknown, ctx: ExecutionContext): Promise<ReplayResult> {
  // Over HTTP every client sends Content-Length with a body; a Request built here would not.
  const headers = spec.body ? { ...spec.headers, "content-length": String(new TextEncoder().encode(spec.body).length) } : spec.headers;
  const body = spec.method === "GET" || spec.method === "HEAD" ? undefined : spec.body;
  const reqs = Array.from({ length: spec.n }, () => new Request(spec.url, { method: spec.method, headers, body }));
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  for (const r of reqs) {
    const res = await fetch(r, env as never, ctx);
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  return { n: spec.n, usPerRequest: ((performance.now() - t0) * 1000) / spec.n, statuses };
}
