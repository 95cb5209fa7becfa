/**
 * SigV4 verification (header and presigned query): parsing, scope checks, clock skew / expiry,
 * the body-hash check, the canonical request over exactly the client's signed headers, the HMAC
 * chain over WebCrypto with the derived signing key cached as a CryptoKey, constant-time compare.
 * (aws4fetch's signer did the canonical request before; verifying with it meant building a signer
 * per request and overriding its header list — a third of the hot path's time.)
 */
import { AwsError, errors } from "../protocol/errors";
import { parseAmzDate } from "../lib/clock";
import { toHex, utf8 } from "../lib/encoding";
import { sha256Hex, timingSafeEqual } from "../lib/crypto";
import { BoundedMap } from "../lib/bounded";
import { decodeAwsChunked, isStreamingMode, STREAMING_UNSIGNED_TRAILER } from "./sigv4-streaming";
import { MAX_S3_PAYLOAD_BYTES } from "../protocol/body";

export interface SignedRequestInfo {
  accessKeyId: string;
  /** yyyymmdd from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** epoch ms of X-Amz-Date */
  time: number;
  presigned: boolean;
  /** X-Amz-Expires for presigned requests (seconds). */
  expires?: number;
  securityToken?: string;
}

export interface RawRequest {
  method: string;
  /** Full URL as the client addressed it (Host header as sent). */
  url: URL;
  headers: Headers;
  /**
   * The Accept-Encoding header as the client sent it. The Workers runtime (and Miniflare, which copies
   * it) replaces the header with the encodings it will compress with ("br, gzip") before the Worker
   * sees it, and keeps the client's value in `request.cf.clientAcceptEncoding`; clients that sign every
   * header they send (curl --aws-sigv4, some SDKs) signed the original. Undefined: the header is as sent.
   */
  clientAcceptEncoding?: string;
}

const MAX_SKEW_MS = 15 * 60 * 1000;
/** A presigned URL lives at most 7 days (SigV4's limit). */
const MAX_PRESIGNED_EXPIRES_S = 604800;

/** How a request was signed, as the services' condition keys need it (S3's s3:authType, s3:signatureAge …). */
export interface RequestSignature {
  /** query-string (presigned URL) rather than Authorization header */
  presigned: boolean;
  /** epoch ms of X-Amz-Date */
  signedAt: number;
  /** x-amz-content-sha256 as sent (a presigned URL's X-Amz-Content-Sha256, else UNSIGNED-PAYLOAD) */
  contentSha256?: string;
}

export function requestSignature(headers: Headers, url: URL, info: SignedRequestInfo): RequestSignature {
  const sha = info.presigned ? presignedPayloadHash(url) : headers.get("x-amz-content-sha256");
  return sha === null
    ? { presigned: info.presigned, signedAt: info.time }
    : { presigned: info.presigned, signedAt: info.time, contentSha256: sha };
}

/** S3's presigned URLs sign UNSIGNED-PAYLOAD unless the URL itself names a hash (X-Amz-Content-Sha256). */
function presignedPayloadHash(url: URL): string {
  return url.searchParams.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
}

