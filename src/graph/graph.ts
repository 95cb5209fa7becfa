/**
 * The Permissions Graph of one or several accounts: principals (root users, IAM users, roles) and
 * resources as vertices; edges "P can perform X on R" and "P can become / act as Q" (PMapper's
 * techniques), every one a decision of the real engine (./evaluator.ts). Principal edges are computed
 * when the graph is built; access edges on demand, pruned by the filters asked for.
 */
import { serviceOf } from "./catalog-actions";
import { Evaluator, type Check, type PrincipalNode, type ResourceNode } from "./evaluator";
import { escalationSelfSteps, principalEdges } from "./techniques";
import type {
  AccessEdge,
  AccountState,
  EscalationPath,
  EscalationStep,
  GraphInput,
  PrincipalEdge,
  PrincipalVertex,
  ResourceType,
  ResourceVertex,
  Via,
} from "./types";

export interface AccessFilter {
  /** `service:Action` (case-insensitive, no wildcards). */
  action?: string;
  /** Service prefix, e.g. `s3`. */
  service?: string;
  /** A resource ARN, or a prefix ending in `*`. */
  resource?: string;
  /** A principal ARN. */
  principal?: string;
  /** Most access edges returned (the rest are counted). */
  limit?: number;
}

export interface AccessResult {
  edges: AccessEdge[];
  /** All edges matching the filter, returned or not. */
  total: number;
}

/** A principal able to reach the resource, directly or through a chain of principal edges. */
export interface Reacher {
  principal: string;
  /** The principal edges from `principal` to the one acting on the resource (empty when direct). */
  path: EscalationStep[];
  /** Who acts on the resource at the end of the path, and the statements that allow it. */
  actor: string;
  via: Via[];
}

const ROLE_SESSION = "iamlab-graph";

/** What a principal may do on one resource. */
interface Hit {
  actions: string[];
  readonly via: Via[];
}

export class PermissionsGraph {
  readonly evaluator: Evaluator;
  readonly principals: PrincipalNode[] = [];
  readonly resources: Array<{ vertex: ResourceVertex; node: ResourceNode; objects?: ResourceNode }> = [];
  readonly byId = new Map<string, PrincipalNode>();
  private readonly resourceIndex = new Map<string, { node: ResourceNode }>();
  readonly principalEdges: PrincipalEdge[];
  /** Edges into each principal (reverse adjacency) for the backward searches. */
  private readonly into = new Map<string, PrincipalEdge[]>();
  private readonly classes = new Map<string, PrincipalNode[]>();

  constructor(input: GraphInput) {
    this.evaluator = new Evaluator(input);
    for (const a of input.accounts) this.addAccount(a);
    for (const p of this.principals) {
      let members = this.classes.get(p.classId);
      if (!members) this.classes.set(p.classId, (members = []));
      members.push(p);
    }
    // Admin-equivalent first (a self step), then the edges between principals.
    for (const p of this.principals) {
      const step = escalationSelfSteps(this, p);
      if (step) p.vertex.admin = step;
    }
    this.principalEdges = principalEdges(this);
    for (const e of this.principalEdges) {
      let list = this.into.get(e.to);
      if (!list) this.into.set(e.to, (list = []));
      list.push(e);
    }
  }

  get classCount(): number {
    return this.classes.size;
  }

  /** The principals sharing `p`'s policies (p's class), p first. */
  classOf(p: PrincipalNode): PrincipalNode[] {
    return this.classes.get(p.classId) ?? [p];
  }

