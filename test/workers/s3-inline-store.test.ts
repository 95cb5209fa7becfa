/**
 * S3 inline bodies in the store (issue 15's benchmark): an inline body comes back with its row in
 * the one bucket-and-object query; swapping between an inline body and an R2 one names only R2
 * bodies to delete and never leaves a stale blob; a multipart completion clears the blob of the
 * object it replaces; listings read no blob; deleting rows names no R2 body for inline ones.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb, type Db } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { createBucket } from "../../src/store/s3-buckets";
import { deleteObjectRows, getBucketAndObject, listObjectRows, putObjectRow, type ObjectRow } from "../../src/store/s3-objects";
import { completeUpload, createUpload } from "../../src/store/s3-multipart";

const ACCOUNT = "740000000001";
const BUCKET = "store-inline";
const row = (key: string, stored: { r2Key: string; inline?: Uint8Array }): ObjectRow => ({
  bucket: BUCKET,
  key,
  accountId: ACCOUNT,
  ...stored,
  size: stored.inline?.length ?? 10_000,
  etag: '"x"',
  lastModified: "2026-01-01T00:00:00.000Z",
  contentType: "text/plain",
  headers: {},
  metadata: {},
});
/** The stored blob of a row, straight from D1 (null when the body is in R2). */
const blobOf = async (db: Db, key: string) =>
  (await db.$client.prepare("SELECT body FROM s3_objects WHERE bucket = ? AND object_key = ?").bind(BUCKET, key).first<{ body: unknown }>())
    ?.body;

describe("S3 inline bodies in the store", () => {
  it("round-trips an inline body, swaps forms without stale blobs or orphans, and lists no blob", async () => {
    const db = getDb(env.DB);
    await createAccount(db, ACCOUNT, null, Date.now());
    await createBucket(db, { name: BUCKET, accountId: ACCOUNT, region: "us-east-1", createDate: "2026-01-01T00:00:00.000Z" });
    const small = Uint8Array.from({ length: 300 }, (_, i) => (i * 13) & 0xff);
    expect(await putObjectRow(db, row("k", { r2Key: "", inline: small }))).toEqual({ written: true });
    const got = (await getBucketAndObject(db, BUCKET, "k")).object;
    expect(got?.r2Key).toBe("");
    expect(got?.inline && [...got.inline]).toEqual([...small]);
    // Inline → R2: nothing to delete (the old body was in the row), and the blob is gone.
    expect(await putObjectRow(db, row("k", { r2Key: "r2-1" }))).toEqual({ written: true });
    expect(await blobOf(db, "k")).toBeNull();
    expect((await getBucketAndObject(db, BUCKET, "k")).object?.inline).toBeUndefined();
    // R2 → inline: the R2 body is named for deletion.
    expect(await putObjectRow(db, row("k", { r2Key: "", inline: small }))).toEqual({ written: true, replaced: "r2-1" });
    // An empty inline body is inline too.
    await putObjectRow(db, row("empty", { r2Key: "", inline: new Uint8Array(0) }));
    expect((await getBucketAndObject(db, BUCKET, "empty")).object?.inline?.length).toBe(0);
    // A listing selects only the listed columns.
    const listed = await listObjectRows(db, BUCKET, { prefix: "", after: "", limit: 10 });
    expect(listed.map((o) => Object.keys(o).sort())).toEqual([
      ["etag", "key", "lastModified", "size"],
      ["etag", "key", "lastModified", "size"],
    ]);
    // Deleting inline rows names no R2 body.
    expect(await deleteObjectRows(db, BUCKET, ["empty"])).toEqual([]);
  });

  it("a multipart completion over an inline object clears its blob and names no R2 body", async () => {
    const db = getDb(env.DB);
    const small = Uint8Array.from([1, 2, 3]);
    await putObjectRow(db, row("mpu", { r2Key: "", inline: small }));
    await createUpload(db, {
      uploadId: "inline-upload",
      bucket: BUCKET,
      key: "mpu",
      accountId: ACCOUNT,
      tags: {},
      initiated: "2026-01-01T00:00:00.000Z",
      initiatorArn: `arn:aws:iam::${ACCOUNT}:root`,
      initiatorName: ACCOUNT,
      contentType: "text/plain",
      headers: {},
      metadata: {},
    });
    const done = await completeUpload(db, "inline-upload", row("mpu", { r2Key: "r2-mpu" }));
    expect(done).toEqual({ completed: true, partBodies: [] });
    expect(await blobOf(db, "mpu")).toBeNull();
    const o = (await getBucketAndObject(db, BUCKET, "mpu")).object;
    expect(o?.r2Key).toBe("r2-mpu");
    expect(o?.inline).toBeUndefined();
    expect(await deleteObjectRows(db, BUCKET, ["mpu", "k"])).toEqual(["r2-mpu"]);
  });
});
