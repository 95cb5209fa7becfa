/**
 * What every S3 action shares: S3's errors in its own words, bucket-name rules, the resource ARNs
 * and authorization targets, the owner element, and where object bodies live in R2.
 *
 * Authorization: every call names the IAM action S3 checks, the bucket or object ARN, and the
 * bucket owner's account as `resourceAccount`, and the bucket policy, when there is one, as the
 * target's resource policy: the engine then applies AWS's rules — same account, identity policy OR
 * bucket policy; across accounts, both; a policy naming an account delegates to its identity policies.
 */
import { AwsError } from "../../protocol/errors";
import type { ActionContext, AuthzTarget } from "../action";
import type { BucketRow } from "../../store/s3-buckets";
import { decide } from "../../authz/authorize";
import { effectiveBucketPolicy } from "./public-policy";
import { s3RequestContext, type S3RequestFacts } from "./condition-keys";
import { s3BucketArn } from "../../lib/arn";

export const s3err = {
  noSuchBucket: (bucket: string) =>
    new AwsError("NoSuchBucket", "The specified bucket does not exist", 404).withDetails({ BucketName: bucket }),
  noSuchKey: (key: string) => new AwsError("NoSuchKey", "The specified key does not exist.", 404).withDetails({ Key: key }),
  invalidBucketName: (bucket: string) =>
    new AwsError("InvalidBucketName", "The specified bucket is not valid.", 400).withDetails({ BucketName: bucket }),
  bucketAlreadyExists: (bucket: string) =>
    new AwsError(
      "BucketAlreadyExists",
      "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
      409,
    ).withDetails({ BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new AwsError(
      "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it.",
      409,
    ).withDetails({ BucketName: bucket }),
  bucketNotEmpty: (bucket: string) =>
    new AwsError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409).withDetails({ BucketName: bucket }),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new AwsError("InvalidArgument", message, 400).withDetails(name !== undefined ? { ArgumentName: name, ArgumentValue: value ?? "" } : {}),
  invalidRequest: (message: string) => new AwsError("InvalidRequest", message, 400),
  malformedXml: () =>
    new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400),
  invalidRange: (range: string, size: number) =>
    new AwsError("InvalidRange", "The requested range is not satisfiable", 416).withDetails({
      RangeRequested: range,
      ActualObjectSize: String(size),
    }),
  preconditionFailed: (condition: string) =>
    new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412).withDetails({
      Condition: condition,
    }),
  notModified: () => new AwsError("NotModified", "Not Modified", 304),
  keyTooLong: (size: number) =>
    new AwsError("KeyTooLongError", "Your key is too long", 400).withDetails({ Size: String(size), MaxSizeAllowed: "1024" }),
  badDigest: () => new AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.", 400),
  invalidDigest: () => new AwsError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400),
  metadataTooLarge: () =>
    new AwsError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size", 400).withDetails({
      MaxSizeAllowed: "2048",
    }),
  accessDenied: () => new AwsError("AccessDenied", "Access Denied", 403),
  aclNotSupported: () => new AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400),
  noSuchTagSet: (bucket: string) => new AwsError("NoSuchTagSet", "The TagSet does not exist", 404).withDetails({ BucketName: bucket }),
  invalidTag: (message: string) => new AwsError("InvalidTag", message, 400),
  badRequest: (message: string) => new AwsError("BadRequest", message, 400),
};

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * S3's general purpose bucket naming rules: 3–63 characters of lower-case letters, digits, dots and
 * hyphens, starting and ending with a letter or digit, no two adjacent dots, not an IP address, none
 * of the reserved prefixes (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffixes (`-s3alias`, `--ol-s3`,
 * `.mrap`, `--x-s3`, `--table-s3`).
 */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes("..") || IPV4.test(name)) return false;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}

