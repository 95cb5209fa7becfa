/**
 * S3 tagging: Put/Get/DeleteBucketTagging and Put/Get/DeleteObjectTagging, and the tag rules the
 * object writes share (PutObject's and CopyObject's x-amz-tagging header). Tags live in D1 with
 * their bucket or object (migrations/0010_s3_tags_ownership.sql).
 *
 * AWS's rules: at most 50 tags on a bucket and 10 on an object (BadRequest), keys of 1–128 and values
 * of 0–256 Unicode characters from letters, digits, spaces and `+ - = . _ : / @` (InvalidTag), no
 * key twice (InvalidTag), no `aws:` keys. DeleteBucketTagging is authorized as s3:PutBucketTagging
 * (AWS's API reference says so); the object actions take s3:ExistingObjectTag/<key> from the
 * object's current tags and PutObjectTagging s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys
 * from the new ones.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { setBucketTags, type BucketRow } from "../../store/s3-buckets";
import { getBucketAndObject, setObjectTags, type ObjectRow } from "../../store/s3-objects";
import { bucketArn, missingKey, objectArn, s3ActionTarget, s3err } from "./common";
import { checkExpectedOwner, loadBucket } from "./buckets";

export const MAX_BUCKET_TAGS = 50;
export const MAX_OBJECT_TAGS = 10;
const MAX_KEY_CHARS = 128;
const MAX_VALUE_CHARS = 256;
/** The characters AWS allows in tag keys and values. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export type TagSet = { Key?: string; Value?: string }[];

/** Validates a tag set (XML body or x-amz-tagging header) as S3 does and answers it as a map, in order. */
export function validateTags(tags: readonly { Key?: string; Value?: string }[], of: "bucket" | "object"): Record<string, string> {
  if (of === "object" && tags.length > MAX_OBJECT_TAGS) throw s3err.badRequest(`Object tags cannot be greater than ${MAX_OBJECT_TAGS}`);
  if (of === "bucket" && tags.length > MAX_BUCKET_TAGS)
    throw s3err.badRequest(`Bucket tag count cannot be greater than ${MAX_BUCKET_TAGS}`);
  const out: Record<string, string> = {};
  for (const t of tags) {
    const key = t.Key ?? "";
    const value = t.Value ?? "";
    const keyChars = [...key].length;
    if (keyChars < 1 || keyChars > MAX_KEY_CHARS || !TAG_CHARS.test(key)) throw s3err.invalidTag("The TagKey you have provided is invalid");
    if ([...value].length > MAX_VALUE_CHARS || !TAG_CHARS.test(value)) throw s3err.invalidTag("The TagValue you have provided is invalid");
    // AWS reserves the prefix (wording of S3's answer as reported for buckets and objects; not checked against AWS here).
    if (key.toLowerCase().startsWith("aws:"))
      throw s3err.invalidTag(
        of === "bucket" ? "System tags cannot be added/updated by requester" : "Your TagKey cannot be prefixed with aws:",
      );
    if (Object.hasOwn(out, key)) throw s3err.invalidTag("Cannot provide multiple Tags with the same key");
    out[key] = value;
  }
  return out;
}

/** The pairs of an x-amz-tagging header (`k1=v1&k2=v2`, URL-encoded), in order; undefined when it is not a query string. */
export function taggingHeaderPairs(header: string): { Key: string; Value: string }[] | undefined {
  try {
    return [...new URLSearchParams(header)].map(([Key, Value]) => ({ Key, Value }));
  } catch {
    return undefined;
  }
}

/** x-amz-tagging as PutObject/CopyObject/CreateMultipartUpload take it: a duplicate name is InvalidArgument, the rest as any tag set. */
export function parseTaggingHeader(header: string): Record<string, string> {
  const pairs = taggingHeaderPairs(header);
  const names = pairs?.map((p) => p.Key) ?? [];
  if (!pairs || new Set(names).size !== names.length)
    throw s3err.invalidArgument(
      "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
      "x-amz-tagging",
      header,
    );
  return validateTags(pairs, "object");
}

/** The tags a request asks for, for its condition keys (last value of a repeated name; validation comes later). */
export function requestedTags(pairs: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) if (p.Key !== undefined) out[p.Key] = p.Value ?? "";
  return out;
}

const tagSetOf = (tags: Record<string, string>): { Key: string; Value: string }[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

interface BucketTaggingInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
  Tagging?: { TagSet?: TagSet };
}

export const PutBucketTagging = defineAction({
  service: "s3",
  name: "PutBucketTagging",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as BucketTaggingInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:PutBucketTagging", b, bucketArn(b.name)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as BucketTaggingInput;
    checkExpectedOwner(input, b);
    if (!input.Tagging) throw s3err.malformedXml();
    const tags = validateTags(input.Tagging.TagSet ?? [], "bucket");
    if (!(await setBucketTags(ctx.db, b.name, b.accountId, tags))) throw s3err.noSuchBucket(b.name);
    // 204 No Content, as S3 answers (the model's operation has no output).
    return {};
  },
});

