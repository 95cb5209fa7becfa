/** Crypto helpers shared by SigV4, passwords, TOTP and the consistency snapshots. */
import { toHex, utf8 } from "./encoding";

/** SHA-256 of bytes or UTF-8 text, as lower-case hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? utf8.encode(data) : data));
}

type TimingSafeSubtle = SubtleCrypto & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean };

/**
 * Equality whose time depends only on the length: strings by UTF-16 code unit, or bytes (with the
 * runtime's crypto.subtle.timingSafeEqual where it has one, as workerd does).
 */
export function timingSafeEqual(a: string, b: string): boolean;
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (typeof a !== "string" && typeof b !== "string") {
    const subtle = crypto.subtle as TimingSafeSubtle;
    if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  }
  const at = (x: string | Uint8Array, i: number): number => (typeof x === "string" ? x.charCodeAt(i) : x[i]!);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= at(a, i) ^ at(b, i);
  return diff === 0;
}
