/**
 * Parse and validate a policy document the way IAM does, then compile it into an immutable form
 * (lower-cased actions, pre-built matchers) so that evaluation does no JSON parsing and builds no RegExp.
 *
 * IAM reports only the first failing stage, in this order: syntax → version → legacy parser (Effect case,
 * dates, resource shape) → unique Sids → actions present → resource ARN format → action vendor prefixes →
 * resources present → principal rules for the policy kind.
 */
import { parseArn } from "../lib/arn.js";
import type { CompiledCondition } from "./conditions/evaluate.js";
import { parseOperatorName } from "./conditions/registry.js";
import { compileActionElement, matchAction, type CompiledActionElement } from "./match/action.js";
import { compilePrincipalElement, type CompiledPrincipalElement, type PrincipalBlock } from "./match/principal.js";
import { compileResourceElement, type CompiledResourceElement } from "./match/resource.js";
import { parseTemplate } from "./variables.js";
import { MALFORMED } from "./messages.js";
import type { ElementMatch, StatementExplanation } from "./explain.js";
import type { PolicyKind } from "./types.js";

export interface CompiledStatement {
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
  action: CompiledActionElement;
  /** null when the statement has no Resource/NotResource (trust policies). */
  resource: CompiledResourceElement | null;
  /** null when the statement has no Principal/NotPrincipal (identity-side policies). */
  principal: CompiledPrincipalElement | null;
  conditions: readonly CompiledCondition[];
  /** The (frozen, shared) explanation of this statement when the Action element does not match. */
  actionMiss: StatementExplanation;
}

export interface CompiledPolicy {
  kind: PolicyKind;
  /** As written; undefined when absent (IAM then reads the document as 2008-10-17). */
  version?: string;
  id?: string;
  /** Policy variables are substituted (Version 2012-10-17). */
  variables: boolean;
  statements: readonly CompiledStatement[];
  /** Characters without whitespace (AWS's size limits count these). */
  size: number;
  /** Which statements an action reaches (memoized per lower-cased action; see actionHits). */
  readonly actionCache: Map<string, ActionHits>;
  /** Every statement's action-miss explanation, copied then overwritten by the statements an action reaches. */
  readonly missTemplate: readonly StatementExplanation[];
}

/** For one action: the statements whose Action/NotAction element lets it through, with the match. */
export interface ActionHits {
  indexes: readonly number[];
  matches: readonly ElementMatch[];
}

const ACTION_CACHE_LIMIT = 256;

/**
 * The statements of `policy` that `actionLower` reaches. Action matching depends only on the statement
 * and the action, so it is memoized per policy (bounded); the other elements are matched per request.
 */
export function actionHits(policy: CompiledPolicy, actionLower: string): ActionHits {
  const cached = policy.actionCache.get(actionLower);
  if (cached) return cached;
  const indexes: number[] = [];
  const matches: ElementMatch[] = [];
  const stmts = policy.statements;
  for (let i = 0; i < stmts.length; i++) {
    const m = matchAction(stmts[i]!.action, actionLower);
    if (m.matched || m.value !== undefined) {
      indexes.push(i);
      matches.push(m);
    }
  }
  const hits: ActionHits = Object.freeze({ indexes: Object.freeze(indexes), matches: Object.freeze(matches) });
  if (policy.actionCache.size >= ACTION_CACHE_LIMIT) policy.actionCache.clear();
  policy.actionCache.set(actionLower, hits);
  return hits;
}

export type ParseResult = { ok: true; policy: CompiledPolicy } | { ok: false; message: string };

export interface ParseOptions {
  /**
   * Managed policies (CreatePolicy / CreatePolicyVersion) must say Version 2012-10-17; inline policies,
   * trust and resource policies may omit it (they are then read as 2008-10-17).
   */
  requireVersion2012?: boolean;
}

/** Size rule helper: the character count without whitespace. */
export function policySizeWithoutWhitespace(json: string): number {
  let n = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) n++;
  }
  return n;
}

