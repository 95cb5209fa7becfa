/**
 * Which calls the isolate's read cache may answer (src/auth/cache.ts holds the entries): IAM
 * actions of access level Read or List, except those that start work (Generate*). Results depend
 * only on the account's state, which every IAM write in this isolate invalidates.
 */
import { getAction } from "../data/catalog";
import type { Caller } from "../auth/caller";
import type { AuthzTarget } from "./action";
import type { FlatParams } from "../protocol/query";

export interface CachedRead {
  target: AuthzTarget | undefined;
  resultElement: string;
}

const cacheable = new Map<string, boolean>();

export function isCacheableRead(service: string, action: string): boolean {
  if (service !== "iam") return false;
  let ok = cacheable.get(action);
  if (ok === undefined) {
    const level = getAction(service, action)?.accessLevel;
    ok = (level === "Read" || level === "List") && !action.startsWith("Generate");
    cacheable.set(action, ok);
  }
  return ok;
}

/** The caller (some reads are relative to it) and every parameter, in a canonical order. */
export function readCacheKey(caller: Caller, action: string, params: FlatParams): string {
  const parts = [...params].filter(([k]) => k !== "Action" && k !== "Version").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `read|${caller.principal.account}|${caller.principal.arn}|${caller.session ? caller.accessKeyId : ""}|${action}|${JSON.stringify(parts)}`;
}
