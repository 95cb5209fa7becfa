/** Action / NotAction: case-insensitive, `*` and `?` wildcards (service prefix included). */
import { compileGlob, hasWildcard } from "../glob.js";
import type { ElementMatch } from "../explain.js";

export interface CompiledActionElement {
  not: boolean;
  /** As written. */
  values: readonly string[];
  /** Lower-cased values without wildcards. */
  exact: ReadonlySet<string>;
  globs: ReadonlyArray<{ value: string; test: (s: string) => boolean }>;
}

export function compileActionElement(values: readonly string[], not: boolean): CompiledActionElement {
  const exact = new Set<string>();
  const globs: Array<{ value: string; test: (s: string) => boolean }> = [];
  for (const v of values) {
    const lower = v.toLowerCase();
    if (hasWildcard(lower)) globs.push({ value: v, test: compileGlob(lower) });
    else exact.add(lower);
  }
  return Object.freeze({ not, values: Object.freeze([...values]), exact, globs: Object.freeze(globs) });
}

/** The first policy value that matches the (lower-cased) action, or undefined. */
function firstMatch(el: CompiledActionElement, actionLower: string): string | undefined {
  if (el.exact.has(actionLower)) {
    for (const v of el.values) if (v.toLowerCase() === actionLower) return v;
  }
  for (let i = 0; i < el.globs.length; i++) {
    const g = el.globs[i]!;
    if (g.test(actionLower)) return g.value;
  }
  return undefined;
}

export function matchAction(el: CompiledActionElement, actionLower: string): ElementMatch {
  const hit = firstMatch(el, actionLower);
  if (el.not) {
    return hit === undefined
      ? { element: "NotAction", matched: true }
      : { element: "NotAction", matched: false, value: hit };
  }
  return hit === undefined ? { element: "Action", matched: false } : { element: "Action", matched: true, value: hit };
}
