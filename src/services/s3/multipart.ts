/**
 * S3 multipart upload: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts, ListMultipartUploads. Upload and part metadata live in D1
 * (src/store/s3-multipart.ts), each part body in its own R2 object.
 *
 * Why not R2's own multipart API: R2 (and Miniflare, which mirrors it) requires every part but the
 * last to have the same size and the last to be no larger — S3 does not (a client may send parts
 * of any size ≥ 5 MiB, UploadPartCopy copies arbitrary ranges, Complete may skip parts). So each
 * part is a plain R2 object, and Complete streams the chosen parts, in order, into one new R2 body
 * (FixedLengthStream: bounded memory) before it swaps the object row in, in one D1 transaction
 * with dropping the upload. The object therefore appears whole, atomically, or not at all; the
 * copy costs one pass over the data on Complete, and every other object action (GetObject with
 * ranges across part boundaries, CopyObject, HeadObject) works on the result unchanged.
 *
 * Authorization, as AWS maps these operations: s3:PutObject for Create, UploadPart(Copy) and
 * Complete (UploadPartCopy also s3:GetObject on the source), s3:AbortMultipartUpload,
 * s3:ListMultipartUploadParts (ListParts) on the object; s3:ListBucketMultipartUploads on the bucket.
 */
import { checkStorageRoom } from "../../limits/quotas"; // hosted (issue 22)
import { toHex } from "../../lib/encoding";
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { getBucket, type BucketRow } from "../../store/s3-buckets";
import { getBucketAndObject, type ObjectRow } from "../../store/s3-objects";
import {
  abortUpload,
  completeUpload,
  createUpload,
  getUpload,
  listPartRows,
  listUploadRows,
  putPartRow,
  type PartRow,
  type UploadRow,
} from "../../store/s3-multipart";
import { authorizeCall } from "../../authz/authorize";
import { checksumOf, verifyChecksum } from "../../auth/sigv4-streaming";
import type { XmlValue } from "../../protocol/xml";
import { MAX_S3_PAYLOAD_BYTES } from "../../protocol/body";
import { bucketArn, deleteBodiesLater, isoNowSeconds, missingKey, newBodyKey, objectArn, ownerOf, s3err, s3Target } from "./common";
import { checkExpectedOwner, regionOf } from "./buckets";
import { checkObjectAcl, type AclHeaders } from "./ownership";
import { sseOf, storedSse, type SseInput } from "./encryption";
import { parseTaggingHeader } from "./tagging";
import { readBody } from "./body-storage";
import {
  bodyMd5Hex,
  checkConditions,
  checkKey,
  DEFAULT_CONTENT_TYPE,
  parseCopySource,
  putTarget,
  sseOut,
  storedHeaders,
  userMetadata,
  type Conditions,
  type WriteHeaders,
} from "./objects";
import {
  CHECKSUM_ALGORITHMS,
  checkPartNumber,
  compositeChecksum,
  mpuErr,
  multipartEtag,
  parseCopySourceRange,
  partsToComplete,
  type ChecksumAlgorithm,
  type RequestedPart,
} from "./multipart-rules";

const MAX_PARTS_LISTED = 1000;
const MAX_UPLOADS_LISTED = 1000;
/** Past every key under a prefix, and past every upload id (ids are ASCII). */
const PAST = "\u{10FFFF}";

interface UploadInput {
  Bucket: string;
  Key: string;
  UploadId: string;
  ExpectedBucketOwner?: string;
}

type ChecksumMembers = Partial<Record<`Checksum${ChecksumAlgorithm}`, string>>;

async function loadBucketOf(ctx: ActionContext, name: string): Promise<BucketRow> {
  const b = await getBucket(ctx.db, name);
  if (!b) throw s3err.noSuchBucket(name);
  return b;
}

/** The upload of this call (after authorization: S3 answers AccessDenied before NoSuchUpload). */
async function uploadOf(ctx: ActionContext, bucket: BucketRow, input: UploadInput): Promise<UploadRow> {
  const u = await getUpload(ctx.db, bucket.name, input.Key, input.UploadId);
  if (!u) throw mpuErr.noSuchUpload(input.UploadId);
  return u;
}

const objectTarget = (b: BucketRow, key: string) => s3Target(b, objectArn(b.name, key));

