/**
 * The Hono app: the admin API under /_iamlab/, and the AWS Query endpoint for everything else.
 * Query flow: parse → authenticate → find action → decode input → authorize → handle → XML.
 */
import { Hono, type Context } from "hono";
import type { Env } from "./env";
import { admin } from "./admin/routes";
import { AwsError, errors } from "./protocol/errors";
import { parseForm, decodeInput, type FlatParams } from "./protocol/query";
import { NAMESPACES, errorXml, resultXml, successXmlFromResult, type XmlValue } from "./protocol/xml";
import { authenticate } from "./auth/authenticate";
import { findAction, VERSIONS } from "./services/registry";
import type { ActionContext, AuthzTarget, RequestInfo } from "./services/action";
import { authorizeCall } from "./authz/authorize";
import { getDb } from "./store/db";
import { ensureDefaultAccount } from "./store/accounts";
import { newRequestId } from "./lib/ids";
import { now } from "./lib/time";
import { sessionResolverFor } from "./sessions/resolver";
import { sessionApiRestriction } from "./sessions/restrictions";
import { dataPlaneFor, setConsistency } from "./consistency/client";
import { defaultConsistency } from "./consistency/defaults";
import { afterWrite, beforeWrite, isWriteAction } from "./consistency/writes";
import { recordUsage } from "./services/usage";
import { authCacheTtl, forget, invalidateAccount, invalidateAfterWrite, peek, readScope, readTicket, remember, type RefreshTicket } from "./auth/cache";
import { isCacheableRead, readCacheKey, type CachedRead } from "./services/read-cache";

export const app = new Hono<{ Bindings: Env }>();

app.route("/_iamlab", admin);
app.onError((e, c) => {
  console.error("admin API error", e instanceof Error ? (e.stack ?? e.message) : e);
  return c.json({ error: "InternalError", message: "The request failed; see the server log." }, 500);
});
app.all("*", (c) => handleQuery(c));

let bootstrap: Promise<void> | null = null;
function ensureBootstrapped(env: Env): Promise<void> {
  if (!bootstrap) {
    const keyId = env.IAMLAB_ROOT_ACCESS_KEY_ID;
    const secret = env.IAMLAB_ROOT_SECRET_ACCESS_KEY;
    const id = env.IAMLAB_DEFAULT_ACCOUNT_ID ?? "123456789012";
    bootstrap = keyId && secret
      ? ensureDefaultAccount(getDb(env.DB), id, keyId, secret, now()).then(async (created) => {
          const cfg = defaultConsistency(env);
          if (created && cfg.mode !== "off") await setConsistency(env, getDb(env.DB), id, cfg);
        })
      : Promise.resolve();
    bootstrap.catch(() => (bootstrap = null));
  }
  return bootstrap;
}

const MAX_BODY = 1024 * 1024;
const utf8Decoder = new TextDecoder();

