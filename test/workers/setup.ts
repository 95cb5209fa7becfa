import { applyD1Migrations, env } from "cloudflare:test";
import type { Env as WorkerEnv } from "../../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: { name: string; queries: string[] }[];
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
