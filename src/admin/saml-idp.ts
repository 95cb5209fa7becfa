/**
 * The built-in SAML IdP's HTTP side (src/federation/builtin-saml-idp.ts), beside the OIDC one (./idp.ts):
 * - public, as an IdP's metadata is: `GET /_iamlab/idp/<account>/saml/metadata`;
 * - admin (bearer token, on the admin app): `GET /_iamlab/accounts/:id/idp/saml` says what to
 *   register with IAM (entity ID, metadata); `POST …/idp/saml/response` mints a signed SAML
 *   response for a lab identity: `{subject, roles | roleArn + providerArn, sessionName?,
 *   sessionDuration?, principalTags?, transitiveTagKeys?, sourceIdentity?, attributes?,
 *   nameIdFormat?, expiresIn?, issuedAt?, audience?, recipient?, sign?}` → `{samlResponse, …}`.
 * The entity ID names the host the request came to, as https.
 */
import type { Hono } from "hono";
import type { Env } from "../env";
import { getDb } from "../store/db";
import { accountExists, EXPIRES_IN_MESSAGE, invalid, json, jsonBody, noSuchAccount, validExpiresIn, type IdpContext } from "./idp-http";
import { now } from "../lib/time";
import {
  builtinSamlEntityId,
  metadataXml,
  mintSamlResponse,
  retireSamlSigningKey,
  rotateSamlSigningKey,
  samlSigningKey,
  type SamlMintRequest,
} from "../federation/builtin-saml-idp";

type C = IdpContext;

const entityOf = (c: C, account: string) => builtinSamlEntityId(new URL(c.req.url).host, account);

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** The mint request's body, or a message saying what is wrong with it. */
export function parseSamlMint(v: unknown): SamlMintRequest | string {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "Body must be a JSON object.";
  const b = v as Record<string, unknown>;
  if (typeof b.subject !== "string" || b.subject === "") return "subject must be a non-empty string.";
  let roles: string[];
  if (b.roles !== undefined) {
    if (!isStrings(b.roles) || b.roles.length === 0) return 'roles must be a non-empty list of "role-arn,provider-arn" strings.';
    roles = b.roles;
  } else if (typeof b.roleArn === "string" && typeof b.providerArn === "string") roles = [`${b.roleArn},${b.providerArn}`];
  else return "Give roles, or roleArn and providerArn.";
  const out: SamlMintRequest = { subject: b.subject, roles };
  if (b.sessionName !== undefined) {
    if (b.sessionName !== null && typeof b.sessionName !== "string") return "sessionName must be a string (or null to leave it out).";
    out.sessionName = b.sessionName;
  }
  for (const k of ["nameIdFormat", "sourceIdentity", "audience", "recipient"] as const) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== "string") return `${k} must be a string.`;
    out[k] = b[k] as string;
  }
  if (b.sessionDuration !== undefined) {
    if (typeof b.sessionDuration !== "number" || !Number.isInteger(b.sessionDuration)) return "sessionDuration must be an integer.";
    out.sessionDuration = b.sessionDuration;
  }
  if (b.principalTags !== undefined) {
    if (!isStringMap(b.principalTags)) return "principalTags must map tag keys to strings.";
    out.principalTags = b.principalTags;
  }
  if (b.transitiveTagKeys !== undefined) {
    if (!isStrings(b.transitiveTagKeys)) return "transitiveTagKeys must be a list of strings.";
    out.transitiveTagKeys = b.transitiveTagKeys;
  }
  if (b.attributes !== undefined) {
    const a = b.attributes;
    if (typeof a !== "object" || a === null || Array.isArray(a) || !Object.values(a).every((x) => typeof x === "string" || isStrings(x)))
      return "attributes must map attribute names to a string or a list of strings.";
    out.attributes = a as Record<string, string | string[]>;
  }
  if (b.expiresIn !== undefined) {
    if (!validExpiresIn(b.expiresIn)) return EXPIRES_IN_MESSAGE;
    out.expiresIn = b.expiresIn;
  }
  if (b.issuedAt !== undefined) {
    const t = typeof b.issuedAt === "string" ? Date.parse(b.issuedAt) : Number.NaN;
    if (Number.isNaN(t)) return "issuedAt must be an ISO 8601 date-time.";
    out.issuedAt = t;
  }
  if (b.sign !== undefined) {
    if (b.sign !== "both" && b.sign !== "assertion" && b.sign !== "response" && b.sign !== "none")
      return 'sign must be "both", "assertion", "response" or "none".';
    out.sign = { assertion: b.sign === "both" || b.sign === "assertion", response: b.sign === "both" || b.sign === "response" };
  }
  return out;
}

