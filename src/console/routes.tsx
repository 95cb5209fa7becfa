/**
 * The web console at /console (issue 20): sign-in (account + user + password, MFA code, forced
 * password change; or the root user), server-side sessions, CSRF on every POST, sign-out, Switch
 * Role, and the IAM pages (./pages.tsx), each making its calls as the signed-in principal.
 *
 * Sessions: the cookie holds a random id + HMAC (./cookies.ts); the row (src/store/console.ts) holds
 * the principal's STS console session and, after Switch Role, the role session. A new id is issued
 * at every step up (password → MFA → signed in), so an id planted before sign-in never becomes a
 * signed-in session (no fixation). SSO (SAML/OIDC into the console) will land as another way to
 * create the same row: a role session in role_* fields with no base user session.
 */
import { Hono, type Context } from "hono";
import type { Env } from "../env";
import { getDb, type Db } from "../store/db";
import { now } from "../lib/time";
import { timingSafeEqual } from "../lib/crypto";
import {
  deleteConsoleSession,
  getConsoleSession,
  insertConsoleSession,
  updateConsoleSession,
  type ConsoleSessionRow,
  type ConsoleSessionUpdate,
} from "../store/console";
import {
  clearCookieHeader,
  cookieHeader,
  idHash,
  randomToken,
  readCookie,
  SESSION_COOKIE,
  SIGNIN_COOKIE,
  signValue,
  verifyValue,
} from "./cookies";
import {
  checkMfaCode,
  checkPassword,
  CONSOLE_SESSION_MS,
  issueConsoleCredentials,
  passwordState,
  PENDING_MS,
  principalOf,
  type SigninTarget,
} from "./signin";
import { recordConsoleLogin, type ConsoleLoginFacts } from "../services/cloudtrail/console-login";
import { consoleActionContext, consoleCaller, inRole } from "./context";
import { call } from "./call";
import { Csrf, Notice, Page, type Frame } from "./views/layout";
import { CONSOLE_CSS, CONSOLE_JS } from "./static";
import { registerPages, switchRolePage, type ConsoleState } from "./pages";
import { registerMorePages } from "./pages-more";
import { registerEditPages } from "./pages-edit";
import { registerSsoRoutes } from "./sso";
import { registerAuthorRoutes } from "./author";
import { myGraph } from "../admin/graph-routes";
import { admitConsoleSignin, sandboxRateLimits } from "../limits/rate-limiter";
import { AwsError } from "../protocol/errors";
import { tokenKey } from "../sessions/issue";
import type { ActionContext } from "../services/action";

type C = Context<{ Bindings: Env }>;

export const consoleApp = new Hono<{ Bindings: Env }>({ strict: false }).basePath("/console");

/**
 * True for a request that speaks AWS's protocol (SigV4 or SigV2 in a header or the query): an S3
 * path-style request for a bucket named "console" goes to S3, not to the console.
 */
export function isAwsRequest(raw: Request): boolean {
  const auth = raw.headers.get("authorization") ?? "";
  if (auth.startsWith("AWS4-") || auth.startsWith("AWS ")) return true;
  const q = new URL(raw.url).searchParams;
  return q.has("X-Amz-Signature") || q.has("X-Amz-Credential") || q.has("AWSAccessKeyId");
}

/** Every console response: no caching, no framing, scripts and styles from /console/static only. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, which the origin check refuses.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

consoleApp.use("*", async (c, next) => {
  await next();
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!c.res.headers.has(k) || k !== "cache-control") c.res.headers.set(k, v);
});

consoleApp.onError((e, c) => {
  console.error("console error", e instanceof Error ? (e.stack ?? e.message) : e);
  return html(
    c,
    String(
      <Page frame={{ title: "Something went wrong" }}>
        <Notice kind="error">The console could not complete the request; see the server log.</Notice>
        <p>
          <a href="/console/home">Dashboard</a>
        </p>
      </Page>,
    ),
    500,
  );
});

consoleApp.get("/static/console.css", () => new Response(CONSOLE_CSS, { headers: { "content-type": "text/css; charset=utf-8" } }));
consoleApp.get("/static/console.js", () => new Response(CONSOLE_JS, { headers: { "content-type": "text/javascript; charset=utf-8" } }));

const secure = (c: C) => new URL(c.req.url).protocol === "https:";

function html(_c: C, body: string | Promise<string>, status = 200, cookies: string[] = []): Promise<Response> {
  return Promise.resolve(body).then((b) => {
    const headers = new Headers({ "content-type": "text/html; charset=utf-8" });
    for (const k of cookies) headers.append("set-cookie", k);
    return new Response(`<!doctype html>${b}`, { status, headers });
  });
}

function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ location });
  for (const k of cookies) headers.append("set-cookie", k);
  return new Response(null, { status: 303, headers });
}

/** A POST from another origin is refused whatever it carries (SameSite=Strict is the first line). */
function sameOrigin(c: C): boolean {
  const origin = c.req.header("origin");
  return !origin || origin === new URL(c.req.url).origin;
}

