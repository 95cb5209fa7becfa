/**
 * Authentication of temporary credentials (requests with X-Amz-Security-Token).
 *
 * Hot path: MAC check of the token (no I/O) → expiry from the token → the session record from the
 * isolate cache (filled from the account's SessionsDO on a miss, kept until the session expires)
 * → ONE D1 read: the account generation (keys the authorizer's policy cache, as for permanent
 * keys) and whether the role/user behind the session still exists, so deleting a role makes its
 * sessions fail at once in every isolate. That read costs what the permanent-key lookup costs; the
 * Durable Object round trip is paid once per session per isolate.
 */
import type { Env } from "../env";
import type { Caller } from "../auth/caller";
import type { SessionResolver } from "../auth/authenticate";
import { errors } from "../protocol/errors";
import { accountOfAccessKeyId } from "../lib/ids";
import { getDb } from "../store/db";
import { verifyToken } from "./token";
import { sessionsStub, tokenKey } from "./issue";
import { sessionLiveness } from "./store";
import { authCacheTtl, cachedLookup, scopes } from "../cache/index";
import type { SessionRecord } from "./types";
import { BoundedMap } from "../lib/bounded";

/** sessionId → verified record; entries die with their session. Bounded in count and bytes (session policies). */
const cache = new BoundedMap<string, SessionRecord>(10_000, 8 * 1024 * 1024);

function cached(sessionId: string, now: number): SessionRecord | undefined {
  const r = cache.get(sessionId);
  if (r && r.expiresAt <= now) {
    cache.delete(sessionId);
    return undefined;
  }
  return r;
}

function remember(r: SessionRecord): void {
  cache.set(r.sessionId, r);
}

/** Forget a session in this isolate (tests, explicit revocation). */
export function forgetSession(sessionId: string): void {
  cache.delete(sessionId);
}

export function callerOf(r: SessionRecord, generation: number): Caller {
  const session: NonNullable<Caller["session"]> = {
    tokenIssueTime: r.issuedAt,
    expiration: r.expiresAt,
    mfaAuthenticated: r.mfaAuthenticated,
    kind: r.kind,
    chainDepth: r.chainDepth,
    sessionId: r.sessionId,
  };
  if (r.mfaAuthTime !== undefined) session.mfaAuthTime = r.mfaAuthTime;
  if (r.sessionPolicies) session.sessionPolicies = r.sessionPolicies;
  if (r.policyArns) session.policyArns = r.policyArns;
  if (r.tags) session.tags = r.tags;
  if (r.transitiveTagKeys) session.transitiveTagKeys = r.transitiveTagKeys;
  if (r.sourceIdentity !== undefined) session.sourceIdentity = r.sourceIdentity;
  if (r.context) session.context = r.context;
  const caller: Caller = { principal: r.principal, accessKeyId: r.accessKeyId, generation, session };
  if (r.entityId) caller.entityId = r.entityId;
  return caller;
}

export async function resolveSession(
  env: Env,
  accessKeyId: string,
  token: string,
  now: number,
): Promise<{ secret: string; caller: Caller; record: SessionRecord }> {
  const key = tokenKey(env);
  const account = accountOfAccessKeyId(accessKeyId);
  if (!key || !account || !accessKeyId.startsWith("ASIA")) throw errors.invalidClientTokenId();
  const claims = await verifyToken(key, accessKeyId, token);
  if (!claims || claims.account !== account) throw errors.invalidClientTokenId();
  if (claims.expiresAt <= now) throw errors.expiredToken();
  let rec = cached(claims.sessionId, now);
  if (!rec) {
    const fetched = await sessionsStub(env, account).get(claims.sessionId);
    if (!fetched || fetched.accessKeyId !== accessKeyId) throw errors.invalidClientTokenId();
    rec = fetched;
    remember(rec);
  }
  // The session's own record is the authority on its lifetime, not only the token: a token re-signed
  // with a known IAMLAB_TOKEN_KEY and a later expiry must not outlive its session.
  if (Math.floor(rec.expiresAt) !== claims.expiresAt) throw errors.invalidClientTokenId();
  const entityKind = rec.entityKind;
  const entityId = rec.entityId;
  // Cached per isolate like permanent keys (src/auth/cache.ts): IAM writes to the account invalidate it.
  const live = await cachedLookup(
    `live:${account}:${entityKind}:${entityId ?? ""}`,
    authCacheTtl(env),
    () => scopes.account(account),
    () => sessionLiveness(getDb(env.DB), account, entityKind, entityId),
  );
  // A deleted role or user ends its sessions; on a lagging account only once the deletion is
  // visible to the data plane (authenticate checks the visible snapshot).
  // A token of an earlier incarnation of this account id (deleted, then created again) is dead.
  if (!live || live.incarnation !== claims.incarnation || (!live.exists && live.consistencyMode === "off")) {
    forgetSession(rec.sessionId);
    throw errors.invalidClientTokenId();
  }
  const caller = callerOf(rec, live.generation);
  if (live.consistencyMode !== "off")
    caller.consistency = { mode: live.consistencyMode, latestGeneration: live.generation, visibleGeneration: live.generation, pending: 0 };
  if (!live.exists) caller.entityDeleted = true;
  return { secret: rec.secretAccessKey, caller, record: rec };
}

const resolvers = new WeakMap<Env, SessionResolver>();

/** The SessionResolver for this Worker's bindings (what app.ts hands to authenticate()). */
export function sessionResolverFor(env: Env): SessionResolver {
  let r = resolvers.get(env);
  if (!r) {
    r = { resolve: (accessKeyId, token, now) => resolveSession(env, accessKeyId, token, now) };
    resolvers.set(env, r);
  }
  return r;
}
