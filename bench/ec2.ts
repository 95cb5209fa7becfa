/**
 * EC2 benchmark (issue 16), standalone: `npx tsx bench/ec2.ts` (what `BENCH_ONLY=ec2` stands for —
 * kept out of bench/run.ts so the main run's table is unchanged). Starts the sandbox in memory,
 * seeds an account with a role in an instance profile, then drives with autocannon:
 *  - ec2-run: RunInstances with the profile (iam:PassRole checked, instance + association written
 *    in one D1 batch), one instance per request;
 *  - ec2-creds-warm: the instance's credential fetch as the SDKs make it, warm (session cached in the
 *    isolate; one D1 query re-reads instance → association → profile → role each time).
 * Prints req/s and latency percentiles at 1 and 8 connections. Nothing is written to bench/results/.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../src/tools/local-config";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { startSandbox } from "../src/tools/sandbox";
import { runLoad, type LoadResult } from "./lib/load";
import { queryBody, type SignedRequest } from "./lib/sign";

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const log = (m: string) => console.error(`[bench ec2] ${m}`);

async function signEc2(
  url: string,
  creds: { accessKeyId: string; secretAccessKey: string },
  params: Record<string, string>,
): Promise<SignedRequest> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service: "ec2", sha256: Hash.bind(null, "sha256") });
  const body = queryBody({ Version: "2016-11-15", ...params });
  const signed = await signer.sign({
    method: "POST",
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: "/",
    headers: { host: u.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  });
  return { method: "POST", path: "/", headers: { ...(signed.headers as Record<string, string>) }, body };
}

async function post(url: string, r: SignedRequest): Promise<string> {
  const headers = { ...r.headers };
  delete headers.host;
  const res = await fetch(new URL(r.path, url), { method: r.method, headers, body: r.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${text}`);
  return text;
}

function row(name: string, c: number, r: LoadResult): string {
  return `| ${name} | ${c} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`;
}

const sandbox = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
try {
  const url = sandbox.url;
  const res = await fetch(`${url}/_iamlab/accounts`, {
    method: "POST",
    headers: { authorization: `Bearer ${sandbox.vars.IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: "{}",
  });
  const account = (await res.json()) as { accountId: string; rootAccessKeyId: string; rootSecretAccessKey: string };
  const creds = { accessKeyId: account.rootAccessKeyId, secretAccessKey: account.rootSecretAccessKey };
  const iam = new IAMClient({ endpoint: url, region: "us-east-1", credentials: creds });
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  await iam.send(new CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: JSON.stringify(trust) }));
  const allow = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
  await iam.send(new PutRolePolicyCommand({ RoleName: "app", PolicyName: "p", PolicyDocument: JSON.stringify(allow) }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app" }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app", RoleName: "app" }));

  const run = await signEc2(url, creds, {
    Action: "RunInstances",
    ImageId: "ami-0abcdef1234567890",
    InstanceType: "t3.micro",
    MinCount: "1",
    MaxCount: "1",
    "IamInstanceProfile.Name": "app",
  });
  const launched = await post(url, run);
  const instanceId = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(launched)![1]!;
  const consoleReq = await signEc2(url, creds, { Action: "GetConsoleOutput", InstanceId: instanceId });
  const output = /<output>([^<]+)<\/output>/.exec(await post(url, consoleReq))![1]!;
  const text = Buffer.from(output, "base64").toString("utf8");
  const credsUrl = /AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)/.exec(text)![1]!;
  const token = /AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)/.exec(text)![1]!;
  const fetchCreds: SignedRequest = { method: "GET", path: new URL(credsUrl).pathname, headers: { authorization: token }, body: "" };
  // Warm the session cache once.
  const first = await fetch(credsUrl, { headers: { authorization: token } });
  if (first.status !== 200) throw new Error(`credential fetch: ${first.status} ${await first.text()}`);

  const lines = ["| scenario | connections | req/s | p50 ms | p90 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|"];
  for (const c of [1, 8]) {
    log(`ec2-run, ${c} connection(s)`);
    lines.push(row("ec2-run (RunInstances + PassRole)", c, await runLoad({ url, connections: c, durationSec: DURATION, request: run })));
    log(`ec2-creds-warm, ${c} connection(s)`);
    lines.push(
      row("ec2-creds-warm (credential fetch)", c, await runLoad({ url, connections: c, durationSec: DURATION, request: fetchCreds })),
    );
  }
  console.log(lines.join("\n"));
} finally {
  await sandbox.stop();
}
