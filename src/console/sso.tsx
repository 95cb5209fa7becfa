/**
 * Browser SSO into the console (issues 19/20), the two ways AWS offers:
 *
 * - **SAML** (`POST /console/saml`, AWS's `https://signin.aws.amazon.com/saml`): an IdP-initiated
 *   SAMLResponse form post. The response is verified exactly as sts:AssumeRoleWithSAML verifies it
 *   (the same action runs, trust policy and all); the Role attribute's role,provider pairs decide
 *   the role — one pair signs in at once, several show AWS's role chooser. A response opens one
 *   console session only: a replay is refused until it expires.
 * - **The federation endpoint** (`GET /console/federation`, AWS's
 *   `https://signin.aws.amazon.com/federation`, the "custom identity broker"): `Action=getSigninToken`
 *   exchanges temporary credentials (AssumeRole*, GetFederationToken) for a sign-in token, and
 *   `Action=login&SigninToken=…&Destination=…` opens the console as that principal. As on AWS the
 *   console session gets credentials of its own (a distinct AccessKeyId) lasting SessionDuration
 *   (900–43,200 s) or, without it, as long as the credentials given. This is also the way from a web
 *   identity (AssumeRoleWithWebIdentity) into the console, as on AWS.
 *
 * Sign-in tokens are single use and live 15 minutes (AWS: "valid for 15 minutes"; single use is
 * iamlab's choice). Destinations outside the console are refused (no open redirect). Error texts:
 * "Your request included an invalid SAML response. To logout, click here." is AWS's; the
 * federation endpoint's error bodies are ours (AWS answers 400 with a short text, unconfirmed).
 */
import type { Context, Hono } from "hono";
import type { Env } from "../env";
import { getDb, type Db } from "../store/db";
import { now } from "../lib/time";
import { fromBase64, toBase64, utf8 } from "../lib/encoding";
import { anonymousCaller } from "../auth/anonymous";
import { consoleActionContext } from "./context";
import { call } from "./call";
import { Csrf, Notice, Page } from "./views/layout";
import { randomToken, idHash } from "./cookies";
import { insertSigninToken, markSamlResponseUsed, takeSigninToken, type ConsoleSessionRow } from "../store/console";
import { AWS_ATTRIBUTE } from "../federation/saml/build";
import { attr, descendants, parseXmlDocument, textOf } from "../federation/saml/xml";
import { SAML_NS } from "../federation/saml/response";
import { resolveSession } from "../sessions/resolver";
import { issueSession } from "../sessions/issue";
import { AwsError } from "../protocol/errors";
import { timingSafeEqual } from "../lib/crypto";
import type { ConsoleLoginFacts } from "../services/cloudtrail/console-login";

type C = Context<{ Bindings: Env }>;

/** What routes.tsx lends the SSO routes (its session and response helpers). */
export interface ConsoleKit {
  html(c: C, body: string, status?: number, cookies?: string[]): Promise<Response>;
  redirect(location: string, cookies?: string[]): Response;
  form(c: C): Promise<Record<string, string>>;
  sameOrigin(c: C): boolean;
  startSession(c: C, db: Db, fields: Omit<ConsoleSessionRow, "idHash" | "csrf" | "createdAt">, t: number): Promise<string>;
  /** ends the browser's current console session, if any */
  endCurrentSession(c: C, db: Db, t: number): Promise<void>;
  /** CloudTrail's ConsoleLogin event of a sign-in, behind the response */
  loginEvent(c: C, account: string, outcome: ConsoleLoginFacts["outcome"], mfaUsed: boolean, t: number, destination?: string): void;
}

export const SIGNIN_TOKEN_MS = 15 * 60_000;
const INVALID_SAML = "Your request included an invalid SAML response. To logout, click here.";
const ROLE_ATTRIBUTE = `${AWS_ATTRIBUTE}Role`;

/** A role,provider pair of the Role attribute (either order, as AWS accepts). */
export interface RolePair {
  roleArn: string;
  providerArn: string;
}

