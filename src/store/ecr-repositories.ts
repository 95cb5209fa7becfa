/**
 * ECR repositories (D1 `ecr_repositories`), their policies and tags, and their images
 * (`ecr_images`, `ecr_image_tags`). Repositories are regional: every query names (account, region).
 * ECR writes are data-plane writes of effect `none` (single statements or plain `d1.batch`es, one
 * transaction), but the repository policy's: `permissions` writes through the write batch, which
 * moves the owner account's generation (eventual consistency: `policyGeneration`, as S3's bucket
 * policies). The repository policy is read with the repository on every call.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db } from "./db";
import { accounts, ecrImages, ecrImageTags, ecrRepositories } from "./schema";
import { writeBatch, type Write } from "./write";

export type RepositoryTag = {
  Key: string;
  Value: string;
};

export interface RepositoryRow {
  accountId: string;
  region: string;
  name: string;
  createdAt: number;
  imageTagMutability: string;
  scanOnPush: boolean;
  encryptionType: string;
  kmsKey?: string;
  policy?: string;
  /**
   * Eventual consistency: the owner account's generation of the last policy change made while it
   * lagged; until its data plane sees it, the previous policy applies (absent: in force).
   */
  policyGeneration?: number;
  tags: RepositoryTag[];
}

type RawRepository = typeof ecrRepositories.$inferSelect;

function tagsOf(json: string): RepositoryTag[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as RepositoryTag[]).filter((t) => typeof t?.Key === "string" && typeof t.Value === "string") : [];
  } catch {
    return [];
  }
}

function repositoryOf(r: RawRepository): RepositoryRow {
  const row: RepositoryRow = {
    accountId: r.accountId,
    region: r.region,
    name: r.name,
    createdAt: r.createdAt,
    imageTagMutability: r.imageTagMutability,
    scanOnPush: r.scanOnPush === 1,
    encryptionType: r.encryptionType,
    tags: tagsOf(r.tags),
  };
  if (r.kmsKey !== null) row.kmsKey = r.kmsKey;
  if (r.policy !== null) row.policy = r.policy;
  if (typeof r.policyGeneration === "number") row.policyGeneration = r.policyGeneration;
  return row;
}

/**
 * A repository policy as the engine reads it. ECR's policies have no Resource element (ECR refuses
 * one): each statement is about the repository it is attached to, so the engine gets each
 * statement with `Resource` set to the repository's ARN. The stored text is left as written.
 */
export function enginePolicy(policy: string, arn: string): string {
  const doc = JSON.parse(policy) as { Statement: unknown };
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  doc.Statement = list.map((s: Record<string, unknown>) => ("Resource" in s || "NotResource" in s ? s : { ...s, Resource: arn }));
  return JSON.stringify(doc);
}

const REPO = selectList(ecrRepositories);
const R = ecrRepositories;
const I = ecrImages;
const T = ecrImageTags;
const inRepo = (t: typeof I | typeof T, r: Pick<RepositoryRow, "accountId" | "region" | "name">) =>
  sql`${t.accountId} = ${r.accountId} AND ${t.region} = ${r.region} AND ${t.repository} = ${r.name}`;

export async function getRepository(db: Db, accountId: string, region: string, name: string): Promise<RepositoryRow | undefined> {
  const r = await first<RawRepository>(
    db,
    sql`SELECT ${REPO} FROM ${R} WHERE ${R.accountId} = ${accountId} AND ${R.region} = ${region} AND ${R.name} = ${name}`,
  );
  return r ? repositoryOf(r) : undefined;
}

/** Creates the repository unless the name is taken in that registry and region. */
export async function createRepository(db: Db, r: RepositoryRow): Promise<"created" | "exists"> {
  const rows = await all<{ name: string }>(
    db,
    sql`INSERT INTO ${R} (${bare(R.accountId)}, ${bare(R.region)}, ${bare(R.name)}, ${bare(R.createdAt)}, ${bare(R.imageTagMutability)},
        ${bare(R.scanOnPush)}, ${bare(R.encryptionType)}, ${bare(R.kmsKey)}, ${bare(R.tags)})
      VALUES (${r.accountId}, ${r.region}, ${r.name}, ${r.createdAt}, ${r.imageTagMutability}, ${r.scanOnPush ? 1 : 0},
        ${r.encryptionType}, ${r.kmsKey ?? null}, ${JSON.stringify(r.tags)})
      ON CONFLICT DO NOTHING RETURNING ${bare(R.name)}`,
  );
  return rows.length ? "created" : "exists";
}

/** A registry's repositories in a region by name, after `after` (exclusive). */
export async function listRepositories(db: Db, accountId: string, region: string, after: string, limit: number): Promise<RepositoryRow[]> {
  const rs = await all<RawRepository>(
    db,
    sql`SELECT ${REPO} FROM ${R} WHERE ${R.accountId} = ${accountId} AND ${R.region} = ${region} AND ${R.name} > ${after}
      ORDER BY ${R.name} LIMIT ${limit}`,
  );
  return rs.map(repositoryOf);
}

