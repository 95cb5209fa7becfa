/**
 * AWS Query protocol request decoding (pure): form body / query string → flat params →
 * a typed input object, driven by the action's shape. `X.member.N` lists,
 * `X.entry.N.key/value` maps and nested structures are handled generically.
 */
import { errors } from "./errors";
import type { Fields, InferFields, Shape } from "./shapes";

export type FlatParams = Map<string, string>;

/** Decodes `a=b&c=d` (`+` and `%20` both mean a space, as AWS does). Malformed escapes are a 400. */
export function parseForm(text: string): FlatParams {
  const out: FlatParams = new Map();
  if (!text) return out;
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const rawK = eq < 0 ? part : part.slice(0, eq);
    const rawV = eq < 0 ? "" : part.slice(eq + 1);
    out.set(decode(rawK), decode(rawV));
  }
  return out;
}

function decode(s: string): string {
  const plus = s.includes("+") ? s.replace(/\+/g, " ") : s;
  if (!plus.includes("%")) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    throw errors.malformedQueryString(`Invalid URL encoding in: ${s.slice(0, 64)}`);
  }
}

interface Problem {
  path: string;
  message: string;
}

/** camelCase member name as AWS prints it in validation messages (`UserName` → `userName`). */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * AWS's validation messages no longer quote the offending value ("Value at 'userName' failed to satisfy
 * constraint: …", LocalStack's AWS-recorded IAM snapshots of 2026): nothing the caller sent is echoed,
 * so no character XML forbids can reach the answer this way.
 */
const valueAt = (path: string) => `Value at '${path}' failed to satisfy constraint:`;

