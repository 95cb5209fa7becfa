/**
 * Admin API (JSON) under /_iamlab/, guarded by the admin bearer token: sandbox accounts
 * (create / list / get / delete with everything they own) and, where enabled, the test clock.
 */
import { DURABLE_BINDINGS, durableStub, injectDurableFaults, injectedDurableFaults, type DurableBinding } from "../lib/durable";
import { flushTrail } from "../services/cloudtrail/recorder";
import { deliveryStub } from "../services/cloudtrail/trails";
import { Hono } from "hono";
import type { Env } from "../env";
import { getDb } from "../store/db";
import { createAccount, deleteAccount, getAccount, listAccounts, restoreRootKey, updateAccountSettings } from "../store/accounts";
import { newAccessKeyId, newAccountId, newSecretAccessKey } from "../lib/ids";
import { now, setClockOffset, clockOffset, MAX_CLOCK_OFFSET_MS } from "../lib/time";
import { getDecision } from "../authz/decisions";
import { afterAdminChange, afterClockMove } from "../cache/index";
import { timingSafeEqual } from "../lib/crypto";
import { parseConfig } from "../consistency/delay";
import { setConsistency } from "../consistency/client";
import { assumeRoleAsService } from "../services/sts/service-sessions";
import { AwsError } from "../protocol/errors";
import { defaultConsistency } from "../consistency/defaults";
import { forgetAccountState, queueStateOf, resetAccountState } from "./account-lifecycle";
import { createLearner, learnerSnippets, parseLearner } from "./onboarding";
import { registerIdpAdminRoutes } from "./idp";
// --- hosted (issue 22) ---
import { adminLockout, noteAdminFailure, sandboxRateLimits } from "../limits/rate-limiter";
import { parseAccountRateLimits, readStoredRateLimits } from "../limits/config";
import { forgetAccountRateLimits } from "../limits/enforce";
import { getAccountRateLimits, setAccountRateLimits } from "../store/account-limits";
import { accountCap, countAccounts } from "../limits/quotas";
// --- end hosted ---
// --- saml (issue 19) ---
import { registerSamlIdpAdminRoutes } from "./saml-idp";
import { registerLabAdminRoutes } from "../labs/routes";
import { setRootPassword } from "../store/console";
import { hashPassword, passwordPolicyViolation } from "../lib/password";
import { registerGraphAdminRoutes } from "./graph-routes";

export const admin = new Hono<{ Bindings: Env }>();

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const MAX_BODY = 64 * 1024;

/**
 * The JSON object a route was sent: undefined for an empty body; a ready 400 (not JSON, or JSON
 * that is not an object: null, an array, a string, a number) or 413 (over 64 KiB) Response otherwise.
 */
async function jsonObject(req: Request): Promise<Record<string, unknown> | undefined | Response> {
  const tooLarge = () => json(413, { error: "RequestEntityTooLarge", message: `The body must be at most ${MAX_BODY} bytes.` });
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY) return tooLarge();
  if (!req.body) return undefined;
  // Count what arrives rather than trust the header (chunked bodies have none).
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  if (!text.trim()) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "InvalidRequest", message: "Body must be JSON." });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return json(400, { error: "InvalidRequest", message: "Body must be a JSON object." });
  return body as Record<string, unknown>;
}

function noSuchAccount(id: string): Response {
  return json(404, { error: "NoSuchAccount", message: `Account ${id} does not exist.` });
}

admin.use("*", async (c, next) => {
  const token = c.env.IAMLAB_ADMIN_TOKEN;
  if (!token) return json(404, { error: "AdminApiDisabled", message: "The admin API is disabled: set IAMLAB_ADMIN_TOKEN." });
  const auth = c.req.header("authorization") ?? "";
  // Failed attempts are limited per source IP (issue 22): guessing the token takes forever.
  const ip = c.req.header("cf-connecting-ip") ?? "127.0.0.1";
  const limits = sandboxRateLimits(c.env);
  const wait = adminLockout(limits, ip, Date.now());
  if (wait !== undefined)
    return new Response(
      JSON.stringify({ error: "TooManyRequests", message: `Too many failed admin attempts from ${ip}; retry in ${wait} s.` }),
      {
        status: 429,
        headers: { "content-type": "application/json", "retry-after": String(wait) },
      },
    );
  // Constant time: the comparison's time depends on the length only.
  if (!auth.startsWith("Bearer ") || !timingSafeEqual(auth.slice(7), token)) {
    noteAdminFailure(limits, ip, Date.now());
    return json(401, { error: "Unauthorized", message: "A valid admin bearer token is required." });
  }
  await next();
});

