/**
 * Issue 15's lab, as a learner runs it: the AWS CLI (every installed version) and the JS SDK against
 * the sandbox. A user of account A reads a bucket of account B only while both sides allow; `B.root`
 * delegation; public read with Block Public Access off and on; `s3:prefix` confining a user to
 * `home/${aws:username}/`; a Deny unless `aws:SecureTransport` (over http and over https).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { Agent, request } from "node:https";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  GetBucketPolicyStatusCommand,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  type IAMClient,
  CreateUserCommand,
  CreateAccessKeyCommand,
  PutUserPolicyCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
  DeleteRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { type STSClient, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { accountCreds, createAccount, iam, sts, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";
import { TEST_VARS } from "../../src/tools/local-config";

interface SessionCreds extends Creds {
  sessionToken?: string;
}

/** Every installed CLI: the one on PATH (v1 here) and Debian's v2, each once. */
const CLIS: string[] = [];
for (const bin of ["aws", "/usr/bin/aws"]) {
  if (bin.startsWith("/") && !existsSync(bin)) continue;
  const v = await promisify(execFile)(bin, ["--version"]).then(
    (r) => (r.stdout + r.stderr).split("/")[1]?.split(".")[0],
    () => undefined,
  );
  if (v && !CLIS.some((b) => b.endsWith(`#${v}`))) CLIS.push(`${bin}#${v}`);
}
const cliBins = CLIS.map((c) => c.split("#")[0]!);

