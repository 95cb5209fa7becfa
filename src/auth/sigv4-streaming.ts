/**
 * S3's `aws-chunked` bodies (pure; Web Crypto only), for the payload modes a client announces in
 * `x-amz-content-sha256`:
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `hex-size;chunk-signature=SIG\r\n<data>\r\n` … a final
 *   0-size chunk; each SIG signs `AWS4-HMAC-SHA256-PAYLOAD\n<amz-date>\n<scope>\n<previous SIG>\n
 *   <sha256("")>\n<sha256(data)>`, the chain starting from the request's (seed) signature;
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: the same, then trailer lines and
 *   `x-amz-trailer-signature:SIG` signing `AWS4-HMAC-SHA256-TRAILER\n<amz-date>\n<scope>\n<previous SIG>\n<sha256(trailer lines)>`;
 * - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (what new SDKs and CLIs send for PutObject): `hex-size\r\n<data>\r\n`,
 *   a final `0\r\n`, then trailer lines such as `x-amz-checksum-crc32:<base64>\r\n` and `\r\n`.
 * A declared trailing checksum (CRC32, CRC32C, SHA-1, SHA-256) is verified against the data.
 * Memory is bounded: a body whose decoded size passes `maxBytes` is refused before more is kept.
 *
 * The signing key comes from the caller (the SigV4 verifier derives it for the request's scope).
 */
import { sha256Hex } from "../lib/crypto";
import { toHex } from "../lib/encoding";
import { AwsError } from "../protocol/errors";

export const STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
export type StreamingMode = typeof STREAMING_SIGNED | typeof STREAMING_SIGNED_TRAILER | typeof STREAMING_UNSIGNED_TRAILER;

export function isStreamingMode(v: string | null): v is StreamingMode {
  return v === STREAMING_SIGNED || v === STREAMING_SIGNED_TRAILER || v === STREAMING_UNSIGNED_TRAILER;
}

export interface ChunkSigning {
  /** HMAC-SHA256 key of the request's scope (kSigning), importable for "sign". */
  readonly signingKey: CryptoKey;
  /** `x-amz-date` of the request (`20130524T000000Z`). */
  readonly amzDate: string;
  /** `20130524/us-east-1/s3/aws4_request`. */
  readonly scope: string;
  /** The request's own signature (hex). */
  readonly seedSignature: string;
}

export interface AwsChunkedOptions {
  readonly mode: StreamingMode;
  /** Required for the signed modes. */
  readonly signing?: ChunkSigning;
  /** `x-amz-trailer` (e.g. `x-amz-checksum-crc32`): the trailer that must arrive and be checked. */
  readonly trailer?: string | null;
  /** `x-amz-decoded-content-length`, checked when given. */
  readonly decodedLength?: number;
  readonly maxBytes?: number;
}

export interface AwsChunkedBody {
  readonly payload: Uint8Array;
  /** Trailer headers, lower-case names. */
  readonly trailers: Readonly<Record<string, string>>;
}

export const MAX_DECODED_BYTES = 1024 * 1024;

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const enc = new TextEncoder();

const incomplete = () => new AwsError("IncompleteBody", "The request body terminated unexpectedly", 400);
const invalidChunk = (m = "Invalid chunk encoding in the request body.") => new AwsError("InvalidRequest", m, 400);
const chunkSignatureMismatch = () =>
  new AwsError(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    403,
  );
const tooLarge = (proposed: number, max: number) =>
  new AwsError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400).withDetails({
    ProposedSize: String(proposed),
    MaxSizeAllowed: String(max),
  });

