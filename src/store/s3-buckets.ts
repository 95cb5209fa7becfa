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

/** A bucket's Block Public Access settings (S3's PublicAccessBlockConfiguration). */
export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

/** What a new bucket gets: every setting on (AWS's default for new buckets since April 2023). */
export const NEW_BUCKET_PUBLIC_ACCESS_BLOCK: Readonly<PublicAccessBlock> = Object.freeze({
  blockPublicAcls: true,
  ignorePublicAcls: true,
  blockPublicPolicy: true,
  restrictPublicBuckets: true,
});

type BpaColumn = "blockPublicAcls" | "ignorePublicAcls" | "blockPublicPolicy" | "restrictPublicBuckets";

/**
/**
 * A bucket as the store returns it: the columns of `s3_buckets`, `region` the LocationConstraint
 * it was created in (`us-east-1` when none was given; `EU` kept as sent), `policy` the bucket
 * policy as PutBucketPolicy stored it, `publicAccessBlock` its Block Public Access settings, `tags`
 * its tag set and `objectOwnership` its Object Ownership — each absent (not null) when the bucket has
 * none (a row written without an Object Ownership reads BucketOwnerEnforced); `policyGeneration` (absent when NULL)
 * the owner account's generation that policy change was written at while the account lagged (eventual
 * consistency: the data plane may not enforce it yet).
 */
export type BucketRow = Row<typeof s3Buckets, "policy" | "policyGeneration" | "tags" | "objectOwnership" | BpaColumn> & {
  policy?: string;
  publicAccessBlock?: PublicAccessBlock;
  tags?: Record<string, string>;
  objectOwnership?: string;
  policyGeneration?: number;
};

const BUCKET = selectList(s3Buckets);
/** A listing needs neither the policies, the settings nor the tags (a row without them comes back without those keys). */
const LISTED = selectList(s3Buckets, [
  "policy",
  "policyGeneration",
  "tags",
  "blockPublicAcls",
  "ignorePublicAcls",
  "blockPublicPolicy",
  "restrictPublicBuckets",
]);

/** A JSON object of strings (tags) as stored; undefined for NULL or anything else. */
export function tagsOf(json: string | null | undefined): Record<string, string> | undefined {
  if (typeof json !== "string") return undefined;
  try {
    const v: unknown = JSON.parse(json);
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
    return out;
  } catch {
    return undefined;
  }
}

type RawBucket = Row<typeof s3Buckets, "policy" | "policyGeneration" | "tags" | "objectOwnership" | BpaColumn> & {
  policy?: string | null;
  tags?: string | null;
  objectOwnership?: string | null;
  policyGeneration?: number | null;
} & Partial<Record<BpaColumn, number | null>>;

/** A row as D1 answers it (NULL or unselected columns) as a BucketRow (those keys absent); other keys of `r` are left out. */
export const bucketOf = (r: RawBucket): BucketRow => {
  const b: BucketRow = { name: r.name, accountId: r.accountId, region: r.region, createDate: r.createDate };
  if (typeof r.policy === "string") b.policy = r.policy;
  // The four are written together: any of them set means the bucket has a configuration.
  if (r.blockPublicAcls != null || r.ignorePublicAcls != null || r.blockPublicPolicy != null || r.restrictPublicBuckets != null)
    b.publicAccessBlock = {
      blockPublicAcls: r.blockPublicAcls === 1,
      ignorePublicAcls: r.ignorePublicAcls === 1,
      blockPublicPolicy: r.blockPublicPolicy === 1,
      restrictPublicBuckets: r.restrictPublicBuckets === 1,
    };
  const tags = tagsOf(r.tags);
  if (tags) b.tags = tags;
  if (typeof r.objectOwnership === "string") b.objectOwnership = r.objectOwnership;
  if (typeof r.policyGeneration === "number") b.policyGeneration = r.policyGeneration;
  return b;
};