async function handleQuery(c: Context<{ Bindings: Env }>): Promise<Response> {
  const requestId = newRequestId();
  let ns: string = NAMESPACES.iam;
  let ctx: ActionContext | undefined;
  try {
    await ensureBootstrapped(c.env);
    const raw = c.req.raw;
    if (raw.method !== "POST" && raw.method !== "GET")
      throw new AwsError("InvalidAction", `The HTTP method ${raw.method} is not supported.`, 400);
    const body = new Uint8Array(await raw.arrayBuffer());
    if (body.length > MAX_BODY) throw new AwsError("RequestEntityTooLarge", "Request body is too large.", 413);
    const url = new URL(raw.url);
    const form = raw.method === "POST" ? utf8Decoder.decode(body) : "";
    const params: FlatParams = raw.method === "POST" ? parseForm(form) : new Map();
    if (url.search) for (const [k, v] of url.searchParams) if (!k.startsWith("X-Amz-") && !params.has(k)) params.set(k, v);

    const t = now();
    const db = getDb(c.env.DB);
    const { caller, signature } = await authenticate({ method: raw.method, url, headers: raw.headers }, body, db, sessionResolverFor(c.env), dataPlaneFor(c.env), t, authCacheTtl(c.env), (p) => c.executionCtx.waitUntil(p));
    const actionName = params.get("Action");
    const def = actionName ? findAction(signature.service, actionName) : undefined;
    if (def) ns = NAMESPACES[def.service];
    else if (signature.service === "sts") ns = NAMESPACES.sts;
    const version = params.get("Version");
    if (!def || (version !== undefined && version !== VERSIONS[def.service]))
      throw new AwsError("InvalidAction", `Could not find operation ${actionName ?? ""} for version ${version ?? "NO_VERSION_SPECIFIED"}`, 400);

    const request: RequestInfo = {
      requestId,
      now: t,
      sourceIp: raw.headers.get("cf-connecting-ip") ?? "127.0.0.1",
      region: signature.region,
      userAgent: raw.headers.get("user-agent") ?? "",
      secureTransport: url.protocol === "https:",
    };
    ctx = {
      env: c.env,
      db,
      caller,
      request,
      waitUntil: (p) => c.executionCtx.waitUntil(p),
      explain: raw.headers.get("x-iamlab-explain") === "true",
    };
    const usage = recordUsage(ctx, def.service, def.name);
    if (usage) ctx.waitUntil(usage);
    const input = decodeInput(def.input, params);
    // What temporary credentials may never call, whatever their policies say (AWS).
    const restricted = sessionApiRestriction(caller, def.service, def.name);
    if (restricted) throw restricted;
    // IAM reads are served from the isolate's read cache when nothing changed since (same account
    // epoch, within the TTL): the authorization target and the serialized result are reused, but the
    // caller is still authorized on every call.
    const readKey = isCacheableRead(def.service, def.name) && !ctx.explain ? readCacheKey(caller, def.name, form, url.search) : undefined;
    const peeked = readKey ? peek<CachedRead>(readKey, readScope(caller.principal.account), authCacheTtl(c.env)) : undefined;
    const cached = peeked?.value;
    // A read that misses is cached only if no write to the account lands while it runs.
    const ticket = readKey && !cached ? readTicket(readKey, readScope(caller.principal.account)) : undefined;
    const target = cached ? cached.target : def.authorize ? await def.authorize(input, ctx) : undefined;
    if (target) await authorizeCall(ctx, `${def.service}:${def.name}`, target);
    if (cached) {
      // Past half its life, the read is redone behind the response so steady readers never wait.
      const refresh = peeked.refresh;
      if (refresh) {
        const actx = ctx;
        ctx.waitUntil(refreshRead(def.name, async () => [def.authorize ? await def.authorize(input, actx) : undefined, await def.handler(input, actx)], refresh, authCacheTtl(c.env)));
      }
      return xml(200, successXmlFromResult(ns, def.name, cached.resultElement, requestId), requestId, ctx.explain ? ctx.decisionId : undefined, caller.consistency?.pending);
    }
    // Eventual consistency (accounts not in mode `off` only): snapshot before, log after.
    const writes = isWriteAction(def.service, def.name);
    const lagging = caller.consistency !== undefined && writes;
    const writeTicket = lagging ? await beforeWrite(c.env, caller) : undefined;
    let result;
    try {
      result = await def.handler(input, ctx);
    } finally {
      // Whatever this write changed, this isolate's cached keys, sessions and reads of the account are stale.
      if (writes) invalidateAfterWrite(caller.principal.account, def.name);
      // Generate* (credential report, last-accessed jobs) are Read-level but start work later reads show.
      else if (def.name.startsWith("Generate")) invalidateAccount(readScope(caller.principal.account));
      if (lagging) {
        // Log what the write changed and free the account's write slot, even when the write failed.
        try {
          await afterWrite(c.env, db, caller, t, writeTicket);
        } catch (e) {
          console.error(`[${requestId}] eventual consistency: logging the write failed`, e instanceof Error ? e.message : e);
        }
        // Now the Durable Object knows the write is pending: drop anything cached in between
        // (e.g. the data plane's "quiet at this generation").
        invalidateAccount(caller.principal.account);
      }
    }
    const resultElement = resultXml(def.name, result ?? undefined);
    if (ticket) remember<CachedRead>(ticket.key, ticket.account, { target, resultElement }, authCacheTtl(c.env), ticket);
    return xml(200, successXmlFromResult(ns, def.name, resultElement, requestId), requestId, ctx.explain ? ctx.decisionId : undefined, caller.consistency?.pending);
  } catch (e) {
    const err = e instanceof AwsError ? e : internal(e, requestId);
    return xml(err.status, errorXml(ns, err.type, err.code, err.message, requestId), requestId, ctx?.decisionId, ctx?.caller.consistency?.pending);
  }
}

/** Re-runs a cached IAM read (its authorize step and handler: reads only) and caches the fresh result. */
async function refreshRead(action: string, read: () => Promise<[AuthzTarget | undefined, XmlValue | undefined]>, ticket: RefreshTicket, ttl: number): Promise<void> {
  try {
    const [target, result] = await read();
    remember<CachedRead>(ticket.key, ticket.account, { target, resultElement: resultXml(action, result ?? undefined) }, ttl, ticket);
  } catch {
    forget(ticket.key); // e.g. the entity is gone: the next request answers for itself
  }
}

function internal(e: unknown, requestId: string): AwsError {
  console.error(`[${requestId}] unhandled error`, e instanceof Error ? (e.stack ?? e.message) : e);
  return errors.serviceFailure();
}

function xml(status: number, body: string, requestId: string, decisionId?: string, pendingChanges?: number): Response {
  const headers: Record<string, string> = { "content-type": "text/xml", "x-amzn-RequestId": requestId };
  // Resolve through GET /_iamlab/decisions/<id> for the full explanation.
  if (decisionId) headers["x-iamlab-decision-id"] = decisionId;
  // Eventual consistency: how many changes of the caller's account have not reached the data plane yet.
  if (pendingChanges !== undefined) headers["x-iamlab-pending-changes"] = String(pendingChanges);
  return new Response(body, { status, headers });
}
