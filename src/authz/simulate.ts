/**
 * The IAM policy simulator's core: policies + a simulated request → AWS's EvaluationResults.
 * Pure and synchronous (no D1): the service layer gathers a principal's policies and hands them in.
 * Every decision comes from the same engine that authorizes live requests (src/policy analyze + decide);
 * this file only maps the engine's analysis (per policy type, matched statements, context keys used)
 * onto AWS's output shapes:
 *
 * - one EvaluationResult per action (AWS's current behaviour); with ResourceArns every resource gets a
 *   ResourceSpecificResult and the top-level EvalDecision is the most restrictive of them;
 * - MatchedStatements: the Deny statements that matched when explicitly denied, the Allow statements of the
 *   identity and resource policies that matched when allowed, none on an implicit deny; positions from the
 *   source text (statement-positions.ts);
 * - MissingContextValues: of what the statements the request reached needed (the analysis' contextKeys),
 *   the condition keys absent from the request context and the policy variables not given in ContextEntries;
 * - EvalDecisionDetails: absent for `*` in the same account, empty for a named resource in the same
 *   account, per side ("IAM Policy" / "Resource Policy") across accounts;
 * - PermissionsBoundaryDecisionDetail when a boundary is simulated, OrganizationsDecisionDetail when the
 *   simulated principal's account is in an organization; when its SCPs deny, no EvalDecisionDetails (AWS: "If an
 *   Organizations SCP included in the evaluation denies access, the simulation ends … this parameter is not returned").
 */
import {
  analyze,
  decisionOf,
  parsePolicy,
  type Analysis,
  type AuthzRequest,
  type CompiledPolicy,
  type ContextValue,
  type Decision,
  type PolicyKind,
  type PolicySet,
  type PolicySource,
  type PolicySourceType,
  type PolicyTypeAnalysis,
  type Principal,
} from "../policy/index";
import { charge, withWorkBudget, WorkBudgetExceeded } from "../policy/budget";
import { escapeLiteral, globMatch } from "../policy/glob";
import { actionResourceTypes } from "../data/catalog";
import { parseArn } from "../lib/arn";
import { parseNumber } from "../policy/conditions/numeric";
import { parseDate } from "../policy/conditions/date";
import { parseCidr } from "../policy/conditions/ip";
import { XmlMap, type XmlValue } from "../protocol/xml";
import { statementPositions, type StatementSpan } from "./statement-positions";

export type SimDecision = "allowed" | "explicitDeny" | "implicitDeny";

/** A policy as the simulator reports it. */
export interface SimPolicy {
  /** SourcePolicyId: `PolicyInputList.1`, a managed policy's name, `user_bob_inline`, `ResourcePolicy` … */
  id: string;
  /** SourcePolicyType as AWS reports it: "IAM Policy" for identity-side policies, "resource" … */
  type: string;
  /** The document exactly as stored / sent (positions are computed on it). */
  json: string;
  policy: CompiledPolicy;
}

export interface SimulationInput {
  principal: Principal;
  /** Identity-based policies: the entity's (user + its groups, or role) and PolicyInputList. */
  identity: SimPolicy[];
  /** undefined = no permissions boundary in the simulation. */
  boundary?: SimPolicy[];
  /** iamlab extension (not reachable through AWS's API): session policies of a simulated session. */
  session?: SimPolicy[];
  resourcePolicy?: SimPolicy;
  /**
   * SCP levels (root → account) of the simulated principal's account; [] for an account of an
   * organization that SCPs do not restrict (the management account, or SCPs not enabled); undefined =
   * the account is in no organization (no OrganizationsDecisionDetail). SCP statements are never listed
   * in MatchedStatements: AWS's SourcePolicyType has no value for them.
   */
  scps?: Array<Array<Pick<SimPolicy, "id" | "policy">>>;
  actions: string[];
  /** Empty = `*` (AWS's default). */
  resources: string[];
  /** Account id owning resources whose ARN names none (and the resource policy); default = principal's. */
  resourceOwner?: string;
  context: Record<string, ContextValue>;
}

