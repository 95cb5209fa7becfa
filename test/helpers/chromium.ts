/**
 * The browser tests drive Debian's Chromium. On a machine without it (a clean CI runner) the test
 * setup installs it with apt when it may (root, apt-get present, IAMLAB_INSTALL_CHROMIUM not "0");
 * where that fails the browser tests skip with a message.
 */
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

export const CHROMIUM = process.env.IAMLAB_CHROMIUM ?? "/usr/bin/chromium";

export function ensureChromium(): void {
  if (existsSync(CHROMIUM) || process.env.IAMLAB_INSTALL_CHROMIUM === "0") return;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return;
  const apt = (...args: string[]) =>
    spawnSync("apt-get", args, { stdio: "ignore", timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status ===
    0;
  console.warn("test setup: installing Debian's chromium for the browser tests (apt-get install chromium)…");
  if (!apt("install", "-y", "--no-install-recommends", "chromium")) {
    apt("update");
    apt("install", "-y", "--no-install-recommends", "chromium");
  }
  if (!existsSync(CHROMIUM)) console.warn("test setup: chromium could not be installed; the browser tests will be skipped.");
}
