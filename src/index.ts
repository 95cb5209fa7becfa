/** Worker entry: the Hono app and the Durable Object classes. */
import { app } from "./app";
import type { Env } from "./env";
import { cacheBudgetBytes, setCacheBudget } from "./lib/bounded";

export { SessionsDO } from "./sessions/sessions-do";
export { ConsistencyDO } from "./consistency/consistency-do";
export { SqsQueueDO } from "./services/sqs/queue-do";
export { RateLimitDO } from "./limits/limiter-do";
export { TrailDeliveryDO } from "./services/cloudtrail/delivery-do";

let budgetApplied = false;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    // The caches' memory budget comes from the environment, known from the first request on.
    if (!budgetApplied) {
      budgetApplied = true;
      setCacheBudget(cacheBudgetBytes(env.IAMLAB_CACHE_MB));
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
