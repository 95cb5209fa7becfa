/**
 * The Worker bundles for a deploy: `wrangler deploy --dry-run` (no network) must build src/index.ts
 * with wrangler.toml's bindings. Catches imports that work under Miniflare/esbuild but not in
 * wrangler's own build (the deploy itself cannot run here).
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

describe("deploy bundle", () => {
  it("wrangler deploy --dry-run builds the Worker with its D1 and Durable Object bindings", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "iamlab-dry-"));
    try {
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(
          path.resolve("node_modules/.bin/wrangler"),
          ["deploy", "--dry-run", "--outdir", out],
          { env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, timeout: 90_000 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: `${stdout}\n${stderr}` }),
        );
      });
      expect(code, stdout).toBe(0);
      expect(stdout).toMatch(/env\.SESSIONS \(SessionsDO\)\s+Durable Object/);
      expect(stdout).toMatch(/env\.CONSISTENCY \(ConsistencyDO\)\s+Durable Object/);
      expect(stdout).toMatch(/env\.DB \(iamlab\)\s+D1 Database/);
      expect((await stat(path.join(out, "index.js"))).size).toBeGreaterThan(100_000);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