interface CliResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** `aws <args>` as a learner runs it: credentials in the environment, no config files. */
async function aws(bin: string, creds: SessionCreds | "anonymous", args: string[], endpoint = url()): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_PAGER: "",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  delete env.AWS_SESSION_TOKEN;
  if (creds !== "anonymous") {
    env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
    if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  }
  const extra = creds === "anonymous" ? ["--no-sign-request"] : [];
  const tls = endpoint.startsWith("https:") ? ["--no-verify-ssl"] : [];
  try {
    const r = await promisify(execFile)(bin, [...args, ...extra, ...tls, "--endpoint-url", endpoint], { env });
    return { ok: true, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** The CLI must have been refused by S3's AccessDenied (403). */
function expectDenied(r: CliResult): void {
  expect(r.ok, r.stdout).toBe(false);
  expect(r.stderr).toMatch(/AccessDenied|Forbidden|403/);
}

const s3 = (creds: SessionCreds, endpoint = url(), handler?: NodeHttpHandler) =>
  new S3Client({
    endpoint,
    region: "us-east-1",
    credentials: creds,
    maxAttempts: 1,
    forcePathStyle: true,
    ...(handler ? { requestHandler: handler } : {}),
  });

const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
let n = 0;
const bucketName = (what: string) => `lab${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

async function newUser(root: Creds, name: string, policy?: string, client: IAMClient = iam(root)): Promise<Creds> {
  await client.send(new CreateUserCommand({ UserName: name }));
  if (policy) await client.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: policy }));
  const k = await client.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

async function assume(creds: Creds, roleArn: string, client: STSClient = sts(creds)): Promise<SessionCreds> {
  const r = await client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "lab" }));
  return {
    accessKeyId: r.Credentials!.AccessKeyId!,
    secretAccessKey: r.Credentials!.SecretAccessKey!,
    sessionToken: r.Credentials!.SessionToken!,
  };
}

let accountA: string;
let rootA: Creds;
let accountB: string;
let rootB: Creds;

beforeAll(async () => {
  const a = await createAccount();
  accountA = a.accountId;
  rootA = accountCreds(a);
  const b = await createAccount();
  accountB = b.accountId;
  rootB = accountCreds(b);
});

describe.skipIf(!cliBins.length)("the lab, with the AWS CLI", () => {
  it("a role of account A reads account B's bucket only while B's bucket policy and A's role policy both allow", async () => {
    const bin = cliBins[0]!;
    const bucket = bucketName("xacct");
    // B creates the bucket and a report with the high-level commands.
    expect((await aws(bin, rootB, ["s3", "mb", `s3://${bucket}`])).ok).toBe(true);
    expect((await aws(bin, rootB, ["s3api", "put-object", "--bucket", bucket, "--key", "report.csv", "--body", "/etc/hostname"])).ok).toBe(
      true,
    );
    // A: a role DataReader that alice may assume, allowed to read B's bucket.
    const trust = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountA}:root` }, Action: "sts:AssumeRole" });
    const roleArn = `arn:aws:iam::${accountA}:role/DataReader`;
    await iam(rootA).send(new CreateRoleCommand({ RoleName: "DataReader", AssumeRolePolicyDocument: trust }));
    const readB = doc({
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    });
    await iam(rootA).send(new PutRolePolicyCommand({ RoleName: "DataReader", PolicyName: "read-b", PolicyDocument: readB }));
    const alice = await newUser(rootA, "alice", doc({ Effect: "Allow", Action: "sts:AssumeRole", Resource: roleArn }));
    const assumed = await aws(bin, alice, [
      "sts",
      "assume-role",
      "--role-arn",
      roleArn,
      "--role-session-name",
      "alice",
      "--output",
      "json",
    ]);
    expect(assumed.ok, assumed.stderr).toBe(true);
    const c = JSON.parse(assumed.stdout).Credentials as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
    const session: SessionCreds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };

    // No bucket policy yet: A's identity policy alone does not open B's bucket.
    expectDenied(await aws(bin, session, ["s3", "cp", `s3://${bucket}/report.csv`, "-"]));
    // B grants A's role.
    const grant = doc({
      Sid: "ReadByAsDataReader",
      Effect: "Allow",
      Principal: { AWS: roleArn },
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    });
    expect((await aws(bin, rootB, ["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", grant])).ok).toBe(true);
    const read = await aws(bin, session, ["s3", "cp", `s3://${bucket}/report.csv`, "-"]);
    expect(read.ok, read.stderr).toBe(true);
    expect(read.stdout.length).toBeGreaterThan(0);
    expect((await aws(bin, session, ["s3", "ls", `s3://${bucket}/`])).stdout).toContain("report.csv");
    // A removes the role's policy: denied again, whatever B's policy says.
    await iam(rootA).send(new DeleteRolePolicyCommand({ RoleName: "DataReader", PolicyName: "read-b" }));
    expectDenied(await aws(bin, session, ["s3", "cp", `s3://${bucket}/report.csv`, "-"]));
    // Back on A's side; B removes its grant: denied.
    await iam(rootA).send(new PutRolePolicyCommand({ RoleName: "DataReader", PolicyName: "read-b", PolicyDocument: readB }));
    expect((await aws(bin, session, ["s3", "cp", `s3://${bucket}/report.csv`, "-"])).ok).toBe(true);
    expect((await aws(bin, rootB, ["s3api", "delete-bucket-policy", "--bucket", bucket])).ok).toBe(true);
    expectDenied(await aws(bin, session, ["s3", "cp", `s3://${bucket}/report.csv`, "-"]));
  });

  it("B.root delegation: A's bucket trusts account B; B's own policies decide which of B's identities read it", async () => {
    const bin = cliBins[0]!;
    const bucket = bucketName("broot");
    expect((await aws(bin, rootA, ["s3", "mb", `s3://${bucket}`])).ok).toBe(true);
    expect((await aws(bin, rootA, ["s3api", "put-object", "--bucket", bucket, "--key", "shared.txt", "--body", "/etc/hostname"])).ok).toBe(
      true,
    );
    // A.r → B.root: the bucket policy names account B as a whole.
    const toB = doc({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${accountB}:root` },
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
    });
    expect((await aws(bin, rootA, ["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", toB])).ok).toBe(true);
    // B.root → B.SomeRole: B delegates through an identity policy; a B user without one stays out.
    const trustB = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountB}:root` }, Action: "sts:AssumeRole" });
    await iam(rootB).send(new CreateRoleCommand({ RoleName: "SomeRole", AssumeRolePolicyDocument: trustB }));
    await iam(rootB).send(
      new PutRolePolicyCommand({
        RoleName: "SomeRole",
        PolicyName: "read-a",
        PolicyDocument: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }),
      }),
    );
    // Root users cannot assume roles: B's operator, a user allowed to, does.
    const operator = await newUser(rootB, "operator", doc({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }));
    const someRole = await assume(operator, `arn:aws:iam::${accountB}:role/SomeRole`);
    const got = await aws(bin, someRole, ["s3", "cp", `s3://${bucket}/shared.txt`, "-"]);
    expect(got.ok, got.stderr).toBe(true);
    const bystander = await newUser(rootB, "bystander");
    expectDenied(await aws(bin, bystander, ["s3", "cp", `s3://${bucket}/shared.txt`, "-"]));
    // Account C, not named by the bucket policy, is refused even with an identity policy allowing s3:*.
    const c = await createAccount();
    const outsider = await newUser(accountCreds(c), "outsider", doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }));
    expectDenied(await aws(bin, outsider, ["s3", "cp", `s3://${bucket}/shared.txt`, "-"]));
  });

  it("public read: refused by Block Public Access, then open to anonymous clients, then closed again", async () => {
    const bucket = bucketName("public");
    const [bin] = cliBins;
    expect((await aws(bin!, rootA, ["s3", "mb", `s3://${bucket}`])).ok).toBe(true);
    expect((await aws(bin!, rootA, ["s3api", "put-object", "--bucket", bucket, "--key", "index.html", "--body", "/etc/hostname"])).ok).toBe(
      true,
    );
    const publicRead = doc({
      Sid: "PublicRead",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
    });
    // A new bucket blocks public policies (AWS's default since 2023).
    expectDenied(await aws(bin!, rootA, ["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", publicRead]));
    for (const b of cliBins) expectDenied(await aws(b, "anonymous", ["s3", "cp", `s3://${bucket}/index.html`, "-"]));
    expect((await aws(bin!, rootA, ["s3api", "delete-public-access-block", "--bucket", bucket])).ok).toBe(true);
    const put = await aws(bin!, rootA, ["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", publicRead]);
    expect(put.ok, put.stderr).toBe(true);
    const status = await aws(bin!, rootA, ["s3api", "get-bucket-policy-status", "--bucket", bucket, "--output", "json"]);
    expect(JSON.parse(status.stdout)).toEqual({ PolicyStatus: { IsPublic: true } });
    // Anyone reads: every CLI without credentials, and a plain unsigned GET.
    for (const b of cliBins) {
      const r = await aws(b, "anonymous", ["s3", "cp", `s3://${bucket}/index.html`, "-"]);
      expect(r.ok, `${b}: ${r.stderr}`).toBe(true);
    }
    expect((await fetch(`${url()}/${bucket}/index.html`)).status).toBe(200);
    // Writing stays closed: the policy grants GetObject only.
    expect((await fetch(`${url()}/${bucket}/defaced.html`, { method: "PUT", body: "x" })).status).toBe(403);
    // Block Public Access back on: the public statement no longer opens the bucket.
    const block = [
      "--public-access-block-configuration",
      "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    ];
    expect((await aws(bin!, rootA, ["s3api", "put-public-access-block", "--bucket", bucket, ...block])).ok).toBe(true);
    for (const b of cliBins) expectDenied(await aws(b, "anonymous", ["s3", "cp", `s3://${bucket}/index.html`, "-"]));
    expect((await fetch(`${url()}/${bucket}/index.html`)).status).toBe(403);
  });

  it("s3:prefix confines a user to home/${aws:username}/", async () => {
    const [bin] = cliBins;
    const bucket = bucketName("homes");
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of ["home/bob/notes.txt", "home/carol/secret.txt", "readme.txt"])
      await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    const homePolicy = doc(
      {
        Sid: "ListRootAndHome",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { StringLike: { "s3:prefix": ["", "home/", "home/${aws:username}/*"] } },
      },
      {
        Sid: "OwnHome",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject"],
        Resource: `arn:aws:s3:::${bucket}/home/\${aws:username}/*`,
      },
    );
    const bob = await newUser(rootA, "bob", homePolicy);
    const ownHome = await aws(bin!, bob, ["s3", "ls", `s3://${bucket}/home/bob/`]);
    expect(ownHome.ok, ownHome.stderr).toBe(true);
    expect(ownHome.stdout).toContain("notes.txt");
    expect((await aws(bin!, bob, ["s3", "ls", `s3://${bucket}/home/`])).stdout).toContain("PRE carol/");
    expectDenied(await aws(bin!, bob, ["s3", "ls", `s3://${bucket}/home/carol/`]));
    expect((await aws(bin!, bob, ["s3", "cp", `s3://${bucket}/home/bob/notes.txt`, "-"])).stdout).toBe("home/bob/notes.txt");
    expectDenied(await aws(bin!, bob, ["s3", "cp", `s3://${bucket}/home/carol/secret.txt`, "-"]));
    expect(
      (await aws(bin!, bob, ["s3api", "put-object", "--bucket", bucket, "--key", "home/bob/new.txt", "--body", "/etc/hostname"])).ok,
    ).toBe(true);
    expectDenied(
      await aws(bin!, bob, ["s3api", "put-object", "--bucket", bucket, "--key", "home/carol/new.txt", "--body", "/etc/hostname"]),
    );
  });
});

