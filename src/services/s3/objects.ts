/**
 * S3 objects: PutObject, GetObject (Range, conditional requests), HeadObject, DeleteObject,
 * DeleteObjects, CopyObject. Bodies live in R2 under a fresh key per write, or inline in the
 * metadata row when small (./body-storage.ts decides); metadata in D1 (src/store/s3-objects.ts).
 * ETags are AWS's for single-part uploads: the quoted hex MD5 of the body (workerd's WebCrypto has
 * MD5 as an extension).
 */
import { checkStorageRoom } from "../../limits/quotas"; // hosted (issue 22)
import { toHex } from "../../lib/encoding";
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { getBucket, type BucketRow } from "../../store/s3-buckets";
import { deleteObjectRows, getBucketAndObject, putObjectRow, type ObjectRow } from "../../store/s3-objects";
import { fromBase64 } from "../../protocol/wire";
import { authorizeCall, decide, deniedMessage } from "../../authz/authorize";
import type { XmlValue } from "../../protocol/xml";
import { isoNowSeconds, missingKey, objectArn, s3ActionTarget, s3err, type S3CallFacts } from "./common";
import { checkExpectedOwner } from "./buckets";
import type { S3KeyHeaders } from "./condition-keys";
import { checkObjectAcl, type AclHeaders } from "./ownership";
import { parseTaggingHeader, requestedTags, taggingHeaderPairs } from "./tagging";
import { sseOf, storedSse, type SseInput, type SseSettings } from "./encryption";
import { discardBodies, readBody, storeBody } from "./body-storage";

export const DEFAULT_CONTENT_TYPE = "binary/octet-stream";
const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const utf8 = new TextEncoder();

interface ObjectInput {
  Bucket: string;
  Key: string;
  ExpectedBucketOwner?: string;
}

/** The bucket (NoSuchBucket before authorization) and the object, if it exists, in one query. */
async function loadObject(ctx: ActionContext, input: ObjectInput): Promise<{ bucket: BucketRow; object?: ObjectRow }> {
  const r = await getBucketAndObject(ctx.db, input.Bucket, input.Key);
  if (!r.bucket) throw s3err.noSuchBucket(input.Bucket);
  return r.object ? { bucket: r.bucket, object: r.object } : { bucket: r.bucket };
}

/**
 * The body's MD5 as hex, checked against a Content-MD5 header when one was sent (InvalidDigest for a
 * value that is not 16 base64 bytes, BadDigest for another digest). PutObject and UploadPart share it.
 */
export async function bodyMd5Hex(body: Uint8Array, contentMd5: string | undefined): Promise<string> {
  const hex = toHex(await crypto.subtle.digest("MD5", body));
  if (contentMd5 !== undefined) {
    const given = fromBase64(contentMd5.trim());
    if (given?.length !== 16) throw s3err.invalidDigest();
    if (toHex(given) !== hex) throw s3err.badDigest();
  }
  return hex;
}

export function checkKey(key: string): void {
  const n = utf8.encode(key).length;
  if (n > MAX_KEY_BYTES) throw s3err.keyTooLong(n);
}

/** System metadata S3 stores with an object and answers with on GET/HEAD. */
type StoredHeaders = {
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Expires?: string;
  /** x-amz-server-side-encryption and its KMS key (./encryption.ts) */
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
};

export interface WriteHeaders {
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Expires?: Date;
  Metadata?: Record<string, string>;
}

export function storedHeaders(input: WriteHeaders): StoredHeaders {
  const h: StoredHeaders = {};
  if (input.CacheControl !== undefined) h.CacheControl = input.CacheControl;
  if (input.ContentDisposition !== undefined) h.ContentDisposition = input.ContentDisposition;
  // aws-chunked is the upload's framing (already removed), not the object's encoding.
  const enc = input.ContentEncoding?.split(",")
    .map((s) => s.trim())
    .filter((s) => s && s.toLowerCase() !== "aws-chunked")
    .join(",");
  if (enc) h.ContentEncoding = enc;
  if (input.ContentLanguage !== undefined) h.ContentLanguage = input.ContentLanguage;
  if (input.Expires !== undefined && !Number.isNaN(input.Expires.getTime())) h.Expires = input.Expires.toISOString();
  return h;
}

