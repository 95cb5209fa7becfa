import { describe, expect, it } from "vitest";
import { inflateSync, crc32 as nodeCrc32 } from "node:zlib";
import { generate } from "lean-qr";
import { consecutiveStep, hotp, matchingSteps, newTotpSeed, timeStep, totp } from "../../src/lib/totp";
import { base32Encode } from "../../src/lib/encoding";
import { crc32, encodePng1Bit } from "../../src/lib/png";
import { qrPng } from "../../src/lib/qr";
import { hashPassword, passwordPolicyViolation, verifyPassword, type PasswordPolicy } from "../../src/lib/password";
import { toCsv } from "../../src/lib/csv";

// RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (values truncated to 6 digits).
const RFC_SEED = base32Encode(new TextEncoder().encode("12345678901234567890"));
const RFC_VECTORS: [number, string][] = [
  [59, "287082"],
  [1111111109, "081804"],
  [1111111111, "050471"],
  [1234567890, "005924"],
  [2000000000, "279037"],
  [20000000000, "353130"],
];

describe("TOTP (RFC 6238 / RFC 4226)", () => {
  it("matches the RFC 6238 test vectors", async () => {
    expect(RFC_SEED).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    for (const [t, code] of RFC_VECTORS) expect(await totp(RFC_SEED, t * 1000)).toBe(code);
  });
  it("matches the RFC 4226 HOTP vectors", async () => {
    const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    for (let i = 0; i < expected.length; i++) expect(await hotp(RFC_SEED, i)).toBe(expected[i]);
  });
  it("seeds are 64 base32 characters (40 bytes)", () => {
    const s = newTotpSeed();
    expect(s).toMatch(/^[A-Z2-7]{64}$/);
    expect(newTotpSeed()).not.toBe(s);
  });
  it("finds the step of a code within a window, and consecutive pairs", async () => {
    const seed = newTotpSeed();
    const now = Date.UTC(2026, 10, 23, 12, 0, 10);
    const step = timeStep(now);
    const c0 = await hotp(seed, step - 1);
    const c1 = await hotp(seed, step);
    expect(await matchingSteps(seed, c1, step - 1, step + 1)).toContain(step);
    expect(await matchingSteps(seed, "12345", step - 1, step + 1)).toEqual([]);
    expect(await matchingSteps(seed, "abcdef", step - 1, step + 1)).toEqual([]);
    expect(await consecutiveStep(seed, c0, c1, step - 3, step + 1)).toBe(step - 1);
    expect(await consecutiveStep(seed, c1, c0, step - 3, step + 1)).toBeNull();
  });
});

