/**
 * Reads a request body up to a limit, before any other work: a declared Content-Length over the
 * limit is refused without reading a byte, and a streamed (chunked) body is cut off as soon as it
 * passes the limit. One isolate serves every tenant, so a body is never buffered whole first.
 */
import { AwsError } from "./errors";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * ECR's PutImage takes a manifest of up to 4 MiB (4,194,304 characters) inside a JSON body, where
 * escaping may grow it: ECR bodies may be 9 MiB, so an oversize manifest gets ECR's own answer.
 */
export const MAX_ECR_BODY_BYTES = 9 * 1024 * 1024;

/**
 * S3 bodies (PutObject, UploadPart) are held whole in memory (SigV4 hashes the body before anything
 * is written): up to 16 MiB of data — twice the AWS CLI's 8 MiB multipart threshold and part size,
 * so `aws s3 cp` of any file is PutObjects and UploadParts that fit, and lib-storage's 5 MiB parts
 * too — plus room for aws-chunked framing (a signed chunk costs ~90 bytes of framing; 16 MiB in
 * S3's smallest 8 KiB chunks is ~180 KiB). Larger objects need multipart upload.
 */
export const MAX_S3_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const MAX_S3_BODY_BYTES = MAX_S3_PAYLOAD_BYTES + 512 * 1024;
/** S3's own limit of one PUT (PutObject, UploadPart): 5 GiB. */
export const MAX_S3_PUT_BYTES = 5 * 1024 * 1024 * 1024;

function tooLarge(): AwsError {
  return new AwsError("RequestEntityTooLarge", "Request body is too large.", 413);
}

/** S3's EntityTooLarge, with the size proposed and the largest allowed. */
export function entityTooLarge(proposed: number, max: number): AwsError {
  return new AwsError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400).withDetails({
    ProposedSize: String(proposed),
    MaxSizeAllowed: String(max),
  });
}

function declaredSize(req: Request, header: string): number | undefined {
  const v = req.headers.get(header)?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * An S3 request's body, refused as S3 refuses it before a byte is read: a declared Content-Length
 * or x-amz-decoded-content-length over 5 GiB is EntityTooLarge with S3's MaxSizeAllowed; one over
 * the sandbox's in-memory limit is EntityTooLarge naming that limit. An aws-chunked body
 * (`x-amz-content-sha256: STREAMING-…`) may carry its framing on top.
 */
export async function readS3Body(req: Request): Promise<Uint8Array> {
  const declared = declaredSize(req, "content-length");
  const decoded = declaredSize(req, "x-amz-decoded-content-length");
  for (const n of [decoded, declared]) if (n !== undefined && n > MAX_S3_PUT_BYTES) throw entityTooLarge(n, MAX_S3_PUT_BYTES);
  if (decoded !== undefined && decoded > MAX_S3_PAYLOAD_BYTES) throw entityTooLarge(decoded, MAX_S3_PAYLOAD_BYTES);
  const streaming = req.headers.get("x-amz-content-sha256")?.startsWith("STREAMING-") ?? false;
  return readBodyLimited(req, streaming ? MAX_S3_BODY_BYTES : MAX_S3_PAYLOAD_BYTES, (n) => entityTooLarge(n, MAX_S3_PAYLOAD_BYTES));
}

/** `refuse`: the error for a body over `max` (given the declared size, or the bytes read so far). */
export async function readBodyLimited(
  // A request, or a fetched response (the same framing: the runtime holds a body to its Content-Length).
  req: Pick<Request, "headers" | "body" | "arrayBuffer">,
  max = MAX_BODY_BYTES,
  refuse: (size: number) => AwsError = tooLarge,
): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!/^\d+$/.test(declared.trim()) || !Number.isSafeInteger(n))
      throw new AwsError("InvalidRequest", "Invalid Content-Length header.", 400);
    if (n > max) throw refuse(n);
  }
  if (!req.body) return new Uint8Array(0);
  // A declared length within the limit: the runtime holds the body to it, so one native read is safe
  // (and much cheaper than a chunk loop).
  if (declared !== null) return new Uint8Array(await req.arrayBuffer());
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw refuse(total);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
