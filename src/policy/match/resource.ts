/**
 * Resource / NotResource and the ARN patterns shared with the Arn* condition operators:
 * matched per ARN segment (partition, service, region, account, resource), case-sensitive,
 * `*` / `?` within a segment (in the resource segment `*` also spans `/` and `:`).
 */
import { parseArn, type Arn } from "../../lib/arn.js";
import { compileGlob, globMatch } from "../glob.js";
import { parseTemplate, resolveTemplate, variableValue, type Template } from "../variables.js";
import type { RequestContext } from "../context.js";
import type { ElementMatch } from "../explain.js";

/** The request's resource, parsed once per evaluation. */
export interface ResourceTarget {
  raw: string;
  arn: Arn | null;
}

export function splitArn(s: string): Arn | null {
  return parseArn(s);
}

export function resourceTarget(raw: string): ResourceTarget {
  return { raw, arn: raw === "*" ? null : parseArn(raw) };
}

export type ArnTest = (target: ResourceTarget) => boolean;

/** Compiles an ARN pattern (no variables) into a test on a parsed target. */
export function compileArnTest(pattern: string): ArnTest {
  if (pattern === "*") return () => true;
  const p = parseArn(pattern);
  if (!p) {
    // Not six segments (e.g. "arn:aws:iam::*"): whole-string match.
    const g = compileGlob(pattern);
    return (t) => g(t.raw);
  }
  const part = compileGlob(p.partition);
  const svc = compileGlob(p.service);
  const reg = compileGlob(p.region);
  const acct = compileGlob(p.account);
  const res = compileGlob(p.resource);
  return (t) => {
    const a = t.arn;
    return a !== null && svc(a.service) && res(a.resource) && acct(a.account) && reg(a.region) && part(a.partition);
  };
}

/** ARN pattern test on a raw string (for ArnLike conditions). */
export function compileArnPattern(pattern: string): (s: string) => boolean {
  const t = compileArnTest(pattern);
  return (s) => t(resourceTarget(s));
}

/** One-off match of a resolved pattern (after variable substitution). */
export function matchArnPattern(pattern: string, value: string): boolean {
  return matchResolved(pattern, resourceTarget(value));
}

function matchResolved(pattern: string, t: ResourceTarget): boolean {
  if (pattern === "*") return true;
  const p = parseArn(pattern);
  if (!p) return globMatch(pattern, t.raw);
  const a = t.arn;
  return (
    a !== null &&
    globMatch(p.service, a.service) &&
    globMatch(p.resource, a.resource) &&
    globMatch(p.account, a.account) &&
    globMatch(p.region, a.region) &&
    globMatch(p.partition, a.partition)
  );
}

interface ResourcePattern {
  value: string;
  test?: ArnTest;
  template?: Template;
  /**
   * The variable values of the last substitution and the compiled test of the result (a principal's
   * variables rarely change): the same values reuse the test without building the string again.
   */
  memo?: { inputs: readonly string[]; test: ArnTest };
}

export interface CompiledResourceElement {
  not: boolean;
  values: readonly string[];
  patterns: readonly ResourcePattern[];
}

export function compileResourceElement(values: readonly string[], not: boolean, variables: boolean): CompiledResourceElement {
  const patterns: ResourcePattern[] = values.map((value) => {
    const t = variables ? parseTemplate(value) : null;
    if (t && t.variables.length > 0) return { value, template: t };
    return { value, test: compileArnTest(t ? (t.parts[0] as string) : value) };
  });
  return Object.freeze({ not, values: Object.freeze([...values]), patterns: Object.freeze(patterns) });
}

/** The test of a pattern with variables for this request; null when a variable has no value (no match). */
function templateTest(p: ResourcePattern, ctx: RequestContext): ArnTest | null {
  const vars = p.template!.variables;
  const memo = p.memo;
  let same = memo !== undefined;
  for (let i = 0; i < vars.length; i++) {
    const v = variableValue(vars[i]!, ctx);
    if (v === null) return null;
    if (same && memo!.inputs[i] !== v) same = false;
  }
  if (same) return memo!.test;
  const resolved = resolveTemplate(p.template!, ctx, false)!;
  const inputs = vars.map((r) => variableValue(r, ctx)!);
  p.memo = { inputs, test: compileArnTest(resolved) };
  return p.memo.test;
}

const NO_RESOURCE: ElementMatch = Object.freeze({ element: "Resource", matched: false });
const NOT_RESOURCE_APPLIES: ElementMatch = Object.freeze({ element: "NotResource", matched: true });
// Deciding only (explain off): the outcome without the matching value or the unresolved variables.
const RESOURCE_MATCHED: ElementMatch = Object.freeze({ element: "Resource", matched: true });
const NOT_RESOURCE_EXCLUDES: ElementMatch = Object.freeze({ element: "NotResource", matched: false });

/**
 * Resource / NotResource against the request's resource. With `explain` the result names the policy
 * value that matched and the values whose variables could not be resolved; without, it is a shared
 * frozen outcome.
 */
export function matchResource(el: CompiledResourceElement, target: ResourceTarget, ctx: RequestContext, explain = true): ElementMatch {
  let hit: string | undefined;
  let unresolved: string[] | undefined;
  for (let i = 0; i < el.patterns.length; i++) {
    const p = el.patterns[i]!;
    if (p.test) {
      if (p.test(target)) {
        hit = p.value;
        break;
      }
      continue;
    }
    const test = templateTest(p, ctx);
    if (test === null) {
      if (explain) (unresolved ??= []).push(p.value);
      continue;
    }
    if (test(target)) {
      hit = p.value;
      break;
    }
  }
  if (hit === undefined && !unresolved) return el.not ? NOT_RESOURCE_APPLIES : NO_RESOURCE;
  if (!explain) return el.not ? NOT_RESOURCE_EXCLUDES : RESOURCE_MATCHED;
  const element = el.not ? "NotResource" : "Resource";
  const matched = el.not ? hit === undefined : hit !== undefined;
  const m: ElementMatch = { element, matched };
  if (hit !== undefined) m.value = hit;
  if (unresolved) m.unresolved = unresolved;
  return m;
}

/** The policy variables (as written) of the element's value `value`, e.g. one that `matchResource` reported unresolved. */
export function resourceValueVariables(el: CompiledResourceElement, value: string): string[] {
  const p = el.patterns.find((x) => x.value === value);
  return p?.template ? p.template.variables.map((r) => r.name).filter((n) => n !== "") : [];
}