export const bucketArn = s3BucketArn;
export const objectArn = (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`;

/**
 * The authorization target of a call on a bucket or one of its objects: the resource in the bucket
 * owner's account, the bucket policy (the one place where resourcePolicies gets added), S3's denial
 * wording, and the request's S3 condition keys.
 */
export function s3Target(bucket: BucketRow, resource: string, context?: Record<string, string | string[]>): AuthzTarget {
  const t: AuthzTarget = { resource, resourceAccount: bucket.accountId, deniedMessage: "s3" };
  // As enforced: Block Public Access's RestrictPublicBuckets narrows a public policy (./public-policy.ts).
  const policy = effectiveBucketPolicy(bucket);
  if (policy !== undefined) t.resourcePolicies = [{ id: bucketArn(bucket.name), json: policy, kind: "resource" }];
  // A policy change made while the owner account lagged (eventual consistency) may not be in force yet.
  if (bucket.policyGeneration !== undefined)
    t.pendingResourcePolicy = { id: bucketArn(bucket.name), account: bucket.accountId, generation: bucket.policyGeneration };
  // The bucket owner's account, as AWS sets both keys for S3 (bucket policies often compare them).
  t.context = { "aws:ResourceAccount": bucket.accountId, "s3:ResourceAccount": bucket.accountId, ...context };
  return t;
}

/** What an action adds to the request's own facts for its condition keys. */
export type S3CallFacts = Omit<S3RequestFacts, "now" | "signature" | "tlsVersion" | "bucketTags">;

/**
 * The target of a call of `action` (the IAM action, `s3:GetObject`) on a bucket or object, with S3's
 * condition keys (./condition-keys.ts) from the request, the bucket's tags and the action's `facts`.
 */
export function s3ActionTarget(
  ctx: ActionContext,
  action: string,
  bucket: BucketRow,
  resource: string,
  facts: S3CallFacts = {},
): AuthzTarget {
  const f: S3RequestFacts = { now: ctx.request.now, ...facts };
  if (ctx.request.signature) f.signature = ctx.request.signature;
  if (ctx.request.tlsVersion) f.tlsVersion = ctx.request.tlsVersion;
  if (bucket.tags) f.bucketTags = bucket.tags;
  return s3Target(bucket, resource, s3RequestContext(action, f));
}

/**
 * A key that does not exist: NoSuchKey for a caller who may list the bucket (s3:ListBucket),
 * AccessDenied for anyone else — S3 does not tell who cannot list whether a key exists.
 */
export async function missingKey(ctx: ActionContext, bucket: BucketRow, key: string): Promise<AwsError> {
  const { decision } = await decide(ctx, "s3:ListBucket", s3ActionTarget(ctx, "s3:ListBucket", bucket, bucketArn(bucket.name)));
  return decision.decision === "allow" ? s3err.noSuchKey(key) : s3err.accessDenied();
}

/** S3's canonical user id of an account (64 hex characters; AWS's are opaque, this one is stable per account). */
export function canonicalUserId(account: string): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 64; round++) {
    for (const c of `${account}:${round}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    out += (h >>> 0).toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

/** The Owner element of an account. */
export function ownerOf(account: string): { DisplayName: string; ID: string } {
  return { DisplayName: account, ID: canonicalUserId(account) };
}

/** The R2 key of a new body of an object: `<owner account>/<bucket>/<uuid>` (a fresh one per write). */
export function newBodyKey(bucket: BucketRow): string {
  return `${bucket.accountId}/${bucket.name}/${crypto.randomUUID()}`;
}

/** Deletes bodies from R2 behind the response (a failure leaves an orphan, never a wrong answer). */
export function deleteBodiesLater(ctx: ActionContext, keys: readonly string[]): void {
  if (!keys.length) return;
  ctx.waitUntil(
    (async () => {
      for (let i = 0; i < keys.length; i += 1000) await ctx.env.OBJECTS.delete(keys.slice(i, i + 1000) as string[]);
    })().catch((e: unknown) => console.error("s3: deleting replaced bodies failed", e instanceof Error ? e.message : e)),
  );
}

/** ISO 8601 at whole seconds: S3's Last-Modified has second precision (HTTP dates). */
export function isoNowSeconds(t: number): string {
  return new Date(Math.floor(t / 1000) * 1000).toISOString();
}

/** Base64 of a UTF-8 string and back (opaque continuation tokens). */
export function encodeToken(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
export function decodeToken(s: string): string | undefined {
  try {
    const bin = atob(s);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The signing region stands for the endpoint's region (iamlab serves every region on one endpoint). */
export function requestRegion(ctx: ActionContext): string {
  return ctx.request.region || "us-east-1";
}