export const GetBucketTagging = defineAction({
  service: "s3",
  name: "GetBucketTagging",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as BucketTaggingInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:GetBucketTagging", b, bucketArn(b.name)),
  handler: (i, _ctx, b: BucketRow) => {
    checkExpectedOwner(i as BucketTaggingInput, b);
    if (!b.tags || !Object.keys(b.tags).length) throw s3err.noSuchTagSet(b.name);
    return { TagSet: tagSetOf(b.tags) };
  },
});

export const DeleteBucketTagging = defineAction({
  service: "s3",
  name: "DeleteBucketTagging",
  permission: "s3:PutBucketTagging",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as BucketTaggingInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:PutBucketTagging", b, bucketArn(b.name)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    checkExpectedOwner(i as BucketTaggingInput, b);
    if (!(await setBucketTags(ctx.db, b.name, b.accountId, null))) throw s3err.noSuchBucket(b.name);
    return {};
  },
});

interface ObjectTaggingInput {
  Bucket: string;
  Key: string;
  VersionId?: string;
  ExpectedBucketOwner?: string;
  Tagging?: { TagSet?: TagSet };
}

interface ObjectLoaded {
  bucket: BucketRow;
  object?: ObjectRow;
}

async function loadObject(ctx: ActionContext, input: ObjectTaggingInput): Promise<ObjectLoaded> {
  const r = await getBucketAndObject(ctx.db, input.Bucket, input.Key);
  if (!r.bucket) throw s3err.noSuchBucket(input.Bucket);
  return r.object ? { bucket: r.bucket, object: r.object } : { bucket: r.bucket };
}

/** The existing object and its checks shared by the three object actions (versions: only the null version exists). */
async function existing(ctx: ActionContext, input: ObjectTaggingInput, l: ObjectLoaded): Promise<ObjectRow> {
  checkExpectedOwner(input, l.bucket);
  if (input.VersionId !== undefined && input.VersionId !== "null")
    throw s3err.invalidArgument("Invalid version id specified", "versionId", input.VersionId);
  if (!l.object) throw await missingKey(ctx, l.bucket, input.Key);
  return l.object;
}

function objectTarget(ctx: ActionContext, action: string, input: ObjectTaggingInput, l: ObjectLoaded, requested?: Record<string, string>) {
  return s3ActionTarget(ctx, action, l.bucket, objectArn(l.bucket.name, input.Key), {
    ...(l.object?.tags ? { existingObjectTags: l.object.tags } : {}),
    ...(requested ? { requestObjectTags: requested } : {}),
  });
}

export const PutObjectTagging = defineAction({
  service: "s3",
  name: "PutObjectTagging",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadObject(ctx, i as ObjectTaggingInput),
  target: (i, ctx: ActionContext, l: ObjectLoaded) => {
    const input = i as ObjectTaggingInput;
    return objectTarget(ctx, "s3:PutObjectTagging", input, l, requestedTags(input.Tagging?.TagSet ?? []));
  },
  handler: async (i, ctx: ActionContext, l: ObjectLoaded) => {
    const input = i as ObjectTaggingInput;
    const o = await existing(ctx, input, l);
    if (!input.Tagging) throw s3err.malformedXml();
    const tags = validateTags(input.Tagging.TagSet ?? [], "object");
    if (!(await setObjectTags(ctx.db, l.bucket.name, o.key, tags))) throw await missingKey(ctx, l.bucket, input.Key);
    return {};
  },
});

export const GetObjectTagging = defineAction({
  service: "s3",
  name: "GetObjectTagging",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadObject(ctx, i as ObjectTaggingInput),
  target: (i, ctx: ActionContext, l: ObjectLoaded) => objectTarget(ctx, "s3:GetObjectTagging", i as ObjectTaggingInput, l),
  handler: async (i, ctx: ActionContext, l: ObjectLoaded) => {
    const o = await existing(ctx, i as ObjectTaggingInput, l);
    return { TagSet: tagSetOf(o.tags ?? {}) };
  },
});

export const DeleteObjectTagging = defineAction({
  service: "s3",
  name: "DeleteObjectTagging",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadObject(ctx, i as ObjectTaggingInput),
  target: (i, ctx: ActionContext, l: ObjectLoaded) => objectTarget(ctx, "s3:DeleteObjectTagging", i as ObjectTaggingInput, l),
  handler: async (i, ctx: ActionContext, l: ObjectLoaded) => {
    const input = i as ObjectTaggingInput;
    const o = await existing(ctx, input, l);
    if (!(await setObjectTags(ctx.db, l.bucket.name, o.key, {}))) throw await missingKey(ctx, l.bucket, input.Key);
    return {};
  },
});

export const taggingActions: RegisteredAction[] = [
  PutBucketTagging,
  GetBucketTagging,
  DeleteBucketTagging,
  PutObjectTagging,
  GetObjectTagging,
  DeleteObjectTagging,
];
