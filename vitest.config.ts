import { defineConfig } from "vitest/config";

// Three projects: pure modules in Node (fast), Worker-runtime tests in workerd via
// @cloudflare/vitest-pool-workers, and integration tests that drive the real AWS SDKs
// over HTTP against the Worker served by Miniflare.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/unit/**/*.test.ts", "test/policy/**/*.test.ts"],
        },
      },
    ],
  },
});
