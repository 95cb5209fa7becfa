/**
 * Sandbox-wide quotas that AWS does not have but a shared sandbox needs (issue 22): how many
 * accounts the sandbox holds (IAMLAB_MAX_ACCOUNTS) and how many bytes of S3 objects one account
 * stores (IAMLAB_MAX_ACCOUNT_STORAGE_BYTES). AWS's own per-account IAM quotas are in
 * src/store/iam-quotas.ts.
 */
import { sql } from "drizzle-orm";
import { first, type Db } from "../store/db";
import { accounts, s3Buckets, s3MultipartParts, s3Objects } from "../store/schema";
import { AwsError } from "../protocol/errors";

export const DEFAULT_MAX_ACCOUNTS = 10_000;
export const DEFAULT_MAX_ACCOUNT_STORAGE_BYTES = 1024 * 1024 * 1024;

function positiveInt(raw: string | undefined, dflt: number): number {
  if (raw === undefined || raw.trim() === "") return dflt;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : dflt;
}

export function accountCap(env: { IAMLAB_MAX_ACCOUNTS?: string }): number {
  return positiveInt(env.IAMLAB_MAX_ACCOUNTS, DEFAULT_MAX_ACCOUNTS);
}

export function storageCap(env: { IAMLAB_MAX_ACCOUNT_STORAGE_BYTES?: string }): number {
  return positiveInt(env.IAMLAB_MAX_ACCOUNT_STORAGE_BYTES, DEFAULT_MAX_ACCOUNT_STORAGE_BYTES);
}

export async function countAccounts(db: Db): Promise<number> {
  return (await first<{ n: number }>(db, sql`SELECT COUNT(*) AS n FROM ${accounts}`))?.n ?? 0;
}

/** Bytes of S3 objects and uploaded parts the account's buckets hold (one indexed query). */
export async function accountStorageBytes(db: Db, account: string): Promise<number> {
  const row = await first<{ n: number }>(
    db,
    sql`SELECT (SELECT COALESCE(SUM(${s3Objects.size}), 0) FROM ${s3Objects} WHERE ${s3Objects.accountId} = ${account})
      + (SELECT COALESCE(SUM(${s3MultipartParts.size}), 0) FROM ${s3MultipartParts} WHERE ${s3MultipartParts.accountId} = ${account}) AS n`,
  );
  return row?.n ?? 0;
}

/**
 * Before an S3 write of `adding` bytes into `account`'s bucket: S3 has no storage quota, so the
 * refusal is S3's generic InvalidRequest (400, not retried) naming the sandbox's limit. Checked,
 * not reserved: parallel writes may pass it by their own sizes (a bound, not an exact count).
 */
export async function checkStorageRoom(
  env: { IAMLAB_MAX_ACCOUNT_STORAGE_BYTES?: string },
  db: Db,
  account: string,
  adding: number,
): Promise<void> {
  const cap = storageCap(env);
  if (adding === 0) return;
  const used = await accountStorageBytes(db, account);
  if (used + adding > cap)
    throw new AwsError(
      "InvalidRequest",
      `The bucket owner's account stores ${used} bytes; this write of ${adding} bytes would pass the sandbox's limit of ${cap} bytes per account (IAMLAB_MAX_ACCOUNT_STORAGE_BYTES). Delete objects or abort multipart uploads first.`,
      400,
    );
}

/** S3's default quota of general purpose buckets per account ("General purpose bucket quotas", S3 User Guide). */
export const S3_BUCKETS_PER_ACCOUNT = 10_000;

/** Before CreateBucket: S3's TooManyBuckets (400) once the account owns its quota of buckets. Checked, not reserved. */
export async function checkBucketQuota(db: Db, account: string): Promise<void> {
  const row = await first<{ n: number }>(db, sql`SELECT COUNT(*) AS n FROM ${s3Buckets} WHERE ${s3Buckets.accountId} = ${account}`);
  if ((row?.n ?? 0) >= S3_BUCKETS_PER_ACCOUNT)
    throw new AwsError("TooManyBuckets", "You have attempted to create more buckets than allowed", 400);
}