function checksumAlgorithmOf(v: string | undefined): ChecksumAlgorithm | undefined {
  if (v === undefined) return undefined;
  const up = v.toUpperCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(up)) return up as ChecksumAlgorithm;
  if (up === "CRC64NVME") return undefined; // accepted, not computed here
  throw s3err.invalidRequest(
    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
  );
}

const checksumHeader = (a: ChecksumAlgorithm) => `x-amz-checksum-${a.toLowerCase()}`;
const digestWith = (a: ChecksumAlgorithm) => (data: Uint8Array) => checksumOf(checksumHeader(a), data);

/** The initiator of an upload: the caller's ARN and name (an account's root: its canonical id, as the Owner element). */
function initiatorOf(ctx: ActionContext): { arn: string; name: string } {
  const p = ctx.caller.principal;
  if (p.kind === "root") return { arn: ownerOf(p.account).ID, name: p.account };
  const name = p.username ?? p.arn.slice(p.arn.lastIndexOf("/") + 1);
  return { arn: p.arn, name };
}

/** Upload ids sort by creation (fixed-width hex milliseconds first), then 40 random url-safe characters. */
function newUploadId(now: number): string {
  const rand = new Uint8Array(30);
  crypto.getRandomValues(rand);
  let b64 = "";
  for (const x of rand) b64 += String.fromCharCode(x);
  const tail = btoa(b64).replace(/\+/g, "-").replace(/\//g, "_");
  return `${Math.max(0, now).toString(16).padStart(12, "0")}${tail}`;
}

interface CreateInput extends WriteHeaders, AclHeaders, SseInput {
  Bucket: string;
  Key: string;
  ExpectedBucketOwner?: string;
  ChecksumAlgorithm?: string;
  Tagging?: string;
}

export const CreateMultipartUpload = defineAction({
  service: "s3",
  name: "CreateMultipartUpload",
  permission: "s3:PutObject",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => {
    checkKey((i as CreateInput).Key);
    return loadBucketOf(ctx, (i as CreateInput).Bucket);
  },
  // As PutObject's: the write's headers and requested tags are condition keys.
  target: (i, ctx: ActionContext, b: BucketRow) => putTarget(ctx, "s3:PutObject", i as CreateInput, b),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as CreateInput;
    checkExpectedOwner(input, b);
    checkObjectAcl(b, input);
    const sse = sseOf(input, b);
    const tags = input.Tagging !== undefined ? parseTaggingHeader(input.Tagging) : {};
    // Tags on a write need s3:PutObjectTagging too, as for PutObject.
    if (input.Tagging !== undefined) await authorizeCall(ctx, "s3:PutObjectTagging", putTarget(ctx, "s3:PutObjectTagging", input, b));
    const algorithm = checksumAlgorithmOf(input.ChecksumAlgorithm);
    const who = initiatorOf(ctx);
    const upload: UploadRow = {
      uploadId: newUploadId(ctx.request.now),
      bucket: b.name,
      key: input.Key,
      accountId: b.accountId,
      initiated: new Date(ctx.request.now).toISOString(),
      initiatorArn: who.arn,
      initiatorName: who.name,
      contentType: input.ContentType ?? DEFAULT_CONTENT_TYPE,
      headers: { ...storedHeaders(input), ...sse },
      metadata: userMetadata(input),
      tags,
      ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
    };
    if (!(await createUpload(ctx.db, upload))) throw s3err.noSuchBucket(b.name);
    const out: Record<string, XmlValue> = { Bucket: b.name, Key: input.Key, UploadId: upload.uploadId };
    if (algorithm) out.ChecksumAlgorithm = algorithm;
    Object.assign(out, sseOut(sse));
    return out;
  },
});

/** Records a part body already in R2; NoSuchUpload (and the body dropped) when the upload went away meanwhile. */
async function recordPart(ctx: ActionContext, part: PartRow): Promise<void> {
  const w = await putPartRow(ctx.db, part);
  if (!w.written) {
    deleteBodiesLater(ctx, [part.r2Key]);
    throw mpuErr.noSuchUpload(part.uploadId);
  }
  if (w.replaced) deleteBodiesLater(ctx, [w.replaced]);
}

