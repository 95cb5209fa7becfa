/**
 * The isolate's read cache of IAM answers (src/auth/cache.ts holds the entries): actions of effect
 * `read` (src/services/action.ts). Results depend only on the account's state, which every write in
 * this isolate invalidates.
 */
import type { Caller } from "../auth/caller";
import type { AuthzTarget } from "./action";

export interface CachedRead<R> {
  target: AuthzTarget | undefined;
  /** the encoded result (Query: the `<XResult>` element) */
  result: R;
}

/**
 * The caller (some reads are relative to it) and the decoded input: only the action's own
 * members, in the shape's order, so a parameter the action does not know (AWS ignores those) never
 * reaches the key, and neither does the request body. A key longer than MAX_KEY (long list inputs)
 * is not cached at all.
 */
const MAX_KEY = 2048;
export function readCacheKey(caller: Caller, action: string, input: unknown): string | undefined {
  const key = `read|${caller.principal.account}|${caller.principal.arn}|${caller.session ? caller.accessKeyId : ""}|${action}|${JSON.stringify(input)}`;
  return key.length <= MAX_KEY ? key : undefined;
}
