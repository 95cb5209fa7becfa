/**
 * S3 presigned URLs (query-string SigV4): @aws-sdk/s3-request-presigner and `aws s3 presign` (CLI v2,
 * and v1 configured for s3v4 — its default SigV2 URL is refused as S3 refuses it on new buckets),
 * used with a plain fetch and no credentials. Expiry (S3's AccessDenied with its details), tampering
 * (SignatureDoesNotMatch), temporary credentials, the 7-day limit, and the condition keys a
 * presigned request carries (s3:authType REST-QUERY-STRING, s3:signatureAge).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { accountCreds, createAccount, iam, sts, url, type Creds } from "../helpers/sandbox";
import { hasAwsCli } from "../helpers/aws-cli";
import { xmlValue } from "../helpers/sandbox";

const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

let root: Creds;
let n = 0;
const bucketName = (what: string) => `ps${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bucketWith(what: string, body = "hello presigned"): Promise<string> {
  const b = bucketName(what);
  await s3(root).send(new CreateBucketCommand({ Bucket: b }));
  await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "dir/file.txt", Body: body }));
  return b;
}

beforeAll(async () => {
  root = accountCreds(await createAccount());
});

describe("@aws-sdk/s3-request-presigner", () => {
  it("a presigned GET works with a plain fetch; the URL is SigV4 in the query string", async () => {
    const b = await bucketWith("get");
    const u = await getSignedUrl(s3(root), new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }), { expiresIn: 60 });
    expect(new URL(u).searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    const res = await fetch(u);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello presigned");
    expect(res.headers.get("x-amz-server-side-encryption")).toBe("AES256");
  });

  it("a presigned PUT uploads the body it is used with", async () => {
    const b = await bucketWith("put");
    const u = await getSignedUrl(s3(root), new PutObjectCommand({ Bucket: b, Key: "up/loaded.txt" }), { expiresIn: 60 });
    const res = await fetch(u, { method: "PUT", body: "uploaded through a URL" });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await s3(root).send(new GetObjectCommand({ Bucket: b, Key: "up/loaded.txt" }));
    expect(await got.Body!.transformToString()).toBe("uploaded through a URL");
  });

  it("expiry is enforced with S3's answer: AccessDenied, Request has expired, X-Amz-Expires / Expires / ServerTime", async () => {
    const b = await bucketWith("expiry");
    const u = await getSignedUrl(s3(root), new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }), { expiresIn: 1 });
    await sleep(2100);
    const res = await fetch(u);
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(xmlValue(text, "Code")).toBe("AccessDenied");
    expect(xmlValue(text, "Message")).toBe("Request has expired");
    expect(xmlValue(text, "X-Amz-Expires")).toBe("1");
    expect(xmlValue(text, "Expires")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(xmlValue(text, "ServerTime")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("a tampered URL is SignatureDoesNotMatch; X-Amz-Expires past 7 days is refused", async () => {
    const b = await bucketWith("tamper");
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "dir/other.txt", Body: "other" }));
    const u = await getSignedUrl(s3(root), new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }), { expiresIn: 60 });
    const otherKey = u.replace("/dir/file.txt?", "/dir/other.txt?");
    const r1 = await fetch(otherKey);
    expect(r1.status).toBe(403);
    expect(xmlValue(await r1.text(), "Code")).toBe("SignatureDoesNotMatch");
    const sig = new URL(u).searchParams.get("X-Amz-Signature")!;
    const r2 = await fetch(u.replace(sig, `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`));
    expect(r2.status).toBe(403);
    expect(xmlValue(await r2.text(), "Code")).toBe("SignatureDoesNotMatch");
    const week = new URL(u);
    week.searchParams.set("X-Amz-Expires", "604801");
    const r3 = await fetch(week);
    expect(r3.status).toBe(400);
    const t3 = await r3.text();
    expect(xmlValue(t3, "Code")).toBe("AuthorizationQueryParametersError");
    expect(xmlValue(t3, "Message")).toBe("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  });

  it("temporary credentials presign too (X-Amz-Security-Token in the URL)", async () => {
    const b = await bucketWith("temp");
    await iam(root).send(new CreateUserCommand({ UserName: "presigner" }));
    await iam(root).send(
      new PutUserPolicyCommand({
        UserName: "presigner",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` }],
        }),
      }),
    );
    const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: "presigner" }));
    const user = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
    const session = (await sts(user).send(new GetSessionTokenCommand({}))).Credentials!;
    const temp = { accessKeyId: session.AccessKeyId!, secretAccessKey: session.SecretAccessKey!, sessionToken: session.SessionToken! };
    const u = await getSignedUrl(s3(temp), new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }), { expiresIn: 60 });
    expect(new URL(u).searchParams.get("X-Amz-Security-Token")).toBe(session.SessionToken);
    const res = await fetch(u);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello presigned");
  });
});

describe("condition keys of a presigned request", () => {
  it("a bucket policy denying s3:authType REST-QUERY-STRING blocks presigned URLs, not signed requests", async () => {
    const b = await bucketWith("authtype");
    await s3(root).send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Deny",
              Principal: "*",
              Action: "s3:GetObject",
              Resource: `arn:aws:s3:::${b}/*`,
              Condition: { StringEquals: { "s3:authType": "REST-QUERY-STRING" } },
            },
          ],
        }),
      }),
    );
    const got = await s3(root).send(new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello presigned");
    const u = await getSignedUrl(s3(root), new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }), { expiresIn: 60 });
    const res = await fetch(u);
    expect(res.status).toBe(403);
    expect(xmlValue(await res.text(), "Code")).toBe("AccessDenied");
  });

  it("s3:signatureAge counts milliseconds since X-Amz-Date", async () => {
    const b = await bucketWith("age");
    await s3(root).send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Deny",
              Principal: "*",
              Action: "s3:GetObject",
              Resource: `arn:aws:s3:::${b}/*`,
              Condition: { NumericGreaterThan: { "s3:signatureAge": "1500" } },
            },
          ],
        }),
      }),
    );
    const u = await getSignedUrl(s3(root), new GetObjectCommand({ Bucket: b, Key: "dir/file.txt" }), { expiresIn: 60 });
    expect((await fetch(u)).status).toBe(200);
    await sleep(2100);
    expect((await fetch(u)).status).toBe(403);
  });
});

/** Debian's AWS CLI v2 (2.9) next to the v1 on PATH (../shared/WIRE.md). */
const cliV2 = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;

