/**
 * Every edge of the graph is a decision of the real engine (src/policy `evaluate`, as the live
 * authorizer uses it): this module only builds the engine's inputs (principal, PolicySet, request)
 * from the graph's state and remembers the answers. Pruning, exact by construction:
 *
 * - principals with the same policies (account, kind, identity, boundary, tags, SCPs) form a class and
 *   are evaluated once — unless a policy depends on who the principal is (policy variables,
 *   `aws:Principal*` / `aws:username` / `aws:userid` keys): such a principal is a class of its own;
 * - a resource without a resource-based policy is evaluated once per class and *match group*: the
 *   resources that every Resource / NotResource element of the class's policies matches alike;
 * - a resource policy that names a principal (its ARN, or the role behind a session) or depends on who
 *   calls is evaluated for that principal alone; for the others of its class, once — and resources whose
 *   policies differ only by their own ARN (AWS's default topic and key policies) share that decision;
 *   a policy none of whose statements names the class is decided as no policy;
 * - the catalogued actions of a resource type that the statements in play match alike (same statements'
 *   Action elements) are decided by one of them.
 * Keys the class shares (account, kind, tags, organization) do not split a class; only the principal's
 * own ARN, name and id (`aws:PrincipalArn`, `aws:username`, `aws:userid`, policy variables) do.
 */
import { buildContext, type RequestContext } from "../policy/context";
import type { CompiledStatement } from "../policy/document";
import {
  evaluate,
  parsePolicy,
  type CompiledPolicy,
  type PolicyKind,
  type PolicySet,
  type PolicySource,
  type Principal,
} from "../policy/index";
import { matchAction } from "../policy/match/action";
import { matchPrincipal } from "../policy/match/principal";
import { matchResource, resourceTarget, type CompiledResourceElement } from "../policy/match/resource";
import { actionsFor } from "./catalog-actions";
import type { AccountState, GraphInput, PolicyDoc, PrincipalVertex, ResourceType, ResourceVertex, Via } from "./types";

/** Policy ids that allow everything by default: not worth naming as what formed an edge. */
const DEFAULT_ALLOWS = new Set([
  "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
  "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
]);

/**
 * Text that makes a policy's outcome depend on which member of a class calls (checked on the document,
 * conservatively: any policy variable counts). aws:PrincipalTag, aws:PrincipalAccount, aws:PrincipalOrgID,
 * aws:PrincipalType … are the same for the whole class.
 */