  private addAccount(a: AccountState): void {
    const ev = this.evaluator;
    const rootArn = `arn:aws:iam::${a.accountId}:root`;
    this.addPrincipal(
      ev.principalNode(
        { id: rootArn, kind: "root", account: a.accountId, name: a.alias ? `root (${a.alias})` : "root" },
        { kind: "root", account: a.accountId, arn: rootArn, userId: a.accountId },
        a,
        { identity: [] },
      ),
    );
    for (const u of a.users) {
      this.addPrincipal(
        ev.principalNode(
          { id: u.arn, kind: "user", account: a.accountId, name: u.name },
          { kind: "user", account: a.accountId, arn: u.arn, userId: u.id, username: u.name },
          a,
          { identity: u.policies, boundary: u.boundary, tags: u.tags },
        ),
      );
    }
    for (const r of a.roles) {
      const principal = {
        kind: "assumedRole" as const,
        account: a.accountId,
        arn: `arn:aws:sts::${a.accountId}:assumed-role/${r.name}/${ROLE_SESSION}`,
        userId: `${r.id}:${ROLE_SESSION}`,
        roleArn: r.arn,
        ...(r.serviceLinked ? { serviceLinkedRole: true } : {}),
      };
      this.addPrincipal(
        ev.principalNode({ id: r.arn, kind: "role", account: a.accountId, name: r.name }, principal, a, {
          identity: r.policies,
          boundary: r.boundary,
          tags: r.tags,
        }),
      );
    }
    for (const r of a.resources) {
      const node = ev.resourceNode(r.arn, a.accountId, r.policy, "resource", r.type === "kms:key");
      const vertex: ResourceVertex = { id: r.arn, kind: r.type, account: a.accountId, name: resourceName(r.arn, r.type) };
      node.type = r.type;
      node.vertex = vertex;
      const entry: (typeof this.resources)[number] = { vertex, node };
      if (r.type === "s3:bucket") entry.objects = { ...node, arn: `${r.arn}/*` };
      this.resources.push(entry);
      this.resourceIndex.set(r.arn, entry);
    }
  }

  private addPrincipal(p: PrincipalNode): void {
    this.principals.push(p);
    this.byId.set(p.vertex.id, p);
  }

  get principalVertices(): PrincipalVertex[] {
    return this.principals.map((p) => p.vertex);
  }

  /**
   * Access edges matching the filter. Per class of principals and resource, the candidate actions are
   * the catalogued actions of the resource's type that some Allow statement (identity, or the resource's
   * own policy) reaches; the engine decides each.
   */
  access(filter: AccessFilter = {}): AccessResult {
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    const wantAction = filter.action?.toLowerCase();
    const resources = this.resources.filter((r) => resourceWanted(r.vertex, filter, wantAction));
    const principals = filter.principal ? this.principals.filter((p) => p.vertex.id === filter.principal) : this.principals;
    const ev = this.evaluator;
    // Members a resource policy singles out (names them, or depends on who calls) are decided alone.
    const singled = new Map<string, Map<number, Hit | null>>();
    resources.forEach((r, i) => {
      if (!r.node.policy) return;
      for (const p of principals) {
        if (!ev.singlesOut(p, r.node)) continue;
        let mine = singled.get(p.vertex.id);
        if (!mine) singled.set(p.vertex.id, (mine = new Map()));
        mine.set(i, this.accessOn(p, r, wantAction));
      }
    });
    // Everyone else: one answer per class and resource, shared by resources alike for the class.
    const perClass = new Map<string, Array<Hit | null>>();
    for (const p of principals) {
      if (perClass.has(p.classId)) continue;
      const bySig = new Map<string, Hit | null>();
      const hits = resources.map((r) => {
        if (r.vertex.account !== p.vertex.account && !r.node.policy) return null; // cross account needs the resource side
        const sig = `${r.vertex.kind}|${ev.resourceKey(p, r.node)}|${r.objects ? ev.resourceKey(p, r.objects) : ""}`;
        let hit = bySig.get(sig);
        if (hit === undefined) bySig.set(sig, (hit = this.accessOn(p, r, wantAction)));
        return hit;
      });
      perClass.set(p.classId, hits);
    }
    const edges: AccessEdge[] = [];
    let total = 0;
    for (const p of principals) {
      const shared = perClass.get(p.classId)!;
      const mine = singled.get(p.vertex.id);
      for (let i = 0; i < resources.length; i++) {
        const own = mine?.get(i);
        const hit = own !== undefined ? own : shared[i];
        if (!hit) continue;
        total++;
        if (edges.length < limit)
          edges.push({ from: p.vertex.id, to: resources[i]!.vertex.id, kind: "access", actions: hit.actions, via: hit.via });
      }
    }
    return { edges, total };
  }

