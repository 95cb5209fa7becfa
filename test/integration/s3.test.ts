/**
 * S3 (issue 15, first slice): buckets and objects stored for real (R2 bodies, D1 metadata), driven
 * by @aws-sdk/client-s3 (path-style and <bucket>.localhost) and the AWS CLI (`aws s3`, `aws s3api`),
 * authorized by identity policies through the engine; bad input answers S3's codes, never a 500.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { existsSync } from "node:fs";
import {
  S3Client,
  CreateBucketCommand,
  HeadBucketCommand,
  DeleteBucketCommand,
  GetBucketLocationCommand,
  ListBucketsCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  CopyObjectCommand,
  ListObjectsV2Command,
  ListObjectsCommand,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, DeleteUserPolicyCommand } from "@aws-sdk/client-iam";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { accountCreds, adminFetch, createAccount, iam, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { hasAwsCli } from "../helpers/aws-cli";

const opts = (creds: Creds, region = "us-east-1") => ({
  endpoint: url(),
  region,
  credentials: creds,
  maxAttempts: 1,
  forcePathStyle: true,
});
const s3 = (creds: Creds, region?: string) => new S3Client(opts(creds, region));

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;
let n = 0;
/** A bucket name of its own for each test (names are global across the sandbox). */
const bucketName = (what: string) => `t${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

async function newUser(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

beforeAll(async () => {
  const a = await createAccount();
  accountA = a.accountId;
  rootA = accountCreds(a);
  const b = await createAccount();
  accountB = b.accountId;
  rootB = accountCreds(b);
});

/** A request signed with S3's UNSIGNED-PAYLOAD (as presigned/streaming clients do), sent as is. */
async function rawS3(
  creds: Creds,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
  body?: string,
  region = "us-east-1",
): Promise<{ status: number; text: string; headers: Headers }> {
  const u = new URL(url());
  const [p, q = ""] = pathAndQuery.split("?");
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(q)) query[k] = v;
  const signer = new SignatureV4({
    credentials: creds,
    region,
    service: "s3",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: p!,
    query,
    headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const h = { ...(signed.headers as Record<string, string>) };
  delete h.host;
  const res = await fetch(`${u.origin}${pathAndQuery}`, { method, headers: h, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** A signed PUT whose headers declare `contentLength` bytes, sent over a raw socket with no body (fetch would fix the length). */
async function declaredLengthPut(creds: Creds, pathname: string, contentLength: string): Promise<{ status: number; text: string }> {
  const u = new URL(url());
  const signer = new SignatureV4({
    credentials: creds,
    region: "us-east-1",
    service: "s3",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method: "PUT",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: pathname,
    headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": contentLength },
  });
  const head = Object.entries(signed.headers as Record<string, string>)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n");
  return new Promise((resolve, reject) => {
    const sock = connect({ host: u.hostname, port: Number(u.port) }, () =>
      sock.write(`PUT ${pathname} HTTP/1.1\r\n${head}\r\nconnection: close\r\n\r\n`),
    );
    let raw = "";
    sock.setTimeout(10_000, () => sock.destroy(new Error("timeout")));
    sock.on("data", (d) => {
      raw += d.toString("utf8");
      // The answer arrives without the body ever being sent: close once it is complete.
      if (/<\/Error>/.test(raw)) sock.destroy();
    });
    sock.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1] ?? 0), text: raw }));
    sock.on("error", reject);
  });
}

/** A rejection's HTTP status (the SDK names bodiless errors such as 304 and HEAD's 403 "Unknown"). */
async function expectStatus(p: Promise<unknown>, status: number): Promise<void> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${status}, got success`);
    },
    (x: unknown) => x as { $metadata?: { httpStatusCode?: number } },
  );
  expect(e.$metadata?.httpStatusCode).toBe(status);
}

