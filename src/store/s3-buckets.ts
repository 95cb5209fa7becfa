/**
 * S3 buckets (D1 table `s3_buckets`). Bucket names are global across the sandbox, as on AWS: the
 * primary key is the name, and each row names its owner account.
 */
import type { Db } from "./db";

export interface BucketRow {
  name: string;
  accountId: string;
  /** the LocationConstraint it was created in (`us-east-1` when none was given; `EU` kept as sent) */
  region: string;
  createDate: string;
  /** the bucket policy as PutBucketPolicy stored it; absent when the bucket has none */
  policy?: string;
}

interface RawBucket {
  name: string;
  account_id: string;
  region: string;
  create_date: string;
  policy?: string | null;
}

const row = (r: RawBucket): BucketRow => {
  const b: BucketRow = { name: r.name, accountId: r.account_id, region: r.region, createDate: r.create_date };
  if (typeof r.policy === "string") b.policy = r.policy;
  return b;
};

export async function getBucket(db: Db, name: string): Promise<BucketRow | undefined> {
  const r = await db.$client
    .prepare("SELECT name, account_id, region, create_date, policy FROM s3_buckets WHERE name = ?")
    .bind(name)
    .first<RawBucket>();
  return r ? row(r) : undefined;
}

/** Creates the bucket unless the name is taken; answers the owner of the name when it is. */
export async function createBucket(db: Db, b: BucketRow): Promise<{ created: true } | { created: false; owner: string }> {
  const d1 = db.$client;
  const [ins, existing] = await d1.batch<{ name?: string; account_id?: string }>([
    d1
      .prepare(
        "INSERT INTO s3_buckets (name, account_id, region, create_date) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name",
      )
      .bind(b.name, b.accountId, b.region, b.createDate),
    d1.prepare("SELECT account_id FROM s3_buckets WHERE name = ?").bind(b.name),
  ]);
  if (ins?.results.length) return { created: true };
  return { created: false, owner: String(existing?.results[0]?.account_id ?? "") };
}

/**
 * An account's buckets by name (UTF-8 byte order), from `after` (exclusive), names starting with
 * `prefix`, in one of `regions` when given.
 */
export async function listBuckets(
  db: Db,
  accountId: string,
  opts: { prefix?: string; after?: string; regions?: readonly string[]; limit: number },
): Promise<BucketRow[]> {
  const prefix = opts.prefix ?? "";
  const regions = opts.regions ?? [];
  const rs = await db.$client
    .prepare(`SELECT name, account_id, region, create_date FROM s3_buckets
      WHERE account_id = ? AND name > ? AND substr(name, 1, length(?)) = ?${regions.length ? ` AND region IN (${regions.map(() => "?").join(",")})` : ""}
      ORDER BY name LIMIT ?`)
    .bind(accountId, opts.after ?? "", prefix, prefix, ...regions, opts.limit)
    .all<RawBucket>();
  return rs.results.map(row);
}

/** Deletes an empty bucket of `accountId`. */
export async function deleteBucket(db: Db, name: string, accountId: string): Promise<"deleted" | "notEmpty" | "missing"> {
  const d1 = db.$client;
  const [del, obj] = await d1.batch<{ name?: string; n?: number }>([
    d1
      .prepare(
        "DELETE FROM s3_buckets WHERE name = ? AND account_id = ? AND NOT EXISTS (SELECT 1 FROM s3_objects WHERE bucket = ?) RETURNING name",
      )
      .bind(name, accountId, name),
    d1.prepare("SELECT count(*) AS n FROM (SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1)").bind(name),
  ]);
  if (del?.results.length) return "deleted";
  return Number(obj?.results[0]?.n ?? 0) > 0 ? "notEmpty" : "missing";
}

/**
 * Sets (or, with null, removes) the policy of a bucket of `accountId`. False when the bucket is gone
 * (deleted under us).
 */
export async function setBucketPolicy(db: Db, name: string, accountId: string, policy: string | null): Promise<boolean> {
  const r = await db.$client
    .prepare("UPDATE s3_buckets SET policy = ? WHERE name = ? AND account_id = ? RETURNING name")
    .bind(policy, name, accountId)
    .all();
  return r.results.length > 0;
}
