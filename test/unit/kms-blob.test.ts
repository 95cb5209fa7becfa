/** KMS ciphertext blobs (src/services/kms/blob.ts): the format, and AES-256-GCM with the encryption context as AAD. */
import { describe, expect, it } from "vitest";
import { additionalData, decodeBlob, encodeBlob, newKeyMaterial, open, seal } from "../../src/services/kms/blob";

const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const text = (s: string) => new TextEncoder().encode(s);

describe("the blob format", () => {
  it("names its key and round-trips its parts", () => {
    const iv = new Uint8Array(12).fill(7);
    const sealed = new Uint8Array(20).fill(9);
    const bytes = encodeBlob({ keyId: KEY, iv, sealed });
    expect(bytes[0]).toBe(1);
    expect(new TextDecoder().decode(bytes.subarray(1, 37))).toBe(KEY);
    expect(bytes.length).toBe(1 + 36 + 12 + 20);
    expect(decodeBlob(bytes)).toEqual({ keyId: KEY, iv, sealed });
  });

  it("refuses what is not a blob: too short, another version, no key id", () => {
    const good = encodeBlob({ keyId: KEY, iv: new Uint8Array(12), sealed: new Uint8Array(16) });
    expect(decodeBlob(good)).toBeDefined();
    expect(decodeBlob(good.subarray(0, good.length - 1))).toBeUndefined();
    const v2 = good.slice();
    v2[0] = 2;
    expect(decodeBlob(v2)).toBeUndefined();
    const noId = good.slice();
    noId.set(text("not-a-uuid-not-a-uuid-not-a-uuid-xx"), 1);
    expect(decodeBlob(noId)).toBeUndefined();
    expect(decodeBlob(text("hello"))).toBeUndefined();
  });

  it("the authenticated data does not depend on the order the context was written in", () => {
    expect(additionalData(KEY, { a: "1", b: "2" })).toEqual(additionalData(KEY, { b: "2", a: "1" }));
    expect(additionalData(KEY, { a: "1" })).not.toEqual(additionalData(KEY, { a: "2" }));
    expect(additionalData(KEY, {})).toEqual(additionalData(KEY));
    // Pairs are kept apart: {"a":"b,c"} is not {"a":"b","c":…}.
    expect(additionalData(KEY, { ab: "c" })).not.toEqual(additionalData(KEY, { a: "bc" }));
  });
});

describe("AES-256-GCM", () => {
  it("seals and opens; each encryption has its own IV", async () => {
    const m = newKeyMaterial();
    expect(m.length).toBe(32);
    const a = await seal(KEY, m, text("secret"), { app: "lab" });
    const b = await seal(KEY, m, text("secret"), { app: "lab" });
    expect(a).not.toEqual(b);
    expect(new TextDecoder().decode(await open(decodeBlob(a)!, m, { app: "lab" }))).toBe("secret");
    expect(a.length).toBe(1 + 36 + 12 + 6 + 16);
  });

  it("opens only with the same key material and the same context, unaltered", async () => {
    const m = newKeyMaterial();
    const blob = await seal(KEY, m, text("secret"), { app: "lab" });
    expect(await open(decodeBlob(blob)!, newKeyMaterial(), { app: "lab" })).toBeUndefined();
    expect(await open(decodeBlob(blob)!, m, { app: "other" })).toBeUndefined();
    expect(await open(decodeBlob(blob)!, m)).toBeUndefined();
    const flipped = blob.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(await open(decodeBlob(flipped)!, m, { app: "lab" })).toBeUndefined();
    // Another key id in the header: the AAD no longer matches.
    const moved = blob.slice();
    moved.set(text("00000000-0000-4000-8000-000000000000"), 1);
    expect(await open(decodeBlob(moved)!, m, { app: "lab" })).toBeUndefined();
  });
});
