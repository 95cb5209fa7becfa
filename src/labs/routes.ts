/**
 * The labs admin API (issue 21), under /_iamlab/ behind the admin token (src/admin/routes.ts):
 *   POST /labs                          {template, learners?, namePrefix?} → N new learner accounts, the template applied to each
 *   GET  /labs/:id                      the lab's template and accounts
 *   GET  /labs/:id/results              every learner's grade
 *   PUT  /accounts/:id/lab              {template} → applied to an existing account, converging (idempotent)
 *   GET  /accounts/:id/lab              the template the account last received, and its snapshot
 *   GET  /accounts/:id/lab/export       the account's current state as a template
 *   POST /accounts/:id/lab/snapshot     saves the current state; POST …/lab/reset {"to": "snapshot"} returns to it
 *   POST /accounts/:id/lab/reset        back to the template's state (entities the template lacks are deleted;
 *                                       sessions issued before it are revoked: ./revoke.ts)
 *   GET  /accounts/:id/lab/results      the account's grade
 * Public: GET /_iamlab/labs/schema (the JSON Schema); signed: GET /_iamlab/my/lab/results (a learner's own grade).
 */
import type { Hono } from "hono";
import type { Env } from "../env";
import type { ActionContext } from "../services/action";
import { getDb, type Db } from "../store/db";
import { createAccount, deleteAccount, getAccount } from "../store/accounts";
import { newAccountId } from "../lib/ids";
import { now } from "../lib/time";
import { isoSeconds } from "../lib/clock";
import { setConsistency, stub as consistencyStub } from "../consistency/client";
import { defaultConsistency } from "../consistency/defaults";
import { forgetAccountState } from "../admin/account-lifecycle";
import { getLab, getLabAccount, insertLabStmt, listLabAccounts, readLabRows, saveSnapshot } from "../store/labs";
import { applyTemplate, type ApplyResult } from "./apply";
import { currentState, exportTemplate } from "./state";
import { ACCOUNT_VAR, validateTemplate, type LabTemplate, type TemplateError } from "./template";
import { gradeAccount } from "./grade";
import { trailFor } from "./trail";
import { exportResources, validateResources } from "./resources";
import schema from "../../schema/lab-template.schema.json";
// labsorg (issue 21): a reset revokes the account's earlier sessions
import { revokeAccountSessions } from "./revoke";
// labsorg4 (issue 21): organizations in templates
import { exportOrganization } from "./organization";
import type { MemberResult } from "./organization-spec";
import { accountCap, countAccounts } from "../limits/quotas";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** Templates are bigger than the admin API's other bodies: 1 MiB. */
const MAX_BODY = 1024 * 1024;
/** Learner accounts per POST /labs (a bigger class: several calls, see the README). */
export const MAX_LEARNERS = 200;
/** Accounts set up at once: password hashing overlaps D1 writes without flooding the database. */
const CONCURRENCY = 4;

async function body(req: Request): Promise<Record<string, unknown> | Response> {
  const text = await req.text();
  if (text.length > MAX_BODY) return json(413, { error: "RequestEntityTooLarge", message: `The body must be at most ${MAX_BODY} bytes.` });
  let b: unknown;
  try {
    b = text.trim() ? JSON.parse(text) : {};
  } catch {
    return json(400, { error: "InvalidRequest", message: "Body must be JSON." });
  }
  if (typeof b !== "object" || b === null || Array.isArray(b))
    return json(400, { error: "InvalidRequest", message: "Body must be a JSON object." });
  return b as Record<string, unknown>;
}

const invalid = (errors: TemplateError[]) =>
  json(400, {
    error: "InvalidTemplate",
    message: `The template has ${errors.length} error${errors.length === 1 ? "" : "s"}; nothing was applied.`,
    errors,
  });

/** The template of a body, validated (errors point into the template, not the body). */
function templateOf(b: Record<string, unknown>): LabTemplate | Response {
  if (b.template === undefined) return json(400, { error: "InvalidRequest", message: "Send {template: {...}}." });
  const v = validateTemplate(b.template);
  return v.ok ? v.template : invalid(v.errors);
}

const noSuchAccount = (id: string) => json(404, { error: "NoSuchAccount", message: `Account ${id} does not exist.` });
const noLab = (id: string) => json(404, { error: "NoLab", message: `No lab template was applied to account ${id}.` });

