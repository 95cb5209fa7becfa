/**
 * The Permissions Graph over HTTP (JSON, or Graphviz DOT with `format=dot`):
 *
 *   GET /_iamlab/accounts/:id/graph               admin token; `?accounts=B,C` adds other accounts
 *   GET /_iamlab/accounts/:id/graph/escalations   `?target=<principal ARN>` for paths to one principal
 *   GET /_iamlab/accounts/:id/graph/reach         `?resource=<ARN>&action=<service:Action>` (both required)
 *   GET /_iamlab/graph[/escalations|/reach]?accounts=A,B   the lab author's view across accounts
 *   GET /_iamlab/my/graph[/escalations|/reach]     SigV4-signed by any principal of the account that
 *                                                  may call iam:GetAccountAuthorizationDetails
 *
 * Graph filters: `action`, `service`, `resource` (an ARN, or a prefix ending in `*`), `principal`,
 * `edges=all|access|principal`, `adminEdges=true` (admin-equivalent principals' edges, left out by default), `limit` (access edges returned, default 2,000; the total is counted).
 */
import type { Hono } from "hono";
import type { Env } from "../env";
import type { ActionContext } from "../services/action";
import { getDb, type Db } from "../store/db";
import { loadGraphState } from "../store/graph-state";
import {
  graphDocument,
  PermissionsGraph,
  toDot,
  type GraphFilter,
  type AccountState,
  type EscalationStep,
  type GraphDocument,
} from "../graph/index";
import { RCP_SERVICES } from "../authz/org-chain";
import { authorizeCall } from "../authz/authorize";

export type GraphView = "graph" | "escalations" | "reach";

const ACCOUNT_ID = /^\d{12}$/;
const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9]+$/;
const MAX_ACCOUNTS = 10;
const DEFAULT_LIMIT = 2_000;
const MAX_LIMIT = 100_000;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}
const bad = (message: string) => json(400, { error: "InvalidRequest", message });

/** The accounts named by `?accounts=` (comma-separated), after `first`; a ready 400 when malformed. */
function accountList(first: string | undefined, url: URL): string[] | Response {
  const extra = (url.searchParams.get("accounts") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const ids = [...new Set([...(first ? [first] : []), ...extra])];
  if (ids.length === 0) return bad("Name the accounts: ?accounts=111111111111,222222222222.");
  if (ids.length > MAX_ACCOUNTS) return bad(`At most ${MAX_ACCOUNTS} accounts in one graph.`);
  const wrong = ids.find((a) => !ACCOUNT_ID.test(a));
  if (wrong) return bad(`Not an account id: ${wrong}.`);
  return ids;
}

/** The graph's filters from the query string; a ready 400 when one is malformed. */
function filters(url: URL): GraphFilter | Response {
  const p = url.searchParams;
  const f: GraphFilter = { limit: DEFAULT_LIMIT };
  const action = p.get("action");
  if (action !== null) {
    if (!ACTION.test(action)) return bad("action must be service:Action, without wildcards (e.g. s3:GetObject).");
    f.action = action;
  }
  const service = p.get("service");
  if (service !== null) {
    if (!/^[a-z0-9-]+$/.test(service)) return bad("service must be a service prefix (e.g. s3).");
    f.service = service;
  }
  for (const k of ["resource", "principal"] as const) {
    const v = p.get(k);
    if (v !== null) {
      if (!v.startsWith("arn:")) return bad(`${k} must be an ARN${k === "resource" ? " (or an ARN prefix ending in *)" : ""}.`);
      f[k] = v;
    }
  }
  const limit = p.get("limit");
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n > MAX_LIMIT) return bad(`limit must be an integer from 0 to ${MAX_LIMIT}.`);
    f.limit = n;
  }
  const edges = p.get("edges");
  if (edges !== null) {
    if (edges !== "all" && edges !== "access" && edges !== "principal") return bad("edges must be all, access or principal.");
    f.edges = edges;
  }
  const adminEdges = p.get("adminEdges");
  if (adminEdges !== null) {
    if (adminEdges !== "true" && adminEdges !== "false") return bad("adminEdges must be true or false.");
    f.adminEdges = adminEdges === "true";
  }
  return f;
}

async function loadStates(db: Db, ids: string[]): Promise<AccountState[] | Response> {
  const states = await Promise.all(ids.map((id) => loadGraphState(db, id)));
  const missing = ids.find((_, i) => !states[i]);
  if (missing) return json(404, { error: "NoSuchAccount", message: `Account ${missing} does not exist.` });
  return states as AccountState[];
}