describe("buckets", () => {
  it("CreateBucket, HeadBucket, GetBucketLocation, ListBuckets and DeleteBucket round trip", async () => {
    const c = s3(rootA);
    const us = bucketName("us");
    const eu = bucketName("eu");
    const created = await c.send(new CreateBucketCommand({ Bucket: us }));
    expect(created.Location).toBe(`/${us}`);
    await c.send(new CreateBucketCommand({ Bucket: eu, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    const head = await c.send(new HeadBucketCommand({ Bucket: eu }));
    expect(head.BucketRegion).toBe("eu-west-1");
    expect((await c.send(new GetBucketLocationCommand({ Bucket: us }))).LocationConstraint).toBeUndefined();
    expect((await c.send(new GetBucketLocationCommand({ Bucket: eu }))).LocationConstraint).toBe("eu-west-1");
    const list = await c.send(new ListBucketsCommand({}));
    const names = list.Buckets!.map((b) => b.Name);
    expect(names).toEqual(expect.arrayContaining([us, eu]));
    expect(names).toEqual([...names].sort());
    expect(list.Buckets!.find((b) => b.Name === eu)!.CreationDate).toBeInstanceOf(Date);
    expect(list.Owner?.DisplayName).toBe(accountA);
    // Another account sees none of them.
    const other = await s3(rootB).send(new ListBucketsCommand({}));
    expect((other.Buckets ?? []).map((b) => b.Name)).not.toContain(us);
    await c.send(new DeleteBucketCommand({ Bucket: us }));
    await expectAwsError(c.send(new HeadBucketCommand({ Bucket: us })), "NotFound", 404);
    await expectAwsError(c.send(new DeleteBucketCommand({ Bucket: us })), "NoSuchBucket", 404, "The specified bucket does not exist");
  });

  it("ListBuckets pages with max-buckets and a continuation token, and filters by prefix", async () => {
    const acct = await createAccount();
    const c = s3(accountCreds(acct));
    const names = ["pg-a", "pg-b", "pg-c"].map((x) => bucketName(x));
    for (const b of names) await c.send(new CreateBucketCommand({ Bucket: b }));
    const first = await c.send(new ListBucketsCommand({ MaxBuckets: 2 }));
    expect(first.Buckets!.map((b) => b.Name)).toEqual(names.slice(0, 2));
    expect(first.ContinuationToken).toBeTruthy();
    const second = await c.send(new ListBucketsCommand({ MaxBuckets: 2, ContinuationToken: first.ContinuationToken }));
    expect(second.Buckets!.map((b) => b.Name)).toEqual(names.slice(2));
    expect(second.ContinuationToken).toBeUndefined();
    const pre = await c.send(new ListBucketsCommand({ Prefix: names[1] }));
    expect(pre.Buckets!.map((b) => b.Name)).toEqual([names[1]]);
    expect(pre.Prefix).toBe(names[1]);
    const eu = bucketName("pg-eu");
    await c.send(new CreateBucketCommand({ Bucket: eu, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    const inEu = await c.send(new ListBucketsCommand({ BucketRegion: "eu-west-1", MaxBuckets: 1 }));
    expect(inEu.Buckets!.map((b) => [b.Name, b.BucketRegion])).toEqual([[eu, "eu-west-1"]]);
    expect(inEu.ContinuationToken).toBeUndefined();
  });

  it("bucket names are global: BucketAlreadyOwnedByYou for the owner, BucketAlreadyExists for anyone else", async () => {
    const b = bucketName("global");
    await s3(rootA).send(new CreateBucketCommand({ Bucket: b }));
    await expectAwsError(
      s3(rootA).send(new CreateBucketCommand({ Bucket: b })),
      "BucketAlreadyOwnedByYou",
      409,
      "Your previous request to create the named bucket succeeded and you already own it.",
    );
    await expectAwsError(
      s3(rootB).send(new CreateBucketCommand({ Bucket: b })),
      "BucketAlreadyExists",
      409,
      /bucket namespace is shared by all users/,
    );
  });

  it("bad bucket names answer InvalidBucketName", async () => {
    for (const bad of [
      "ab",
      "Upper-Case",
      "has_underscore",
      "-starts-with-dash",
      "ends-with-dash-",
      "two..dots",
      "192.168.5.4",
      "xn--punycode",
      "a".repeat(64),
      "x-s3alias",
    ]) {
      const r = await rawS3(rootA, "PUT", `/${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.text, bad).toContain("<Code>InvalidBucketName</Code>");
      expect(r.text, bad).toContain(`<BucketName>${bad}</BucketName>`);
    }
  });

  it("LocationConstraint is checked against the endpoint's (signing) region", async () => {
    // (The SDK fills LocationConstraint in from its region itself: a raw request leaves it out.)
    const none = await rawS3(rootA, "PUT", `/${bucketName("nolc")}`, {}, undefined, "eu-west-1");
    expect(none.status).toBe(400);
    expect(none.text).toContain("<Code>IllegalLocationConstraintException</Code>");
    expect(none.text).toContain(
      "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
    );
    await expectAwsError(
      s3(rootA, "eu-west-1").send(
        new CreateBucketCommand({ Bucket: bucketName("wronglc"), CreateBucketConfiguration: { LocationConstraint: "ap-south-1" } }),
      ),
      "IllegalLocationConstraintException",
      400,
    );
    await expectAwsError(
      s3(rootA).send(
        new CreateBucketCommand({ Bucket: bucketName("badlc"), CreateBucketConfiguration: { LocationConstraint: "us-east-1" as never } }),
      ),
      "InvalidLocationConstraint",
      400,
    );
    const ok = bucketName("eulc");
    await s3(rootA, "eu-west-1").send(
      new CreateBucketCommand({ Bucket: ok, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
  });

  it("DeleteBucket refuses a bucket that still holds objects (BucketNotEmpty)", async () => {
    const b = bucketName("full");
    const c = s3(rootA);
    await c.send(new CreateBucketCommand({ Bucket: b }));
    await c.send(new PutObjectCommand({ Bucket: b, Key: "k", Body: "x" }));
    await expectAwsError(
      c.send(new DeleteBucketCommand({ Bucket: b })),
      "BucketNotEmpty",
      409,
      "The bucket you tried to delete is not empty",
    );
    await c.send(new DeleteObjectCommand({ Bucket: b, Key: "k" }));
    await c.send(new DeleteBucketCommand({ Bucket: b }));
  });
});

describe("objects", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = bucketName("objects");
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("PutObject / GetObject / HeadObject round trip the body, AWS's ETag, metadata and system headers", async () => {
    const c = s3(rootA);
    const body = "hello, S3 — ünïcödé";
    const md5 = createHash("md5").update(body).digest("hex");
    const put = await c.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "dir/hello world.txt",
        Body: body,
        ContentType: "text/plain; charset=utf-8",
        CacheControl: "max-age=60",
        ContentDisposition: 'attachment; filename="h.txt"',
        ContentLanguage: "en",
        Metadata: { colour: "blue", "Mixed-Case": "Value" },
      }),
    );
    expect(put.ETag).toBe(`"${md5}"`);
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello world.txt" }));
    expect(await got.Body!.transformToString()).toBe(body);
    expect(got.ETag).toBe(`"${md5}"`);
    expect(got.ContentType).toBe("text/plain; charset=utf-8");
    expect(got.ContentLength).toBe(Buffer.byteLength(body));
    expect(got.CacheControl).toBe("max-age=60");
    expect(got.ContentDisposition).toBe('attachment; filename="h.txt"');
    expect(got.ContentLanguage).toBe("en");
    expect(got.ContentEncoding).toBeUndefined(); // aws-chunked framing is not the object's encoding
    expect(got.Metadata).toEqual({ colour: "blue", "mixed-case": "Value" });
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: "dir/hello world.txt" }));
    expect(head.ContentLength).toBe(Buffer.byteLength(body));
    expect(head.ETag).toBe(`"${md5}"`);
    expect(head.Metadata).toEqual({ colour: "blue", "mixed-case": "Value" });
    expect(head.AcceptRanges).toBe("bytes");
  });

  it("binary bodies, empty objects, overwrites and the default content type", async () => {
    const c = s3(rootA);
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: "bin", Body: bytes }));
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(bytes))).toBe(true);
    expect(got.ContentType).toBe("application/octet-stream"); // what the SDK sends for bytes
    // Without a Content-Type S3 stores binary/octet-stream.
    expect((await rawS3(rootA, "PUT", `/${bucket}/untyped`)).status).toBe(200);
    expect((await c.send(new HeadObjectCommand({ Bucket: bucket, Key: "untyped" }))).ContentType).toBe("binary/octet-stream");
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: "empty", Body: "" }));
    const empty = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "empty" }));
    expect(empty.ContentLength).toBe(0);
    expect(empty.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: "bin", Body: "replaced" }));
    expect(await (await c.send(new GetObjectCommand({ Bucket: bucket, Key: "bin" }))).Body!.transformToString()).toBe("replaced");
  });

  it("Range answers 206 with Content-Range; an unsatisfiable range is InvalidRange (416)", async () => {
    const c = s3(rootA);
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: "digits", Body: "0123456789" }));
    const mid = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=2-5" }));
    expect(mid.$metadata.httpStatusCode).toBe(206);
    expect(mid.ContentRange).toBe("bytes 2-5/10");
    expect(mid.ContentLength).toBe(4);
    expect(await mid.Body!.transformToString()).toBe("2345");
    const tail = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=-3" }));
    expect(await tail.Body!.transformToString()).toBe("789");
    const open = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=7-" }));
    expect(await open.Body!.transformToString()).toBe("789");
    const past = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=8-100" }));
    expect(past.ContentRange).toBe("bytes 8-9/10");
    // Syntax S3 does not parse is ignored: the whole object.
    const ignored = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=5-2" }));
    expect(ignored.$metadata.httpStatusCode).toBe(200);
    expect(await ignored.Body!.transformToString()).toBe("0123456789");
    await expectAwsError(
      c.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=10-" })),
      "InvalidRange",
      416,
      "The requested range is not satisfiable",
    );
  });

  it("conditional GETs: If-None-Match / If-Modified-Since → 304, If-Match / If-Unmodified-Since → 412", async () => {
    const c = s3(rootA);
    const put = await c.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v1" }));
    const etag = put.ETag!;
    const past = new Date(Date.now() - 3600_000);
    await expectStatus(c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: etag })), 304);
    const modified = (await c.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond" }))).LastModified!;
    await expectStatus(c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfModifiedSince: modified })), 304);
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: '"0000"' })), "PreconditionFailed", 412);
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfUnmodifiedSince: past })), "PreconditionFailed", 412);
    expect((await c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: etag }))).ETag).toBe(etag);
    expect((await c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfModifiedSince: past }))).ETag).toBe(etag);
    expect((await c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: '"other"' }))).ETag).toBe(etag);
    // If-Match true wins over If-Unmodified-Since false (RFC 7232, as S3 documents).
    expect((await c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: etag, IfUnmodifiedSince: past }))).ETag).toBe(etag);
    await expectStatus(c.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: etag })), 304);
    // Conditional writes: If-None-Match: * refuses to overwrite.
    await expectAwsError(
      c.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v2", IfNoneMatch: "*" })),
      "PreconditionFailed",
      412,
    );
  });

  it("missing keys: NoSuchKey (the caller may list the bucket), NotFound on HEAD; a missing bucket is NoSuchBucket", async () => {
    const c = s3(rootA);
    await expectAwsError(
      c.send(new GetObjectCommand({ Bucket: bucket, Key: "nope" })),
      "NoSuchKey",
      404,
      "The specified key does not exist.",
    );
    await expectAwsError(c.send(new HeadObjectCommand({ Bucket: bucket, Key: "nope" })), "NotFound", 404);
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: bucketName("absent"), Key: "k" })), "NoSuchBucket", 404);
    await expectAwsError(c.send(new PutObjectCommand({ Bucket: bucketName("absent"), Key: "k", Body: "x" })), "NoSuchBucket", 404);
  });

  it("DeleteObject answers 204 whether or not the key existed; DeleteObjects deletes many and reports each", async () => {
    const c = s3(rootA);
    for (const k of ["d/1", "d/2", "d/3"]) await c.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
    const del = await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d/1" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d/1" }))).$metadata.httpStatusCode).toBe(204);
    const many = await c.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "d/2" }, { Key: "d/3" }, { Key: "d/none" }] } }),
    );
    expect(many.Deleted!.map((d) => d.Key).sort()).toEqual(["d/2", "d/3", "d/none"]);
    expect(many.Errors).toBeUndefined();
    const left = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "d/" }));
    expect(left.KeyCount).toBe(0);
    const quiet = await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "x" }], Quiet: true } }));
    expect(quiet.Deleted).toBeUndefined();
  });

  it("CopyObject copies body and metadata (COPY) or takes new metadata (REPLACE); onto itself needs REPLACE", async () => {
    const c = s3(rootA);
    const other = bucketName("copy-dest");
    await c.send(new CreateBucketCommand({ Bucket: other }));
    const src = await c.send(
      new PutObjectCommand({ Bucket: bucket, Key: "src/a b+c.txt", Body: "copy me", ContentType: "text/plain", Metadata: { a: "1" } }),
    );
    const copied = await c.send(
      new CopyObjectCommand({ Bucket: other, Key: "copied", CopySource: `${bucket}/${encodeURIComponent("src/a b+c.txt")}` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(src.ETag);
    expect(copied.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
    const got = await c.send(new GetObjectCommand({ Bucket: other, Key: "copied" }));
    expect(await got.Body!.transformToString()).toBe("copy me");
    expect(got.ContentType).toBe("text/plain");
    expect(got.Metadata).toEqual({ a: "1" });
    await c.send(
      new CopyObjectCommand({
        Bucket: other,
        Key: "replaced",
        CopySource: `${bucket}/${encodeURIComponent("src/a b+c.txt")}`,
        MetadataDirective: "REPLACE",
        ContentType: "text/x-new",
        Metadata: { b: "2" },
      }),
    );
    const rep = await c.send(new HeadObjectCommand({ Bucket: other, Key: "replaced" }));
    expect(rep.ContentType).toBe("text/x-new");
    expect(rep.Metadata).toEqual({ b: "2" });
    await expectAwsError(
      c.send(new CopyObjectCommand({ Bucket: other, Key: "copied", CopySource: `${other}/copied` })),
      "InvalidRequest",
      400,
      /copy an object to itself/,
    );
    await c.send(
      new CopyObjectCommand({
        Bucket: other,
        Key: "copied",
        CopySource: `${other}/copied`,
        MetadataDirective: "REPLACE",
        Metadata: { c: "3" },
      }),
    );
    await expectAwsError(c.send(new CopyObjectCommand({ Bucket: other, Key: "x", CopySource: `${bucket}/no-such-key` })), "NoSuchKey", 404);
    await expectAwsError(
      c.send(new CopyObjectCommand({ Bucket: other, Key: "x", CopySource: bucket })),
      "InvalidArgument",
      400,
      /Copy Source must mention the source bucket and key/,
    );
  });

  it("virtual-hosted addressing: <bucket>.localhost", async () => {
    const port = new URL(url()).port;
    const c = new S3Client({ endpoint: `http://localhost:${port}`, region: "us-east-1", credentials: rootA, maxAttempts: 1 });
    // The SDK signs and sends Host: <bucket>.localhost:<port>; connect to 127.0.0.1 (no resolver here knows *.localhost).
    c.middlewareStack.add(
      (next) => (args) => {
        (args.request as { hostname: string }).hostname = "127.0.0.1";
        return next(args);
      },
      { step: "deserialize", name: "connectToLoopback" },
    );
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: "vh/key.txt", Body: "virtual" }));
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "vh/key.txt" }));
    expect(await got.Body!.transformToString()).toBe("virtual");
  });
});

describe("listing", () => {
  let bucket: string;
  const keys = [
    "a.txt",
    "docs/2024/jan.txt",
    "docs/2024/feb.txt",
    "docs/2025/mar.txt",
    "docs/readme.md",
    "img/cat.png",
    "img/dog.png",
    "z%20odd+key.txt",
    "ü-unicode",
  ];
  beforeAll(async () => {
    bucket = bucketName("list");
    const c = s3(rootA);
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const k of keys) await c.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
  });

  it("ListObjectsV2 lists every key in UTF-8 byte order with sizes and ETags", async () => {
    const out = await s3(rootA).send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(out.Contents!.map((o) => o.Key)).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(out.KeyCount).toBe(keys.length);
    expect(out.IsTruncated).toBe(false);
    expect(out.Name).toBe(bucket);
    const a = out.Contents!.find((o) => o.Key === "a.txt")!;
    expect(a.Size).toBe(5);
    expect(a.ETag).toBe(`"${createHash("md5").update("a.txt").digest("hex")}"`);
    expect(a.StorageClass).toBe("STANDARD");
    expect(a.Owner).toBeUndefined();
  });

  it("prefix and delimiter roll keys up into CommonPrefixes", async () => {
    const top = await s3(rootA).send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
    expect(top.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["docs/", "img/"]);
    expect(top.Contents!.map((o) => o.Key)).toEqual(["a.txt", "z%20odd+key.txt", "ü-unicode"]);
    expect(top.KeyCount).toBe(5);
    const docs = await s3(rootA).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/", Delimiter: "/" }));
    expect(docs.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["docs/2024/", "docs/2025/"]);
    expect(docs.Contents!.map((o) => o.Key)).toEqual(["docs/readme.md"]);
    expect(docs.Prefix).toBe("docs/");
    expect(docs.Delimiter).toBe("/");
  });

  it("pagination: max-keys, IsTruncated and the continuation token (the SDK paginator walks every page)", async () => {
    const first = await s3(rootA).send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 2, Delimiter: "/" }));
    expect(first.IsTruncated).toBe(true);
    expect(first.KeyCount).toBe(2);
    expect(first.NextContinuationToken).toBeTruthy();
    const seen: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3(rootA), pageSize: 2 }, { Bucket: bucket, Delimiter: "/" })) {
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      seen.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((o) => o.Key!));
    }
    expect(seen.sort()).toEqual(["a.txt", "docs/", "img/", "z%20odd+key.txt", "ü-unicode"].sort());
    const after = await s3(rootA).send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: "img/cat.png" }));
    expect(after.Contents!.map((o) => o.Key)).toEqual(["img/dog.png", "z%20odd+key.txt", "ü-unicode"]);
    await expectAwsError(
      s3(rootA).send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: "garbage!" })),
      "InvalidArgument",
      400,
    );
  });

  it("ListObjects (v1): marker, NextMarker with a delimiter, the owner on every entry", async () => {
    const page = await s3(rootA).send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 3, Delimiter: "/" }));
    expect(page.IsTruncated).toBe(true);
    expect([...(page.Contents ?? []).map((o) => o.Key), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix)].sort()).toEqual([
      "a.txt",
      "docs/",
      "img/",
    ]);
    expect(page.NextMarker).toBe("img/");
    expect(page.Contents![0]!.Owner?.DisplayName).toBe(accountA);
    const rest = await s3(rootA).send(new ListObjectsCommand({ Bucket: bucket, Marker: page.NextMarker, Delimiter: "/" }));
    expect(rest.Contents!.map((o) => o.Key)).toEqual(["z%20odd+key.txt", "ü-unicode"]);
    expect(rest.IsTruncated).toBe(false);
  });
});

