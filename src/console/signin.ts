/**
 * Console sign-in as AWS's: account (id or alias) + IAM user name + password, or the root user's
 * password; then a code of the principal's MFA device when it has one; then, for an IAM user whose
 * password must be reset (PasswordResetRequired, or older than the policy's MaxPasswordAge), a
 * forced change (ChangePassword, so the password policy and PasswordReusePrevention hold).
 *
 * Every failure answers the same words, whatever was wrong (no account, user, login profile, bad
 * password or code), and counts against (account, user name): MAX_FAILURES within FAILURE_WINDOW
 * lock that name for LOCK_MS. AWS shows a CAPTCHA after repeated failures and documents no lockout;
 * iamlab locks instead (a sandbox has no CAPTCHA), with the message below.
 *
 * Success issues an STS session of kind "console" (the principal's own permissions, with
 * aws:MultiFactorAuthPresent / Age and aws:TokenIssueTime) kept server-side in the console session.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import { getLoginProfile, getPasswordPolicy } from "../store/iam-passwords";
import { listUserDevices, ROOT_USER_ID, userByName, verifyMfaCode } from "../store/iam-mfa";
import { clearSigninFailures, getSigninFailures, recordSigninFailure, signinAccount } from "../store/console";
import { hashPassword, verifyPassword } from "../lib/password";
import { issueSession } from "../sessions/issue";
import { rootArn } from "../lib/arn";
import type { Principal } from "../policy/index";
import { statement } from "../store/db";
import { sql } from "drizzle-orm";
import { users } from "../store/schema";
import { isoSeconds } from "../lib/clock";

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
export const LOCK_MS = 15 * 60 * 1000;
/** AWS's IAM-user console sessions last 12 hours; iamlab gives the root user the same. */
export const CONSOLE_SESSION_MS = 12 * 60 * 60 * 1000;
/** Between the password and the MFA code / forced change. */
export const PENDING_MS = 10 * 60 * 1000;