class Malformed extends Error {}
const fail = (message: string): never => {
  throw new Malformed(message);
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

const TOP_KEYS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Principal",
  "NotPrincipal",
  "Condition",
]);
const PRINCIPAL_TYPES = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const VERSIONS = new Set(["2008-10-17", "2012-10-17"]);

interface RawStatement {
  index: number;
  sid?: string;
  effect: string;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  conditions: Array<{ operator: string; key: string; values: string[] }>;
}

/** String or list of strings; anything else is a syntax error. */
function stringList(v: Json | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x !== "string") fail(MALFORMED.syntax);
    return v as string[];
  }
  return fail(MALFORMED.syntax);
}

/** Condition values may also be numbers and booleans. */
function conditionValues(v: Json): string[] {
  const one = (x: Json): string =>
    typeof x === "string" ? x : typeof x === "number" || typeof x === "boolean" ? String(x) : fail(MALFORMED.syntax);
  return Array.isArray(v) ? v.map(one) : [one(v)];
}

function principalBlock(v: Json | undefined): PrincipalBlock | undefined {
  if (v === undefined) return undefined;
  if (v === "*") return "*";
  if (!isObject(v)) return fail(MALFORMED.syntax);
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!PRINCIPAL_TYPES.has(k)) fail(MALFORMED.syntax);
    out[k] = stringList(val) ?? [];
  }
  return out;
}

function syntaxStage(doc: Json): { version?: string; id?: string; statements: RawStatement[] } {
  if (!isObject(doc)) return fail(MALFORMED.syntax);
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) fail(MALFORMED.syntax);
  const version = doc.Version;
  if (version !== undefined && (typeof version !== "string" || !VERSIONS.has(version))) fail(MALFORMED.syntax);
  const id = doc.Id;
  if (id !== undefined && typeof id !== "string") fail(MALFORMED.syntax);
  const st = doc.Statement;
  if (st === undefined) return fail(MALFORMED.syntax);
  const list: Json[] = Array.isArray(st) ? st : [st];
  if (list.length === 0) fail(MALFORMED.syntax);
  const statements = list.map((s, index): RawStatement => {
    if (!isObject(s)) return fail(MALFORMED.syntax);
    for (const k of Object.keys(s)) if (!STATEMENT_KEYS.has(k)) fail(MALFORMED.syntax);
    if ("Action" in s && "NotAction" in s) fail(MALFORMED.syntax);
    if ("Resource" in s && "NotResource" in s) fail(MALFORMED.syntax);
    if ("Principal" in s && "NotPrincipal" in s) fail(MALFORMED.syntax);
    const effect = s.Effect;
    if (typeof effect !== "string") return fail(MALFORMED.syntax);
    const el = effect.toLowerCase();
    if (el !== "allow" && el !== "deny") fail(MALFORMED.syntax);
    const sid = s.Sid;
    if (sid !== undefined && typeof sid !== "string") fail(MALFORMED.syntax);
    const raw: RawStatement = { index, effect, conditions: [] };
    if (typeof sid === "string") raw.sid = sid;
    const action = stringList(s.Action);
    if (action) raw.action = action;
    const notAction = stringList(s.NotAction);
    if (notAction) raw.notAction = notAction;
    const resource = stringList(s.Resource);
    if (resource) raw.resource = resource;
    const notResource = stringList(s.NotResource);
    if (notResource) raw.notResource = notResource;
    const principal = principalBlock(s.Principal);
    if (principal) raw.principal = principal;
    const notPrincipal = principalBlock(s.NotPrincipal);
    if (notPrincipal) raw.notPrincipal = notPrincipal;
    const cond = s.Condition;
    if (cond !== undefined) {
      if (!isObject(cond)) fail(MALFORMED.syntax);
      for (const [operator, block] of Object.entries(cond as JsonObject)) {
        if (!isObject(block)) fail(MALFORMED.syntax);
        const entries = Object.entries(block as JsonObject);
        if (entries.length === 0) continue;
        if (parseOperatorName(operator) === null) fail(MALFORMED.syntax);
        for (const [key, v] of entries) raw.conditions.push({ operator, key, values: conditionValues(v) });
      }
    }
    return raw;
  });
  const out: { version?: string; id?: string; statements: RawStatement[] } = { statements };
  if (typeof version === "string") out.version = version;
  if (typeof id === "string") out.id = id;
  return out;
}