/** Reads the SigV4 fields; null when the request carries no signature at all. */
export function parseSignature(req: RawRequest): SignedRequestInfo | null {
  const auth = req.headers.get("authorization");
  if (auth !== null) {
    if (!auth.startsWith("AWS4-HMAC-SHA256 ")) {
      if (auth.startsWith("AWS4-")) throw errors.incompleteSignature(`Unsupported AWS 'algorithm': '${auth.split(" ")[0]}'`);
      throw errors.incompleteSignature(
        `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${auth.slice(0, 64)}`,
      );
    }
    const fields = new Map<string, string>();
    for (const part of auth.slice(17).split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const missing: string[] = [];
    for (const f of ["Credential", "Signature", "SignedHeaders"]) {
      if (!fields.get(f)) missing.push(`Authorization header requires '${f}' parameter.`);
    }
    const amzDate = req.headers.get("x-amz-date");
    if (!amzDate) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    if (missing.length) throw errors.incompleteSignature(`${missing.join(" ")} Authorization=${auth.slice(0, 1024)}`);
    const token = req.headers.get("x-amz-security-token");
    return build(
      fields.get("Credential")!,
      fields.get("SignedHeaders")!,
      fields.get("Signature")!,
      amzDate!,
      false,
      undefined,
      token ?? undefined,
    );
  }
  if (req.url.search === "") return null;
  const q = req.url.searchParams;
  // An S3 SigV2 presigned URL (the AWS CLI v1's `aws s3 presign` by default): S3 buckets created since
  // June 2020 take SigV4 only, and answer this. (The Query APIs' own SigV2 carries SignatureVersion.)
  if (q.has("AWSAccessKeyId") && q.has("Signature") && q.has("Expires") && !q.has("SignatureVersion"))
    throw new AwsError(
      "InvalidRequest",
      "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
      400,
    );
  if (q.has("X-Amz-Signature") || q.has("X-Amz-Credential") || q.get("X-Amz-Algorithm")) {
    const missing: string[] = [];
    for (const f of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]) {
      if (!q.get(f)) missing.push(`AWS query-string parameters must include '${f}'.`);
    }
    if (missing.length) throw errors.incompleteSignature(`${missing.join(" ")} Re-examine the query-string parameters.`);
    if (q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
      throw errors.incompleteSignature(`Unsupported AWS 'algorithm': '${q.get("X-Amz-Algorithm")}'`);
    const exp = q.get("X-Amz-Expires");
    let expires: number | undefined;
    if (exp !== null) {
      expires = Number(exp);
      // S3 answers in its own words (AuthorizationQueryParametersError); the others in SigV4's.
      const s3 = q.get("X-Amz-Credential")!.split("/")[3] === "s3";
      if (!/^-?\d+$/.test(exp))
        throw s3
          ? s3QueryError("X-Amz-Expires should be a number")
          : errors.incompleteSignature("X-Amz-Expires must be a non-negative integer less than or equal to 604800.");
      if (expires < 0 || expires > MAX_PRESIGNED_EXPIRES_S)
        throw s3
          ? s3QueryError(
              expires < 0 ? "X-Amz-Expires must be non-negative" : "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            )
          : errors.incompleteSignature("X-Amz-Expires must be a non-negative integer less than or equal to 604800.");
    }
    return build(
      q.get("X-Amz-Credential")!,
      q.get("X-Amz-SignedHeaders")!,
      q.get("X-Amz-Signature")!,
      q.get("X-Amz-Date")!,
      true,
      expires,
      q.get("X-Amz-Security-Token") ?? undefined,
    );
  }
  return null;
}

function build(
  credential: string,
  signedHeaders: string,
  signature: string,
  amzDate: string,
  presigned: boolean,
  expires: number | undefined,
  securityToken: string | undefined,
): SignedRequestInfo {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !parts[0])
    throw errors.incompleteSignature(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential.slice(0, 256)}'`,
    );
  // AWS requires the Host header to be signed, so a signature cannot be replayed at another endpoint.
  const names = signedHeaders.split(";");
  if (!names.includes("host"))
    throw errors.incompleteSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const time = parseAmzDate(amzDate);
  if (time === null)
    throw errors.incompleteSignature(
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  const [accessKeyId, scopeDate, region, service] = parts as [string, string, string, string];
  const info: SignedRequestInfo = {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: names,
    signature,
    amzDate,
    time,
    presigned,
  };
  if (expires !== undefined) info.expires = expires;
  if (securityToken !== undefined) info.securityToken = securityToken;
  return info;
}

function s3QueryError(message: string): AwsError {
  return new AwsError("AuthorizationQueryParametersError", message, 400);
}

/** ISO 8601 at whole seconds, as S3's expiry details have it. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function fmt(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** Clock checks that need no secret: skew for header auth, expiry for presigned URLs. */
export function checkTime(info: SignedRequestInfo, now: number): void {
  if (info.scopeDate !== info.amzDate.slice(0, 8))
    throw errors.signatureDoesNotMatch(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${info.scopeDate}' != '${info.amzDate.slice(0, 8)}', from '${info.amzDate}'.`,
    );
  if (info.presigned) {
    const expires = info.expires ?? 900;
    const end = info.time + expires * 1000;
    // S3's answer names the lifetime, the end and the server's clock (other services: the message alone).
    if (now > end)
      throw errors.accessDenied("Request has expired").withDetails({
        "X-Amz-Expires": String(expires),
        Expires: isoSeconds(end),
        ServerTime: isoSeconds(now),
      });
    if (info.time - now > MAX_SKEW_MS)
      throw errors.signatureDoesNotMatch(
        `Signature not yet current: ${info.amzDate} is still later than ${fmt(now + MAX_SKEW_MS)} (${fmt(now)} + 15 min.)`,
      );
    return;
  }
  if (now - info.time > MAX_SKEW_MS)
    throw errors.signatureDoesNotMatch(
      `Signature expired: ${info.amzDate} is now earlier than ${fmt(now - MAX_SKEW_MS)} (${fmt(now)} - 15 min.)`,
    );
  if (info.time - now > MAX_SKEW_MS)
    throw errors.signatureDoesNotMatch(
      `Signature not yet current: ${info.amzDate} is still later than ${fmt(now + MAX_SKEW_MS)} (${fmt(now)} + 15 min.)`,
    );
}

// Signing keys (kSigning, imported once as an HMAC CryptoKey) per secret/date/region/service.
// Bounded (count and bytes: region and service come from the caller's scope): a sandbox sees few
// distinct keys per day, and eviction only costs re-derivation.
const signingKeys = new BoundedMap<string, Promise<CryptoKey>>(2048, 4 * 1024 * 1024, (_, id) => 256 + 2 * id.length);
const HMAC = { name: "HMAC", hash: "SHA-256" } as const;

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", key, HMAC, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, utf8.encode(data));
}