const ACCOUNT_ID = /^\d{12}$/;
const ALIAS = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

admin.post("/accounts", async (c) => {
  const parsed = await jsonObject(c.req.raw);
  if (parsed instanceof Response) return parsed;
  const body = parsed ?? {};
  if (body.accountId !== undefined && (typeof body.accountId !== "string" || !ACCOUNT_ID.test(body.accountId)))
    return json(400, { error: "InvalidAccountId", message: "accountId must be 12 digits." });
  if (body.alias !== undefined && (typeof body.alias !== "string" || !ALIAS.test(body.alias)))
    return json(400, { error: "InvalidAlias", message: "alias must be 3-63 lower-case letters, digits and single hyphens." });
  // console (issue 20): the root user's console password, checked like AWS's root password (IAM's default policy).
  const rootPassword = body.rootPassword === undefined ? undefined : rootPasswordProblem(body.rootPassword);
  if (rootPassword && !rootPassword.ok) return json(400, { error: "InvalidRootPassword", message: rootPassword.message });
  const learner = body.learner === undefined ? undefined : parseLearner(body.learner);
  if (typeof learner === "string") return json(400, { error: "InvalidLearner", message: learner });
  const db = getDb(c.env.DB);
  const alias = (body.alias as string | undefined) ?? null;
  // The sandbox-wide cap on accounts (IAMLAB_MAX_ACCOUNTS; issue 22). A race may pass it by a few: it bounds, it does not count exactly.
  const cap = accountCap(c.env);
  if ((await countAccounts(db)) >= cap)
    return json(409, {
      error: "AccountLimitExceeded",
      message: `The sandbox holds its maximum of ${cap} accounts (IAMLAB_MAX_ACCOUNTS); delete one first.`,
    });
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = (body.accountId as string | undefined) ?? newAccountId();
    try {
      const created = await createAccount(db, id, alias, now());
      if (created) {
        // The id may have lived before (deleted, or state left by an older version): start from nothing.
        await forgetAccountState(c.env, id);
        let onboarded: Record<string, unknown> = {};
        if (learner) {
          const l = await createLearner(db, id, learner, now());
          if (typeof l === "string") {
            // Nothing half-made: the account goes again.
            await deleteAccount(db, id);
            await forgetAccountState(c.env, id);
            return json(400, { error: "InvalidLearner", message: l });
          }
          onboarded = { learner: l, ...learnerSnippets(alias ?? `iamlab-${id}`, l) };
        }
        const cfg = defaultConsistency(c.env);
        if (cfg.mode !== "off") await setConsistency(c.env, db, id, cfg);
        if (rootPassword?.ok) await setRootPassword(db, id, await hashPassword(rootPassword.password));
        return json(201, { ...created, ...onboarded });
      }
    } catch (e) {
      if (alias && String(e).includes("UNIQUE"))
        return json(409, { error: "AliasTaken", message: `The alias ${alias} is already in use.` });
      throw e;
    }
    if (body.accountId !== undefined) return json(409, { error: "AccountExists", message: `Account ${id} already exists.` });
  }
  return json(503, { error: "Retry", message: "Could not allocate an account id." });
});

admin.get("/accounts", async (c) => {
  const rows = await listAccounts(getDb(c.env.DB));
  return json(200, { accounts: rows.map((r) => ({ accountId: r.id, alias: r.alias, createDate: r.createDate })) });
});

admin.get("/accounts/:id", async (c) => {
  const row = await getAccount(getDb(c.env.DB), c.req.param("id"));
  if (!row) return noSuchAccount(c.req.param("id"));
  return json(200, {
    accountId: row.id,
    alias: row.alias,
    createDate: row.createDate,
    generation: row.generation,
    explainDenials: Boolean(row.explainDenials), // SQLite's 0 / 1 through the raw query
  });
});