describe("PNG writer and QR code", () => {
  it("crc32 agrees with zlib", () => {
    const data = new TextEncoder().encode("IHDR and some bytes");
    if (typeof nodeCrc32 === "function") expect((crc32(data) ^ 0xffffffff) >>> 0).toBe(nodeCrc32(data));
    expect((crc32(new TextEncoder().encode("123456789")) ^ 0xffffffff) >>> 0).toBe(0xcbf43926);
  });

  function parsePng(png: Uint8Array) {
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
    let off = 8;
    const chunks: { type: string; data: Uint8Array }[] = [];
    while (off < png.length) {
      const len = dv.getUint32(off);
      const type = String.fromCharCode(...png.subarray(off + 4, off + 8));
      const data = png.subarray(off + 8, off + 8 + len);
      const crc = dv.getUint32(off + 8 + len);
      expect((crc32(png.subarray(off + 4, off + 8 + len)) ^ 0xffffffff) >>> 0).toBe(crc);
      chunks.push({ type, data });
      off += 12 + len;
    }
    expect(chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const ih = new DataView(chunks[0]!.data.buffer, chunks[0]!.data.byteOffset, 13);
    const width = ih.getUint32(0);
    const height = ih.getUint32(4);
    expect([chunks[0]!.data[8], chunks[0]!.data[9]]).toEqual([1, 0]); // 1-bit grayscale
    const raw = inflateSync(chunks[1]!.data);
    const rowBytes = Math.ceil(width / 8);
    expect(raw.length).toBe((rowBytes + 1) * height);
    const white = (x: number, y: number) => (raw[y * (rowBytes + 1) + 1 + (x >> 3)]! & (0x80 >> (x & 7))) !== 0;
    return { width, height, white };
  }

  it("writes a valid 1-bit grayscale PNG", async () => {
    const png = await encodePng1Bit(10, 3, (x, y) => (x + y) % 2 === 0);
    const { width, height, white } = parsePng(png);
    expect([width, height]).toEqual([10, 3]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 10; x++) expect(white(x, y)).toBe((x + y) % 2 !== 0);
  });

  it("draws the QR modules of an otpauth URI with a white quiet zone", async () => {
    const uri = `otpauth://totp/dev@123456789012?secret=${newTotpSeed()}`;
    const png = await qrPng(uri);
    const { width, height, white } = parsePng(png);
    const code = generate(uri);
    const n = code.size + 8;
    expect(width).toBe(n * 4);
    expect(height).toBe(n * 4);
    for (let my = -4; my < code.size + 4; my++)
      for (let mx = -4; mx < code.size + 4; mx++) {
        const inside = mx >= 0 && my >= 0 && mx < code.size && my < code.size;
        const dark = inside && code.get(mx, my);
        expect(white((mx + 4) * 4 + 1, (my + 4) * 4 + 2)).toBe(!dark);
      }
  });
});

describe("passwords", () => {
  it("hashes with PBKDF2-SHA256 and verifies", async () => {
    const h = await hashPassword("Correct-Horse-1", 1000);
    expect(h).toMatch(/^pbkdf2-sha256\$1000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await verifyPassword("Correct-Horse-1", h)).toBe(true);
    expect(await verifyPassword("Correct-Horse-2", h)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
    expect(await hashPassword("same", 1000)).not.toBe(await hashPassword("same", 1000));
  });
  it("uses 100,000 iterations by default", async () => {
    expect((await hashPassword("p")).split("$")[1]).toBe("100000");
  });
  it("checks a custom policy in IAM's order with IAM's wording", () => {
    const p: PasswordPolicy = {
      MinimumPasswordLength: 10,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      AllowUsersToChangePassword: false,
    };
    expect(passwordPolicyViolation("short", p)).toBe("Password should have a minimum length of 10");
    expect(passwordPolicyViolation("ABCDEFGHIJK1!", p)).toBe("Password should have at least one lowercase letter");
    expect(passwordPolicyViolation("abcdefghijk1!", p)).toBe("Password should have at least one uppercase letter");
    expect(passwordPolicyViolation("abcdefghiJK!", p)).toBe("Password should have at least one number");
    expect(passwordPolicyViolation("abcdefghiJK1", p)).toBe("Password should have at least one symbol");
    expect(passwordPolicyViolation("abcdefghiJK1'", p)).toBeNull();
  });
  it("applies AWS's default policy when none is set", () => {
    expect(passwordPolicyViolation("Ab1!", null)).toBe("Password should have a minimum length of 8");
    expect(passwordPolicyViolation("abcdefgh1", null)).toBe(
      "Password should meet 1 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one symbol",
    );
    expect(passwordPolicyViolation("abcdefgh", null)).toBe(
      "Password should meet 2 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one number, Password should have at least one symbol",
    );
    expect(passwordPolicyViolation("abcdefgH1", null)).toBeNull();
  });
});

describe("csv", () => {
  it("quotes only cells that need it", () => {
    expect(
      toCsv([
        ["a", "b,c", 'd"e', "f\ng"],
        ["1", "2", "3", "4"],
      ]),
    ).toBe('a,"b,c","d""e","f\ng"\n1,2,3,4');
  });
});
