/**
 * S3 multipart upload rules (pure): part numbers, which parts a CompleteMultipartUpload may
 * assemble, the multipart ETag and composite checksums as S3 computes them, and S3's errors for
 * each, in the wording of S3's error-code table (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
import { AwsError } from "../../protocol/errors";
import { fromBase64 } from "../../protocol/wire";
import { toHex } from "../../lib/encoding";

export const MIN_PART_NUMBER = 1;
export const MAX_PART_NUMBER = 10_000;
/** Every part but the last must be at least 5 MiB (S3's limit). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's largest single PUT (PutObject, UploadPart): 5 GiB. */
export const MAX_PUT_BYTES = 5 * 1024 * 1024 * 1024;
/** The checksum algorithms whose values iamlab computes (CRC64NVME is accepted, not computed). */
export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export const mpuErr = {
  noSuchUpload: (uploadId: string) =>
    new AwsError(
      "NoSuchUpload",
      "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.",
      404,
    ).withDetails({ UploadId: uploadId }),
  invalidPart: (uploadId: string, partNumber: number, etag: string) =>
    new AwsError(
      "InvalidPart",
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
    ).withDetails({ UploadId: uploadId, PartNumber: String(partNumber), ETag: etag }),
  invalidPartOrder: (uploadId: string) =>
    new AwsError(
      "InvalidPartOrder",
      "The list of parts was not in ascending order. Parts must be ordered by part number.",
      400,
    ).withDetails({
      UploadId: uploadId,
    }),
  entityTooSmall: (size: number, partNumber: number, etag: string) =>
    new AwsError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400).withDetails({
      ProposedSize: String(size),
      MinSizeAllowed: String(MIN_PART_BYTES),
      PartNumber: String(partNumber),
      ETag: etag,
    }),
  invalidPartNumber: (value: string) =>
    new AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400).withDetails({
      ArgumentName: "partNumber",
      ArgumentValue: value,
    }),
  malformedXml: () =>
    new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400),
};

/** UploadPart / UploadPartCopy: 1 ≤ partNumber ≤ 10,000, else InvalidArgument. */
export function checkPartNumber(n: number | undefined): number {
  if (n === undefined || !Number.isInteger(n) || n < MIN_PART_NUMBER || n > MAX_PART_NUMBER)
    throw mpuErr.invalidPartNumber(String(n ?? ""));
  return n;
}

/** An ETag as the client quoted it or not: `"abc"`, `abc`, `&quot;abc&quot;` all name the same part. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, "").toLowerCase();
}

export interface StoredPart {
  partNumber: number;
  size: number;
  /** quoted hex MD5 */
  etag: string;
}

export interface RequestedPart {
  PartNumber?: number;
  ETag?: string;
}

/**
 * The parts a CompleteMultipartUpload names, checked as S3 checks them: at least one (MalformedXML),
 * ascending part numbers (InvalidPartOrder), each uploaded with that ETag (InvalidPart), each but
 * the last at least 5 MiB (EntityTooSmall). Answers the stored parts in order.
 */
export function partsToComplete<P extends StoredPart>(uploadId: string, requested: readonly RequestedPart[], stored: readonly P[]): P[] {
  if (!requested.length) throw mpuErr.malformedXml();
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const out: P[] = [];
  let previous = 0;
  for (const r of requested) {
    if (r.PartNumber === undefined) throw mpuErr.malformedXml();
    if (r.PartNumber <= previous) throw mpuErr.invalidPartOrder(uploadId);
    previous = r.PartNumber;
  }
  for (const r of requested) {
    const p = byNumber.get(r.PartNumber!);
    if (!p || r.ETag === undefined || normalizeEtag(r.ETag) !== normalizeEtag(p.etag))
      throw mpuErr.invalidPart(uploadId, r.PartNumber!, r.ETag ?? "");
    out.push(p);
  }
  for (let i = 0; i < out.length - 1; i++) {
    const p = out[i]!;
    if (p.size < MIN_PART_BYTES) throw mpuErr.entityTooSmall(p.size, p.partNumber, normalizeEtag(p.etag));
  }
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** workerd's WebCrypto has MD5 (an extension); tests under Node pass their own. */
export type Md5 = (data: Uint8Array) => Promise<ArrayBuffer> | ArrayBuffer;
const subtleMd5: Md5 = (data) => crypto.subtle.digest("MD5", data);

/**
 * The ETag of a multipart object as S3 computes it: the MD5 of the concatenated binary MD5s of
 * its parts, then `-<number of parts>`, quoted.
 */
export async function multipartEtag(partEtags: readonly string[], md5: Md5 = subtleMd5): Promise<string> {
  const digest = await md5(concat(partEtags.map((e) => hexBytes(normalizeEtag(e)))));
  return `"${toHex(digest)}-${partEtags.length}"`;
}

/**
 * The checksum of a multipart object (S3's COMPOSITE type): the algorithm over the concatenated
 * binary checksums of the parts, base64, then `-<number of parts>`. `digest` computes the
 * base64 checksum of bytes with the upload's algorithm.
 */
export async function compositeChecksum(
  partChecksums: readonly string[],
  digest: (data: Uint8Array) => Promise<string | undefined>,
): Promise<string | undefined> {
  const raw: Uint8Array[] = [];
  for (const c of partChecksums) {
    const b = fromBase64(c);
    if (!b) return undefined;
    raw.push(b);
  }
  const d = await digest(concat(raw));
  return d === undefined ? undefined : `${d}-${partChecksums.length}`;
}

/** `x-amz-copy-source-range: bytes=first-last` (both required, as S3 requires them), within the source's size. */
export function parseCopySourceRange(header: string, size: number): { start: number; end: number } {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (!m)
    throw new AwsError(
      "InvalidArgument",
      "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
      400,
    ).withDetails({ ArgumentName: "x-amz-copy-source-range", ArgumentValue: header });
  const start = Number(m[1]);
  const end = Number(m[2]);
  // Several S3 reimplementations agree on S3's answer to a range past the source's end (not confirmed against S3 here).
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start || end >= size)
    throw new AwsError("InvalidArgument", `Range specified is not valid for source object of size: ${size}`, 400).withDetails({
      ArgumentName: "x-amz-copy-source-range",
      ArgumentValue: header,
    });
  return { start, end };
}