/** The first legacy-parser stage: Effect's case and date condition values. */
function legacyStage(statements: RawStatement[]): void {
  for (const s of statements) {
    if (s.effect !== "Allow" && s.effect !== "Deny") fail(MALFORMED.legacy);
    for (const c of s.conditions) {
      const parsed = parseOperatorName(c.operator);
      const op = parsed && parsed.operator !== "Null" ? parsed.operator : null;
      if (op?.validate) for (const v of c.values) if (!op.validate(v)) fail(MALFORMED.legacy);
    }
  }
}

/** The legacy parser's view of one resource: too few segments around a "::", or an empty service. */
function legacyResourceFails(r: string): boolean {
  if (r === "*") return false;
  const colons = r.split(":").length - 1;
  return (colons < 5 && r.includes("::")) || r.split(":")[2] === "";
}

/**
 * Resource format checks, as IAM runs them: every statement's Resource, then every NotResource, each list
 * in reverse lexical order. The format error found last is the one reported (after the actions-present
 * check); while none is found, the legacy parser looks at the statement's resources and fails at once.
 */
function resourceFormatStage(statements: RawStatement[]): string | undefined {
  let error: string | undefined;
  for (const pick of [(s: RawStatement) => s.resource, (s: RawStatement) => s.notResource]) {
    for (const s of statements) {
      const list = pick(s);
      if (!list) continue;
      for (const r of [...list].sort().reverse()) error = resourceFormatError(r) ?? error;
      if (error === undefined && list.some(legacyResourceFails)) fail(MALFORMED.legacy);
    }
  }
  return error;
}

const IAM_PREFIXES = [
  "user/",
  "federated-user/",
  "role/",
  "group/",
  "instance-profile/",
  "mfa/",
  "server-certificate/",
  "policy/",
  "sms-mfa/",
  "saml-provider/",
  "oidc-provider/",
  "report/",
  "access-report/",
];

/** The first resource format error, or undefined. */
function resourceFormatError(r: string): string | undefined {
  if (r === "*") return undefined;
  const first = r.indexOf(":");
  if (first < 0) return MALFORMED.resourceFormat(r);
  const afterArn = r.slice(first + 1);
  const second = afterArn.indexOf(":");
  const partition = second < 0 ? afterArn : afterArn.slice(0, second);
  if (!/^aws(-[a-z]+)*$/.test(partition) && !/[*?]/.test(partition)) {
    const rest = second < 0 ? [] : afterArn.slice(second + 1).split(":");
    const seg = (i: number): string => {
      const v = rest[i];
      return v === undefined || (v === "" && rest.length <= 1 && i === 0) ? "*" : v;
    };
    const tail = rest.length > 3 ? rest.slice(3).join(":") : "*";
    return MALFORMED.partition(partition, `arn:${partition}:${seg(0)}:${seg(1)}:${seg(2)}:${tail}`);
  }
  if (second < 0) return MALFORMED.resourceVendor;
  const a = parseArn(`arn:${afterArn}`);
  if (!a) return undefined; // e.g. "arn:aws:fdsasf" is accepted
  if (a.service === "iam" && a.region !== "") return MALFORMED.iamRegion(r);
  // Regional S3 resources name their account (access points `accesspoint/…`, Batch Operations `job/…`,
  // Storage Lens …); a bucket or object ARN has neither region nor account. AWS's suites confirm the
  // access-point form and the refusal of `arn:aws:s3:us-east-1::bucket`; the other kinds are inferred.
  if (a.service === "s3" && a.region !== "" && a.account === "") return MALFORMED.s3Region(r);
  if (a.service === "iam" && a.resource !== "*" && a.resource !== "root" && !IAM_PREFIXES.some((p) => a.resource.startsWith(p))) {
    return MALFORMED.iamPath;
  }
  return undefined;
}

