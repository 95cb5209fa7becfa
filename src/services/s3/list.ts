/**
 * S3 listings: ListObjectsV2 and ListObjects (prefix, delimiter + CommonPrefixes, continuation
 * token / marker, max-keys, KeyCount, IsTruncated, EncodingType=url). Both are s3:ListBucket on the
 * bucket, with the condition keys s3:prefix, s3:delimiter and s3:max-keys from the request.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { getBucket, type BucketRow } from "../../store/s3-buckets";
import { listObjectRows, type ListedObject } from "../../store/s3-objects";
import type { XmlValue } from "../../protocol/xml";
import { bucketArn, decodeToken, encodeToken, ownerOf, s3ActionTarget, s3err } from "./common";
import { checkExpectedOwner } from "./buckets";

const MAX_KEYS = 1000;
/** Rows read per D1 query while grouping by delimiter. */
const BATCH = 1000;
/** Past every key that starts with a prefix (U+10FFFF is the top of UTF-8's order). */
const PAST = "\u{10FFFF}";

interface ListInput {
  Bucket: string;
  Prefix?: string;
  Delimiter?: string;
  MaxKeys?: number;
  EncodingType?: string;
  ExpectedBucketOwner?: string;
}

export interface ListPage {
  contents: ListedObject[];
  commonPrefixes: string[];
  truncated: boolean;
  /** the last key or common prefix of the page (where the next page starts after) */
  last?: string;
}

/**
 * One page of a bucket's listing after `after` (exclusive): keys under `prefix`, those with
 * `delimiter` past the prefix rolled up into common prefixes (each counted once toward `maxKeys`).
 * Keys inside a common prefix already listed are skipped with one jump, never read one by one.
 */
export async function listPage(
  ctx: ActionContext,
  bucket: string,
  prefix: string,
  delimiter: string,
  after: string,
  maxKeys: number,
): Promise<ListPage> {
  const page: ListPage = { contents: [], commonPrefixes: [], truncated: false };
  if (maxKeys === 0) return page;
  let from = after < prefix ? "" : after;
  let lastPrefix: string | undefined;
  // Continuing after a common prefix (a page's last entry): skip every key under it.
  if (
    delimiter &&
    after.startsWith(prefix) &&
    after.endsWith(delimiter) &&
    after.indexOf(delimiter, prefix.length) === after.length - delimiter.length
  ) {
    lastPrefix = after;
    from = after + PAST;
  }
  for (;;) {
    // One row past what the page can still hold tells whether it is truncated without another query
    // (a full page of 1,000 keys is one query, not two).
    const limit = Math.min(BATCH, maxKeys - page.contents.length - page.commonPrefixes.length) + 1;
    const rows = await listObjectRows(ctx.db, bucket, { prefix, after: from, limit });
    let jumped = false;
    for (const r of rows) {
      const rest = r.key.slice(prefix.length);
      const at = delimiter ? rest.indexOf(delimiter) : -1;
      const cp = at >= 0 ? prefix + rest.slice(0, at + delimiter.length) : undefined;
      if (cp !== undefined && cp === lastPrefix) continue;
      if (page.contents.length + page.commonPrefixes.length >= maxKeys) {
        page.truncated = true;
        return page;
      }
      if (cp !== undefined) {
        page.commonPrefixes.push(cp);
        page.last = lastPrefix = cp;
        // Skip the rest of this common prefix in one query.
        from = cp + PAST;
        jumped = true;
        break;
      }
      page.contents.push(r);
      page.last = from = r.key;
    }
    if (!jumped && rows.length < limit) return page;
  }
}

function validate(input: ListInput): { maxKeys: number; url: boolean } {
  if (input.MaxKeys !== undefined && input.MaxKeys < 0)
    throw s3err.invalidArgument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", String(input.MaxKeys));
  if (input.EncodingType !== undefined && input.EncodingType !== "url")
    throw s3err.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", input.EncodingType);
  return { maxKeys: Math.min(input.MaxKeys ?? MAX_KEYS, MAX_KEYS), url: input.EncodingType === "url" };
}

/** EncodingType=url: key-like fields percent-encoded (botocore and the CLI ask for it and decode them). */
function encoder(url: boolean): (s: string) => string {
  return url ? (s) => encodeURIComponent(s) : (s) => s;
}

