/**
 * BENCH-ONLY entry (never deployed, never used by `npm start` or the tests): the real Worker plus
 * `POST /__loop`, which replays one request through the Worker's fetch handler n times inside the
 * isolate (bench/lib/replay.ts) and answers the mean time per request. This isolates the Worker's
 * own cost (parse, SigV4, caches, policy engine, XML) from the HTTP stack and the load generator.
 */
import worker from "../../src/index";
import { replay, type ReplaySpec } from "./replay";
export * from "../../src/index";

type Env = Parameters<typeof worker.fetch>[1];

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(req.url).pathname !== "/__loop") return worker.fetch(req, env, ctx);
    return Response.json(await replay((await req.json()) as ReplaySpec, worker.fetch as never, env, ctx));
  },
};
