/**
 * BENCH-ONLY entry (never deployed, never used by `npm start` or the tests): the real Worker plus
 * `POST /__loop`, which replays one request through the Worker's fetch handler n times inside the
 * isolate, with no HTTP in between, and answers the mean time per request. This isolates the
 * Worker's own cost (parse, SigV4, caches, policy engine, XML) from the HTTP stack and the load
 * generator. Local workerd advances its clock during CPU work, so the timing is real.
 */
import worker from "../../src/index";
export * from "../../src/index";

interface LoopRequest { n: number; url: string; method: string; headers: Record<string, string>; body: string }

type Env = Parameters<typeof worker.fetch>[1];

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(req.url).pathname !== "/__loop") return worker.fetch(req, env, ctx);
    const spec = (await req.json()) as LoopRequest;
    const make = (): Request => new Request(spec.url, { method: spec.method, headers: spec.headers, body: spec.body });
    const statuses: Record<string, number> = {};
    // Building the Request objects is not the Worker's work: make them before the clock starts.
    const reqs = Array.from({ length: spec.n }, make);
    const t0 = performance.now();
    for (const r of reqs) {
      const res = await worker.fetch(r, env, ctx);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    const ms = performance.now() - t0;
    return Response.json({ n: spec.n, usPerRequest: (ms * 1000) / spec.n, statuses });
  },
};
