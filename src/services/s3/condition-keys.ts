/**
 * S3's request condition keys, in one place: what a request carries (how it was signed, its x-amz-*
 * headers, the tags it asks for) and what it acts on (the existing object's tags, the bucket's tags)
 * become the keys S3 puts in the request context. Each action gets only the keys AWS lists for it
 * in the Service Authorization Reference (src/data/generated/service-catalog.ts): e.g.
 * s3:ExistingObjectTag/<key> reaches GetObject and PutObjectTagging but never PutObject or
 * DeleteObject (S3 does not evaluate it there), s3:x-amz-server-side-encryption only PutObject.
 * Pure: the caller hands in the facts.
 */
import { getAction } from "../../data/catalog";
import type { RequestSignature } from "../../auth/sigv4";

/** The x-amz-* request headers S3 turns into condition keys (as decoded into the operation's input). */
export interface S3KeyHeaders {
  acl?: string;
  copySource?: string;
  metadataDirective?: string;
  serverSideEncryption?: string;
  sseKmsKeyId?: string;
  locationConstraint?: string;
  objectOwnership?: string;
}

export interface S3RequestFacts {
  /** epoch ms (sandbox clock) */
  now: number;
  /** how the request was signed; absent for an unsigned (anonymous) request */
  signature?: RequestSignature;
  /** TLS version of an https request (`1.2`, `1.3`) */
  tlsVersion?: string;
  headers?: S3KeyHeaders;
  /** the tags of the object the request reads or changes, when it exists */
  existingObjectTags?: Record<string, string>;
  /** the tags the request asks for (x-amz-tagging, PutObjectTagging's TagSet) */
  requestObjectTags?: Record<string, string>;
  /** the bucket's tags (aws:ResourceTag/…, s3:BucketTag/…) */
  bucketTags?: Record<string, string>;
  /** keys the action computes itself (s3:prefix, s3:delimiter, s3:max-keys) */
  extra?: Record<string, string>;
}

export type S3Context = Record<string, string | string[]>;

/** Lower-cased condition keys (templates as `s3:existingobjecttag/<key>`) an S3 action supports, cached per action. */
const supportedKeys = new Map<string, ReadonlySet<string>>();

function supported(action: string): ReadonlySet<string> {
  let keys = supportedKeys.get(action);
  if (!keys) {
    const name = action.startsWith("s3:") ? action.slice(3) : action;
    keys = new Set((getAction("s3", name)?.conditionKeys ?? []).map((k) => k.toLowerCase()));
    supportedKeys.set(action, keys);
  }
  return keys;
}

/**
 * The S3 condition keys of one call of `action` (`s3:GetObject`): only those the action supports,
 * plus the bucket's tags as aws:ResourceTag/<k> and s3:BucketTag/<k> (keys of the bucket and object
 * resource types, so of every bucket and object action).
 */
export function s3RequestContext(action: string, f: S3RequestFacts): S3Context {
  const keys = supported(action);
  const out: S3Context = {};
  const put = (key: string, value: string | string[] | undefined, template = key): void => {
    if (value !== undefined && keys.has(template.toLowerCase())) out[key] = value;
  };
  const sig = f.signature;
  if (sig) {
    put("s3:authType", sig.presigned ? "REST-QUERY-STRING" : "REST-HEADER");
    put("s3:signatureversion", "AWS4-HMAC-SHA256");
    // Milliseconds since the signature's date (X-Amz-Date), never negative under a little skew.
    put("s3:signatureAge", String(Math.max(0, f.now - sig.signedAt)));
    put("s3:x-amz-content-sha256", sig.contentSha256 ?? (sig.presigned ? "UNSIGNED-PAYLOAD" : undefined));
  }
  put("s3:TlsVersion", f.tlsVersion);
  const h = f.headers ?? {};
  put("s3:x-amz-acl", h.acl);
  put("s3:x-amz-copy-source", h.copySource);
  put("s3:x-amz-metadata-directive", h.metadataDirective);
  put("s3:x-amz-server-side-encryption", h.serverSideEncryption);
  put("s3:x-amz-server-side-encryption-aws-kms-key-id", h.sseKmsKeyId);
  put("s3:locationconstraint", h.locationConstraint);
  put("s3:x-amz-object-ownership", h.objectOwnership);
  for (const [k, v] of Object.entries(f.existingObjectTags ?? {})) put(`s3:ExistingObjectTag/${k}`, v, "s3:ExistingObjectTag/<key>");
  if (f.requestObjectTags) {
    for (const [k, v] of Object.entries(f.requestObjectTags)) put(`s3:RequestObjectTag/${k}`, v, "s3:RequestObjectTag/<key>");
    put("s3:RequestObjectTagKeys", Object.keys(f.requestObjectTags));
  }
  // ABAC on general purpose buckets: the bucket's tags are the resource tags of the bucket and of its objects.
  for (const [k, v] of Object.entries(f.bucketTags ?? {})) {
    out[`aws:ResourceTag/${k}`] = v;
    out[`s3:BucketTag/${k}`] = v;
  }
  for (const [k, v] of Object.entries(f.extra ?? {})) put(k, v);
  return out;
}
