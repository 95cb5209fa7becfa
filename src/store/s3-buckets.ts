/**
 * S3 buckets (D1 table `s3_buckets`), in the store's one dialect (src/store/db.ts): drizzle `sql`
 * templates over the schema's tables and columns. Bucket names are global across the sandbox, as
 * on AWS: the primary key is the name, and each row names its owner account. S3 writes are effect
 * `none` (no generation bump), so they are single statements or plain `d1.batch`es, not writeBatch —
 * but for the bucket policy, a permission like any other: its writes go through writeBatch (effect
 * `permissions`), which bumps the owner account's generation.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { s3Buckets, s3Objects, accounts } from "./schema";
import { writeBatch, type Write } from "./write";

/**
 * A bucket as the store returns it: every column of `s3_buckets`, `region` the LocationConstraint
 * it was created in (`us-east-1` when none was given; `EU` kept as sent) and `policy` the bucket
 * policy as PutBucketPolicy stored it — absent (not null) when the bucket has none;
 * `policyGeneration` (absent when NULL) the owner account's generation that policy change was
 * written at while the account lagged (eventual consistency: the data plane may not enforce it yet).
 */
export type BucketRow = Row<typeof s3Buckets, "policy" | "policyGeneration"> & { policy?: string; policyGeneration?: number };

const BUCKET = selectList(s3Buckets);
/** A listing does not need the policies (a row without one comes back without `policy`). */
const LISTED = selectList(s3Buckets, ["policy", "policyGeneration"]);

/** A row as D1 answers it (`policy` NULL when none, or not selected) as a BucketRow (`policy` absent); other keys of `r` are left out. */
export const bucketOf = (
  r: Row<typeof s3Buckets, "policy" | "policyGeneration"> & { policy?: string | null; policyGeneration?: number | null },
): BucketRow => {
  const b: BucketRow = { name: r.name, accountId: r.accountId, region: r.region, createDate: r.createDate };
  if (typeof r.policy === "string") b.policy = r.policy;
  if (typeof r.policyGeneration === "number") b.policyGeneration = r.policyGeneration;
  return b;
};

export async function getBucket(db: Db, name: string): Promise<BucketRow | undefined> {
  const r = await first<Row<typeof s3Buckets>>(db, sql`SELECT ${BUCKET} FROM ${s3Buckets} WHERE ${s3Buckets.name} = ${name}`);
  return r ? bucketOf(r) : undefined;
}

/** Creates the bucket unless the name is taken; answers the owner of the name when it is. */
export async function createBucket(db: Db, b: BucketRow): Promise<{ created: true } | { created: false; owner: string }> {
  const t = s3Buckets;
  const [ins, existing] = await db.$client.batch<{ name?: string; accountId?: string }>([
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.name)}, ${bare(t.accountId)}, ${bare(t.region)}, ${bare(t.createDate)})
        VALUES (${b.name}, ${b.accountId}, ${b.region}, ${b.createDate})
        ON CONFLICT (${bare(t.name)}) DO NOTHING RETURNING ${bare(t.name)}`,
    ),
    statement(db, sql`SELECT ${t.accountId} AS ${sql.identifier("accountId")} FROM ${t} WHERE ${t.name} = ${b.name}`),
  ]);
  if (ins?.results.length) return { created: true };
  return { created: false, owner: String(existing?.results[0]?.accountId ?? "") };
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
  const t = s3Buckets;
  const prefix = opts.prefix ?? "";
  const regions = opts.regions ?? [];
  const inRegions = regions.length
    ? sql` AND ${t.region} IN (${sql.join(
        regions.map((r) => sql`${r}`),
        sql`, `,
      )})`
    : sql``;
  const rs = await all<Row<typeof s3Buckets, "policy">>(
    db,
    sql`SELECT ${LISTED} FROM ${t}
      WHERE ${t.accountId} = ${accountId} AND ${t.name} > ${opts.after ?? ""} AND substr(${t.name}, 1, length(${prefix})) = ${prefix}${inRegions}
      ORDER BY ${t.name} LIMIT ${opts.limit}`,
  );
  return rs.map(bucketOf);
}

/** Deletes an empty bucket of `accountId`. */
export async function deleteBucket(db: Db, name: string, accountId: string): Promise<"deleted" | "notEmpty" | "missing"> {
  const t = s3Buckets;
  const o = s3Objects;
  const [del, obj] = await db.$client.batch<{ name?: string; n?: number }>([
    statement(
      db,
      sql`DELETE FROM ${t} WHERE ${t.name} = ${name} AND ${t.accountId} = ${accountId}
        AND NOT EXISTS (SELECT 1 FROM ${o} WHERE ${o.bucket} = ${name}) RETURNING ${bare(t.name)}`,
    ),
    statement(db, sql`SELECT count(*) AS n FROM (SELECT 1 FROM ${o} WHERE ${o.bucket} = ${name} LIMIT 1)`),
  ]);
  if (del?.results.length) return "deleted";
  return Number(obj?.results[0]?.n ?? 0) > 0 ? "notEmpty" : "missing";
}

/**
 * Sets (or, with null, removes) the policy of a bucket of `accountId`, through the write batch of a
 * `permissions` action (the owner account's generation moves with it). `lagging`: the account's
 * eventual consistency is on, so the row records the generation this change creates (the one the
 * batch bumps to) for the data plane to wait for; otherwise it is in force at once (NULL).
 * False when the bucket is gone (deleted under us).
 */
export async function setBucketPolicy(
  w: Write,
  name: string,
  accountId: string,
  policy: string | null,
  lagging: boolean,
): Promise<boolean> {
  const t = s3Buckets;
  const a = accounts;
  const generation = lagging ? sql`(SELECT ${a.generation} + 1 FROM ${a} WHERE ${a.id} = ${accountId})` : sql`NULL`;
  const [r] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${t} SET ${bare(t.policy)} = ${policy}, ${bare(t.policyGeneration)} = ${generation}
        WHERE ${t.name} = ${name} AND ${t.accountId} = ${accountId} RETURNING ${bare(t.name)}`,
    ),
  ]);
  return (r?.results.length ?? 0) > 0;
}

/** The policies of an account's buckets, by bucket name (eventual consistency's snapshots keep them). */
export async function bucketPoliciesOf(db: Db, accountId: string): Promise<Map<string, string>> {
  const t = s3Buckets;
  const rs = await all<{ name: string; policy: string }>(
    db,
    sql`SELECT ${t.name} AS ${sql.identifier("name")}, ${t.policy} AS ${sql.identifier("policy")} FROM ${t}
      WHERE ${t.accountId} = ${accountId} AND ${t.policy} IS NOT NULL`,
  );
  return new Map(rs.map((r) => [r.name, r.policy]));
}