export interface SimStatement {
  SourcePolicyId: string;
  SourcePolicyType: string;
  StartPosition?: { Line: number; Column: number };
  EndPosition?: { Line: number; Column: number };
}

/** One engine evaluation, kept so callers can record it as an explainable decision. */
export interface SimEvaluation {
  request: AuthzRequest;
  decision: Decision;
}

export interface SimulationOutput {
  /**
   * Serializer-ready EvaluationResult objects, one per action, in input order: every action of the
   * input, or the first ones when the work budget ran out (`exhausted`).
   */
  results: Array<{ [k: string]: XmlValue }>;
  /** The work budget ran out before every action was simulated (results holds those that were). */
  exhausted: boolean;
}

/**
 * The work one simulation request may do, in budget units (policy/budget.ts): about one character of
 * policy per unit. Each engine evaluation costs the size of every policy it evaluates (the engine's work
 * per evaluation grows with it), each item of output (EvaluationResult, ResourceSpecificResult, matched
 * statement, missing key) OUTPUT_ITEM_UNITS. Within this budget one page is computed in well under a second
 * and serializes to at most a few MiB; a page that would need more is cut short (IsTruncated with a
 * Marker: AWS documents that IAM may return fewer than MaxItems results even when more are available).
 * AWS publishes no such bound (its API model has no size limit on ActionNames, ResourceArns or
 * PolicyInputList): this is iamlab's, so that one request cannot hold the shared isolate for seconds.
 */
export const SIMULATION_WORK_BUDGET = 20_000_000;
/** ≈ the characters an output item serializes to. */
export const OUTPUT_ITEM_UNITS = 2_000;

export type CompileResult = { ok: true; policy: SimPolicy } | { ok: false; message: string };

/** Parses one simulator input document (identity, boundary, session or resource policy). */
export function compileSimPolicy(id: string, type: string, json: string, kind: PolicyKind): CompileResult {
  const r = parsePolicy(json, kind);
  if (!r.ok) return { ok: false, message: r.message };
  return { ok: true, policy: { id, type, json, policy: r.policy } };
}

const DECISION: Record<Decision["decision"], SimDecision> = {
  allow: "allowed",
  explicitDeny: "explicitDeny",
  implicitDeny: "implicitDeny",
};

const RESTRICTIVENESS: Record<SimDecision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };

interface Sources {
  /** The simulator's policy behind each engine source (matched statements name their source). */
  simPolicy: Map<PolicySource, SimPolicy>;
  set: PolicySet;
}

function sources(input: SimulationInput): Sources {
  const simPolicy = new Map<PolicySource, SimPolicy>();
  const toSource =
    (type: PolicySourceType) =>
    (p: SimPolicy): PolicySource => {
      const src: PolicySource = { id: p.id, type, policy: p.policy };
      simPolicy.set(src, p);
      return src;
    };
  const set: PolicySet = { identity: input.identity.map(toSource("identity")) };
  if (input.boundary) set.boundary = input.boundary.map(toSource("boundary"));
  if (input.session) set.session = input.session.map(toSource("session"));
  if (input.resourcePolicy) set.resource = [toSource("resource")(input.resourcePolicy)];
  // Not in `simPolicy`: SCP statements are not reported as matched statements.
  if (input.scps) set.scps = input.scps.map((lvl) => lvl.map((p) => ({ id: p.id, type: "scp" as const, policy: p.policy })));
  return { simPolicy, set };
}

/** The account a resource belongs to: its ARN's account, else ResourceOwner, else the caller's. */
function resourceAccount(resource: string, input: SimulationInput): string {
  const a = resource === "*" ? null : parseArn(resource);
  if (a && /^\d{12}$/.test(a.account)) return a.account;
  return input.resourceOwner ?? input.principal.account;
}

