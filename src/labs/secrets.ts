/** Generated console passwords for lab users: long, random, and compliant with any IAM password policy. */
import { passwordPolicyViolation, type PasswordPolicy } from "../lib/password";

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
// IAM's symbol set, without the ones that trip shells and CSV readers (' and |).
const SYMBOLS = "!@#$%^&*()_+-=[]{}";

function pick(chars: string, n: number): string[] {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return [...bytes].map((b) => chars[b % chars.length]!);
}

/** At least 20 characters (or the policy's minimum), with every character class IAM can require. */
export function generatePassword(policy: PasswordPolicy | null): string {
  const length = Math.max(20, policy?.MinimumPasswordLength ?? 0);
  for (;;) {
    const chars = [
      ...pick(LOWER, 2),
      ...pick(UPPER, 2),
      ...pick(DIGITS, 2),
      ...pick(SYMBOLS, 2),
      ...pick(LOWER + UPPER + DIGITS, length - 8),
    ];
    // Shuffle (Fisher–Yates) so the classes are not in fixed positions.
    const r = crypto.getRandomValues(new Uint32Array(chars.length));
    for (let i = chars.length - 1; i > 0; i--) {
      const j = r[i]! % (i + 1);
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    }
    const password = chars.join("");
    if (!passwordPolicyViolation(password, policy)) return password;
  }
}
