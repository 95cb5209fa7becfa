/**
 * S3 public access (issue 15): anonymous (unsigned) requests, bucket-level Block Public Access
 * (Put/Get/DeletePublicAccessBlock; a new bucket has all four settings on, as on AWS since April
 * 2023), BlockPublicPolicy refusing public policies, RestrictPublicBuckets narrowing them, and
 * GetBucketPolicyStatus — driven by @aws-sdk/client-s3, plain fetch (unsigned) and the AWS CLI
 * (`--no-sign-request`, v1 and v2).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  PutPublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { hasAwsCli } from "../helpers/aws-cli";

const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;
let n = 0;
const bucketName = (what: string) => `pub${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const publicRead = (bucket: string, extra: object = {}) =>
  policy({ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*`, ...extra });

const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const ALL_OFF = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };

async function newUser(root: Creds, name: string, identityPolicy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (identityPolicy)
    await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(identityPolicy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

/** An unsigned request (no Authorization header, no query signature): an anonymous caller. */
const anon = (path: string, init: RequestInit = {}) => fetch(`${url()}/${path}`, init);

/** S3's XML error code of a response. */
async function errorCode(res: Response): Promise<string | undefined> {
  return /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];
}

/** A bucket of account B holding data.txt. */
async function bucketOfB(what: string): Promise<string> {
  const bucket = bucketName(what);
  await s3(rootB).send(new CreateBucketCommand({ Bucket: bucket }));
  await s3(rootB).send(new PutObjectCommand({ Bucket: bucket, Key: "data.txt", Body: "public data" }));
  return bucket;
}

beforeAll(async () => {
  const a = await createAccount();
  accountA = a.accountId;
  rootA = accountCreds(a);
  const b = await createAccount();
  accountB = b.accountId;
  rootB = accountCreds(b);
});