describe("a Deny unless aws:SecureTransport: refused over http, allowed over https", () => {
  let tls: Sandbox;
  const insecure = new NodeHttpHandler({ httpsAgent: new Agent({ rejectUnauthorized: false }) });
  beforeAll(async () => {
    tls = await startSandbox({ port: 0, persistTo: false, vars: TEST_VARS, https: true });
  }, 120_000);
  afterAll(async () => {
    await tls?.stop();
  });

  const denyInsecure = (bucket: string) =>
    doc({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });

  it("the SDK: the same bucket policy shuts http out and lets https in (the owner included)", async () => {
    const bucket = bucketName("tls");
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "over tls" }));
    await s3(rootA).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyInsecure(bucket) }));
    await expectAwsError(s3(rootA).send(new GetObjectCommand({ Bucket: bucket, Key: "k" })), "AccessDenied", 403);
    // The owner can still take the policy away (bucket-policy calls stay open to the owner's root).
    await s3(rootA).send(new DeleteBucketPolicyCommand({ Bucket: bucket }));

    // The https sandbox: its own accounts; the same policy; http refused there too, https allowed.
    const root = await createTlsAccount(tls);
    const client = s3(root, tls.url, insecure);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "over tls" }));
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyInsecure(bucket) }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }));
    expect(await got.Body!.transformToString()).toBe("over tls");
    await client.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await client.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(false);
    await client.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
  });

  it.skipIf(!cliBins.length)("the CLI: refused over http, allowed over https (--no-verify-ssl)", async () => {
    const bin = cliBins[cliBins.length - 1]!;
    for (const [endpoint, root, expectOk] of [
      [url(), rootA, false],
      [tls.url, await createTlsAccount(tls), true],
    ] as const) {
      const bucket = bucketName("tlscli");
      expect((await aws(bin, root, ["s3", "mb", `s3://${bucket}`], endpoint)).ok).toBe(true);
      expect(
        (await aws(bin, root, ["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", denyInsecure(bucket)], endpoint)).ok,
      ).toBe(true);
      const ls = await aws(bin, root, ["s3", "ls", `s3://${bucket}/`], endpoint);
      if (expectOk) expect(ls.ok, ls.stderr).toBe(true);
      else expectDenied(ls);
    }
  });
});

/** A fresh account on the https sandbox, through its admin API (its certificate is self-signed). */
function createTlsAccount(tls: Sandbox): Promise<Creds> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${tls.url}/_iamlab/accounts`,
      {
        method: "POST",
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${tls.vars.IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          if (res.statusCode !== 201) return reject(new Error(`createTlsAccount: ${res.statusCode} ${text}`));
          const a = JSON.parse(text) as { rootAccessKeyId: string; rootSecretAccessKey: string };
          resolve({ accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey });
        });
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}