export function userMetadata(input: WriteHeaders): Record<string, string> {
  const m: Record<string, string> = {};
  let size = 0;
  for (const [k, v] of Object.entries(input.Metadata ?? {})) {
    m[k.toLowerCase()] = v;
    size += utf8.encode(k).length + utf8.encode(v).length;
  }
  if (size > MAX_METADATA_BYTES) throw s3err.metadataTooLarge();
  return m;
}

/** Writes a body and its row; NoSuchBucket when the bucket went away meanwhile (the body is dropped). */
async function writeObject(
  ctx: ActionContext,
  bucket: BucketRow,
  key: string,
  body: Uint8Array | ReadableStream,
  size: number,
  etag: string,
  contentType: string,
  headers: StoredHeaders,
  metadata: Record<string, string>,
  tags: Record<string, string>,
): Promise<ObjectRow> {
  const stored = await storeBody(ctx, bucket, body, size);
  const row: ObjectRow = {
    bucket: bucket.name,
    key,
    accountId: bucket.accountId,
    ...stored,
    size,
    etag,
    lastModified: isoNowSeconds(ctx.request.now),
    contentType,
    headers,
    metadata,
    tags,
  };
  const w = await putObjectRow(ctx.db, row);
  if (!w.written) {
    discardBodies(ctx, [stored]);
    throw s3err.noSuchBucket(bucket.name);
  }
  discardBodies(ctx, [w.replaced]);
  return row;
}

/** The x-amz-* headers of a write that S3 turns into condition keys. */
function writeKeyHeaders(input: AclHeaders & SseInput & { CopySource?: string; MetadataDirective?: string }): S3KeyHeaders {
  const h: S3KeyHeaders = {};
  if (input.ACL !== undefined) h.acl = input.ACL;
  if (input.CopySource !== undefined) h.copySource = input.CopySource;
  if (input.MetadataDirective !== undefined) h.metadataDirective = input.MetadataDirective;
  if (input.ServerSideEncryption !== undefined) h.serverSideEncryption = input.ServerSideEncryption;
  if (input.SSEKMSKeyId !== undefined) h.sseKmsKeyId = input.SSEKMSKeyId;
  return h;
}

/** The response headers of an object's encryption. */
export function sseOut(sse: SseSettings): Record<string, XmlValue> {
  return sse.SSEKMSKeyId !== undefined
    ? { ServerSideEncryption: sse.ServerSideEncryption, SSEKMSKeyId: sse.SSEKMSKeyId }
    : { ServerSideEncryption: sse.ServerSideEncryption };
}

export interface PutObjectInput extends ObjectInput, WriteHeaders, AclHeaders, SseInput {
  Body?: Uint8Array;
  ContentMD5?: string;
  IfNoneMatch?: string;
  IfMatch?: string;
  Tagging?: string;
}

/** PutObject's target: s3:PutObject with its headers and the tags it asks for as condition keys. */
export function putTarget(ctx: ActionContext, action: string, input: PutObjectInput, bucket: BucketRow) {
  const facts: S3CallFacts = { headers: writeKeyHeaders(input) };
  const requested = input.Tagging !== undefined ? requestedTags(taggingHeaderPairs(input.Tagging)) : undefined;
  if (requested) facts.requestObjectTags = requested;
  return s3ActionTarget(ctx, action, bucket, objectArn(bucket.name, input.Key), facts);
}

export const PutObject = defineAction({
  service: "s3",
  name: "PutObject",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => {
    checkKey((i as PutObjectInput).Key);
    return loadObject(ctx, i as PutObjectInput);
  },
  target: (i, ctx: ActionContext, l: { bucket: BucketRow }) => putTarget(ctx, "s3:PutObject", i as PutObjectInput, l.bucket),
  handler: async (i, ctx: ActionContext, l: { bucket: BucketRow; object?: ObjectRow }) => {
    const input = i as PutObjectInput;
    checkExpectedOwner(input, l.bucket);
    checkObjectAcl(l.bucket, input);
    const sse = sseOf(input, l.bucket);
    const tags = input.Tagging !== undefined ? parseTaggingHeader(input.Tagging) : {};
    // Tags on a write need s3:PutObjectTagging too (AWS's PutObject permissions).
    if (input.Tagging !== undefined)
      await authorizeCall(ctx, "s3:PutObjectTagging", putTarget(ctx, "s3:PutObjectTagging", input, l.bucket));
    const body = input.Body ?? new Uint8Array(0);
    const digest = await bodyMd5Hex(body, input.ContentMD5);
    // Conditional writes: If-None-Match: * refuses to overwrite, If-Match needs the current ETag.
    if (input.IfNoneMatch !== undefined && input.IfNoneMatch.trim() === "*" && l.object) throw s3err.preconditionFailed("If-None-Match");
    if (input.IfMatch !== undefined) {
      if (!l.object) throw s3err.noSuchKey(input.Key);
      if (!etagMatches(input.IfMatch, l.object.etag)) throw s3err.preconditionFailed("If-Match");
    }
    const etag = `"${digest}"`;
    await checkStorageRoom(ctx.env, ctx.db, l.bucket.accountId, body.length); // hosted (issue 22)
    await writeObject(
      ctx,
      l.bucket,
      input.Key,
      body,
      body.length,
      etag,
      input.ContentType ?? DEFAULT_CONTENT_TYPE,
      { ...storedHeaders(input), ...sse },
      userMetadata(input),
      tags,
    );
    return { ETag: etag, ...sseOut(sse) };
  },
});

