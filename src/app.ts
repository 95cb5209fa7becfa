/**
 * The Hono app: the admin API under /_iamlab/, and the AWS Query endpoint for everything else.
 * Query flow: parse → authenticate → find action → decode input → runAction (read cache, authorize,
 * handle, write bookkeeping: src/services/run-action.ts) → XML.
 */
import { Hono, type Context } from "hono";
import type { Env } from "./env";
import { admin } from "./admin/routes";
import { AwsError, errors } from "./protocol/errors";
import { parseForm, decodeObject, type FlatParams } from "./protocol/query";
import { readBodyLimited } from "./protocol/body";
import { NAMESPACES, errorXml, successXmlFromResult } from "./protocol/xml";
import { authenticate } from "./auth/authenticate";
import { findAction, VERSIONS } from "./services/registry";
import type { ActionContext, RequestInfo } from "./services/action";
import { getDb } from "./store/db";
import { ensureDefaultAccount } from "./store/accounts";
import { newRequestId } from "./lib/ids";
import { now } from "./lib/time";
import { sessionResolverFor } from "./sessions/resolver";
import { sessionApiRestriction } from "./sessions/restrictions";
import { dataPlaneFor, setConsistency } from "./consistency/client";
import { defaultConsistency } from "./consistency/defaults";
import { recordUsage } from "./services/usage";
import { authCacheTtl } from "./cache/index";
import { readCacheKey } from "./services/read-cache";
import { runAction } from "./services/run-action";
import { forgetAccountState } from "./admin/account-lifecycle";

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
          if (!created) return;
          await forgetAccountState(env, id); // a default account deleted earlier leaves nothing behind
          const cfg = defaultConsistency(env);
          if (cfg.mode !== "off") await setConsistency(env, getDb(env.DB), id, cfg);
        })
      : Promise.resolve();
    bootstrap.catch(() => (bootstrap = null));
  }
  return bootstrap;
}

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
    const body = await readBodyLimited(raw);
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
    const input = decodeObject(def.input, params);
    // What temporary credentials may never call, whatever their policies say (AWS).
    const restricted = sessionApiRestriction(caller, def.service, def.name);
    if (restricted) throw restricted;
    const readKey = def.effect === "read" && !ctx.explain ? readCacheKey(caller, def.name, input) : undefined;
    const resultElement = await runAction(def, input, ctx, readKey);
    return xml(200, successXmlFromResult(ns, def.name, resultElement, requestId), requestId, ctx.explain ? ctx.decisionId : undefined, caller.consistency?.pending);
  } catch (e) {
    const err = e instanceof AwsError ? e : internal(e, requestId);
    return xml(err.status, errorXml(ns, err.type, err.code, err.message, requestId), requestId, ctx?.decisionId, ctx?.caller.consistency?.pending);
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
