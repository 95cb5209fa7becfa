/**
 * Server-side encryption as S3 reports it. Every object is encrypted at rest (SSE-S3, `AES256`, by
 * default since January 2023); a write may ask for `aws:kms` / `aws:kms:dsse` with a KMS key, which
 * S3 stores and echoes back as the key's ARN. There is no real KMS here: the key is a name, nothing
 * is encrypted with it and no kms:* permission is checked.
 */
import type { BucketRow } from "../../store/s3-buckets";
import { canonicalUserId, s3err } from "./common";

export const SSE_S3 = "AES256";
const SSE_ALGORITHMS = new Set([SSE_S3, "aws:kms", "aws:kms:dsse"]);

export interface SseInput {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
}

/** What an object stores and answers with (x-amz-server-side-encryption, -aws-kms-key-id). */
export interface SseSettings {
  ServerSideEncryption: string;
  SSEKMSKeyId?: string;
}

/** The AWS managed key aws/s3 of an account in a region (a stable made-up key id). */
function awsManagedKeyArn(region: string, account: string): string {
  const h = canonicalUserId(`${account}:aws/s3:${region}`);
  return `arn:aws:kms:${region}:${account}:key/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A key id, alias or ARN as the ARN S3 answers with, in the bucket's region and owner's account. */
function keyArn(id: string, region: string, account: string): string {
  if (id.startsWith("arn:")) return id;
  return id.startsWith("alias/") ? `arn:aws:kms:${region}:${account}:${id}` : `arn:aws:kms:${region}:${account}:key/${id}`;
}

/** The encryption of a new object from the write's headers: SSE-S3 unless it asks for KMS. */
export function sseOf(input: SseInput, bucket: BucketRow): SseSettings {
  const alg = input.ServerSideEncryption;
  if (alg !== undefined && !SSE_ALGORITHMS.has(alg))
    throw s3err.invalidArgument("The encryption method specified is not supported", "x-amz-server-side-encryption", alg);
  if (alg === undefined || alg === SSE_S3) {
    if (input.SSEKMSKeyId !== undefined)
      throw s3err.invalidArgument(
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id",
        input.SSEKMSKeyId,
      );
    return { ServerSideEncryption: SSE_S3 };
  }
  const region = bucket.region === "EU" ? "eu-west-1" : bucket.region;
  const id = input.SSEKMSKeyId?.trim();
  return { ServerSideEncryption: alg, SSEKMSKeyId: id ? keyArn(id, region, bucket.accountId) : awsManagedKeyArn(region, bucket.accountId) };
}

/** The stored encryption of an object (rows written before it was recorded are SSE-S3). */
export function storedSse(headers: Record<string, string>): SseSettings {
  const alg = headers.ServerSideEncryption ?? SSE_S3;
  return headers.SSEKMSKeyId !== undefined
    ? { ServerSideEncryption: alg, SSEKMSKeyId: headers.SSEKMSKeyId }
    : { ServerSideEncryption: alg };
}