/** An If-Match / If-None-Match list (`"a", "b"`, `*`, weak `W/"a"`) against an ETag. */
function etagMatches(header: string, etag: string): boolean {
  return header.split(",").some((t) => {
    const x = t.trim().replace(/^W\//, "");
    return x === "*" || x === etag || `"${x}"` === etag;
  });
}

export interface Conditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

/**
 * RFC 7232 as S3 applies it: If-Match (412) wins over If-Unmodified-Since; If-None-Match (304 on
 * GET/HEAD) wins over If-Modified-Since, which is ignored when in the future (sandbox clock).
 * Last-Modified has whole seconds, as HTTP dates do.
 */
export function checkConditions(
  c: Conditions,
  o: ObjectRow,
  now: number,
  names = { match: "If-Match", unmodified: "If-Unmodified-Since" },
): void {
  const modified = Date.parse(o.lastModified);
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, o.etag)) throw s3err.preconditionFailed(names.match);
  } else if (c.IfUnmodifiedSince !== undefined && modified > c.IfUnmodifiedSince.getTime()) {
    throw s3err.preconditionFailed(names.unmodified);
  }
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, o.etag)) throw s3err.notModified();
  } else if (c.IfModifiedSince !== undefined && c.IfModifiedSince.getTime() <= now && modified <= c.IfModifiedSince.getTime()) {
    throw s3err.notModified();
  }
}

/**
 * A single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`). Anything S3 would not parse (other
 * units, several ranges, garbage) is ignored — the whole object is sent — as S3 does; a range that
 * starts past the end is InvalidRange (416).
 */
export function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) return undefined;
    if (n === 0 || size === 0) throw s3err.invalidRange(header, size);
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return undefined;
  if (start >= size) throw s3err.invalidRange(header, size);
  if (end < start) return undefined;
  return { start, end: Math.min(end, size - 1) };
}

interface GetObjectInput extends ObjectInput, Conditions {
  Range?: string;
  PartNumber?: number;
  ResponseCacheControl?: string;
  ResponseContentDisposition?: string;
  ResponseContentEncoding?: string;
  ResponseContentLanguage?: string;
  ResponseContentType?: string;
  ResponseExpires?: Date;
}

/** The headers of a GET/HEAD answer (response-* overrides applied). */
function objectHeaders(o: ObjectRow, input: GetObjectInput): Record<string, XmlValue> {
  const h = o.headers as StoredHeaders;
  const out: Record<string, XmlValue> = {
    AcceptRanges: "bytes",
    LastModified: new Date(o.lastModified),
    ContentLength: o.size,
    ETag: o.etag,
    ContentType: input.ResponseContentType ?? o.contentType,
  };
  const cc = input.ResponseCacheControl ?? h.CacheControl;
  if (cc !== undefined) out.CacheControl = cc;
  const cd = input.ResponseContentDisposition ?? h.ContentDisposition;
  if (cd !== undefined) out.ContentDisposition = cd;
  const ce = input.ResponseContentEncoding ?? h.ContentEncoding;
  if (ce !== undefined) out.ContentEncoding = ce;
  const cl = input.ResponseContentLanguage ?? h.ContentLanguage;
  if (cl !== undefined) out.ContentLanguage = cl;
  const ex = input.ResponseExpires ?? (h.Expires !== undefined ? new Date(h.Expires) : undefined);
  if (ex !== undefined) out.Expires = ex;
  if (Object.keys(o.metadata).length) out.Metadata = o.metadata;
  Object.assign(out, sseOut(storedSse(o.headers)));
  return out;
}