/** One view of the graph of these accounts, as JSON or DOT. */
export async function graphResponse(db: Db, ids: string[], view: GraphView, url: URL): Promise<Response> {
  const format = url.searchParams.get("format") ?? "json";
  if (format !== "json" && format !== "dot") return bad("format must be json or dot.");
  const f = filters(url);
  if (f instanceof Response) return f;
  let reachOf: { resource: string; action: string } | undefined;
  if (view === "reach") {
    const resource = url.searchParams.get("resource");
    const action = url.searchParams.get("action");
    if (!resource?.startsWith("arn:") || !action || !ACTION.test(action))
      return bad("reach needs resource=<ARN> and action=<service:Action> (e.g. ?resource=arn:aws:s3:::bucket/*&action=s3:GetObject).");
    reachOf = { resource, action };
  }
  const target = url.searchParams.get("target") ?? undefined;
  if (target !== undefined && !target.startsWith("arn:")) return bad("target must be a principal ARN.");
  const started = Date.now();
  const states = await loadStates(db, ids);
  if (states instanceof Response) return states;
  const g = new PermissionsGraph({ accounts: states, rcpServices: [...RCP_SERVICES] });
  if (view === "graph") {
    const doc = graphDocument(g, f, started, Date.now);
    return format === "dot" ? dot(toDot(doc)) : json(200, doc);
  }
  if (view === "escalations") {
    const paths = g.escalations(target);
    const admins = g.principals.filter((p) => p.vertex.admin).map((p) => p.vertex.id);
    if (format === "dot")
      return dot(
        toDot(
          pathsDocument(
            g,
            paths.flatMap((p) => p.steps),
            started,
          ),
        ),
      );
    return json(200, { accounts: ids, admins, paths, stats: { ms: Date.now() - started } });
  }
  const who = g.reach(reachOf!.resource, reachOf!.action);
  if (format === "dot")
    return dot(
      toDot(
        pathsDocument(
          g,
          who.flatMap((r) => r.path),
          started,
        ),
      ),
    );
  return json(200, { accounts: ids, ...reachOf, principals: who, stats: { ms: Date.now() - started } });
}

/** A document of the principals and the principal edges of some paths (their DOT drawing). */
function pathsDocument(g: PermissionsGraph, steps: EscalationStep[], started: number): GraphDocument {
  const seen = new Set<string>();
  const edges = steps
    .filter((s) => s.from !== s.to)
    .filter((s) => {
      const k = `${s.from}\n${s.to}\n${s.technique}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .map((s) => ({ ...s, kind: "principal" as const }));
  const used = new Set(steps.flatMap((s) => [s.from, s.to]));
  return {
    accounts: [...g.evaluator.accounts.keys()],
    vertices: g.principals.filter((p) => used.has(p.vertex.id)).map((p) => ({ type: "principal" as const, ...p.vertex })),
    edges,
    accessEdges: { returned: 0, total: 0 },
    truncated: false,
    stats: {
      principals: g.principals.length,
      resources: g.resources.length,
      classes: g.classCount,
      evaluations: g.evaluator.evaluations,
      ms: Date.now() - started,
    },
  };
}

function dot(text: string): Response {
  return new Response(text, { status: 200, headers: { "content-type": "text/vnd.graphviz; charset=utf-8" } });
}

const VIEWS: Array<[string, GraphView]> = [
  ["", "graph"],
  ["/escalations", "escalations"],
  ["/reach", "reach"],
];

/** The admin routes (the admin app checks the bearer token first). */
export function registerGraphAdminRoutes(admin: Hono<{ Bindings: Env }>): void {
  for (const [suffix, view] of VIEWS) {
    admin.get(`/accounts/:id/graph${suffix}`, (c) => {
      const url = new URL(c.req.url);
      const ids = accountList(c.req.param("id"), url);
      if (ids instanceof Response) return ids;
      return graphResponse(getDb(c.env.DB), ids, view, url);
    });
    admin.get(`/graph${suffix}`, (c) => {
      const url = new URL(c.req.url);
      const ids = accountList(undefined, url);
      if (ids instanceof Response) return ids;
      return graphResponse(getDb(c.env.DB), ids, view, url);
    });
  }
}

/**
 * `/_iamlab/my/graph…`: the caller's own account, when the engine allows it
 * iam:GetAccountAuthorizationDetails (the graph shows every policy of the account, as that call
 * does). Other accounts cannot be added.
 */
export async function myGraph(ctx: ActionContext, view: GraphView, url: URL): Promise<Response> {
  if (url.searchParams.has("accounts")) return bad("The graph of your own account only: ?accounts is for the lab author's admin API.");
  await authorizeCall(ctx, "iam:GetAccountAuthorizationDetails", { resource: "*" });
  return graphResponse(ctx.db, [ctx.caller.principal.account], view, url);
}
