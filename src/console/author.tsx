/**
 * The lab author's view of the console (issue 20), signed in with the admin token: the sandbox's
 * accounts, and per account its eventual-consistency simulation (mode, pending changes, flush), its
 * recent requests (the CloudTrail store) and recent denials with the engine's explanation, links to
 * the cross-account Permissions Graph and the lab's grading, and "sign in as learner X" through the
 * account's built-in SAML IdP (issue 19).
 *
 * The session is a stateless cookie of its own (`iamlab-author`, Path=/console/author, HttpOnly,
 * SameSite=Strict, 8 hours): an id with its expiry, MAC'd with IAMLAB_TOKEN_KEY; POSTs carry a CSRF
 * token derived from it. The token is compared in constant time and failed attempts share the admin
 * API's per-IP limiter (src/limits).
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { Env } from "../env";
import { getDb } from "../store/db";
import { now } from "../lib/time";
import { timingSafeEqual } from "../lib/crypto";
import { readCookie, randomToken, signValue, verifyValue } from "./cookies";
import { Csrf, Notice, Page, Table } from "./views/layout";
import { ExplanationTree } from "./views/explanation";
import { tokenKey } from "../sessions/issue";
import { adminLockout, noteAdminFailure, sandboxRateLimits } from "../limits/rate-limiter";
import { getAccount, listAccounts } from "../store/accounts";
import { stub as consistencyStub } from "../consistency/client";
import { queryEvents } from "../store/cloudtrail-events";
import { flushTrail } from "../services/cloudtrail/recorder";
import { decisionForCaller, recentDecisions } from "../authz/decisions";
import { builtinSamlEntityId, mintSamlResponse } from "../federation/builtin-saml-idp";

type C = Context<{ Bindings: Env }>;
const COOKIE = "iamlab-author";
const SESSION_MS = 8 * 60 * 60_000;
const PAGE = 50;

interface Kit {
  html(c: C, body: string, status?: number, cookies?: string[]): Promise<Response>;
  redirect(location: string, cookies?: string[]): Response;
  form(c: C): Promise<Record<string, string>>;
  sameOrigin(c: C): boolean;
}

const secure = (c: C) => new URL(c.req.url).protocol === "https:";
const cookie = (c: C, value: string, maxAge: number) =>
  `${COOKIE}=${value}; Path=/console/author; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure(c) ? "; Secure" : ""}`;
const q = encodeURIComponent;
const ip = (c: C) => c.req.header("cf-connecting-ip") ?? "127.0.0.1";

/** The author session's id (and its CSRF token), or undefined. */
async function authorSession(c: C): Promise<{ id: string; csrf: string } | undefined> {
  const key = tokenKey(c.env);
  if (!key) return undefined;
  const id = await verifyValue(key, readCookie(c.req.header("cookie"), COOKIE));
  const expires = Number(/^author-(\d+)-/.exec(id ?? "")?.[1]);
  if (!id || !(expires > Date.now())) return undefined;
  return { id, csrf: (await signValue(key, `csrf-${id}`)).split(".")[1]! };
}

const frame = (title: string, children: Child, csrf?: string) => (
  <Page frame={{ title }}>
    <p class="muted">
      <a href="/console/author">Accounts</a> · <a href="/console/graph">Permissions Graph (all accounts)</a>
      {csrf ? (
        <form method="post" action="/console/author/signout" class="inline">
          <Csrf token={csrf} />
          <button type="submit">Sign out of the author view</button>
        </form>
      ) : null}
    </p>
    {children}
  </Page>
);

const TokenForm = ({ error }: { error?: string }) =>
  frame(
    "Lab author",
    <div class="signin card">
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/console/author/signin">
        <label for="token">Admin token (IAMLAB_ADMIN_TOKEN)</label>
        <input id="token" name="token" type="password" autocomplete="off" required />
        <button type="submit">Open the author view</button>
      </form>
    </div>,
  );