/** GET and HEAD: conditions, then the range; `withBody` reads it (GET only). */
async function readObject(
  ctx: ActionContext,
  input: GetObjectInput,
  l: { bucket: BucketRow; object?: ObjectRow },
  withBody: boolean,
): Promise<Record<string, XmlValue>> {
  checkExpectedOwner(input, l.bucket);
  const o = l.object;
  if (!o) throw await missingKey(ctx, l.bucket, input.Key);
  checkConditions(input, o, ctx.request.now);
  const out = objectHeaders(o, input);
  if (input.PartNumber !== undefined && input.PartNumber !== 1)
    throw s3err.invalidRequest("Cannot specify part number for a non-multipart object");
  const range = input.Range !== undefined ? parseRange(input.Range, o.size) : undefined;
  if (range) {
    out.ContentRange = `bytes ${range.start}-${range.end}/${o.size}`;
    out.ContentLength = range.end - range.start + 1;
  }
  if (!withBody) return out;
  // x-amz-tagging-count: GET only (HEAD's answer has no such header), when the object has tags.
  const tagCount = Object.keys(o.tags ?? {}).length;
  if (tagCount) out.TagCount = tagCount;
  if (o.size === 0) {
    out.Body = new Uint8Array(0);
    return out;
  }
  const body = await readBody(ctx, o, range);
  if (!body) throw s3err.noSuchKey(input.Key); // the body went away under us (deleted meanwhile)
  out.Body = body;
  return out;
}

/** s3:GetObject on an object, with s3:ExistingObjectTag/<key> from its tags when it exists. */
function readTarget(ctx: ActionContext, input: ObjectInput, l: { bucket: BucketRow; object?: ObjectRow }) {
  return s3ActionTarget(
    ctx,
    "s3:GetObject",
    l.bucket,
    objectArn(l.bucket.name, input.Key),
    l.object?.tags ? { existingObjectTags: l.object.tags } : {},
  );
}

export const GetObject = defineAction({
  service: "s3",
  name: "GetObject",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadObject(ctx, i as ObjectInput),
  target: (i, ctx: ActionContext, l: { bucket: BucketRow; object?: ObjectRow }) => readTarget(ctx, i as ObjectInput, l),
  handler: (i, ctx: ActionContext, l: { bucket: BucketRow; object?: ObjectRow }) => readObject(ctx, i as GetObjectInput, l, true),
});

export const HeadObject = defineAction({
  service: "s3",
  name: "HeadObject",
  permission: "s3:GetObject",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadObject(ctx, i as ObjectInput),
  target: (i, ctx: ActionContext, l: { bucket: BucketRow; object?: ObjectRow }) => readTarget(ctx, i as ObjectInput, l),
  handler: (i, ctx: ActionContext, l: { bucket: BucketRow; object?: ObjectRow }) => readObject(ctx, i as GetObjectInput, l, false),
});

export const DeleteObject = defineAction({
  service: "s3",
  name: "DeleteObject",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext) => {
    const b = await getBucket(ctx.db, (i as ObjectInput).Bucket);
    if (!b) throw s3err.noSuchBucket((i as ObjectInput).Bucket);
    return b;
  },
  target: (i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:DeleteObject", b, objectArn(b.name, (i as ObjectInput).Key)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    checkExpectedOwner(i as ObjectInput, b);
    // 204 whether or not the key existed.
    discardBodies(ctx, await deleteObjectRows(ctx.db, b.name, [(i as ObjectInput).Key]));
    return {};
  },
});

interface DeleteObjectsInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
  Delete?: { Objects?: { Key?: string; VersionId?: string }[]; Quiet?: boolean };
}

const MAX_DELETE_KEYS = 1000;

/**
 * DeleteObjects: S3 checks s3:DeleteObject for each key; keys the caller may not delete come back
 * in `Errors` as AccessDenied while the others are deleted (the request itself answers 200).
 */
