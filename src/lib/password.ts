/**
 * Console passwords: PBKDF2-SHA256 on WebCrypto (100,000 iterations — the most production Workers
 * allow — 16-byte salt, 256-bit output), stored as `pbkdf2-sha256$iterations$salt$hash` (base64),
 * compared in constant time. Also the password-policy checks with IAM's messages.
 */
import { fromBase64, toBase64, utf8 } from "./encoding";
import { timingSafeEqual } from "./crypto";

export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS));
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, saltText, hashText] = stored.split("$");
  if (scheme !== "pbkdf2-sha256" || !iter || !saltText || !hashText) return false;
  const iterations = Number(iter);
  const salt = fromBase64(saltText);
  const expected = fromBase64(hashText);
  if (!Number.isInteger(iterations) || iterations < 1 || !salt || !expected) return false;
  return timingSafeEqual(await derive(password, salt, iterations), expected);
}

/** The account password policy as AWS's PasswordPolicy fields (absent = not set). */
export interface PasswordPolicy {
  MinimumPasswordLength: number;
  RequireSymbols: boolean;
  RequireNumbers: boolean;
  RequireUppercaseCharacters: boolean;
  RequireLowercaseCharacters: boolean;
  AllowUsersToChangePassword: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

/** IAM's symbol set: ! @ # $ % ^ & * ( ) _ + - = [ ] { } | ' */
const SYMBOLS = /[!@#$%^&*()_+\-=[\]{}|']/;
const LOWER = /[a-z]/;
const UPPER = /[A-Z]/;
const NUMBER = /[0-9]/;

/**
 * The PasswordPolicyViolation message for a password, or null when it complies. With a custom
 * policy: its rules in IAM's order. Without one: AWS's default policy (at least 8 characters and at
 * least three of uppercase, lowercase, numbers, symbols).
 */
export function passwordPolicyViolation(password: string, policy: PasswordPolicy | null): string | null {
  if (!policy) {
    if (password.length < 8) return "Password should have a minimum length of 8";
    const missing: string[] = [];
    if (!UPPER.test(password)) missing.push("Password should have at least one uppercase letter");
    if (!LOWER.test(password)) missing.push("Password should have at least one lowercase letter");
    if (!NUMBER.test(password)) missing.push("Password should have at least one number");
    if (!SYMBOLS.test(password)) missing.push("Password should have at least one symbol");
    const need = missing.length - 1; // three of four categories
    if (need <= 0) return null;
    return `Password should meet ${need} more of the following requirements: ${missing.join(", ")}`;
  }
  if (password.length < policy.MinimumPasswordLength) return `Password should have a minimum length of ${policy.MinimumPasswordLength}`;
  if (policy.RequireLowercaseCharacters && !LOWER.test(password)) return "Password should have at least one lowercase letter";
  if (policy.RequireUppercaseCharacters && !UPPER.test(password)) return "Password should have at least one uppercase letter";
  if (policy.RequireNumbers && !NUMBER.test(password)) return "Password should have at least one number";
  if (policy.RequireSymbols && !SYMBOLS.test(password)) return "Password should have at least one symbol";
  return null;
}
