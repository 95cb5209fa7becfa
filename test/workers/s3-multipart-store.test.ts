/**
 * S3 multipart storage inside workerd (issue 15): parts recorded only while their upload exists,
 * completion atomic (object row in, upload and parts out, in one transaction; nothing written for an
 * upload gone meanwhile), abort scoped to the upload's bucket and key, a deleted bucket's uploads
 * dropped, and an account's deletion taking its upload and part rows.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount, deleteAccount } from "../../src/store/accounts";
import { createBucket, deleteBucket } from "../../src/store/s3-buckets";
import { getBucketAndObject, type ObjectRow } from "../../src/store/s3-objects";
import {
  abortUpload,
  completeUpload,
  createUpload,
  dropBucketUploads,
  getUpload,
  listPartRows,
  listUploadRows,
  putPartRow,
  type UploadRow,
} from "../../src/store/s3-multipart";

const ACCOUNT = "730000000001";
const upload = (bucket: string, key: string, uploadId: string): UploadRow => ({
  uploadId,
  bucket,
  key,
  accountId: ACCOUNT,
  tags: {},
  initiated: "2026-01-01T00:00:00.000Z",
  initiatorArn: "arn:aws:iam::730000000001:user/u",
  initiatorName: "u",
  contentType: "text/plain",
  headers: {},
  metadata: { a: "1" },
});
const part = (uploadId: string, partNumber: number, r2Key: string) => ({
  uploadId,
  partNumber,
  accountId: ACCOUNT,
  r2Key,
  size: 5,
  etag: '"e"',
  lastModified: "2026-01-01T00:00:00.000Z",
});
const object = (bucket: string, key: string, r2Key: string): ObjectRow => ({
  bucket,
  key,
  accountId: ACCOUNT,
  r2Key,
  size: 10,
  etag: '"m-2"',
  lastModified: "2026-01-01T00:00:00.000Z",
  contentType: "text/plain",
  headers: {},
  metadata: {},
});

describe("S3 multipart store", () => {
  it("parts need their upload; Complete swaps the object in and drops the upload atomically, once", async () => {
    const db = getDb(env.DB);
    await createAccount(db, ACCOUNT, null, Date.now());
    const b = { name: "mpu-store", accountId: ACCOUNT, region: "us-east-1", createDate: "2026-01-01T00:00:00.000Z" };
    await createBucket(db, b);
    expect(await createUpload(db, upload(b.name, "k", "000000000001a"))).toBe(true);
    expect(await createUpload(db, upload("no-such-bucket", "k", "000000000001b"))).toBe(false);
    expect(await putPartRow(db, part("000000000001a", 1, "p1"))).toEqual({ written: true });
    expect(await putPartRow(db, part("000000000001a", 1, "p1b"))).toEqual({ written: true, replaced: "p1" });
    expect(await putPartRow(db, part("000000000001a", 2, "p2"))).toEqual({ written: true });
    expect(await putPartRow(db, part("nope", 1, "px"))).toEqual({ written: false });
    expect((await listPartRows(db, "000000000001a", 0, 10)).map((p) => [p.partNumber, p.r2Key])).toEqual([
      [1, "p1b"],
      [2, "p2"],
    ]);
    expect(await getUpload(db, b.name, "other-key", "000000000001a")).toBeUndefined();
    const done = await completeUpload(db, "000000000001a", object(b.name, "k", "obj"));
    expect(done).toEqual({ completed: true, partBodies: expect.arrayContaining(["p1b", "p2"]) });
    expect((await getBucketAndObject(db, b.name, "k")).object?.r2Key).toBe("obj");
    // Again: the upload is gone, nothing is written (the object keeps its body).
    expect(await completeUpload(db, "000000000001a", object(b.name, "k", "obj2"))).toEqual({ completed: false, partBodies: [] });
    expect((await getBucketAndObject(db, b.name, "k")).object?.r2Key).toBe("obj");
    expect(await getUpload(db, b.name, "k", "000000000001a")).toBeUndefined();
  });

  it("abort is scoped to bucket and key; a deleted bucket's uploads go; so do an account's rows", async () => {
    const db = getDb(env.DB);
    await createAccount(db, ACCOUNT, null, Date.now());
    const b = { name: "mpu-store-2", accountId: ACCOUNT, region: "us-east-1", createDate: "2026-01-01T00:00:00.000Z" };
    await createBucket(db, b);
    await createUpload(db, upload(b.name, "a", "000000000002a"));
    await putPartRow(db, part("000000000002a", 1, "pa"));
    expect(await abortUpload(db, b.name, "other", "000000000002a")).toBeUndefined();
    expect(await abortUpload(db, b.name, "a", "000000000002a")).toEqual(["pa"]);
    expect(await abortUpload(db, b.name, "a", "000000000002a")).toBeUndefined();

    await createUpload(db, upload(b.name, "b", "000000000002b"));
    await putPartRow(db, part("000000000002b", 1, "pb"));
    // Not while the bucket exists.
    expect(await dropBucketUploads(db, b.name)).toEqual([]);
    expect(await deleteBucket(db, b.name, ACCOUNT)).toBe("deleted");
    expect(await dropBucketUploads(db, b.name)).toEqual(["pb"]);
    expect(await listUploadRows(db, b.name, { prefix: "", afterKey: "", afterUploadId: "", limit: 10 })).toEqual([]);

    await createBucket(db, b);
    await createUpload(db, upload(b.name, "c", "000000000002c"));
    await putPartRow(db, part("000000000002c", 1, "pc"));
    expect(await deleteAccount(db, ACCOUNT)).toBe(true);
    expect(await listPartRows(db, "000000000002c", 0, 10)).toEqual([]);
    expect(await getUpload(db, b.name, "c", "000000000002c")).toBeUndefined();
  });
});