interface UploadPartInput extends UploadInput, ChecksumMembers {
  PartNumber?: number;
  Body?: Uint8Array;
  ContentMD5?: string;
  /** x-amz-sdk-checksum-algorithm: the algorithm of the checksum the SDK sends (header or trailer) */
  ChecksumAlgorithm?: string;
}

/**
 * The part's checksum with the upload's algorithm (or, for an upload without one, the algorithm
 * the request names). Every x-amz-checksum-* header sent is verified (BadDigest); a trailing one
 * was verified while the aws-chunked body was decoded (auth/sigv4-streaming.ts).
 */
async function partChecksum(
  upload: UploadRow,
  input: UploadPartInput,
  body: Uint8Array,
): Promise<{ algorithm: ChecksumAlgorithm; value: string } | undefined> {
  for (const a of CHECKSUM_ALGORITHMS) {
    const given = input[`Checksum${a}`];
    if (given !== undefined) await verifyChecksum(checksumHeader(a), given, body);
  }
  const sent = CHECKSUM_ALGORITHMS.find((a) => input[`Checksum${a}`] !== undefined);
  const algorithm = (upload.checksumAlgorithm as ChecksumAlgorithm | undefined) ?? checksumAlgorithmOf(input.ChecksumAlgorithm) ?? sent;
  if (!algorithm) return undefined;
  // Already verified when the client sent it; else computed here.
  const value = input[`Checksum${algorithm}`] ?? (await checksumOf(checksumHeader(algorithm), body));
  return value === undefined ? undefined : { algorithm, value };
}

export const UploadPart = defineAction({
  service: "s3",
  name: "UploadPart",
  permission: "s3:PutObject",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, (i as UploadPartInput).Bucket),
  target: (i, _ctx, b: BucketRow) => objectTarget(b, (i as UploadPartInput).Key),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as UploadPartInput;
    checkExpectedOwner(input, b);
    const partNumber = checkPartNumber(input.PartNumber);
    const upload = await uploadOf(ctx, b, input);
    const body = input.Body ?? new Uint8Array(0);
    const digest = await bodyMd5Hex(body, input.ContentMD5);
    const checksum = await partChecksum(upload, input, body);
    const etag = `"${digest}"`;
    const r2Key = newBodyKey(b);
    await checkStorageRoom(ctx.env, ctx.db, b.accountId, body.length); // hosted (issue 22)
    await ctx.env.OBJECTS.put(r2Key, body);
    await recordPart(ctx, {
      uploadId: upload.uploadId,
      partNumber,
      accountId: b.accountId,
      r2Key,
      size: body.length,
      etag,
      lastModified: new Date(ctx.request.now).toISOString(),
      ...(checksum ? { checksum: checksum.value } : {}),
    });
    const out: Record<string, XmlValue> = { ETag: etag };
    if (checksum) out[`Checksum${checksum.algorithm}`] = checksum.value;
    return out;
  },
});

interface UploadPartCopyInput extends UploadInput {
  PartNumber?: number;
  CopySource: string;
  CopySourceRange?: string;
  CopySourceIfMatch?: string;
  CopySourceIfNoneMatch?: string;
  CopySourceIfModifiedSince?: Date;
  CopySourceIfUnmodifiedSince?: Date;
  ExpectedSourceBucketOwner?: string;
}

interface CopyLoaded {
  bucket: BucketRow;
  source: { bucket: BucketRow; object?: ObjectRow; key: string };
}

/** Copy-source conditions: for a copy, "not modified" is a failed precondition too (as CopyObject). */
function checkCopyConditions(input: UploadPartCopyInput, src: ObjectRow, now: number): void {
  const cond: Conditions = {};
  if (input.CopySourceIfMatch !== undefined) cond.IfMatch = input.CopySourceIfMatch;
  if (input.CopySourceIfUnmodifiedSince !== undefined) cond.IfUnmodifiedSince = input.CopySourceIfUnmodifiedSince;
  if (input.CopySourceIfNoneMatch !== undefined) cond.IfNoneMatch = input.CopySourceIfNoneMatch;
  if (input.CopySourceIfModifiedSince !== undefined) cond.IfModifiedSince = input.CopySourceIfModifiedSince;
  try {
    checkConditions(cond, src, now, { match: "x-amz-copy-source-If-Match", unmodified: "x-amz-copy-source-If-Unmodified-Since" });
  } catch (e) {
    if (e instanceof Error && (e as { code?: string }).code === "NotModified")
      throw s3err.preconditionFailed(
        input.CopySourceIfNoneMatch !== undefined ? "x-amz-copy-source-If-None-Match" : "x-amz-copy-source-If-Modified-Since",
      );
    throw e;
  }
}