/** The public metadata route, on the app before the admin API's token check. */
export function registerSamlIdpPublicRoutes(app: Hono<{ Bindings: Env }>): void {
  app.get("/_iamlab/idp/:account/saml/metadata", async (c) => {
    const account = c.req.param("account");
    if (!(await accountExists(c, account))) return noSuchAccount(account);
    const key = await samlSigningKey(getDb(c.env.DB), account, now());
    if (!key) return noSuchAccount(account);
    return new Response(metadataXml(entityOf(c, account), key.certificate, key.previousCertificate), {
      status: 200,
      headers: { "content-type": "application/samlmetadata+xml", "cache-control": "no-store" },
    });
  });
}

/** The admin routes (registered on the admin app, behind its token check). */
export function registerSamlIdpAdminRoutes(admin: Hono<{ Bindings: Env }>): void {
  admin.get("/accounts/:id/idp/saml", async (c) => {
    const id = c.req.param("id");
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const key = await samlSigningKey(getDb(c.env.DB), id, now());
    if (!key) return noSuchAccount(id);
    const entityId = entityOf(c, id);
    return json(200, {
      entityId,
      metadataUrl: `${entityId}/metadata`,
      metadata: metadataXml(entityId, key.certificate, key.previousCertificate),
      rotating: Boolean(key.previousCertificate),
    });
  });

  /** A signed response minted from the request's JSON body (the mint request), or the refusal to answer. */
  async function mintFromBody(c: C, id: string) {
    const read = await jsonBody(c);
    if (read instanceof Response) return read;
    const req = parseSamlMint(read.body);
    if (typeof req === "string") return invalid(req);
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const entityId = entityOf(c, id);
    const minted = await mintSamlResponse(getDb(c.env.DB), id, entityId, req, now());
    return minted ? { ...minted, entityId, body: read.body as { relayState?: unknown } } : noSuchAccount(id);
  }

  admin.post("/accounts/:id/idp/saml/response", async (c) => {
    const minted = await mintFromBody(c, c.req.param("id"));
    if (minted instanceof Response) return minted;
    const { samlResponse, entityId, notOnOrAfter } = minted;
    return json(201, { samlResponse, entityId, notOnOrAfter: new Date(notOnOrAfter).toISOString() });
  });

  // ---- console SSO (issues 19/20): key rotation and "sign in as learner X" links ----
  admin.post("/accounts/:id/idp/saml/rotate", async (c) => {
    const id = c.req.param("id");
    if (!(await accountExists(c, id)) || !(await rotateSamlSigningKey(getDb(c.env.DB), id, now()))) return noSuchAccount(id);
    return json(200, { rotating: true, message: "A new key signs from now on; the metadata publishes both certificates until retire." });
  });

  admin.post("/accounts/:id/idp/saml/retire", async (c) => {
    const id = c.req.param("id");
    if (!(await accountExists(c, id))) return noSuchAccount(id);
    const retired = await retireSamlSigningKey(getDb(c.env.DB), id);
    return json(200, { retired, rotating: false });
  });

  // A one-click console sign-in for a lab identity: a page that posts a freshly signed response to /console/saml.
  admin.post("/accounts/:id/idp/saml/console-link", async (c) => {
    const minted = await mintFromBody(c, c.req.param("id"));
    if (minted instanceof Response) return minted;
    const relay = minted.body.relayState;
    const url = new URL("/console/saml/post", c.req.url);
    url.searchParams.set("SAMLResponse", minted.samlResponse);
    if (typeof relay === "string") url.searchParams.set("RelayState", relay);
    return json(201, { url: url.toString(), notOnOrAfter: new Date(minted.notOnOrAfter).toISOString() });
  });
  // ---- end console SSO ----
}
