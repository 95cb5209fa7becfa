/**
 * Which events a trail delivers (pure): its region (all regions for a multi-region trail), global
 * services' events unless IncludeGlobalServiceEvents is off, and its event selectors — by default
 * every management event; basic selectors (ReadWriteType, IncludeManagementEvents,
 * ExcludeManagementEventSources, DataResources of AWS::S3::Object / AWS::Lambda::Function by ARN
 * prefix) or advanced selectors (field selectors on eventCategory, eventSource, eventName,
 * readOnly, resources.type, resources.ARN with Equals / StartsWith / EndsWith and their Not…).
 */
import type { TrailRow } from "../../store/cloudtrail-trails";

/** The parts of a record selection reads. */
export interface TrailRecord {
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  awsRegion?: string;
  readOnly?: boolean;
  eventCategory?: string;
  managementEvent?: boolean;
  resources?: { ARN?: string; type?: string }[];
  [k: string]: unknown;
}

export interface DataResource {
  Type: string;
  Values?: string[];
}

export interface EventSelector {
  ReadWriteType?: "ReadOnly" | "WriteOnly" | "All";
  IncludeManagementEvents?: boolean;
  DataResources?: DataResource[];
  ExcludeManagementEventSources?: string[];
}

export interface FieldSelector {
  Field: string;
  Equals?: string[];
  StartsWith?: string[];
  EndsWith?: string[];
  NotEquals?: string[];
  NotStartsWith?: string[];
  NotEndsWith?: string[];
}

export interface AdvancedEventSelector {
  Name?: string;
  FieldSelectors: FieldSelector[];
}

/** Services whose endpoints are global: their events are "global service events" (AWS). */
const GLOBAL_SOURCES = new Set(["iam.amazonaws.com", "organizations.amazonaws.com", "signin.amazonaws.com"]);

/** A trail's stored selectors (JSON), tolerating a row written by hand. */
export function parseSelectors<T>(json: string | null): T[] | undefined {
  if (json === null) return undefined;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as T[]) : undefined;
  } catch {
    return undefined;
  }
}

const isData = (r: TrailRecord): boolean => r.eventCategory === "Data" || r.managementEvent === false;

function readWriteMatches(type: EventSelector["ReadWriteType"], r: TrailRecord): boolean {
  if (type === "ReadOnly") return r.readOnly === true;
  if (type === "WriteOnly") return r.readOnly !== true;
  return true;
}

function dataResourceMatches(d: DataResource, r: TrailRecord): boolean {
  const values = d.Values ?? [];
  return (r.resources ?? []).some((res) => {
    if (res.type !== d.Type || typeof res.ARN !== "string") return false;
    const arn = res.ARN;
    // "arn:aws:s3" / "arn:aws:lambda": every resource of the type; otherwise an ARN prefix (S3) or the function's ARN.
    return values.some(
      (v) => v === "arn:aws:s3" || v === "arn:aws:lambda" || arn === v || (d.Type === "AWS::S3::Object" && arn.startsWith(v)),
    );
  });
}

function basicMatches(s: EventSelector, r: TrailRecord): boolean {
  if (!readWriteMatches(s.ReadWriteType, r)) return false;
  if (isData(r)) return (s.DataResources ?? []).some((d) => dataResourceMatches(d, r));
  if (s.IncludeManagementEvents === false) return false;
  return !(s.ExcludeManagementEventSources ?? []).includes(r.eventSource ?? "");
}

/** The values a record has for an advanced selector's field. */
function fieldValues(field: string, r: TrailRecord): string[] {
  switch (field) {
    case "eventCategory":
      return [isData(r) ? "Data" : "Management"];
    case "eventSource":
      return [r.eventSource ?? ""];
    case "eventName":
      return [r.eventName ?? ""];
    case "readOnly":
      return [r.readOnly === true ? "true" : "false"];
    case "resources.type":
      return (r.resources ?? []).map((x) => x.type ?? "");
    case "resources.ARN":
      return (r.resources ?? []).map((x) => x.ARN ?? "");
    default:
      return [];
  }
}

function fieldMatches(f: FieldSelector, r: TrailRecord): boolean {
  const values = fieldValues(f.Field, r);
  const any = (list: string[] | undefined, test: (v: string, p: string) => boolean) =>
    values.some((v) => (list ?? []).some((p) => test(v, p)));
  if (f.Equals && !any(f.Equals, (v, p) => v === p)) return false;
  if (f.StartsWith && !any(f.StartsWith, (v, p) => v.startsWith(p))) return false;
  if (f.EndsWith && !any(f.EndsWith, (v, p) => v.endsWith(p))) return false;
  if (f.NotEquals && any(f.NotEquals, (v, p) => v === p)) return false;
  if (f.NotStartsWith && any(f.NotStartsWith, (v, p) => v.startsWith(p))) return false;
  if (f.NotEndsWith && any(f.NotEndsWith, (v, p) => v.endsWith(p))) return false;
  return true;
}

/** Whether the trail delivers this record. */
export function selects(
  trail: Pick<
    TrailRow,
    | "region"
    | "multiRegion"
    | "includeGlobal"
    | "eventSelectors"
    | "advancedEventSelectors"
    | "startLoggingTime"
    | "stopLoggingTime"
    | "isLogging"
  >,
  r: TrailRecord,
): boolean {
  if (trail.multiRegion !== 1 && r.awsRegion !== undefined && r.awsRegion !== trail.region) return false;
  if (trail.includeGlobal !== 1 && GLOBAL_SOURCES.has(r.eventSource ?? "")) return false;
  // Events of before the trail (last) started logging are not its own.
  const at = typeof r.eventTime === "string" ? Date.parse(r.eventTime) : undefined;
  if (at !== undefined && trail.startLoggingTime !== null && at < Math.floor(trail.startLoggingTime / 1000) * 1000) return false;
  // …nor those after it stopped (the final delivery of a stopped trail takes events up to StopLogging).
  if (at !== undefined && trail.isLogging !== 1 && trail.stopLoggingTime !== null && at > trail.stopLoggingTime) return false;
  const advanced = parseSelectors<AdvancedEventSelector>(trail.advancedEventSelectors);
  if (advanced) return advanced.some((s) => (s.FieldSelectors ?? []).every((f) => fieldMatches(f, r)));
  const basic = parseSelectors<EventSelector>(trail.eventSelectors);
  if (!basic) return !isData(r);
  return basic.some((s) => basicMatches(s, r));
}