// Lab settings: {"explainDenials": true} appends "(iamlab decision <id>: <reason>)" to the account's denial messages.
admin.patch("/accounts/:id", async (c) => {
  const id = c.req.param("id");
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  const unknown = Object.keys(body ?? {}).filter((k) => k !== "explainDenials");
  if (!body || unknown.length || typeof body.explainDenials !== "boolean")
    return json(400, {
      error: "InvalidRequest",
      message: `Send {"explainDenials": true | false}${unknown.length ? ` (unknown setting ${unknown.join(", ")})` : ""}.`,
    });
  if (!(await updateAccountSettings(getDb(c.env.DB), id, { explainDenials: body.explainDenials }))) return noSuchAccount(id);
  afterAdminChange(id);
  return json(200, { accountId: id, explainDenials: body.explainDenials });
});

// --- hosted (issue 22): an account's own rate limits ---
// PUT {"account": {"perSecond": 2, "burst": 5}, "accessKey": "off"}: each replaces the sandbox's rule for this account.
admin.get("/accounts/:id/limits", async (c) => {
  const id = c.req.param("id");
  const row = await getAccountRateLimits(getDb(c.env.DB), id);
  if (!row) return noSuchAccount(id);
  return json(200, { accountId: id, sandbox: sandboxRateLimits(c.env), account: readStoredRateLimits(row.json) ?? {} });
});
admin.put("/accounts/:id/limits", async (c) => {
  const id = c.req.param("id");
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  const own = parseAccountRateLimits(body ?? {});
  if (typeof own === "string") return json(400, { error: "InvalidRequest", message: own });
  const stored = Object.keys(own).length ? JSON.stringify(own) : null;
  if (!(await setAccountRateLimits(getDb(c.env.DB), id, stored))) return noSuchAccount(id);
  forgetAccountRateLimits(id);
  return json(200, { accountId: id, sandbox: sandboxRateLimits(c.env), account: own });
});
admin.delete("/accounts/:id/limits", async (c) => {
  const id = c.req.param("id");
  if (!(await setAccountRateLimits(getDb(c.env.DB), id, null))) return noSuchAccount(id);
  forgetAccountRateLimits(id);
  return json(200, { accountId: id, sandbox: sandboxRateLimits(c.env), account: {} });
});
// --- end hosted ---

admin.delete("/accounts/:id", async (c) => {
  const id = c.req.param("id");
  const forgetQueues = await queueStateOf(c.env, getDb(c.env.DB), id);
  const deleted = await deleteAccount(getDb(c.env.DB), id);
  afterAdminChange(id);
  // Its sessions, consistency state, queues' messages and this isolate's decisions go too (an account created again with this id starts empty).
  if (deleted) await Promise.all([forgetAccountState(c.env, id), forgetQueues()]);
  if (!deleted) return json(404, { error: "NoSuchAccount", message: `Account ${id} does not exist.` });
  return json(200, { deleted: id });
});

// A new root access key for an account (Organizations' CreateAccount makes accounts nobody holds a key of):
// the lab author's way in as the member's root user.
admin.post("/accounts/:id/root-access-key", async (c) => {
  const id = c.req.param("id");
  const db = getDb(c.env.DB);
  if (!ACCOUNT_ID.test(id) || !(await getAccount(db, id))) return noSuchAccount(id);
  const key = { id: newAccessKeyId(id, false), secret: newSecretAccessKey() };
  await restoreRootKey(db, id, key.id, key.secret, now());
  afterAdminChange(id);
  return json(201, { accountId: id, rootAccessKeyId: key.id, rootSecretAccessKey: key.secret });
});

// ---- console (issue 20): the root user's console password ({"password": "…"}, or null to remove it) ----
admin.put("/accounts/:id/root-password", async (c) => {
  const id = c.req.param("id");
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  if (!body || !("password" in body))
    return json(400, { error: "InvalidRequest", message: 'Send {"password": "…"} (or {"password": null} to remove it).' });
  const checked = body.password === null ? null : rootPasswordProblem(body.password);
  if (checked && !checked.ok) return json(400, { error: "InvalidRootPassword", message: checked.message });
  const hash = checked ? await hashPassword(checked.password) : null;
  if (!ACCOUNT_ID.test(id) || !(await setRootPassword(getDb(c.env.DB), id, hash))) return noSuchAccount(id);
  return json(200, { accountId: id, rootPassword: hash ? "set" : "removed" });
});