async function sign(key: CryptoKey, s: string): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", key, enc.encode(s)));
}
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/** The signature of one chunk, chained on the previous one (exported for tests and for clients). */
export async function chunkSignature(signing: Omit<ChunkSigning, "seedSignature">, previous: string, data: Uint8Array): Promise<string> {
  const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${previous}\n${EMPTY_SHA256}\n${await sha256Hex(data)}`;
  return sign(signing.signingKey, sts);
}

function indexOfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}
const ascii = new TextDecoder("latin1");

/** Decodes (and for the signed modes, verifies) an aws-chunked body. Every failure is an AwsError. */
export async function decodeAwsChunked(body: Uint8Array, opts: AwsChunkedOptions): Promise<AwsChunkedBody> {
  const signed = opts.mode !== STREAMING_UNSIGNED_TRAILER;
  if (signed && !opts.signing) throw new Error("decodeAwsChunked: signed mode without signing inputs");
  const max = opts.maxBytes ?? MAX_DECODED_BYTES;
  if (opts.decodedLength !== undefined && opts.decodedLength > max) throw tooLarge(opts.decodedLength, max);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  let previous = opts.signing?.seedSignature ?? "";
  for (;;) {
    const eol = indexOfCrlf(body, at);
    if (eol < 0) throw incomplete();
    const header = ascii.decode(body.subarray(at, eol));
    if (header.length > 4096) throw invalidChunk();
    const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(header);
    if (!m) throw invalidChunk();
    if (signed !== (m[2] !== undefined)) throw invalidChunk(signed ? "Missing chunk signature." : "Unexpected chunk signature.");
    const size = parseInt(m[1]!, 16);
    if (total + size > max) throw tooLarge(total + size, max);
    const start = eol + 2;
    const end = start + size;
    if (end > body.length) throw incomplete();
    const data = body.subarray(start, end);
    if (signed) {
      const expected = await chunkSignature(opts.signing!, previous, data);
      if (!sameHex(expected, m[2]!)) throw chunkSignatureMismatch();
      previous = expected;
    }
    at = end;
    if (size === 0) break;
    if (body[at] !== 13 || body[at + 1] !== 10) throw invalidChunk();
    at += 2;
    chunks.push(data);
    total += size;
  }
  // After the final chunk: "\r\n" (no trailer), or trailer lines then "\r\n".
  const trailers: Record<string, string> = {};
  const trailerLines: string[] = [];
  let trailerSignature: string | undefined;
  for (let lines = 0; ; lines++) {
    if (lines > 16) throw invalidChunk();
    const eol = indexOfCrlf(body, at);
    if (eol < 0) {
      // Some clients end the body right after the last trailer line without the closing CRLF.
      if (at >= body.length) break;
      throw incomplete();
    }
    const line = ascii.decode(body.subarray(at, eol));
    at = eol + 2;
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon <= 0) throw invalidChunk();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") trailerSignature = value;
    else {
      trailers[name] = value;
      trailerLines.push(`${name}:${value}\n`);
    }
  }
  if (at !== body.length) throw invalidChunk();
  if (opts.mode === STREAMING_SIGNED_TRAILER && trailerLines.length) {
    if (!trailerSignature) throw chunkSignatureMismatch();
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${opts.signing!.amzDate}\n${opts.signing!.scope}\n${previous}\n${await sha256Hex(trailerLines.join(""))}`;
    if (!sameHex(await sign(opts.signing!.signingKey, sts), trailerSignature)) throw chunkSignatureMismatch();
  }
  const payload = concat(chunks, total);
  if (opts.decodedLength !== undefined && opts.decodedLength !== total) throw incomplete();
  const declared = opts.trailer?.trim().toLowerCase();
  if (declared) {
    const got = trailers[declared];
    if (got === undefined) throw invalidChunk(`The trailer ${declared} was declared but not sent.`);
    await verifyChecksum(declared, got, payload);
  }
  return { payload, trailers };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function crcTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
const CRC32 = crcTable(0xedb88320);
const CRC32C = crcTable(0x82f63b78);

export function crc32(data: Uint8Array, table: Uint32Array = CRC32): number {
  let c = 0xffffffff;
  // An index loop: several times faster than for…of over a typed array (S3 parts are megabytes).
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
export const crc32c = (data: Uint8Array): number => crc32(data, CRC32C);

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s);
}
function be32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** The base64 value of `x-amz-checksum-<algorithm>` for `data` (undefined for an algorithm we do not know). */
export async function checksumOf(header: string, data: Uint8Array): Promise<string | undefined> {
  switch (header.toLowerCase()) {
    case "x-amz-checksum-crc32":
      return b64(be32(crc32(data)));
    case "x-amz-checksum-crc32c":
      return b64(be32(crc32c(data)));
    case "x-amz-checksum-sha1":
      return b64(new Uint8Array(await crypto.subtle.digest("SHA-1", data)));
    case "x-amz-checksum-sha256":
      return b64(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
    default:
      return undefined;
  }
}

/** S3's answer to a checksum that does not match: BadDigest 400. CRC64NVME is not verified (accepted). */
export async function verifyChecksum(header: string, value: string, data: Uint8Array): Promise<void> {
  const expected = await checksumOf(header, data);
  if (expected === undefined) return;
  if (expected !== value) {
    const alg = header.toLowerCase().replace("x-amz-checksum-", "").toUpperCase();
    throw new AwsError("BadDigest", `The ${alg} you specified did not match the calculated checksum.`, 400);
  }
}
