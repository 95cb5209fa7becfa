/**
 * The one generator of AWS-shaped identifiers. Unique ids are a 4-letter prefix plus
 * 17 base32 characters (AIDA…, AGPA…, AROA…, ANPA…, AIPA…). Access key ids are AKIA/ASIA
 * plus 16 base32 characters that encode the owning account the way AWS does, so that
 * sts:GetAccessKeyInfo can answer from the id alone:
 *   bytes 0..5 of the decoded suffix = (account << 7 | 7 random bits), bytes 6..9 random.
 */
import { base32Decode, base32Encode } from "./encoding";

export type UniqueIdPrefix = "AIDA" | "AGPA" | "AROA" | "ANPA" | "AIPA" | "ANVA" | "ASCA" | "APKA" | "ACCA";

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export function newUniqueId(prefix: UniqueIdPrefix): string {
  return prefix + base32Encode(randomBytes(11)).slice(0, 17);
}

/** An SSH public key id: APKA + 16 base32 characters (20 in all, as AWS's APKAEIBAERJR2EXAMPLE). */
export function newSshPublicKeyId(): string {
  return `APKA${base32Encode(randomBytes(10)).slice(0, 16)}`;
}

/**
 * A signing certificate id: 32 upper-case base32 characters. AWS's documented example is
 * TA7SMP42TDN5Z26OBPJE7EXAMPLE (the model asks for 24–128 of [\w]); real ids seen are 32
 * upper-case alphanumerics, which this follows (not confirmed by AWS's documentation).
 */
export function newSigningCertificateId(): string {
  return base32Encode(randomBytes(20)).slice(0, 32);
}

export function newAccessKeyId(account: string, temporary: boolean): string {
  const bytes = randomBytes(10);
  // 48-bit big-endian field: account id shifted left by 7, low 7 bits random, top bit 0.
  const field = (BigInt(account) << 7n) | BigInt(bytes[5]! & 0x7f);
  for (let i = 0; i < 6; i++) bytes[i] = Number((field >> BigInt(8 * (5 - i))) & 0xffn);
  return (temporary ? "ASIA" : "AKIA") + base32Encode(bytes).slice(0, 16);
}

/** Account id encoded in an AKIA/ASIA key id, or null when the id is not of that form. */
export function accountOfAccessKeyId(keyId: string): string | null {
  if (!/^(AKIA|ASIA)[A-Z2-7]{16}$/.test(keyId)) return null;
  const bytes = base32Decode(keyId.slice(4));
  if (!bytes || bytes.length < 6) return null;
  let field = 0n;
  for (let i = 0; i < 6; i++) field = (field << 8n) | BigInt(bytes[i]!);
  const account = (field & 0x7fffffffff80n) >> 7n;
  return account.toString().padStart(12, "0");
}

const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
export function newSecretAccessKey(): string {
  let s = "";
  for (const b of randomBytes(40)) s += SECRET_ALPHABET[b & 63];
  return s;
}

export function newAccountId(): string {
  const bytes = randomBytes(8);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  // Leading digit 1-9 so ids look like AWS's and never lose digits as numbers.
  return String(100000000000n + (n % 900000000000n));
}

/** An account's incarnation (accounts.incarnation): 8 random bytes as 16 hex characters. */
export function newIncarnation(): string {
  let s = "";
  for (const b of randomBytes(8)) s += b.toString(16).padStart(2, "0");
  return s;
}

export function newRequestId(): string {
  return crypto.randomUUID();
}
