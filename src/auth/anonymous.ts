/**
 * Anonymous callers: an S3 request with no signature at all (no Authorization header, no X-Amz-*
 * query signature) is made by nobody in particular, as on AWS. It is authorized like any other
 * call: the engine's "anonymous" principal has no identity policies and no account, so only a
 * resource-based policy (a bucket policy granting `"Principal": "*"` or `{"AWS": "*"}`) can allow it.
 * Other services keep answering unsigned requests with their MissingAuthenticationToken errors.
 */
import { AwsError } from "../protocol/errors";
import { MAX_S3_PAYLOAD_BYTES } from "../protocol/body";
import type { Caller } from "./caller";
import type { RawRequest } from "./sigv4";
import { decodeAwsChunked, isStreamingMode, STREAMING_UNSIGNED_TRAILER } from "./sigv4-streaming";

/** The region an unsigned request is served in: nothing names one (iamlab serves every region on one endpoint). */
export const ANONYMOUS_REGION = "us-east-1";

/**
 * A new anonymous caller (a fresh object per request: the pipeline may annotate its caller). No
 * account (""), no access key, no identity policies; aws:PrincipalType is "Anonymous".
 */
export function anonymousCaller(): Caller {
  return { principal: { kind: "anonymous", account: "", arn: "anonymous", userId: "anonymous" }, accessKeyId: "", generation: 0 };
}

/**
 * The payload of an unsigned S3 request: the body, or an aws-chunked upload with unsigned chunks
 * (STREAMING-UNSIGNED-PAYLOAD-TRAILER, which SDKs send with flexible checksums) de-chunked. Chunks
 * that claim signatures cannot be checked without one (S3's exact answer unconfirmed: AccessDenied).
 */
export async function anonymousPayload(raw: RawRequest, body: Uint8Array): Promise<Uint8Array> {
  const declared = raw.headers.get("x-amz-content-sha256");
  if (!isStreamingMode(declared)) return body;
  if (declared !== STREAMING_UNSIGNED_TRAILER) throw new AwsError("AccessDenied", "Access Denied", 403);
  const decodedLength = raw.headers.get("x-amz-decoded-content-length");
  const out = await decodeAwsChunked(body, {
    mode: declared,
    trailer: raw.headers.get("x-amz-trailer"),
    ...(decodedLength !== null && /^\d+$/.test(decodedLength) ? { decodedLength: Number(decodedLength) } : {}),
    maxBytes: MAX_S3_PAYLOAD_BYTES,
  });
  return out.payload;
}
