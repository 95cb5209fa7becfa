/**
 * The server side of `npm run bench`, run by bench/run.ts as a child process in its own process
 * group (so killing the group also kills every workerd it started). Starts, in memory:
 *  - the sandbox exactly as `npm start` serves it (startSandbox: Miniflare, bundled src/index.ts),
 *  - the baseline fixed-body Worker (and its one-D1-query variant at /d1),
 *  - the bench-only counting build of the Worker (D1 / Durable Object calls per request).
 * Prints one line `BENCH_READY {"sandbox":url,"baseline":url,"counting":url}` and then waits;
 * SIGTERM/SIGINT dispose everything.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../src/tools/local-config";
import { startSandbox } from "../src/tools/sandbox";
import { startBaseline, startCounting, type Instance } from "./lib/instances";

const stops: (() => Promise<void>)[] = [];
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.allSettled(stops.map((s) => s()));
  }
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
// The parent going away (its stdin pipe closes) also stops us.
process.stdin.on("end", () => void stop(0));
process.stdin.resume();

try {
  const sandbox = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
  stops.push(() => sandbox.stop());
  const baseline: Instance = await startBaseline();
  stops.push(() => baseline.stop());
  let counting: Instance | undefined;
  let countingError: string | undefined;
  try {
    counting = await startCounting();
    stops.push(() => counting!.stop());
  } catch (e) {
    countingError = e instanceof Error ? e.message : String(e);
  }
  console.log(
    `BENCH_READY ${JSON.stringify({ sandbox: sandbox.url, baseline: baseline.url, counting: counting?.url, countingError, pid: process.pid })}`,
  );
} catch (e) {
  console.error("bench server failed to start:", e instanceof Error ? (e.stack ?? e.message) : e);
  await stop(1);
}
