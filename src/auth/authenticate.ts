/** Authentication: SigV4 → key (or session) lookup → clock → signature → typed Caller. */
import { errors } from "../protocol/errors";
import { checkTime, parseSignature, payloadOf, verifySignature, type RawRequest, type SignedRequestInfo } from "./sigv4";
import type { Caller, CallerConsistency } from "./caller";
import { accountState, lookupAccessKeyWithPolicies, type KeyLookup } from "../store/credentials";
import type { PolicyRow } from "../store/authz";
import type { Db } from "../store/db";
import { rootArn } from "../lib/arn";
import { accountOfAccessKeyId } from "../lib/ids";
import { cachedLookup, scopes, type Scope } from "../cache/index";

/** Resolves temporary credentials (X-Amz-Security-Token); the STS layer provides it. */
export interface SessionResolver {
  resolve(accessKeyId: string, token: string, now: number): Promise<{ secret: string; caller: Caller }>;
}

/**
 * The eventual-consistency simulation's view for an account whose mode is not `off`: which
 * generation the data plane sees, and its snapshot when that is not the latest. Never called for
 * accounts in mode `off` (the key lookup already says so).
 */
export interface DataPlane {
  view(accountId: string, mode: string, latestGeneration: number, now: number): Promise<CallerConsistency>;
}

export interface Authenticated {
  caller: Caller;
  signature: SignedRequestInfo;
  /** The request's payload: the body, or S3's de-chunked aws-chunked upload. */
  payload: Uint8Array;
}

function callerOfKey(key: KeyLookup, generation: number): Caller {
  return key.userId
    ? {
        principal: { kind: "user", account: key.accountId, arn: key.userArn ?? "", userId: key.userId, username: key.userName ?? "" },
        accessKeyId: key.accessKeyId,
        generation,
        entityId: key.userId,
      }
    : {
        principal: { kind: "root", account: key.accountId, arn: rootArn(key.accountId), userId: key.accountId },
        accessKeyId: key.accessKeyId,
        generation,
      };
}

/**
 * Cache scope of a key row. Root keys of accounts without eventual consistency live in their own
 * scope: most IAM writes cannot change them (only the access-key actions can), so a stream of root
 * writes keeps its key cached. Everything else is dropped by any write to the account.
 */
export function keyCacheScope(k: KeyLookup): Scope {
  return k.userId === null && (k.consistencyMode ?? "off") === "off" ? scopes.rootKeys(k.accountId) : scopes.account(k.accountId);
}

/** A permanent key as the data plane sees it: the latest row, or the lagging snapshot's. */
async function permanentKey(
  db: Db,
  dataPlane: DataPlane,
  id: string,
  now: number,
  ttl: number,
  background?: (p: Promise<unknown>) => void,
): Promise<{ key: KeyLookup | undefined; consistency?: CallerConsistency; prefetched?: PolicyRow[]; fromCache?: boolean }> {
  let prefetched: PolicyRow[] | undefined;
  let loaded = false; // hosted (issue 22): whether this request read the key row from D1
  const key = await cachedLookup(
    `key:${id}`,
    ttl,
    keyCacheScope,
    async () => {
      const r = await lookupAccessKeyWithPolicies(db, id);
      loaded = true;
      prefetched = r.policies;
      return r.key;
    },
    background,
  );
  let account: string | undefined;
  let latest: { generation: number; consistencyMode: string } | undefined;
  if (key) {
    if (!key.consistencyMode || key.consistencyMode === "off")
      return { ...(prefetched && key.userId ? { key, prefetched } : { key }), ...(loaded ? {} : { fromCache: true }) };
    account = key.accountId;
    latest = { generation: key.generation, consistencyMode: key.consistencyMode };
  } else {
    // A deleted key keeps working while the deletion propagates: find its account from the id.
    account = accountOfAccessKeyId(id) ?? undefined;
    if (!account) return { key: undefined };
    latest = await accountState(db, account);
    if (!latest || latest.consistencyMode === "off") return { key: undefined };
  }
  const consistency = await dataPlane.view(account, latest.consistencyMode, latest.generation, now);
  if (!consistency.snapshot) return { key, consistency };
  const old = consistency.snapshot.keys[id];
  return { key: old ? { ...old, generation: consistency.visibleGeneration } : undefined, consistency };
}

/**
 * `background` (the request's waitUntil) lets cached key rows be refreshed behind the response;
 * `parsed` is the request's signature when the router already read it.
 */
export async function authenticate(
  raw: RawRequest,
  body: Uint8Array,
  db: Db,
  sessions: SessionResolver,
  dataPlane: DataPlane,
  now: number,
  cacheTtlMs = 0,
  background?: (p: Promise<unknown>) => void,
  parsed?: SignedRequestInfo | null,
): Promise<Authenticated> {
  const info = parsed === undefined ? parseSignature(raw) : parsed;
  if (!info) throw errors.missingAuthenticationToken();
  let secret: string;
  let caller: Caller;
  if (info.securityToken !== undefined) {
    ({ secret, caller } = await sessions.resolve(info.accessKeyId, info.securityToken, now));
    const c = caller.consistency;
    if (c) {
      caller.consistency = await dataPlane.view(caller.principal.account, c.mode, c.latestGeneration, now);
      caller.generation = caller.consistency.visibleGeneration;
    }
    if (caller.entityDeleted) {
      // Deleted in D1: the session lives on only while the visible generation still has its role or user.
      const kind = caller.principal.kind === "assumedRole" ? "role" : "user";
      const snap = caller.consistency?.snapshot;
      if (!snap || !caller.entityId || !(`${kind}/${caller.entityId}` in snap.principals)) throw errors.invalidClientTokenId();
    }
  } else {
    const { key, consistency, prefetched, fromCache } = info.accessKeyId.startsWith("ASIA")
      ? { key: undefined }
      : await permanentKey(db, dataPlane, info.accessKeyId, now, cacheTtlMs, background);
    if (key?.status !== "Active") throw errors.invalidClientTokenId();
    secret = key.secret;
    caller = callerOfKey(key, consistency?.visibleGeneration ?? key.generation);
    if (consistency) caller.consistency = consistency;
    if (prefetched) caller.prefetchedPolicies = prefetched;
    if (fromCache) caller.keyFromCache = true; // hosted (issue 22): writes re-check it in D1
  }
  checkTime(info, now);
  await verifySignature(raw, body, info, secret);
  // Only S3 carries payloads other than the body itself (aws-chunked uploads).
  return { caller, signature: info, payload: info.service === "s3" ? await payloadOf(raw, body, info, secret) : body };
}