/**
 * Deletes a repository; with `force` its images and tags go with it, in one transaction. Without,
 * a repository that still holds an image stays.
 */
export async function deleteRepository(db: Db, r: RepositoryRow, force: boolean): Promise<"deleted" | "notEmpty" | "missing"> {
  const where = sql`${R.accountId} = ${r.accountId} AND ${R.region} = ${r.region} AND ${R.name} = ${r.name}`;
  const stmts = [
    statement(
      db,
      force
        ? sql`DELETE FROM ${R} WHERE ${where} RETURNING ${bare(R.name)}`
        : sql`DELETE FROM ${R} WHERE ${where} AND NOT EXISTS (SELECT 1 FROM ${I} WHERE ${inRepo(I, r)}) RETURNING ${bare(R.name)}`,
    ),
    statement(db, sql`SELECT count(*) AS n FROM (SELECT 1 FROM ${I} WHERE ${inRepo(I, r)} LIMIT 1)`),
  ];
  if (force)
    stmts.push(statement(db, sql`DELETE FROM ${I} WHERE ${inRepo(I, r)}`), statement(db, sql`DELETE FROM ${T} WHERE ${inRepo(T, r)}`));
  const [del, imgs] = await db.$client.batch<{ name?: string; n?: number }>(stmts);
  if (del?.results.length) return "deleted";
  return Number(imgs?.results[0]?.n ?? 0) > 0 ? "notEmpty" : "missing";
}

/**
 * Sets (or, with null, removes) the repository policy through the write batch of a `permissions`
 * action (the account's generation moves with it). `lagging`: the owner account's eventual
 * consistency is on, so the row records the generation this change creates for the data plane to
 * wait for; otherwise it is in force at once. False when the repository is gone.
 */
export async function setRepositoryPolicy(w: Write, r: RepositoryRow, policy: string | null, lagging: boolean): Promise<boolean> {
  const a = accounts;
  const generation = lagging ? sql`(SELECT ${a.generation} + 1 FROM ${a} WHERE ${a.id} = ${r.accountId})` : sql`NULL`;
  const [res] = await writeBatch<{ name: string }>(w, [
    statement(
      w.db,
      sql`UPDATE ${R} SET ${bare(R.policy)} = ${policy}, ${bare(R.policyGeneration)} = ${generation}
        WHERE ${R.accountId} = ${r.accountId} AND ${R.region} = ${r.region} AND ${R.name} = ${r.name} RETURNING ${bare(R.name)}`,
    ),
  ]);
  return (res?.results.length ?? 0) > 0;
}

/**
 * The policies of an account's repositories by repository ARN, as the engine reads them
 * (eventual consistency's snapshots keep them).
 */
export async function repositoryPoliciesOf(db: Db, accountId: string): Promise<Map<string, string>> {
  const rs = await all<{ region: string; name: string; policy: string }>(
    db,
    sql`SELECT ${R.region} AS ${sql.identifier("region")}, ${R.name} AS ${sql.identifier("name")}, ${R.policy} AS ${sql.identifier("policy")}
      FROM ${R} WHERE ${R.accountId} = ${accountId} AND ${R.policy} IS NOT NULL`,
  );
  return new Map(
    rs.map((r) => {
      const arn = `arn:aws:ecr:${r.region}:${accountId}:repository/${r.name}`;
      return [arn, enginePolicy(r.policy, arn)];
    }),
  );
}

/** Replaces the repository's tag list; false when the repository is gone. */
export async function setRepositoryTags(db: Db, r: RepositoryRow, tags: RepositoryTag[]): Promise<boolean> {
  const rows = await all<{ name: string }>(
    db,
    sql`UPDATE ${R} SET ${bare(R.tags)} = ${JSON.stringify(tags)}
      WHERE ${R.accountId} = ${r.accountId} AND ${R.region} = ${r.region} AND ${R.name} = ${r.name} RETURNING ${bare(R.name)}`,
  );
  return rows.length > 0;
}

// ——— images ———

export interface ImageRow {
  digest: string;
  manifest: string;
  mediaType: string;
  artifactMediaType?: string;
  size: number;
  layers: string;
  pushedAt: number;
  /** the tags naming this image, sorted */
  tags: string[];
}

type RawImage = Omit<typeof ecrImages.$inferSelect, "accountId" | "region" | "repository"> & { tags: string | null };