const PRINCIPAL_DEPENDENT = /\$\{|aws:principalarn|aws:username|aws:userid/i;

export interface PrincipalNode {
  vertex: PrincipalVertex;
  principal: Principal;
  account: AccountState;
  identity: PolicySource[];
  boundary?: PolicySource[];
  /** aws:PrincipalTag/…, aws:PrincipalOrgID … */
  context: Record<string, string | string[]>;
  classId: string;
  /** Identity-side Allow statements (candidate actions come from these). */
  allows: CompiledStatement[];
  /** Statements with a Resource / NotResource element (identity, boundary, SCPs): the match groups. */
  resourceStatements: CompiledStatement[];
  /** Lower-cased ARNs a resource policy would name it by (its own, the role behind its session). */
  names: string[];
}

export interface ResourceNode {
  arn: string;
  account: string;
  type?: ResourceType;
  vertex?: ResourceVertex;
  /** The resource-based policy (a role's trust policy for sts:AssumeRole). */
  policy?: PolicySource[];
  requireResourceAllow?: boolean;
  /** Lower-cased ARNs its policy names in Principal / NotPrincipal. */
  named?: Set<string>;
  /** Its policy depends on who calls (conditions on aws:Principal* …): evaluate per principal. */
  dependent?: boolean;
  /** Allow statements of its policy (candidate actions). */
  allows?: CompiledStatement[];
  /** Its policy's text with its own ARN left out: resources whose policies differ only by their ARN decide alike. */
  shape?: number;
  /** The ARN the policy was written for (a bucket's, for its objects too): named as the policy of its edges. */
  base?: string;
}

export interface Check {
  readonly allowed: boolean;
  /** The statements that formed the decision (explained on first read: most decisions are never shown). */
  readonly via: Via[];
}

export interface ActionGroup {
  /** The action evaluated for the group. */
  rep: string;
  actions: string[];
}

const DENIED: Check = Object.freeze({ allowed: false, via: [] as Via[] });

class Allowed implements Check {
  readonly allowed = true;
  private explained?: Via[];
  constructor(private readonly explain: () => Via[]) {}
  get via(): Via[] {
    this.explained ??= this.explain();
    return this.explained;
  }
}

/** A shared decision seen from one resource: its resource-based policy named by that resource's ARN. */
class AsResource implements Check {
  constructor(
    private readonly c: Check,
    private readonly policyId: string,
  ) {}
  get allowed(): boolean {
    return this.c.allowed;
  }
  get via(): Via[] {
    return this.c.via.map((v) => (v.type === "resource" && v.policy !== this.policyId ? { ...v, policy: this.policyId } : v));
  }
}

export class Evaluator {
  private readonly compiled = new Map<string, CompiledPolicy | null>();
  private readonly memo = new Map<string, Check>();
  private readonly groups = new Map<string, Map<string, string>>();
  private readonly classIds = new Map<string, string>();
  private readonly scps = new Map<string, PolicySource[][] | undefined>();
  private readonly rcps = new Map<string, PolicySource[][] | undefined>();
  private readonly rcpStatements = new Map<string, CompiledStatement[]>();
  private readonly rcpServices: ReadonlySet<string>;
  readonly accounts = new Map<string, AccountState>();
  /** Engine evaluations run (for the figures). */
  evaluations = 0;

  /** Some account's RCPs depend on who calls: every principal is then a class of its own. */
  private readonly rcpsDependent: boolean;

  constructor(input: GraphInput) {
    this.rcpServices = new Set((input.rcpServices ?? []).map((s) => s.toLowerCase()));
    this.rcpsDependent = input.accounts.some((a) => a.rcps?.flat().some((d) => PRINCIPAL_DEPENDENT.test(d.json)));
    for (const a of input.accounts) {
      this.accounts.set(a.accountId, a);
      this.scps.set(
        a.accountId,
        a.scps?.map((level) => this.sources(level, "scp")),
      );
      const rcps = a.rcps?.map((level) => this.sources(level, "rcp"));
      this.rcps.set(a.accountId, rcps);
      this.rcpStatements.set(a.accountId, rcps ? withResource(rcps.flat()) : []);
    }
  }

  /** A document compiled once (the same text shares one compiled policy); null when it does not parse. */
  compile(json: string, kind: PolicyKind): CompiledPolicy | null {
    const key = `${kind}\n${json}`;
    let c = this.compiled.get(key);
    if (c === undefined) {
      const r = parsePolicy(json, kind);
      c = r.ok ? r.policy : null;
      this.compiled.set(key, c);
    }
    return c;
  }

  sources(docs: readonly PolicyDoc[], kind: "identity" | "boundary" | "scp" | "rcp" | "resource" | "trust"): PolicySource[] {
    const type = kind === "trust" ? "resource" : kind;
    const out: PolicySource[] = [];
    for (const d of docs) {
      const policy = this.compile(d.json, kind);
      if (policy) out.push(d.name ? { id: d.id, type, name: d.name, policy } : { id: d.id, type, policy });
    }
    return out;
  }

  /** The engine's principal and inputs for a root user, IAM user or role (its sessions). */
  principalNode(
    vertex: PrincipalVertex,
    principal: Principal,
    account: AccountState,
    docs: { identity: PolicyDoc[]; boundary?: PolicyDoc; tags?: Record<string, string> },
  ): PrincipalNode {
    const identity = this.sources(docs.identity, "identity");
    const boundary = docs.boundary ? this.sources([docs.boundary], "boundary") : undefined;
    const context: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(docs.tags ?? {})) context[`aws:PrincipalTag/${k}`] = v;
    if (account.orgId) {
      context["aws:PrincipalOrgID"] = account.orgId;
      if (account.orgPath) context["aws:PrincipalOrgPaths"] = [account.orgPath];
    }
    const texts = [...docs.identity.map((d) => d.json), docs.boundary?.json ?? "", ...(account.scps?.flat().map((d) => d.json) ?? [])];
    const dependent = this.rcpsDependent || texts.some((t) => PRINCIPAL_DEPENDENT.test(t));
    const classKey = dependent
      ? `arn\n${vertex.id}`
      : [
          account.accountId,
          principal.kind,
          principal.serviceLinkedRole ? "slr" : "",
          ...docs.identity.map((d) => `${d.id}\n${this.intern(d.json)}`),
          `b\n${docs.boundary ? this.intern(docs.boundary.json) : ""}`,
          JSON.stringify(context),
        ].join("\u0001");
    let classId = this.classIds.get(classKey);
    if (!classId) this.classIds.set(classKey, (classId = `c${this.classIds.size}`));
    const all = [...identity, ...(boundary ?? []), ...(this.scps.get(account.accountId)?.flat() ?? [])];
    const names = [vertex.id.toLowerCase()];
    return {
      vertex,
      principal,
      account,
      identity,
      boundary,
      context,
      classId,
      allows: identity.flatMap((s) => s.policy.statements.filter((st) => st.effect === "Allow")),
      resourceStatements: withResource(all),
      names,
    };
  }

  private readonly interned = new Map<string, number>();
  private intern(text: string): number {
    let n = this.interned.get(text);
    if (n === undefined) this.interned.set(text, (n = this.interned.size));
    return n;
  }

  /** A resource as the engine sees it; `kind` "trust" for a role (sts:AssumeRole), "key" for KMS (its policy must allow). */
  resourceNode(
    arn: string,
    account: string,
    policy: string | undefined,
    kind: "resource" | "trust" = "resource",
    mandatory = false,
  ): ResourceNode {
    const node: ResourceNode = { arn, account };
    if (policy === undefined) return node;
    const sources = this.sources([{ id: arn, json: policy }], kind);
    node.policy = sources;
    node.base = arn;
    node.shape = this.intern(`${kind}\n${mandatory}\n${policy.split(arn).join("\u0000")}`);
    node.requireResourceAllow = mandatory || kind === "trust";
    node.dependent = PRINCIPAL_DEPENDENT.test(policy);
    const named = new Set<string>();
    const allows: CompiledStatement[] = [];
    for (const s of sources) {
      for (const st of s.policy.statements) {
        if (st.principal) for (const a of st.principal.arns) named.add(a.toLowerCase());
        if (st.effect === "Allow") allows.push(st);
      }
    }
    node.named = named;
    node.allows = allows;
    return node;
  }

  /** Whether the resource's policy must be evaluated for this principal alone. */
  singlesOut(p: PrincipalNode, r: ResourceNode): boolean {
    if (!r.policy) return false;
    if (r.dependent) return true;
    for (const n of p.names) if (r.named!.has(n)) return true;
    return false;
  }

  /**
   * Which of the class's Resource elements match this resource: resources alike need one evaluation.
   * Elements that match every resource (`"Resource": "*"`) say nothing and are left out; equal
   * elements count once.
   */
  matchGroup(p: PrincipalNode, r: ResourceNode): string {
    const elements = this.elementsOf(p, r.account);
    if (elements.length === 0) return r.account;
    let perClass = this.groups.get(p.classId);
    if (!perClass) this.groups.set(p.classId, (perClass = new Map()));
    let g = perClass.get(r.arn);
    if (g !== undefined) return g;
    const target = resourceTarget(r.arn);
    const ctx = this.contextOf(p);
    g = `${r.account}:`;
    for (const el of elements) g += matchResource(el, target, ctx, false).matched ? "1" : "0";
    perClass.set(r.arn, g);
    return g;
  }

  /** The distinct Resource elements of the class's statements (identity, boundary, SCPs) and of the owner's RCPs, `*` left out. */
  private elementsOf(p: PrincipalNode, owner: string): CompiledResourceElement[] {
    let byOwner = this.elements.get(p.classId);
    if (!byOwner) this.elements.set(p.classId, (byOwner = new Map()));
    let els = byOwner.get(owner);
    if (els) return els;
    const seen = new Map<string, CompiledResourceElement>();
    for (const s of [...p.resourceStatements, ...(this.rcpStatements.get(owner) ?? [])]) {
      const el = s.resource!;
      if (!el.not && el.values.length === 1 && el.values[0] === "*") continue;
      const k = `${el.not}\n${el.values.join("\n")}`;
      if (!seen.has(k)) seen.set(k, el);
    }
    els = [...seen.values()];
    byOwner.set(owner, els);
    return els;
  }
  private readonly elements = new Map<string, Map<string, CompiledResourceElement[]>>();

  /** The request context of a principal (policy variables in Resource elements are its keys). */
  private contextOf(p: PrincipalNode): RequestContext {
    let ctx = this.contexts.get(p.vertex.id);
    if (!ctx) {
      ctx = buildContext({ principal: p.principal, action: "", resource: "*", resourceAccount: p.account.accountId, context: p.context });
      this.contexts.set(p.vertex.id, ctx);
    }
    return ctx;
  }
  private readonly contexts = new Map<string, RequestContext>();

  /** Which of the policy's own Resource elements match the resource (with its shape, what its decisions depend on). */
  private policyGroup(p: PrincipalNode, r: ResourceNode): string {
    // Variables in its Resource elements resolve per principal: such a policy is its resource's alone.
    if (r.dependent) return r.arn;
    const key = `${r.arn}\n${r.shape}`;
    let g = this.policyBits.get(key);
    if (g !== undefined) return g;
    const target = resourceTarget(r.arn);
    const ctx = buildContext({ principal: p.principal, action: "", resource: r.arn, resourceAccount: r.account, context: {} });
    g = `${r.shape}:`;
    for (const src of r.policy!)
      for (const s of src.policy.statements) if (s.resource) g += matchResource(s.resource, target, ctx, false).matched ? "1" : "0";
    this.policyBits.set(key, g);
    return g;
  }
  private readonly policyBits = new Map<string, string>();

  /** What p's decisions on r depend on besides the action: resources with the same key are decided alike. */
  resourceKey(p: PrincipalNode, r: ResourceNode): string {
    if (!r.policy) return this.matchGroup(p, r);
    if (!this.inPlay(p, r)) return `${r.requireResourceAllow ? "!" : "~"}${this.matchGroup(p, r)}`;
    return `${this.policyGroup(p, r)}\n${this.matchGroup(p, r)}`;
  }

  /**
   * Whether the resource's policy can say anything about p: some statement's Principal matches it (or it
   * has a NotPrincipal). A policy none of whose statements names p decides as no policy would (the
   * engine finds no Allow and no Deny in it), so resources whose policies all pass p by share decisions.
   */
  inPlay(p: PrincipalNode, r: ResourceNode): boolean {
    if (!r.policy) return false;
    if (this.singlesOut(p, r)) return true;
    const key = `${p.classId}\n${r.shape}`;
    let v = this.inPlayMemo.get(key);
    if (v === undefined) {
      v = false;
      for (const src of r.policy)
        for (const st of src.policy.statements)
          if (!st.principal || st.principal.not || matchPrincipal(st.principal, p.principal, false).matched) v = true;
      this.inPlayMemo.set(key, v);
    }
    return v;
  }
  private readonly inPlayMemo = new Map<string, boolean>();

  /**
   * The engine's decision on `p` performing `action` on `r` (context: extra request keys such as
   * iam:PassedToService). Allowed decisions carry the Allow statements that formed them.
   */
  check(p: PrincipalNode, action: string, r: ResourceNode, extra?: Record<string, string>): Check {
    const who = this.singlesOut(p, r) ? p.vertex.id : p.classId;
    const where = this.resourceKey(p, r);
    const key = `${who}\n${action}\n${where}${extra ? `\n${JSON.stringify(extra)}` : ""}`;
    let c = this.memo.get(key);
    if (!c) {
      c = this.run(p, action, r, extra);
      this.memo.set(key, c);
    }
    return r.base && c.allowed ? new AsResource(c, r.base) : c;
  }

  /**
   * The catalogued actions of the resource type (on the ARN plus `suffix`) that some Allow statement
   * reaches, grouped by which statements in play (identity, boundary, SCPs, RCPs, resource policy) their
   * Action elements match: actions of one group are decided alike by the engine, so one decides for all.
   */
  actionGroups(
    p: PrincipalNode,
    r: ResourceNode,
    type: ResourceType,
    suffix: string,
    only?: string,
  ): { groups: ActionGroup[]; size: number } {
    const inPlay = this.inPlay(p, r);
    const key = `${p.classId}\n${inPlay ? r.shape : ""}\n${r.account}\n${type}\n${suffix}\n${only ?? ""}`;
    let out = this.signatures.get(key);
    if (out) return out;
    const statements: CompiledStatement[] = [];
    const add = (sources: readonly PolicySource[] | undefined) => {
      if (sources) for (const src of sources) statements.push(...src.policy.statements);
    };
    add(p.identity);
    add(p.boundary);
    for (const level of this.scps.get(p.account.accountId) ?? []) add(level);
    for (const level of this.rcps.get(r.account) ?? []) add(level);
    if (inPlay) add(r.policy);
    const bySig = new Map<string, ActionGroup>();
    let size = 0;
    for (const a of actionsFor(type)) {
      if (a.suffix !== suffix || (only !== undefined && a.lower !== only)) continue;
      size++;
      if (!this.mayAllow(p, a.lower, inPlay ? r : undefined)) continue;
      let sig = "";
      for (const st of statements) sig += matchAction(st.action, a.lower).matched ? "1" : "0";
      const g = bySig.get(sig);
      if (g) g.actions.push(a.action);
      else bySig.set(sig, { rep: a.action, actions: [a.action] });
    }
    out = { groups: [...bySig.values()], size };
    this.signatures.set(key, out);
    return out;
  }
  private readonly signatures = new Map<string, { groups: ActionGroup[]; size: number }>();

  private run(p: PrincipalNode, action: string, r: ResourceNode, extra?: Record<string, string>): Check {
    const set: PolicySet = { identity: p.identity };
    if (p.boundary) set.boundary = p.boundary;
    const scps = this.scps.get(p.account.accountId);
    if (scps) set.scps = scps;
    const owner = this.accounts.get(r.account);
    const rcps = this.rcps.get(r.account);
    if (rcps && this.rcpServices.has(action.slice(0, action.indexOf(":")).toLowerCase())) set.rcps = rcps;
    if (r.policy) {
      set.resource = r.policy;
      if (r.requireResourceAllow) set.requireResourceAllow = true;
    }
    const context: Record<string, string | string[]> = { ...p.context, ...extra };
    if (owner?.orgId) {
      context["aws:ResourceOrgID"] = owner.orgId;
      if (owner.orgPath) context["aws:ResourceOrgPaths"] = [owner.orgPath];
    }
    const request = { principal: p.principal, action, resource: r.arn, resourceAccount: r.account, context };
    this.evaluations++;
    if (evaluate(request, set, { explain: false }).decision !== "allow") return DENIED;
    // Allowed: the statements that formed it come from the same evaluation with the explanation on, when asked.
    return new Allowed(() => {
      const d = evaluate(request, set, { explain: true });
      const via: Via[] = [];
      for (const pe of d.explanation.policies) {
        if (DEFAULT_ALLOWS.has(pe.id)) continue;
        for (const st of pe.statements) {
          if (!st.matched || st.effect !== "Allow") continue;
          const v: Via = { action, type: pe.type, policy: pe.id, statement: st.index };
          if (st.sid) v.sid = st.sid;
          via.push(v);
        }
      }
      return via;
    });
  }

  /** Whether the trust policy lets the AWS service (`ec2.amazonaws.com` …) assume the role. */
  serviceMayAssume(service: string, trust: ResourceNode): boolean {
    if (!trust.policy) return false;
    const principal: Principal = { kind: "service", account: "", arn: service, userId: service, serviceName: service };
    this.evaluations++;
    const request = { principal, action: "sts:AssumeRole", resource: trust.arn, resourceAccount: trust.account, context: {} };
    return evaluate(request, { identity: [], resource: trust.policy, requireResourceAllow: true }, { explain: false }).decision === "allow";
  }

  /** Whether some of the class's identity Allow statements (or the resource policy's) reach the action. */
  mayAllow(p: PrincipalNode, actionLower: string, r?: ResourceNode): boolean {
    if (p.principal.kind === "root") return true;
    for (const s of p.allows) if (matchAction(s.action, actionLower).matched) return true;
    if (r?.allows) for (const s of r.allows) if (matchAction(s.action, actionLower).matched) return true;
    return false;
  }
}

function withResource(sources: readonly PolicySource[]): CompiledStatement[] {
  const out: CompiledStatement[] = [];
  for (const s of sources) for (const st of s.policy.statements) if (st.resource) out.push(st);
  return out;
}
