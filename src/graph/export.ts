/**
 * The graph as a document: JSON (the shape below, documented in the README) and Graphviz DOT.
 *
 * ```
 * { "accounts": ["111111111111"],
 *   "vertices": [ {"type":"principal","id":arn,"kind":"root|user|role","account","name","admin"?:EscalationStep},
 *                 {"type":"resource","id":arn,"kind":"s3:bucket|sqs:queue|…","account","name"} ],
 *   "edges": [ {"kind":"principal","from","to","technique","target"?,"via":[Via]},
 *              {"kind":"access","from","to","actions":["s3:GetObject" | "s3:*"],"via":[Via]} ],
 *   "accessEdges": {"returned","total"}, "truncated": bool,
 *   "stats": {"principals","resources","classes","evaluations","ms"} }
 * Via = {"action","type":"identity|resource|boundary|scp|rcp","policy":id,"statement":index,"sid"?}
 * ```
 */
import type { AccessFilter, PermissionsGraph } from "./graph";
import type { AccessEdge, Edge, PrincipalEdge, Vertex } from "./types";

export interface GraphFilter extends AccessFilter {
  edges?: "all" | "access" | "principal";
  /** Include the principal edges of admin-equivalent principals (default: left out). */
  adminEdges?: boolean;
}

export interface GraphDocument {
  accounts: string[];
  vertices: Vertex[];
  edges: Edge[];
  accessEdges: { returned: number; total: number };
  truncated: boolean;
  stats: { principals: number; resources: number; classes: number; evaluations: number; ms: number };
}

export function graphDocument(g: PermissionsGraph, filter: GraphFilter, started: number, now: () => number): GraphDocument {
  const kinds = filter.edges ?? "all";
  const access = kinds === "principal" ? { edges: [] as AccessEdge[], total: 0 } : g.access(filter);
  const principalEdges: PrincipalEdge[] =
    kinds === "access"
      ? []
      : g.principalEdges.filter(
          (e) =>
            (!filter.principal || e.from === filter.principal || e.to === filter.principal) &&
            // An admin-equivalent principal's edges inside its own account add no escalation: shown when asked for.
            (filter.adminEdges ||
              !g.byId.get(e.from)?.vertex.admin ||
              g.byId.get(e.from)?.vertex.account !== g.byId.get(e.to)?.vertex.account),
        );
  const wanted = new Set<string>();
  for (const e of access.edges) wanted.add(e.to);
  const narrowed = filter.resource !== undefined || filter.service !== undefined || filter.action !== undefined;
  const vertices: Vertex[] = [
    ...g.principals.map((p) => ({ type: "principal" as const, ...p.vertex })),
    ...g.resources.filter((r) => !narrowed || wanted.has(r.vertex.id)).map((r) => ({ type: "resource" as const, ...r.vertex })),
  ];
  return {
    accounts: [...g.evaluator.accounts.keys()],
    vertices,
    edges: [...principalEdges, ...access.edges],
    accessEdges: { returned: access.edges.length, total: access.total },
    truncated: access.edges.length < access.total,
    stats: {
      principals: g.principals.length,
      resources: g.resources.length,
      classes: g.classCount,
      evaluations: g.evaluator.evaluations,
      ms: Math.round(now() - started),
    },
  };
}

/** DOT string literal: quotes and backslashes escaped, a newline as DOT's `\n` (names are attacker-chosen). */
function q(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r/g, "").replace(/\n/g, "\\n")}"`;
}

/** Graphviz DOT: principals as ellipses (admin-equivalent ones red), resources as boxes, edges labelled. */
export function toDot(doc: GraphDocument): string {
  const lines = ["digraph iamlab {", "  rankdir=LR;", '  node [fontname="Helvetica"];'];
  for (const v of doc.vertices) {
    if (v.type === "principal") {
      const color = v.admin ? ' color="red" fontcolor="red"' : "";
      lines.push(`  ${q(v.id)} [label=${q(`${v.kind}: ${v.name}\n${v.account}`)} shape=ellipse${color}];`);
    } else lines.push(`  ${q(v.id)} [label=${q(`${v.kind}: ${v.name}`)} shape=box];`);
  }
  for (const e of doc.edges) {
    if (e.kind === "principal") lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.technique)} style=bold];`);
    else {
      const label = e.actions.length > 3 ? `${e.actions.slice(0, 3).join(", ")} +${e.actions.length - 3}` : e.actions.join(", ");
      lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(label)} style=dashed];`);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
