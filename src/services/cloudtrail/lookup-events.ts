/**
 * cloudtrail:LookupEvents (JSON 1.1): the caller's own account's management events of the last 90
 * days, newest first, filtered by one LookupAttribute and a time range, 1–50 per page (default 50).
 * Authorized like any call (`cloudtrail:LookupEvents` on `*`); a caller only ever reads the
 * account of its credentials. `lookupEvents` is the same query for other modules (labs' grading).
 *
 * AWS's error codes are its model's (InvalidLookupAttributesException, InvalidTimeRangeException,
 * InvalidMaxResultsException, InvalidNextTokenException, InvalidEventCategoryException); their
 * message texts could not be confirmed and are iamlab's wording.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import type { Db } from "../../store/db";
import { queryEvents, type EventQuery, type LookupAttributeKey, type StoredEvent } from "../../store/cloudtrail-events";
import { flushTrail, RETENTION_MS } from "./recorder";
import { fromBase64, toBase64 } from "../../lib/encoding";

const KEYS: readonly LookupAttributeKey[] = [
  "EventId",
  "EventName",
  "ReadOnly",
  "Username",
  "ResourceType",
  "ResourceName",
  "EventSource",
  "AccessKeyId",
];

const err = {
  attributes: (m: string) => new AwsError("InvalidLookupAttributesException", m, 400),
  timeRange: (m: string) => new AwsError("InvalidTimeRangeException", m, 400),
  maxResults: (m: string) => new AwsError("InvalidMaxResultsException", m, 400),
  nextToken: () => new AwsError("InvalidNextTokenException", "Invalid NextToken.", 400),
  category: (m: string) => new AwsError("InvalidEventCategoryException", m, 400),
};

interface Input {
  LookupAttributes?: { AttributeKey?: string; AttributeValue?: string }[];
  StartTime?: Date;
  EndTime?: Date;
  EventCategory?: string;
  MaxResults?: number;
  NextToken?: string;
}

/** What another module asks of an account's trail (times in epoch ms; default: the whole retention window). */
export interface TrailFilter {
  attribute?: { key: LookupAttributeKey; value: string };
  startTime?: number;
  endTime?: number;
  /** data events too (S3 objects, SQS messages …): LookupEvents never has them, graders may want them */
  includeData?: boolean;
  /** at most this many (default 1000), newest first */
  limit?: number;
}

/** One recorded event: its stored columns and its record, parsed. */
export interface TrailEvent extends Omit<StoredEvent, "body"> {
  record: Record<string, unknown>;
}

/**
 * The events of `account` matching `filter`, newest first, within the 90-day retention window as of
 * `now` (the sandbox clock). The stable entry point for other modules (labs' grading:
 * "the learner called s3:GetObject as the role").
 */
export async function lookupEvents(db: Db, account: string, filter: TrailFilter, now: number): Promise<TrailEvent[]> {
  const rows = await queryEvents(db, account, {
    ...(filter.attribute ? { attribute: filter.attribute } : {}),
    startTime: Math.max(filter.startTime ?? 0, now - RETENTION_MS),
    endTime: filter.endTime ?? now,
    categories: filter.includeData ? ["Management", "Data"] : ["Management"],
    limit: filter.limit ?? 1000,
  });
  return rows.map(({ body, ...r }) => ({ ...r, record: JSON.parse(body) as Record<string, unknown> }));
}

/** The page position and the parameters it was issued for (AWS: a token is valid with the same parameters only). */
interface PageToken {
  t: number;
  s: number;
  p: string;
}

function validAttribute(i: Input): EventQuery["attribute"] {
  const attrs = i.LookupAttributes ?? [];
  if (attrs.length === 0) return undefined;
  if (attrs.length > 1) throw err.attributes("You can specify only one lookup attribute.");
  const { AttributeKey: key, AttributeValue: value } = attrs[0]!;
  if (!key || !KEYS.includes(key as LookupAttributeKey))
    throw err.attributes(`Invalid AttributeKey: ${key ?? ""}. Valid keys are ${KEYS.join(", ")}.`);
  if (value === undefined || value.length < 1 || value.length > 2000)
    throw err.attributes("The AttributeValue must be between 1 and 2000 characters long.");
  return { key: key as LookupAttributeKey, value };
}

export const LookupEvents = defineAction({
  service: "cloudtrail",
  name: "LookupEvents",
  effect: "read",
  input: {},
  target: () => ({ resource: "*", deniedMessage: "noResource" as const }),
  handler: async (raw, ctx: ActionContext) => {
    const i = raw as Input;
    const now = ctx.request.now;
    const attribute = validAttribute(i);
    if (i.EventCategory !== undefined && i.EventCategory !== "insight")
      throw err.category(`Invalid EventCategory: ${i.EventCategory}. The only valid value is insight.`);
    const max = i.MaxResults ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 50) throw err.maxResults("MaxResults must be between 1 and 50.");
    const start = i.StartTime?.getTime();
    const end = i.EndTime?.getTime();
    if (start !== undefined && end !== undefined && start > end) throw err.timeRange("Start time must not be after end time.");
    // CloudTrail Insights is not served: an account has no Insights events.
    if (i.EventCategory === "insight") return { Events: [] };

    const params = JSON.stringify([attribute?.key ?? "", attribute?.value ?? "", start ?? "", end ?? "", max]);
    let after: EventQuery["after"];
    if (i.NextToken !== undefined) {
      const token = decodeToken(i.NextToken);
      if (!token || token.p !== params) throw err.nextToken();
      after = { time: token.t, seq: token.s };
    }
    await flushTrail(ctx.env); // this isolate's calls so far, as a reader expects
    const rows = await queryEvents(ctx.db, ctx.caller.principal.account, {
      ...(attribute ? { attribute } : {}),
      startTime: Math.max(start ?? 0, now - RETENTION_MS),
      endTime: end ?? now,
      categories: ["Management"],
      ...(after ? { after } : {}),
      limit: max + 1,
    });
    const page = rows.slice(0, max);
    const out: { [k: string]: XmlValue } = { Events: page.map(toEvent) };
    const last = page[page.length - 1];
    if (rows.length > max && last) out.NextToken = encodeToken({ t: last.eventTime, s: last.seq, p: params });
    return out;
  },
});

function toEvent(r: StoredEvent): { [k: string]: XmlValue } {
  const e: { [k: string]: XmlValue } = {
    EventId: r.eventId,
    EventName: r.eventName,
    ReadOnly: r.readOnly ? "true" : "false",
  };
  if (r.accessKeyId) e.AccessKeyId = r.accessKeyId;
  e.EventTime = new Date(Math.floor(r.eventTime / 1000) * 1000);
  e.EventSource = r.eventSource;
  if (r.username) e.Username = r.username;
  e.Resources = r.resources.map((x) => ({ ResourceType: x.ResourceType, ResourceName: x.ResourceName }));
  e.CloudTrailEvent = r.body;
  return e;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function encodeToken(t: PageToken): string {
  return toBase64(utf8.encode(JSON.stringify(t)));
}

function decodeToken(s: string): PageToken | undefined {
  try {
    const bytes = fromBase64(s);
    if (!bytes) return undefined;
    const t = JSON.parse(utf8Decoder.decode(bytes)) as Partial<PageToken>;
    return typeof t.t === "number" && typeof t.s === "number" && typeof t.p === "string" ? { t: t.t, s: t.s, p: t.p } : undefined;
  } catch {
    return undefined;
  }
}

export const cloudtrailActions: RegisteredAction[] = [LookupEvents];