/** `name, 'default'` → name (linear; a regular expression here was quadratic in runs of spaces). */
function withoutDefault(inner: string): string {
  const end = inner.trimEnd();
  if (!end.endsWith("'")) return inner;
  const open = end.lastIndexOf("'", end.length - 2);
  if (open < 0) return inner;
  const before = end.slice(0, open).trimEnd();
  return before.endsWith(",") ? before.slice(0, -1) : inner;
}

/**
 * Condition keys referenced as policy variables in a string (`${aws:username}`, `${k, 'default'}`).
 * indexOf rather than /\$\{([^}]*)\}/g, which rescans to the end from every `${` when no `}` follows.
 */
export function variableKeys(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const open = s.indexOf("${", from);
    if (open < 0) break;
    const close = s.indexOf("}", open + 2);
    if (close < 0) break;
    from = close + 1;
    const name = withoutDefault(s.slice(open + 2, close)).trim();
    if (name === "*" || name === "?" || name === "$" || name === "") continue;
    out.push(name);
  }
  return out;
}

function addKey(out: string[], seen: Set<string>, key: string): void {
  const k = key.toLowerCase();
  if (seen.has(k)) return;
  seen.add(k);
  out.push(key);
}

/**
 * MissingContextValues: of the keys the reached statements used (the analysis), the condition keys the
 * request context lacked and the policy variables not given in ContextEntries, each once, in order.
 */
function missingKeys(analysis: Analysis, provided: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const u of analysis.contextKeys ?? []) {
    if ((u.use === "variable" || !u.present) && !provided.has(u.key.toLowerCase())) addKey(out, seen, u.key);
  }
  return out;
}

/** AWS's way of naming the resource of an aggregate result over several ARNs: the resource type's pattern. */
function aggregateResourceName(action: string, resources: string[]): string {
  if (resources.length === 1) return resources[0]!;
  const colon = action.indexOf(":");
  const types = colon > 0 ? actionResourceTypes(action.slice(0, colon), action.slice(colon + 1)) : [];
  const first = resources[0]!;
  // The catalog's pattern with every ${Variable} as `*`, matched by the engine's linear wildcard matcher
  // (a RegExp of `.*` runs backtracks polynomially on a hostile ARN).
  const fits = (pattern: string) =>
    globMatch(
      pattern
        .split(/\$\{[^}]*\}/)
        .map(escapeLiteral)
        .join("*"),
      first,
    );
  const t = types.find((rt) => rt.arnPattern && fits(rt.arnPattern)) ?? types[0];
  if (!t?.arnPattern) return "*";
  return t.arnPattern.replaceAll("${Partition}", "aws").replaceAll("${Region}", "*");
}

export interface SimulateOptions {
  /** Lower-cased names of the keys given in ContextEntries (everything else may be "missing"). */
  provided: ReadonlySet<string>;
  /** Work budget units (default SIMULATION_WORK_BUDGET). */
  budget?: number;
  /**
   * Called after each EvaluationResult with the engine evaluations behind it (one per resource), to
   * record them as explainable decisions; the simulator itself keeps none.
   */
  onResult?: (evaluations: SimEvaluation[]) => void;
}

function setSize(set: PolicySet): number {
  let n = 0;
  const add = (list: readonly PolicySource[] | undefined) => {
    for (const p of list ?? []) n += p.policy.size;
  };
  add(set.identity);
  add(set.boundary);
  add(set.session);
  add(set.resource);
  for (const lvl of set.scps ?? []) add(lvl);
  return n;
}

function outputItems(r: { [k: string]: XmlValue }): number {
  let n = 1;
  const count = (v: XmlValue | undefined) => (Array.isArray(v) ? v.length : 0);
  n += count(r.MatchedStatements) + count(r.MissingContextValues);
  const rsr = r.ResourceSpecificResults;
  if (Array.isArray(rsr)) {
    for (const x of rsr as Array<{ [k: string]: XmlValue }>) n += 1 + count(x.MatchedStatements) + count(x.MissingContextValues);
  }
  return n;
}

