/**
 * Subscription filter policies, pure (SNS Developer Guide, "Amazon SNS message filtering"): a JSON
 * object whose keys must all match (AND) and whose value lists match when any entry does (OR).
 * Entries: exact strings and numbers, `null`, and the operators `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (a value, a list, or `{prefix}`), `numeric` (comparisons and
 * ranges) and `exists`. Scope `MessageAttributes` (default) matches message attributes (String,
 * Number, String.Array); `MessageBody` matches the JSON message body, keys nesting as objects.
 * Not served: `cidr`, `$or`, and `wildcard`; a policy using them is refused.
 */
export type FilterPolicy = Readonly<Record<string, unknown>>;

export interface FilterAttribute {
  DataType: string;
  StringValue?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const OPERATORS = new Set(["prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists"]);
const NUMERIC_OPS = new Set(["=", "<", "<=", ">", ">="]);

/** The policy, or the reason it is refused (SNS answers InvalidParameter "FilterPolicy: <reason>"). */
export function parseFilterPolicy(
  text: string,
  scope: "MessageAttributes" | "MessageBody",
): { ok: true; policy: FilterPolicy } | { ok: false; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: "failed to parse JSON." };
  }
  if (!isObj(v)) return { ok: false, reason: "Filter policy must be a JSON object" };
  const reason = checkLevel(v, scope === "MessageBody");
  return reason ? { ok: false, reason } : { ok: true, policy: v };
}

function checkLevel(level: Record<string, unknown>, nested: boolean): string | undefined {
  for (const [key, rule] of Object.entries(level)) {
    if (key === "$or") return "$or is not available in iamlab";
    if (isObj(rule)) {
      if (!nested) return `"${key}" must be an object or an array`;
      const r = checkLevel(rule, nested);
      if (r) return r;
      continue;
    }
    if (!Array.isArray(rule)) return `"${key}" must be an object or an array`;
    for (const entry of rule) {
      if (entry === null || typeof entry === "string" || typeof entry === "number" || typeof entry === "boolean") continue;
      if (!isObj(entry)) return `Match value must be String, number, true, false, or null`;
      const ops = Object.keys(entry);
      if (ops.length !== 1 || !OPERATORS.has(ops[0]!)) return `Unrecognized match type ${ops[0] ?? ""}`;
      const op = ops[0]!;
      const arg = entry[op];
      if (op === "numeric" && !validNumeric(arg)) return "Value of numeric must be an array.";
      if (op === "exists" && typeof arg !== "boolean") return "exists match pattern must be either true or false.";
      if ((op === "prefix" || op === "suffix" || op === "equals-ignore-case") && typeof arg !== "string")
        return `${op} match pattern must be a string`;
    }
  }
  return undefined;
}

function validNumeric(arg: unknown): boolean {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) return false;
  for (let i = 0; i < arg.length; i += 2) if (!NUMERIC_OPS.has(String(arg[i])) || typeof arg[i + 1] !== "number") return false;
  return true;
}

type Value = string | number | boolean | null;

/** Whether one value matches one entry of a rule's list. */
function entryMatches(entry: unknown, v: Value): boolean {
  if (!isObj(entry)) return entry === v;
  const [op, arg] = Object.entries(entry)[0]!;
  switch (op) {
    case "prefix":
      return typeof v === "string" && v.startsWith(arg as string);
    case "suffix":
      return typeof v === "string" && v.endsWith(arg as string);
    case "equals-ignore-case":
      return typeof v === "string" && v.toLowerCase() === (arg as string).toLowerCase();
    case "anything-but": {
      if (isObj(arg) && typeof arg.prefix === "string") return typeof v === "string" && !v.startsWith(arg.prefix);
      const list = Array.isArray(arg) ? arg : [arg];
      return !list.includes(v);
    }
    case "numeric": {
      if (typeof v !== "number") return false;
      const a = arg as (string | number)[];
      for (let i = 0; i < a.length; i += 2) if (!compare(v, a[i] as string, a[i + 1] as number)) return false;
      return true;
    }
    default:
      return false;
  }
}

function compare(v: number, op: string, n: number): boolean {
  switch (op) {
    case "=":
      return v === n;
    case "<":
      return v < n;
    case "<=":
      return v <= n;
    case ">":
      return v > n;
    default:
      return v >= n;
  }
}

/** A rule (list of entries) against the values present (undefined: the key is absent). */
function ruleMatches(rule: readonly unknown[], values: readonly Value[] | undefined): boolean {
  for (const entry of rule) {
    if (isObj(entry) && "exists" in entry) {
      if ((values !== undefined) === entry.exists) return true;
      continue;
    }
    if (values?.some((v) => entryMatches(entry, v))) return true;
  }
  return false;
}

/** The values an attribute offers to a filter: String as is, Number as a number, String.Array's elements. */
function attributeValues(a: FilterAttribute): Value[] {
  const s = a.StringValue ?? "";
  if (a.DataType.startsWith("Number")) {
    const n = Number(s);
    return Number.isFinite(n) ? [n] : [];
  }
  if (a.DataType === "String.Array") {
    try {
      const arr: unknown = JSON.parse(s);
      if (Array.isArray(arr)) return arr.filter((x): x is Value => x === null || ["string", "number", "boolean"].includes(typeof x));
    } catch {
      return [];
    }
    return [];
  }
  if (a.DataType.startsWith("String")) return [s];
  return []; // Binary attributes are never matched.
}

/** Whether message attributes pass the policy (every key's rule matches). */
export function matchesAttributes(policy: FilterPolicy, attrs: Readonly<Record<string, FilterAttribute>>): boolean {
  for (const [key, rule] of Object.entries(policy)) {
    const a = attrs[key];
    if (!Array.isArray(rule) || !ruleMatches(rule, a ? attributeValues(a) : undefined)) return false;
  }
  return true;
}

/** Whether a JSON message body passes the policy (nested keys as nested objects; arrays offer their elements). */
export function matchesBody(policy: FilterPolicy, body: unknown): boolean {
  if (!isObj(body)) return false;
  for (const [key, rule] of Object.entries(policy)) {
    const v = body[key];
    if (isObj(rule)) {
      if (!matchesBody(rule, v)) return false;
      continue;
    }
    const values: Value[] | undefined =
      v === undefined
        ? undefined
        : Array.isArray(v)
          ? v.filter((x): x is Value => !isObj(x) && !Array.isArray(x))
          : isObj(v)
            ? []
            : [v as Value];
    if (!Array.isArray(rule) || !ruleMatches(rule, values)) return false;
  }
  return true;
}
