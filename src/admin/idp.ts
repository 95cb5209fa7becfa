/**
 * The built-in OIDC identity provider's HTTP side (src/federation/builtin-idp.ts):
 * - public, as an IdP's discovery is: `GET /_iamlab/idp/<account>/oidc/.well-known/openid-configuration`
 *   and `GET /_iamlab/idp/<account>/oidc/jwks`;
 * - admin (bearer token, registered on the admin app): `POST /_iamlab/accounts/:id/idp/oidc/token`
 *   `{sub, aud, claims?, expiresIn?}` mints an ID token for a lab identity; `POST …/idp/oidc/rotate`
 *   makes a new signing key (the old ones stay published); `GET …/idp/oidc` says what to register
 *   with IAM (issuer URL, the provider ARN it gets, key ids).
 * The issuer names the host the request came to, always as https (IAM accepts only https providers).
 */
import type { Hono } from "hono";
import type { Env } from "../env";
import { getDb } from "../store/db";
import { accountExists, EXPIRES_IN_MESSAGE, invalid, json, jsonBody, noSuchAccount, validExpiresIn, type IdpContext } from "./idp-http";
import { now } from "../lib/time";
import { afterAdminChange } from "../cache/index";
import { builtinIssuer, discoveryDocument, mintIdToken, publishedKeys, rotateSigningKey } from "../federation/builtin-idp";
import { listIdpKeys } from "../store/idp-keys";
import type { JsonObject } from "../lib/jwt";
import { consoleActionContext } from "../console/context";
import { anonymousCaller } from "../auth/anonymous";
import { call } from "../console/call";
import { issueSigninToken } from "../console/sso";

type C = IdpContext;

const issuerOf = (c: C, account: string) => builtinIssuer(new URL(c.req.url).host, account);

/** The public discovery routes, on the app before the admin API's token check. */
export function registerIdpPublicRoutes(app: Hono<{ Bindings: Env }>): void {
  app.get("/_iamlab/idp/:account/oidc/.well-known/openid-configuration", async (c) => {
    const account = c.req.param("account");
    if (!(await accountExists(c, account))) return noSuchAccount(account);
    return json(200, discoveryDocument(issuerOf(c, account)));
  });
  app.get("/_iamlab/idp/:account/oidc/jwks", async (c) => {
    const account = c.req.param("account");
    if (!(await accountExists(c, account))) return noSuchAccount(account);
    return json(200, { keys: await publishedKeys(getDb(c.env.DB), account, now(), true) });
  });
}

interface MintBody {
  sub: string;
  aud: string | string[];
  claims?: JsonObject;
  expiresIn?: number;
}

/** The mint request's body, or a message saying what is wrong with it. */
function parseMint(v: unknown): MintBody | string {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "Body must be a JSON object.";
  const b = v as Record<string, unknown>;
  if (typeof b.sub !== "string" || b.sub === "") return "sub must be a non-empty string.";
  const aud = b.aud ?? "sts.amazonaws.com";
  if (!(typeof aud === "string" || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === "string"))))
    return "aud must be a string or a non-empty list of strings.";
  if (b.claims !== undefined && (typeof b.claims !== "object" || b.claims === null || Array.isArray(b.claims)))
    return "claims must be a JSON object.";
  if (b.expiresIn !== undefined && !validExpiresIn(b.expiresIn)) return EXPIRES_IN_MESSAGE;
  return {
    sub: b.sub,
    aud: aud as string | string[],
    ...(b.claims ? { claims: b.claims as JsonObject } : {}),
    ...(b.expiresIn !== undefined ? { expiresIn: b.expiresIn as number } : {}),
  };
}

/** The admin routes (registered on the admin app, behind its token check). */
export function registerIdpAdminRoutes(admin: Hono<{ Bindings: Env }>): void {
  admin.get("/accounts/:id/idp/oidc", async (c) => {
    const id = c.req.param("id");
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const issuer = issuerOf(c, id);
    const keys = await listIdpKeys(getDb(c.env.DB), id);
    return json(200, {
      issuer,
      providerArn: `arn:aws:iam::${id}:oidc-provider/${issuer.slice(8)}`,
      discovery: `${issuer}/.well-known/openid-configuration`,
      keys: keys.map((k) => ({ kid: k.kid, active: Boolean(k.active), createdAt: new Date(k.createdAt).toISOString() })),
    });
  });

  admin.post("/accounts/:id/idp/oidc/token", async (c) => {
    const id = c.req.param("id");
    const read = await jsonBody(c);
    if (read instanceof Response) return read;
    const req = parseMint(read.body);
    if (typeof req === "string") return invalid(req);
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const issuer = issuerOf(c, id);
    const minted = await mintIdToken(getDb(c.env.DB), id, issuer, req, now());
    if (!minted) return noSuchAccount(id);
    return json(201, { token: minted.token, issuer, claims: minted.claims });
  });

  // ---- console SSO (issues 19/20): "sign in as learner X" — a token of this IdP, AssumeRoleWithWebIdentity
  // for `roleArn` (the role's trust policy decides, as for any web identity), then a federation-endpoint
  // sign-in link (valid once, 15 minutes). Body: the token's {sub, aud?, claims?} + {roleArn, sessionName?, durationSeconds?}.
  admin.post("/accounts/:id/idp/oidc/console-link", async (c) => {
    const id = c.req.param("id");
    const read = await jsonBody(c);
    if (read instanceof Response) return read;
    const req = parseMint(read.body);
    if (typeof req === "string") return invalid(req);
    const b = read.body as { roleArn?: unknown; sessionName?: unknown; durationSeconds?: unknown };
    if (typeof b.roleArn !== "string") return invalid("roleArn must be the ARN of the role to sign in as.");
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const db = getDb(c.env.DB);
    const t = now();
    const minted = await mintIdToken(db, id, issuerOf(c, id), req, t);
    if (!minted) return noSuchAccount(id);
    const ctx = consoleActionContext(c.env, db, anonymousCaller(), c.req.raw, t, (p) => c.executionCtx.waitUntil(p));
    const r = await call<{ Credentials: { AccessKeyId: string; SessionToken: string } }>(ctx, "sts", "AssumeRoleWithWebIdentity", {
      RoleArn: b.roleArn,
      RoleSessionName:
        typeof b.sessionName === "string"
          ? b.sessionName
          : req.sub
              .replace(/[^\w+=,.@-]/g, "-")
              .slice(0, 64)
              .padEnd(2, "-"),
      WebIdentityToken: minted.token,
      ...(typeof b.durationSeconds === "number" ? { DurationSeconds: b.durationSeconds } : {}),
    });
    if (!r.ok) return json(r.code === "AccessDenied" ? 403 : 400, { error: r.code, message: r.message, decisionId: r.decisionId });
    const token = await issueSigninToken(db, id, r.output.Credentials.AccessKeyId, r.output.Credentials.SessionToken, undefined, t);
    const url = new URL("/console/federation", c.req.url);
    url.searchParams.set("Action", "login");
    url.searchParams.set("Destination", "/console/home");
    url.searchParams.set("SigninToken", token);
    return json(201, { url: url.toString() });
  });
  // ---- end console SSO ----

  admin.post("/accounts/:id/idp/oidc/rotate", async (c) => {
    const id = c.req.param("id");
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const kid = await rotateSigningKey(getDb(c.env.DB), id, now());
    afterAdminChange(id);
    return json(200, { kid });
  });
}