function actionError(a: string): string | undefined {
  if (a === "*") return undefined;
  const parts = a.split(":");
  if (parts.length === 1) return MALFORMED.actionVendor;
  if (parts.length > 2) return MALFORMED.actionColons;
  const vendor = parts[0]!;
  if (vendor !== "*" && /[^a-zA-Z0-9\-.*?]/.test(vendor)) return MALFORMED.vendorInvalid(vendor);
  return undefined;
}

function principalError(block: PrincipalBlock): string | undefined {
  if (block === "*") return undefined;
  for (const [type, list] of Object.entries(block)) {
    for (const v of list) {
      if (type === "AWS") {
        if (v === "*" || /^\d{12}$/.test(v)) continue;
        const a = parseArn(v);
        if (!a || !/^aws(-[a-z]+)*$/.test(a.partition)) return MALFORMED.invalidPrincipal("AWS", v);
        if (a.account.includes("*") && a.account !== "*") return MALFORMED.partialWildcardAccount;
        if (!/^\d{12}$/.test(a.account) || v.includes("*") || v.includes("?")) return MALFORMED.invalidPrincipal("AWS", v);
        const ok =
          (a.service === "iam" && (a.resource === "root" || /^(user|role)\/.+/.test(a.resource))) ||
          (a.service === "sts" && /^(assumed-role\/[^/]+\/.+|federated-user\/.+)$/.test(a.resource));
        if (!ok || a.region !== "") return MALFORMED.invalidPrincipal("AWS", v);
      } else if (type === "Service") {
        if (!/^[a-z0-9][a-z0-9.-]*$/i.test(v)) return MALFORMED.invalidPrincipal("SERVICE", v);
      } else if (type === "Federated") {
        if (v === "" || v.includes("*")) return MALFORMED.invalidPrincipal("FEDERATED", v);
      } else if (type === "CanonicalUser") {
        if (!/^[0-9a-f]{64}$/i.test(v)) return MALFORMED.invalidPrincipal("CANONICAL_USER", v);
      }
    }
  }
  return undefined;
}

const IDENTITY_SIDE = new Set<PolicyKind>(["identity", "boundary", "session", "scp"]);

/**
 * The stages after syntax and version, in IAM's order (AWS's answers as recorded by LocalStack's
 * AWS-validated suite): legacy parser and resource formats → unique Sids → actions present → the resource
 * format error → action vendors → resources present → the rules of the policy kind.
 */
function validate(statements: RawStatement[], kind: PolicyKind): void {
  legacyStage(statements);
  const resourceError = kind === "trust" ? undefined : resourceFormatStage(statements);
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.sid) {
      if (sids.has(s.sid)) fail(MALFORMED.sidUnique);
      sids.add(s.sid);
    }
  }
  if (kind === "identity" || kind === "boundary" || kind === "session") {
    for (const s of statements) if (s.sid && !/^[0-9A-Za-z]*$/.test(s.sid)) fail(MALFORMED.sidAlphanumeric);
  }
  for (const s of statements) {
    const acts = s.action ?? s.notAction;
    if (!acts || acts.length === 0) fail(MALFORMED.noActions);
  }
  if (resourceError) fail(resourceError);
  for (const s of statements) {
    for (const a of [...(s.action ?? []), ...(s.notAction ?? [])]) {
      const e = actionError(a);
      if (e) fail(e);
    }
  }
  if (kind === "trust") {
    for (const s of statements) {
      if (s.resource) fail(MALFORMED.prohibitedResource);
      if (s.notResource) fail(MALFORMED.prohibitedNotResource);
    }
  } else {
    for (const s of statements) {
      const res = s.resource ?? s.notResource;
      if (!res || res.length === 0) fail(MALFORMED.noResources);
    }
  }
  if (IDENTITY_SIDE.has(kind)) {
    for (const s of statements) if (s.principal || s.notPrincipal) fail(MALFORMED.principalNotAllowed);
  } else {
    for (const s of statements) {
      const block = s.principal ?? s.notPrincipal;
      if (!block) fail(MALFORMED.missingPrincipal);
      const e = principalError(block!);
      if (e) fail(e);
    }
  }
  if (kind === "trust") {
    for (const s of statements) {
      for (const a of s.action ?? s.notAction ?? []) if (!a.toLowerCase().startsWith("sts:")) fail(MALFORMED.trustActions);
    }
  }
}

