/**
 * The Worker's own cost per request, without HTTP (`npm run bench:hotpath`): seeds the loop build
 * (bench/lib/loop-worker.ts) like the server benchmark, then replays each scenario's pre-signed
 * request n times inside the isolate and prints µs per request (best of a few rounds).
 * Used before/after hot-path changes; the figures go into the performance issue's note.
 * BENCH_ONLY=s3 (or a comma list of scenario ids) replays only those (the S3 ones: s3-get, s3-put, s3-list).
 */
import { startLoop } from "./lib/instances";
import { seed } from "./lib/seed";
import { send, type SignedRequest } from "./lib/sign";
import { hotRequest } from "./lib/scenarios";

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);

const inst = await startLoop();
try {
  const fx = await seed(inst.url);
  const only = process.env.BENCH_ONLY;
  const ids =
    only === "s3"
      ? ["s3-get", "s3-put", "s3-list"]
      : only
        ? only.split(",")
        : ["gci-root", "get-user", "list-users", "denied", "session-gci", "assume-role", "s3-get", "s3-put", "s3-list"];
  const scenarios: [string, SignedRequest][] = [];
  for (const id of ids) {
    const h = await hotRequest(inst.url, fx, id);
    scenarios.push([h.name, h.request]);
  }
  console.log(`Worker time per request, in-isolate replay (${N} × best of ${ROUNDS}), commit-as-bundled`);
  for (const [name, r] of scenarios) {
    await send(inst.url, r); // warm the caches over HTTP once
    let best = Infinity;
    let statuses = "";
    const n = name.startsWith("AssumeRole") ? Math.ceil(N / 10) : N;
    for (let i = 0; i < ROUNDS; i++) {
      const res = await fetch(`${inst.url}/__loop`, {
        method: "POST",
        body: JSON.stringify({ n, url: `${inst.url}${r.path}`, method: r.method, headers: r.headers, body: r.body }),
      });
      const j = (await res.json()) as { usPerRequest: number; statuses: Record<string, number> };
      best = Math.min(best, j.usPerRequest);
      statuses = Object.entries(j.statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(" ");
    }
    console.log(`  ${name.padEnd(40)} ${best.toFixed(1).padStart(7)} µs   (${statuses})`);
  }
} finally {
  await inst.stop();
}