export async function getBucket(db: Db, name: string): Promise<BucketRow | undefined> {
  const r = await first<Row<typeof s3Buckets>>(db, sql`SELECT ${BUCKET} FROM ${s3Buckets} WHERE ${s3Buckets.name} = ${name}`);
  return r ? bucketOf(r) : undefined;
}

/**
 * Creates the bucket unless the name is taken; answers the owner of the name when it is. A new
 * bucket has every Block Public Access setting on (NEW_BUCKET_PUBLIC_ACCESS_BLOCK).
 */
export async function createBucket(db: Db, b: BucketRow): Promise<{ created: true } | { created: false; owner: string }> {
  const t = s3Buckets;
  const bpa = bpaValues(NEW_BUCKET_PUBLIC_ACCESS_BLOCK);
  const [ins, existing] = await db.$client.batch<{ name?: string; accountId?: string }>([
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.name)}, ${bare(t.accountId)}, ${bare(t.region)}, ${bare(t.createDate)}, ${bare(t.objectOwnership)},
          ${bare(t.blockPublicAcls)}, ${bare(t.ignorePublicAcls)}, ${bare(t.blockPublicPolicy)}, ${bare(t.restrictPublicBuckets)})
        VALUES (${b.name}, ${b.accountId}, ${b.region}, ${b.createDate}, ${b.objectOwnership ?? "BucketOwnerEnforced"},
          ${bpa[0]}, ${bpa[1]}, ${bpa[2]}, ${bpa[3]})
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
  const rs = await all<RawBucket>(
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

/** The four settings as column values (1/0), or all NULL for none — in the columns' order. */
function bpaValues(p: PublicAccessBlock | null): [number | null, number | null, number | null, number | null] {
  if (!p) return [null, null, null, null];
  const v = (x: boolean) => (x ? 1 : 0);
  return [v(p.blockPublicAcls), v(p.ignorePublicAcls), v(p.blockPublicPolicy), v(p.restrictPublicBuckets)];
}

/**
 * Sets (or, with null, removes) the Block Public Access settings of a bucket of `accountId`. False
 * when the bucket is gone (deleted under us).
 */
export async function setPublicAccessBlock(db: Db, name: string, accountId: string, p: PublicAccessBlock | null): Promise<boolean> {
  const t = s3Buckets;
  const [acls, ignore, policy, restrict] = bpaValues(p);
  const r = await all(
    db,
    sql`UPDATE ${t} SET ${bare(t.blockPublicAcls)} = ${acls}, ${bare(t.ignorePublicAcls)} = ${ignore},
        ${bare(t.blockPublicPolicy)} = ${policy}, ${bare(t.restrictPublicBuckets)} = ${restrict}
      WHERE ${t.name} = ${name} AND ${t.accountId} = ${accountId} RETURNING ${bare(t.name)}`,
  );
  return r.length > 0;
}

/** Sets (or, with null, removes) the tag set of a bucket of `accountId`. False when the bucket is gone. */
export async function setBucketTags(db: Db, name: string, accountId: string, tags: Record<string, string> | null): Promise<boolean> {
  const t = s3Buckets;
  const json = tags === null ? null : JSON.stringify(tags);
  const r = await all(
    db,
    sql`UPDATE ${t} SET ${bare(t.tags)} = ${json} WHERE ${t.name} = ${name} AND ${t.accountId} = ${accountId} RETURNING ${bare(t.name)}`,
  );
  return r.length > 0;
}

/** Sets (or, with null, removes) the Object Ownership of a bucket of `accountId`. False when the bucket is gone. */
export async function setObjectOwnership(db: Db, name: string, accountId: string, ownership: string | null): Promise<boolean> {
  const t = s3Buckets;
  const r = await all(
    db,
    sql`UPDATE ${t} SET ${bare(t.objectOwnership)} = ${ownership} WHERE ${t.name} = ${name} AND ${t.accountId} = ${accountId} RETURNING ${bare(t.name)}`,
  );
  return r.length > 0;
}