function consoleUrl(origin: string, accountId: string): string {
  return `${origin}/console?account=${accountId}`;
}

/** labsorg4 (issue 21): member accounts reported like the learner's own account (ids, root key when new, console, users' secrets). */
const membersOut = (origin: string, members: MemberResult[] | undefined) =>
  members?.length ? { members: members.map((m) => ({ ...m, consoleUrl: consoleUrl(origin, m.accountId) })) } : {};

/** labsorg4 (issue 21): with several learners, each learner's member accounts need `${account}` in their aliases and bucket names too. */
function memberNameErrors(template: LabTemplate, learners: number): TemplateError[] {
  if (learners < 2) return [];
  return (template.organization?.accounts ?? []).flatMap((m, i) => {
    const at = `/organization/accounts/${i}/template`;
    const alias = m.template?.account?.alias;
    const errs: TemplateError[] =
      alias !== undefined && !alias.includes(ACCOUNT_VAR)
        ? [{ path: `${at}/account/alias`, message: `Aliases are unique: with several learners, put ${ACCOUNT_VAR} in the alias.` }]
        : [];
    const buckets = validateResources({ buckets: m.template?.buckets ?? [] }, learners).map((e) => ({ ...e, path: at + e.path }));
    return [...errs, ...buckets];
  });
}

/** Runs `f` over `items`, at most `n` at once, keeping the order of the results. */
async function pool<T, R>(items: T[], n: number, f: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!, i);
      }
    }),
  );
  return out;
}

