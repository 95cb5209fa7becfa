/**
 * What REST-XML (S3) and REST-JSON (Lambda) share (pure): URI templates (`/{Bucket}/{Key+}?list-type=2`),
 * finding the operation for a method + path + query, and reading / writing the members bound to the
 * URI, the query string, headers (`x-amz-meta-*` prefix maps included) and the status code.
 * The body itself is each protocol's business.
 */
import type { AwsError } from "./errors";
import { shapeOf, type Member, type OperationModel, type ServiceModel, type StructureShape } from "./model";
import { scalarFromString } from "./xml-model";
import { formatTimestamp, toBase64, type Value } from "./wire";

type Segment = { readonly literal: string } | { readonly label: string; readonly greedy: boolean };
interface Template {
  readonly segments: readonly Segment[];
  /** `?list-type=2` → [["list-type", "2"]]; `?policy` → [["policy", undefined]]. */
  readonly query: readonly (readonly [string, string | undefined])[];
}

const templates = new WeakMap<OperationModel, Template>();
function template(op: OperationModel): Template {
  let t = templates.get(op);
  if (!t) {
    const [path = "/", q = ""] = op.http.requestUri.split("?");
    const segments: Segment[] = path
      .split("/")
      .filter((s) => s !== "")
      .map((s) => {
        const m = /^\{([^}+]+)(\+?)\}$/.exec(s);
        return m ? { label: m[1]!, greedy: m[2] === "+" } : { literal: s };
      });
    const query = q
      .split("&")
      .filter((p) => p !== "")
      .map((p) => {
        const eq = p.indexOf("=");
        return (eq < 0 ? [p, undefined] : [p.slice(0, eq), p.slice(eq + 1)]) as readonly [string, string | undefined];
      })
      .filter(([, v]) => !(v ?? "").startsWith("{"));
    t = { segments, query };
    templates.set(op, t);
  }
  return t;
}

/** Query string → name → values (`+` is a space, as S3 and API Gateway read it). Malformed escapes → `bad`. */
export function parseQuery(query: string, bad: () => AwsError): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = dec(eq < 0 ? part : part.slice(0, eq), bad, true);
    const v = eq < 0 ? "" : dec(part.slice(eq + 1), bad, true);
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

function dec(s: string, bad: () => AwsError, plus: boolean): string {
  const t = plus ? s.replace(/\+/g, " ") : s;
  if (!t.includes("%")) return t;
  try {
    return decodeURIComponent(t);
  } catch {
    throw bad();
  }
}

