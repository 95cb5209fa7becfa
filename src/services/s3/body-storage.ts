/**
 * Where an object's body lives — the one place that decides. A body of at most INLINE_MAX_BYTES is
 * stored in its D1 row (s3_objects.body, r2_key ''), read by the same query as its metadata, so a
 * warm GET or HEAD of a small object is one D1 round trip and no R2 call; a larger body goes to R2
 * under a fresh key per write. Multipart objects are always in R2 (src/services/s3/multipart.ts).
 *
 * Why 4 KiB: it covers the small objects that dominate request counts (configs, JSON documents,
 * markers, the benchmark's 1 KB) while a row stays about one 4 KiB SQLite page, so listings and
 * other scans that read only metadata do not wade through overflow pages, and D1's result
 * transfer (a BLOB may cross as an array of numbers) stays small. D1's 2 MB row limit is far off.
 */
import type { ActionContext } from "../action";
import type { BucketRow } from "../../store/s3-buckets";
import type { ObjectRow } from "../../store/s3-objects";
import { deleteBodiesLater, newBodyKey } from "./common";

export const INLINE_MAX_BYTES = 4096;

/** The row fields that name a stored body. */
export type StoredBody = { r2Key: string } | { r2Key: ""; inline: Uint8Array };

/** A byte range, both ends included. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Stores a body of `size` bytes (a stream is read into memory only when it is small). */
export async function storeBody(
  ctx: ActionContext,
  bucket: BucketRow,
  body: Uint8Array | ReadableStream,
  size: number,
): Promise<StoredBody> {
  if (size <= INLINE_MAX_BYTES) {
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
    return { r2Key: "", inline: bytes };
  }
  const r2Key = newBodyKey(bucket);
  await ctx.env.OBJECTS.put(r2Key, body);
  return { r2Key };
}

/**
 * An object's body, or `range` of it: the bytes of an inline body, a stream of an R2 one;
 * undefined when its R2 body went away under us (the object was deleted or replaced meanwhile).
 */
export async function readBody(ctx: ActionContext, o: ObjectRow, range?: ByteRange): Promise<Uint8Array | ReadableStream | undefined> {
  if (o.inline) return range ? o.inline.subarray(range.start, range.end + 1) : o.inline;
  const got = await ctx.env.OBJECTS.get(o.r2Key, range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {});
  return got?.body;
}

/** Drops bodies no row names any more, behind the response; an inline body went with its row. */
export function discardBodies(ctx: ActionContext, bodies: readonly (StoredBody | string | undefined)[]): void {
  const keys = bodies.map((b) => (typeof b === "string" ? b : b?.r2Key)).filter((k): k is string => !!k);
  deleteBodiesLater(ctx, keys);
}
