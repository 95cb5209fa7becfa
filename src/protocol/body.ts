/**
 * Reads a request body up to a limit, before any other work: a declared Content-Length over the
 * limit is refused without reading a byte, and a streamed (chunked) body is cut off as soon as it
 * passes the limit. One isolate serves every tenant, so a body is never buffered whole first.
 */
import { AwsError } from "./errors";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * S3 object bodies (PutObject) are held whole in memory (SigV4 hashes the body before anything is
 * written): up to 8 MiB of data — the AWS CLI's multipart threshold, so `aws s3 cp` of any smaller
 * file is one PutObject — plus room for aws-chunked framing. Larger objects need multipart upload.
 */
export const MAX_S3_PAYLOAD_BYTES = 8 * 1024 * 1024;
export const MAX_S3_BODY_BYTES = MAX_S3_PAYLOAD_BYTES + 256 * 1024;

function tooLarge(): AwsError {
  return new AwsError("RequestEntityTooLarge", "Request body is too large.", 413);
}

export async function readBodyLimited(req: Request, max = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!/^\d+$/.test(declared.trim()) || !Number.isSafeInteger(n))
      throw new AwsError("InvalidRequest", "Invalid Content-Length header.", 400);
    if (n > max) throw tooLarge();
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
      throw tooLarge();
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
