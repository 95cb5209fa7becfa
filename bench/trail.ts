/**
 * CloudTrail's cost on the request path (issue 21): GetUser req/s with the trail on and off, in the
 * same run — two sandboxes, identical but for IAMLAB_TRAIL=off, measured in alternating rounds so
 * drift on a shared machine hits both alike. Prints medians, the overhead, and how many events the
 * "on" side recorded (the writes happen behind the response, so they must all land).
 *   npx tsx bench/trail.ts        (BENCH_ROUNDS=7 BENCH_DURATION=3 BENCH_CONNECTIONS=2)
 */
import { UNTHROTTLED_RATE_LIMITS } from "../src/tools/local-config";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { startSandbox, type Sandbox } from "../src/tools/sandbox";
import { runLoad } from "./lib/load";
import { createAccount, iamClient } from "./lib/seed";
import { signRequest, type Creds, type SignedRequest } from "./lib/sign";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_DURATION ?? 3);
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 2);

/** An account with a user allowed GetUser and LookupEvents, and its signed GetUser request. */
async function prepare(sb: Sandbox): Promise<{ request: SignedRequest; creds: Creds }> {
  const acct = await createAccount(sb.url);
  const c = iamClient(sb.url, acct.root);
  await c.send(new CreateUserCommand({ UserName: "bench" }));
  const policy = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["iam:GetUser", "cloudtrail:LookupEvents"], Resource: "*" }],
  };
  await c.send(new PutUserPolicyCommand({ UserName: "bench", PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = (await c.send(new CreateAccessKeyCommand({ UserName: "bench" }))).AccessKey!;
  const creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  return { creds, request: await signRequest({ url: sb.url, creds, service: "iam", params: { Action: "GetUser", UserName: "bench" } }) };
}

/** How many GetUser events the account recorded (paged through LookupEvents). */
async function recorded(url: string, creds: Creds): Promise<number> {
  const ct = new CloudTrailClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
  let n = 0;
  let token: string | undefined;
  do {
    const out = await ct.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "GetUser" }],
        MaxResults: 50,
        NextToken: token,
      }),
    );
    n += out.Events?.length ?? 0;
    token = out.NextToken;
  } while (token);
  return n;
}

const on = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
const off = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_TRAIL: "off", IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
try {
  const sides = [
    { name: "trail on", sb: on, ...(await prepare(on)) },
    { name: "trail off", sb: off, ...(await prepare(off)) },
  ];
  const rps = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  const p99 = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  let sentOn = 0;
  for (const s of sides) {
    const w = await runLoad({ url: s.sb.url, connections: CONNS, durationSec: 1, request: s.request, expectStatus: 200 }); // warm-up
    if (s.sb === on) sentOn += w.requests;
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so neither always runs right after the other's background writes.
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const res = await runLoad({ url: s.sb.url, connections: CONNS, durationSec: SECONDS, request: s.request, expectStatus: 200 });
      if (res.errors) console.error(`${s.name}: ${res.errors} errors ${JSON.stringify(res.statuses)}`);
      if (s.sb === on) sentOn += res.requests;
      rps.get(s.name)!.push(res.rps);
      p99.get(s.name)!.push(res.p99);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`GetUser, ${CONNS} connection(s), ${ROUNDS} rounds × ${SECONDS} s, medians:`);
  for (const s of sides)
    console.log(
      `  ${s.name.padEnd(10)} ${median(rps.get(s.name)!).toFixed(0).padStart(6)} req/s  p99 ${median(p99.get(s.name)!).toFixed(2)} ms  [${rps
        .get(s.name)!
        .map((x) => x.toFixed(0))
        .join(", ")}]`,
    );
  const a = median(rps.get("trail on")!);
  const b = median(rps.get("trail off")!);
  // Each round's pair ran back to back: the median of the pairs' overheads shrugs off the machine's drift.
  const pairs = rps.get("trail on")!.map((x, i) => ((rps.get("trail off")![i]! - x) / rps.get("trail off")![i]!) * 100);
  console.log(
    `  overhead: ${(((b - a) / b) * 100).toFixed(1)} % of the medians; median of the rounds' pairs ${median(pairs).toFixed(1)} % [${pairs.map((x) => x.toFixed(0)).join(", ")}] (target < 10 %)`,
  );
  // LookupEvents writes its isolate's pending events first: all of them must be there.
  const n = await recorded(on.url, sides[0]!.creds);
  console.log(`  events recorded on the "on" side: ${n} of ${sentOn} GetUser calls`);
  console.log(`  events recorded on the "off" side: ${await recorded(off.url, sides[1]!.creds)}`);
} finally {
  await Promise.allSettled([on.stop(), off.stop()]);
}
