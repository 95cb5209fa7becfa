/**
 * S3 object metadata (D1 table `s3_objects`); the bodies are R2 objects named by `r2_key`. Every
 * write gets a fresh R2 key, so the metadata row always names a complete body: a PutObject writes
 * its body first, then swaps the row and hands back the body it replaced (to delete from R2).
 * Keys are compared in UTF-8 byte order (SQLite's BINARY collation over UTF-8 text), S3's order.
 */
import type { Db } from "./db";
import type { BucketRow } from "./s3-buckets";

export interface ObjectRow {
  bucket: string;
  key: string;
  /** the bucket owner's account */
  accountId: string;
  r2Key: string;
  size: number;
  /** quoted hex MD5, as S3 sends it */
  etag: string;
  /** ISO 8601, whole seconds */
  lastModified: string;
  contentType: string;
  /** stored system metadata: CacheControl, ContentDisposition, ContentEncoding, ContentLanguage, Expires */
  headers: Record<string, string>;
  /** user metadata (x-amz-meta-*), lower-case names */
  metadata: Record<string, string>;
}

interface RawObject {
  bucket: string;
  object_key: string;
  account_id: string;
  r2_key: string;
  size: number;
  etag: string;
  last_modified: string;
  content_type: string;
  headers: string;
  metadata: string;
}

const COLUMNS = "o.bucket, o.object_key, o.account_id, o.r2_key, o.size, o.etag, o.last_modified, o.content_type, o.headers, o.metadata";

function parseJson(s: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const objectOf = (r: RawObject): ObjectRow => ({
  bucket: r.bucket,
  key: r.object_key,
  accountId: r.account_id,
  r2Key: r.r2_key,
  size: r.size,
  etag: r.etag,
  lastModified: r.last_modified,
  contentType: r.content_type,
  headers: parseJson(r.headers),
  metadata: parseJson(r.metadata),
});

/** The bucket and (when `key` is given) its object, in one query. */
export async function getBucketAndObject(db: Db, bucket: string, key: string): Promise<{ bucket?: BucketRow; object?: ObjectRow }> {
  const r = await db.$client
    .prepare(`SELECT b.name AS b_name, b.account_id AS b_account, b.region AS b_region, b.create_date AS b_created, b.policy AS b_policy, ${COLUMNS}
      FROM s3_buckets b LEFT JOIN s3_objects o ON o.bucket = b.name AND o.object_key = ? WHERE b.name = ?`)
    .bind(key, bucket)
    .first<RawObject & { b_name: string; b_account: string; b_region: string; b_created: string; b_policy: string | null }>();
  if (!r) return {};
  const b: BucketRow = { name: r.b_name, accountId: r.b_account, region: r.b_region, createDate: r.b_created };
  if (typeof r.b_policy === "string") b.policy = r.b_policy;
  return r.object_key === null || r.object_key === undefined ? { bucket: b } : { bucket: b, object: objectOf(r) };
}

/**
 * Writes an object's row if its bucket still belongs to `accountId`. Answers false when the bucket
 * is gone, else the R2 key of the body it replaced (if any).
 */
export async function putObjectRow(db: Db, o: ObjectRow): Promise<{ written: false } | { written: true; replaced?: string }> {
  const d1 = db.$client;
  const [old, ins] = await d1.batch<{ r2_key?: string; bucket?: string }>([
    d1.prepare("SELECT r2_key FROM s3_objects WHERE bucket = ? AND object_key = ?").bind(o.bucket, o.key),
    d1
      .prepare(`INSERT INTO s3_objects (bucket, object_key, account_id, r2_key, size, etag, last_modified, content_type, headers, metadata)
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM s3_buckets WHERE name = ? AND account_id = ?)
        ON CONFLICT (bucket, object_key) DO UPDATE SET r2_key = excluded.r2_key, size = excluded.size, etag = excluded.etag,
          last_modified = excluded.last_modified, content_type = excluded.content_type, headers = excluded.headers, metadata = excluded.metadata
        RETURNING bucket`)
      .bind(
        o.bucket,
        o.key,
        o.accountId,
        o.r2Key,
        o.size,
        o.etag,
        o.lastModified,
        o.contentType,
        JSON.stringify(o.headers),
        JSON.stringify(o.metadata),
        o.bucket,
        o.accountId,
      ),
  ]);
  if (!ins?.results.length) return { written: false };
  const replaced = old?.results[0]?.r2_key;
  return replaced ? { written: true, replaced } : { written: true };
}

/** D1 binds at most 100 parameters per statement. */
const KEYS_PER_STATEMENT = 90;

/** Deletes objects by key; answers the R2 keys of the bodies removed. */
export async function deleteObjectRows(db: Db, bucket: string, keys: readonly string[]): Promise<string[]> {
  if (!keys.length) return [];
  const d1 = db.$client;
  const stmts: D1PreparedStatement[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
    const part = keys.slice(i, i + KEYS_PER_STATEMENT);
    stmts.push(
      d1
        .prepare(`DELETE FROM s3_objects WHERE bucket = ? AND object_key IN (${part.map(() => "?").join(",")}) RETURNING r2_key`)
        .bind(bucket, ...part),
    );
  }
  const rs = await d1.batch<{ r2_key: string }>(stmts);
  return rs.flatMap((r) => r.results.map((x) => x.r2_key));
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
}

/**
 * Up to `limit` objects of a bucket in key order, after `after` (exclusive), with keys starting with
 * `prefix`. A key past `prefix` + U+10FFFF U+10FFFF (the top of UTF-8's order) is never listed: no
 * real key has that.
 */
export async function listObjectRows(
  db: Db,
  bucket: string,
  opts: { prefix: string; after: string; limit: number },
): Promise<ListedObject[]> {
  const upper = `${opts.prefix}\u{10FFFF}\u{10FFFF}`;
  const rs = await db.$client
    .prepare(`SELECT object_key, size, etag, last_modified FROM s3_objects
      WHERE bucket = ? AND object_key > ? AND object_key >= ? AND object_key < ? ORDER BY object_key LIMIT ?`)
    .bind(bucket, opts.after, opts.prefix, upper, opts.limit)
    .all<{ object_key: string; size: number; etag: string; last_modified: string }>();
  return rs.results.map((r) => ({ key: r.object_key, size: r.size, etag: r.etag, lastModified: r.last_modified }));
}

/**
 * Deletes every object body of an account's buckets from R2 (`<account>/…`), after its D1 rows went
 * with the account. Pages through R2's listing, 1,000 keys per delete.
 */
export async function deleteAccountBodies(r2: R2Bucket, accountId: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await r2.list({ prefix: `${accountId}/`, limit: 1000, ...(cursor ? { cursor } : {}) });
    const keys = page.objects.map((o) => o.key);
    if (keys.length) await r2.delete(keys);
    deleted += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}