  /**
   * The actions p may perform on the resource, with the statements that allow them; null for none.
   * Candidate actions that the statements in play match alike are decided by one evaluation.
   */
  private accessOn(
    p: PrincipalNode,
    r: { vertex: ResourceVertex; node: ResourceNode; objects?: ResourceNode },
    wantAction: string | undefined,
  ): Hit | null {
    const ev = this.evaluator;
    const allowed: Array<{ actions: string[]; check: Check }> = [];
    let count = 0;
    let candidates = 0;
    for (const node of r.objects ? [r.node, r.objects] : [r.node]) {
      const suffix = node === r.objects ? "/*" : "";
      const { groups, size } = ev.actionGroups(p, node, r.vertex.kind, suffix, wantAction);
      candidates += size;
      for (const grp of groups) {
        const c = ev.check(p, grp.rep, node);
        if (!c.allowed) continue;
        allowed.push({ actions: grp.actions, check: c });
        count += grp.actions.length;
      }
    }
    if (count === 0) return null;
    const actions =
      wantAction === undefined && count === candidates ? [`${serviceOf(r.vertex.kind)}:*`] : allowed.flatMap((x) => x.actions).sort();
    // The statements, read only when the edge is shown.
    let via: Via[] | undefined;
    return {
      actions,
      get via() {
        via ??= compactVia(allowed.flatMap((x) => x.check.via));
        return via;
      },
    };
  }

  /** The engine's decision for any principal, action and resource ARN (the inventory's policy applies when the ARN is one of its resources). */
  can(p: PrincipalNode, action: string, resourceArn: string, extra?: Record<string, string>): Check {
    return this.evaluator.check(p, action, this.nodeFor(resourceArn, action), extra);
  }

  private readonly trustNodes = new Map<string, ResourceNode>();

  /** The resource as the action sees it: a role's trust policy is its resource policy for STS actions only. */
  nodeFor(arn: string, action: string): ResourceNode {
    if (!action.toLowerCase().startsWith("sts:")) return this.resourceNode(arn);
    let n = this.trustNodes.get(arn);
    if (!n) {
      const role = this.byId.get(arn);
      const state = role?.vertex.kind === "role" ? role.account.roles.find((r) => r.arn === arn) : undefined;
      n = state ? this.evaluator.resourceNode(arn, role!.account.accountId, state.trust, "trust") : this.resourceNode(arn);
      this.trustNodes.set(arn, n);
    }
    return n;
  }

  private readonly adhoc = new Map<string, ResourceNode>();

  /** An inventory resource (with its policy), a role (trust policy for sts:AssumeRole is separate), or a bare ARN. */
  resourceNode(arn: string): ResourceNode {
    let n = this.adhoc.get(arn);
    if (n) return n;
    const known = this.resourceIndex.get(arn);
    if (known) n = known.node;
    else if (arn.startsWith("arn:aws:s3:::") && arn.includes("/")) {
      const bucket = this.resourceIndex.get(arn.slice(0, arn.indexOf("/")));
      if (bucket) n = { ...bucket.node, arn };
    }
    n ??= { arn, account: accountOf(arn) ?? "" };
    this.adhoc.set(arn, n);
    return n;
  }

  /**
   * Escalation paths: for every principal that is not admin-equivalent in an account, the shortest chain
   * of principal edges to one that is (an admin role of another account counts: being admin in your own
   * account says nothing of theirs), ending with that admin's own technique; or, with `target`, to that
   * principal. A principal admin only through one of the techniques (not `*` itself) is listed too.
   */
  escalations(target?: string): EscalationPath[] {
    const out: EscalationPath[] = [];
    if (target) {
      const next = this.backwardSearch(this.principals.some((p) => p.vertex.id === target) ? [target] : []);
      for (const p of this.principals)
        if (p.vertex.id !== target && next.has(p.vertex.id))
          out.push({ principal: p.vertex.id, reaches: target, steps: this.pathFrom(p.vertex.id, next) });
      return out;
    }
    for (const p of this.principals)
      if (p.vertex.admin && p.vertex.admin.technique !== "*:*")
        out.push({ principal: p.vertex.id, reaches: p.vertex.id, steps: [p.vertex.admin] });
    for (const account of this.evaluator.accounts.keys()) {
      const goals = this.principals.filter((p) => p.vertex.account === account && p.vertex.admin && p.vertex.kind !== "root");
      const next = this.backwardSearch(goals.map((g) => g.vertex.id));
      for (const p of this.principals) {
        const id = p.vertex.id;
        if ((p.vertex.account === account && p.vertex.admin) || !next.has(id)) continue;
        const steps = this.pathFrom(id, next);
        const end = steps[steps.length - 1]!.to;
        steps.push(this.byId.get(end)!.vertex.admin!);
        out.push({ principal: id, reaches: end, steps });
      }
    }
    return out;
  }