export function registerAuthorRoutes(app: Hono<{ Bindings: Env }>, kit: Kit): void {
  const html = (c: C, node: unknown, status = 200, cookies: string[] = []) => kit.html(c, String(node), status, cookies);

  /** Signed in as the author (and, for a POST, same origin with the CSRF token), else the token form / a refusal. */
  async function guard(c: C): Promise<{ csrf: string; form: Record<string, string> } | Response> {
    const s = await authorSession(c);
    if (!s) return html(c, <TokenForm />, c.req.method === "GET" ? 200 : 403);
    if (c.req.method !== "POST") return { csrf: s.csrf, form: {} };
    const f = await kit.form(c);
    if (!kit.sameOrigin(c) || !f._csrf || !timingSafeEqual(f._csrf, s.csrf))
      return html(c, frame("Request refused", <Notice kind="error">Invalid CSRF token.</Notice>), 403);
    return { csrf: s.csrf, form: f };
  }

  app.post("/author/signin", async (c) => {
    const limits = sandboxRateLimits(c.env);
    const t = Date.now();
    const wait = adminLockout(limits, ip(c), t);
    if (wait !== undefined) return html(c, <TokenForm error={`Too many failed attempts; try again in ${wait} s.`} />, 429);
    const f = await kit.form(c);
    const expected = c.env.IAMLAB_ADMIN_TOKEN;
    const key = tokenKey(c.env);
    if (!kit.sameOrigin(c) || !expected || !key || !timingSafeEqual(f.token ?? "", expected)) {
      noteAdminFailure(limits, ip(c), t);
      return html(c, <TokenForm error="That is not the admin token." />, 401);
    }
    const value = await signValue(key, `author-${t + SESSION_MS}-${randomToken(16)}`);
    return kit.redirect("/console/author", [cookie(c, value, SESSION_MS / 1000)]);
  });

  app.post("/author/signout", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    return kit.redirect("/console/author", [cookie(c, "", 0)]);
  });

  app.get("/author", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const from = Math.max(0, Number(c.req.query("from")) || 0);
    const find = (c.req.query("find") ?? "").trim().toLowerCase();
    // Newest first (a class's accounts were made last); `?find=` narrows by id or alias.
    const all = (await listAccounts(getDb(c.env.DB)))
      .reverse()
      .filter((a) => !find || a.id.includes(find) || (a.alias ?? "").toLowerCase().includes(find));
    const shown = all.slice(from, from + PAGE);
    return html(
      c,
      frame(
        `Accounts (${all.length})`,
        <>
          <form method="get" action="/console/author" class="inline">
            <input name="find" value={find} placeholder="account id or alias" />
            <button type="submit">Find</button>
          </form>
          <Table
            head={["Account", "Alias", "Created"]}
            rows={shown.map((a) => [<a href={`/console/author/accounts/${q(a.id)}`}>{a.id}</a>, a.alias ?? "", a.createDate])}
            empty="No accounts."
          />
          <p class="pager">
            {from > 0 ? <a href={`/console/author?from=${Math.max(0, from - PAGE)}&find=${q(find)}`}>Previous</a> : null}
            {from > 0 && from + PAGE < all.length ? " · " : null}
            {from + PAGE < all.length ? <a href={`/console/author?from=${from + PAGE}&find=${q(find)}`}>Next</a> : null}
          </p>
        </>,
        g.csrf,
      ),
    );
  });

  app.get("/author/accounts/:id", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const id = c.req.param("id") ?? "";
    const db = getDb(c.env.DB);
    const account = await getAccount(db, id);
    if (!account) return html(c, frame("No such account", <Notice kind="error">No account {id}.</Notice>, g.csrf), 404);
    const t = now();
    const stub = consistencyStub(c.env, id);
    await flushTrail(c.env); // this isolate's latest calls, as any trail reader sees them
    const [{ config, paused }, pending, events, decisions] = await Promise.all([
      stub.getConfig(),
      stub.pendingChanges(t),
      queryEvents(db, id, { startTime: t - 24 * 3_600_000, endTime: t + 60_000, categories: ["Management", "Data"], limit: 50 }),
      recentDecisions(id, db, 200),
    ]);
    const denials = decisions.filter((d) => d.decision !== "allow").slice(0, 10);
    // Only a link this view made (a query parameter must not become a javascript: href).
    const raw = c.req.query("link");
    const link = raw?.startsWith(`${new URL(c.req.url).origin}/console/saml/post?`) ? raw : undefined;
    return html(
      c,
      frame(
        `Account ${id}${account.alias ? ` (${account.alias})` : ""}`,
        <>
          <h2>Eventual consistency</h2>
          <p>
            Mode <strong>{String(config.mode)}</strong>
            {paused ? " (paused)" : ""} · {pending.length} pending change{pending.length === 1 ? "" : "s"}
          </p>
          <form method="post" action={`/console/author/accounts/${q(id)}/flush`} class="inline">
            <Csrf token={g.csrf} />
            <button type="submit">Flush: make every pending change visible now</button>
          </form>
          <h2>Sign in as a learner (built-in SAML IdP)</h2>
          {link ? (
            <Notice kind="ok">
              One-time link (valid 5 minutes): <a href={link}>{link.slice(0, 80)}…</a>
            </Notice>
          ) : null}
          <form method="post" action={`/console/author/accounts/${q(id)}/learner-link`} class="card">
            <Csrf token={g.csrf} />
            <label for="subject">Learner (SAML subject)</label>
            <input id="subject" name="subject" required placeholder="learner-07" />
            <label for="role">Role name</label>
            <input id="role" name="role" required />
            <label for="provider">IAM SAML provider name (registered with this IdP's metadata)</label>
            <input id="provider" name="provider" required />
            <button type="submit">Make a sign-in link</button>
          </form>
          <h2>Recent requests (last 24 hours)</h2>
          <Table
            head={["Time", "Event", "Who", "Error"]}
            rows={events.map((e) => {
              const body = JSON.parse(e.body) as { userIdentity?: { arn?: string; type?: string }; errorCode?: string };
              return [
                new Date(e.eventTime).toISOString(),
                `${e.eventSource.split(".")[0]}:${e.eventName}`,
                body.userIdentity?.arn ?? body.userIdentity?.type ?? "",
                body.errorCode ?? "",
              ];
            })}
            empty="No requests recorded."
          />
          <h2>Recent denials</h2>
          {denials.length === 0 ? <p class="empty">None.</p> : denials.map((d) => <ExplanationTree view={decisionForCaller(d)} />)}
          <p>
            <a href={`/console/graph`}>Permissions Graph</a> (accounts: {id}) · lab results:{" "}
            <code>GET /_iamlab/labs/&lt;lab&gt;/results</code>
          </p>
        </>,
        g.csrf,
      ),
    );
  });

  app.post("/author/accounts/:id/flush", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const id = c.req.param("id") ?? "";
    if (await getAccount(getDb(c.env.DB), id)) await consistencyStub(c.env, id).flush(now());
    return kit.redirect(`/console/author/accounts/${q(id)}`);
  });

  app.post("/author/accounts/:id/learner-link", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const id = c.req.param("id") ?? "";
    const f = g.form;
    const role = `arn:aws:iam::${id}:role/${(f.role ?? "").trim()}`;
    const provider = `arn:aws:iam::${id}:saml-provider/${(f.provider ?? "").trim()}`;
    const subject = (f.subject ?? "").trim();
    const bad = (m: string) => html(c, frame("Sign in as a learner", <Notice kind="error">{m}</Notice>, g.csrf), 400);
    if (!/^[\w+=,.@-]{2,64}$/.test(subject)) return bad("The learner name must be 2–64 characters of letters, digits and +=,.@_-.");
    const minted = await mintSamlResponse(
      getDb(c.env.DB),
      id,
      builtinSamlEntityId(new URL(c.req.url).host, id),
      { subject, roles: [`${role},${provider}`] },
      now(),
    );
    if (!minted) return bad(`No account ${id}.`);
    const link = new URL("/console/saml/post", c.req.url);
    link.searchParams.set("SAMLResponse", minted.samlResponse);
    return kit.redirect(`/console/author/accounts/${q(id)}?link=${q(link.toString())}`);
  });
}
