/**
 * Tag…, Untag… and List…Tags of every tagged IAM entity (user, role, instance profile, customer
 * managed policy, virtual MFA device): the actions stay written out in their families, each calling
 * these three steps with the entity it loaded. The store (`store/tags.ts`) knows the kinds.
 */
import type { ActionContext } from "../action";
import { common, s } from "../../protocol/shapes";
import { errors, type AwsError } from "../../protocol/errors";
import { putTags, readTags, removeTags, type PositionedTag, type TagRow, type TaggedKind } from "../../store/tags";
import { DEFAULT_MAX_ITEMS, decodeMarker, page, validateTags } from "./common";

/** The entity an action tags: its kind, account and id (tags.resource_id). */
export interface TaggedEntity {
  kind: TaggedKind;
  accountId: string;
  id: string;
}

export const tagLimitExceeded = () => errors.limitExceeded("The number of tags has reached the maximum limit.");

/** Input of Tag…: the tags (required). */
export const tagsInput = () => ({ Tags: { ...common.tags(), required: true as const } });
/** Input of Untag…: the keys (required, at most 50). */
export const tagKeysInput = () => ({
  TagKeys: s.list(
    s.string({ min: 1, max: 128, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+" }),
    { required: true, max: 50 },
  ),
});

/**
 * Tag…: the tags are checked first (AWS's rules, before the entity is looked at), then written;
 * `e` undefined (not loaded) or gone meanwhile is `notFound()`, more than 50 tags LimitExceeded.
 */
export async function tagEntity(
  ctx: ActionContext,
  e: TaggedEntity | undefined,
  tags: TagRow[],
  notFound: () => AwsError,
): Promise<undefined> {
  validateTags(tags);
  if (!e) throw notFound();
  const outcome = await putTags(ctx.db, e.accountId, e.kind, e.id, tags);
  if (outcome === "notFound") throw notFound();
  if (outcome === "limit") throw tagLimitExceeded();
  return undefined;
}

/** Untag…: removes the keys (unknown keys are ignored). */
export async function untagEntity(
  ctx: ActionContext,
  e: TaggedEntity | undefined,
  keys: string[],
  notFound: () => AwsError,
): Promise<undefined> {
  if (!e || !(await removeTags(ctx.db, e.accountId, e.kind, e.id, keys))) throw notFound();
  return undefined;
}

/** List…Tags: a page of the entity's tags in their order; the marker is the position of the last tag returned. */
export async function listEntityTags(
  ctx: ActionContext,
  e: TaggedEntity | undefined,
  i: { Marker?: string; MaxItems?: number },
  notFound: () => AwsError,
) {
  const after = positionAfter(i.Marker);
  if (!e) throw notFound();
  const tags = await readTags(ctx.db, e.accountId, e.kind, e.id);
  if (!tags) throw notFound();
  return tagPage(tags, after, i.MaxItems);
}

function positionAfter(marker: string | undefined): number {
  const key = decodeMarker(marker);
  if (key === undefined) return -1;
  const n = Number(key);
  if (!Number.isInteger(n) || n < 0) throw errors.validation("Invalid Marker.");
  return n;
}

/** A page of tags after a position (tag lists are small: ≤ 50, paged in memory). */
export function tagPage(tags: PositionedTag[], after: number, maxItems: number | undefined) {
  const pg = page(
    tags.filter((t) => t.position > after),
    maxItems ?? DEFAULT_MAX_ITEMS,
    (t) => String(t.position),
  );
  return { Tags: pg.items.map((t) => ({ Key: t.Key, Value: t.Value })), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
}
