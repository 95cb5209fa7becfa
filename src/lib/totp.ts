/**
 * RFC 4226 HOTP / RFC 6238 TOTP on WebCrypto HMAC-SHA1: 30-second steps, 6 digits — what
 * virtual MFA apps (and AWS) use. Seeds are base32 text (RFC 4648, no padding).
 */
import { base32Decode, base32Encode } from "./encoding";
import { timingSafeEqual } from "./crypto";

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 40 random bytes → 64 base32 characters, the length AWS's seeds have. */
export const SEED_BYTES = 40;

export function newTotpSeed(): string {
  return base32Encode(crypto.getRandomValues(new Uint8Array(SEED_BYTES)));
}

/** The TOTP time step of an instant (epoch ms). */
export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

async function hmacKey(seedBase32: string): Promise<CryptoKey> {
  const raw = base32Decode(seedBase32);
  if (!raw || raw.length === 0) throw new Error("invalid base32 seed");
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

async function hotpWithKey(key: CryptoKey, counter: number): Promise<string> {
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, BigInt(counter));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, msg));
  const off = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[off]! & 0x7f) << 24) | (mac[off + 1]! << 16) | (mac[off + 2]! << 8) | mac[off + 3]!;
  return String(bin % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, "0");
}

/** The HOTP value of a counter. */
export async function hotp(seedBase32: string, counter: number): Promise<string> {
  return hotpWithKey(await hmacKey(seedBase32), counter);
}

/** The TOTP code at an instant (epoch ms). */
export async function totp(seedBase32: string, nowMs: number): Promise<string> {
  return hotp(seedBase32, timeStep(nowMs));
}

/**
 * The steps in [from, to] whose code equals `code`, in ascending order (usually none or one).
 * The comparison runs over every step, so timing does not reveal which step matched.
 */
export async function matchingSteps(seedBase32: string, code: string, from: number, to: number): Promise<number[]> {
  if (!/^\d{6}$/.test(code)) return [];
  const key = await hmacKey(seedBase32);
  const out: number[] = [];
  for (let step = from; step <= to; step++) {
    const expected = await hotpWithKey(key, step);
    if (timingSafeEqual(expected, code)) out.push(step);
  }
  return out;
}

/**
 * Two consecutive codes (AWS's AuthenticationCode1/2): the step s with code1 at s and code2 at s+1,
 * s in [from, to]; the latest such s, or null.
 */
export async function consecutiveStep(seedBase32: string, code1: string, code2: string, from: number, to: number): Promise<number | null> {
  const first = await matchingSteps(seedBase32, code1, from, to);
  if (first.length === 0) return null;
  const second = new Set(await matchingSteps(seedBase32, code2, from + 1, to + 1));
  for (let i = first.length - 1; i >= 0; i--) if (second.has(first[i]! + 1)) return first[i]!;
  return null;
}
