/** Action / NotAction: case-insensitive, `*` and `?` wildcards (service prefix included). */
import { compileGlob, hasWildcard } from "../glob.js";
import type { ElementMatch } from "../explain.js";

export interface CompiledActionElement {
  not: boolean;
  /** As written. */
  values: readonly string[];
  /** Lower-cased values without wildcards → the value as written. */
  exact: ReadonlyMap<string, string>;
  globs: ReadonlyArray<{ value: string; test: (s: string) => boolean }>;
}

export function compileActionElement(values: readonly string[], not: boolean): CompiledActionElement {
  const exact = new Map<string, string>();
  const globs: Array<{ value: string; test: (s: string) => boolean }> = [];
  for (const v of values) {
    const lower = v.toLowerCase();
    if (hasWildcard(lower)) globs.push({ value: v, test: compileGlob(lower) });
    else if (!exact.has(lower)) exact.set(lower, v);
  }
  return Object.freeze({ not, values: Object.freeze([...values]), exact, globs: Object.freeze(globs) });
}

/** The first policy value that matches the (lower-cased) action, or undefined. */
function firstMatch(el: CompiledActionElement, actionLower: string): string | undefined {
  const hit = el.exact.get(actionLower);
  if (hit !== undefined) return hit;
  for (let i = 0; i < el.globs.length; i++) {
    const g = el.globs[i]!;
    if (g.test(actionLower)) return g.value;
  }
  return undefined;
}

const NO_ACTION: ElementMatch = Object.freeze({ element: "Action", matched: false });
const NOT_ACTION_APPLIES: ElementMatch = Object.freeze({ element: "NotAction", matched: true });

/** Results are shared, frozen objects where possible (the explanation is read-only). */
export function matchAction(el: CompiledActionElement, actionLower: string): ElementMatch {
  const hit = firstMatch(el, actionLower);
  if (el.not) return hit === undefined ? NOT_ACTION_APPLIES : { element: "NotAction", matched: false, value: hit };
  return hit === undefined ? NO_ACTION : { element: "Action", matched: true, value: hit };
}