describe("Put/Get/DeletePublicAccessBlock", () => {
  it("a new bucket has all four settings on; round trip; NoSuchPublicAccessBlockConfiguration once deleted", async () => {
    const bucket = await bucketOfB("bpa");
    const got = await s3(rootB).send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(got.PublicAccessBlockConfiguration).toEqual(ALL_ON);
    // Elements left out are false.
    await s3(rootB).send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await s3(rootB).send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      ...ALL_OFF,
      BlockPublicPolicy: true,
    });
    await s3(rootB).send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await expectAwsError(
      s3(rootB).send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
      "NoSuchPublicAccessBlockConfiguration",
      404,
      "The public access block configuration was not found",
    );
    // Deleting again is fine (204).
    await s3(rootB).send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await expectAwsError(s3(rootB).send(new GetPublicAccessBlockCommand({ Bucket: bucketName("none") })), "NoSuchBucket", 404);
    // x-amz-expected-bucket-owner of another account: 403.
    await expectAwsError(
      s3(rootB).send(
        new PutPublicAccessBlockCommand({ Bucket: bucket, ExpectedBucketOwner: accountA, PublicAccessBlockConfiguration: ALL_ON }),
      ),
      "AccessDenied",
      403,
    );
  });

  it("is authorized as s3:PutBucketPublicAccessBlock (Delete too) and s3:GetBucketPublicAccessBlock", async () => {
    const bucket = await bucketOfB("bpa-authz");
    const reader = await newUser(rootB, "bpa-reader", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetBucketPublicAccessBlock", Resource: `arn:aws:s3:::${bucket}` }],
    });
    expect((await s3(reader).send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual(ALL_ON);
    await expectAwsError(
      s3(reader).send(new DeletePublicAccessBlockCommand({ Bucket: bucket })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${accountB}:user/bpa-reader is not authorized to perform: s3:PutBucketPublicAccessBlock on resource: "arn:aws:s3:::${bucket}" because no identity-based policy allows the s3:PutBucketPublicAccessBlock action`,
    );
    // Another account, without a grant of the bucket policy.
    await expectAwsError(s3(rootA).send(new GetPublicAccessBlockCommand({ Bucket: bucket })), "AccessDenied", 403, "Access Denied");
  });
});

describe("anonymous requests", () => {
  it("are denied by default: GET, HEAD, PUT, DELETE, listings, ListBuckets, CreateBucket — with an explained decision", async () => {
    const bucket = await bucketOfB("anon");
    const get = await anon(`${bucket}/data.txt`);
    expect(get.status).toBe(403);
    const decisionId = get.headers.get("x-iamlab-decision-id");
    expect(await get.text()).toMatch(/<Code>AccessDenied<\/Code>\s*<Message>Access Denied<\/Message>/);
    expect((await anon(`${bucket}/data.txt`, { method: "HEAD" })).status).toBe(403);
    expect(await errorCode(await anon(`${bucket}/new.txt`, { method: "PUT", body: "x" }))).toBe("AccessDenied");
    expect(await errorCode(await anon(`${bucket}/data.txt`, { method: "DELETE" }))).toBe("AccessDenied");
    expect(await errorCode(await anon(`${bucket}?list-type=2`))).toBe("AccessDenied");
    expect(await errorCode(await anon(""))).toBe("AccessDenied");
    expect(await errorCode(await anon(bucketName("anon-new"), { method: "PUT" }))).toBe("AccessDenied");
    // Nothing was written.
    await expectAwsError(s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: "new.txt" })), "NoSuchKey", 404);
    expect(await (await s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" }))).Body!.transformToString()).toBe(
      "public data",
    );
    // The explanation: the anonymous principal, no resource-based policy allowing it.
    expect(decisionId).toBeTruthy();
    const rec = (await (await adminFetch(`/decisions/${encodeURIComponent(decisionId!)}`)).json()) as {
      decision: string;
      reason: string;
      accountId: string;
      request: { principal: { kind: string }; action: string; resource: string };
      explanation: { steps: string[] };
    };
    expect(rec).toMatchObject({
      decision: "implicitDeny",
      reason: "noResourceAllow",
      accountId: accountB,
      request: { principal: { kind: "anonymous" }, action: "s3:GetObject", resource: `arn:aws:s3:::${bucket}/data.txt` },
    });
    expect(rec.explanation.steps).toContain("no resource-based policy allows");
  });

  it("other services keep refusing unsigned requests (MissingAuthenticationToken)", async () => {
    const res = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=ListUsers&Version=2010-05-08",
    });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe("MissingAuthenticationToken");
  });
});

describe("public read: Block Public Access off and on", () => {
  it("BlockPublicPolicy refuses a public policy; without it the policy is public, and anonymous reads work", async () => {
    const bucket = await bucketOfB("site");
    await expectAwsError(
      s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${accountB}:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
    );
    await expectAwsError(s3(rootB).send(new GetBucketPolicyStatusCommand({ Bucket: bucket })), "NoSuchBucketPolicy", 404);
    // A policy naming an account is not public: BlockPublicPolicy lets it through.
    const named = policy({ Effect: "Allow", Principal: { AWS: accountA }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` });
    await s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: named }));
    expect((await s3(rootB).send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus).toEqual({ IsPublic: false });

    await s3(rootB).send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) }));
    expect((await s3(rootB).send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus).toEqual({ IsPublic: true });
    const got = await anon(`${bucket}/data.txt`);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("public data");
    const head = await anon(`${bucket}/data.txt`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("11");
    // Only GetObject was granted: no listing, and a missing key is AccessDenied (no s3:ListBucket).
    expect(await errorCode(await anon(`${bucket}?list-type=2`))).toBe("AccessDenied");
    expect(await errorCode(await anon(`${bucket}/missing.txt`))).toBe("AccessDenied");
    // A condition on a trusted key with a fixed value makes it non-public again.
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: publicRead(bucket, { Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } }),
      }),
    );
    expect((await s3(rootB).send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus).toEqual({ IsPublic: false });
    expect((await anon(`${bucket}/data.txt`)).status).toBe(403);
  });

  it("RestrictPublicBuckets: the public grant stops working for anonymous callers and other accounts, not for the owner's users", async () => {
    const bucket = await bucketOfB("restrict");
    const reader = await newUser(rootB, "restrict-reader", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }],
    });
    const xuser = await newUser(rootA, "restrict-x", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    await s3(rootB).send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_OFF }));
    // Public, and a second statement naming account A.
    const both = policy(
      { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
      { Sid: "AccountA", Effect: "Allow", Principal: { AWS: accountA }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
    );
    await s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: both }));
    const read = async (c: Creds) =>
      (await s3(c).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" }))).Body!.transformToString();
    expect((await anon(`${bucket}/data.txt`)).status).toBe(200);
    expect(await read(xuser)).toBe("public data");

    await s3(rootB).send(
      new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...ALL_OFF, RestrictPublicBuckets: true } }),
    );
    const denied = await anon(`${bucket}/data.txt`);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("x-iamlab-decision-id")).toBeTruthy();
    // The policy is public, so even the statement naming account A no longer grants (AWS's "Account-2" example).
    await expectAwsError(s3(xuser).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
    // The owner's account: its IAM user with an identity policy, and its root.
    expect(await read(reader)).toBe("public data");
    expect(await read(rootB)).toBe("public data");
    // The policy itself is unchanged, and still reported public.
    expect((await s3(rootB).send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus).toEqual({ IsPublic: true });

    // Without the public statement the policy is not public: RestrictPublicBuckets no longer applies.
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy({ Effect: "Allow", Principal: { AWS: accountA }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }),
      }),
    );
    expect(await read(xuser)).toBe("public data");
    expect((await anon(`${bucket}/data.txt`)).status).toBe(403);
  });

  it("anonymous writes are denied unless a policy grants them", async () => {
    const bucket = await bucketOfB("drop");
    await s3(rootB).send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    expect((await anon(`${bucket}/in/a.txt`, { method: "PUT", body: "dropped" })).status).toBe(403);
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy({
          Sid: "Dropbox",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "s3:PutObject",
          Resource: `arn:aws:s3:::${bucket}/in/*`,
        }),
      }),
    );
    const put = await anon(`${bucket}/in/a.txt`, { method: "PUT", body: "dropped" });
    expect(put.status).toBe(200);
    expect(put.headers.get("etag")).toBeTruthy();
    expect(await (await s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: "in/a.txt" }))).Body!.transformToString()).toBe(
      "dropped",
    );
    // An aws-chunked upload with unsigned chunks and a checksum trailer (what SDKs send unsigned), de-chunked.
    const data = "chunked and unsigned";
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data));
    const chunked = `${data.length.toString(16)}\r\n${data}\r\n0\r\nx-amz-checksum-crc32:${crc.toString("base64")}\r\n\r\n`;
    const up = await anon(`${bucket}/in/chunked.txt`, {
      method: "PUT",
      headers: {
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": String(data.length),
        "x-amz-trailer": "x-amz-checksum-crc32",
      },
      body: chunked,
    });
    expect(up.status).toBe(200);
    expect(await (await s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: "in/chunked.txt" }))).Body!.transformToString()).toBe(
      data,
    );
    // Chunks that claim signatures cannot be checked without one.
    const signedChunks = await anon(`${bucket}/in/signed.txt`, {
      method: "PUT",
      headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" },
      body: chunked,
    });
    expect(signedChunks.status).toBe(403);
    // Only under in/, only PutObject.
    expect((await anon(`${bucket}/out.txt`, { method: "PUT", body: "x" })).status).toBe(403);
    expect((await anon(`${bucket}/in/a.txt`)).status).toBe(403);
    expect((await anon(`${bucket}/in/a.txt`, { method: "DELETE" })).status).toBe(403);
    // An explicit Deny beats the public grant.
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy(
          { Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/in/*` },
          { Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/in/locked/*` },
        ),
      }),
    );
    expect((await anon(`${bucket}/in/b.txt`, { method: "PUT", body: "b" })).status).toBe(200);
    const locked = await anon(`${bucket}/in/locked/c.txt`, { method: "PUT", body: "c" });
    expect(locked.status).toBe(403);
    const rec = (await (await adminFetch(`/decisions/${encodeURIComponent(locked.headers.get("x-iamlab-decision-id")!)}`)).json()) as {
      decision: string;
      deniedBy: { type: string; id: string };
    };
    expect(rec).toMatchObject({ decision: "explicitDeny", deniedBy: { type: "resource", id: `arn:aws:s3:::${bucket}` } });
    await s3(rootB).send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect((await anon(`${bucket}/in/d.txt`, { method: "PUT", body: "d" })).status).toBe(403);
  });
});

/** Debian's AWS CLI v2 next to the v1 on PATH (../shared/WIRE.md). */
const cliV2 = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;

describe.skipIf(!hasAwsCli)("the AWS CLI with --no-sign-request", () => {
  const cli = async (bin: string, ...args: string[]) => {
    const { stdout } = await promisify(execFile)(bin, [...args, "--no-sign-request", "--endpoint-url", url()], {
      env: {
        ...process.env,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_PAGER: "",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    });
    return stdout;
  };
  const failure = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (e) {
      return String((e as { stderr?: string }).stderr ?? e);
    }
    throw new Error("expected the CLI to fail");
  };

  it("reads (s3 cp to stdout, s3api get-object) and uploads anonymously, and is refused once the bucket is private again", async () => {
    const bucket = await bucketOfB("cli");
    expect(await failure(cli("aws", "s3", "cp", `s3://${bucket}/data.txt`, "-"))).toMatch(/403|Forbidden|AccessDenied/);
    await s3(rootB).send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) }));
    const dir = await mkdtemp(path.join(tmpdir(), "iamlab-s3-public-"));
    for (const bin of ["aws", ...(cliV2 ? [cliV2] : [])]) {
      expect(await cli(bin, "s3", "cp", `s3://${bucket}/data.txt`, "-")).toBe("public data");
      const file = path.join(dir, `${path.basename(bin)}-${bin.length}.txt`);
      const out = JSON.parse(await cli(bin, "s3api", "get-object", "--bucket", bucket, "--key", "data.txt", file)) as {
        ContentLength: number;
      };
      expect(out.ContentLength).toBe(11);
      expect(await readFile(file, "utf8")).toBe("public data");
    }
    // Uploads: granted to anyone under in/ (each CLI sends its own unsigned upload).
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy(
          { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
          { Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/in/*` },
        ),
      }),
    );
    const src = path.join(dir, "up.txt");
    await writeFile(src, "uploaded anonymously");
    for (const bin of ["aws", ...(cliV2 ? [cliV2] : [])]) {
      const key = `in/${path.basename(bin)}-${bin.length}.txt`;
      await cli(bin, "s3", "cp", src, `s3://${bucket}/${key}`);
      expect(await (await s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).toBe(
        "uploaded anonymously",
      );
    }
    await s3(rootB).send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_ON }));
    for (const bin of ["aws", ...(cliV2 ? [cliV2] : [])])
      expect(await failure(cli(bin, "s3api", "get-object", "--bucket", bucket, "--key", "data.txt", "/dev/null"))).toMatch(
        /AccessDenied|403/,
      );
  }, 180_000);
});
