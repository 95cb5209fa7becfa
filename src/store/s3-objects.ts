/**
 * S3 object metadata (D1 table `s3_objects`); the bodies are R2 objects named by `r2_key`, or small
 * ones inline in the row's `body` (r2_key '': src/services/s3/body-storage.ts decides). Every R2
 * write gets a fresh key, so the metadata row always names a complete body: a PutObject writes its
 * body first, then swaps the row and hands back the R2 body it replaced (to delete from R2).
 * Keys are compared in UTF-8 byte order (SQLite's BINARY collation over UTF-8 text), S3's order.
 * In the store's one dialect (src/store/db.ts): drizzle `sql` templates over the schema's tables.
 * S3 writes are effect `none`, so they are single statements or plain `d1.batch`es (no writeBatch).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { s3Buckets, s3Objects } from "./schema";
import { bucketOf, tagsOf, type BucketRow } from "./s3-buckets";
import { bytesOf } from "../lib/encoding";

export interface ObjectRow {
  bucket: string;
  key: string;
  /** the bucket owner's account */
  accountId: string;
  /** the body's R2 key; '' when the body is `inline` */
  r2Key: string;
  /** the body itself when stored in the row (small objects) */
  inline?: Uint8Array;
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
  /** the object's tags (absent or empty when none) */
  tags?: Record<string, string>;
}

/** An object's row as D1 answers it: `headers` and `metadata` JSON text. */
type RawObject = Row<typeof s3Objects>;