export interface RestMatch {
  readonly operation: OperationModel;
  /** URI labels, percent-decoded (`Key` of `{Key+}` keeps its slashes). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The listed operation whose method, path template and query selectors fit, preferring the most
 * specific (more query selectors, then more literal segments, then non-greedy). `undefined` when none.
 */
export function matchRest(
  model: ServiceModel,
  method: string,
  rawPath: string,
  query: Map<string, string[]>,
  bad: () => AwsError,
): RestMatch | undefined {
  const parts = rawPath.split("/").slice(1);
  if (parts.length && parts[parts.length - 1] === "") parts.pop(); // trailing slash
  let best: { m: RestMatch; score: number } | undefined;
  for (const op of Object.values(model.operations)) {
    if (op.http.method !== method) continue;
    const t = template(op);
    if (!t.query.every(([k, v]) => query.has(k) && (v === undefined || query.get(k)!.includes(v)))) continue;
    const labels: Record<string, string> = {};
    let ok = true;
    let literals = 0;
    let greedy = 0;
    let i = 0;
    for (const seg of t.segments) {
      if ("literal" in seg) {
        if (parts[i] !== seg.literal) {
          ok = false;
          break;
        }
        literals++;
        i++;
      } else if (seg.greedy) {
        const rest = parts.slice(i).join("/");
        if (rest === "") {
          ok = false;
          break;
        }
        labels[seg.label] = dec(rest, bad, false);
        greedy++;
        i = parts.length;
      } else {
        const p = parts[i];
        if (p === undefined || p === "") {
          ok = false;
          break;
        }
        labels[seg.label] = dec(p, bad, false);
        i++;
      }
    }
    if (!ok || i !== parts.length) continue;
    const score = t.query.length * 1000 + literals * 10 - greedy;
    if (!best || score > best.score) best = { m: { operation: op, labels }, score };
  }
  return best?.m;
}

/** Query-string selectors of the model that `op` does not declare (GET /b?policy is not ListObjectsV2). */
export function foreignSelectors(model: ServiceModel, op: OperationModel, query: Map<string, string[]>): string[] {
  const own = new Set(template(op).query.map(([k]) => k));
  const input = op.input === undefined ? undefined : shapeOf(model, op.input);
  if (input?.type === "structure")
    for (const m of Object.values(input.members)) if (m.location === "querystring" && m.locationName) own.add(m.locationName);
  return (model.querySelectors ?? []).filter((k) => query.has(k) && !own.has(k));
}

export interface RestParts {
  readonly labels: Readonly<Record<string, string>>;
  readonly query: Map<string, string[]>;
  readonly headers: Headers;
}

function fromString(model: ServiceModel, m: Member, v: string, bad: (name: string, v: string) => AwsError, name: string): unknown {
  const s = shapeOf(model, m);
  if (s.type === "string" && (m.jsonvalue || s.jsonvalue)) {
    try {
      return JSON.parse(atob(v));
    } catch {
      throw bad(name, v);
    }
  }
  return scalarFromString(s.type, v, (x) => bad(name, x));
}

/** Reads the members bound to labels, query string and headers. `bad(member, value)` is the protocol's error. */
export function readBoundMembers(
  model: ServiceModel,
  s: StructureShape,
  parts: RestParts,
  bad: (name: string, v: string) => AwsError,
): Value {
  const out: Value = {};
  const claimed = new Set<string>();
  for (const m of Object.values(s.members)) if (m.location === "querystring" && m.locationName) claimed.add(m.locationName);
  for (const [name, m] of Object.entries(s.members)) {
    const where = m.locationName ?? name;
    switch (m.location) {
      case "uri": {
        const v = parts.labels[where];
        if (v !== undefined) out[name] = fromString(model, m, v, bad, where);
        break;
      }
      case "querystring": {
        const ms = shapeOf(model, m);
        if (ms.type === "map") {
          // A map bound to the query string takes every parameter no other member claims.
          const map: Value = {};
          for (const [k, vs] of parts.query) if (!claimed.has(k)) map[k] = vs[0];
          if (Object.keys(map).length) out[name] = map;
        } else if (ms.type === "list") {
          const vs = parts.query.get(where);
          if (vs) out[name] = vs.map((v) => fromString(model, ms.member, v, bad, where));
        } else {
          const vs = parts.query.get(where);
          if (vs) out[name] = fromString(model, m, vs[0]!, bad, where);
        }
        break;
      }
      case "header": {
        const v = parts.headers.get(where);
        if (v === null) break;
        const ms = shapeOf(model, m);
        out[name] =
          ms.type === "list"
            ? v.split(",").map((x) => fromString(model, ms.member, x.trim(), bad, where))
            : fromString(model, m, v, bad, where);
        break;
      }
      case "headers": {
        const prefix = where.toLowerCase();
        const map: Value = {};
        parts.headers.forEach((v, k) => {
          if (k.startsWith(prefix) && k.length > prefix.length) map[k.slice(prefix.length)] = v;
        });
        if (Object.keys(map).length) out[name] = map;
        break;
      }
      default:
    }
  }
  return out;
}

function headerText(model: ServiceModel, m: Member, v: unknown): string {
  const s = shapeOf(model, m);
  if (s.type === "timestamp") {
    const d = v instanceof Date ? v : new Date(String(v));
    return String(formatTimestamp(d, m.timestampFormat ?? s.timestampFormat ?? "rfc822"));
  }
  if (s.type === "list") return (v as unknown[]).map((x) => headerText(model, s.member, x)).join(",");
  if (m.jsonvalue || (s.type === "string" && s.jsonvalue)) return toBase64(new TextEncoder().encode(JSON.stringify(v)));
  if (s.type === "blob" && v instanceof Uint8Array) return toBase64(v);
  return String(v);
}

/** Writes the header- and status-bound members of an output; returns the status (model's responseCode by default). */
export function writeBoundMembers(
  model: ServiceModel,
  op: OperationModel,
  s: StructureShape | undefined,
  v: Value,
  headers: Record<string, string>,
): number {
  let status = op.http.responseCode ?? 200;
  if (!s) return status;
  for (const [name, m] of Object.entries(s.members)) {
    const x = v[name];
    if (x === undefined || x === null) continue;
    if (m.location === "header") headers[(m.locationName ?? name).toLowerCase()] = headerText(model, m, x);
    else if (m.location === "headers") {
      for (const [k, val] of Object.entries(x as Value)) headers[`${(m.locationName ?? "").toLowerCase()}${k.toLowerCase()}`] = String(val);
    } else if (m.location === "statusCode" && typeof x === "number") status = x;
  }
  return status;
}