export const DeleteObjects = defineAction({
  service: "s3",
  name: "DeleteObjects",
  permission: "s3:DeleteObject",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext) => {
    const b = await getBucket(ctx.db, (i as DeleteObjectsInput).Bucket);
    if (!b) throw s3err.noSuchBucket((i as DeleteObjectsInput).Bucket);
    return b;
  },
  // No single target: each key is authorized in the handler.
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as DeleteObjectsInput;
    const objects = input.Delete?.Objects ?? [];
    if (!objects.length || objects.length > MAX_DELETE_KEYS || objects.some((o) => typeof o.Key !== "string")) throw s3err.malformedXml();
    checkExpectedOwner(input, b);
    const allowed: string[] = [];
    const errorsOut: { Key: string; Code: string; Message: string }[] = [];
    for (const o of objects) {
      const key = o.Key!;
      if (utf8.encode(key).length > MAX_KEY_BYTES) {
        errorsOut.push({ Key: key, Code: "KeyTooLongError", Message: "Your key is too long" });
        continue;
      }
      const target = s3ActionTarget(ctx, "s3:DeleteObject", b, objectArn(b.name, key));
      const { request, decision, decisionId } = await decide(ctx, "s3:DeleteObject", target);
      if (decision.decision === "allow") allowed.push(key);
      else {
        ctx.decisionId = decisionId;
        errorsOut.push({ Key: key, Code: "AccessDenied", Message: deniedMessage(request, decision, target) });
      }
    }
    const unique = [...new Set(allowed)];
    discardBodies(ctx, await deleteObjectRows(ctx.db, b.name, unique));
    const out: Record<string, XmlValue> = {};
    if (!input.Delete?.Quiet) out.Deleted = unique.map((Key) => ({ Key }));
    if (errorsOut.length) out.Errors = errorsOut;
    return out;
  },
});

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded. */
export function parseCopySource(s: string): { bucket: string; key: string } {
  const bad = () =>
    s3err.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", s);
  let v = s.startsWith("/") ? s.slice(1) : s;
  const q = v.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(v.slice(q + 1));
    const version = params.get("versionId");
    if (version !== null && version !== "null") throw s3err.invalidArgument("Invalid version id specified", "x-amz-copy-source", s);
    v = v.slice(0, q);
  }
  const slash = v.indexOf("/");
  if (slash <= 0 || slash === v.length - 1) throw bad();
  try {
    return { bucket: decodeURIComponent(v.slice(0, slash)), key: decodeURIComponent(v.slice(slash + 1)) };
  } catch {
    throw bad();
  }
}

interface CopyObjectInput extends ObjectInput, WriteHeaders, AclHeaders, SseInput {
  CopySource: string;
  MetadataDirective?: string;
  TaggingDirective?: string;
  Tagging?: string;
  CopySourceIfMatch?: string;
  CopySourceIfNoneMatch?: string;
  CopySourceIfModifiedSince?: Date;
  CopySourceIfUnmodifiedSince?: Date;
}

interface CopyLoaded {
  bucket: BucketRow;
  source: { bucket: BucketRow; object?: ObjectRow; key: string };
}

/** The destination's target: its headers, and the tags a REPLACE asks for, as condition keys. */
function copyTarget(ctx: ActionContext, action: string, input: CopyObjectInput, l: CopyLoaded) {
  const facts: S3CallFacts = { headers: writeKeyHeaders(input) };
  if (input.TaggingDirective === "REPLACE") {
    const requested = requestedTags(input.Tagging !== undefined ? taggingHeaderPairs(input.Tagging) : []);
    if (requested) facts.requestObjectTags = requested;
  }
  return s3ActionTarget(ctx, action, l.bucket, objectArn(l.bucket.name, input.Key), facts);
}

/** A source's stored headers without its encryption (the copy gets its own). */
function withoutSse(h: Record<string, string>): StoredHeaders {
  const { ServerSideEncryption: _a, SSEKMSKeyId: _b, ...rest } = h;
  return rest;
}

/**
 * CopyObject: s3:GetObject on the source and s3:PutObject on the destination (each in its bucket
 * owner's account). MetadataDirective COPY (default) keeps the source's metadata, REPLACE takes the
 * request's; copying an object onto itself needs REPLACE. TaggingDirective likewise for the tags:
 * copying tags needs s3:GetObjectTagging on the source, writing any needs s3:PutObjectTagging on
 * the destination (AWS's rule for tagged copies, as we read its documentation). The copy is
 * encrypted as the request asks (SSE-S3 by default), not as its source was.
 */
