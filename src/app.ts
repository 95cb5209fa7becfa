/**
 * The Hono app: the admin API under /_iamlab/, and every AWS service on one endpoint.
 * Flow: route (service + protocol: src/protocol/detect.ts) → read the body (bounded) → authenticate
 * (SigV4) → decode (Query: the action's shapes; the other protocols: AWS's service model) → find
 * the action → runAction (read cache, authorize, handle, write bookkeeping: src/services/run-action.ts)
 * → encode in the request's protocol (errors too: a JSON client never gets a Query-shaped error).
 */
import { Hono, type Context } from "hono";
import type { Env } from "./env";
import { admin } from "./admin/routes";
import { AwsError, errors } from "./protocol/errors";
import { parseForm, decodeObject, type FlatParams } from "./protocol/query";
import { MAX_BODY_BYTES, MAX_ECR_BODY_BYTES, readBodyLimited, readS3Body } from "./protocol/body";
import { NAMESPACES, errorXml, resultXml, successXmlFromResult } from "./protocol/xml";
import { authenticate } from "./auth/authenticate";
import { anonymousCaller, anonymousPayload, ANONYMOUS_REGION } from "./auth/anonymous";
import { parseSignature, requestSignature, type SignedRequestInfo } from "./auth/sigv4";
import { ALL_ACTIONS, findAction, isQueryService, MODELS, QUERY_VERSIONS } from "./services/registry";
import type { ActionContext, RegisteredAction, RequestInfo } from "./services/action";
import type { Caller } from "./auth/caller";
import type { Db } from "./store/db";
import { detectService } from "./protocol/detect";
import { CODECS, errorForProtocol, QUERY_FORM, type Codec, type ModelProtocol } from "./protocol/codecs";
import type { ServiceModel } from "./protocol/model";
import type { Value, WireResponse } from "./protocol/wire";
import { getDb } from "./store/db";
import { ensureDefaultAccount } from "./store/accounts";
import { newRequestId } from "./lib/ids";
import { now } from "./lib/time";
import { sessionResolverFor } from "./sessions/resolver";
import { sessionApiRestriction } from "./sessions/restrictions";
import { dataPlaneFor, setConsistency } from "./consistency/client";
import { DurableObjectUnavailable, unavailableErrorFor } from "./lib/durable";
import { defaultConsistency } from "./consistency/defaults";
import { recordUsage } from "./services/usage";
import { authCacheTtl } from "./cache/index";
import { readCacheKey } from "./services/read-cache";
import { runAction } from "./services/run-action";
import { lambdaBodyLimit, lambdaErr } from "./services/lambda/common";
import { serveCode } from "./services/lambda/code-location";
import { forgetAccountState } from "./admin/account-lifecycle";
import { health } from "./admin/health";
import { explainDenial } from "./admin/denial-explanations";
import { ownDecision } from "./admin/my-decisions";
import { REQUEST_LOG_MARKER, type RequestLogEntry } from "./lib/request-log";
import { WORKLOAD_CREDENTIALS_PATH, workloadCredentials } from "./workloads/credentials";
import { registerIdpPublicRoutes } from "./admin/idp";
// --- hosted (issue 22) ---
import { enforceRateLimit, enforceSourceIp, noteFailedAuthentication } from "./limits/enforce";
import { Throttled, throttlingErrorFor } from "./limits/throttling-errors";
import { deployRefusal } from "./limits/deploy-safety";
// --- end hosted ---
// --- saml (issue 19): the built-in SAML IdP's metadata ---
import { registerSamlIdpPublicRoutes } from "./admin/saml-idp";
import { beginTrail, recordCall } from "./services/cloudtrail/recorder";
import { labSchema, myLabResults } from "./labs/routes";
import { consoleApp, isAwsRequest } from "./console/routes";
import { myGraph, type GraphView } from "./admin/graph-routes";
import { GRAPH_PAGE_CSP, GRAPH_PAGE_HTML, GRAPH_PAGE_HTML_SESSION, GRAPH_PAGE_JS } from "./graph/page";

export const app = new Hono<{ Bindings: Env }>();