interface PerResource {
  resource: string;
  decision: SimDecision;
  matched: SimStatement[];
  missing: string[];
  crossAccount: boolean;
  sides: { identity: SimDecision; resource: SimDecision };
  boundaryAllows?: boolean;
  orgAllows?: boolean;
}

/** One side's decision (EvalDecisionDetails): its explicit deny, else its allow, else implicit deny. */
function sideDecision(t: PolicyTypeAnalysis | null): SimDecision {
  if (t?.deny) return "explicitDeny";
  return t?.allows ? "allowed" : "implicitDeny";
}

/**
 * MatchedStatements: every Deny statement that matched when explicitly denied, the Allow statements of the
 * resource-based and identity-based policies when allowed (in evaluation order), none on an implicit deny.
 */
function matchedStatements(a: Analysis, decision: SimDecision): Array<{ source: PolicySource; index: number }> {
  if (decision === "implicitDeny") return [];
  const types =
    decision === "explicitDeny"
      ? [...(a.scps ?? []), ...(a.rcps ?? []), a.resource, a.identity, a.boundary, a.session]
      : [a.resource, a.identity];
  const effect = decision === "explicitDeny" ? "Deny" : "Allow";
  return types.flatMap((t) => (t?.matched ?? []).filter((m) => m.effect === effect));
}

export function simulate(input: SimulationInput, options: SimulateOptions): SimulationOutput {
  const { simPolicy, set } = sources(input);
  const spans = new Map<SimPolicy, StatementSpan[]>();
  const spanOf = (p: SimPolicy, index: number): StatementSpan | undefined => {
    let s = spans.get(p);
    if (!s) spans.set(p, (s = statementPositions(p.json)));
    return s[index];
  };
  const statement = (p: SimPolicy, index: number): SimStatement => {
    const out: SimStatement = { SourcePolicyId: p.id, SourcePolicyType: p.type };
    const span = spanOf(p, index);
    if (span) {
      out.StartPosition = span.StartPosition;
      out.EndPosition = span.EndPosition;
    }
    return out;
  };

  const resources = input.resources.length ? input.resources : ["*"];
  const results: SimulationOutput["results"] = [];
  const perEvaluation = 1 + setSize(set);
  let exhausted = false;

  try {
    withWorkBudget(options.budget ?? SIMULATION_WORK_BUDGET, () => {
      for (const action of input.actions) {
        const evals: SimEvaluation[] | null = options.onResult ? [] : null;
        const r = simulateAction(action, evals);
        charge(outputItems(r) * OUTPUT_ITEM_UNITS);
        results.push(r); // only whole results: a budget exhausted above leaves this action out
        if (evals) options.onResult!(evals);
      }
    });
  } catch (e) {
    if (!(e instanceof WorkBudgetExceeded)) throw e;
    exhausted = true;
  }
  return { results, exhausted };

  function simulateAction(action: string, evals: SimEvaluation[] | null): { [k: string]: XmlValue } {
    const per: PerResource[] = [];
    for (const resource of resources) {
      charge(perEvaluation);
      const request: AuthzRequest = {
        principal: input.principal,
        action,
        resource,
        resourceAccount: resourceAccount(resource, input),
        context: input.context,
      };
      const analysis = analyze(request, set);
      const decision = decisionOf(analysis);
      evals?.push({ request, decision });
      const value = DECISION[decision.decision];
      const matched: SimStatement[] = [];
      for (const m of matchedStatements(analysis, value)) {
        const src = simPolicy.get(m.source);
        if (src) matched.push(statement(src, m.index));
      }
      const r: PerResource = {
        resource,
        decision: value,
        matched,
        missing: missingKeys(analysis, options.provided),
        crossAccount: analysis.crossAccount,
        sides: { identity: sideDecision(analysis.identity), resource: sideDecision(analysis.resource) },
      };
      if (set.boundary) r.boundaryAllows = analysis.boundary?.allows && !analysis.boundary.deny;
      if (set.scps) {
        // Every level allows and none denies. No levels analysed: SCPs do not restrict this principal
        // (a service-linked role) or this action (sts:GetCallerIdentity).
        const levels = analysis.scps;
        r.orgAllows = levels ? levels.every((l) => l.allows) && !levels.some((l) => l.deny) : true;
      }
      per.push(r);
    }
    return input.resources.length ? aggregate(action, per, input.resources) : single(action, per[0]!);
  }
}

