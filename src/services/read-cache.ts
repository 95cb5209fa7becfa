/**
 * Which calls the isolate's read cache may answer (src/auth/cache.ts holds the entries): IAM
 * actions of access level Read or List, except those that start work (Generate*). Results depend
 * only on the account's state, which every IAM write in this isolate invalidates.
 */
import { getAction } from "../data/catalog";
import type { Caller } from "../auth/caller";
import type { AuthzTarget } from "./action";

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

/**
 * The caller (some reads are relative to it) and the request's input exactly as sent (form body
 * and query string): equal text means equal parameters. Clients that order parameters differently
 * only miss each other's entries — and the text needs no sorting or re-encoding per request.
 */
export function readCacheKey(caller: Caller, action: string, body: string, search: string): string {
  return `read|${caller.principal.account}|${caller.principal.arn}|${caller.session ? caller.accessKeyId : ""}|${action}|${search}|${body}`;
}