/** The Role attribute's pairs, read from the document before it is verified (only to know which providers to verify against). */
export function rolePairsOf(xml: string): RolePair[] {
  let root: ReturnType<typeof parseXmlDocument>;
  try {
    root = parseXmlDocument(xml);
  } catch {
    return [];
  }
  const out: RolePair[] = [];
  for (const el of descendants(root)) {
    if (el.local !== "Attribute" || el.ns !== SAML_NS || attr(el, "Name") !== ROLE_ATTRIBUTE) continue;
    for (const v of descendants(el)) {
      if (v.local !== "AttributeValue") continue;
      const parts = textOf(v)
        .split(",")
        .map((p) => p.trim());
      const roleArn = parts.find((p) => /^arn:aws:iam::\d{12}:role\//.test(p));
      const providerArn = parts.find((p) => /^arn:aws:iam::\d{12}:saml-provider\//.test(p));
      if (parts.length === 2 && roleArn && providerArn && !out.some((o) => o.roleArn === roleArn && o.providerArn === providerArn))
        out.push({ roleArn, providerArn });
    }
  }
  return out;
}

/** A same-origin console path to land on: RelayState / Destination, else the dashboard. */
export function consoleDestination(raw: string | undefined, origin: string): string {
  if (!raw) return "/console/home";
  try {
    const u = new URL(raw, origin);
    if (u.origin === origin && (u.pathname === "/console" || u.pathname.startsWith("/console/"))) return `${u.pathname}${u.search}`;
  } catch {
    /* not a URL */
  }
  return "/console/home";
}

const sha256 = async (s: string): Promise<string> => toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(s))));

function ssoError(kit: ConsoleKit, c: C, title: string, message: string, detail?: string, status = 400): Promise<Response> {
  return kit.html(
    c,
    String(
      <Page frame={{ title }}>
        <Notice kind="error">{message}</Notice>
        {detail ? <p class="muted">{detail}</p> : null}
        <p>
          <a href="/console/signin">Sign in</a>
        </p>
      </Page>,
    ),
    status,
  );
}

const RoleChooser = ({ response, relay, pairs, csrf }: { response: string; relay: string; pairs: RolePair[]; csrf: string }) => (
  <Page frame={{ title: "Select a role" }}>
    <div class="signin card">
      <p>Select a role:</p>
      <form method="post" action="/console/saml">
        <Csrf token={csrf} />
        <input type="hidden" name="SAMLResponse" value={response} />
        <input type="hidden" name="RelayState" value={relay} />
        {pairs.map((p, i) => (
          <label>
            <input type="radio" name="roleIndex" value={String(i)} checked={i === 0} /> {p.roleArn.split(":").slice(4).join(":")}{" "}
            <span class="muted">({p.roleArn})</span>
          </label>
        ))}
        <button type="submit">Sign in</button>
      </form>
    </div>
  </Page>
);

