/**
 * Load generation with autocannon (programmatic API), replaying pre-signed requests.
 * Latencies come from autocannon's per-response event (process.hrtime, fractional ms) and are
 * kept in full, so p50/p99 are exact to the µs — autocannon's own histogram rounds to whole ms.
 */
import { createRequire } from "node:module";
import type { SignedRequest } from "./sign";

const require = createRequire(import.meta.url);
// autocannon ships no types; the slice used here is typed below.
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => AutocannonInstance;

interface AutocannonInstance {
  on(ev: "response", f: (client: unknown, statusCode: number, bytes: number, ms: number) => void): void;
  on(ev: "reqError", f: (e: Error) => void): void;
  on(ev: "done", f: (r: AutocannonResult) => void): void;
  on(ev: string, f: (...a: unknown[]) => void): void;
  stop(): void;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  duration: number;
  start: Date;
  finish: Date;
  statusCodeStats: Record<string, { count: number }>;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** one request replayed, or a batch whose requests are each sent once, in order, across all connections */
  request?: SignedRequest;
  batch?: SignedRequest[];
  /** requests replayed round-robin across all connections (many tenants at once) */
  cycle?: SignedRequest[];
  /** status that counts as success (403 for the AccessDenied scenario) */
  expectStatus?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** transport errors + timeouts + responses whose status was not the expected one */
  errors: number;
  transportErrors: number;
  non2xx: number;
  statuses: Record<string, number>;
  /** batch scenarios: requests sent after the batch ran out (replays) */
  exhausted: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  const u = new URL(o.url);
  const expect = o.expectStatus ?? 200;
  const lat: number[] = [];
  let transport = 0;
  let exhausted = 0;
  const opts: Record<string, unknown> = {
    // autocannon takes the path from the URL (a top-level `path` option is ignored).
    url: new URL(o.request?.path ?? "/", u.origin).toString(),
    connections: o.connections,
    pipelining: 1,
    duration: o.durationSec,
    timeout: 10,
    // Keep every response's latency ourselves (below): 2xx or not.
    excludeErrorStats: false,
  };
  if (o.batch) {
    const batch = o.batch;
    let next = 0;
    opts.requests = [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const i = next++;
          if (i >= batch.length) exhausted++;
          const r = batch[i % batch.length]!;
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
        },
      },
    ];
  } else if (o.cycle) {
    const cycle = o.cycle;
    let next = 0;
    opts.requests = [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const r = cycle[next++ % cycle.length]!;
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
        },
      },
    ];
  } else if (o.request) {
    opts.method = o.request.method;
    opts.headers = o.request.headers;
    opts.body = o.request.body;
  }
  return new Promise((resolve, reject) => {
    let inst: AutocannonInstance;
    try {
      inst = autocannon(opts);
    } catch (e) {
      reject(e);
      return;
    }
    const statuses: Record<string, number> = {};
    let unexpected = 0;
    let non2xx = 0;
    inst.on("response", (_c, status, _b, ms) => {
      lat.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== expect) unexpected++;
      if (status < 200 || status > 299) non2xx++;
    });
    inst.on("done", (r: AutocannonResult) => {
      transport = r.errors; // autocannon counts timeouts among errors
      const seconds = (r.finish.getTime() - r.start.getTime()) / 1000 || o.durationSec;
      const sorted = Float64Array.from(lat).sort();
      resolve({
        requests: lat.length,
        seconds,
        rps: lat.length / seconds,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.length ? sorted[sorted.length - 1]! : NaN,
        errors: transport + unexpected,
        transportErrors: transport,
        non2xx,
        statuses,
        exhausted,
      });
    });
  });
}