export const CopyObject = defineAction({
  service: "s3",
  name: "CopyObject",
  permission: "s3:PutObject",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext): Promise<CopyLoaded> => {
    const input = i as CopyObjectInput;
    checkKey(input.Key);
    const src = parseCopySource(input.CopySource);
    const [dest, source] = await Promise.all([getBucket(ctx.db, input.Bucket), getBucketAndObject(ctx.db, src.bucket, src.key)]);
    if (!dest) throw s3err.noSuchBucket(input.Bucket);
    if (!source.bucket) throw s3err.noSuchBucket(src.bucket);
    return { bucket: dest, source: { bucket: source.bucket, key: src.key, ...(source.object ? { object: source.object } : {}) } };
  },
  target: (i, ctx: ActionContext, l: CopyLoaded) => copyTarget(ctx, "s3:PutObject", i as CopyObjectInput, l),
  handler: async (i, ctx: ActionContext, l: CopyLoaded) => {
    const input = i as CopyObjectInput;
    checkExpectedOwner(input, l.bucket);
    checkObjectAcl(l.bucket, input);
    const sourceTarget = (action: string) =>
      s3ActionTarget(
        ctx,
        action,
        l.source.bucket,
        objectArn(l.source.bucket.name, l.source.key),
        l.source.object?.tags ? { existingObjectTags: l.source.object.tags } : {},
      );
    await authorizeCall(ctx, "s3:GetObject", sourceTarget("s3:GetObject"));
    const src = l.source.object;
    if (!src) throw await missingKey(ctx, l.source.bucket, l.source.key);
    const directive = input.MetadataDirective ?? "COPY";
    if (directive !== "COPY" && directive !== "REPLACE")
      throw s3err.invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
    const tagging = input.TaggingDirective ?? "COPY";
    if (tagging !== "COPY" && tagging !== "REPLACE")
      throw s3err.invalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", tagging);
    const sse = sseOf(input, l.bucket);
    const tags = tagging === "COPY" ? (src.tags ?? {}) : input.Tagging !== undefined ? parseTaggingHeader(input.Tagging) : {};
    if (tagging === "COPY" && Object.keys(tags).length)
      await authorizeCall(ctx, "s3:GetObjectTagging", sourceTarget("s3:GetObjectTagging"));
    if (Object.keys(tags).length) await authorizeCall(ctx, "s3:PutObjectTagging", copyTarget(ctx, "s3:PutObjectTagging", input, l));
    if (
      directive === "COPY" &&
      input.ServerSideEncryption === undefined &&
      l.source.bucket.name === l.bucket.name &&
      l.source.key === input.Key
    )
      throw s3err.invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    const cond: Conditions = {};
    if (input.CopySourceIfMatch !== undefined) cond.IfMatch = input.CopySourceIfMatch;
    if (input.CopySourceIfUnmodifiedSince !== undefined) cond.IfUnmodifiedSince = input.CopySourceIfUnmodifiedSince;
    if (input.CopySourceIfNoneMatch !== undefined) cond.IfNoneMatch = input.CopySourceIfNoneMatch;
    if (input.CopySourceIfModifiedSince !== undefined) cond.IfModifiedSince = input.CopySourceIfModifiedSince;
    try {
      checkConditions(cond, src, ctx.request.now, {
        match: "x-amz-copy-source-If-Match",
        unmodified: "x-amz-copy-source-If-Unmodified-Since",
      });
    } catch (e) {
      // For a copy, "not modified" is a failed precondition too.
      if (e instanceof Error && (e as { code?: string }).code === "NotModified")
        throw s3err.preconditionFailed(
          input.CopySourceIfNoneMatch !== undefined ? "x-amz-copy-source-If-None-Match" : "x-amz-copy-source-If-Modified-Since",
        );
      throw e;
    }
    const body = await readBody(ctx, src);
    if (!body) throw s3err.noSuchKey(l.source.key);
    const replace = directive === "REPLACE";
    const row = await writeObject(
      ctx,
      l.bucket,
      input.Key,
      body,
      src.size,
      src.etag,
      replace ? (input.ContentType ?? DEFAULT_CONTENT_TYPE) : src.contentType,
      { ...(replace ? storedHeaders(input) : withoutSse(src.headers)), ...sse },
      replace ? userMetadata(input) : src.metadata,
      tags,
    );
    return { CopyObjectResult: { ETag: row.etag, LastModified: new Date(row.lastModified) }, ...sseOut(sse) };
  },
});

export const objectActions: RegisteredAction[] = [PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject];
