/**
 * S3 small-object bodies inline in D1 (issue 15's benchmark): every object path with a body at or
 * under src/services/s3/body-storage.ts INLINE_MAX_BYTES (in the row) and over it (in R2), through
 * @aws-sdk/client-s3 — overwrites across the two forms, copies between them, ranges and
 * conditions on an inline body, multipart objects replacing inline ones and back, listings,
 * tagging, deletes. The client cannot see where a body lives; it sees that nothing mixes up.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  CopyObjectCommand,
  ListObjectsV2Command,
  PutObjectTaggingCommand,
  GetObjectTaggingCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  CompleteMultipartUploadCommand,
} from "@aws-sdk/client-s3";
import { accountCreds, adminFetch, createAccount, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { INLINE_MAX_BYTES } from "../../src/services/s3/body-storage";

const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

const md5hex = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
/** Deterministic bytes that differ per seed. */
const bytes = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff));
const SMALL = 1000;
const LARGE = 64 * 1024;

let c: S3Client;
let root: Creds;
let bucket: string;
let n = 0;

async function body(Key: string, Range?: string): Promise<Buffer> {
  const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key, ...(Range ? { Range } : {}) }));
  return Buffer.from(await got.Body!.transformToByteArray());
}
async function put(Key: string, b: Uint8Array): Promise<string> {
  return (await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body: b }))).ETag!;
}
/** The object's body, length and ETag as GET and HEAD answer them all agree with `b`. */
async function expectObject(Key: string, b: Uint8Array): Promise<void> {
  expect((await body(Key)).equals(Buffer.from(b))).toBe(true);
  const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key }));
  expect(head.ContentLength).toBe(b.length);
}

beforeAll(async () => {
  root = accountCreds(await createAccount());
  c = s3(root);
  bucket = `i${Date.now().toString(36)}-inline`;
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
});

