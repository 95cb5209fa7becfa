/**
 * A console request as an AWS call: the session row's temporary credentials (the role's after
 * Switch Role, while they last) resolved exactly as a SigV4 request with a session token is
 * (src/sessions/resolver.ts: the session record, a deleted user or role ends it, the account's
 * generation and eventual-consistency view), in a request context built from the browser's request.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import type { ActionContext } from "../services/action";
import type { Caller } from "../auth/caller";
import type { ConsoleSessionRow } from "../store/console";
import { resolveSession } from "../sessions/resolver";
import { dataPlaneFor } from "../consistency/client";
import { AwsError } from "../protocol/errors";
import { newRequestId } from "../lib/ids";

/** The region console calls are made in (the IAM console is global; us-east-1 like AWS's). */
export const CONSOLE_REGION = "us-east-1";

/** Whether the session is currently in a switched role. */
export function inRole(row: ConsoleSessionRow, now: number): boolean {
  return !!row.roleAccessKeyId && !!row.roleToken && (row.roleExpiresAt ?? 0) > now;
}

/** The caller of an active session; undefined when its credentials no longer resolve (user deleted, account reset …). */
export async function consoleCaller(env: Env, row: ConsoleSessionRow, now: number): Promise<Caller | undefined> {
  const role = inRole(row, now);
  const keyId = role ? row.roleAccessKeyId : row.stsAccessKeyId;
  const token = role ? row.roleToken : row.stsToken;
  if (!keyId || !token) return undefined;
  let caller: Caller;
  try {
    ({ caller } = await resolveSession(env, keyId, token, now));
  } catch (e) {
    if (e instanceof AwsError) return undefined;
    throw e;
  }
  // As authenticate() does for session tokens: the data plane's generation on a lagging account.
  const c = caller.consistency;
  if (c) {
    caller.consistency = await dataPlaneFor(env).view(caller.principal.account, c.mode, c.latestGeneration, now);
    caller.generation = caller.consistency.visibleGeneration;
  }
  if (caller.entityDeleted) return undefined;
  return caller;
}

export function consoleActionContext(
  env: Env,
  db: Db,
  caller: Caller,
  raw: Request,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): ActionContext {
  const url = new URL(raw.url);
  return {
    env,
    db,
    caller,
    request: {
      requestId: newRequestId(),
      now,
      sourceIp: raw.headers.get("cf-connecting-ip") ?? "127.0.0.1",
      region: CONSOLE_REGION,
      userAgent: raw.headers.get("user-agent") ?? "",
      secureTransport: url.protocol === "https:",
      origin: url.origin,
    },
    waitUntil,
  };
}