function listContext(input: ListInput): Record<string, string> {
  const c: Record<string, string> = {};
  if (input.Prefix !== undefined) c["s3:prefix"] = input.Prefix;
  if (input.Delimiter !== undefined) c["s3:delimiter"] = input.Delimiter;
  if (input.MaxKeys !== undefined) c["s3:max-keys"] = String(input.MaxKeys);
  return c;
}

async function loadBucketOf(ctx: ActionContext, input: ListInput): Promise<BucketRow> {
  const b = await getBucket(ctx.db, input.Bucket);
  if (!b) throw s3err.noSuchBucket(input.Bucket);
  return b;
}

function contentsOf(page: ListPage, enc: (s: string) => string, owner: { DisplayName: string; ID: string } | undefined): XmlValue[] {
  return page.contents.map((o) => {
    const item: Record<string, XmlValue> = {
      Key: enc(o.key),
      LastModified: new Date(o.lastModified),
      ETag: o.etag,
      Size: o.size,
      StorageClass: "STANDARD",
    };
    if (owner) item.Owner = owner;
    return item;
  });
}

interface ListV2Input extends ListInput {
  ContinuationToken?: string;
  StartAfter?: string;
  FetchOwner?: boolean;
}

export const ListObjectsV2 = defineAction({
  service: "s3",
  name: "ListObjectsV2",
  permission: "s3:ListBucket",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, i as ListInput),
  target: (i, ctx: ActionContext, b: BucketRow) =>
    s3ActionTarget(ctx, "s3:ListBucket", b, bucketArn(b.name), { extra: listContext(i as ListInput) }),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as ListV2Input;
    checkExpectedOwner(input, b);
    const { maxKeys, url } = validate(input);
    const enc = encoder(url);
    let after = input.StartAfter ?? "";
    if (input.ContinuationToken !== undefined) {
      const t = decodeToken(input.ContinuationToken);
      if (t === undefined || !t.startsWith("k:"))
        throw s3err.invalidArgument("The continuation token provided is incorrect", "continuation-token", input.ContinuationToken);
      after = t.slice(2);
    }
    const prefix = input.Prefix ?? "";
    const page = await listPage(ctx, b.name, prefix, input.Delimiter ?? "", after, maxKeys);
    const out: Record<string, XmlValue> = {
      IsTruncated: page.truncated,
      Contents: contentsOf(page, enc, input.FetchOwner ? ownerOf(b.accountId) : undefined),
      Name: b.name,
      Prefix: enc(prefix),
      MaxKeys: input.MaxKeys ?? MAX_KEYS,
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
      KeyCount: page.contents.length + page.commonPrefixes.length,
    };
    if (input.Delimiter !== undefined) out.Delimiter = enc(input.Delimiter);
    if (url) out.EncodingType = "url";
    if (input.ContinuationToken !== undefined) out.ContinuationToken = input.ContinuationToken;
    if (input.StartAfter !== undefined) out.StartAfter = enc(input.StartAfter);
    if (page.truncated && page.last !== undefined) out.NextContinuationToken = encodeToken(`k:${page.last}`);
    return out;
  },
});

interface ListV1Input extends ListInput {
  Marker?: string;
}

export const ListObjects = defineAction({
  service: "s3",
  name: "ListObjects",
  permission: "s3:ListBucket",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucketOf(ctx, i as ListInput),
  target: (i, ctx: ActionContext, b: BucketRow) =>
    s3ActionTarget(ctx, "s3:ListBucket", b, bucketArn(b.name), { extra: listContext(i as ListInput) }),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as ListV1Input;
    checkExpectedOwner(input, b);
    const { maxKeys, url } = validate(input);
    const enc = encoder(url);
    const prefix = input.Prefix ?? "";
    const page = await listPage(ctx, b.name, prefix, input.Delimiter ?? "", input.Marker ?? "", maxKeys);
    const out: Record<string, XmlValue> = {
      IsTruncated: page.truncated,
      Marker: enc(input.Marker ?? ""),
      Contents: contentsOf(page, enc, ownerOf(b.accountId)),
      Name: b.name,
      Prefix: enc(prefix),
      MaxKeys: input.MaxKeys ?? MAX_KEYS,
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    };
    if (input.Delimiter !== undefined) out.Delimiter = enc(input.Delimiter);
    if (url) out.EncodingType = "url";
    // NextMarker only with a delimiter; without one the last key is the next marker (S3).
    if (page.truncated && input.Delimiter !== undefined && page.last !== undefined) out.NextMarker = enc(page.last);
    return out;
  },
});

export const listActions: RegisteredAction[] = [ListObjectsV2, ListObjects];