export function registerSsoRoutes(app: Hono<{ Bindings: Env }>, kit: ConsoleKit): void {
  app.post("/saml", async (c) => {
    const f = await kit.form(c);
    const response = (f.SAMLResponse ?? "").replace(/\s+/g, "");
    const relay = f.RelayState ?? "";
    const bytes = response ? fromBase64(response) : undefined;
    let xml: string | undefined;
    try {
      xml = bytes ? new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) : undefined;
    } catch {
      xml = undefined;
    }
    if (!xml) return ssoError(kit, c, "Sign-in failed", INVALID_SAML, "The SAMLResponse is missing or is not base64 of a UTF-8 document.");
    const pairs = rolePairsOf(xml);
    if (pairs.length === 0)
      return ssoError(kit, c, "Sign-in failed", INVALID_SAML, "The response carries no https://aws.amazon.com/SAML/Attributes/Role pair.");
    // The chooser posts back here with the choice; it must come from this console (the first post comes from the IdP).
    const chosen = f.roleIndex !== undefined ? Number(f.roleIndex) : pairs.length === 1 ? 0 : undefined;
    if (chosen === undefined) {
      const csrf = randomToken();
      const cookie = `iamlab_saml_csrf=${csrf}; Path=/console/saml; HttpOnly; SameSite=Strict; Max-Age=600${new URL(c.req.url).protocol === "https:" ? "; Secure" : ""}`;
      return kit.html(c, String(<RoleChooser response={response} relay={relay} pairs={pairs} csrf={csrf} />), 200, [cookie]);
    }
    if (f.roleIndex !== undefined) {
      const cookieCsrf = /(?:^|;\s*)iamlab_saml_csrf=([\w-]+)/.exec(c.req.header("cookie") ?? "")?.[1];
      if (!kit.sameOrigin(c) || !cookieCsrf || !f._csrf || !timingSafeEqual(cookieCsrf, f._csrf))
        return ssoError(kit, c, "Request refused", "The role chooser expired or did not come from this console.", undefined, 403);
    }
    const pair = Number.isInteger(chosen) ? pairs[chosen] : undefined;
    if (!pair) return ssoError(kit, c, "Sign-in failed", INVALID_SAML, "No such role in the response.");
    const db = getDb(c.env.DB);
    const t = now();
    // The response is verified by AssumeRoleWithSAML itself: signature, time, audience, Role pair, trust policy.
    const ctx = consoleActionContext(c.env, db, anonymousCaller(), c.req.raw, t, (p) => c.executionCtx.waitUntil(p));
    const hash = await sha256(xml);
    // One console session per response: a replay is refused (marked before the call: a failed attempt burns it too).
    if (!(await markSamlResponseUsed(db, hash, t + 60 * 60_000, t)))
      return ssoError(kit, c, "Sign-in failed", INVALID_SAML, "This SAML response was already used to sign in.");
    const r = await call<{
      Credentials: { AccessKeyId: string; SessionToken: string; Expiration: string };
      AssumedRoleUser: { Arn: string };
    }>(ctx, "sts", "AssumeRoleWithSAML", { RoleArn: pair.roleArn, PrincipalArn: pair.providerArn, SAMLAssertion: response });
    if (!r.ok)
      return ssoError(
        kit,
        c,
        "Sign-in failed",
        r.code === "AccessDenied" ? `Not authorized to perform sts:AssumeRoleWithSAML on ${pair.roleArn}.` : INVALID_SAML,
        `${r.code}: ${r.message}`,
        r.code === "AccessDenied" ? 403 : 400,
      );
    return openConsole(
      kit,
      c,
      db,
      t,
      r.output.AssumedRoleUser.Arn,
      r.output.Credentials,
      consoleDestination(relay, new URL(c.req.url).origin),
    );
  });

  // The built-in SAML IdP's "sign in as learner X" link (admin API …/idp/saml/console-link): a page
  // that posts the signed response to /console/saml, as an IdP's own page does (console.js submits it).
  app.get("/saml/post", (c) => {
    const response = c.req.query("SAMLResponse") ?? "";
    const relay = c.req.query("RelayState") ?? "";
    return kit.html(
      c,
      String(
        <Page frame={{ title: "Signing in" }}>
          <div class="signin card">
            <form method="post" action="/console/saml" data-autosubmit="1">
              <input type="hidden" name="SAMLResponse" value={response} />
              <input type="hidden" name="RelayState" value={relay} />
              <p>Signing in through the lab's identity provider…</p>
              <button type="submit">Continue</button>
            </form>
          </div>
        </Page>,
      ),
    );
  });

  app.get("/federation", async (c) => {
    const action = c.req.query("Action");
    if (action === "getSigninToken") return getSigninToken(c);
    if (action === "login") return login(kit, c);
    return plain(400, "Action must be getSigninToken or login.");
  });
}

const plain = (status: number, text: string) =>
  new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

interface SessionJson {
  sessionId: string;
  sessionKey: string;
  sessionToken: string;
}

