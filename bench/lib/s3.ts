/**
 * S3 for the benchmarks: REST requests SigV4-signed in advance (service `s3`, the payload's SHA-256
 * in x-amz-content-sha256, as the SDKs send it), and the fixture the S3 scenarios read, seeded once
 * per server through the admin API and the real @aws-sdk/client-s3 / client-iam:
 * - an account owning a bucket with `obj-1k` (1 KB) and 1,000 keys under `list/`;
 * - an IAM user `s3-reader` with NO identity policy, allowed by the bucket policy alone
 *   (s3:GetObject and s3:PutObject on the objects, s3:ListBucket on the bucket).
 */
import { createHash } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { S3Client, CreateBucketCommand, PutObjectCommand, PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { CreateAccessKeyCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { createAccount, iamClient, type Account } from "./seed";
import type { Creds, SignedRequest } from "./sign";

export const S3_SEED = { objectBytes: 1024, listKeys: 1000 } as const;

export interface S3SignOptions {
  url: string;
  creds: Creds;
  method: "GET" | "PUT";
  /** `/bucket/key`, unencoded (keys here are plain ASCII) */
  path: string;
  query?: Record<string, string>;
  body?: string;
}

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export async function signS3(o: S3SignOptions): Promise<SignedRequest> {
  const u = new URL(o.url);
  const body = o.body ?? "";
  const signer = new SignatureV4({
    credentials: o.creds,
    region: "us-east-1",
    service: "s3",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: false,
  });
  const headers: Record<string, string> = { host: u.host, "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") };
  if (o.method === "PUT") headers["content-type"] = "application/octet-stream";
  const signed = await signer.sign({
    method: o.method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: o.path,
    ...(o.query ? { query: o.query } : {}),
    headers,
    body,
  });
  const qs = o.query
    ? `?${Object.entries(o.query)
        .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
        .join("&")}`
    : "";
  return { method: o.method, path: `${o.path}${qs}`, headers: { ...(signed.headers as Record<string, string>) }, body };
}

export interface S3Fixture {
  account: Account;
  bucket: string;
  reader: Creds;
  /** GetObject of the 1 KB object */
  get: SignedRequest;
  /** PutObject of 1 KB (the same key each time: an overwrite) */
  put: SignedRequest;
  /** ListObjectsV2 of the 1,000 keys, one page */
  list: SignedRequest;
}

const fixtures = new Map<string, Promise<S3Fixture>>();

/** The S3 fixture of the server at `url` (seeded on first use). */
export function s3Fixture(url: string): Promise<S3Fixture> {
  let p = fixtures.get(url);
  if (!p) {
    p = seedS3(url);
    fixtures.set(url, p);
  }
  return p;
}

async function seedS3(url: string): Promise<S3Fixture> {
  const account = await createAccount(url);
  const s3 = new S3Client({ endpoint: url, region: "us-east-1", credentials: account.root, maxAttempts: 1, forcePathStyle: true });
  const bucket = `bench-s3-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = "x".repeat(S3_SEED.objectBytes);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "obj-1k", Body: body }));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < S3_SEED.listKeys) {
        const i = next++;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `list/${String(i).padStart(5, "0")}`, Body: "k" }));
      }
    }),
  );
  const iam = iamClient(url, account.root);
  await iam.send(new CreateUserCommand({ UserName: "s3-reader" }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: "s3-reader" }))).AccessKey!;
  const reader = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  const user = `arn:aws:iam::${account.accountId}:user/s3-reader`;
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Objects",
            Effect: "Allow",
            Principal: { AWS: user },
            Action: ["s3:GetObject", "s3:PutObject"],
            Resource: `arn:aws:s3:::${bucket}/*`,
          },
          { Sid: "List", Effect: "Allow", Principal: { AWS: user }, Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` },
        ],
      }),
    }),
  );
  return {
    account,
    bucket,
    reader,
    get: await signS3({ url, creds: reader, method: "GET", path: `/${bucket}/obj-1k` }),
    put: await signS3({ url, creds: reader, method: "PUT", path: `/${bucket}/put-1k`, body }),
    list: await signS3({
      url,
      creds: reader,
      method: "GET",
      path: `/${bucket}`,
      query: { "list-type": "2", prefix: "list/", "max-keys": "1000" },
    }),
  };
}