/** Console forms are small: a policy document (IAM's 131,072 characters) is the largest field. */
const MAX_FORM_BYTES = 256 * 1024;

async function form(c: C): Promise<Record<string, string>> {
  const ct = c.req.header("content-type") ?? "";
  if (Number(c.req.header("content-length") ?? 0) > MAX_FORM_BYTES) return {};
  if (!ct.includes("application/x-www-form-urlencoded") && !ct.includes("multipart/form-data")) return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

const forbidden = (c: C, why: string) =>
  html(
    c,
    String(
      <Page frame={{ title: "Request refused" }}>
        <Notice kind="error">{why}</Notice>
        <p>
          <a href="/console/signin">Sign in</a>
        </p>
      </Page>,
    ),
    403,
  );

// ------------------------------------------------------------------ sessions

/** The session of the request's cookie (any stage), or undefined. */
async function sessionOf(c: C, db: Db, t: number): Promise<{ row: ConsoleSessionRow; hash: string } | undefined> {
  const key = tokenKey(c.env);
  if (!key) return undefined;
  const id = await verifyValue(key, readCookie(c.req.header("cookie"), SESSION_COOKIE));
  if (!id) return undefined;
  const hash = await idHash(id);
  const row = await getConsoleSession(db, hash, t);
  return row ? { row, hash } : undefined;
}

/** A new session row under a new id (sign-in steps rotate the id); the Set-Cookie that carries it. */
async function startSession(c: C, db: Db, fields: Omit<ConsoleSessionRow, "idHash" | "csrf" | "createdAt">, t: number): Promise<string> {
  const key = tokenKey(c.env)!;
  const id = randomToken();
  await insertConsoleSession(db, { ...fields, idHash: await idHash(id), csrf: randomToken(), createdAt: t });
  return cookieHeader(SESSION_COOKIE, await signValue(key, id), { secure: secure(c), maxAgeSeconds: (fields.expiresAt - t) / 1000 });
}

/** The row's step up: the same session under a new id (the old id is dead at once). */
async function rotate(c: C, db: Db, s: { row: ConsoleSessionRow; hash: string }, u: ConsoleSessionUpdate, t: number): Promise<string> {
  const { idHash: _old, csrf: _csrf, createdAt: _created, ...rest } = s.row;
  const cookie = await startSession(c, db, { ...rest, ...u } as Omit<ConsoleSessionRow, "idHash" | "csrf" | "createdAt">, t);
  await deleteConsoleSession(db, s.hash);
  return cookie;
}

function targetOf(row: ConsoleSessionRow, alias: string | null): SigninTarget {
  return row.principalKind === "root"
    ? { accountId: row.accountId, alias, kind: "root" }
    : {
        accountId: row.accountId,
        alias,
        kind: "user",
        userName: row.userName ?? "",
        userId: row.userId ?? "",
        userArn: `arn:aws:iam::${row.accountId}:user/${row.userName ?? ""}`,
      };
}

// ------------------------------------------------------------------ sign-in

const SigninForm = ({
  csrf,
  error,
  account,
  user,
  root,
}: {
  csrf: string;
  error?: string;
  account?: string;
  user?: string;
  root?: boolean;
}) => (
  <Page frame={{ title: "Sign in" }}>
    <div class="signin card">
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/console/signin">
        <Csrf token={csrf} />
        <label for="account">Account ID (12 digits) or account alias</label>
        <input id="account" name="account" value={account ?? ""} autocomplete="organization" required />
        <label>
          <input type="checkbox" name="root" value="1" checked={root ?? false} /> Root user
        </label>
        <label for="username">IAM user name</label>
        <input id="username" name="username" value={user ?? ""} autocomplete="username" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </div>
  </Page>
);

async function signinPage(
  c: C,
  status = 200,
  extra: { error?: string; account?: string; user?: string; root?: boolean } = {},
): Promise<Response> {
  const key = tokenKey(c.env);
  if (!key)
    return html(
      c,
      String(
        <Page frame={{ title: "Sign in" }}>
          {<Notice kind="error">The console needs IAMLAB_TOKEN_KEY (the key of session tokens).</Notice>}
        </Page>,
      ),
      503,
    );
  const csrf = randomToken();
  const cookie = cookieHeader(SIGNIN_COOKIE, await signValue(key, csrf), { secure: secure(c), maxAgeSeconds: 3600 });
  return html(c, String(<SigninForm csrf={csrf} {...extra} />), status, [cookie]);
}

/** The sign-in forms' CSRF check: the field must equal the id of the signed sign-in cookie. */
async function signinCsrfOk(c: C, f: Record<string, string>): Promise<boolean> {
  const key = tokenKey(c.env);
  if (!key || !sameOrigin(c)) return false;
  const id = await verifyValue(key, readCookie(c.req.header("cookie"), SIGNIN_COOKIE));
  return !!id && !!f._csrf && timingSafeEqual(id, f._csrf);
}

consoleApp.get("/", async (c) => {
  const s = await sessionOf(c, getDb(c.env.DB), now());
  return redirect(s ? "/console/home" : "/console/signin");
});

consoleApp.get("/signin", (c) => signinPage(c));

consoleApp.post("/signin", async (c) => {
  // Per source IP: every attempt costs a PBKDF2, and spraying many user names dodges the per-name lock.
  if (!admitConsoleSignin(sandboxRateLimits(c.env), c.req.header("cf-connecting-ip") ?? "127.0.0.1", Date.now()))
    return signinPage(c, 429, { error: "Too many sign-in attempts from your network. Wait a minute and try again." });
  const f = await form(c);
  if (!(await signinCsrfOk(c, f)))
    return forbidden(c, "The sign-in form expired or did not come from this console. Reload the page and try again.");
  const db = getDb(c.env.DB);
  const t = now();
  const root = f.root === "1";
  const account = (f.account ?? "").slice(0, 64);
  const user = root ? "" : (f.username ?? "").slice(0, 64);
  if (!root && !user) return signinPage(c, 400, { error: "Enter the IAM user name (or choose Root user).", account });
  const out = await checkPassword(db, account, user, (f.password ?? "").slice(0, 128), t);
  if (!out.ok) {
    if (out.accountId)
      loginEvent(c, out.accountId, { ok: false, ...(root ? {} : { userName: user }), userKnown: out.userKnown ?? false }, false, t);
    return signinPage(c, 401, { error: out.message, account, user, root });
  }
  const target = out.target;
  const base = {
    accountId: target.accountId,
    principalKind: target.kind,
    userName: target.userName ?? null,
    userId: target.userId ?? null,
    mfaTime: null,
    stsAccessKeyId: null,
    stsToken: null,
    roleArn: null,
    roleDisplay: null,
    roleAccessKeyId: null,
    roleToken: null,
    roleExpiresAt: null,
    sourceIp: c.req.header("cf-connecting-ip") ?? "",
  };
  // A previous session in this browser ends here (its id is never reused).
  const old = await sessionOf(c, db, t);
  if (old) await deleteConsoleSession(db, old.hash);
  if (out.needsMfa) {
    const cookie = await startSession(c, db, { ...base, stage: "mfa", expiresAt: t + PENDING_MS }, t);
    return redirect("/console/mfa", [cookie]);
  }
  const creds = await issueConsoleCredentials(c.env, db, target, null, t);
  loginEvent(c, target.accountId, { ok: true, caller: { principal: principalOf(target), accessKeyId: "", generation: 0 } }, false, t);
  const stage = out.mustChangePassword ? "password" : "active";
  const cookie = await startSession(
    c,
    db,
    {
      ...base,
      stage,
      stsAccessKeyId: creds.accessKeyId,
      stsToken: creds.token,
      expiresAt: stage === "active" ? creds.expiresAt : t + PENDING_MS,
    },
    t,
  );
  return redirect(stage === "active" ? "/console/home" : "/console/change-password", [cookie, clearCookieHeader(SIGNIN_COOKIE, secure(c))]);
});

/** CloudTrail's ConsoleLogin event of this sign-in, behind the response (src/services/cloudtrail/console-login.ts). */
export function loginEvent(
  c: C,
  account: string,
  outcome: ConsoleLoginFacts["outcome"],
  mfaUsed: boolean,
  t: number,
  destination = "/console/home",
): void {
  c.executionCtx.waitUntil(
    recordConsoleLogin(c.env, {
      account,
      outcome,
      mfaUsed,
      loginTo: `${new URL(c.req.url).origin}${destination}`,
      sourceIp: c.req.header("cf-connecting-ip") ?? "127.0.0.1",
      userAgent: c.req.header("user-agent") ?? "",
      now: t,
    }),
  );
}

const MfaForm = ({ csrf, error }: { csrf: string; error?: string }) => (
  <Page frame={{ title: "Multi-factor authentication" }}>
    <div class="signin card">
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p>Enter the code from your virtual MFA device.</p>
      <form method="post" action="/console/mfa">
        <Csrf token={csrf} />
        <label for="code">MFA code</label>
        <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required />
        <button type="submit">Submit</button>
      </form>
    </div>
  </Page>
);

consoleApp.get("/mfa", async (c) => {
  const s = await sessionOf(c, getDb(c.env.DB), now());
  if (s?.row.stage !== "mfa") return redirect("/console/signin");
  return html(c, String(<MfaForm csrf={s.row.csrf} />));
});

consoleApp.post("/mfa", async (c) => {
  const db = getDb(c.env.DB);
  const t = now();
  const s = await sessionOf(c, db, t);
  const f = await form(c);
  if (s?.row.stage !== "mfa") return redirect("/console/signin");
  if (!sameOrigin(c) || !f._csrf || !timingSafeEqual(f._csrf, s.row.csrf)) return forbidden(c, "Invalid CSRF token.");
  const target = targetOf(s.row, null);
  const r = await checkMfaCode(db, target, f.code ?? "", t);
  if (!r.ok) {
    loginEvent(
      c,
      target.accountId,
      { ok: false, ...(target.kind === "root" ? {} : { userName: target.userName ?? "" }), userKnown: true },
      true,
      t,
    );
    return html(c, String(<MfaForm csrf={s.row.csrf} error={r.message} />), 401);
  }
  // The password step decided whether a change is due; it is asked again here (cheap, and current).
  const creds = await issueConsoleCredentials(c.env, db, target, t, t);
  loginEvent(c, target.accountId, { ok: true, caller: { principal: principalOf(target), accessKeyId: "", generation: 0 } }, true, t);
  const mustChange = target.kind === "user" && (await passwordState(db, target.accountId, target.userId!, t)) !== "ok";
  const stage = mustChange ? "password" : "active";
  const cookie = await rotate(
    c,
    db,
    s,
    {
      stage,
      mfaTime: t,
      stsAccessKeyId: creds.accessKeyId,
      stsToken: creds.token,
      expiresAt: stage === "active" ? creds.expiresAt : t + PENDING_MS,
    },
    t,
  );
  return redirect(stage === "active" ? "/console/home" : "/console/change-password", [cookie, clearCookieHeader(SIGNIN_COOKIE, secure(c))]);
});

const ChangePasswordForm = ({ csrf, error, user }: { csrf: string; error?: string | undefined; user: string }) => (
  <Page frame={{ title: "Change password" }}>
    <div class="signin card">
      <p>
        Your password must be changed before you continue, <strong>{user}</strong>.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/console/change-password">
        <Csrf token={csrf} />
        <label for="old">Old password</label>
        <input id="old" name="old" type="password" autocomplete="current-password" required />
        <label for="new">New password</label>
        <input id="new" name="new" type="password" autocomplete="new-password" required />
        <label for="confirm">Retype new password</label>
        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
        <button type="submit">Confirm password change</button>
      </form>
    </div>
  </Page>
);

consoleApp.get("/change-password", async (c) => {
  const s = await sessionOf(c, getDb(c.env.DB), now());
  if (s?.row.stage !== "password") return redirect("/console/signin");
  return html(c, String(<ChangePasswordForm csrf={s.row.csrf} user={s.row.userName ?? ""} />));
});

consoleApp.post("/change-password", async (c) => {
  const db = getDb(c.env.DB);
  const t = now();
  const s = await sessionOf(c, db, t);
  const f = await form(c);
  if (s?.row.stage !== "password") return redirect("/console/signin");
  if (!sameOrigin(c) || !f._csrf || !timingSafeEqual(f._csrf, s.row.csrf)) return forbidden(c, "Invalid CSRF token.");
  const again = (error: string) => html(c, String(<ChangePasswordForm csrf={s.row.csrf} user={s.row.userName ?? ""} error={error} />), 400);
  if ((f.new ?? "") !== (f.confirm ?? "")) return again("The new passwords do not match.");
  const caller = await consoleCaller(c.env, s.row, t);
  if (!caller) return redirect("/console/signin", [clearCookieHeader(SESSION_COOKIE, secure(c))]);
  const ctx = consoleActionContext(c.env, db, caller, c.req.raw, t, (p) => c.executionCtx.waitUntil(p));
  // IAM's own ChangePassword: the password policy, PasswordReusePrevention and iam:ChangePassword hold.
  const r = await call(ctx, "iam", "ChangePassword", { OldPassword: f.old ?? "", NewPassword: f.new ?? "" });
  if (!r.ok) return again(r.code === "PasswordPolicyViolation" ? r.message : `${r.code}: ${r.message}`);
  const cookie = await rotate(c, db, s, { stage: "active", expiresAt: t + CONSOLE_SESSION_MS }, t);
  return redirect("/console/home", [cookie]);
});

consoleApp.post("/signout", async (c) => {
  const db = getDb(c.env.DB);
  const s = await sessionOf(c, db, now());
  const f = await form(c);
  if (s) {
    if (!sameOrigin(c) || !f._csrf || !timingSafeEqual(f._csrf, s.row.csrf)) return forbidden(c, "Invalid CSRF token.");
    await deleteConsoleSession(db, s.hash);
  }
  return redirect("/console/signin", [clearCookieHeader(SESSION_COOKIE, secure(c))]);
});

// ------------------------------------------------------------------ signed-in pages

/** Signed in (stage active) with credentials that still resolve; else a redirect to sign-in. */
async function signedIn(c: C): Promise<{ state: ConsoleState; s: { row: ConsoleSessionRow; hash: string } } | Response> {
  const db = getDb(c.env.DB);
  const t = now();
  const s = await sessionOf(c, db, t);
  if (!s) return redirect("/console/signin", [clearCookieHeader(SESSION_COOKIE, secure(c))]);
  if (s.row.stage === "mfa") return redirect("/console/mfa");
  if (s.row.stage === "password") return redirect("/console/change-password");
  const caller = await consoleCaller(c.env, s.row, t);
  if (!caller) {
    await deleteConsoleSession(db, s.hash);
    return redirect("/console/signin", [clearCookieHeader(SESSION_COOKIE, secure(c))]);
  }
  const ctx: ActionContext = consoleActionContext(c.env, db, caller, c.req.raw, t, (p) => c.executionCtx.waitUntil(p));
  const role = inRole(s.row, t);
  const account = s.row.accountId;
  const who = role
    ? `${s.row.roleDisplay ?? s.row.roleArn ?? ""} @ ${account}`
    : s.row.principalKind === "root"
      ? `root @ ${account}`
      : `${s.row.userName ?? ""} @ ${account}`;
  const frame: Omit<Frame, "title"> = { csrf: s.row.csrf, who, account, inRole: role };
  return { state: { ctx, frame, row: s.row, csrf: s.row.csrf, now: t }, s };
}

/** Signed in, and for a POST a matching CSRF token (form field `_csrf` or header x-csrf-token) from this origin. */
export async function guard(c: C): Promise<{ state: ConsoleState; form: Record<string, string> } | Response> {
  const r = await signedIn(c);
  if (r instanceof Response) return r;
  if (c.req.method !== "POST") return { state: r.state, form: {} };
  const f = await form(c);
  const token = f._csrf ?? c.req.header("x-csrf-token") ?? "";
  if (!sameOrigin(c) || !token || !timingSafeEqual(token, r.state.csrf)) return forbidden(c, "Invalid CSRF token.");
  return { state: r.state, form: f };
}

export const render = (c: C, node: unknown, status = 200) => html(c, String(node), status);

// Switch Role: AssumeRole as the signed-in user (its trust policy and the user's permissions decide).
consoleApp.post("/switch-role", async (c) => {
  const g = await guard(c);
  if (g instanceof Response) return g;
  const { state, form: f } = g;
  const db = getDb(c.env.DB);
  const t = state.now;
  const s = await sessionOf(c, db, t);
  if (!s) return redirect("/console/signin");
  const accountId = (f.account ?? "").trim();
  const roleName = (f.role ?? "").trim();
  const display = (f.display ?? "").trim().slice(0, 64) || roleName;
  if (!/^\d{12}$/.test(accountId) || !roleName)
    return render(c, switchRolePage(state, { error: "Enter the 12-digit account ID and the role name." }), 400);
  // From a role session the console switches from the user again (AWS's console does the same).
  const base = await consoleCaller(c.env, { ...s.row, roleAccessKeyId: null, roleToken: null }, t);
  if (!base) return redirect("/console/signin");
  const ctx = consoleActionContext(c.env, db, base, c.req.raw, t, (p) => c.executionCtx.waitUntil(p));
  const sessionName = (s.row.principalKind === "root" ? "root" : (s.row.userName ?? "console")).replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  const roleArn = roleName.startsWith("arn:") ? roleName : `arn:aws:iam::${accountId}:role/${roleName}`;
  const r = await call<{ Credentials: { AccessKeyId: string; SessionToken: string; Expiration: string } }>(ctx, "sts", "AssumeRole", {
    RoleArn: roleArn,
    RoleSessionName: sessionName,
  });
  if (!r.ok) return render(c, switchRolePage(state, { failure: r }), 403);
  await updateConsoleSession(db, s.hash, {
    roleArn,
    roleDisplay: display,
    roleAccessKeyId: r.output.Credentials.AccessKeyId,
    roleToken: r.output.Credentials.SessionToken,
    roleExpiresAt: Date.parse(r.output.Credentials.Expiration),
  });
  return redirect("/console/home");
});

consoleApp.post("/switch-back", async (c) => {
  const g = await guard(c);
  if (g instanceof Response) return g;
  const db = getDb(c.env.DB);
  const s = await sessionOf(c, db, g.state.now);
  if (s)
    await updateConsoleSession(db, s.hash, {
      roleArn: null,
      roleDisplay: null,
      roleAccessKeyId: null,
      roleToken: null,
      roleExpiresAt: null,
    });
  return redirect("/console/home");
});

registerPages(consoleApp, guard, render);
registerMorePages(consoleApp, guard, render);
registerEditPages(consoleApp, guard, render);

// ---- console SSO (issues 19/20): SAML into the console and the federation endpoint (./sso.tsx) ----
registerSsoRoutes(consoleApp, {
  html: (c, body, status, cookies) => html(c, body, status, cookies),
  redirect,
  form,
  sameOrigin,
  startSession,
  async endCurrentSession(c, db, t) {
    const old = await sessionOf(c, db, t);
    if (old) await deleteConsoleSession(db, old.hash);
  },
  loginEvent,
});
// ---- end console SSO ----

// ---- the lab author's view (./author.tsx) ----
registerAuthorRoutes(consoleApp, { html: (c, body, status, cookies) => html(c, body, status, cookies), redirect, form, sameOrigin });

// ---- the Permissions Graph of the signed-in principal's account (the page is /console/my-graph, src/graph/page.ts) ----
for (const [suffix, view] of [
  ["", "graph"],
  ["/escalations", "escalations"],
  ["/reach", "reach"],
] as const)
  consoleApp.get(`/graph/data${suffix}`, async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return Response.json({ error: "NotSignedIn", message: "Sign in to the console first." }, { status: 401 });
    try {
      return await myGraph(g.state.ctx, view, new URL(c.req.url));
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      const id = g.state.ctx.decisionId;
      return Response.json(
        {
          error: e.code,
          message: e.message,
          ...(id ? { decisionId: id, explanation: `why: /console/why-denied?id=${id}` } : {}),
        },
        { status: e.status },
      );
    }
  });
// ---- end graph ----

consoleApp.all("*", (c) =>
  html(
    c,
    String(
      <Page frame={{ title: "Not found" }}>
        <p>
          No console page here. <a href="/console/home">Dashboard</a>
        </p>
      </Page>,
    ),
    404,
  ),
);
