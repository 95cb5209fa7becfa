/** S3 multipart rules as pure functions: part numbers, Complete's part list, the multipart ETag, composite checksums, copy ranges. */
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  checkPartNumber,
  compositeChecksum,
  MIN_PART_BYTES,
  multipartEtag,
  normalizeEtag,
  parseCopySourceRange,
  partsToComplete,
} from "../../src/services/s3/multipart-rules";
import { checksumOf } from "../../src/auth/sigv4-streaming";

const nodeMd5 = (d: Uint8Array) => {
  const b = createHash("md5").update(d).digest();
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
};
const hexMd5 = (s: string) => createHash("md5").update(s).digest("hex");
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe("part numbers", () => {
  it("1 to 10,000 inclusive; anything else is InvalidArgument naming partNumber", () => {
    for (const ok of [1, 2, 9999, 10000]) expect(checkPartNumber(ok)).toBe(ok);
    for (const bad of [0, -1, 10001, 1.5, undefined]) expect(code(() => checkPartNumber(bad))).toBe("InvalidArgument");
  });
});

describe("the multipart ETag", () => {
  it("is the md5 of the concatenated binary part md5s, then -N, quoted", async () => {
    const parts = ["hello ", "multipart ", "world"];
    const expected = createHash("md5")
      .update(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))
      .digest("hex");
    expect(
      await multipartEtag(
        parts.map((p) => `"${hexMd5(p)}"`),
        nodeMd5,
      ),
    ).toBe(`"${expected}-3"`);
    // Quoted or not, the same part.
    expect(await multipartEtag(parts.map(hexMd5), nodeMd5)).toBe(`"${expected}-3"`);
  });
  it("of one part is still the md5 of its md5, with -1 (not the part's own ETag)", async () => {
    const part = hexMd5("only");
    const e = await multipartEtag([part], nodeMd5);
    expect(e).toBe(`"${createHash("md5").update(Buffer.from(part, "hex")).digest("hex")}-1"`);
    expect(normalizeEtag(e)).not.toBe(part);
  });
});

describe("Complete's part list", () => {
  const big = MIN_PART_BYTES;
  const stored = [
    { partNumber: 1, size: big, etag: `"${hexMd5("1")}"` },
    { partNumber: 2, size: big, etag: `"${hexMd5("2")}"` },
    { partNumber: 3, size: 10, etag: `"${hexMd5("3")}"` },
    { partNumber: 5, size: 10, etag: `"${hexMd5("5")}"` },
  ];
  const req = (...ns: number[]) => ns.map((n) => ({ PartNumber: n, ETag: stored.find((s) => s.partNumber === n)?.etag ?? '"x"' }));

  it("answers the stored parts in order; the last part may be small; parts may be skipped", () => {
    expect(partsToComplete("u", req(1, 2, 3), stored).map((p) => p.partNumber)).toEqual([1, 2, 3]);
    expect(partsToComplete("u", req(1, 5), stored).map((p) => p.partNumber)).toEqual([1, 5]);
    expect(partsToComplete("u", req(3), stored).map((p) => p.partNumber)).toEqual([3]);
  });
  it("refuses as S3 does", () => {
    expect(code(() => partsToComplete("u", [], stored))).toBe("MalformedXML");
    expect(code(() => partsToComplete("u", [{ ETag: '"x"' }], stored))).toBe("MalformedXML");
    expect(code(() => partsToComplete("u", req(2, 1), stored))).toBe("InvalidPartOrder");
    expect(code(() => partsToComplete("u", req(1, 1), stored))).toBe("InvalidPartOrder");
    expect(code(() => partsToComplete("u", req(1, 4), stored))).toBe("InvalidPart");
    expect(code(() => partsToComplete("u", [{ PartNumber: 1, ETag: stored[1]!.etag }], stored))).toBe("InvalidPart");
    expect(code(() => partsToComplete("u", [{ PartNumber: 1 }], stored))).toBe("InvalidPart");
    expect(code(() => partsToComplete("u", req(3, 5), stored))).toBe("EntityTooSmall");
  });
  it("EntityTooSmall carries S3's details", () => {
    try {
      partsToComplete("u", req(3, 5), stored);
    } catch (e) {
      expect((e as { details?: Record<string, string> }).details).toMatchObject({
        ProposedSize: "10",
        MinSizeAllowed: String(MIN_PART_BYTES),
        PartNumber: "3",
      });
    }
  });
});

describe("composite checksums", () => {
  it("are the algorithm over the concatenated binary part checksums, base64, then -N", async () => {
    const a = (await checksumOf("x-amz-checksum-crc32", new TextEncoder().encode("part one")))!;
    const b = (await checksumOf("x-amz-checksum-crc32", new TextEncoder().encode("part two")))!;
    const raw = Buffer.concat([Buffer.from(a, "base64"), Buffer.from(b, "base64")]);
    const expected = await checksumOf("x-amz-checksum-crc32", raw);
    expect(await compositeChecksum([a, b], (d) => checksumOf("x-amz-checksum-crc32", d))).toBe(`${expected}-2`);
    expect(await compositeChecksum(["not base64!"], (d) => checksumOf("x-amz-checksum-crc32", d))).toBeUndefined();
  });
});

describe("x-amz-copy-source-range", () => {
  it("bytes=first-last within the source", () => {
    expect(parseCopySourceRange("bytes=0-9", 10)).toEqual({ start: 0, end: 9 });
    expect(parseCopySourceRange("bytes=5-5", 10)).toEqual({ start: 5, end: 5 });
  });
  it("other forms and ranges past the end are InvalidArgument", () => {
    for (const bad of ["bytes=5-", "bytes=-5", "bytes=0-10", "bytes=6-5", "items=0-1"])
      expect(code(() => parseCopySourceRange(bad, 10))).toBe("InvalidArgument");
  });
});
