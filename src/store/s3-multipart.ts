/**
 * S3 multipart uploads (D1 tables `s3_multipart_uploads`, `s3_multipart_parts`); part bodies are
 * R2 objects named by `r2_key`, a fresh one per UploadPart, so a part row always names a complete
 * body. Completion swaps in the object row and drops the upload in one d1.batch (one transaction):
 * the object appears whole or not at all, and an upload aborted meanwhile writes nothing.
 * In the store's one dialect (src/store/db.ts): drizzle `sql` templates over the schema's tables.
 * S3 writes are effect `none`: single statements or plain d1.batches.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { s3Buckets, s3MultipartParts, s3MultipartUploads, s3Objects } from "./schema";
import type { ObjectRow } from "./s3-objects";

export interface UploadRow {
  uploadId: string;
  bucket: string;
  key: string;
  /** the bucket owner's account */
  accountId: string;
  /** ISO 8601 */
  initiated: string;
  initiatorArn: string;
  initiatorName: string;
  contentType: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  /** CRC32 | CRC32C | SHA1 | SHA256, when CreateMultipartUpload named one */
  checksumAlgorithm?: string;
  /** the tags the object gets on completion */
  tags: Record<string, string>;
}

export type PartRow = Row<typeof s3MultipartParts, "checksum"> & { checksum?: string };

type RawUpload = Row<typeof s3MultipartUploads>;
type RawPart = Row<typeof s3MultipartParts>;

