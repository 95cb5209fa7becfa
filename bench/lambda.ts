/**
 * Lambda benchmark (issue 16), standalone: `npx tsx bench/lambda.ts`. Starts the sandbox in memory
 * and the bench-only counting build (bench/lib/counting-worker.ts), seeds on each: a role trusting
 * lambda.amazonaws.com allowed s3:GetObject, a bucket with a 1 KB object, and
 *  - fn-echo: a package without a program (Invoke authorizes and echoes the payload);
 *  - fn-s3: a program making one s3:GetObject as the execution role.
 * Drives with autocannon: Invoke of each, and a direct GetObject of the same object (the ratio says
 * what the in-sandbox call costs on top of a request from outside). Prints req/s and latency
 * percentiles at 1 and 8 connections, then D1 / DO / R2 round trips per warm request.
 */
import { createHash } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startSandbox } from "../src/tools/sandbox";
import { UNTHROTTLED_RATE_LIMITS } from "../src/tools/local-config";
import { startCounting } from "./lib/instances";
import { runLoad, type LoadResult } from "./lib/load";
import { signS3 } from "./lib/s3";
import { createAccount, iamClient } from "./lib/seed";
import type { Creds, SignedRequest } from "./lib/sign";
import { makeZip } from "../test/helpers/zip";

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const log = (m: string) => console.error(`[bench lambda] ${m}`);

async function signInvoke(url: string, creds: Creds, name: string, payload: string): Promise<SignedRequest> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service: "lambda", sha256: Hash.bind(null, "sha256") });
  const path = `/2015-03-31/functions/${name}/invocations`;
  const signed = await signer.sign({
    method: "POST",
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path,
    headers: {
      host: u.host,
      "content-type": "application/json",
      "x-amz-content-sha256": createHash("sha256").update(payload).digest("hex"),
    },
    body: payload,
  });
  return { method: "POST", path, headers: { ...(signed.headers as Record<string, string>) }, body: payload };
}

interface Requests {
  echo: SignedRequest;
  s3: SignedRequest;
  direct: SignedRequest;
}

async function seed(url: string): Promise<Requests> {
  const account = await createAccount(url);
  const iam = iamClient(url, account.root);
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  const role = await iam.send(new CreateRoleCommand({ RoleName: "fn", AssumeRolePolicyDocument: JSON.stringify(trust) }));
  const allow = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
  await iam.send(new PutRolePolicyCommand({ RoleName: "fn", PolicyName: "p", PolicyDocument: JSON.stringify(allow) }));
  const bucket = `bench-fn-${Date.now().toString(36)}`;
  const s3 = new S3Client({ endpoint: url, region: "us-east-1", credentials: account.root, forcePathStyle: true, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "obj-1k", Body: "x".repeat(1024) }));
  const lambda = new LambdaClient({ endpoint: url, region: "us-east-1", credentials: account.root, maxAttempts: 1 });
  const program = { calls: [{ service: "s3", action: "GetObject", params: { Bucket: bucket, Key: "obj-1k" } }] };
  for (const [name, files] of [
    ["fn-echo", [{ name: "index.js", data: "exports.handler = async () => ({});" }]],
    ["fn-s3", [{ name: "iamlab.json", data: JSON.stringify(program) }]],
  ] as const) {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: role.Role!.Arn!,
        Code: { ZipFile: makeZip([...files]) },
      }),
    );
  }
  return {
    echo: await signInvoke(url, account.root, "fn-echo", "{}"),
    s3: await signInvoke(url, account.root, "fn-s3", "{}"),
    direct: await signS3({ url, creds: account.root, method: "GET", path: `/${bucket}/obj-1k` }),
  };
}

async function send(url: string, r: SignedRequest): Promise<Response> {
  const headers = { ...r.headers };
  delete headers.host;
  return fetch(new URL(r.path, url), { method: r.method, headers, ...(r.method === "GET" ? {} : { body: r.body }) });
}

function row(name: string, c: number, r: LoadResult, base?: LoadResult): string {
  const ratio = base ? ` ${(r.rps / base.rps).toFixed(2)}×` : "";
  return `| ${name} | ${c} | ${r.rps.toFixed(0)}${ratio} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`;
}

const sandbox = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
const counting = await startCounting();
try {
  const reqs = await seed(sandbox.url);
  for (const r of [reqs.echo, reqs.s3, reqs.direct]) {
    const res = await send(sandbox.url, r);
    const text = await res.text();
    if (res.status !== 200 || text.includes('"ok":false')) throw new Error(`warm-up ${r.path}: ${res.status} ${text.slice(0, 300)}`);
  }
  const lines = [
    "| scenario | connections | req/s (vs direct GetObject) | p50 ms | p90 ms | p99 ms | errors |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const c of [1, 8]) {
    log(`${c} connection(s)`);
    const direct = await runLoad({ url: sandbox.url, connections: c, durationSec: DURATION, request: reqs.direct });
    lines.push(row("s3 GetObject 1 KB (direct, root)", c, direct));
    lines.push(
      row(
        "Invoke, no program (echo)",
        c,
        await runLoad({ url: sandbox.url, connections: c, durationSec: DURATION, request: reqs.echo }),
        direct,
      ),
    );
    lines.push(
      row(
        "Invoke, program: 1 s3:GetObject as the role",
        c,
        await runLoad({ url: sandbox.url, connections: c, durationSec: DURATION, request: reqs.s3 }),
        direct,
      ),
    );
  }
  console.log(lines.join("\n"));

  const creqs = await seed(counting.url);
  const counts = ["", "| request (warm, 4th in a row) | D1 | DO | R2 |", "|---|---:|---:|---:|"];
  for (const [name, r] of [
    ["s3 GetObject (direct)", creqs.direct],
    ["Invoke, echo", creqs.echo],
    ["Invoke, 1 s3:GetObject", creqs.s3],
  ] as const) {
    let res: Response | undefined;
    for (let i = 0; i < 4; i++) {
      res = await send(counting.url, r);
      await res.arrayBuffer();
    }
    const h = res!.headers;
    const bg = (k: string) => (Number(h.get(k) ?? 0) ? ` + ${h.get(k)} bg` : "");
    counts.push(
      `| ${name} | ${h.get("x-bench-d1")}${bg("x-bench-d1-background")} | ${h.get("x-bench-do")}${bg("x-bench-do-background")} | ${h.get("x-bench-r2") ?? 0} |`,
    );
  }
  console.log(counts.join("\n"));
} finally {
  await sandbox.stop();
  await counting.stop();
}
