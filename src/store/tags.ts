/**
 * Tags of IAM entities — users, roles, instance profiles, customer managed policies and virtual
 * MFA devices — in the one `tags` table (resource_type = the entity kind below, resource_id = the
 * entity's id). One implementation for every kind, driven by TAGGED:
 * - where the entity lives (its table and id column), for the existence checks;
 * - whether its tags are aws:PrincipalTag values: then a change of them changes who can do what,
 *   and the account generation is bumped in the same D1 batch.
 * The 50-tag limit is enforced in one way: a condition of every INSERT of TagX (the tags that stay
 * plus the keys written must fit). That count does not change while the batch writes the keys, so
 * either the whole request lands or none of it does, whatever runs concurrently.
 */
import type { Db } from "./db";

/** A tag as IAM returns it. */
// A type alias, not an interface: results must stay assignable to XmlValue's index signature.
export type TagRow = { Key: string; Value: string };

/** A stored tag with its position (tags keep the order they were first added in; List*Tags pages by it). */
export type PositionedTag = TagRow & { position: number };

/** AWS: at most 50 tags per IAM resource. */
export const TAGS_PER_RESOURCE = 50;

export type TaggedKind = "user" | "role" | "instance-profile" | "policy" | "mfa";

interface TaggedKindSpec {
  /** The table that holds the entity, and its id column (the value stored as tags.resource_id). */
  table: string;
  idColumn: string;
  /** Its tags are aws:PrincipalTag values (who can do what): a change bumps the account generation. */
  principalTags: boolean;
}

/** Every tagged entity kind. tags.resource_type is the kind's name. */
export const TAGGED: Record<TaggedKind, TaggedKindSpec> = {
  user: { table: "users", idColumn: "user_id", principalTags: true },
  role: { table: "roles", idColumn: "role_id", principalTags: true },
  "instance-profile": { table: "instance_profiles", idColumn: "instance_profile_id", principalTags: false },
  policy: { table: "policies", idColumn: "policy_id", principalTags: false },
  mfa: { table: "mfa_devices", idColumn: "serial_number", principalTags: false },
};

// In every statement below: ?1 account id, ?2 entity id, ?3 kind (tags.resource_type).
const entityExists = (kind: TaggedKind) =>
  `EXISTS (SELECT 1 FROM ${TAGGED[kind].table} WHERE account_id = ?1 AND ${TAGGED[kind].idColumn} = ?2)`;
const bumpIfChanged = "UPDATE accounts SET generation = generation + 1 WHERE id = ?1 AND changes() > 0";
/** True when the tags that stay (keys not in the JSON array ?4) plus the keys written fit the limit. */
const fits = `(SELECT COUNT(*) FROM tags WHERE resource_type = ?3 AND resource_id = ?2 AND key_lower NOT IN (SELECT value FROM json_each(?4)))
  + json_array_length(?4) <= ${TAGS_PER_RESOURCE}`;
const ORDER = "ORDER BY position, key_lower";

const lowerKeys = (keys: string[]) => JSON.stringify(keys.map((k) => k.toLowerCase()));

/** The tags of an entity known to exist (a Get… answer), in their order. */
export async function listTags(db: Db, accountId: string, kind: TaggedKind, id: string): Promise<TagRow[]> {
  const { results } = await db.$client
    .prepare(`SELECT key AS Key, value AS Value FROM tags WHERE account_id = ?1 AND resource_id = ?2 AND resource_type = ?3 ${ORDER}`)
    .bind(accountId, id, kind)
    .all<TagRow>();
  return results;
}

/** The tags of an entity with their positions (List…Tags), in one round trip; undefined when the entity does not exist. */
export async function readTags(db: Db, accountId: string, kind: TaggedKind, id: string): Promise<PositionedTag[] | undefined> {
  const d1 = db.$client;
  const [found, tags] = await d1.batch([
    d1.prepare(`SELECT ${entityExists(kind)} AS found`).bind(accountId, id),
    d1
      .prepare(
        `SELECT key AS Key, value AS Value, position FROM tags WHERE account_id = ?1 AND resource_id = ?2 AND resource_type = ?3 ${ORDER}`,
      )
      .bind(accountId, id, kind),
  ]);
  if (!(found?.results[0] as { found: number } | undefined)?.found) return undefined;
  return (tags?.results ?? []) as PositionedTag[];
}