const NO_VARIABLES: readonly string[] = Object.freeze([]);

/** The policy variables referenced by some values, as written (the analysis reports them as context keys). */
function variableNames(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const ref of parseTemplate(v)?.variables ?? []) if (ref.name !== "") out.push(ref.name);
  return out;
}

function compileStatement(s: RawStatement, variables: boolean): CompiledStatement {
  const conditions: CompiledCondition[] = s.conditions.map((c) => {
    const parsed = parseOperatorName(c.operator)!;
    const compiled: CompiledCondition = {
      operatorName: c.operator,
      key: c.key,
      keyLower: c.key.toLowerCase(),
      values: Object.freeze([...c.values]),
      parsed,
      negated: parsed.operator !== "Null" && parsed.operator.negated,
      variables: variables ? Object.freeze(variableNames(c.values)) : NO_VARIABLES,
    };
    if (parsed.operator !== "Null") compiled.test = parsed.operator.compile(c.values, { variables });
    else compiled.nullWants = Object.freeze(c.values.map((v) => v.toLowerCase()));
    return Object.freeze(compiled);
  });
  const actionValues = s.action ?? s.notAction ?? [];
  const resourceValues = s.resource ?? s.notResource;
  const principalBlockValue = s.principal ?? s.notPrincipal;
  const effect = s.effect === "Deny" ? "Deny" : "Allow";
  const actionMiss: StatementExplanation = {
    index: s.index,
    effect,
    matched: false,
    action: Object.freeze({ element: s.action === undefined ? "NotAction" : "Action", matched: false }),
  };
  if (s.sid !== undefined) actionMiss.sid = s.sid;
  const out: CompiledStatement = {
    index: s.index,
    effect,
    actionMiss: Object.freeze(actionMiss),
    action: compileActionElement(actionValues, s.action === undefined),
    resource: resourceValues ? compileResourceElement(resourceValues, s.resource === undefined, variables) : null,
    principal: principalBlockValue ? compilePrincipalElement(principalBlockValue, s.principal === undefined) : null,
    conditions: Object.freeze(conditions),
  };
  if (s.sid !== undefined) out.sid = s.sid;
  return Object.freeze(out);
}

/** Parse + validate + compile. Messages are IAM's MalformedPolicyDocument wording. */
export function parsePolicy(json: string, kind: PolicyKind, options: ParseOptions = {}): ParseResult {
  try {
    let doc: Json;
    try {
      doc = JSON.parse(json) as Json;
    } catch {
      // AWS words unparseable trust policies differently (LocalStack's AWS-recorded snapshot of
      // UpdateAssumeRolePolicy; CreateRole as users report it); valid JSON of the wrong shape is a syntax error.
      return { ok: false, message: kind === "trust" ? MALFORMED.invalidJson : MALFORMED.syntax };
    }
    const { version, id, statements } = syntaxStage(doc);
    if (options.requireVersion2012 && version !== "2012-10-17") fail(MALFORMED.version);
    validate(statements, kind);
    const variables = version === "2012-10-17";
    const compiled = Object.freeze(statements.map((s) => compileStatement(s, variables)));
    const policy: CompiledPolicy = {
      kind,
      variables,
      statements: compiled,
      size: policySizeWithoutWhitespace(json),
      actionCache: new Map(),
      // Not frozen: slice() of a frozen array takes a slow path in V8.
      missTemplate: compiled.map((s) => s.actionMiss),
    };
    if (version !== undefined) policy.version = version;
    if (id !== undefined) policy.id = id;
    return { ok: true, policy: Object.freeze(policy) };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, message: e.message };
    throw e;
  }
}