// --- hosted (issue 22): a deploy with the documented local secrets serves nothing (src/limits/deploy-safety.ts) ---
app.use("*", async (c, next) => {
  const refusal = deployRefusal(c.env);
  if (refusal) return new Response(refusal, { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } });
  await next();
});
// --- end hosted ---

// Unauthenticated: readiness probes (before the admin API's token check).
app.get("/_iamlab/health", (c) => health(c.env, () => ensureBootstrapped(c.env)));
// Learners (SigV4, any credentials of the account): the explanation of their own account's decision.
app.get("/_iamlab/my/decisions/:id", (c) => myDecision(c, c.req.param("id")));
// The same with the id's ":" as "/": curl 7.x's --aws-sigv4 signs a ":" in the path unencoded (SigV4 encodes it).
app.get("/_iamlab/my/decisions/:request/:suffix", (c) => myDecision(c, `${c.req.param("request")}:${c.req.param("suffix")}`));
// ---- the Permissions Graph of the caller's own account (issue 20; src/admin/graph-routes.ts) ----
app.get("/_iamlab/my/graph", (c) => ownGraph(c, "graph"));
app.get("/_iamlab/my/graph/escalations", (c) => ownGraph(c, "escalations"));
app.get("/_iamlab/my/graph/reach", (c) => ownGraph(c, "reach"));
// The lab author's page over the admin graph routes (src/graph/page.ts): static, the token stays in the browser tab.
app.get("/console/graph", () => graphPage(GRAPH_PAGE_HTML, "text/html; charset=utf-8"));
app.get("/console/graph.js", () => graphPage(GRAPH_PAGE_JS, "text/javascript; charset=utf-8"));
// The same page for a signed-in console user: its data through the console session (/console/graph/data…).
app.get("/console/my-graph", () => graphPage(GRAPH_PAGE_HTML_SESSION, "text/html; charset=utf-8"));
// ---- end Permissions Graph ----
// ---- workloads (issue 16): the container-credentials endpoint of EC2 instances (and Lambda functions) ----
// Authorized by its own workload token (Authorization header), before the admin API's token check.
app.get(WORKLOAD_CREDENTIALS_PATH, (c) => workloadCredentials(c.env, c.req.raw));
// The accounts' built-in OIDC identity providers: discovery and JWKS are public, as any IdP's (issue 19).
// A lab may start there, before any AWS request has created the default account.
app.use("/_iamlab/idp/*", (c, next) => ensureBootstrapped(c.env).then(next));
app.use("/_iamlab/accounts/:id/idp/*", (c, next) => ensureBootstrapped(c.env).then(next));
registerIdpPublicRoutes(app);
// --- saml (issue 19): the built-in SAML IdP's metadata is public, as any IdP's ---
registerSamlIdpPublicRoutes(app);
// --- lambda (issue 16): GetFunction's Code.Location, a signed URL (src/services/lambda/code-location.ts) ---
app.get("/_iamlab/lambda-code", (c) => serveCode(c.env, new URL(c.req.url), now()));
// --- labs (issue 21): the template format's JSON Schema (public) and a learner's own grade (SigV4, any credentials of the account) ---
app.get("/_iamlab/labs/schema", () => labSchema());
app.get("/_iamlab/my/lab/results", (c) => signedAdminView(c, myLabResults));
// --- end labs ---
// The admin API sees the default account from the first request on (a fresh `npm start` answered
// NoSuchAccount for it until some AWS or console request had bootstrapped it).
app.use("/_iamlab/*", (c, next) => ensureBootstrapped(c.env).then(next));
app.route("/_iamlab", admin);
// ---- console (issue 20): the web console, server-rendered (src/console/) ----
// Signed requests under /console (S3 path-style, a bucket named "console") stay AWS requests.
const consoleOrAws = async (c: Context<{ Bindings: Env }>) => {
  if (isAwsRequest(c.req.raw)) return c.env.IAMLAB_REQUEST_LOG ? loggedAws(c) : handleAws(c);
  await ensureBootstrapped(c.env);
  return consoleApp.fetch(c.req.raw, c.env, c.executionCtx);
};
app.all("/console", consoleOrAws);
app.all("/console/*", consoleOrAws);
// ---- end console ----
app.onError((e, c) => {
  if (e instanceof DurableObjectUnavailable) return c.json({ error: e.code, message: e.message }, 503);
  console.error("unhandled error", e instanceof Error ? (e.stack ?? e.message) : e);
  return c.json({ error: "InternalError", message: "The request failed; see the server log." }, 500);
});
app.all("*", (c) => (c.env.IAMLAB_REQUEST_LOG ? loggedAws(c) : handleAws(c)));

