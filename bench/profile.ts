/**
 * CPU profile of the Worker inside workerd for one benchmark scenario (`npm run bench:profile --
 * get-user`): starts the sandbox with the V8 inspector on, seeds it like the server benchmark,
 * replays one pre-signed request N times inside the isolate (bench/lib/loop-worker.ts, no HTTP)
 * while the V8 profiler samples, and prints the functions with the most self time and the most inclusive time.
 * A development tool for finding hot spots; it is not part of `npm run bench`'s table.
 */
import { createRequire } from "node:module";
import { writeFile } from "node:fs/promises";
import { startLoop } from "./lib/instances";
import { seed } from "./lib/seed";
import { send } from "./lib/sign";
import { hotRequest } from "./lib/scenarios";

const require = createRequire(import.meta.url);
// Node 20 has no global WebSocket; `ws` is already installed (miniflare depends on it).
const WS = require("ws") as new (
  url: string,
) => {
  on(ev: "open" | "close", f: () => void): void;
  on(ev: "message", f: (d: Buffer) => void): void;
  on(ev: "error", f: (e: Error) => void): void;
  send(s: string): void;
  close(): void;
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const scenario = process.argv[2] ?? "get-user";
const N = Number(process.argv[3] ?? 3000);
const INSPECTOR = 9329;

const sb = await startLoop(INSPECTOR);
try {
  const fx = await seed(sb.url);
  const req = (await hotRequest(sb.url, fx, scenario)).request;

  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR}/json`)).json()) as {
    webSocketDebuggerUrl: string;
    title?: string;
    id?: string;
  }[];
  const target = targets.find((t) => !/internal|proxy/i.test(`${t.title ?? ""} ${t.id ?? ""}`)) ?? targets[0];
  if (!target) throw new Error("no inspector target");
  const ws = new WS(target.webSocketDebuggerUrl);
  await new Promise<void>((ok, bad) => {
    ws.on("open", ok);
    ws.on("error", bad);
  });
  let nextId = 1;
  const pending = new Map<number, (r: unknown) => void>();
  ws.on("message", (d) => {
    const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}): Promise<T> =>
    new Promise((ok) => {
      const id = nextId++;
      pending.set(id, ok as (r: unknown) => void);
      ws.send(JSON.stringify({ id, method, params }));
    });

  for (let i = 0; i < 50; i++) await send(sb.url, req); // warm caches and JIT
  const first = await send(sb.url, req);
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  await call("Profiler.start");
  const t0 = performance.now();
  // In-isolate replay (bench/lib/loop-worker.ts): only the Worker's own work is sampled.
  await fetch(`${sb.url}/__loop`, {
    method: "POST",
    body: JSON.stringify({ n: N, url: `${sb.url}${req.path}`, method: req.method, headers: req.headers, body: req.body }),
  });
  const wall = performance.now() - t0;
  const { profile } = await call<{ profile: Profile }>("Profiler.stop");
  ws.close();
  await writeFile(`bench/results/profile-${scenario}.cpuprofile`, JSON.stringify(profile));

  // Self time per node, from sample deltas.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++)
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode): string =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop() ?? ""}:${n.callFrame.lineNumber + 1}`;
  const selfBy = new Map<string, number>();
  const inclBy = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + t);
    // inclusive: every distinct frame on the stack gets the sample once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (!seen.has(k)) {
        seen.add(k);
        inclBy.set(k, (inclBy.get(k) ?? 0) + t);
      }
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => /\(idle\)|\(program\)|\(garbage collector\)/.test(byId.get(id)!.callFrame.functionName))
    .reduce((a, [, t]) => a + t, 0);
  const perReq = (us: number): string => `${(us / N).toFixed(1)} µs/req`;
  console.log(
    `scenario ${scenario}: status ${first.status}, ${N} sequential requests in ${wall.toFixed(0)} ms (${(wall / N).toFixed(3)} ms each)`,
  );
  console.log(`profiled ${(total / 1000).toFixed(0)} ms; idle/program/gc ${(idle / 1000).toFixed(0)} ms; JS ${perReq(total - idle)}`);
  const top = (m: Map<string, number>, n: number): void => {
    for (const [k, t] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${perReq(t).padStart(14)}  ${k}`);
  };
  console.log("\nself time:");
  top(selfBy, 45);
  console.log("\ninclusive time:");
  top(inclBy, 60);
} finally {
  await sb.stop();
}
