/**
 * The on-disk shape of the generated Service Authorization Reference catalogue
 * (`service-catalog.ts`). It is written by `src/tools/build-data.ts` and read only
 * through the accessors in `catalog.ts`; tuples instead of objects keep the module
 * small enough to bundle into the Worker (a few tens of KB gzipped).
 */

/** Condition key types as the Service Authorization Reference names them. */
export const CONDITION_KEY_TYPES = [
  "String",
  "ARN",
  "Bool",
  "Date",
  "Numeric",
  "IPAddress",
  "Binary",
  "ArrayOfString",
  "ArrayOfARN",
  "ArrayOfBool",
  "ArrayOfDate",
  "ArrayOfNumeric",
  "ArrayOfIPAddress",
  "ArrayOfBinary",
] as const;
export type ConditionKeyType = (typeof CONDITION_KEY_TYPES)[number];

/** One letter per access level, in the order the source lists them (first = AWS's own). */
export type AccessLevelCode = "L" | "R" | "W" | "P" | "T";

/**
 * A resource type an action applies to. The name carries a trailing `*` when the
 * resource is required, exactly as the SAR table marks it (`user*`). The tuple form
 * adds the condition keys evaluated for that resource by this action (EC2 uses it a lot).
 */
export type RawActionResource = string | readonly [name: string, conditionKeys: readonly string[]];

/** `[accessLevels, resourceTypes, conditionKeys]`; accessLevels is a string of codes, e.g. "PW". */
export type RawAction = readonly [accessLevels: string, resourceTypes: readonly RawActionResource[], conditionKeys: readonly string[]];

/** `[arnPattern, conditionKeys]`, the pattern with SAR placeholders such as `${Account}`. */
export type RawResourceType = readonly [arnPattern: string, conditionKeys: readonly string[]];

export interface RawService {
  readonly title: string;
  /** Keyed by the action name in AWS's casing (`CreateUser`). */
  readonly actions: Readonly<Record<string, RawAction>>;
  /** Keyed by the resource type name in AWS's casing (`user`, `eventSourceMapping`). */
  readonly resourceTypes: Readonly<Record<string, RawResourceType>>;
}

export interface RawCatalog {
  /** Package and version the data came from. */
  readonly source: string;
  /** Keyed by service prefix (`iam`, `s3`, …). */
  readonly services: Readonly<Record<string, RawService>>;
  /**
   * Every condition key used by the catalogued services plus the global ones, in AWS's
   * casing. Templates keep their placeholder (`aws:RequestTag/${TagKey}`).
   */
  readonly conditionKeys: Readonly<Record<string, ConditionKeyType>>;
  /** The keys of `conditionKeys` that exist in every request context (mostly `aws:*`). */
  readonly globalConditionKeys: readonly string[];
}