function details(r: PerResource): XmlMap {
  if (!r.crossAccount) return new XmlMap([]);
  return new XmlMap([
    ["IAM Policy", r.sides.identity],
    ["Resource Policy", r.sides.resource],
  ]);
}

/** ResourceArns omitted: one result on `*`. */
function single(action: string, r: PerResource): { [k: string]: XmlValue } {
  return {
    EvalActionName: action,
    EvalResourceName: "*",
    EvalDecision: r.decision,
    MatchedStatements: r.matched as unknown as XmlValue,
    MissingContextValues: r.missing,
    OrganizationsDecisionDetail: r.orgAllows === undefined ? undefined : { AllowedByOrganizations: r.orgAllows },
    PermissionsBoundaryDecisionDetail: r.boundaryAllows === undefined ? undefined : { AllowedByPermissionsBoundary: r.boundaryAllows },
    EvalDecisionDetails: r.crossAccount && r.orgAllows !== false ? details(r) : undefined,
  };
}

/** Two matched statements are the same when policy and start position agree. */
function statementKey(s: SimStatement): string {
  return `${s.StartPosition?.Line ?? ""}:${s.StartPosition?.Column ?? ""}:${s.SourcePolicyId}`;
}

/** ResourceArns given: the aggregate (most restrictive) decision, with one ResourceSpecificResult per ARN. */
function aggregate(action: string, per: PerResource[], resources: string[]): { [k: string]: XmlValue } {
  let decision: SimDecision = "allowed";
  for (const r of per) if (RESTRICTIVENESS[r.decision] > RESTRICTIVENESS[decision]) decision = r.decision;
  const matched: SimStatement[] = [];
  const seen = new Set<string>();
  for (const r of per) {
    if (r.decision !== decision) continue;
    for (const s of r.matched) {
      const key = statementKey(s);
      if (seen.has(key)) continue;
      seen.add(key);
      matched.push(s);
    }
  }
  const withBoundary = per.filter((r) => r.boundaryAllows !== undefined);
  const withOrg = per.filter((r) => r.orgAllows !== undefined);
  const cross = per.find((r) => r.crossAccount);
  const orgAllows = withOrg.length ? withOrg.every((r) => r.orgAllows) : undefined;
  return {
    EvalActionName: action,
    EvalResourceName: aggregateResourceName(action, resources),
    EvalDecision: decision,
    MatchedStatements: matched as unknown as XmlValue,
    MissingContextValues: [],
    OrganizationsDecisionDetail: orgAllows === undefined ? undefined : { AllowedByOrganizations: orgAllows },
    PermissionsBoundaryDecisionDetail: withBoundary.length
      ? { AllowedByPermissionsBoundary: withBoundary.every((r) => r.boundaryAllows) }
      : undefined,
    EvalDecisionDetails: orgAllows === false ? undefined : cross ? details(cross) : new XmlMap([]),
    ResourceSpecificResults: per.map((r) => ({
      EvalResourceName: r.resource,
      EvalResourceDecision: r.decision,
      MatchedStatements: r.matched as unknown as XmlValue,
      MissingContextValues: r.missing.length ? r.missing : undefined,
      EvalDecisionDetails: r.crossAccount && r.orgAllows !== false ? details(r) : undefined,
      PermissionsBoundaryDecisionDetail: r.boundaryAllows === undefined ? undefined : { AllowedByPermissionsBoundary: r.boundaryAllows },
    })),
  };
}