/**
 * Streams `length` bytes from R2 into a new R2 body and its MD5 at once (DigestStream), so a copied
 * range of any size never sits in memory; answers the MD5.
 */
async function copyBody(ctx: ActionContext, from: ReadableStream, to: string, length: number): Promise<ArrayBuffer> {
  const md5 = new crypto.DigestStream("MD5");
  const sized = new FixedLengthStream(length);
  const [a, c] = from.tee();
  const [digest] = await Promise.all([md5.digest, a.pipeTo(md5), c.pipeTo(sized.writable), ctx.env.OBJECTS.put(to, sized.readable)]);
  return digest;
}

export const UploadPartCopy = defineAction({
  service: "s3",
  name: "UploadPartCopy",
  permission: "s3:PutObject",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext): Promise<CopyLoaded> => {
    const input = i as UploadPartCopyInput;
    const src = parseCopySource(input.CopySource);
    const [dest, source] = await Promise.all([getBucket(ctx.db, input.Bucket), getBucketAndObject(ctx.db, src.bucket, src.key)]);
    if (!dest) throw s3err.noSuchBucket(input.Bucket);
    if (!source.bucket) throw s3err.noSuchBucket(src.bucket);
    return { bucket: dest, source: { bucket: source.bucket, key: src.key, ...(source.object ? { object: source.object } : {}) } };
  },
  target: (i, _ctx, l: CopyLoaded) => objectTarget(l.bucket, (i as UploadPartCopyInput).Key),
  handler: async (i, ctx: ActionContext, l: CopyLoaded) => {
    const input = i as UploadPartCopyInput;
    checkExpectedOwner(input, l.bucket);
    if (input.ExpectedSourceBucketOwner !== undefined && input.ExpectedSourceBucketOwner !== l.source.bucket.accountId)
      throw s3err.accessDenied();
    const partNumber = checkPartNumber(input.PartNumber);
    const upload = await uploadOf(ctx, l.bucket, input);
    await authorizeCall(ctx, "s3:GetObject", objectTarget(l.source.bucket, l.source.key));
    const src = l.source.object;
    if (!src) throw await missingKey(ctx, l.source.bucket, l.source.key);
    checkCopyConditions(input, src, ctx.request.now);
    const range = input.CopySourceRange !== undefined ? parseCopySourceRange(input.CopySourceRange, src.size) : undefined;
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : src.size;
    const r2Key = newBodyKey(l.bucket);
    let digest: ArrayBuffer;
    let checksum: string | undefined;
    const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
    if (length === 0) {
      digest = await crypto.subtle.digest("MD5", new Uint8Array(0));
      await ctx.env.OBJECTS.put(r2Key, new Uint8Array(0));
      if (algorithm) checksum = await checksumOf(checksumHeader(algorithm), new Uint8Array(0));
    } else {
      // A checksum needs the bytes in hand (CRC has no streaming form in WebCrypto): up to the body cap.
      if (algorithm && length > MAX_S3_PAYLOAD_BYTES)
        throw s3err.invalidRequest(`iamlab copies a part of an upload with checksums up to ${MAX_S3_PAYLOAD_BYTES} bytes.`);
      const got = await readBody(ctx, src, { start, end: start + length - 1 });
      if (!got) throw s3err.noSuchKey(l.source.key);
      if (got instanceof Uint8Array || algorithm) {
        // An inline source's bytes are in hand already; a checksum needs them.
        const bytes = got instanceof Uint8Array ? got : new Uint8Array(await new Response(got).arrayBuffer());
        digest = await crypto.subtle.digest("MD5", bytes);
        if (algorithm) checksum = await checksumOf(checksumHeader(algorithm), bytes);
        await ctx.env.OBJECTS.put(r2Key, bytes);
      } else digest = await copyBody(ctx, got, r2Key, length);
    }
    const etag = `"${toHex(digest)}"`;
    const lastModified = isoNowSeconds(ctx.request.now);
    await recordPart(ctx, {
      uploadId: upload.uploadId,
      partNumber,
      accountId: l.bucket.accountId,
      r2Key,
      size: length,
      etag,
      lastModified: new Date(ctx.request.now).toISOString(),
      ...(checksum ? { checksum } : {}),
    });
    const result: Record<string, XmlValue> = { ETag: etag, LastModified: new Date(lastModified) };
    if (checksum && algorithm) result[`Checksum${algorithm}`] = checksum;
    return { CopyPartResult: result };
  },
});