export const MESSAGES = {
  incorrect: "Your authentication information is incorrect. Please try again.",
  locked: (minutes: number) =>
    `Too many failed sign-in attempts for this user. Sign-in is locked; try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
  mfaIncorrect: "Your authentication information is incorrect. Please try again.",
  expiredHard: "Your password has expired. Contact your administrator to reset it.",
} as const;

/** Who signs in: an IAM user (by name) or the root user of an account. */
export interface SigninTarget {
  accountId: string;
  alias: string | null;
  kind: "user" | "root";
  userName?: string;
  userId?: string;
  userArn?: string;
}

export type PasswordOutcome =
  /** accountId and userKnown when the account exists (CloudTrail's ConsoleLogin failure is recorded there) */
  | { ok: false; message: string; accountId?: string; userKnown?: boolean }
  | { ok: true; target: SigninTarget; needsMfa: boolean; mustChangePassword: boolean };

// A hash to verify against when the user does not exist, so a wrong name costs what a wrong password costs.
let dummyHash: Promise<string> | undefined;

/** Step 1: account + user name (empty = root) + password. */
export async function checkPassword(db: Db, account: string, userName: string, password: string, now: number): Promise<PasswordOutcome> {
  const acct = account.trim() ? await signinAccount(db, account.trim()) : undefined;
  const root = userName === "";
  const userKey = root ? ROOT_USER_ID : userName.toLowerCase();
  if (!acct) {
    await verifyPassword(password, await (dummyHash ??= hashPassword("iamlab-dummy")));
    return { ok: false, message: MESSAGES.incorrect };
  }
  const lock = await lockedFor(db, acct.id, userKey, now);
  if (lock) return { ok: false, message: MESSAGES.locked(lock), accountId: acct.id, userKnown: root };
  let target: SigninTarget | undefined;
  let userKnown = root;
  let hash: string | null = null;
  let resetRequired = false;
  let lastChanged: string | null = null;
  if (root) {
    target = { accountId: acct.id, alias: acct.alias, kind: "root" };
    hash = acct.rootPasswordHash;
  } else {
    const user = await userByName(db, acct.id, userName);
    userKnown = !!user;
    const profile = user ? await getLoginProfile(db, acct.id, user.userId) : null;
    if (user && profile) {
      target = { accountId: acct.id, alias: acct.alias, kind: "user", userName: user.userName, userId: user.userId, userArn: user.arn };
      hash = profile.passwordHash;
      resetRequired = profile.passwordResetRequired;
      lastChanged = profile.passwordLastChanged;
    }
  }
  const good = await verifyPassword(password, hash ?? (await (dummyHash ??= hashPassword("iamlab-dummy"))));
  if (!target || !hash || !good) return { ...(await failure(db, acct.id, userKey, now)), accountId: acct.id, userKnown };
  let mustChangePassword = false;
  if (target.kind === "user") {
    const due = await passwordState(db, acct.id, target.userId!, now, {
      passwordResetRequired: resetRequired,
      passwordLastChanged: lastChanged,
    });
    // HardExpiry: only an administrator may set a new password (AWS).
    if (due === "hardExpired") return { ok: false, message: MESSAGES.expiredHard, accountId: acct.id, userKnown: true };
    mustChangePassword = due === "change";
  }
  const devices = await listUserDevices(db, acct.id, target.kind === "root" ? ROOT_USER_ID : target.userId!, undefined, 8);
  if (devices.length === 0) await clearSigninFailures(db, acct.id, userKey);
  return { ok: true, target, needsMfa: devices.length > 0, mustChangePassword };
}

/** Step 2: a code of any of the principal's MFA devices (single-use: verifyMfaCode records its step). */
export async function checkMfaCode(
  db: Db,
  target: SigninTarget,
  code: string,
  now: number,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const owner = target.kind === "root" ? ROOT_USER_ID : target.userId!;
  const userKey = target.kind === "root" ? ROOT_USER_ID : target.userName!.toLowerCase();
  const lock = await lockedFor(db, target.accountId, userKey, now);
  if (lock) return { ok: false, message: MESSAGES.locked(lock) };
  const devices = await listUserDevices(db, target.accountId, owner, undefined, 8);
  for (const d of devices)
    if (await verifyMfaCode(db, target.accountId, d.serialNumber, code.trim(), now, owner)) {
      await clearSigninFailures(db, target.accountId, userKey);
      return { ok: true };
    }
  const f = await failure(db, target.accountId, userKey, now);
  return f.message === MESSAGES.incorrect ? { ok: false, message: MESSAGES.mfaIncorrect } : f;
}

/** Minutes left on a lock, or 0. */
async function lockedFor(db: Db, account: string, userKey: string, now: number): Promise<number> {
  const f = await getSigninFailures(db, account, userKey);
  return f?.lockedUntil && f.lockedUntil > now ? Math.ceil((f.lockedUntil - now) / 60_000) : 0;
}

/** Counts a failure; the attempt that reaches the limit still reads "incorrect", the next ones "locked" (lockedFor). */
async function failure(db: Db, account: string, userKey: string, now: number): Promise<{ ok: false; message: string }> {
  await recordSigninFailure(db, account, userKey, now, FAILURE_WINDOW_MS, MAX_FAILURES, LOCK_MS);
  return { ok: false, message: MESSAGES.incorrect };
}

/**
 * Whether an IAM user's password must change before the console opens: PasswordResetRequired, or
 * older than the policy's MaxPasswordAge ("hardExpired" with HardExpiry: an administrator must reset it).
 */
export async function passwordState(
  db: Db,
  account: string,
  userId: string,
  now: number,
  known?: { passwordResetRequired: boolean; passwordLastChanged: string | null },
): Promise<"ok" | "change" | "hardExpired"> {
  const profile = known ?? (await getLoginProfile(db, account, userId));
  if (!profile) return "ok";
  const policy = await getPasswordPolicy(db, account);
  const maxAge = policy?.MaxPasswordAge;
  const changed = profile.passwordLastChanged ? Date.parse(profile.passwordLastChanged) : Number.NaN;
  const expired = !!maxAge && Number.isFinite(changed) && changed + maxAge * 86_400_000 <= now;
  if (expired && policy?.HardExpiry) return "hardExpired";
  return profile.passwordResetRequired || expired ? "change" : "ok";
}

export function principalOf(t: SigninTarget): Principal {
  return t.kind === "root"
    ? { kind: "root", account: t.accountId, arn: rootArn(t.accountId), userId: t.accountId }
    : { kind: "user", account: t.accountId, arn: t.userArn!, userId: t.userId!, username: t.userName! };
}

/** The console's STS session for a signed-in principal (kind "console"). */
export async function issueConsoleCredentials(
  env: Env,
  db: Db,
  t: SigninTarget,
  mfaTime: number | null,
  now: number,
): Promise<{ accessKeyId: string; token: string; expiresAt: number }> {
  const expiresAt = now + CONSOLE_SESSION_MS;
  const { credentials } = await issueSession(env, now, {
    account: t.accountId,
    kind: "console",
    principal: principalOf(t),
    ...(t.kind === "user" ? { entityId: t.userId! } : {}),
    entityKind: t.kind === "root" ? "root" : "user",
    issuedAt: now,
    expiresAt,
    mfaAuthenticated: mfaTime !== null,
    ...(mfaTime !== null ? { mfaAuthTime: mfaTime } : {}),
    chainDepth: 0,
  });
  // IAM's PasswordLastUsed (GetUser, the credential report) records console sign-ins.
  if (t.kind === "user")
    await statement(
      db,
      sql`UPDATE ${users} SET password_last_used = ${isoSeconds(now)} WHERE ${users.accountId} = ${t.accountId} AND ${users.userId} = ${t.userId!}`,
    ).run();
  return { accessKeyId: credentials.AccessKeyId, token: credentials.SessionToken, expiresAt };
}