let bootstrap: Promise<void> | null = null;
function ensureBootstrapped(env: Env): Promise<void> {
  if (!bootstrap) {
    const keyId = env.IAMLAB_ROOT_ACCESS_KEY_ID;
    const secret = env.IAMLAB_ROOT_SECRET_ACCESS_KEY;
    const id = env.IAMLAB_DEFAULT_ACCOUNT_ID ?? "123456789012";
    bootstrap =
      keyId && secret
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

/** What the request log learns while a request runs (only when IAMLAB_REQUEST_LOG is set). */
type LogDraft = Partial<Pick<RequestLogEntry, "account" | "principal" | "action" | "code" | "decisionId">>;

/** handleAws, then one request-log line on stdout (src/lib/request-log.ts; `npm start -- --verbose`). */
async function loggedAws(c: Context<{ Bindings: Env }>): Promise<Response> {
  const start = Date.now();
  const draft: LogDraft = {};
  const res = await handleAws(c, draft);
  const url = new URL(c.req.url);
  const entry: RequestLogEntry = {
    time: new Date(start).toISOString(),
    requestId: res.headers.get("x-amzn-requestid") ?? res.headers.get("x-amz-request-id") ?? "",
    method: c.req.method,
    path: url.pathname,
    ...draft,
    status: res.status,
    latencyMs: Date.now() - start,
  };
  if (draft.decisionId || (draft.action && draft.principal)) entry.decision = draft.code?.startsWith("AccessDenied") ? "deny" : "allow";
  console.log(REQUEST_LOG_MARKER + JSON.stringify(entry));
  return res;
}

/** Every AWS request: route to its service and protocol (src/protocol/detect.ts), then that pipeline. */
async function handleAws(c: Context<{ Bindings: Env }>, log?: LogDraft): Promise<Response> {
  const requestId = newRequestId();
  const raw = c.req.raw;
  const url = new URL(raw.url);
  // The signature names the service; a malformed one is reported by the pipeline (in its protocol).
  let signature: SignedRequestInfo | null | undefined;
  try {
    signature = parseSignature({ method: raw.method, url, headers: raw.headers });
  } catch {
    signature = undefined;
  }
  const route = detectService(
    {
      method: raw.method,
      headers: raw.headers,
      host: url.host,
      path: url.pathname,
      query: url.search.slice(1),
      ...(signature ? { scopeService: signature.service } : {}),
    },
    MODELS,
    requestId,
  );
  if (route.kind === "unknown") return send(route.response);
  if (route.kind === "model") return handleModel(c, route.model, CODECS[route.protocol as ModelProtocol], requestId, url, signature, log);
  // A JSON service spoken in its legacy Query form (SQS from older CLIs): its model, Query's wire.
  const legacy = route.service && !isQueryService(route.service) ? MODELS[route.service] : undefined;
  if (legacy) return handleModel(c, legacy, QUERY_FORM, requestId, url, signature, log);
  return handleQuery(c, requestId, url, signature, log);
}

/** A learner's view (labs: their own grade), authenticated like any AWS request. */
async function signedAdminView(c: Context<{ Bindings: Env }>, view: (ctx: ActionContext) => Promise<Response>): Promise<Response> {
  try {
    await ensureBootstrapped(c.env);
    const auth = await authenticated(c, new URL(c.req.url), new Uint8Array(), newRequestId(), undefined);
    return await view(auth.ctx);
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    return c.json({ error: e.code, message: e.message }, e.status as 400);
  }
}

/** GET /_iamlab/my/decisions/:id, authenticated like any AWS request (src/admin/my-decisions.ts). */
async function myDecision(c: Context<{ Bindings: Env }>, id: string): Promise<Response> {
  try {
    await ensureBootstrapped(c.env);
    const auth = await authenticated(c, new URL(c.req.url), new Uint8Array(), newRequestId(), undefined);
    return await ownDecision(auth.ctx, id);
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    return c.json({ error: e.code, message: e.message }, e.status as 400);
  }
}

function graphPage(body: string, type: string): Response {
  return new Response(body, {
    headers: {
      "content-type": type,
      "content-security-policy": GRAPH_PAGE_CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    },
  });
}

/** GET /_iamlab/my/graph…, authenticated like any AWS request, authorized as iam:GetAccountAuthorizationDetails. */
async function ownGraph(c: Context<{ Bindings: Env }>, view: GraphView): Promise<Response> {
  try {
    await ensureBootstrapped(c.env);
    const url = new URL(c.req.url);
    const auth = await authenticated(c, url, new Uint8Array(), newRequestId(), undefined);
    return await myGraph(auth.ctx, view, url);
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    return c.json({ error: e.code, message: e.message }, e.status as 400);
  }
}

/** TLS version of an https request as AWS's s3:TlsVersion has it (`TLSv1.3` → `1.3`), from Cloudflare's request metadata. */
function tlsVersionOf(raw: Request): string | undefined {
  const v = (raw as { cf?: { tlsVersion?: unknown } }).cf?.tlsVersion;
  return typeof v === "string" && /^TLSv\d/.test(v) ? v.slice(4) : undefined;
}

/** The per-request context every action runs with. */
function actionContext(
  c: Context<{ Bindings: Env }>,
  db: Db,
  caller: Caller,
  requestId: string,
  t: number,
  region: string,
  url: URL,
  signature?: SignedRequestInfo,
): ActionContext {
  const raw = c.req.raw;
  const request: RequestInfo = {
    requestId,
    now: t,
    sourceIp: sourceIpOf(raw),
    region,
    userAgent: raw.headers.get("user-agent") ?? "",
    secureTransport: url.protocol === "https:",
    origin: url.origin,
  };
  const tls = url.protocol === "https:" ? tlsVersionOf(raw) : undefined;
  if (tls) request.tlsVersion = tls;
  if (signature) request.signature = requestSignature(raw.headers, url, signature);
  return {
    env: c.env,
    db,
    caller,
    request,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    explain: raw.headers.get("x-iamlab-explain") === "true",
  };
}

/**
 * SigV4 → the caller, in the request's context; the payload is the body (S3: de-chunked). With
 * `anonymousService` (S3), a request with no signature at all is an anonymous caller of it
 * (src/auth/anonymous.ts); elsewhere it is refused (MissingAuthenticationToken).
 */
async function authenticated(
  c: Context<{ Bindings: Env }>,
  url: URL,
  body: Uint8Array,
  requestId: string,
  parsed: SignedRequestInfo | null | undefined,
  anonymousService?: string,
) {
  const raw = c.req.raw;
  const t = now();
  const db = getDb(c.env.DB);
  // Rate limits (issue 22): per source IP for requests without a valid identity, per account and key after.
  const sourceIp = sourceIpOf(raw);
  const background = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  // A classroom shares one NAT address: failures are counted per claimed key too (rate-limiter.ts).
  const claimedKey = parsed?.accessKeyId;
  enforceSourceIp(c.env, sourceIp, claimedKey);
  if (parsed === null && anonymousService) {
    const payload = await anonymousPayload({ method: raw.method, url, headers: raw.headers }, body);
    const ctx = actionContext(c, db, anonymousCaller(), requestId, t, ANONYMOUS_REGION, url);
    await enforceRateLimit(c.env, db, ctx.caller, sourceIp, authCacheTtl(c.env), background);
    return { ctx, service: anonymousService, payload };
  }
  let authn: Awaited<ReturnType<typeof authenticate>>;
  try {
    authn = await authenticate(
      { method: raw.method, url, headers: raw.headers, ...clientAcceptEncoding(raw) },
      body,
      db,
      sessionResolverFor(c.env),
      dataPlaneFor(c.env),
      t,
      authCacheTtl(c.env),
      background,
      parsed,
    );
  } catch (e) {
    if (e instanceof AwsError && e.status < 500) noteFailedAuthentication(c.env, sourceIp, claimedKey);
    throw e;
  }
  const { caller, signature, payload } = authn;
  await enforceRateLimit(c.env, db, caller, sourceIp, authCacheTtl(c.env), background);
  return { ctx: actionContext(c, db, caller, requestId, t, signature.region, url, signature), service: signature.service, payload };
}

/** The client's address as Cloudflare reports it (locally Miniflare's, else loopback). */
function sourceIpOf(raw: Request): string {
  return raw.headers.get("cf-connecting-ip") ?? "127.0.0.1";
}

/** The client's own Accept-Encoding, which the runtime keeps in `cf` when it rewrites the header (see RawRequest). */
function clientAcceptEncoding(raw: Request): { clientAcceptEncoding?: string } {
  const cf = (raw as { cf?: { clientAcceptEncoding?: unknown } }).cf;
  const v = cf?.clientAcceptEncoding;
  return typeof v === "string" && raw.headers.has("accept-encoding") ? { clientAcceptEncoding: v } : {};
}

/** What every pipeline does once it knows the action: last-used bookkeeping and the session restrictions. */
function startAction(ctx: ActionContext, def: RegisteredAction): void {
  const usage = recordUsage(ctx, def.service, def.name);
  if (usage) ctx.waitUntil(usage);
  // What temporary credentials may never call, whatever their policies say (AWS).
  const restricted = sessionApiRestriction(ctx.caller, def.service, def.name);
  if (restricted) throw restricted;
}

/** The Query protocol (IAM, STS): form or query-string parameters decoded by each action's shapes. */
async function handleQuery(
  c: Context<{ Bindings: Env }>,
  requestId: string,
  url: URL,
  signature: SignedRequestInfo | null | undefined,
  log?: LogDraft,
): Promise<Response> {
  let ns: string = NAMESPACES[signature?.service === "sts" ? "sts" : "iam"];
  let ctx: ActionContext | undefined;
  let called: RegisteredAction | undefined; // the action once known: its CloudTrail event (src/services/cloudtrail/)
  try {
    await ensureBootstrapped(c.env);
    const raw = c.req.raw;
    if (raw.method !== "POST" && raw.method !== "GET")
      throw new AwsError("InvalidAction", `The HTTP method ${raw.method} is not supported.`, 400);
    const body = await readBodyLimited(raw);
    const form = raw.method === "POST" ? utf8Decoder.decode(body) : "";
    const params: FlatParams = raw.method === "POST" ? parseForm(form) : new Map();
    if (url.search) for (const [k, v] of url.searchParams) if (!k.startsWith("X-Amz-") && !params.has(k)) params.set(k, v);
    ns = NAMESPACES[preAuthService(signature, params)];

    // AssumeRoleWithWebIdentity / AssumeRoleWithSAML need no AWS credentials (issue 19): unsigned, they run as nobody.
    const unsigned = signature === null && UNSIGNED_STS_ACTIONS.has(params.get("Action") ?? "") ? "sts" : undefined;
    const auth = await authenticated(c, url, body, requestId, signature, unsigned);
    const actionName = params.get("Action");
    const version = params.get("Version");
    const def = actionName ? findAction(isQueryService(auth.service) ? auth.service : undefined, actionName) : undefined;
    if (def && isQueryService(def.service)) ns = NAMESPACES[def.service];
    else if (auth.service === "sts") ns = NAMESPACES.sts;
    if (!def || !isQueryService(def.service) || (version !== undefined && version !== QUERY_VERSIONS[def.service]))
      throw new AwsError(
        "InvalidAction",
        `Could not find operation ${actionName ?? ""} for version ${version ?? "NO_VERSION_SPECIFIED"}`,
        400,
      );
    ctx = auth.ctx;
    if (log) noteAction(log, ctx, `${def.service}:${def.name}`);
    called = def;
    beginTrail(ctx);
    startAction(ctx, def);
    const input = decodeObject(def.input, params);
    if (ctx.trail) ctx.trail.input = input;
    const readKey = def.effect === "read" && !ctx.explain ? readCacheKey(ctx.caller, def.name, input) : undefined;
    const resultElement = await runAction(def, input, ctx, (v) => resultXml(def.name, v), readKey);
    recordCall(ctx, def);
    return xml(
      200,
      successXmlFromResult(ns, def.name, resultElement, requestId),
      requestId,
      ctx.explain ? ctx.decisionId : undefined,
      ctx.caller.consistency?.pending,
    );
  } catch (e) {
    const err = e instanceof AwsError ? e : internal(e, requestId);
    if (log) noteError(log, ctx, err);
    if (ctx && called) recordCall(ctx, called, err); // before the explanation is added to the message
    // Accounts whose lab opted in: the denial's one-line reason after AWS's message.
    if (ctx?.decisionId) await explainDenial(c.env, ctx, err).catch(() => {});
    return xml(
      err.status,
      errorXml(ns, err.type, err.code, err.message, requestId),
      requestId,
      ctx?.decisionId,
      ctx?.caller.consistency?.pending,
    );
  }
}

/** STS actions AWS serves without a signature: the caller proves who they are with the token or assertion (issue 19). */
const UNSIGNED_STS_ACTIONS = new Set(["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"]);

/**
 * Which Query service a request is for before it is authenticated, so that its errors (an unsigned
 * call, an unknown key, a bad signature) carry that service's namespace: the signature's scope, else
 * the action and version asked for (an unsigned GetCallerIdentity is STS's).
 */
function preAuthService(signature: SignedRequestInfo | null | undefined, params: FlatParams): "iam" | "sts" {
  if (signature?.service === "sts" || signature?.service === "iam") return signature.service;
  const version = params.get("Version");
  if (version === QUERY_VERSIONS.sts) return "sts";
  if (version === QUERY_VERSIONS.iam) return "iam";
  const action = params.get("Action");
  return action !== undefined && findAction("sts", action) ? "sts" : "iam";
}

/** The model-driven protocols (JSON 1.0/1.1, REST-XML, REST-JSON, EC2): AWS's service model decodes and encodes. */
async function handleModel(
  c: Context<{ Bindings: Env }>,
  model: ServiceModel,
  codec: Codec,
  requestId: string,
  url: URL,
  signature: SignedRequestInfo | null | undefined,
  log?: LogDraft,
): Promise<Response> {
  const raw = c.req.raw;
  let ctx: ActionContext | undefined;
  let called: RegisteredAction | undefined; // the action once known: its CloudTrail event (src/services/cloudtrail/)
  try {
    await ensureBootstrapped(c.env);
    const body =
      model.metadata.protocol === "rest-xml"
        ? await readS3Body(raw)
        : model.metadata.service === "lambda"
          ? await readLambdaBody(raw, url)
          : await readBodyLimited(raw, model.metadata.service === "ecr" ? MAX_ECR_BODY_BYTES : MAX_BODY_BYTES);
    // S3 serves anonymous requests (public buckets); the other model services need a signature.
    const anonymous = model.metadata.service === "s3" ? "s3" : undefined;
    const auth = await authenticated(c, url, body, requestId, signature, anonymous);
    const { operation, input } = codec.decode(model, {
      method: raw.method,
      host: url.host,
      path: url.pathname,
      query: url.search.slice(1),
      headers: raw.headers,
      body: auth.payload,
    });
    const def = findAction(model.metadata.service, operation.name);
    if (!def) throw notServed(model, operation.name, codec === QUERY_FORM);
    ctx = auth.ctx;
    if (log) noteAction(log, ctx, `${def.service}:${def.name}`);
    called = def;
    beginTrail(ctx, input);
    startAction(ctx, def);
    const output = await runAction(def, input, ctx, (v) => v);
    recordCall(ctx, def);
    const res = codec.encodeResult(model, operation, output as Value | undefined, requestId);
    if (ctx.responseHeaders) Object.assign(res.headers, ctx.responseHeaders);
    return send(res, ctx.explain ? ctx.decisionId : undefined, ctx.caller.consistency?.pending);
  } catch (e) {
    // A throttled request gets its service's own answer (SlowDown, TooManyRequestsException …: issue 22).
    const err =
      e instanceof Throttled
        ? throttlingErrorFor(model.metadata.service)
        : e instanceof DurableObjectUnavailable // issue 22: a failed Durable Object, in the service's words
          ? unavailableErrorFor(model.metadata.service)
          : e instanceof AwsError
            ? e
            : internal(e, requestId);
    if (log) noteError(log, ctx, err);
    if (ctx && called) recordCall(ctx, called, err); // before the explanation is added to the message
    // Accounts whose lab opted in: the denial's one-line reason after AWS's message.
    if (ctx?.decisionId) await explainDenial(c.env, ctx, err).catch(() => {});
    // The Query form keeps Query's own words (AccessDenied, InvalidClientTokenId …).
    const wireErr = codec === QUERY_FORM ? err : errorForProtocol(model, err, ctx?.decisionId);
    return send(codec.encodeError(model, wireErr, requestId, raw.method), ctx?.decisionId, ctx?.caller.consistency?.pending);
  }
}

// --- lambda (issue 16) ---
/** Lambda's bodies: CreateFunction / UpdateFunctionCode up to AWS's 69,905,067 bytes, Invoke 6 MiB, refused in Lambda's words. */
async function readLambdaBody(raw: Request, url: URL): Promise<Uint8Array> {
  const { max, operation } = lambdaBodyLimit(raw.method, url.pathname);
  if (!operation) return readBodyLimited(raw, max);
  const declared = Number(raw.headers.get("content-length") ?? "0");
  // An oversize package is read and dropped chunk by chunk (never held) before the answer: clients
  // still writing a 70 MB upload otherwise see a reset connection instead of Lambda's 413.
  if (declared > max && declared <= 4 * max) {
    await drain(raw);
    throw lambdaErr.tooLarge(max, operation);
  }
  return readBodyLimited(raw, max, () => lambdaErr.tooLarge(max, operation));
}

async function drain(raw: Request): Promise<void> {
  const reader = raw.body?.getReader();
  if (!reader) return;
  for (;;) if ((await reader.read()).done) return;
}
// --- end lambda ---

function noteAction(log: LogDraft, ctx: ActionContext, action: string): void {
  log.account = ctx.caller.principal.account;
  log.principal = ctx.caller.principal.arn;
  log.action = action;
}

function noteError(log: LogDraft, ctx: ActionContext | undefined, err: AwsError): void {
  log.code = err.code;
  if (ctx?.decisionId) log.decisionId = ctx.decisionId;
}

/** An operation of AWS's model that iamlab does not serve (yet): the service's own "unknown operation" answer. */
function notServed(model: ServiceModel, operation: string, queryForm: boolean): AwsError {
  if (queryForm) return new AwsError("InvalidAction", `The action ${operation} is not valid for this endpoint.`, 400);
  const status = ({ json: 400, "rest-xml": 501, "rest-json": 404, ec2: 400, query: 400 } as const)[model.metadata.protocol];
  // Say what is served instead, so a learner knows it is iamlab's limit, not their mistake.
  const service = model.metadata.service;
  const served = ALL_ACTIONS.filter((a) => a.service === service).length;
  return new AwsError(
    model.metadata.errors.unknownOperation,
    `The operation ${operation} is not available in iamlab, which serves ${served} ${service} operations (README: "What works").`,
    status,
  );
}

function internal(e: unknown, requestId: string): AwsError {
  console.error(`[${requestId}] unhandled error`, e instanceof Error ? (e.stack ?? e.message) : e);
  return errors.serviceFailure();
}

function xml(status: number, body: string, requestId: string, decisionId?: string, pendingChanges?: number): Response {
  return send({ status, headers: { "content-type": "text/xml", "x-amzn-RequestId": requestId }, body }, decisionId, pendingChanges);
}

/** A codec's response, with iamlab's own headers. */
function send(res: WireResponse, decisionId?: string, pendingChanges?: number): Response {
  const headers = res.headers;
  // Decode with sts:DecodeAuthorizationMessage (or, for lab authors, GET /_iamlab/decisions/<id>).
  if (decisionId) headers["x-iamlab-decision-id"] = decisionId;
  // Eventual consistency: how many changes of the caller's account have not reached the data plane yet.
  if (pendingChanges !== undefined) headers["x-iamlab-pending-changes"] = String(pendingChanges);
  // A stored object's Content-Encoding (S3) describes bytes already encoded: without "manual",
  // workerd would compress them once more on the way out.
  const encoded = Object.keys(headers).some((k) => k.toLowerCase() === "content-encoding");
  return new Response(res.body, { status: res.status, headers, ...(encoded ? { encodeBody: "manual" as const } : {}) });
}
