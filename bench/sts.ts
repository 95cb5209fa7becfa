/**
 * STS benchmark: AssumeRole per second, and what a session token adds to an authenticated request
 * (GetCallerIdentity with the user's long-term key vs with role-session credentials, warm; plus
 * the first request of a new session in an isolate, which pays the SessionsDO round trip).
 * Run: npx tsx bench/sts.ts  (starts its own sandbox; or IAMLAB_BENCH_URL=http://… to reuse one)
 */
import { UNTHROTTLED_RATE_LIMITS } from "../src/tools/local-config";
import { performance } from "node:perf_hooks";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { startSandbox, type Sandbox } from "../src/tools/sandbox";
import { createAccount, iamClient, stsClient } from "./lib/seed";
import { send, signRequest, type Creds } from "./lib/sign";
import { runLoad, type LoadResult } from "./lib/load";

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNS = (process.env.BENCH_CONNECTIONS ?? "1,8").split(",").map(Number);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  let sandbox: Sandbox | undefined;
  let url = process.env.IAMLAB_BENCH_URL;
  if (!url) {
    sandbox = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
    url = sandbox.url;
  }
  try {
    const acct = await createAccount(url);
    const iam = iamClient(url, acct.root);
    const user = await iam.send(new CreateUserCommand({ UserName: "bench-alice" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "bench-alice" }))).AccessKey!;
    const alice: Creds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: user.User!.Arn }, Action: "sts:AssumeRole" }],
    });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: "bench-role", AssumeRolePolicyDocument: trust }))).Role!;

    const assumeReq = await signRequest({
      url,
      creds: alice,
      service: "sts",
      params: { Action: "AssumeRole", RoleArn: role.Arn!, RoleSessionName: "bench" },
    });
    const check = await send(url, assumeReq);
    if (check.status !== 200) throw new Error(`AssumeRole: ${check.status} ${check.text}`);

    const session = (await stsClient(url, alice).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: "gci" }))).Credentials!;
    const sessionCreds: Creds = {
      accessKeyId: session.AccessKeyId!,
      secretAccessKey: session.SecretAccessKey!,
      sessionToken: session.SessionToken!,
    };
    const gciLong = await signRequest({ url, creds: alice, service: "sts", params: { Action: "GetCallerIdentity" } });
    const gciSession = await signRequest({ url, creds: sessionCreds, service: "sts", params: { Action: "GetCallerIdentity" } });
    for (const r of [gciLong, gciSession]) {
      const res = await send(url, r);
      if (res.status !== 200) throw new Error(`GetCallerIdentity: ${res.status} ${res.text}`);
    }

    const rows: { name: string; conns: number; r: LoadResult }[] = [];
    for (const conns of CONNS) {
      for (const [name, request] of [
        ["AssumeRole (user → role, new session each)", assumeReq],
        ["GetCallerIdentity, long-term user key", gciLong],
        ["GetCallerIdentity, role session (warm isolate cache)", gciSession],
      ] as const) {
        await runLoad({ url, connections: conns, durationSec: 1, request }); // warm-up
        rows.push({ name, conns, r: await runLoad({ url, connections: conns, durationSec: DURATION, request }) });
      }
    }

    // First request of a brand-new session (cache miss → SessionsDO) vs the next ones (cache hit).
    const first: number[] = [];
    const next: number[] = [];
    const longT: number[] = [];
    for (let i = 0; i < 60; i++) {
      const c = (await stsClient(url, alice).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: `cold${i}` }))).Credentials!;
      const creds: Creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
      const a = await signRequest({ url, creds, service: "sts", params: { Action: "GetCallerIdentity" } });
      const b = await signRequest({ url, creds, service: "sts", params: { Action: "GetCallerIdentity" } });
      const l = await signRequest({ url, creds: alice, service: "sts", params: { Action: "GetCallerIdentity" } });
      let t = performance.now();
      await send(url, a);
      first.push(performance.now() - t);
      t = performance.now();
      await send(url, b);
      next.push(performance.now() - t);
      t = performance.now();
      await send(url, l);
      longT.push(performance.now() - t);
    }

    const fmt = (n: number) => n.toFixed(2);
    console.log("## STS (bench/sts.ts)\n");
    console.log("| scenario | conns | req/s | p50 ms | p99 ms | errors |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const { name, conns, r } of rows)
      console.log(`| ${name} | ${conns} | ${Math.round(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`);
    const byName = (n: string, c: number) => rows.find((x) => x.name.startsWith(n) && x.conns === c)!.r;
    for (const c of CONNS) {
      const l = byName("GetCallerIdentity, long-term", c);
      const s = byName("GetCallerIdentity, role session", c);
      console.log(
        `\n- ${c} conn: a session token costs ${fmt(s.p50 - l.p50)} ms at p50 (${fmt(l.p50)} → ${fmt(s.p50)}), throughput ×${(s.rps / l.rps).toFixed(2)}`,
      );
    }
    console.log(
      `- sequential, 60 fresh sessions: first request of a session ${fmt(median(first))} ms (median; MAC + SessionsDO lookup + D1), next ${fmt(median(next))} ms (MAC + isolate cache + D1), long-term key ${fmt(median(longT))} ms`,
    );
  } finally {
    await sandbox?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
