/**
 * Quick A/B check of the hot path (`npm run bench:quick`): the fixed-body baseline and the main
 * read scenarios at one connection, interleaved over a few rounds (so drift hits all of them
 * alike), medians printed with the ratio to the baseline. Minutes faster than `npm run bench`;
 * writes nothing. Use it between changes, then run the full bench for the issue note.
 * BENCH_ONLY=s3 runs the baseline and the S3 calls only (GetObject 1 KB as a user allowed by the
 * bucket policy alone, PutObject 1 KB, ListObjectsV2 of 1,000 keys); BENCH_ONLY=iam the IAM/STS ones.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../src/tools/local-config";
import { startSandbox } from "../src/tools/sandbox";
import { startBaseline } from "./lib/instances";
import { runLoad } from "./lib/load";
import { createAccount, iamClient, seed } from "./lib/seed";
import { hotRequest, hotScenarios, signScenario, S3_SCENARIOS } from "./lib/scenarios";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { signRequest, type SignedRequest } from "./lib/sign";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_DURATION ?? 3);
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const ONLY = process.env.BENCH_ONLY;

const sb = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
const base = await startBaseline();
try {
  const fx = await seed(sb.url);
  const sign = (
    creds: Parameters<typeof signRequest>[0]["creds"],
    service: "iam" | "sts",
    params: Record<string, string>,
  ): Promise<SignedRequest> => signRequest({ url: sb.url, creds, service, params });
  // A second reader: one AWS-managed policy, in an account of its own.
  const acct = await createAccount(sb.url);
  const c = iamClient(sb.url, acct.root);
  await c.send(new CreateUserCommand({ UserName: "reader" }));
  await c.send(new AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
  const rk = (await c.send(new CreateAccessKeyCommand({ UserName: "reader" }))).AccessKey!;
  const reader = { accessKeyId: rk.AccessKeyId!, secretAccessKey: rk.SecretAccessKey! };
  const hot = hotScenarios(fx);
  type Cell = { name: string; url: string; request: SignedRequest; expect: number };
  const s3Cells: Cell[] =
    ONLY === "iam"
      ? []
      : await Promise.all(
          Object.keys(S3_SCENARIOS).map(async (id) => {
            const h = await hotRequest(sb.url, fx, id);
            return { name: h.name, url: sb.url, request: h.request, expect: h.expect };
          }),
        );
  const iamCells: Cell[] =
    ONLY === "s3"
      ? []
      : [
          ...(await Promise.all(
            ["gci-root", "get-user", "list-users"].map(async (id) => ({
              name: hot[id]!.name,
              url: sb.url,
              request: await signScenario(sb.url, hot[id]!),
              expect: hot[id]!.expect,
            })),
          )),
          {
            name: "GetUser (IAMReadOnly user)",
            url: sb.url,
            request: await sign(reader, "iam", { Action: "GetUser", UserName: "reader" }),
            expect: 200,
          },
          {
            name: "GCI (caller user)",
            url: sb.url,
            request: await sign(fx.caller!.creds, "sts", { Action: "GetCallerIdentity" }),
            expect: 200,
          },
          {
            name: "GetUser (root)",
            url: sb.url,
            request: await sign(fx.account.root, "iam", { Action: "GetUser", UserName: "bench-user-007" }),
            expect: 200,
          },
          { name: hot.denied!.name, url: sb.url, request: await signScenario(sb.url, hot.denied!), expect: 403 },
        ];
  const cells: Cell[] = [
    {
      name: "baseline (fixed body)",
      url: base.url,
      request: { method: "POST", path: "/", headers: {}, body: "Action=GetCallerIdentity&Version=2011-06-15" },
      expect: 200,
    },
    ...iamCells,
    ...s3Cells,
  ];
  const rps = new Map<string, number[]>(cells.map((c) => [c.name, []]));
  const p99 = new Map<string, number[]>(cells.map((c) => [c.name, []]));
  for (const c of cells) await runLoad({ url: c.url, connections: CONNS, durationSec: 1, request: c.request, expectStatus: c.expect }); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cells) {
      const res = await runLoad({ url: c.url, connections: CONNS, durationSec: SECONDS, request: c.request, expectStatus: c.expect });
      if (res.errors) console.error(`${c.name}: ${res.errors} errors ${JSON.stringify(res.statuses)}`);
      rps.get(c.name)!.push(res.rps);
      p99.get(c.name)!.push(res.p99);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const b = median(rps.get(cells[0]!.name)!);
  console.log(`${CONNS} connection(s), ${ROUNDS} rounds × ${SECONDS} s, medians:`);
  for (const c of cells) {
    const m = median(rps.get(c.name)!);
    console.log(
      `  ${c.name.padEnd(40)} ${m.toFixed(0).padStart(6)} req/s  ${(m / b).toFixed(2)}×  p99 ${median(p99.get(c.name)!).toFixed(2)} ms   [${rps
        .get(c.name)!
        .map((x) => x.toFixed(0))
        .join(", ")}]`,
    );
  }
} finally {
  await Promise.allSettled([sb.stop(), base.stop()]);
}