function rootPasswordProblem(v: unknown): { ok: true; password: string } | { ok: false; message: string } {
  if (typeof v !== "string" || v.length > 128) return { ok: false, message: "rootPassword must be a string of at most 128 characters." };
  const violation = passwordPolicyViolation(v, null);
  return violation ? { ok: false, message: violation } : { ok: true, password: v };
}
// ---- end console ----

admin.post("/accounts/:id/reset", async (c) => {
  const id = c.req.param("id");
  if (!ACCOUNT_ID.test(id) || !(await resetAccountState(c.env, id, now()))) return noSuchAccount(id);
  return json(200, { reset: id });
});

// ---- eventual consistency (per account) ----
function consistencyStub(env: Env, id: string) {
  return durableStub(env.CONSISTENCY, id, "CONSISTENCY");
}

admin.get("/accounts/:id/consistency", async (c) => {
  const id = c.req.param("id");
  if (!(await getAccount(getDb(c.env.DB), id))) return noSuchAccount(id);
  const stub = consistencyStub(c.env, id);
  const { config, paused } = await stub.getConfig();
  return json(200, { accountId: id, ...config, paused, pendingChanges: await stub.pendingChanges(now()) });
});

admin.put("/accounts/:id/consistency", async (c) => {
  const id = c.req.param("id");
  const db = getDb(c.env.DB);
  if (!(await getAccount(db, id))) return noSuchAccount(id);
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  const cfg = parseConfig(body ?? null);
  if (typeof cfg === "string") return json(400, { error: "InvalidConsistencyConfig", message: cfg });
  await setConsistency(c.env, db, id, cfg);
  afterAdminChange(id);
  return json(200, { accountId: id, ...cfg });
});

admin.post("/accounts/:id/consistency/flush", async (c) => {
  const id = c.req.param("id");
  // Checked before the Durable Object is touched: asking it would create its state.
  if (!(await getAccount(getDb(c.env.DB), id))) return noSuchAccount(id);
  const flushed = await consistencyStub(c.env, id).flush(now());
  return json(200, { accountId: id, flushed });
});

admin.post("/accounts/:id/consistency/pause", async (c) => {
  const id = c.req.param("id");
  if (!(await getAccount(getDb(c.env.DB), id))) return noSuchAccount(id);
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  if (body?.paused !== undefined && typeof body.paused !== "boolean")
    return json(400, { error: "InvalidRequest", message: "paused must be true or false." });
  const paused = body?.paused !== false;
  await consistencyStub(c.env, id).setPaused(paused);
  return json(200, { accountId: id, paused });
});

// ---- a service assuming a role (labs that emulate EC2, Lambda …) ----
admin.post("/accounts/:id/service-sessions", async (c) => {
  const id = c.req.param("id");
  const db = getDb(c.env.DB);
  if (!(await getAccount(db, id))) return noSuchAccount(id);
  const b = await jsonObject(c.req.raw);
  if (b instanceof Response) return b;
  const roleName = typeof b?.roleName === "string" ? b.roleName : typeof b?.roleArn === "string" ? b.roleArn.split("/").pop() : undefined;
  if (
    !b ||
    typeof b.service !== "string" ||
    !roleName ||
    (b.sessionName !== undefined && typeof b.sessionName !== "string") ||
    (b.durationSeconds !== undefined && !Number.isInteger(b.durationSeconds))
  )
    return json(400, {
      error: "InvalidRequest",
      message: "Send {service: 'ec2.amazonaws.com', roleName | roleArn, sessionName?: string, durationSeconds?: integer}.",
    });
  try {
    const out = await assumeRoleAsService(
      c.env,
      db,
      id,
      {
        service: b.service,
        roleName,
        sessionName: typeof b.sessionName === "string" ? b.sessionName : `${b.service.split(".")[0]}-session`,
        durationSeconds: typeof b.durationSeconds === "number" ? b.durationSeconds : 3600,
      },
      now(),
    );
    return json(201, out);
  } catch (e) {
    if (e instanceof AwsError) return json(e.status, { error: e.code, message: e.message });
    throw e;
  }
});

