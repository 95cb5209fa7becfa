/**
 * The isolate's cache of data-plane resource rows — SQS queues, KMS keys and aliases — so that a
 * warm SendMessage, ReceiveMessage or Encrypt reads no D1 at all (one Durable Object call for SQS,
 * none for KMS). Entries live in src/cache/index.ts under the resource owner's `data` scope:
 * - this isolate's own writes drop them at once (the stores call `afterDataWrite` after each write),
 *   as do IAM writes and admin changes of the account (a new queue policy, a reset account);
 * - a write made by another isolate is seen within the TTL (IAMLAB_AUTH_CACHE_MS: 1 s by default),
 *   refreshed ahead past half of it — AWS's own SQS and KMS metadata are eventually consistent too
 *   (SQS: attribute changes "can take up to 60 seconds"; KMS: "eventual consistency model").
 * Misses are not cached (a new queue or key works at once). Cached rows are shared between
 * requests: callers treat them as immutable.
 */
import { authCacheTtl, cachedLookup, scopes } from "../cache/index";
import type { ActionContext } from "./action";

/** `load`'s row through the cache under `key`, scoped to the account `ownerOf` names. */
export function cachedRow<T>(
  ctx: ActionContext,
  key: string,
  ownerOf: (row: T) => string,
  load: () => Promise<T | undefined>,
): Promise<T | undefined> {
  return cachedLookup(
    key,
    authCacheTtl(ctx.env),
    (row) => scopes.data(ownerOf(row)),
    load,
    (p) => ctx.waitUntil(p),
  );
}