function parseJson(s: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const uploadOf = (r: RawUpload): UploadRow => {
  const u: UploadRow = {
    uploadId: r.uploadId,
    bucket: r.bucket,
    key: r.objectKey,
    accountId: r.accountId,
    initiated: r.initiated,
    initiatorArn: r.initiatorArn,
    initiatorName: r.initiatorName,
    contentType: r.contentType,
    headers: parseJson(r.headers),
    metadata: parseJson(r.metadata),
    tags: parseJson(r.tags),
  };
  if (r.checksumAlgorithm) u.checksumAlgorithm = r.checksumAlgorithm;
  return u;
};

const partOf = (r: RawPart): PartRow => {
  const { checksum, ...rest } = r;
  return checksum ? { ...rest, checksum } : rest;
};

const UPLOAD = selectList(s3MultipartUploads);
const PART = selectList(s3MultipartParts);

/** Records a new upload if its bucket still belongs to `accountId`; false when the bucket is gone. */
export async function createUpload(db: Db, u: UploadRow): Promise<boolean> {
  const t = s3MultipartUploads;
  const b = s3Buckets;
  const r = await all(
    db,
    sql`INSERT INTO ${t} (${bare(t.uploadId)}, ${bare(t.bucket)}, ${bare(t.objectKey)}, ${bare(t.accountId)}, ${bare(t.initiated)},
        ${bare(t.initiatorArn)}, ${bare(t.initiatorName)}, ${bare(t.contentType)}, ${bare(t.headers)}, ${bare(t.metadata)}, ${bare(t.checksumAlgorithm)}, ${bare(t.tags)})
      SELECT ${u.uploadId}, ${u.bucket}, ${u.key}, ${u.accountId}, ${u.initiated}, ${u.initiatorArn}, ${u.initiatorName}, ${u.contentType},
        ${JSON.stringify(u.headers)}, ${JSON.stringify(u.metadata)}, ${u.checksumAlgorithm ?? null}, ${JSON.stringify(u.tags)}
      WHERE EXISTS (SELECT 1 FROM ${b} WHERE ${b.name} = ${u.bucket} AND ${b.accountId} = ${u.accountId})
      RETURNING ${bare(t.uploadId)}`,
  );
  return r.length > 0;
}

/** The upload `uploadId` of exactly this bucket and key (an id of another key is no upload of this one). */
export async function getUpload(db: Db, bucket: string, key: string, uploadId: string): Promise<UploadRow | undefined> {
  const t = s3MultipartUploads;
  const r = await first<RawUpload>(
    db,
    sql`SELECT ${UPLOAD} FROM ${t} WHERE ${t.uploadId} = ${uploadId} AND ${t.bucket} = ${bucket} AND ${t.objectKey} = ${key}`,
  );
  return r ? uploadOf(r) : undefined;
}

/**
 * Records a part (replacing an earlier upload of the same number) while its upload still exists.
 * Answers false when the upload is gone (completed or aborted meanwhile), else the R2 key of the
 * body it replaced, if any.
 */
export async function putPartRow(db: Db, p: PartRow): Promise<{ written: false } | { written: true; replaced?: string }> {
  const t = s3MultipartParts;
  const u = s3MultipartUploads;
  const [old, ins] = await db.$client.batch<{ r2Key?: string; uploadId?: string }>([
    statement(
      db,
      sql`SELECT ${t.r2Key} AS ${sql.identifier("r2Key")} FROM ${t} WHERE ${t.uploadId} = ${p.uploadId} AND ${t.partNumber} = ${p.partNumber}`,
    ),
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.uploadId)}, ${bare(t.partNumber)}, ${bare(t.accountId)}, ${bare(t.r2Key)}, ${bare(t.size)},
          ${bare(t.etag)}, ${bare(t.lastModified)}, ${bare(t.checksum)})
        SELECT ${p.uploadId}, ${p.partNumber}, ${p.accountId}, ${p.r2Key}, ${p.size}, ${p.etag}, ${p.lastModified}, ${p.checksum ?? null}
        WHERE EXISTS (SELECT 1 FROM ${u} WHERE ${u.uploadId} = ${p.uploadId})
        ON CONFLICT (${bare(t.uploadId)}, ${bare(t.partNumber)}) DO UPDATE SET ${bare(t.r2Key)} = excluded.${bare(t.r2Key)},
          ${bare(t.size)} = excluded.${bare(t.size)}, ${bare(t.etag)} = excluded.${bare(t.etag)},
          ${bare(t.lastModified)} = excluded.${bare(t.lastModified)}, ${bare(t.checksum)} = excluded.${bare(t.checksum)}
        RETURNING ${bare(t.uploadId)}`,
    ),
  ]);
  if (!ins?.results.length) return { written: false };
  const replaced = old?.results[0]?.r2Key;
  return replaced ? { written: true, replaced } : { written: true };
}

/** Up to `limit` parts of an upload in part-number order, after `after` (exclusive). */
export async function listPartRows(db: Db, uploadId: string, after: number, limit: number): Promise<PartRow[]> {
  const t = s3MultipartParts;
  const rs = await all<RawPart>(
    db,
    sql`SELECT ${PART} FROM ${t} WHERE ${t.uploadId} = ${uploadId} AND ${t.partNumber} > ${after} ORDER BY ${t.partNumber} LIMIT ${limit}`,
  );
  return rs.map(partOf);
}

/** `partBodies`: the R2 bodies of the parts dropped (to delete); `replaced`: the body of the object it replaced. */
export type CompleteOutcome = { completed: false; partBodies: string[] } | { completed: true; replaced?: string; partBodies: string[] };

/**
 * Completes an upload in one transaction: writes the object row (if the upload and its bucket are
 * still there), then drops the upload and all its parts. `completed: false` when the upload was
 * gone (aborted or completed meanwhile) or its bucket was: no object was written. A multipart
 * object's body is always in R2: the inline body of an object it replaces is cleared.
 */
export async function completeUpload(db: Db, uploadId: string, o: ObjectRow): Promise<CompleteOutcome> {
  const t = s3Objects;
  const b = s3Buckets;
  const u = s3MultipartUploads;
  const p = s3MultipartParts;
  const [old, ins, parts] = await db.$client.batch<{ r2Key?: string; bucket?: string }>([
    statement(
      db,
      sql`SELECT ${t.r2Key} AS ${sql.identifier("r2Key")} FROM ${t} WHERE ${t.bucket} = ${o.bucket} AND ${t.objectKey} = ${o.key}`,
    ),
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.bucket)}, ${bare(t.objectKey)}, ${bare(t.accountId)}, ${bare(t.r2Key)}, ${bare(t.size)}, ${bare(t.etag)},
          ${bare(t.lastModified)}, ${bare(t.contentType)}, ${bare(t.headers)}, ${bare(t.metadata)}, ${bare(t.tags)}, ${bare(t.body)})
        SELECT ${o.bucket}, ${o.key}, ${o.accountId}, ${o.r2Key}, ${o.size}, ${o.etag}, ${o.lastModified}, ${o.contentType},
          ${JSON.stringify(o.headers)}, ${JSON.stringify(o.metadata)}, ${JSON.stringify(o.tags ?? {})}, NULL
        WHERE EXISTS (SELECT 1 FROM ${b} WHERE ${b.name} = ${o.bucket} AND ${b.accountId} = ${o.accountId})
          AND EXISTS (SELECT 1 FROM ${u} WHERE ${u.uploadId} = ${uploadId} AND ${u.bucket} = ${o.bucket} AND ${u.objectKey} = ${o.key})
        ON CONFLICT (${bare(t.bucket)}, ${bare(t.objectKey)}) DO UPDATE SET ${bare(t.r2Key)} = excluded.${bare(t.r2Key)},
          ${bare(t.size)} = excluded.${bare(t.size)}, ${bare(t.etag)} = excluded.${bare(t.etag)},
          ${bare(t.lastModified)} = excluded.${bare(t.lastModified)}, ${bare(t.contentType)} = excluded.${bare(t.contentType)},
          ${bare(t.headers)} = excluded.${bare(t.headers)}, ${bare(t.metadata)} = excluded.${bare(t.metadata)},
          ${bare(t.tags)} = excluded.${bare(t.tags)}, ${bare(t.body)} = NULL
        RETURNING ${bare(t.bucket)}`,
    ),
    statement(db, sql`DELETE FROM ${p} WHERE ${p.uploadId} = ${uploadId} RETURNING ${bare(p.r2Key)} AS ${sql.identifier("r2Key")}`),
    statement(db, sql`DELETE FROM ${u} WHERE ${u.uploadId} = ${uploadId}`),
  ]);
  const partBodies = (parts?.results ?? []).map((r) => String(r.r2Key));
  if (!ins?.results.length) return { completed: false, partBodies };
  const replaced = old?.results[0]?.r2Key;
  return replaced ? { completed: true, replaced, partBodies } : { completed: true, partBodies };
}