// ---- ContextEntries --------------------------------------------------------------------------------

export const CONTEXT_KEY_TYPES = [
  "string",
  "stringList",
  "numeric",
  "numericList",
  "boolean",
  "booleanList",
  "ip",
  "ipList",
  "binary",
  "binaryList",
  "date",
  "dateList",
] as const;

export interface ContextEntryInput {
  ContextKeyName?: string;
  ContextKeyValues?: string[];
  ContextKeyType?: string;
}

/** A ContextKeyValue reads as its declared type: number, date and IP as the condition operators parse them. */
function validValue(type: string, v: string): boolean {
  switch (type.replace(/List$/, "")) {
    case "numeric":
      return !Number.isNaN(parseNumber(v));
    case "boolean":
      return /^(true|false)$/i.test(v.trim());
    case "ip":
      return parseCidr(v) !== null;
    case "date":
      return !Number.isNaN(parseDate(v));
    case "binary":
      return /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0;
    default:
      return true;
  }
}

export type ContextParse = { ok: true; context: Record<string, ContextValue>; provided: Set<string> } | { ok: false; message: string };

/**
 * ContextEntries → request context. List types are multi-valued keys; a value that does not read as its
 * declared type is AWS's InvalidInput. A key given twice keeps the last entry.
 */
export function contextFromEntries(entries: readonly ContextEntryInput[] | undefined): ContextParse {
  const context: Record<string, ContextValue> = {};
  const provided = new Set<string>();
  const nameOf = new Map<string, string>(); // lower-cased → the spelling kept in `context`
  for (const e of entries ?? []) {
    const name = e.ContextKeyName;
    if (!name) continue;
    const type = e.ContextKeyType ?? "string";
    const values = e.ContextKeyValues ?? [];
    for (const v of values) {
      if (!validValue(type, v)) return { ok: false, message: `Invalid value ${v} for context key ${name} of type ${type}.` };
    }
    const lower = name.toLowerCase();
    const earlier = nameOf.get(lower);
    if (earlier !== undefined) delete context[earlier];
    nameOf.set(lower, name);
    context[name] = type.endsWith("List") || values.length !== 1 ? [...values] : values[0]!;
    provided.add(lower);
  }
  return { ok: true, context, provided };
}

// ---- GetContextKeysFor* ------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Every condition key a policy references, AWS's way: in document order, condition keys plus keys used
 * as policy variables (`${aws:username}` in a Resource, a condition value …) in 2012-10-17 documents.
 */
export function contextKeysOf(jsonTexts: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const text of jsonTexts) {
    let doc: Json;
    try {
      doc = JSON.parse(text) as Json;
    } catch {
      continue;
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) continue;
    const variables = doc.Version === "2012-10-17";
    const st = doc.Statement;
    const list = Array.isArray(st) ? st : st ? [st] : [];
    const strings = (v: Json | undefined): string[] =>
      typeof v === "string"
        ? [v]
        : Array.isArray(v)
          ? v.flatMap((x) => strings(x))
          : v && typeof v === "object"
            ? Object.values(v).flatMap((x) => strings(x))
            : [];
    for (const s of list) {
      if (!s || typeof s !== "object" || Array.isArray(s)) continue;
      for (const [element, value] of Object.entries(s)) {
        if (element === "Condition" && value && typeof value === "object" && !Array.isArray(value)) {
          for (const block of Object.values(value)) {
            if (!block || typeof block !== "object" || Array.isArray(block)) continue;
            for (const [key, v] of Object.entries(block)) {
              addKey(out, seen, key);
              if (variables) for (const x of strings(v)) for (const k of variableKeys(x)) addKey(out, seen, k);
            }
          }
        } else if (variables && (element === "Resource" || element === "NotResource")) {
          for (const x of strings(value)) for (const k of variableKeys(x)) addKey(out, seen, k);
        }
      }
    }
  }
  return out;
}
