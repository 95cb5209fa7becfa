/**
 * Tags of IAM entities — users, roles, instance profiles, customer managed policies, virtual
 * MFA devices and server certificates — in the one `tags` table (resource_type = the entity kind below, resource_id = the
 * entity's id), in the store's one dialect (src/store/db.ts). One implementation for every kind,
 * driven by TAGGED: where the entity lives (its table and id column), for the existence checks.
 * Whether a change bumps the account generation is the action's effect (src/store/write.ts): tags
 * of users and roles are aws:PrincipalTag values, so TagUser/TagRole are `permissions` actions.
 * The 50-tag limit is enforced in one way: a condition of every INSERT of TagX (the tags that stay
 * plus the keys written must fit). That count does not change while the batch writes the keys, so
 * either the whole request lands or none of it does, whatever runs concurrently.
 */
import { sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { all, bare, statement, type Db } from "./db";
import { instanceProfiles, mfaDevices, oidcProviders, policies, roles, samlProviders, serverCertificates, tags, users } from "./schema";
import { writeBatch, type Write } from "./write";

/** A tag as IAM returns it. */
// A type alias, not an interface: results must stay assignable to XmlValue's index signature.
export type TagRow = { Key: string; Value: string };

/** A stored tag with its position (tags keep the order they were first added in; List*Tags pages by it). */
export type PositionedTag = TagRow & { position: number };

/** AWS: at most 50 tags per IAM resource. */
export const TAGS_PER_RESOURCE = 50;

export type TaggedKind =
  | "user"
  | "role"
  | "instance-profile"
  | "policy"
  | "mfa"
  | "server-certificate"
  // federation (issue 19): identity providers, by ARN
  | "oidc-provider"
  | "saml-provider";

interface TaggedKindSpec {
  /** The table that holds the entity, its account column and its id column (the value stored as tags.resource_id). */
  table: SQLiteTable;
  account: AnySQLiteColumn;
  id: AnySQLiteColumn;
}

/** Every tagged entity kind. tags.resource_type is the kind's name. */
export const TAGGED: Record<TaggedKind, TaggedKindSpec> = {
  user: { table: users, account: users.accountId, id: users.userId },
  role: { table: roles, account: roles.accountId, id: roles.roleId },
  "instance-profile": { table: instanceProfiles, account: instanceProfiles.accountId, id: instanceProfiles.instanceProfileId },
  policy: { table: policies, account: policies.accountId, id: policies.policyId },
  mfa: { table: mfaDevices, account: mfaDevices.accountId, id: mfaDevices.serialNumber },
  "server-certificate": { table: serverCertificates, account: serverCertificates.accountId, id: serverCertificates.serverCertificateId },
  // federation (issue 19)
  "oidc-provider": { table: oidcProviders, account: oidcProviders.accountId, id: oidcProviders.arn },
  "saml-provider": { table: samlProviders, account: samlProviders.accountId, id: samlProviders.arn },
};

const entityExists = (accountId: string, kind: TaggedKind, id: string): SQL => {
  const e = TAGGED[kind];
  return sql`EXISTS (SELECT 1 FROM ${e.table} WHERE ${e.account} = ${accountId} AND ${e.id} = ${id})`;
};

/** True when the tags that stay (keys not in the JSON array `keys`) plus the keys written fit the limit. */
const fits = (kind: TaggedKind, id: string, keys: string): SQL =>
  sql`(SELECT COUNT(*) FROM ${tags} WHERE ${tags.resourceType} = ${kind} AND ${tags.resourceId} = ${id}
    AND ${tags.keyLower} NOT IN (SELECT value FROM json_each(${keys}))) + json_array_length(${keys}) <= ${TAGS_PER_RESOURCE}`;

/** The tags of one entity, in their order. */
const ofEntity = (accountId: string, kind: TaggedKind, id: string): SQL =>
  sql`FROM ${tags} WHERE ${tags.accountId} = ${accountId} AND ${tags.resourceId} = ${id} AND ${tags.resourceType} = ${kind}
    ORDER BY ${tags.position}, ${tags.keyLower}`;

const lowerKeys = (keys: string[]) => JSON.stringify(keys.map((k) => k.toLowerCase()));

/** The tags of an entity known to exist (a Get… answer), in their order. */
export async function listTags(db: Db, accountId: string, kind: TaggedKind, id: string): Promise<TagRow[]> {
  return all<TagRow>(db, sql`SELECT ${tags.key} AS "Key", ${tags.value} AS "Value" ${ofEntity(accountId, kind, id)}`);
}

/** The tags of an entity with their positions (List…Tags), in one round trip; undefined when the entity does not exist. */
export async function readTags(db: Db, accountId: string, kind: TaggedKind, id: string): Promise<PositionedTag[] | undefined> {
  const [found, list] = await db.$client.batch([
    statement(db, sql`SELECT ${entityExists(accountId, kind, id)} AS found`),
    statement(
      db,
      sql`SELECT ${tags.key} AS "Key", ${tags.value} AS "Value", ${tags.position} AS position ${ofEntity(accountId, kind, id)}`,
    ),
  ]);
  if (!(found?.results[0] as { found: number } | undefined)?.found) return undefined;
  return (list?.results ?? []) as PositionedTag[];
}

export type PutTagsOutcome = "ok" | "notFound" | "limit";

/**
 * Tag…: adds or overwrites tags (keys are case-insensitive; an overwritten tag keeps its
 * position and takes the new spelling of its key). "notFound" when the entity does not exist,
 * "limit" when the tags would pass TAGS_PER_RESOURCE — then nothing is written.
 */
export async function putTags(w: Write, kind: TaggedKind, id: string, tagList: TagRow[]): Promise<PutTagsOutcome> {
  const { db, account: accountId } = w;
  const keys = lowerKeys(tagList.map((t) => t.Key));
  const t = tags;
  const [check] = await writeBatch(w, [
    statement(db, sql`SELECT ${entityExists(accountId, kind, id)} AS found, ${fits(kind, id, keys)} AS fits`),
    ...tagList.map((tag) =>
      statement(
        db,
        sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.resourceType)}, ${bare(t.resourceId)}, ${bare(t.key)}, ${bare(t.keyLower)}, ${bare(t.value)}, ${bare(t.position)})
          SELECT ${accountId}, ${kind}, ${id}, ${tag.Key}, ${tag.Key.toLowerCase()}, ${tag.Value},
            (SELECT COALESCE(MAX(${t.position}), -1) + 1 FROM ${t} WHERE ${t.resourceType} = ${kind} AND ${t.resourceId} = ${id})
          WHERE ${entityExists(accountId, kind, id)} AND ${fits(kind, id, keys)}
          ON CONFLICT (${bare(t.resourceType)}, ${bare(t.resourceId)}, ${bare(t.keyLower)})
          DO UPDATE SET ${bare(t.key)} = excluded.${bare(t.key)}, ${bare(t.value)} = excluded.${bare(t.value)}`,
      ),
    ),
  ]);
  const r = check?.results[0] as { found: number; fits: number } | undefined;
  if (!r?.found) return "notFound";
  return r.fits ? "ok" : "limit";
}

/** Untag…: removes tags by key (case-insensitive; unknown keys are ignored). False when the entity does not exist. */
export async function removeTags(w: Write, kind: TaggedKind, id: string, keys: string[]): Promise<boolean> {
  const { db, account: accountId } = w;
  const stmts = [statement(db, sql`SELECT ${entityExists(accountId, kind, id)} AS found`)];
  if (keys.length > 0) {
    stmts.push(
      statement(
        db,
        sql`DELETE FROM ${tags} WHERE ${tags.accountId} = ${accountId} AND ${tags.resourceId} = ${id} AND ${tags.resourceType} = ${kind}
          AND ${tags.keyLower} IN (SELECT value FROM json_each(${lowerKeys(keys)}))`,
      ),
    );
  }
  const [check] = await writeBatch(w, stmts);
  return !!(check?.results[0] as { found: number } | undefined)?.found;
}

/**
 * The statements that store the tags given on create (CreateUser, CreateRole, …), for the
 * create's own batch, after the entity's INSERT: each lands only if the entity row does.
 */
export function insertTagsStmts(db: Db, accountId: string, kind: TaggedKind, id: string, tagList: TagRow[]): D1PreparedStatement[] {
  const t = tags;
  return tagList.map((tag, i) =>
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.resourceType)}, ${bare(t.resourceId)}, ${bare(t.key)}, ${bare(t.keyLower)}, ${bare(t.value)}, ${bare(t.position)})
        SELECT ${accountId}, ${kind}, ${id}, ${tag.Key}, ${tag.Key.toLowerCase()}, ${tag.Value}, ${i} WHERE ${entityExists(accountId, kind, id)}`,
    ),
  );
}

/** For a delete's batch, after the entity's DELETE: its tags go only if the entity row is gone. */
export function deleteTagsStmt(db: Db, accountId: string, kind: TaggedKind, id: string): D1PreparedStatement {
  return statement(
    db,
    sql`DELETE FROM ${tags} WHERE ${tags.accountId} = ${accountId} AND ${tags.resourceId} = ${id} AND ${tags.resourceType} = ${kind}
      AND NOT ${entityExists(accountId, kind, id)}`,
  );
}

/** Labs (src/labs/): every tag of a resource that stays, before its new tag set is inserted in the same batch. */
export function clearTagsStmt(db: Db, accountId: string, kind: TaggedKind, id: string): D1PreparedStatement {
  return statement(
    db,
    sql`DELETE FROM ${tags} WHERE ${tags.accountId} = ${accountId} AND ${tags.resourceId} = ${id} AND ${tags.resourceType} = ${kind}`,
  );
}