/** Every part of an upload (at most 10,000), in part-number order. */
async function allParts(ctx: ActionContext, uploadId: string): Promise<PartRow[]> {
  return listPartRows(ctx.db, uploadId, 0, 10_000);
}

/**
 * Streams the parts' bodies, in order, into one new R2 object of `size` bytes. A part body gone
 * meanwhile (the upload completed or aborted by another request) is NoSuchUpload; nothing is kept.
 */
async function assemble(ctx: ActionContext, r2Key: string, parts: readonly PartRow[], size: number, uploadId: string): Promise<void> {
  const sized = new FixedLengthStream(size);
  const put = ctx.env.OBJECTS.put(r2Key, sized.readable);
  const writer = sized.writable.getWriter();
  let missing = false;
  const feed = (async () => {
    for (const p of parts) {
      if (p.size === 0) continue;
      const got = await ctx.env.OBJECTS.get(p.r2Key);
      if (!got) {
        missing = true;
        throw mpuErr.noSuchUpload(uploadId);
      }
      const reader = got.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
    }
    await writer.close();
  })();
  try {
    await Promise.all([feed, put]);
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    await Promise.all([feed.catch(() => undefined), put.catch(() => undefined)]);
    deleteBodiesLater(ctx, [r2Key]);
    if (missing) throw mpuErr.noSuchUpload(uploadId);
    throw e;
  }
}

interface CompleteInput extends UploadInput, ChecksumMembers {
  MultipartUpload?: { Parts?: RequestedPart[] };
  IfNoneMatch?: string;
}

export const CompleteMultipartUpload = defineAction({
  service: "s3",
  name: "CompleteMultipartUpload",
  permission: "s3:PutObject",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, (i as CompleteInput).Bucket),
  target: (i, _ctx, b: BucketRow) => objectTarget(b, (i as CompleteInput).Key),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as CompleteInput;
    checkExpectedOwner(input, b);
    const upload = await uploadOf(ctx, b, input);
    const parts = partsToComplete(upload.uploadId, input.MultipartUpload?.Parts ?? [], await allParts(ctx, upload.uploadId));
    if (input.IfNoneMatch !== undefined && input.IfNoneMatch.trim() === "*") {
      const existing = await getBucketAndObject(ctx.db, b.name, input.Key);
      if (existing.object) throw s3err.preconditionFailed("If-None-Match");
    }
    const etag = await multipartEtag(parts.map((p) => p.etag));
    const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
    const checksums = parts.map((p) => p.checksum);
    const checksum =
      algorithm && checksums.every((c): c is string => c !== undefined)
        ? await compositeChecksum(checksums, digestWith(algorithm))
        : undefined;
    const size = parts.reduce((n, p) => n + p.size, 0);
    const r2Key = newBodyKey(b);
    await assemble(ctx, r2Key, parts, size, upload.uploadId);
    const row: ObjectRow = {
      bucket: b.name,
      key: input.Key,
      accountId: b.accountId,
      r2Key,
      size,
      etag,
      lastModified: isoNowSeconds(ctx.request.now),
      contentType: upload.contentType,
      headers: upload.headers,
      metadata: upload.metadata,
      tags: upload.tags,
    };
    const done = await completeUpload(ctx.db, upload.uploadId, row);
    deleteBodiesLater(ctx, done.partBodies);
    if (!done.completed) {
      deleteBodiesLater(ctx, [r2Key]);
      throw mpuErr.noSuchUpload(upload.uploadId);
    }
    if (done.replaced) deleteBodiesLater(ctx, [done.replaced]);
    const out: Record<string, XmlValue> = {
      Location: `https://${b.name}.s3.${regionOf(b)}.amazonaws.com/${input.Key.split("/").map(encodeURIComponent).join("/")}`,
      Bucket: b.name,
      Key: input.Key,
      ETag: etag,
    };
    if (checksum && algorithm) out[`Checksum${algorithm}`] = checksum;
    Object.assign(out, sseOut(storedSse(upload.headers)));
    return out;
  },
});