function parseSessionJson(raw: string | undefined): SessionJson | undefined {
  if (!raw || raw.length > 16_384) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const { sessionId, sessionKey, sessionToken } = v;
    return typeof sessionId === "string" && typeof sessionKey === "string" && typeof sessionToken === "string"
      ? { sessionId, sessionKey, sessionToken }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Action=getSigninToken: temporary credentials of an assumed role or a federated user → a sign-in token. */
async function getSigninToken(c: C): Promise<Response> {
  const session = parseSessionJson(c.req.query("Session"));
  if (!session) return plain(400, 'Session must be the JSON {"sessionId", "sessionKey", "sessionToken"} of temporary credentials.');
  const durationRaw = c.req.query("SessionDuration");
  const duration = durationRaw === undefined ? undefined : Number(durationRaw);
  if (duration !== undefined && (!/^\d+$/.test(durationRaw!) || duration < 900 || duration > 43_200))
    return plain(400, "SessionDuration must be a whole number of seconds from 900 to 43200.");
  const t = now();
  let resolved: Awaited<ReturnType<typeof resolveSession>>;
  try {
    resolved = await resolveSession(c.env, session.sessionId, session.sessionToken, t);
  } catch (e) {
    if (e instanceof AwsError) return plain(400, "The credentials in Session are not valid temporary credentials.");
    throw e;
  }
  if (!timingSafeEqual(resolved.secret, session.sessionKey))
    return plain(400, "The credentials in Session are not valid temporary credentials.");
  const kind = resolved.record.kind;
  // AWS: the federation endpoint takes AssumeRole* and GetFederationToken credentials only.
  if (kind !== "assumedRole" && kind !== "federation")
    return plain(400, "Only credentials from AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity or GetFederationToken can sign in.");
  if (duration !== undefined && kind === "federation")
    return plain(400, "SessionDuration cannot be used with credentials from GetFederationToken (their DurationSeconds sets the session).");
  // AWS: a console session over one hour needs credentials from an AssumeRole* call made with long-term credentials.
  if (duration !== undefined && duration > 3600 && resolved.record.chainDepth > 0)
    return plain(
      400,
      "A SessionDuration over 3600 seconds needs credentials from a role assumed with long-term credentials (not role chaining).",
    );
  const token = await issueSigninToken(getDb(c.env.DB), resolved.record.account, session.sessionId, session.sessionToken, duration, t);
  return new Response(JSON.stringify({ SigninToken: token }), {
    status: 200,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/** A sign-in token for temporary credentials already checked (getSigninToken, the built-in IdPs' console links). */
export async function issueSigninToken(
  db: Db,
  account: string,
  accessKeyId: string,
  sessionToken: string,
  seconds: number | undefined,
  t: number,
): Promise<string> {
  const token = randomToken();
  await insertSigninToken(
    db,
    {
      tokenHash: await idHash(token),
      accountId: account,
      accessKeyId,
      sessionToken,
      sessionSeconds: seconds ?? null,
      expiresAt: t + SIGNIN_TOKEN_MS,
    },
    t,
  );
  return token;
}

/** Action=login: a sign-in token → a console session of its own credentials, then the Destination. */
async function login(kit: ConsoleKit, c: C): Promise<Response> {
  const token = c.req.query("SigninToken") ?? "";
  const issuer = c.req.query("Issuer");
  if (issuer !== undefined && issuer !== "" && !/^https?:\/\//i.test(issuer))
    return ssoError(kit, c, "Sign-in failed", "Issuer must be an http(s) URL.");
  const db = getDb(c.env.DB);
  const t = now();
  const row = token.length >= 16 && token.length <= 256 ? await takeSigninToken(db, await idHash(token), t) : undefined;
  if (!row) return ssoError(kit, c, "Sign-in failed", "The sign-in link is invalid or has expired (links are valid once, for 15 minutes).");
  let resolved: Awaited<ReturnType<typeof resolveSession>>;
  try {
    resolved = await resolveSession(c.env, row.accessKeyId, row.sessionToken, t);
  } catch (e) {
    if (e instanceof AwsError) return ssoError(kit, c, "Sign-in failed", "The credentials behind this sign-in link are no longer valid.");
    throw e;
  }
  // As on AWS, the console session has credentials of its own: the same principal, policies, tags
  // and context, for SessionDuration (or what the given credentials had left).
  const rec = resolved.record;
  const seconds = row.sessionSeconds ?? Math.max(1, Math.floor((rec.expiresAt - t) / 1000));
  const { sessionId: _id, accessKeyId: _key, secretAccessKey: _secret, ...rest } = rec;
  const { credentials } = await issueSession(c.env, t, { ...rest, issuedAt: t, expiresAt: t + seconds * 1000 });
  return openConsole(
    kit,
    c,
    db,
    t,
    rec.principal.arn,
    { AccessKeyId: credentials.AccessKeyId, SessionToken: credentials.SessionToken, Expiration: credentials.Expiration.toISOString() },
    consoleDestination(c.req.query("Destination"), new URL(c.req.url).origin),
  );
}

/** A signed-in console session of temporary credentials (an assumed role or a federated user). */
async function openConsole(
  kit: ConsoleKit,
  c: C,
  db: Db,
  t: number,
  principalArn: string,
  creds: { AccessKeyId: string; SessionToken: string; Expiration: string },
  destination: string,
): Promise<Response> {
  await kit.endCurrentSession(c, db, t);
  const m = /^arn:aws:sts::(\d{12}):(.+)$/.exec(principalArn);
  // CloudTrail's ConsoleLogin, as the federated principal (recorded behind the response).
  const signedIn = await resolveSession(c.env, creds.AccessKeyId, creds.SessionToken, t).catch(() => undefined);
  if (signedIn && m) kit.loginEvent(c, m[1]!, { ok: true, caller: signedIn.caller }, false, t, destination);
  const cookie = await kit.startSession(
    c,
    db,
    {
      accountId: m?.[1] ?? "",
      principalKind: "federated",
      // What the console shows top right: assumed-role/ROLE/SESSION or federated-user/NAME.
      userName: m?.[2] ?? principalArn,
      userId: null,
      stage: "active",
      mfaTime: null,
      stsAccessKeyId: creds.AccessKeyId,
      stsToken: creds.SessionToken,
      roleArn: null,
      roleDisplay: null,
      roleAccessKeyId: null,
      roleToken: null,
      roleExpiresAt: null,
      sourceIp: c.req.header("cf-connecting-ip") ?? "",
      expiresAt: Date.parse(creds.Expiration),
    },
    t,
  );
  return kit.redirect(destination, [cookie]);
}
