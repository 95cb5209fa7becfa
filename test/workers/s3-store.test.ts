/**
 * S3 storage inside workerd (issue 15): bucket names global, object rows swapped atomically with the
 * body they replace, listings in UTF-8 byte order, and an account's deletion taking its buckets,
 * object rows and R2 bodies (only its own: another account's bodies stay).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount, deleteAccount } from "../../src/store/accounts";
import { createBucket, deleteBucket, getBucket, listBuckets } from "../../src/store/s3-buckets";
import { deleteObjectRows, getBucketAndObject, listObjectRows, putObjectRow, type ObjectRow } from "../../src/store/s3-objects";
import { forgetAccountState } from "../../src/admin/account-lifecycle";

const row = (account: string, bucket: string, key: string, r2Key: string): ObjectRow => ({
  bucket,
  key,
  accountId: account,
  r2Key,
  size: 1,
  etag: '"x"',
  lastModified: "2026-01-01T00:00:00.000Z",
  contentType: "text/plain",
  headers: {},
  metadata: { a: "1" },
});

describe("S3 store", () => {
  it("bucket names are global; a put swaps the row and names the body it replaced; delete needs an empty bucket", async () => {
    const db = getDb(env.DB);
    await createAccount(db, "720000000001", null, Date.now());
    await createAccount(db, "720000000002", null, Date.now());
    const b = { name: "store-global", accountId: "720000000001", region: "us-east-1", createDate: "2026-01-01T00:00:00.000Z" };
    expect(await createBucket(db, b)).toEqual({ created: true });
    expect(await createBucket(db, { ...b, accountId: "720000000002" })).toEqual({ created: false, owner: "720000000001" });
    expect((await getBucket(db, b.name))?.accountId).toBe("720000000001");
    expect(await putObjectRow(db, row(b.accountId, b.name, "k", "r2-1"))).toEqual({ written: true });
    expect(await putObjectRow(db, row(b.accountId, b.name, "k", "r2-2"))).toEqual({ written: true, replaced: "r2-1" });
    // Another account cannot write a row into the bucket (the row names the owner).
    expect(await putObjectRow(db, row("720000000002", b.name, "x", "r2-x"))).toEqual({ written: false });
    const got = await getBucketAndObject(db, b.name, "k");
    expect(got.object).toMatchObject({ key: "k", r2Key: "r2-2", metadata: { a: "1" } });
    expect((await getBucketAndObject(db, b.name, "none")).object).toBeUndefined();
    expect(await deleteBucket(db, b.name, b.accountId)).toBe("notEmpty");
    expect(await deleteObjectRows(db, b.name, ["k", "missing"])).toEqual(["r2-2"]);
    expect(await deleteBucket(db, b.name, "720000000002")).toBe("missing");
    expect(await deleteBucket(db, b.name, b.accountId)).toBe("deleted");
    expect(await listBuckets(db, b.accountId, { limit: 10 })).toEqual([]);
  });

  it("lists keys in UTF-8 byte order within a prefix, after a marker", async () => {
    const db = getDb(env.DB);
    await createAccount(db, "720000000003", null, Date.now());
    const b = { name: "store-order", accountId: "720000000003", region: "us-east-1", createDate: "2026-01-01T00:00:00.000Z" };
    await createBucket(db, b);
    const keys = ["a", "B", "é", "\u{1F600}", "a/b", "a0", "ab", "\uFFFD"];
    for (const k of keys) await putObjectRow(db, row(b.accountId, b.name, k, `r-${k}`));
    const all = (await listObjectRows(db, b.name, { prefix: "", after: "", limit: 100 })).map((o) => o.key);
    expect(all).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect((await listObjectRows(db, b.name, { prefix: "a", after: "a/b", limit: 100 })).map((o) => o.key)).toEqual(["a0", "ab"]);
    // More keys than one statement binds (D1: 100 parameters) are deleted in several.
    expect((await deleteObjectRows(db, b.name, [...keys, ...Array.from({ length: 150 }, (_, i) => `none-${i}`)])).length).toBe(keys.length);
  });

  it("deleting an account deletes its buckets, object rows and R2 bodies, and no one else's", async () => {
    const db = getDb(env.DB);
    const gone = "720000000004";
    const kept = "720000000005";
    for (const a of [gone, kept]) await createAccount(db, a, null, Date.now());
    await createBucket(db, { name: "store-gone", accountId: gone, region: "us-east-1", createDate: "2026-01-01T00:00:00.000Z" });
    await putObjectRow(db, row(gone, "store-gone", "k", `${gone}/store-gone/u1`));
    await env.OBJECTS.put(`${gone}/store-gone/u1`, "body");
    await env.OBJECTS.put(`${gone}/store-gone/u2`, "orphan");
    await env.OBJECTS.put(`${kept}/store-kept/u1`, "other tenant");
    expect(await deleteAccount(db, gone)).toBe(true);
    await forgetAccountState(env, gone);
    expect(await getBucket(db, "store-gone")).toBeUndefined();
    expect((await getBucketAndObject(db, "store-gone", "k")).bucket).toBeUndefined();
    expect(
      (await db.$client.prepare("SELECT count(*) AS n FROM s3_objects WHERE account_id = ?").bind(gone).first<{ n: number }>())?.n,
    ).toBe(0);
    expect((await env.OBJECTS.list({ prefix: `${gone}/` })).objects).toEqual([]);
    expect(await (await env.OBJECTS.get(`${kept}/store-kept/u1`))?.text()).toBe("other tenant");
  });
});