/** A repository's images, each with its tags, ordered by push time then digest. */
export async function listImages(db: Db, r: RepositoryRow, withManifests = true): Promise<ImageRow[]> {
  const manifest = withManifests ? I.manifest : sql`''`;
  const rs = await all<RawImage>(
    db,
    sql`SELECT ${I.digest} AS digest, ${manifest} AS manifest, ${I.mediaType} AS mediaType, ${I.artifactMediaType} AS artifactMediaType,
        ${I.size} AS size, ${I.layers} AS layers, ${I.pushedAt} AS pushedAt,
        (SELECT json_group_array(t) FROM (SELECT ${T.tag} AS t FROM ${T} WHERE ${inRepo(T, r)} AND ${T.digest} = ${I.digest} ORDER BY ${T.tag})) AS tags
      FROM ${I} WHERE ${inRepo(I, r)} ORDER BY ${I.pushedAt}, ${I.digest}`,
  );
  return rs.map((x) => {
    const img: ImageRow = {
      digest: x.digest,
      manifest: x.manifest,
      mediaType: x.mediaType,
      size: x.size,
      layers: x.layers,
      pushedAt: x.pushedAt,
      tags: x.tags ? (JSON.parse(x.tags) as string[]) : [],
    };
    if (x.artifactMediaType !== null) img.artifactMediaType = x.artifactMediaType;
    return img;
  });
}

/** The digest a tag names, or undefined. */
export async function digestOfTag(db: Db, r: RepositoryRow, tag: string): Promise<string | undefined> {
  const row = await first<{ digest: string }>(db, sql`SELECT ${T.digest} AS digest FROM ${T} WHERE ${inRepo(T, r)} AND ${T.tag} = ${tag}`);
  return row?.digest;
}

export interface NewImage {
  digest: string;
  manifest: string;
  mediaType: string;
  artifactMediaType?: string;
  size: number;
  layers: string;
  pushedAt: number;
  tag?: string;
}

/**
 * Stores an image (kept as it was when its digest is there already) and points `tag` at it, moving
 * the tag from another image when it named one — one transaction. The caller has checked the
 * repository's tag mutability and that the pair is new.
 */
export async function putImage(db: Db, r: RepositoryRow, img: NewImage): Promise<void> {
  const stmts = [
    statement(
      db,
      sql`INSERT INTO ${I} (${bare(I.accountId)}, ${bare(I.region)}, ${bare(I.repository)}, ${bare(I.digest)}, ${bare(I.manifest)},
          ${bare(I.mediaType)}, ${bare(I.artifactMediaType)}, ${bare(I.size)}, ${bare(I.layers)}, ${bare(I.pushedAt)})
        VALUES (${r.accountId}, ${r.region}, ${r.name}, ${img.digest}, ${img.manifest}, ${img.mediaType}, ${img.artifactMediaType ?? null},
          ${img.size}, ${img.layers}, ${img.pushedAt})
        ON CONFLICT DO NOTHING`,
    ),
  ];
  if (img.tag !== undefined)
    stmts.push(
      statement(
        db,
        sql`INSERT INTO ${T} (${bare(T.accountId)}, ${bare(T.region)}, ${bare(T.repository)}, ${bare(T.tag)}, ${bare(T.digest)})
          VALUES (${r.accountId}, ${r.region}, ${r.name}, ${img.tag}, ${img.digest})
          ON CONFLICT DO UPDATE SET ${bare(T.digest)} = excluded.${bare(T.digest)}`,
      ),
    );
  await db.$client.batch(stmts);
}

/** Removes tags, and images by digest with all their tags, then images no tag names any more that lost one — one transaction. */
export async function deleteImages(db: Db, r: RepositoryRow, tags: readonly string[], digests: readonly string[]): Promise<void> {
  const list = (xs: readonly string[]) =>
    sql.join(
      xs.map((x) => sql`${x}`),
      sql`, `,
    );
  const stmts = [];
  if (tags.length) {
    // Images that lose their last tag go too (ECR: "When you remove the last tag from an image, the image is deleted").
    stmts.push(
      statement(
        db,
        sql`DELETE FROM ${I} WHERE ${inRepo(I, r)} AND ${I.digest} IN (SELECT ${T.digest} FROM ${T} WHERE ${inRepo(T, r)} AND ${T.tag} IN (${list(tags)}))
          AND NOT EXISTS (SELECT 1 FROM ${T} WHERE ${inRepo(T, r)} AND ${T.digest} = ${I.digest} AND ${T.tag} NOT IN (${list(tags)}))`,
      ),
      statement(db, sql`DELETE FROM ${T} WHERE ${inRepo(T, r)} AND ${T.tag} IN (${list(tags)})`),
    );
  }
  if (digests.length)
    stmts.push(
      statement(db, sql`DELETE FROM ${I} WHERE ${inRepo(I, r)} AND ${I.digest} IN (${list(digests)})`),
      statement(db, sql`DELETE FROM ${T} WHERE ${inRepo(T, r)} AND ${T.digest} IN (${list(digests)})`),
    );
  if (stmts.length) await db.$client.batch(stmts);
}

/** Whether the repository holds an image of this digest. */
export async function hasImage(db: Db, r: RepositoryRow, digest: string): Promise<boolean> {
  const row = await first<{ one: number }>(db, sql`SELECT 1 AS one FROM ${I} WHERE ${inRepo(I, r)} AND ${I.digest} = ${digest}`);
  return row !== undefined;
}