async function presignWith(bin: string, creds: Creds, target: string, config = "/dev/null"): Promise<string> {
  const { stdout } = await promisify(execFile)(bin, ["s3", "presign", target, "--expires-in", "120", "--endpoint-url", url()], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_PAGER: "",
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  });
  return stdout.trim();
}

describe.skipIf(!hasAwsCli)("aws s3 presign", () => {
  it.skipIf(!cliV2)("CLI v2: the URL works with a plain fetch", async () => {
    const b = await bucketWith("cliv2");
    const u = await presignWith(cliV2!, root, `s3://${b}/dir/file.txt`);
    expect(new URL(u).searchParams.get("X-Amz-Expires")).toBe("120");
    const res = await fetch(u);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello presigned");
  });

  it("CLI v1 with s3 signature_version = s3v4 works; its default SigV2 URL is refused as S3 refuses it", async () => {
    const b = await bucketWith("cliv1");
    const dir = await mkdtemp(path.join(tmpdir(), "iamlab-presign-"));
    const config = path.join(dir, "config");
    await writeFile(config, "[default]\ns3 =\n    signature_version = s3v4\n");
    const v4 = await presignWith("aws", root, `s3://${b}/dir/file.txt`, config);
    const ok = await fetch(v4);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("hello presigned");
    const v2 = await presignWith("aws", root, `s3://${b}/dir/file.txt`);
    if (new URL(v2).searchParams.has("AWSAccessKeyId")) {
      const res = await fetch(v2);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(xmlValue(text, "Code")).toBe("InvalidRequest");
      expect(xmlValue(text, "Message")).toBe(
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
      );
    }
  });
});