describe("authorization by identity policies", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = bucketName("authz");
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "home/alice/notes.txt", Body: "alice's" }));
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "secret.txt", Body: "secret" }));
  });

  it("a user without s3:GetObject is denied in S3's words, then allowed once a policy grants it", async () => {
    const user = await newUser(rootA, "reader");
    const userArn = `arn:aws:iam::${accountA}:user/reader`;
    await expectAwsError(
      s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })),
      "AccessDenied",
      403,
      `User: ${userArn} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/secret.txt" because no identity-based policy allows the s3:GetObject action`,
    );
    await iam(rootA).send(
      new PutUserPolicyCommand({
        UserName: "reader",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }],
        }),
      }),
    );
    const got = await s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" }));
    expect(await got.Body!.transformToString()).toBe("secret");
    // HeadObject is s3:GetObject too.
    await s3(user).send(new HeadObjectCommand({ Bucket: bucket, Key: "secret.txt" }));
    // Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey (S3 hides what exists).
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "missing" })), "AccessDenied", 403, "Access Denied");
    // Writing and listing are other actions.
    await expectAwsError(
      s3(user).send(new PutObjectCommand({ Bucket: bucket, Key: "w", Body: "x" })),
      "AccessDenied",
      403,
      /s3:PutObject on resource: "arn:aws:s3:::.*\/w"/,
    );
    await expectAwsError(
      s3(user).send(new ListObjectsV2Command({ Bucket: bucket })),
      "AccessDenied",
      403,
      new RegExp(`s3:ListBucket on resource: "arn:aws:s3:::${bucket}"`),
    );
    await expectAwsError(s3(user).send(new CreateBucketCommand({ Bucket: bucketName("nope") })), "AccessDenied", 403, /s3:CreateBucket/);
    await iam(rootA).send(new DeleteUserPolicyCommand({ UserName: "reader", PolicyName: "read" }));
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })), "AccessDenied", 403);
  });

  it("s3:prefix confines a user's listing to home/${aws:username}/", async () => {
    const user = await newUser(rootA, "alice", {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: `arn:aws:s3:::${bucket}`,
          Condition: { StringLike: { "s3:prefix": ["home/${aws:username}/*"] } },
        },
        { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/home/\${aws:username}/*` },
      ],
    });
    const mine = await s3(user).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "home/alice/" }));
    expect(mine.Contents!.map((o) => o.Key)).toEqual(["home/alice/notes.txt"]);
    await expectAwsError(s3(user).send(new ListObjectsV2Command({ Bucket: bucket })), "AccessDenied", 403);
    await expectAwsError(s3(user).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "home/bob/" })), "AccessDenied", 403);
    await s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "home/alice/notes.txt" }));
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })), "AccessDenied", 403);
    // With s3:ListBucket (in its prefix) a missing key of its own is NoSuchKey... only where ListBucket is allowed without a prefix condition: here it is not.
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "home/alice/none" })), "AccessDenied", 403);
  });

  it("s3:max-keys and s3:delimiter reach the engine", async () => {
    const user = await newUser(rootA, "pager", {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: `arn:aws:s3:::${bucket}`,
          Condition: { NumericLessThanEquals: { "s3:max-keys": "10" }, StringEquals: { "s3:delimiter": "/" } },
        },
      ],
    });
    await s3(user).send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 5, Delimiter: "/" }));
    await expectAwsError(s3(user).send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 50, Delimiter: "/" })), "AccessDenied", 403);
    await expectAwsError(s3(user).send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 5 })), "AccessDenied", 403);
  });

  it("DeleteObjects checks s3:DeleteObject per key: denied keys come back as errors, the rest are deleted", async () => {
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "tmp/ok", Body: "1" }));
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "keep/no", Body: "2" }));
    const user = await newUser(rootA, "deleter", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:DeleteObject", Resource: `arn:aws:s3:::${bucket}/tmp/*` }],
    });
    const out = await s3(user).send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "tmp/ok" }, { Key: "keep/no" }] } }),
    );
    expect(out.Deleted!.map((d) => d.Key)).toEqual(["tmp/ok"]);
    expect(out.Errors).toEqual([expect.objectContaining({ Key: "keep/no", Code: "AccessDenied" })]);
    await s3(rootA).send(new HeadObjectCommand({ Bucket: bucket, Key: "keep/no" }));
  });

  it("CopyObject needs s3:GetObject on the source and s3:PutObject on the destination", async () => {
    const user = await newUser(rootA, "copier", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/copies/*` }],
    });
    await expectAwsError(
      s3(user).send(new CopyObjectCommand({ Bucket: bucket, Key: "copies/s", CopySource: `${bucket}/secret.txt` })),
      "AccessDenied",
      403,
      /s3:GetObject on resource: "arn:aws:s3:::.*\/secret.txt"/,
    );
    await iam(rootA).send(
      new PutUserPolicyCommand({
        UserName: "copier",
        PolicyName: "get",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/secret.txt` }],
        }),
      }),
    );
    await s3(user).send(new CopyObjectCommand({ Bucket: bucket, Key: "copies/s", CopySource: `${bucket}/secret.txt` }));
    await expectAwsError(
      s3(user).send(new CopyObjectCommand({ Bucket: bucket, Key: "elsewhere", CopySource: `${bucket}/secret.txt` })),
      "AccessDenied",
      403,
      /s3:PutObject/,
    );
  });

  it("a bucket of another account is denied (cross-account access needs a bucket policy), with S3's bare message", async () => {
    await expectAwsError(s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })), "AccessDenied", 403, "Access Denied");
    await expectAwsError(s3(rootB).send(new ListObjectsV2Command({ Bucket: bucket })), "AccessDenied", 403, "Access Denied");
    await expectAwsError(
      s3(rootB).send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "x" })),
      "AccessDenied",
      403,
      "Access Denied",
    );
    await expectAwsError(s3(rootB).send(new DeleteBucketCommand({ Bucket: bucket })), "AccessDenied", 403, "Access Denied");
    // The owner's x-amz-expected-bucket-owner check.
    await expectStatus(s3(rootA).send(new HeadObjectCommand({ Bucket: bucket, Key: "secret.txt", ExpectedBucketOwner: accountB })), 403);
  });
});

describe("bad input answers S3's error codes, never a 500", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = bucketName("bad");
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("huge declared lengths are EntityTooLarge before the body is read", async () => {
    for (const len of ["5368709121", "20000000"]) {
      const r = await declaredLengthPut(rootA, `/${bucket}/big`, len);
      expect(r.status, len).toBe(400);
      expect(r.text).toContain("<Code>EntityTooLarge</Code>");
    }
  });

  it("a wrong Content-MD5 is BadDigest, a malformed one InvalidDigest; nothing is written", async () => {
    const wrong = createHash("md5").update("other").digest("base64");
    await expectAwsError(
      s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "body", ContentMD5: wrong })),
      "BadDigest",
      400,
    );
    await expectAwsError(
      s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "body", ContentMD5: "not-md5" })),
      "InvalidDigest",
      400,
    );
    await expectAwsError(s3(rootA).send(new HeadObjectCommand({ Bucket: bucket, Key: "md5" })), "NotFound", 404);
    const right = createHash("md5").update("body").digest("base64");
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "body", ContentMD5: right }));
  });

  it("a body that is not the one x-amz-content-sha256 declares is XAmzContentSHA256Mismatch (400); nothing is written", async () => {
    const declared = createHash("sha256").update("the signed body").digest("hex");
    const actual = createHash("sha256").update("another body").digest("hex");
    const r = await rawS3(rootA, "PUT", `/${bucket}/swapped`, { "x-amz-content-sha256": declared }, "another body");
    expect(r.status).toBe(400);
    expect(r.text).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    expect(r.text).toContain(`<ClientComputedContentSHA256>${declared}</ClientComputedContentSHA256>`);
    expect(r.text).toContain(`<S3ComputedContentSHA256>${actual}</S3ComputedContentSHA256>`);
    await expectAwsError(s3(rootA).send(new HeadObjectCommand({ Bucket: bucket, Key: "swapped" })), "NotFound", 404);
  });

  it("keys over 1,024 bytes, metadata over 2 KB, ACLs, bad list arguments, DeleteObjects without keys", async () => {
    await expectAwsError(
      s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "k".repeat(1025), Body: "x" })),
      "KeyTooLongError",
      400,
    );
    await expectAwsError(
      s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "meta", Body: "x", Metadata: { big: "v".repeat(2100) } })),
      "MetadataTooLarge",
      400,
    );
    await expectAwsError(
      s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "acl", Body: "x", ACL: "public-read" })),
      "AccessControlListNotSupported",
      400,
    );
    const neg = await rawS3(rootA, "GET", `/${bucket}?list-type=2&max-keys=-1`);
    expect(neg.status).toBe(400);
    expect(neg.text).toContain("<Code>InvalidArgument</Code>");
    const enc = await rawS3(rootA, "GET", `/${bucket}?list-type=2&encoding-type=base64`);
    expect(enc.status).toBe(400);
    const del = await rawS3(rootA, "POST", `/${bucket}?delete`, { "content-type": "application/xml" }, "<Delete></Delete>");
    expect(del.status).toBe(400);
    expect(del.text).toContain("<Code>MalformedXML</Code>");
    const broken = await rawS3(rootA, "POST", `/${bucket}?delete`, { "content-type": "application/xml" }, "<Delete><Object><Key>a</Key>");
    expect(broken.status).toBe(400);
    expect(broken.text).toContain("<Code>MalformedXML</Code>");
  });

  it("operations iamlab does not serve yet still answer NotImplemented (501)", async () => {
    const r = await rawS3(rootA, "GET", `/${bucket}?versioning`);
    expect(r.status).toBe(501);
    expect(r.text).toContain("<Code>NotImplemented</Code>");
  });
});

describe("account deletion", () => {
  it("removes the account's buckets, object rows and R2 bodies; the names are free again", async () => {
    const acct = await createAccount();
    const c = s3(accountCreds(acct));
    const b = bucketName("doomed");
    await c.send(new CreateBucketCommand({ Bucket: b }));
    await c.send(new PutObjectCommand({ Bucket: b, Key: "one", Body: "1" }));
    await c.send(new PutObjectCommand({ Bucket: b, Key: "two", Body: "2" }));
    const del = await adminFetch(`/accounts/${acct.accountId}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    // The name is free: another account takes it, and finds it empty.
    await s3(rootB).send(new CreateBucketCommand({ Bucket: b }));
    const listed = await s3(rootB).send(new ListObjectsV2Command({ Bucket: b }));
    expect(listed.KeyCount).toBe(0);
    await s3(rootB).send(new DeleteBucketCommand({ Bucket: b }));
  });
});

/** Debian's AWS CLI v2 (2.9), next to the v1 on PATH (../shared/WIRE.md): its uploads are signed differently. */
const debianCliV2 = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;

describe.skipIf(!hasAwsCli)("the AWS CLI: aws s3 mb / cp / ls / rm / rb and aws s3api", () => {
  const cli = async (creds: Creds, ...args: string[]) => cliWith("aws", creds, ...args);
  const cliWith = async (bin: string, creds: Creds, ...args: string[]) => {
    const { stdout } = await promisify(execFile)(bin, [...args, "--endpoint-url", url()], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_PAGER: "",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    });
    return stdout;
  };

  it("mb, cp up and down (a 3 MB streamed upload), ls, s3api head-object / list-objects-v2, rm, rb", async () => {
    const b = bucketName("cli");
    const dir = await mkdtemp(path.join(tmpdir(), "iamlab-s3-"));
    const src = path.join(dir, "up.bin");
    const data = Buffer.alloc(3 * 1024 * 1024 + 123, 0).map((_, i) => (i * 7) & 0xff);
    await writeFile(src, data);
    await cli(rootA, "s3", "mb", `s3://${b}`);
    await cli(rootA, "s3", "cp", src, `s3://${b}/dir/up.bin`);
    await cli(rootA, "s3api", "put-object", "--bucket", b, "--key", "dir/sub/empty.txt");
    const ls = await cli(rootA, "s3", "ls", `s3://${b}/dir/`);
    expect(ls).toMatch(/PRE sub\//);
    expect(ls).toMatch(new RegExp(`${data.length} up.bin`));
    const head = JSON.parse(await cli(rootA, "s3api", "head-object", "--bucket", b, "--key", "dir/up.bin")) as {
      ContentLength: number;
      ETag: string;
    };
    expect(head.ContentLength).toBe(data.length);
    expect(head.ETag).toBe(`"${createHash("md5").update(data).digest("hex")}"`);
    const down = path.join(dir, "down.bin");
    await cli(rootA, "s3", "cp", `s3://${b}/dir/up.bin`, down);
    expect((await readFile(down)).equals(data)).toBe(true);
    const listed = JSON.parse(await cli(rootA, "s3api", "list-objects-v2", "--bucket", b, "--prefix", "dir/")) as {
      Contents: { Key: string }[];
    };
    expect(listed.Contents.map((o) => o.Key)).toContain("dir/up.bin");
    await cli(rootA, "s3", "rm", `s3://${b}`, "--recursive");
    await cli(rootA, "s3", "rb", `s3://${b}`);
    const buckets = await cli(rootA, "s3", "ls");
    expect(buckets).not.toContain(b);
  });

  it.skipIf(!debianCliV2)("the CLI v2 uploads and downloads too (cp, ls, rb --force)", async () => {
    const b = bucketName("cli-v2");
    const dir = await mkdtemp(path.join(tmpdir(), "iamlab-s3v2-"));
    const src = path.join(dir, "v2.bin");
    const data = Buffer.alloc(1024 * 1024 + 7, 0).map((_, i) => (i * 13) & 0xff);
    await writeFile(src, data);
    await cliWith(debianCliV2!, rootA, "s3", "mb", `s3://${b}`);
    await cliWith(debianCliV2!, rootA, "s3", "cp", src, `s3://${b}/v2.bin`);
    expect(await cliWith(debianCliV2!, rootA, "s3", "ls", `s3://${b}`)).toMatch(new RegExp(`${data.length} v2.bin`));
    const down = path.join(dir, "down.bin");
    await cliWith(debianCliV2!, rootA, "s3", "cp", `s3://${b}/v2.bin`, down);
    expect((await readFile(down)).equals(data)).toBe(true);
    await cliWith(debianCliV2!, rootA, "s3", "rb", `s3://${b}`, "--force");
  });

  it("keys with spaces, plus signs and unicode survive the CLI's url-encoded listings", async () => {
    const b = bucketName("cli-keys");
    await cli(rootA, "s3api", "create-bucket", "--bucket", b);
    const key = "a dir/ü+ file%.txt";
    await cli(rootA, "s3api", "put-object", "--bucket", b, "--key", key);
    const listed = JSON.parse(await cli(rootA, "s3api", "list-objects", "--bucket", b, "--delimiter", "/")) as {
      CommonPrefixes: { Prefix: string }[];
    };
    expect(listed.CommonPrefixes.map((p) => p.Prefix)).toEqual(["a dir/"]);
    const v2 = JSON.parse(await cli(rootA, "s3api", "list-objects-v2", "--bucket", b)) as { Contents: { Key: string }[] };
    expect(v2.Contents.map((o) => o.Key)).toEqual([key]);
    const ls = await cli(rootA, "s3", "ls", `s3://${b}/a dir/`);
    expect(ls).toContain("ü+ file%.txt");
    await cli(rootA, "s3", "rb", `s3://${b}`, "--force");
  });
});
