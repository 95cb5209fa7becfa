/**
 * Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, `${?}`, `${$}`, and defaults
 * `${aws:PrincipalTag/team, 'none'}`. Only documents with Version 2012-10-17 substitute them; in older
 * documents the text is literal. Substituted values are literal (their `*`/`?` are not wildcards).
 */
import { escapeLiteral, LIT_QMARK, LIT_STAR } from "./glob.js";
import type { RequestContext } from "./context.js";

export interface VariableRef {
  /** Lower-cased condition key name, e.g. `aws:principaltag/team`. */
  key: string;
  /** As written, for explanations. */
  name: string;
  default?: string;
}

/** A string with variables: literal pieces (already escaped for glob use) and references. */
export interface Template {
  parts: Array<string | VariableRef>;
  variables: VariableRef[];
}

/**
 * `name, 'default'` → { name, default }; null without a default. Linear: the regular expression it
 * replaces (/^([^,]+?)\s*,\s*'([^']*)'\s*$/) took time quadratic in a long run of spaces.
 */
function splitDefault(inner: string): { name: string; default: string } | null {
  const comma = inner.indexOf(",");
  if (comma <= 0) return null;
  const rest = inner.slice(comma + 1).trimStart();
  if (rest.charCodeAt(0) !== 39 /* ' */) return null;
  const close = rest.indexOf("'", 1);
  if (close < 0 || rest.slice(close + 1).trim() !== "") return null;
  return { name: inner.slice(0, comma).trim(), default: rest.slice(1, close) };
}

/**
 * Splits `s` into a template, or returns null when it has no variables.
 * `${*}` `${?}` `${$}` become literal characters in the pattern.
 */
export function parseTemplate(s: string): Template | null {
  if (s.indexOf("${") < 0) return null;
  const parts: Array<string | VariableRef> = [];
  const variables: VariableRef[] = [];
  let lit = "";
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf("${", i);
    if (open < 0) {
      lit += s.slice(i);
      break;
    }
    const close = s.indexOf("}", open + 2);
    if (close < 0) {
      lit += s.slice(i);
      break;
    }
    lit += s.slice(i, open);
    const inner = s.slice(open + 2, close).trim();
    i = close + 1;
    if (inner === "*") lit += LIT_STAR;
    else if (inner === "?") lit += LIT_QMARK;
    else if (inner === "$") lit += "$";
    else {
      const m = splitDefault(inner);
      const name = m ? m.name : inner;
      const ref: VariableRef = { key: name.toLowerCase(), name };
      if (m) ref.default = m.default;
      if (lit) parts.push(lit);
      lit = "";
      parts.push(ref);
      variables.push(ref);
    }
  }
  if (lit) parts.push(lit);
  if (variables.length === 0) return { parts: [parts.join("")], variables };
  return { parts, variables };
}

/**
 * Substitutes the request context into a template. Returns null when a variable has no
 * (single) value and no default: AWS then treats that value as not matching.
 * `lower` lower-cases substituted values for case-insensitive comparisons.
 */
export function resolveTemplate(t: Template, ctx: RequestContext, lower: boolean): string | null {
  let out = "";
  for (const p of t.parts) {
    if (typeof p === "string") {
      out += p;
      continue;
    }
    const value = variableValue(p, ctx);
    if (value === null) return null;
    out += escapeLiteral(lower ? value.toLowerCase() : value);
  }
  return out;
}

/** The value a variable takes (as in the request, not escaped): its single context value, else its default, else null. */
export function variableValue(ref: VariableRef, ctx: RequestContext): string | null {
  const v = ctx.get(ref.key);
  if (v !== undefined && v.length === 1) return v[0]!;
  return ref.default ?? null;
}