  /** Multi-source backward BFS over principal edges: for each principal that reaches a goal, its first edge. */
  private backwardSearch(goals: string[]): Map<string, PrincipalEdge | null> {
    const next = new Map<string, PrincipalEdge | null>();
    const queue: string[] = [];
    for (const g of goals) {
      next.set(g, null);
      queue.push(g);
    }
    for (let i = 0; i < queue.length; i++) {
      for (const e of this.into.get(queue[i]!) ?? []) {
        if (next.has(e.from)) continue;
        next.set(e.from, e);
        queue.push(e.from);
      }
    }
    return next;
  }

  private pathFrom(id: string, next: Map<string, PrincipalEdge | null>): EscalationStep[] {
    const steps: EscalationStep[] = [];
    let at = next.get(id);
    while (at) {
      const { kind: _kind, ...step } = at;
      steps.push(step);
      at = next.get(at.to);
    }
    return steps;
  }

  /**
   * "Who can perform `action` on `resource`?": every principal the engine allows, and every principal
   * that reaches one of them through principal edges (assume-role chains, escalation techniques).
   */
  reach(resource: string, action: string): Reacher[] {
    const node = this.nodeFor(resource, action);
    const direct = new Map<string, Via[]>();
    for (const p of this.principals) {
      if (node.account !== p.vertex.account && !node.policy) continue; // cross account needs the resource side
      const c = this.evaluator.check(p, action, node);
      if (c.allowed) direct.set(p.vertex.id, c.via);
    }
    const next = this.backwardSearch([...direct.keys()]);
    const out: Reacher[] = [];
    for (const p of this.principals) {
      const id = p.vertex.id;
      if (!next.has(id)) continue;
      const path = this.pathFrom(id, next);
      const actor = path.length ? path[path.length - 1]!.to : id;
      out.push({ principal: id, path, actor, via: direct.get(actor) ?? [] });
    }
    return out;
  }
}

/** One entry per (policy, statement): an access edge's `actions` say what they allow together. */
function compactVia(via: Via[]): Via[] {
  const seen = new Map<string, Via>();
  for (const v of via) {
    const key = `${v.type}\n${v.policy}\n${v.statement}`;
    if (!seen.has(key)) {
      const { action: _action, ...statement } = v;
      seen.set(key, statement);
    }
  }
  return [...seen.values()];
}

function resourceWanted(v: ResourceVertex, f: AccessFilter, wantAction: string | undefined): boolean {
  if (f.service && serviceOf(v.kind) !== f.service.toLowerCase()) return false;
  if (wantAction !== undefined && !wantAction.startsWith(`${serviceOf(v.kind)}:`)) return false;
  if (f.resource) {
    const r = f.resource;
    if (r.endsWith("*") ? !v.id.startsWith(r.slice(0, -1)) : v.id !== r) return false;
  }
  return true;
}

function resourceName(arn: string, type: ResourceType): string {
  if (type === "s3:bucket") return arn.slice("arn:aws:s3:::".length);
  const tail = arn.split(":").slice(5).join(":");
  const slash = tail.indexOf("/");
  return slash >= 0 ? tail.slice(slash + 1) : tail;
}

function accountOf(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts.length >= 6 && /^\d{12}$/.test(parts[4]!) ? parts[4] : undefined;
}
