/** ArnEquals, ArnLike, ArnNotEquals, ArnNotLike: per-segment, case-sensitive, wildcards in every segment. */
import { compileArnPattern, matchArnPattern, splitArn } from "../match/resource.js";
import { parseTemplate, resolveTemplate, type Template } from "../variables.js";
import type { CompileOptions, ConditionOperator, ValueTest } from "./types.js";

function compileArn(values: readonly string[], opts: CompileOptions): ValueTest {
  const statics: Array<(s: string) => boolean> = [];
  const templates: Template[] = [];
  for (const v of values) {
    const t = opts.variables ? parseTemplate(v) : null;
    if (t && t.variables.length > 0) templates.push(t);
    else statics.push(compileArnPattern(t ? (t.parts[0] as string) : v));
  }
  return (cv, ctx) => {
    // Ensure the context value is an ARN (six parts); ArnLike on a non-ARN never matches.
    if (splitArn(cv) === null) return false;
    for (let i = 0; i < statics.length; i++) if (statics[i]!(cv)) return true;
    for (const t of templates) {
      const r = resolveTemplate(t, ctx, false);
      if (r !== null && matchArnPattern(r, cv)) return true;
    }
    return false;
  };
}

const op = (name: string, negated: boolean): ConditionOperator => ({ name, negated, compile: compileArn });

export const arnOperators: ConditionOperator[] = [
  op("ArnEquals", false),
  op("ArnLike", false),
  op("ArnNotEquals", true),
  op("ArnNotLike", true),
];