export const AbortMultipartUpload = defineAction({
  service: "s3",
  name: "AbortMultipartUpload",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, (i as UploadInput).Bucket),
  target: (i, _ctx, b: BucketRow) => objectTarget(b, (i as UploadInput).Key),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as UploadInput;
    checkExpectedOwner(input, b);
    const bodies = await abortUpload(ctx.db, b.name, input.Key, input.UploadId);
    if (!bodies) throw mpuErr.noSuchUpload(input.UploadId);
    deleteBodiesLater(ctx, bodies);
    return {};
  },
});

interface ListPartsInput extends UploadInput {
  MaxParts?: number;
  PartNumberMarker?: number;
}

const initiator = (u: UploadRow) => ({ ID: u.initiatorArn, DisplayName: u.initiatorName });

export const ListParts = defineAction({
  service: "s3",
  name: "ListParts",
  permission: "s3:ListMultipartUploadParts",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, (i as ListPartsInput).Bucket),
  target: (i, _ctx, b: BucketRow) => objectTarget(b, (i as ListPartsInput).Key),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as ListPartsInput;
    checkExpectedOwner(input, b);
    if (input.MaxParts !== undefined && input.MaxParts < 0)
      throw s3err.invalidArgument("Argument max-parts must be an integer between 0 and 2147483647", "max-parts", String(input.MaxParts));
    if (input.PartNumberMarker !== undefined && input.PartNumberMarker < 0)
      throw s3err.invalidArgument(
        "Argument part-number-marker must be an integer between 0 and 2147483647",
        "part-number-marker",
        String(input.PartNumberMarker),
      );
    const upload = await uploadOf(ctx, b, input);
    const max = Math.min(input.MaxParts ?? MAX_PARTS_LISTED, MAX_PARTS_LISTED);
    const marker = input.PartNumberMarker ?? 0;
    const rows = max === 0 ? [] : await listPartRows(ctx.db, upload.uploadId, marker, max + 1);
    const truncated = rows.length > max;
    const page = rows.slice(0, max);
    const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
    const out: Record<string, XmlValue> = {
      Bucket: b.name,
      Key: upload.key,
      UploadId: upload.uploadId,
      PartNumberMarker: marker,
      MaxParts: max,
      IsTruncated: truncated,
      Parts: page.map((p) => {
        const part: Record<string, XmlValue> = {
          PartNumber: p.partNumber,
          LastModified: new Date(p.lastModified),
          ETag: p.etag,
          Size: p.size,
        };
        if (p.checksum && algorithm) part[`Checksum${algorithm}`] = p.checksum;
        return part;
      }),
      Initiator: initiator(upload),
      Owner: ownerOf(b.accountId),
      StorageClass: "STANDARD",
    };
    if (page.length) out.NextPartNumberMarker = page[page.length - 1]!.partNumber;
    if (algorithm) out.ChecksumAlgorithm = algorithm;
    return out;
  },
});

interface ListUploadsInput {
  Bucket: string;
  Prefix?: string;
  Delimiter?: string;
  KeyMarker?: string;
  UploadIdMarker?: string;
  MaxUploads?: number;
  EncodingType?: string;
  ExpectedBucketOwner?: string;
}

interface UploadsPage {
  uploads: UploadRow[];
  commonPrefixes: string[];
  truncated: boolean;
  next?: { key: string; uploadId: string };
}

/**
 * One page of a bucket's uploads after (key-marker, upload-id-marker): keys under `prefix`, those
 * with `delimiter` past the prefix rolled up into common prefixes (each counted once toward max).
 * With a key-marker and no upload-id-marker, every upload of that key is past; a key-marker that
 * is a common prefix (a previous page's last entry) skips every key under it.
 */