export type PutTagsOutcome = "ok" | "notFound" | "limit";

/**
 * Tag…: adds or overwrites tags (keys are case-insensitive; an overwritten tag keeps its
 * position and takes the new spelling of its key). "notFound" when the entity does not exist,
 * "limit" when the tags would pass TAGS_PER_RESOURCE — then nothing is written.
 */
export async function putTags(db: Db, accountId: string, kind: TaggedKind, id: string, tags: TagRow[]): Promise<PutTagsOutcome> {
  const d1 = db.$client;
  const keys = lowerKeys(tags.map((t) => t.Key));
  const stmts: D1PreparedStatement[] = [
    d1.prepare(`SELECT ${entityExists(kind)} AS found, ${fits} AS fits`).bind(accountId, id, kind, keys),
    ...tags.map((t) =>
      d1
        .prepare(`INSERT INTO tags (account_id, resource_type, resource_id, key, key_lower, value, position)
          SELECT ?1, ?3, ?2, ?5, ?6, ?7, (SELECT COALESCE(MAX(position), -1) + 1 FROM tags WHERE resource_type = ?3 AND resource_id = ?2)
          WHERE ${entityExists(kind)} AND ${fits}
          ON CONFLICT (resource_type, resource_id, key_lower) DO UPDATE SET key = excluded.key, value = excluded.value`)
        .bind(accountId, id, kind, keys, t.Key, t.Key.toLowerCase(), t.Value),
    ),
  ];
  // The last insert changed a row only when all of them did (their condition is the same).
  if (TAGGED[kind].principalTags && tags.length > 0) stmts.push(d1.prepare(bumpIfChanged).bind(accountId));
  const [check] = await d1.batch(stmts);
  const r = check?.results[0] as { found: number; fits: number } | undefined;
  if (!r?.found) return "notFound";
  return r.fits ? "ok" : "limit";
}

/** Untag…: removes tags by key (case-insensitive; unknown keys are ignored). False when the entity does not exist. */
export async function removeTags(db: Db, accountId: string, kind: TaggedKind, id: string, keys: string[]): Promise<boolean> {
  const d1 = db.$client;
  const stmts: D1PreparedStatement[] = [d1.prepare(`SELECT ${entityExists(kind)} AS found`).bind(accountId, id)];
  if (keys.length > 0) {
    stmts.push(
      d1
        .prepare(`DELETE FROM tags WHERE account_id = ?1 AND resource_id = ?2 AND resource_type = ?3
        AND key_lower IN (SELECT value FROM json_each(?4))`)
        .bind(accountId, id, kind, lowerKeys(keys)),
    );
    if (TAGGED[kind].principalTags) stmts.push(d1.prepare(bumpIfChanged).bind(accountId));
  }
  const [check] = await d1.batch(stmts);
  return !!(check?.results[0] as { found: number } | undefined)?.found;
}

/**
 * The statements that store the tags given on create (CreateUser, CreateRole, …), for the
 * create's own batch, after the entity's INSERT: each lands only if the entity row does.
 */
export function insertTagsStmts(db: Db, accountId: string, kind: TaggedKind, id: string, tags: TagRow[]): D1PreparedStatement[] {
  const d1 = db.$client;
  return tags.map((t, i) =>
    d1
      .prepare(`INSERT INTO tags (account_id, resource_type, resource_id, key, key_lower, value, position)
        SELECT ?1, ?3, ?2, ?4, ?5, ?6, ?7 WHERE ${entityExists(kind)}`)
      .bind(accountId, id, kind, t.Key, t.Key.toLowerCase(), t.Value, i),
  );
}

/** For a delete's batch, after the entity's DELETE: its tags go only if the entity row is gone. */
export function deleteTagsStmt(db: Db, accountId: string, kind: TaggedKind, id: string): D1PreparedStatement {
  return db.$client
    .prepare(`DELETE FROM tags WHERE account_id = ?1 AND resource_id = ?2 AND resource_type = ?3 AND NOT ${entityExists(kind)}`)
    .bind(accountId, id, kind);
}
