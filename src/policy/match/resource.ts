/**
 * Resource / NotResource and the ARN patterns shared with the Arn* condition operators:
 * matched per ARN segment (partition, service, region, account, resource), case-sensitive,
 * `*` / `?` within a segment (in the resource segment `*` also spans `/` and `:`).
 */
import { parseArn, type Arn } from "../../lib/arn.js";
import { compileGlob, globMatch } from "../glob.js";
import { parseTemplate, resolveTemplate, type Template } from "../variables.js";
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
  /** Last substitution of the template and its compiled test (a principal's variables rarely change). */
  memo?: { resolved: string; test: ArnTest };
}

export interface CompiledResourceElement {
  not: boolean;
  values: readonly string[];
  patterns: readonly ResourcePattern[];
}

export function compileResourceElement(
  values: readonly string[],
  not: boolean,
  variables: boolean,
): CompiledResourceElement {
  const patterns: ResourcePattern[] = values.map((value) => {
    const t = variables ? parseTemplate(value) : null;
    if (t && t.variables.length > 0) return { value, template: t };
    return { value, test: compileArnTest(t ? (t.parts[0] as string) : value) };
  });
  return Object.freeze({ not, values: Object.freeze([...values]), patterns: Object.freeze(patterns) });
}

const NO_RESOURCE: ElementMatch = Object.freeze({ element: "Resource", matched: false });
const NOT_RESOURCE_APPLIES: ElementMatch = Object.freeze({ element: "NotResource", matched: true });

export function matchResource(el: CompiledResourceElement, target: ResourceTarget, ctx: RequestContext): ElementMatch {
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
    const resolved = resolveTemplate(p.template!, ctx, false);
    if (resolved === null) {
      (unresolved ??= []).push(p.value);
      continue;
    }
    let memo = p.memo;
    if (!memo || memo.resolved !== resolved) {
      memo = { resolved, test: compileArnTest(resolved) };
      p.memo = memo;
    }
    if (memo.test(target)) {
      hit = p.value;
      break;
    }
  }
  if (hit === undefined && !unresolved) return el.not ? NOT_RESOURCE_APPLIES : NO_RESOURCE;
  const element = el.not ? "NotResource" : "Resource";
  const matched = el.not ? hit === undefined : hit !== undefined;
  const m: ElementMatch = { element, matched };
  if (hit !== undefined) m.value = hit;
  if (unresolved) m.unresolved = unresolved;
  return m;
}