async function uploadsPage(ctx: ActionContext, bucket: string, input: ListUploadsInput, max: number): Promise<UploadsPage> {
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter ?? "";
  const page: UploadsPage = { uploads: [], commonPrefixes: [], truncated: false };
  const keyMarker = input.KeyMarker ?? "";
  let afterKey = keyMarker;
  let afterUploadId = keyMarker && input.UploadIdMarker ? input.UploadIdMarker : PAST;
  let lastPrefix: string | undefined;
  if (
    delimiter &&
    keyMarker.startsWith(prefix) &&
    keyMarker.endsWith(delimiter) &&
    keyMarker.indexOf(delimiter, prefix.length) === keyMarker.length - delimiter.length
  ) {
    lastPrefix = keyMarker;
    afterKey = keyMarker + PAST;
    afterUploadId = "";
  }
  if (max === 0) return page;
  for (;;) {
    const rows = await listUploadRows(ctx.db, bucket, { prefix, afterKey, afterUploadId, limit: MAX_UPLOADS_LISTED });
    let jumped = false;
    for (const u of rows) {
      const rest = u.key.slice(prefix.length);
      const at = delimiter ? rest.indexOf(delimiter) : -1;
      const cp = at >= 0 ? prefix + rest.slice(0, at + delimiter.length) : undefined;
      if (cp !== undefined && cp === lastPrefix) continue;
      if (page.uploads.length + page.commonPrefixes.length >= max) {
        page.truncated = true;
        return page;
      }
      if (cp !== undefined) {
        page.commonPrefixes.push(cp);
        page.next = { key: cp, uploadId: "" };
        lastPrefix = cp;
        afterKey = cp + PAST;
        afterUploadId = "";
        jumped = true;
        break;
      }
      page.uploads.push(u);
      page.next = { key: u.key, uploadId: u.uploadId };
      afterKey = u.key;
      afterUploadId = u.uploadId;
    }
    if (!jumped && rows.length < MAX_UPLOADS_LISTED) return page;
  }
}

export const ListMultipartUploads = defineAction({
  service: "s3",
  name: "ListMultipartUploads",
  permission: "s3:ListBucketMultipartUploads",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, (i as ListUploadsInput).Bucket),
  target: (_i, _ctx, b: BucketRow) => s3Target(b, bucketArn(b.name)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as ListUploadsInput;
    checkExpectedOwner(input, b);
    if (input.MaxUploads !== undefined && input.MaxUploads < 0)
      throw s3err.invalidArgument(
        "Argument max-uploads must be an integer between 0 and 2147483647",
        "max-uploads",
        String(input.MaxUploads),
      );
    if (input.EncodingType !== undefined && input.EncodingType !== "url")
      throw s3err.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", input.EncodingType);
    const enc = input.EncodingType === "url" ? (s: string) => encodeURIComponent(s) : (s: string) => s;
    const max = Math.min(input.MaxUploads ?? MAX_UPLOADS_LISTED, MAX_UPLOADS_LISTED);
    const page = await uploadsPage(ctx, b.name, input, max);
    const out: Record<string, XmlValue> = {
      Bucket: b.name,
      KeyMarker: enc(input.KeyMarker ?? ""),
      UploadIdMarker: input.UploadIdMarker ?? "",
      MaxUploads: max,
      IsTruncated: page.truncated,
      Uploads: page.uploads.map((u) => {
        const item: Record<string, XmlValue> = {
          UploadId: u.uploadId,
          Key: enc(u.key),
          Initiated: new Date(u.initiated),
          StorageClass: "STANDARD",
          Owner: ownerOf(b.accountId),
          Initiator: initiator(u),
        };
        if (u.checksumAlgorithm) item.ChecksumAlgorithm = u.checksumAlgorithm;
        return item;
      }),
    };
    if (page.commonPrefixes.length) out.CommonPrefixes = page.commonPrefixes.map((p) => ({ Prefix: enc(p) }));
    if (input.Prefix !== undefined) out.Prefix = enc(input.Prefix);
    if (input.Delimiter !== undefined) out.Delimiter = enc(input.Delimiter);
    if (input.EncodingType !== undefined) out.EncodingType = input.EncodingType;
    if (page.truncated && page.next) {
      out.NextKeyMarker = enc(page.next.key);
      out.NextUploadIdMarker = page.next.uploadId;
    }
    return out;
  },
});

export const multipartActions: RegisteredAction[] = [
  CreateMultipartUpload,
  UploadPart,
  UploadPartCopy,
  CompleteMultipartUpload,
  AbortMultipartUpload,
  ListParts,
  ListMultipartUploads,
];
