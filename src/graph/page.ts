/**
 * `/console/graph`: a standalone page over the admin API's graph routes (the lab author's admin token,
 * kept in the tab's sessionStorage, is sent as the bearer token). Static HTML + one script, no build
 * step and no libraries; every name is put in the page with textContent / SVG text nodes (names are
 * attacker-chosen on a shared sandbox), and the CSP allows no inline script.
 */

export const GRAPH_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

export const GRAPH_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iamlab — Permissions Graph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,Helvetica,sans-serif;margin:0;color:#1a1a1a}
header{background:#232f3e;color:#fff;padding:10px 16px;font-weight:600}
form{display:flex;flex-wrap:wrap;gap:8px;padding:12px 16px;background:#f2f3f3;border-bottom:1px solid #ddd}
label{display:flex;flex-direction:column;font-size:12px;color:#555}
input{font:inherit;padding:4px 6px;min-width:150px}
button{font:inherit;padding:6px 12px;cursor:pointer}
#status{padding:8px 16px;color:#555;font-size:13px}
#out{padding:0 16px 24px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.admin{color:#b00020;font-weight:600}.path{margin:8px 0;padding:8px;border-left:4px solid #b00020;background:#fff5f5}
.step{font-family:ui-monospace,monospace;font-size:12px}.via{color:#666;font-size:12px}
svg text{font-size:11px;font-family:system-ui,sans-serif}
</style></head>
<body><header>iamlab · Permissions Graph</header>
<form id="f">
<label>Admin token<input id="token" type="password" autocomplete="off" required></label>
<label>Accounts (comma-separated)<input id="accounts" placeholder="123456789012" required></label>
<label>Service<input id="service" placeholder="s3"></label>
<label>Action<input id="action" placeholder="s3:GetObject"></label>
<label>Resource (ARN or prefix*)<input id="resource"></label>
<label>Principal ARN<input id="principal"></label>
<button type="submit" data-view="graph">Graph</button>
<button type="button" id="esc">Escalation paths</button>
<button type="button" id="reach">Who can reach resource?</button>
<button type="button" id="dot">Download DOT</button>
</form>
<div id="status"></div><div id="out"></div>
<script src="/console/graph.js"></script>
</body></html>
`;

/**
 * The same page for a signed-in console user (`/console/my-graph`, linked from the console's
 * navigation): no token, no account list — the data comes from `/console/graph/data…` with the
 * console session, for the principal's own account, when it may call iam:GetAccountAuthorizationDetails.
 */
export const GRAPH_PAGE_HTML_SESSION = GRAPH_PAGE_HTML.replace("<body>", '<body data-mode="session">')
  .replace('<label>Admin token<input id="token" type="password" autocomplete="off" required></label>', '<input id="token" type="hidden">')
  .replace(
    '<label>Accounts (comma-separated)<input id="accounts" placeholder="123456789012" required></label>',
    '<input id="accounts" type="hidden"><a href="/console/home" style="align-self:center">← Console</a>',
  );

export const GRAPH_PAGE_JS = `"use strict";
const $ = (id) => document.getElementById(id);
const SESSION = document.body.dataset.mode === "session";
const out = $("out"), status = $("status");
$("token").value = sessionStorage.getItem("iamlab-admin-token") || "";
$("accounts").value = sessionStorage.getItem("iamlab-graph-accounts") || "";
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function svg(tag, attrs, text) { const e = document.createElementNS("http://www.w3.org/2000/svg", tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = String(text); return e; }
function query(view) {
  const accounts = $("accounts").value.split(",").map((s) => s.trim()).filter(Boolean);
  sessionStorage.setItem("iamlab-admin-token", $("token").value);
  sessionStorage.setItem("iamlab-graph-accounts", accounts.join(","));
  const p = new URLSearchParams();
  for (const k of ["service", "action", "resource", "principal"]) if ($(k).value.trim()) p.set(k, $(k).value.trim());
  if (view === "reach") { p.delete("service"); p.delete("principal"); }
  if (accounts.length > 1) p.set("accounts", accounts.slice(1).join(","));
  const suffix = view === "graph" || view === "dot" ? "" : "/" + view;
  if (view === "dot") p.set("format", "dot");
  if (SESSION) { p.delete("accounts"); return "/console/graph/data" + suffix + "?" + p; }
  return "/_iamlab/accounts/" + encodeURIComponent(accounts[0] || "") + "/graph" + suffix + "?" + p;
}
async function call(view) {
  status.textContent = "Computing…"; out.replaceChildren();
  const t = performance.now();
  const res = await fetch(query(view), SESSION ? { credentials: "same-origin" } : { headers: { authorization: "Bearer " + $("token").value } });
  const ms = Math.round(performance.now() - t);
  if (!res.ok) { const e = await res.json().catch(() => ({})); status.textContent = res.status + " " + (e.error || "") + ": " + (e.message || "") + (e.explanation ? " — " + e.explanation : ""); return null; }
  status.textContent = "Answered in " + ms + " ms.";
  return view === "dot" ? res.text() : res.json();
}
function viaList(via) { return (via || []).map((v) => (v.action ? v.action + ": " : "") + v.type + " " + v.policy + " #" + v.statement + (v.sid ? " (" + v.sid + ")" : "")).join("; "); }
function short(id) { const i = id.lastIndexOf(":"); return id.slice(i + 1); }
function drawGraph(g) {
  const principals = g.vertices.filter((v) => v.type === "principal"), resources = g.vertices.filter((v) => v.type === "resource");
  status.textContent += " " + principals.length + " principals, " + resources.length + " resources, " + g.edges.length + " edges (" + g.accessEdges.total + " access edges in all" + (g.truncated ? ", truncated" : "") + "), " + g.stats.evaluations + " engine evaluations.";
  const shown = principals.length + resources.length <= 400;
  if (shown) {
    const rowH = 18, h = Math.max(principals.length, resources.length) * rowH + 40, w = 1100;
    const s = svg("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img" });
    const pos = new Map();
    principals.forEach((p, i) => pos.set(p.id, [260, 30 + i * rowH]));
    resources.forEach((r, i) => pos.set(r.id, [800, 30 + i * rowH]));
    for (const e of g.edges) {
      const a = pos.get(e.from), b = pos.get(e.to); if (!a || !b) continue;
      if (e.kind === "principal") {
        const bend = 60 + Math.abs(a[1] - b[1]) / 4;
        s.append(svg("path", { d: "M" + a[0] + " " + a[1] + " C" + (a[0] + bend) + " " + a[1] + "," + (b[0] + bend) + " " + b[1] + "," + b[0] + " " + b[1], fill: "none", stroke: "#b00020", "stroke-width": 1.5 }, undefined));
        s.lastChild.append(svg("title", {}, e.technique + " — " + viaList(e.via)));
      } else {
        const line = svg("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: "#7aa6c2", "stroke-width": 0.6 });
        line.append(svg("title", {}, e.actions.join(", ") + " — " + viaList(e.via))); s.append(line);
      }
    }
    for (const p of principals) { const [x, y] = pos.get(p.id); s.append(svg("text", { x: x - 6, y: y + 4, "text-anchor": "end", fill: p.admin ? "#b00020" : "#1a1a1a" }, p.kind + " " + p.name + " (" + p.account + ")")); }
    for (const r of resources) { const [x, y] = pos.get(r.id); s.append(svg("text", { x: x + 6, y: y + 4 }, r.kind + " " + r.name)); }
    out.append(s);
  } else out.append(el("p", "Too many vertices to draw here: narrow with the filters, or download the DOT file."));
  const t = el("table"); t.append(el("tr")); for (const h of ["from", "to", "what", "formed by"]) t.firstChild.append(el("th", h));
  for (const e of g.edges.slice(0, 500)) { const tr = el("tr"); tr.append(el("td", e.from), el("td", e.to), el("td", e.kind === "principal" ? e.technique : e.actions.join(", "), e.kind === "principal" ? "admin" : ""), el("td", viaList(e.via), "via")); t.append(tr); }
  out.append(t);
}
function drawPaths(body) {
  status.textContent += " Admin-equivalent: " + body.admins.length + "; escalation paths: " + body.paths.length + ".";
  for (const p of body.paths) {
    const d = el("div", undefined, "path"); d.append(el("div", p.principal + " reaches " + p.reaches, "admin"));
    for (const s of p.steps) { d.append(el("div", s.from + " —[" + s.technique + (s.target ? " on " + s.target : "") + "]→ " + s.to, "step")); d.append(el("div", viaList(s.via), "via")); }
    out.append(d);
  }
}
function drawReach(body) {
  status.textContent += " " + body.principals.length + " principals can " + body.action + " on " + body.resource + ".";
  const t = el("table"); t.append(el("tr")); for (const h of ["principal", "acts as", "through", "allowed by"]) t.firstChild.append(el("th", h));
  for (const r of body.principals) { const tr = el("tr"); tr.append(el("td", r.principal), el("td", r.actor), el("td", r.path.map((s) => s.technique + " → " + short(s.to)).join(", ")), el("td", viaList(r.via), "via")); t.append(tr); }
  out.append(t);
}
$("f").addEventListener("submit", async (ev) => { ev.preventDefault(); const g = await call("graph"); if (g) drawGraph(g); });
$("esc").addEventListener("click", async () => { const b = await call("escalations"); if (b) drawPaths(b); });
$("reach").addEventListener("click", async () => { if (!$("resource").value || !$("action").value) { status.textContent = "Fill in Resource and Action."; return; } const b = await call("reach"); if (b) drawReach(b); });
$("dot").addEventListener("click", async () => { const text = await call("dot"); if (text === null) return; const a = el("a", "graph.dot"); a.href = URL.createObjectURL(new Blob([text], { type: "text/vnd.graphviz" })); a.download = "iamlab-graph.dot"; out.append(a); a.click(); });
`;