export function registerLabAdminRoutes(admin: Hono<{ Bindings: Env }>): void {
  admin.post("/labs", async (c) => {
    const b = await body(c.req.raw);
    if (b instanceof Response) return b;
    const template = templateOf(b);
    if (template instanceof Response) return template;
    const learners = b.learners ?? 1;
    if (typeof learners !== "number" || !Number.isInteger(learners) || learners < 1 || learners > MAX_LEARNERS)
      return json(400, { error: "InvalidRequest", message: `learners must be an integer from 1 to ${MAX_LEARNERS}.` });
    const prefix = b.namePrefix ?? "learner";
    if (typeof prefix !== "string" || !/^[\w.-]{1,32}$/.test(prefix))
      return json(400, { error: "InvalidRequest", message: "namePrefix must be 1-32 letters, digits, '.', '_' or '-'." });
    // Account aliases are unique across the sandbox: one per learner needs the account id in it.
    if (learners > 1 && template.account?.alias !== undefined && !template.account.alias.includes(ACCOUNT_VAR))
      return invalid([{ path: "/account/alias", message: `Aliases are unique: with several learners, put ${ACCOUNT_VAR} in the alias.` }]);
    // Bucket names are global: with several learners each needs ${account} in it (src/labs/resources.ts).
    const bucketNames = learners > 1 ? validateResources({ buckets: template.buckets ?? [] }, learners) : [];
    if (bucketNames.length) return invalid(bucketNames);
    const memberNames = memberNameErrors(template, learners);
    if (memberNames.length) return invalid(memberNames);
    const db = getDb(c.env.DB);
    // labsorg4 (issue 21): the sandbox-wide account cap (IAMLAB_MAX_ACCOUNTS), member accounts included, before any is made.
    const needed = learners * (1 + (template.organization?.accounts?.length ?? 0));
    const cap = accountCap(c.env);
    if ((await countAccounts(db)) + needed > cap)
      return json(409, {
        error: "AccountLimitExceeded",
        message: `This lab needs ${needed} accounts and the sandbox holds at most ${cap} (IAMLAB_MAX_ACCOUNTS); nothing was created.`,
      });
    const t0 = Date.now();
    const labId = `lab-${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
    const text = JSON.stringify(template);
    const origin = new URL(c.req.url).origin;

    // The first account is set up alone: a template whose references do not resolve fails here, before the other accounts exist.
    const setUp = async (i: number) => {
      const learner = `${prefix}-${String(i + 1).padStart(String(learners).length, "0")}`;
      const account = await newLearnerAccount(c.env, db);
      const applied = await applyTemplate(c.env, db, account.accountId, template, { now: now(), prune: "owned", labId, record: text });
      if (!applied.ok) {
        await deleteAccount(db, account.accountId);
        await forgetAccountState(c.env, account.accountId);
        return applied;
      }
      // The deployment's default consistency mode, unless the template sets one: after the setup, which learners see at once.
      const cfg = defaultConsistency(c.env);
      if (!template.account?.consistency && cfg.mode !== "off") await setConsistency(c.env, db, account.accountId, cfg);
      // labsorg4 (issue 21): the learner's member accounts too, unless their own templates set a mode.
      for (const m of applied.members ?? []) {
        const own = template.organization?.accounts?.find((a) => a.name === m.name)?.template?.account?.consistency;
        if (!own && cfg.mode !== "off") await setConsistency(c.env, db, m.accountId, cfg);
      }
      const row = await getAccount(db, account.accountId);
      return {
        learner,
        accountId: account.accountId,
        alias: row?.alias ?? null,
        rootAccessKeyId: account.rootAccessKeyId,
        rootSecretAccessKey: account.rootSecretAccessKey,
        consoleUrl: consoleUrl(origin, account.accountId),
        users: applied.users,
        ...membersOut(origin, applied.members),
      };
    };
    const first = await setUp(0);
    if ("ok" in first) return invalid(first.errors);
    await insertLabStmt(db, labId, text, isoSeconds(now())).run();
    const rest = await pool(
      Array.from({ length: learners - 1 }, (_, i) => i + 1),
      CONCURRENCY,
      setUp,
    );
    const failed = rest.find((r): r is Extract<ApplyResult, { ok: false }> => "ok" in r);
    if (failed) return invalid(failed.errors);
    return json(201, { labId, learners: [first, ...rest], elapsedMs: Date.now() - t0 });
  });

  admin.get("/labs/:id", async (c) => {
    const db = getDb(c.env.DB);
    const lab = await getLab(db, c.req.param("id"));
    if (!lab) return json(404, { error: "NoSuchLab", message: `Lab ${c.req.param("id")} does not exist.` });
    const accounts = await listLabAccounts(db, lab.labId);
    return json(200, {
      labId: lab.labId,
      createDate: lab.createDate,
      template: JSON.parse(lab.template),
      accounts: accounts.map((a) => a.accountId),
    });
  });

  admin.get("/labs/:id/results", async (c) => {
    const db = getDb(c.env.DB);
    const lab = await getLab(db, c.req.param("id"));
    if (!lab) return json(404, { error: "NoSuchLab", message: `Lab ${c.req.param("id")} does not exist.` });
    const accounts = await listLabAccounts(db, lab.labId);
    const wait = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    const results = await pool(accounts, CONCURRENCY, (a) =>
      gradeAccount(c.env, db, a.accountId, JSON.parse(a.template) as LabTemplate, trailFor(c.env), now(), wait),
    );
    return json(200, { labId: lab.labId, learners: results });
  });

  admin.put("/accounts/:id/lab", async (c) => {
    const id = c.req.param("id");
    const db = getDb(c.env.DB);
    if (!(await getAccount(db, id))) return noSuchAccount(id);
    const b = await body(c.req.raw);
    if (b instanceof Response) return b;
    const template = templateOf(b);
    if (template instanceof Response) return template;
    const r = await applyTemplate(c.env, db, id, template, { now: now(), prune: "owned" });
    if (!r.ok) return invalid(r.errors);
    const origin = new URL(c.req.url).origin;
    return json(200, {
      accountId: id,
      changes: r.changes,
      users: r.users,
      consoleUrl: consoleUrl(origin, id),
      ...membersOut(origin, r.members),
    });
  });

  admin.get("/accounts/:id/lab", async (c) => {
    const id = c.req.param("id");
    const rec = await getLabAccount(getDb(c.env.DB), id);
    if (!rec) return noLab(id);
    return json(200, {
      accountId: id,
      labId: rec.labId,
      appliedDate: rec.appliedDate,
      template: JSON.parse(rec.template),
      snapshot: rec.snapshot ? JSON.parse(rec.snapshot) : null,
    });
  });

  admin.get("/accounts/:id/lab/export", async (c) => {
    const id = c.req.param("id");
    const db = getDb(c.env.DB);
    if (!(await getAccount(db, id))) return noSuchAccount(id);
    return json(200, await exportAccount(c.env, db, id));
  });

  admin.post("/accounts/:id/lab/snapshot", async (c) => {
    const id = c.req.param("id");
    const db = getDb(c.env.DB);
    if (!(await getAccount(db, id))) return noSuchAccount(id);
    const snapshot = await exportAccount(c.env, db, id);
    await saveSnapshot(db, id, JSON.stringify(snapshot), isoSeconds(now()));
    return json(201, { accountId: id, snapshot });
  });

  admin.post("/accounts/:id/lab/reset", async (c) => {
    const id = c.req.param("id");
    const db = getDb(c.env.DB);
    if (!(await getAccount(db, id))) return noSuchAccount(id);
    const b = await body(c.req.raw);
    if (b instanceof Response) return b;
    const to = b.to ?? "template";
    if (to !== "template" && to !== "snapshot")
      return json(400, { error: "InvalidRequest", message: 'Send {"to": "template"} (default) or {"to": "snapshot"}.' });
    const rec = await getLabAccount(db, id);
    const source = to === "snapshot" ? rec?.snapshot : rec?.template;
    if (!rec || !source)
      return json(404, {
        error: to === "snapshot" ? "NoSnapshot" : "NoLab",
        message: `Account ${id} has no ${to === "snapshot" ? "saved snapshot" : "lab template"}.`,
      });
    // The recorded template stays the account's (a snapshot's checks are the template's).
    const r = await applyTemplate(c.env, db, id, JSON.parse(source) as LabTemplate, { now: now(), prune: "all", record: null });
    if (!r.ok) return invalid(r.errors);
    // labsorg (issue 21): sessions issued before the reset end (only once the reset applied).
    await revokeAccountSessions(c.env, db, id);
    // labsorg4 (issue 21): and in the member accounts the reset applied the members' templates to.
    for (const m of r.members ?? []) await revokeAccountSessions(c.env, db, m.accountId);
    return json(200, {
      accountId: id,
      resetTo: to,
      changes: r.changes,
      users: r.users,
      ...membersOut(new URL(c.req.url).origin, r.members),
      sessionsRevoked: true,
    });
  });

  admin.get("/accounts/:id/lab/results", async (c) => {
    const id = c.req.param("id");
    const db = getDb(c.env.DB);
    const rec = await getLabAccount(db, id);
    if (!rec) return (await getAccount(db, id)) ? noLab(id) : noSuchAccount(id);
    const wait = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    return json(200, await gradeAccount(c.env, db, id, JSON.parse(rec.template) as LabTemplate, trailFor(c.env), now(), wait));
  });
}

/** A new, empty learner account with its root key. */
async function newLearnerAccount(env: Env, db: Db) {
  for (let attempt = 0; ; attempt++) {
    const created = await createAccount(db, newAccountId(), null, now());
    if (created) {
      // The id may have lived before: start from nothing (as POST /_iamlab/accounts does).
      await forgetAccountState(env, created.accountId);
      return created;
    }
    if (attempt > 5) throw new Error("could not allocate an account id");
  }
}

/** The account's state as a template, with the checks of the template it last received. */
async function exportAccount(env: Env, db: Db, id: string): Promise<LabTemplate> {
  const [rows, { config }, rec] = await Promise.all([readLabRows(db, id), consistencyStub(env, id).getConfig(), getLabAccount(db, id)]);
  const checks = rec ? (JSON.parse(rec.template) as LabTemplate).checks : undefined;
  const iam = exportTemplate(currentState(rows, config).state, id, checks);
  const resources = await exportResources(env, db, id);
  // labsorg4 (issue 21): the organization the account manages, members with their own exports.
  const organization = await exportOrganization(env, db, id, (member) => exportAccount(env, db, member));
  // The resource sections before the checks (a template reads top-down: entities, then checks).
  const { checks: exportedChecks, ...rest } = iam;
  return { ...rest, ...resources, ...(organization ? { organization } : {}), ...(exportedChecks ? { checks: exportedChecks } : {}) };
}

/** GET /_iamlab/labs/schema: the template format's JSON Schema (public, for editors). */
export function labSchema(): Response {
  return json(200, schema);
}

/** GET /_iamlab/my/lab/results, SigV4-signed by any credentials of the account: the account's own grade, no other. */
export async function myLabResults(ctx: ActionContext): Promise<Response> {
  const id = ctx.caller.principal.account;
  const rec = id ? await getLabAccount(ctx.db, id) : undefined;
  if (!rec) return json(404, { error: "NoLab", message: `No lab template was applied to account ${id}.` });
  return json(
    200,
    await gradeAccount(ctx.env, ctx.db, id, JSON.parse(rec.template) as LabTemplate, trailFor(ctx.env), now(), ctx.waitUntil),
  );
}