/** Aborts an upload of this bucket and key: undefined when there is none, else the R2 bodies of its parts. */
export async function abortUpload(db: Db, bucket: string, key: string, uploadId: string): Promise<string[] | undefined> {
  const u = s3MultipartUploads;
  const p = s3MultipartParts;
  const mine = sql`SELECT ${u.uploadId} FROM ${u} WHERE ${u.uploadId} = ${uploadId} AND ${u.bucket} = ${bucket} AND ${u.objectKey} = ${key}`;
  const [parts, del] = await db.$client.batch<{ r2Key?: string; uploadId?: string }>([
    statement(db, sql`DELETE FROM ${p} WHERE ${p.uploadId} IN (${mine}) RETURNING ${bare(p.r2Key)} AS ${sql.identifier("r2Key")}`),
    statement(
      db,
      sql`DELETE FROM ${u} WHERE ${u.uploadId} = ${uploadId} AND ${u.bucket} = ${bucket} AND ${u.objectKey} = ${key}
        RETURNING ${bare(u.uploadId)}`,
    ),
  ]);
  if (!del?.results.length) return undefined;
  return (parts?.results ?? []).map((r) => String(r.r2Key));
}

/**
 * Drops every upload of a bucket that no longer exists (after DeleteBucket: S3 deletes a bucket with
 * uploads in progress, and they go with it). Answers the R2 bodies of their parts.
 */
export async function dropBucketUploads(db: Db, bucket: string): Promise<string[]> {
  const u = s3MultipartUploads;
  const p = s3MultipartParts;
  const b = s3Buckets;
  const gone = sql`NOT EXISTS (SELECT 1 FROM ${b} WHERE ${b.name} = ${bucket})`;
  const [parts] = await db.$client.batch<{ r2Key?: string }>([
    statement(
      db,
      sql`DELETE FROM ${p} WHERE ${p.uploadId} IN (SELECT ${u.uploadId} FROM ${u} WHERE ${u.bucket} = ${bucket}) AND ${gone}
        RETURNING ${bare(p.r2Key)} AS ${sql.identifier("r2Key")}`,
    ),
    statement(db, sql`DELETE FROM ${u} WHERE ${u.bucket} = ${bucket} AND ${gone}`),
  ]);
  return (parts?.results ?? []).map((r) => String(r.r2Key));
}

/** Past every key that starts with a prefix (U+10FFFF is the top of UTF-8's order). */
const PAST = "\u{10FFFF}\u{10FFFF}";

/**
 * Up to `limit` uploads of a bucket in (key, upload id) order — upload ids sort by initiation —
 * with keys under `prefix`, after (`afterKey`, `afterUploadId`) exclusive.
 */
export async function listUploadRows(
  db: Db,
  bucket: string,
  opts: { prefix: string; afterKey: string; afterUploadId: string; limit: number },
): Promise<UploadRow[]> {
  const t = s3MultipartUploads;
  const rs = await all<RawUpload>(
    db,
    sql`SELECT ${UPLOAD} FROM ${t}
      WHERE ${t.bucket} = ${bucket} AND ${t.objectKey} >= ${opts.prefix} AND ${t.objectKey} < ${`${opts.prefix}${PAST}`}
        AND (${t.objectKey} > ${opts.afterKey} OR (${t.objectKey} = ${opts.afterKey} AND ${t.uploadId} > ${opts.afterUploadId}))
      ORDER BY ${t.objectKey}, ${t.uploadId} LIMIT ${opts.limit}`,
  );
  return rs.map(uploadOf);
}
