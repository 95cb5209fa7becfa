import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { readMigrations } from "./src/tools/sandbox.ts";
import { TEST_VARS } from "./src/tools/local-config.ts";

// Three projects:
// - unit: pure modules (protocol, policy engine, lib) in Node — fast;
// - workers: code that needs the Workers runtime (D1 store, Durable Objects, alarms) inside workerd
//   through @cloudflare/vitest-pool-workers, with the migrations applied in setup;
// - integration: the real AWS SDKs (and the AWS CLI where installed) over HTTP against the Worker
//   served by Miniflare, exactly as `npm start` serves it.
export default defineConfig({
  test: {
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/unit/**/*.test.ts", "test/policy/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                // Override whatever a developer's .dev.vars holds (wrangler's config loading reads it).
                ...TEST_VARS,
                TEST_MIGRATIONS: (await readMigrations()).map((m) => ({ name: m.name, queries: m.statements })),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["./test/workers/setup.ts"],
        },
      },
      {
        test: {
          name: "integration",
          environment: "node",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["./test/integration/global-setup.ts"],
          // One sandbox serves every file, and some files move its clock (expiry, captured
          // signatures): files run one after another so no request is signed across a clock jump.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // Fault injection: sandboxes in processes of their own, SIGKILLed mid-write and restarted.
      {
        test: {
          name: "faults",
          environment: "node",
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
      // --- hosted (issue 22): two Worker isolates on the same D1 / Durable Object state (its own Miniflare) ---
      {
        test: {
          name: "isolates",
          environment: "node",
          include: ["test/isolates/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      // --- end hosted ---
    ],
  },
});
