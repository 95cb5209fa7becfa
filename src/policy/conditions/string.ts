/** StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike. */
import { compileGlob, globMatch, unescapeLiteral } from "../glob.js";
import { parseTemplate, resolveTemplate, type Template } from "../variables.js";
import type { CompileOptions, ConditionOperator, ValueTest } from "./types.js";

type Mode = "exact" | "ignoreCase" | "like";

function compileString(values: readonly string[], opts: CompileOptions, mode: Mode): ValueTest {
  const lower = mode === "ignoreCase";
  const statics: string[] = [];
  const globs: Array<(s: string) => boolean> = [];
  const templates: Template[] = [];
  for (const raw of values) {
    const v = lower ? raw.toLowerCase() : raw;
    const t = opts.variables ? parseTemplate(v) : null;
    if (t && t.variables.length > 0) templates.push(t);
    else {
      // `${*}` etc. resolve to literal characters even without other variables.
      const text = t ? (t.parts[0] as string) : v;
      if (mode === "like") globs.push(compileGlob(text));
      else statics.push(unescapeLiteral(text));
    }
  }
  const set = statics.length > 8 ? new Set(statics) : null;
  return (cv, ctx) => {
    const s = lower ? cv.toLowerCase() : cv;
    if (set) {
      if (set.has(s)) return true;
    } else {
      for (let i = 0; i < statics.length; i++) if (statics[i] === s) return true;
    }
    for (let i = 0; i < globs.length; i++) if (globs[i]!(s)) return true;
    for (let i = 0; i < templates.length; i++) {
      const r = resolveTemplate(templates[i]!, ctx, lower);
      if (r === null) continue;
      if (mode === "like" ? globMatch(r, s) : unescapeLiteral(r) === s) return true;
    }
    return false;
  };
}

const op = (name: string, negated: boolean, mode: Mode): ConditionOperator => ({
  name,
  negated,
  compile: (values, opts) => compileString(values, opts, mode),
});

export const stringOperators: ConditionOperator[] = [
  op("StringEquals", false, "exact"),
  op("StringNotEquals", true, "exact"),
  op("StringEqualsIgnoreCase", false, "ignoreCase"),
  op("StringNotEqualsIgnoreCase", true, "ignoreCase"),
  op("StringLike", false, "like"),
  op("StringNotLike", true, "like"),
];