/** A string shape's constraints in AWS's order for list members: length, pattern, enum, presence. */
function stringConstraints(shape: Extract<Shape, { kind: "string" }>): string[] {
  const out: string[] = [];
  if (shape.max !== undefined) out.push(`Member must have length less than or equal to ${shape.max}`);
  if (shape.min !== undefined) out.push(`Member must have length greater than or equal to ${shape.min}`);
  if (shape.pattern) out.push(`Member must satisfy regular expression pattern: ${shape.patternText ?? shape.pattern.source}`);
  if (shape.enum) out.push(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
  out.push("Member must not be null");
  return out;
}

function decodeShape(shape: Shape, params: FlatParams, prefix: string, path: string, problems: Problem[]): unknown {
  switch (shape.kind) {
    case "string": {
      const v = params.get(prefix);
      if (v === undefined) return undefined;
      if (shape.min !== undefined && v.length < shape.min)
        problems.push({
          path,
          message: `${valueAt(path)} Member must have length greater than or equal to ${shape.min}`,
        });
      else if (shape.max !== undefined && v.length > shape.max)
        problems.push({
          path,
          message: `${valueAt(path)} Member must have length less than or equal to ${shape.max}`,
        });
      else if (shape.pattern && !shape.pattern.test(v))
        problems.push({
          path,
          message: `${valueAt(path)} Member must satisfy regular expression pattern: ${shape.patternText ?? shape.pattern.source}`,
        });
      else if (shape.enum && !shape.enum.includes(v))
        problems.push({
          path,
          message: `${valueAt(path)} Member must satisfy enum value set: [${shape.enum.join(", ")}]`,
        });
      return v;
    }
    case "integer": {
      const v = params.get(prefix);
      if (v === undefined) return undefined;
      if (!/^-?\d+$/.test(v.trim())) {
        problems.push({ path, message: `${valueAt(path)} Member must be a number` });
        return undefined;
      }
      const n = Number(v.trim());
      if (shape.min !== undefined && n < shape.min)
        problems.push({
          path,
          message: `${valueAt(path)} Member must have value greater than or equal to ${shape.min}`,
        });
      else if (shape.max !== undefined && n > shape.max)
        problems.push({
          path,
          message: `${valueAt(path)} Member must have value less than or equal to ${shape.max}`,
        });
      return n;
    }
    case "boolean": {
      const v = params.get(prefix);
      if (v === undefined) return undefined;
      const l = v.toLowerCase();
      if (l !== "true" && l !== "false") {
        problems.push({ path, message: `${valueAt(path)} Member must be a boolean` });
        return undefined;
      }
      return l === "true";
    }
    case "timestamp": {
      const v = params.get(prefix);
      if (v === undefined) return undefined;
      const t = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
      if (Number.isNaN(t)) {
        problems.push({ path, message: `${valueAt(path)} Member must be a timestamp` });
        return undefined;
      }
      return new Date(t);
    }
    case "list": {
      const items: unknown[] = [];
      // Members are read from index 1 up to the first missing index, as the Query parsers of moto and
      // LocalStack (built against AWS's answers) do: members past a gap (`X.member.100000.Key` alone,
      // or `.1` and `.3`) are not part of the list, and a list with none at index 1 is absent — so a
      // required list is reported missing rather than taken as empty. AWS's own parser for sparse
      // indexes is not documented; clients (botocore, the SDKs) always number from 1 without gaps.
      // A list of strings is judged as a whole, as AWS words it: one problem at the list's path naming all
      // of the member's constraints (UntagRole with a bad key: "Value at 'tagKeys' failed to satisfy
      // constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, …]",
      // LocalStack's AWS-recorded snapshot). Lists of structures keep each member's own path.
      const memberProblems: Problem[] = shape.member.kind === "string" ? [] : problems;
      for (let i = 1; ; i++) {
        const p = `${prefix}.member.${i}`;
        if (!params.has(p) && !hasChildren(params, p)) break;
        items.push(decodeShape(shape.member, params, p, `${path}.${i}.member`, memberProblems));
      }
      if (shape.member.kind === "string" && memberProblems.length > 0)
        problems.push({
          path,
          message: `${valueAt(path)} Member must satisfy constraint: [${stringConstraints(shape.member).join(", ")}]`,
        });
      // An empty list is sent as `X=` by botocore.
      if (items.length === 0 && !params.has(prefix)) return undefined;
      if (shape.max !== undefined && items.length > shape.max)
        problems.push({
          path,
          message: `${valueAt(path)} Member must have length less than or equal to ${shape.max}`,
        });
      if (shape.min !== undefined && items.length < shape.min)
        problems.push({
          path,
          message: `${valueAt(path)} Member must have length greater than or equal to ${shape.min}`,
        });
      return items;
    }
    case "map": {
      const out: Record<string, unknown> = {};
      let any = false;
      for (let i = 1; ; i++) {
        const k = params.get(`${prefix}.entry.${i}.key`);
        if (k === undefined) break;
        any = true;
        out[k] = decodeShape(shape.value, params, `${prefix}.entry.${i}.value`, `${path}.${k}`, problems);
      }
      return any ? out : undefined;
    }
    case "struct":
      return decodeFields(shape.fields, params, prefix ? `${prefix}.` : "", path ? `${path}.` : "", problems);
  }
}

/**
 * Every dotted prefix of every parameter name ("A.member.1.Key" → "A", "A.member", "A.member.1"),
 * built once per request: a lookup per list item instead of a scan of all names (a body of 100k
 * list members would otherwise cost 100k × 100k). Only the first levels count: no shape nests deeper.
 */
const MAX_DEPTH = 12;
const childIndex = new WeakMap<FlatParams, Set<string>>();
export function hasChildren(params: FlatParams, name: string): boolean {
  let index = childIndex.get(params);
  if (!index) {
    index = new Set();
    for (const k of params.keys()) {
      let dot = k.indexOf(".");
      for (let depth = 0; dot > 0 && depth < MAX_DEPTH; depth++) {
        index.add(k.slice(0, dot));
        dot = k.indexOf(".", dot + 1);
      }
    }
    childIndex.set(params, index);
  }
  return index.has(name);
}

function decodeFields(fields: Fields, params: FlatParams, prefix: string, path: string, problems: Problem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, shape] of Object.entries(fields)) {
    const fieldPath = `${path}${memberName(name)}`;
    const v = decodeShape(shape, params, `${prefix}${name}`, fieldPath, problems);
    if (v === undefined) {
      if (shape.required) problems.push({ path: fieldPath, message: `${valueAt(fieldPath)} Member must not be null` });
      continue;
    }
    out[name] = v;
  }
  return out;
}

/** Decodes and validates an action's input; throws AWS's ValidationError listing every problem. */
export function decodeInput<F extends Fields>(fields: F, params: FlatParams): InferFields<F> {
  return decodeObject(fields, params) as InferFields<F>;
}

/** decodeInput for a registered action, whose input type is erased (the registry's view). */
export function decodeObject(fields: Fields, params: FlatParams): object {
  const problems: Problem[] = [];
  const out = decodeFields(fields, params, "", "", problems);
  if (problems.length) {
    const n = problems.length;
    throw errors.validation(`${n} validation error${n > 1 ? "s" : ""} detected: ${problems.map((p) => p.message).join("; ")}`);
  }
  return out;
}
