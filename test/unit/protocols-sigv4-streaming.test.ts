import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  chunkSignature,
  checksumOf,
  decodeAwsChunked,
  isStreamingMode,
  STREAMING_SIGNED,
  STREAMING_UNSIGNED_TRAILER,
  type ChunkSigning,
} from "../../src/auth/sigv4-streaming";
import { AwsError } from "../../src/protocol/errors";
import { decodeRestXml, encodeRestXmlResult } from "../../src/protocol/rest-xml";
import { S3_MODEL } from "../../src/data/generated/models/s3";
import { capture, clientConfig } from "../helpers/capture-client";

const enc = new TextEncoder();
async function hmac(key: Uint8Array, s: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(s)));
}
async function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  let k = await hmac(enc.encode(`AWS4${secret}`), date);
  k = await hmac(k, region);
  k = await hmac(k, service);
  k = await hmac(k, "aws4_request");
  return crypto.subtle.importKey("raw", k, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}
function bytes(...parts: (string | Uint8Array)[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p)))));
}
async function rejects(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AwsError);
    return e as AwsError;
  }
  throw new Error("did not reject");
}

// AWS's documented example (S3 API reference, "Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks", Example: PUT Object): 65 KiB of 'a' in 64 KiB chunks.
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const SIG1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
const SIG2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
const SIG3 = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
async function awsExample(): Promise<{ signing: ChunkSigning; body: Uint8Array }> {
  const signing = {
    signingKey: await signingKey(SECRET, "20130524", "us-east-1", "s3"),
    amzDate: "20130524T000000Z",
    scope: "20130524/us-east-1/s3/aws4_request",
    seedSignature: SEED,
  };
  const body = bytes(
    `10000;chunk-signature=${SIG1}\r\n`,
    "a".repeat(65536),
    "\r\n",
    `400;chunk-signature=${SIG2}\r\n`,
    "a".repeat(1024),
    "\r\n",
    `0;chunk-signature=${SIG3}\r\n\r\n`,
  );
  return { signing, body };
}

describe("aws-chunked with per-chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", () => {
  it("AWS's documented example: the chain from the seed signature reproduces every chunk signature", async () => {
    const { signing, body } = await awsExample();
    expect(body.length).toBe(66824); // the example's Content-Length
    expect(await chunkSignature(signing, SEED, enc.encode("a".repeat(65536)))).toBe(SIG1);
    const out = await decodeAwsChunked(body, { mode: STREAMING_SIGNED, signing, decodedLength: 66560, maxBytes: 1 << 20 });
    expect(out.payload.length).toBe(66560);
    expect(out.payload.every((b) => b === 0x61)).toBe(true);
  });
  it("a tampered chunk, a reordered chain or a wrong seed → SignatureDoesNotMatch 403", async () => {
    const { signing, body } = await awsExample();
    const tampered = body.slice();
    tampered[100] = 0x62;
    expect(await rejects(decodeAwsChunked(tampered, { mode: STREAMING_SIGNED, signing }))).toMatchObject({
      code: "SignatureDoesNotMatch",
      status: 403,
    });
    expect((await rejects(decodeAwsChunked(body, { mode: STREAMING_SIGNED, signing: { ...signing, seedSignature: SIG1 } }))).code).toBe(
      "SignatureDoesNotMatch",
    );
  });
  it("bounded memory, truncated bodies, bad framing and a wrong decoded length are refused", async () => {
    const { signing, body } = await awsExample();
    expect((await rejects(decodeAwsChunked(body, { mode: STREAMING_SIGNED, signing, maxBytes: 65536 }))).code).toBe("EntityTooLarge");
    expect((await rejects(decodeAwsChunked(body, { mode: STREAMING_SIGNED, signing, decodedLength: 10 << 20 }))).code).toBe(
      "EntityTooLarge",
    );
    expect((await rejects(decodeAwsChunked(body.subarray(0, 60000), { mode: STREAMING_SIGNED, signing }))).code).toBe("IncompleteBody");
    expect((await rejects(decodeAwsChunked(bytes("zz;chunk-signature=00\r\n"), { mode: STREAMING_SIGNED, signing }))).code).toBe(
      "InvalidRequest",
    );
    expect((await rejects(decodeAwsChunked(body, { mode: STREAMING_SIGNED, signing, decodedLength: 66559 }))).code).toBe("IncompleteBody");
    expect((await rejects(decodeAwsChunked(bytes("5\r\nhello\r\n0\r\n\r\n"), { mode: STREAMING_SIGNED, signing }))).code).toBe(
      "InvalidRequest",
    );
  });
});

describe("aws-chunked with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", () => {
  it("checksums: CRC32 / CRC32C / SHA-256 of 'hello world' in S3's base64 form", async () => {
    const d = enc.encode("hello world");
    expect(await checksumOf("x-amz-checksum-crc32", d)).toBe("DUoRhQ==");
    expect(await checksumOf("x-amz-checksum-crc32c", d)).toBe("yZRlqg==");
    expect(await checksumOf("x-amz-checksum-sha256", d)).toBe("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
  });
  it("decodes a hand-built body; a wrong or missing trailer → BadDigest / InvalidRequest", async () => {
    const ok = bytes("6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
    const out = await decodeAwsChunked(ok, { mode: STREAMING_UNSIGNED_TRAILER, trailer: "x-amz-checksum-crc32", decodedLength: 11 });
    expect(new TextDecoder().decode(out.payload)).toBe("hello world");
    expect(out.trailers).toEqual({ "x-amz-checksum-crc32": "DUoRhQ==" });
    const bad = bytes("6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    expect(await rejects(decodeAwsChunked(bad, { mode: STREAMING_UNSIGNED_TRAILER, trailer: "x-amz-checksum-crc32" }))).toMatchObject({
      code: "BadDigest",
      status: 400,
    });
    const none = bytes("6\r\nhello \r\n0\r\n\r\n");
    expect((await rejects(decodeAwsChunked(none, { mode: STREAMING_UNSIGNED_TRAILER, trailer: "x-amz-checksum-crc32" }))).code).toBe(
      "InvalidRequest",
    );
  });

  it("the real S3 client's PutObject of a stream: aws-chunked with a CRC32 trailer, decoded and verified", async () => {
    const c = capture(async (r) => {
      const mode = r.headers.get("x-amz-content-sha256");
      expect(isStreamingMode(mode)).toBe(true);
      expect(mode).toBe(STREAMING_UNSIGNED_TRAILER);
      expect(r.headers.get("content-encoding")).toContain("aws-chunked");
      const trailer = r.headers.get("x-amz-trailer");
      expect(trailer).toBe("x-amz-checksum-crc32");
      const { payload } = await decodeAwsChunked(r.body, {
        mode: STREAMING_UNSIGNED_TRAILER,
        trailer,
        decodedLength: Number(r.headers.get("x-amz-decoded-content-length")),
      });
      const d = decodeRestXml(S3_MODEL, { ...r, body: payload });
      expect(d.operation.name).toBe("PutObject");
      expect(new TextDecoder().decode(d.input.Body as Uint8Array)).toBe("hello world");
      return encodeRestXmlResult(S3_MODEL, d.operation, { ETag: '"x"' }, "RID");
    });
    const client = new S3Client({ ...clientConfig(c), forcePathStyle: true });
    const out = await client.send(
      new PutObjectCommand({
        Bucket: "b1",
        Key: "k",
        Body: Readable.from([Buffer.from("hello "), Buffer.from("world")]),
        ContentLength: 11,
      }),
    );
    expect(out.ETag).toBe('"x"');
  });
});