async function deriveSigningKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const kDate = await hmac(utf8.encode(`AWS4${secret}`), date);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  const kSigning = await hmac(kService, "aws4_request");
  return crypto.subtle.importKey("raw", kSigning, HMAC, false, ["sign"]);
}

function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${date}/${region}/${service}/${secret}`;
  let k = signingKeys.get(id);
  if (!k) {
    k = deriveSigningKey(secret, date, region, service);
    signingKeys.set(id, k);
    k.catch(() => signingKeys.delete(id));
  }
  return k;
}

/** RFC 3986 on top of encodeURIComponent (which leaves !'()* alone). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Non-S3 services: the already-encoded path is encoded once more (AWS's double encoding). */
function canonicalPath(pathname: string): string {
  if (pathname === "/") return "/";
  return rfc3986(pathname.replace(/\/+/g, "/")).replace(/%2F/g, "/");
}

function canonicalQuery(url: URL, presigned: boolean): string {
  if (url.search === "") return "";
  const pairs: [string, string][] = [];
  for (const [k, v] of url.searchParams) {
    if (!k || (presigned && k === "X-Amz-Signature")) continue;
    pairs.push([rfc3986(k), rfc3986(v)]);
  }
  pairs.sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/**
 * The SigV4 canonical request, with exactly the headers the client listed as signed (sorted, as
 * clients send them). Values are trimmed and inner whitespace runs collapsed.
 */
export function canonicalRequest(req: RawRequest, info: SignedRequestInfo, payloadHash: string): string {
  let names = info.signedHeaders;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      names = [...names].sort();
      break;
    }
  }
  let headers = "";
  for (const h of names) {
    const v =
      h === "host"
        ? (req.headers.get("host") ?? req.url.host)
        : h === "accept-encoding" && req.clientAcceptEncoding !== undefined
          ? req.clientAcceptEncoding
          : (req.headers.get(h) ?? "");
    headers += `${h}:${v.trim().replace(/\s+/g, " ")}\n`;
  }
  // S3 signs the path as sent (encoded once, not normalized); every other service encodes it again.
  const path = info.service === "s3" ? req.url.pathname || "/" : canonicalPath(req.url.pathname);
  return `${req.method.toUpperCase()}\n${path}\n${canonicalQuery(req.url, info.presigned)}\n${headers}\n${names.join(";")}\n${payloadHash}`;
}

/**
 * A body whose SHA-256 is not the one the request declares: S3 answers its own 400
 * XAmzContentSHA256Mismatch with both hashes; the other services, a signature mismatch.
 */
function contentSha256Mismatch(info: SignedRequestInfo, declared: string, computed: string): AwsError {
  const message = "The provided 'x-amz-content-sha256' header does not match what was computed.";
  if (info.service !== "s3") return errors.signatureDoesNotMatch(message);
  return new AwsError("XAmzContentSHA256Mismatch", message, 400).withDetails({
    ClientComputedContentSHA256: declared,
    S3ComputedContentSHA256: computed,
  });
}

/** Recomputes the signature with exactly the client's signed headers and compares in constant time. */
export async function verifySignature(req: RawRequest, body: Uint8Array, info: SignedRequestInfo, secret: string): Promise<void> {
  const bodyHash = await sha256Hex(body);
  const declared = req.headers.get("x-amz-content-sha256");
  // Only S3 lets a client leave its payload unsigned or stream it in signed chunks (checked by
  // payloadOf); every other service signs the body's hash, whatever this header says — else a body
  // could be swapped under a valid signature.
  const unsigned = info.service === "s3" && (declared === "UNSIGNED-PAYLOAD" || isStreamingMode(declared));
  if (declared !== null && !unsigned && declared.toLowerCase() !== bodyHash) throw contentSha256Mismatch(info, declared, bodyHash);
  // An S3 presigned URL signs UNSIGNED-PAYLOAD (or the hash it names), never the body it is used with.
  const payloadHash = info.service === "s3" && info.presigned ? presignedPayloadHash(req.url) : unsigned ? declared : bodyHash;
  if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash.toLowerCase() !== bodyHash && info.presigned && info.service === "s3")
    throw contentSha256Mismatch(info, payloadHash, bodyHash);
  const canonical = canonicalRequest(req, info, payloadHash);
  const scope = `${info.scopeDate}/${info.region}/${info.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${info.amzDate}\n${scope}\n${await sha256Hex(canonical)}`;
  const key = await signingKey(secret, info.scopeDate, info.region, info.service);
  const expected = toHex(await crypto.subtle.sign("HMAC", key, utf8.encode(stringToSign)));
  if (!timingSafeEqual(expected, info.signature)) throw errors.signatureDoesNotMatch();
}

/**
 * The request's payload: the body itself, or — for S3's aws-chunked uploads — the de-chunked data,
 * every chunk signature checked against the chain that starts at the request's own signature (and
 * a trailing checksum verified). Call after verifySignature.
 */
export async function payloadOf(req: RawRequest, body: Uint8Array, info: SignedRequestInfo, secret: string): Promise<Uint8Array> {
  const declared = req.headers.get("x-amz-content-sha256");
  if (info.service !== "s3" || !isStreamingMode(declared)) return body;
  const decodedLength = req.headers.get("x-amz-decoded-content-length");
  const signing =
    declared === STREAMING_UNSIGNED_TRAILER
      ? undefined
      : {
          signingKey: await signingKey(secret, info.scopeDate, info.region, info.service),
          amzDate: info.amzDate,
          scope: `${info.scopeDate}/${info.region}/${info.service}/aws4_request`,
          seedSignature: info.signature,
        };
  const out = await decodeAwsChunked(body, {
    mode: declared,
    ...(signing ? { signing } : {}),
    trailer: req.headers.get("x-amz-trailer"),
    ...(decodedLength !== null && /^\d+$/.test(decodedLength) ? { decodedLength: Number(decodedLength) } : {}),
    maxBytes: MAX_S3_PAYLOAD_BYTES,
  });
  return out.payload;
}
