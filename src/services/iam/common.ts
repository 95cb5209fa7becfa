/** Helpers shared by the IAM action families: pagination, tags, path filters, AWS messages. */
import { AwsError, errors } from "../../protocol/errors";
import { s } from "../../protocol/shapes";
import { isProtectedRole, type RoleRow } from "../../store/iam-roles";
import { quotaMessage, type AccountQuota } from "../../store/iam-quotas";

export const DEFAULT_MAX_ITEMS = 100;

/** Markers are opaque to clients: base64 of the sort key of the last item returned. */
export function encodeMarker(key: string): string {
  return btoa(unescape(encodeURIComponent(key)));
}

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  try {
    return decodeURIComponent(escape(atob(marker)));
  } catch {
    throw errors.validation("Invalid Marker.");
  }
}

export interface Page<T> {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
}

/**
 * Cuts a page out of rows fetched with `LIMIT maxItems + 1` in key order after the marker.
 * Spread `{ IsTruncated, Marker }` into the result after the list.
 */
export function page<T>(rows: T[], maxItems: number, keyOf: (t: T) => string): Page<T> {
  if (rows.length <= maxItems) return { items: rows, IsTruncated: false };
  const items = rows.slice(0, maxItems);
  return { items, IsTruncated: true, Marker: encodeMarker(keyOf(items[items.length - 1]!)) };
}

/**
 * page() for rows a store flagged `overBudget` (their documents would push the answer past the
 * sandbox's byte budget): the page ends before the first such row — never before the first row —
 * with IsTruncated and a Marker, as AWS allows a page to hold fewer than MaxItems items.
 */
export function budgetedPage<T extends { overBudget: number }>(rows: T[], maxItems: number, keyOf: (t: T) => string): Page<T> {
  const cut = rows.findIndex((r, n) => n > 0 && r.overBudget);
  if (cut < 0 || cut >= maxItems) return page(rows, maxItems, keyOf);
  const items = rows.slice(0, cut);
  return { items, IsTruncated: true, Marker: encodeMarker(keyOf(items[items.length - 1]!)) };
}

/** Input fields every paginated IAM list takes. */
export const paging = {
  Marker: s.string({ min: 1, max: 320 }),
  MaxItems: s.integer({ min: 1, max: 1000 }),
};

/** A key or certificate body (SSH keys, certificates, private keys, chains): AWS's pattern for them. */
export const bodyText = (max: number) =>
  s.string({
    required: true,
    min: 1,
    max,
    pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/,
    patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
  });

export const pathPrefix = () =>
  s.string({ min: 1, max: 512, pattern: /^\u002F[\u0021-\u007F]*$/, patternText: "\\u002F[\\u0021-\\u007F]*" });

export interface TagInput {
  Key: string;
  Value: string;
}

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** AWS's tag rules: key/value charset, no duplicate keys (case-insensitive), no aws: prefix, ≤ 50 in all. */
export function validateTags(tags: TagInput[], existingKeysLower: Iterable<string> = []): void {
  const seen = new Set<string>();
  for (const t of tags) {
    if (!TAG_CHARS.test(t.Key) || t.Key.length === 0)
      throw errors.validation(
        `1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`,
      );
    if (!TAG_CHARS.test(t.Value))
      throw errors.validation(
        `1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`,
      );
    if (t.Key.toLowerCase().startsWith("aws:"))
      throw errors.invalidInput("User-defined tag keys can't start with 'aws:', as this prefix is reserved for AWS-defined tags.");
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw errors.invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(k);
  }
  const total = new Set([...existingKeysLower, ...seen]).size;
  if (total > 50) throw errors.limitExceeded("The number of tags has reached the maximum limit.");
}

/** aws:RequestTag/* and aws:TagKeys context for tag-on-create and Tag* actions. */
export function requestTagContext(tags: TagInput[] | undefined): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {};
  if (!tags || tags.length === 0) return ctx;
  for (const t of tags) ctx[`aws:RequestTag/${t.Key}`] = t.Value;
  ctx["aws:TagKeys"] = tags.map((t) => t.Key);
  return ctx;
}

export const notFound = {
  user: (name: string) => errors.noSuchEntity(`The user with name ${name} cannot be found.`),
  group: (name: string) => errors.noSuchEntity(`The group with name ${name} cannot be found.`),
  role: (name: string) => errors.noSuchEntity(`The role with name ${name} cannot be found.`),
  policy: (arn: string) => errors.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`),
  instanceProfile: (name: string) => errors.noSuchEntity(`Instance Profile ${name} cannot be found.`),
};

export const alreadyExists = {
  user: (name: string) => errors.entityAlreadyExists(`User with name ${name} already exists.`),
  group: (name: string) => errors.entityAlreadyExists(`Group with name ${name} already exists.`),
  role: (name: string) => errors.entityAlreadyExists(`Role with name ${name} already exists.`),
  policy: (name: string) => errors.entityAlreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`),
  instanceProfile: (name: string) => errors.entityAlreadyExists(`Instance Profile ${name} already exists.`),
};

/**
 * Throws AWS's UnmodifiableEntity (400) when the role is protected (service-linked or reserved).
 * Called by every action that changes a role's permissions or trust: UpdateAssumeRolePolicy,
 * Put/DeleteRolePolicy, Attach/DetachRolePolicy, Put/DeleteRolePermissionsBoundary, DeleteRole,
 * Add/RemoveRoleToInstanceProfile. (AWS lets UpdateRoleDescription, TagRole/UntagRole and
 * UpdateRole without MaxSessionDuration through.)
 */
export function assertRoleModifiable(role: Pick<RoleRow, "path" | "roleName">): void {
  if (isProtectedRole(role))
    throw new AwsError(
      "UnmodifiableEntity",
      `Cannot perform the operation on the protected role '${role.roleName}' - this role is only modifiable by AWS`,
      400,
    );
}

/** A create's outcome as AWS answers it: "exists" is `exists()`, "limit" the quota's LimitExceeded. */
export function createdOrThrow(outcome: "ok" | "exists" | "limit", exists: () => AwsError, quota: AccountQuota): void {
  if (outcome === "exists") throw exists();
  if (outcome === "limit") throw errors.limitExceeded(quotaMessage(quota));
}