admin.get("/decisions/:id", async (c) => {
  const rec = await getDecision(c.req.param("id"), getDb(c.env.DB));
  if (!rec) return json(404, { error: "NoSuchDecision", message: "Unknown or expired decision id (decisions are kept for a day)." });
  return json(200, rec);
});

admin.get("/clock", (_c) => json(200, { now: new Date(now()).toISOString(), offsetMs: clockOffset() }));
admin.post("/clock", async (c) => {
  if (c.env.IAMLAB_TEST_CLOCK !== "true")
    return json(403, { error: "ClockDisabled", message: "Set IAMLAB_TEST_CLOCK=true to move the sandbox clock." });
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  const offset =
    typeof body?.offsetMs === "number" ? body.offsetMs : typeof body?.setTo === "string" ? Date.parse(body.setTo) - Date.now() : NaN;
  // JSON allows 1e308; a clock that far off breaks every date (toISOString throws): ±10 years.
  if (!Number.isFinite(offset) || Math.abs(offset) > MAX_CLOCK_OFFSET_MS)
    return json(400, {
      error: "InvalidRequest",
      message: `Send {offsetMs: number} or {setTo: ISO date}, within ${MAX_CLOCK_OFFSET_MS} ms (10 years) of the real time.`,
    });
  setClockOffset(Math.round(offset));
  // Cached reads may depend on "now" (credential-report age, key ages): start afresh.
  afterClockMove();
  return json(200, { now: new Date(now()).toISOString(), offsetMs: clockOffset() });
});

// ---- hosted (issue 22): fault injection for tests — the next n calls to a Durable Object binding fail ----
admin.get("/faults", (_c) => json(200, { durableObjects: injectedDurableFaults() }));
admin.post("/faults", async (c) => {
  if (c.env.IAMLAB_TEST_CLOCK !== "true")
    return json(403, {
      error: "FaultsDisabled",
      message: "Fault injection is a test switch: set IAMLAB_TEST_CLOCK=true (never on a deploy).",
    });
  const body = await jsonObject(c.req.raw);
  if (body instanceof Response) return body;
  const binding = body?.durableObject;
  const failures = body?.failures;
  const account = body?.accountId;
  if (
    !DURABLE_BINDINGS.includes(binding as DurableBinding) ||
    typeof account !== "string" ||
    typeof failures !== "number" ||
    !Number.isInteger(failures) ||
    failures < 0
  )
    return json(400, {
      error: "InvalidRequest",
      message: `Send {durableObject: ${DURABLE_BINDINGS.join(" | ")}, accountId: string, failures: whole number ≥ 0}.`,
    });
  injectDurableFaults(binding as DurableBinding, account, failures);
  return json(200, { durableObjects: injectedDurableFaults() });
});
// ---- end hosted ----

// ---- federation (issue 19): the built-in OIDC identity provider ----
registerIdpAdminRoutes(admin);
// ---- saml (issue 19): the built-in SAML identity provider ----
registerSamlIdpAdminRoutes(admin);

// ---- labs (issue 21): templates, apply / converge, export, reset, grading ----
registerLabAdminRoutes(admin);

// ---- CloudTrail (issue 21): a trail's delivery now, not at its next alarm (labs, tests) ----
admin.post("/accounts/:id/cloudtrail/deliver", async (c) => {
  const id = c.req.param("id");
  if (!(await getAccount(getDb(c.env.DB), id))) return noSuchAccount(id);
  await flushTrail(c.env); // this isolate's events first (the Durable Object may run elsewhere)
  const stub = deliveryStub(c, id);
  const trails = stub ? await stub.deliverNow(id) : [];
  return json(200, { accountId: id, trails });
});

// ---- the Permissions Graph (issue 20): src/admin/graph-routes.ts ----
registerGraphAdminRoutes(admin);
// ---- end Permissions Graph ----

admin.all("*", (c) => json(404, { error: "NotFound", message: `No admin route ${c.req.method} ${c.req.path}` }));