function parseJson(s: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** A BLOB as D1 answers it: an ArrayBuffer, or an array of byte values (older D1). */
const objectOf = (r: RawObject): ObjectRow => ({
  ...(r.r2Key === "" ? { inline: bytesOf(r.body) ?? new Uint8Array(0) } : {}),
  bucket: r.bucket,
  key: r.objectKey,
  accountId: r.accountId,
  r2Key: r.r2Key,
  size: r.size,
  etag: r.etag,
  lastModified: r.lastModified,
  contentType: r.contentType,
  headers: parseJson(r.headers),
  metadata: parseJson(r.metadata),
  tags: tagsOf(r.tags) ?? {},
});

/**
 * The bucket's columns and its object's under their schema keys, but the object's account_id and
 * tags (the bucket has both too) as `objectAccountId` and `objectTags`.
 */
const BUCKET_AND_OBJECT = sql`${selectList(s3Buckets)}, ${selectList(s3Objects, ["accountId", "tags"])}, ${s3Objects.accountId} AS ${sql.identifier("objectAccountId")}, ${s3Objects.tags} AS ${sql.identifier("objectTags")}`;

/** The bucket and (when `key` is given) its object, in one query. */
export async function getBucketAndObject(db: Db, bucket: string, key: string): Promise<{ bucket?: BucketRow; object?: ObjectRow }> {
  const b = s3Buckets;
  const o = s3Objects;
  const r = await first<
    Row<typeof s3Buckets> &
      Omit<RawObject, "accountId" | "objectKey" | "tags"> & { objectKey: string | null; objectAccountId: string; objectTags: string }
  >(
    db,
    sql`SELECT ${BUCKET_AND_OBJECT}
      FROM ${b} LEFT JOIN ${o} ON ${o.bucket} = ${b.name} AND ${o.objectKey} = ${key} WHERE ${b.name} = ${bucket}`,
  );
  if (!r) return {};
  const found = bucketOf(r);
  return r.objectKey === null || r.objectKey === undefined
    ? { bucket: found }
    : { bucket: found, object: objectOf({ ...r, objectKey: r.objectKey, accountId: r.objectAccountId, tags: r.objectTags }) };
}

/**
 * Writes an object's row if its bucket still belongs to `accountId`. Answers false when the bucket
 * is gone, else the R2 key of the body it replaced (if it was in R2).
 */
export async function putObjectRow(db: Db, o: ObjectRow): Promise<{ written: false } | { written: true; replaced?: string }> {
  const t = s3Objects;
  const b = s3Buckets;
  const [old, ins] = await db.$client.batch<{ r2Key?: string; bucket?: string }>([
    statement(
      db,
      sql`SELECT ${t.r2Key} AS ${sql.identifier("r2Key")} FROM ${t} WHERE ${t.bucket} = ${o.bucket} AND ${t.objectKey} = ${o.key}`,
    ),
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.bucket)}, ${bare(t.objectKey)}, ${bare(t.accountId)}, ${bare(t.r2Key)}, ${bare(t.size)}, ${bare(t.etag)},
          ${bare(t.lastModified)}, ${bare(t.contentType)}, ${bare(t.headers)}, ${bare(t.metadata)}, ${bare(t.tags)}, ${bare(t.body)})
        SELECT ${o.bucket}, ${o.key}, ${o.accountId}, ${o.r2Key}, ${o.size}, ${o.etag}, ${o.lastModified}, ${o.contentType},
          ${JSON.stringify(o.headers)}, ${JSON.stringify(o.metadata)}, ${JSON.stringify(o.tags ?? {})}, ${o.inline ?? null}
        WHERE EXISTS (SELECT 1 FROM ${b} WHERE ${b.name} = ${o.bucket} AND ${b.accountId} = ${o.accountId})
        ON CONFLICT (${bare(t.bucket)}, ${bare(t.objectKey)}) DO UPDATE SET ${bare(t.r2Key)} = excluded.${bare(t.r2Key)},
          ${bare(t.size)} = excluded.${bare(t.size)}, ${bare(t.etag)} = excluded.${bare(t.etag)},
          ${bare(t.lastModified)} = excluded.${bare(t.lastModified)}, ${bare(t.contentType)} = excluded.${bare(t.contentType)},
          ${bare(t.headers)} = excluded.${bare(t.headers)}, ${bare(t.metadata)} = excluded.${bare(t.metadata)},
          ${bare(t.tags)} = excluded.${bare(t.tags)}, ${bare(t.body)} = excluded.${bare(t.body)}
        RETURNING ${bare(t.bucket)}`,
    ),
  ]);
  if (!ins?.results.length) return { written: false };
  const replaced = old?.results[0]?.r2Key;
  return replaced ? { written: true, replaced } : { written: true };
}

/** Replaces an object's tag set (`{}` removes them all). False when the object does not exist. */
export async function setObjectTags(db: Db, bucket: string, key: string, tags: Record<string, string>): Promise<boolean> {
  const t = s3Objects;
  const r = await all(
    db,
    sql`UPDATE ${t} SET ${bare(t.tags)} = ${JSON.stringify(tags)} WHERE ${t.bucket} = ${bucket} AND ${t.objectKey} = ${key} RETURNING ${bare(t.bucket)}`,
  );
  return r.length > 0;
}

/** D1 binds at most 100 parameters per statement. */
const KEYS_PER_STATEMENT = 90;

/** Deletes objects by key; answers the R2 keys of the bodies removed (inline ones went with their rows). */
export async function deleteObjectRows(db: Db, bucket: string, keys: readonly string[]): Promise<string[]> {
  if (!keys.length) return [];
  const t = s3Objects;
  const stmts: D1PreparedStatement[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
    const part = keys.slice(i, i + KEYS_PER_STATEMENT);
    const list = sql.join(
      part.map((k) => sql`${k}`),
      sql`, `,
    );
    stmts.push(
      statement(
        db,
        sql`DELETE FROM ${t} WHERE ${t.bucket} = ${bucket} AND ${t.objectKey} IN (${list}) RETURNING ${bare(t.r2Key)} AS ${sql.identifier("r2Key")}`,
      ),
    );
  }
  const rs = await db.$client.batch<{ r2Key: string }>(stmts);
  return rs.flatMap((r) => r.results.map((x) => x.r2Key)).filter((k) => k !== "");
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
}

/** The columns a listing reads: object_key, size, etag, last_modified (never an inline body). */
type ListedRaw = Row<typeof s3Objects, "bucket" | "accountId" | "r2Key" | "contentType" | "headers" | "metadata" | "tags" | "body">;
const LISTED = selectList(s3Objects, ["bucket", "accountId", "r2Key", "contentType", "headers", "metadata", "tags", "body"]);

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
  const t = s3Objects;
  const upper = `${opts.prefix}\u{10FFFF}\u{10FFFF}`;
  const rs = await all<ListedRaw>(
    db,
    sql`SELECT ${LISTED} FROM ${t}
      WHERE ${t.bucket} = ${bucket} AND ${t.objectKey} > ${opts.after} AND ${t.objectKey} >= ${opts.prefix} AND ${t.objectKey} < ${upper}
      ORDER BY ${t.objectKey} LIMIT ${opts.limit}`,
  );
  return rs.map((r) => ({ key: r.objectKey, size: r.size, etag: r.etag, lastModified: r.lastModified }));
}

/**
 * Deletes every object body of an account's buckets from R2 (`<account>/…`), after its D1 rows (and
 * the inline bodies in them) went with the account. Pages through R2's listing, 1,000 keys per delete.
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