describe("small bodies inline, large ones in R2", () => {
  it("PutObject / GetObject / HeadObject of both sizes, the bounds around the threshold, and an empty body", async () => {
    for (const size of [0, 1, SMALL, INLINE_MAX_BYTES - 1, INLINE_MAX_BYTES, INLINE_MAX_BYTES + 1, LARGE]) {
      const b = bytes(size, size);
      const Key = `sizes/${size}`;
      expect(await put(Key, b)).toBe(`"${md5hex(b)}"`);
      await expectObject(Key, b);
      const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      expect(head.ETag).toBe(`"${md5hex(b)}"`);
    }
  });

  it("keeps metadata, content type and system headers with an inline body", async () => {
    const b = bytes(SMALL, 3);
    await c.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "meta",
        Body: b,
        ContentType: "application/json",
        CacheControl: "max-age=60",
        Metadata: { who: "me" },
      }),
    );
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "meta" }));
    expect(got.ContentType).toBe("application/json");
    expect(got.CacheControl).toBe("max-age=60");
    expect(got.Metadata).toEqual({ who: "me" });
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(b)).toBe(true);
  });

  it("answers ranges of an inline body like ranges of an R2 one (and InvalidRange past the end)", async () => {
    for (const [Key, b] of [
      ["range/small", bytes(SMALL, 4)],
      ["range/large", bytes(LARGE, 5)],
    ] as const) {
      await put(Key, b);
      const r = await c.send(new GetObjectCommand({ Bucket: bucket, Key, Range: "bytes=10-19" }));
      expect(r.ContentRange).toBe(`bytes 10-19/${b.length}`);
      expect(r.ContentLength).toBe(10);
      expect(Buffer.from(await r.Body!.transformToByteArray()).equals(b.subarray(10, 20))).toBe(true);
      expect((await body(Key, "bytes=-5")).equals(b.subarray(b.length - 5))).toBe(true);
      expect((await body(Key, `bytes=${b.length - 3}-`)).equals(b.subarray(b.length - 3))).toBe(true);
      expect((await body(Key, `bytes=0-${b.length + 100}`)).equals(b)).toBe(true);
      await expectAwsError(c.send(new GetObjectCommand({ Bucket: bucket, Key, Range: `bytes=${b.length}-` })), "InvalidRange", 416);
    }
  });

  it("applies conditional headers to an inline object", async () => {
    const b = bytes(SMALL, 6);
    const etag = await put("cond", b);
    // The SDK names a bodiless 304 "Unknown".
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: etag })), "Unknown", 304);
    await expectAwsError(c.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: etag })), "Unknown", 304);
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: '"0000"' })), "PreconditionFailed", 412);
    const ok = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: etag }));
    expect(Buffer.from(await ok.Body!.transformToByteArray()).equals(b)).toBe(true);
    await expectAwsError(
      c.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: bytes(10, 1), IfNoneMatch: "*" })),
      "PreconditionFailed",
      412,
    );
  });

  it("overwrites a small object by a large one and back, never answering a stale body", async () => {
    const seq = [bytes(SMALL, 7), bytes(LARGE, 8), bytes(SMALL + 5, 9), bytes(LARGE + 1, 10), bytes(0, 0)];
    for (const b of seq) {
      await put("flip", b);
      await expectObject("flip", b);
    }
  });

  it("copies between the forms: inline to inline, R2 to R2, onto existing objects of the other form, onto itself", async () => {
    const small = bytes(SMALL, 11);
    const large = bytes(LARGE, 12);
    await put("copy/src-small", small);
    await put("copy/src-large", large);
    await put("copy/dst-was-large", bytes(LARGE, 13));
    await put("copy/dst-was-small", bytes(SMALL, 14));
    const copy = (from: string, Key: string) =>
      c.send(new CopyObjectCommand({ Bucket: bucket, Key, CopySource: `${bucket}/${from}` })).then((r) => r.CopyObjectResult!.ETag);
    expect(await copy("copy/src-small", "copy/new-small")).toBe(`"${md5hex(small)}"`);
    expect(await copy("copy/src-large", "copy/new-large")).toBe(`"${md5hex(large)}"`);
    await copy("copy/src-small", "copy/dst-was-large");
    await copy("copy/src-large", "copy/dst-was-small");
    await expectObject("copy/new-small", small);
    await expectObject("copy/new-large", large);
    await expectObject("copy/dst-was-large", small);
    await expectObject("copy/dst-was-small", large);
    // The source is untouched; a REPLACE copy onto itself keeps the inline body.
    await expectObject("copy/src-small", small);
    await c.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: "copy/src-small",
        CopySource: `${bucket}/copy/src-small`,
        MetadataDirective: "REPLACE",
        Metadata: { v: "2" },
      }),
    );
    await expectObject("copy/src-small", small);
    expect((await c.send(new HeadObjectCommand({ Bucket: bucket, Key: "copy/src-small" }))).Metadata).toEqual({ v: "2" });
    // Overwriting a copied-from inline source does not change the copy.
    await put("copy/src-small", bytes(SMALL, 15));
    await expectObject("copy/new-small", small);
  });

  it("a multipart object replaces an inline one (and an inline one replaces it); UploadPartCopy reads an inline source", async () => {
    const small = bytes(SMALL, 16);
    await put("mpu/key", small);
    const upload = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mpu/key" }));
    const UploadId = upload.UploadId!;
    // The only (so last) part may be small: a copy of a 10-byte range of the inline object, then a 2 KB part.
    const p1 = await c.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: "mpu/key",
        UploadId,
        PartNumber: 1,
        CopySource: `${bucket}/mpu/key`,
        CopySourceRange: "bytes=5-14",
      }),
    );
    expect(p1.CopyPartResult!.ETag).toBe(`"${md5hex(small.subarray(5, 15))}"`);
    // Still the inline body before Complete.
    await expectObject("mpu/key", small);
    const done = await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: "mpu/key",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag! }] },
      }),
    );
    expect(done.ETag).toMatch(/-1"$/);
    await expectObject("mpu/key", small.subarray(5, 15));
    expect((await body("mpu/key", "bytes=2-4")).equals(small.subarray(7, 10))).toBe(true);
    // And back: a small PutObject replaces the multipart object.
    const again = bytes(SMALL, 17);
    await put("mpu/key", again);
    await expectObject("mpu/key", again);
    // A whole-object copy of an inline source as a part, completed onto a new key.
    const up2 = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mpu/other" }));
    const cp = await c.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: "mpu/other",
        UploadId: up2.UploadId!,
        PartNumber: 1,
        CopySource: `${bucket}/mpu/key`,
      }),
    );
    expect(cp.CopyPartResult!.ETag).toBe(`"${md5hex(again)}"`);
    const part2 = bytes(2048, 18);
    const e2 = await c.send(
      new UploadPartCommand({ Bucket: bucket, Key: "mpu/other", UploadId: up2.UploadId!, PartNumber: 2, Body: part2 }),
    );
    await expectAwsError(
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: "mpu/other",
          UploadId: up2.UploadId!,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: cp.CopyPartResult!.ETag! },
              { PartNumber: 2, ETag: e2.ETag! },
            ],
          },
        }),
      ),
      "EntityTooSmall",
      400,
    );
  });

  it("tagging an inline object keeps its body; GET counts the tags", async () => {
    const b = bytes(SMALL, 19);
    await put("tagged", b);
    await c.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "tagged", Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: "tagged" }));
    expect(got.TagCount).toBe(1);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(b)).toBe(true);
    expect((await c.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged" }))).TagSet).toEqual([{ Key: "k", Value: "v" }]);
  });

  it("lists both forms with their sizes and ETags", async () => {
    const small = bytes(SMALL, 20);
    const large = bytes(LARGE, 21);
    await put("list/a-small", small);
    await put("list/b-large", large);
    const listed = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/" }));
    expect(listed.Contents!.map((o) => [o.Key, o.Size, o.ETag])).toEqual([
      ["list/a-small", small.length, `"${md5hex(small)}"`],
      ["list/b-large", large.length, `"${md5hex(large)}"`],
    ]);
  });

  it("DeleteObject and DeleteObjects remove both forms; the bucket can then be deleted", async () => {
    const b2 = `i${Date.now().toString(36)}-${(n++).toString(36)}-del`;
    await c.send(new CreateBucketCommand({ Bucket: b2 }));
    for (const [Key, size] of [
      ["s1", SMALL],
      ["l1", LARGE],
      ["s2", 10],
      ["l2", LARGE],
    ] as const)
      await c.send(new PutObjectCommand({ Bucket: b2, Key, Body: bytes(size, 1) }));
    await c.send(new DeleteObjectCommand({ Bucket: b2, Key: "s1" }));
    await c.send(new DeleteObjectCommand({ Bucket: b2, Key: "l1" }));
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: b2, Key: "s1" })), "NoSuchKey", 404);
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: b2, Key: "l1" })), "NoSuchKey", 404);
    const del = await c.send(new DeleteObjectsCommand({ Bucket: b2, Delete: { Objects: [{ Key: "s2" }, { Key: "l2" }] } }));
    expect(del.Deleted!.map((d) => d.Key).sort()).toEqual(["l2", "s2"]);
    expect((await c.send(new ListObjectsV2Command({ Bucket: b2 }))).KeyCount).toBe(0);
    await c.send(new DeleteBucketCommand({ Bucket: b2 }));
  });

  it("an account reset and an account deletion take inline objects with them", async () => {
    const acct = await createAccount();
    const mine = s3(accountCreds(acct));
    const b2 = `i${Date.now().toString(36)}-${(n++).toString(36)}-acct`;
    await mine.send(new CreateBucketCommand({ Bucket: b2 }));
    await mine.send(new PutObjectCommand({ Bucket: b2, Key: "small", Body: bytes(SMALL, 1) }));
    await mine.send(new PutObjectCommand({ Bucket: b2, Key: "large", Body: bytes(LARGE, 1) }));
    expect((await adminFetch(`/accounts/${acct.accountId}/reset`, { method: "POST" })).status).toBe(200);
    // The bucket went with the reset: the name is free, and another account finds it empty.
    await c.send(new CreateBucketCommand({ Bucket: b2 }));
    expect((await c.send(new ListObjectsV2Command({ Bucket: b2 }))).KeyCount).toBe(0);
    await c.send(new PutObjectCommand({ Bucket: b2, Key: "small", Body: bytes(SMALL, 2) }));
    await expectAwsError(c.send(new GetObjectCommand({ Bucket: b2, Key: "large" })), "NoSuchKey", 404);
    expect((await adminFetch(`/accounts/${acct.accountId}`, { method: "DELETE" })).status).toBe(200);
    await c.send(new DeleteObjectCommand({ Bucket: b2, Key: "small" }));
    await c.send(new DeleteBucketCommand({ Bucket: b2 }));
  });
});
