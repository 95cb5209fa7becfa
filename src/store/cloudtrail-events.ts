/**
 * CloudTrail events in D1 (table cloudtrail_events, migration 0029): written in one batch per
 * request behind the response (src/services/cloudtrail/recorder.ts), read newest first by
 * LookupEvents and by other modules (labs' grading) through `queryEvents`.
 */
import { sql, type SQL } from "drizzle-orm";
import { accounts, cloudtrailEvents } from "./schema";
import { all, bare, statement, type Db } from "./db";

/** A resource as LookupEvents lists it. */
export interface LookupResource {
  ResourceType: string;
  ResourceName: string;
}

/** One event as stored for one recipient account. */
export interface TrailRow {
  accountId: string;
  eventId: string;
  /** epoch ms */
  eventTime: number;
  eventName: string;
  eventSource: string;
  category: "Management" | "Data";
  readOnly: boolean;
  username?: string;
  accessKeyId?: string;
  resources: LookupResource[];
  /** the record JSON (LookupEvents' CloudTrailEvent) */
  body: string;
}

/** The attributes LookupEvents filters on (one at a time, as AWS allows). */
export type LookupAttributeKey =
  | "EventId"
  | "EventName"
  | "ReadOnly"
  | "Username"
  | "ResourceType"
  | "ResourceName"
  | "EventSource"
  | "AccessKeyId";

export interface EventQuery {
  attribute?: { key: LookupAttributeKey; value: string };
  /** epoch ms, inclusive */
  startTime: number;
  /** epoch ms, inclusive */
  endTime: number;
  /** which categories; LookupEvents reads management events only */
  categories: readonly ("Management" | "Data")[];
  /** continue after this event (newest first: strictly older, or same time and smaller seq) */
  after?: { time: number; seq: number };
  limit: number;
}

export interface StoredEvent extends Omit<TrailRow, "resources"> {
  seq: number;
  resources: LookupResource[];
}

const t = cloudtrailEvents;

/**
 * Writes events in few statements: the rows travel as JSON parameters (chunks, below) that SQLite
 * unpacks (json_each), so a flush of hundreds of events is not one statement per row (D1 binds at
 * most 100 parameters per statement). A row for an account that does not exist (a call naming an ARN of
 * an account nobody owns) is dropped. With `pruneBefore`, older events go in the same batch.
 */
/**
 * A flush's rows travel in chunks of about this many characters of JSON: one parameter past D1's
 * string limit fails the whole batch (SQLITE_TOOBIG), so a burst of large events becomes several
 * statements of one batch.
 */
const CHUNK_CHARS = 256 * 1024;
/** A larger event is stored without its requestParameters / responseElements (CloudTrail caps events at 256 KB). */
const MAX_EVENT_CHARS = 256 * 1024;

/** The record without its bulk, saying so; undefined when even that is too large. */
function slimmed(body: string): string | undefined {
  try {
    const record = JSON.parse(body) as Record<string, unknown>;
    record.requestParameters = null;
    record.responseElements = null;
    record.additionalEventData = { iamlab: "requestParameters and responseElements omitted: the event was over 256 KB" };
    const out = JSON.stringify(record);
    return out.length <= MAX_EVENT_CHARS ? out : undefined;
  } catch {
    return undefined;
  }
}

export async function insertEvents(db: Db, rows: readonly TrailRow[], pruneBefore?: number): Promise<void> {
  if (!rows.length) return;
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const row of rows) {
    let r = row;
    if (r.body.length > MAX_EVENT_CHARS) {
      const body = slimmed(r.body);
      if (body === undefined) continue;
      r = { ...r, body };
    }
    const packed = JSON.stringify([
      r.accountId,
      r.eventId,
      r.eventTime,
      r.eventName,
      r.eventSource,
      r.category,
      r.readOnly ? 1 : 0,
      r.username ?? null,
      r.accessKeyId ?? null,
      JSON.stringify(r.resources),
      r.body,
    ]);
    if (size + packed.length > CHUNK_CHARS && chunk.length) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(packed);
    size += packed.length + 1;
  }
  if (chunk.length) chunks.push(chunk);
  const v = (i: number) => sql.raw(`json_extract(e.value, '$[${i}]')`);
  const stmts = chunks.map((c) =>
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.eventId)}, ${bare(t.eventTime)}, ${bare(t.eventName)}, ${bare(t.eventSource)},
          ${bare(t.category)}, ${bare(t.readOnly)}, ${bare(t.username)}, ${bare(t.accessKeyId)}, ${bare(t.resources)}, ${bare(t.body)})
        SELECT ${v(0)}, ${v(1)}, ${v(2)}, ${v(3)}, ${v(4)}, ${v(5)}, ${v(6)}, ${v(7)}, ${v(8)}, ${v(9)}, ${v(10)}
        FROM json_each(${`[${c.join(",")}]`}) e
        WHERE ${v(0)} IN (SELECT ${accounts.id} FROM ${accounts})`,
    ),
  );
  if (pruneBefore !== undefined) stmts.push(statement(db, sql`DELETE FROM ${t} WHERE ${t.eventTime} < ${pruneBefore}`));
  if (stmts.length) await db.$client.batch(stmts);
}

function attributeCondition(a: NonNullable<EventQuery["attribute"]>): SQL {
  switch (a.key) {
    case "EventId":
      return sql`${t.eventId} = ${a.value}`;
    case "EventName":
      return sql`${t.eventName} = ${a.value}`;
    case "EventSource":
      return sql`${t.eventSource} = ${a.value}`;
    case "Username":
      return sql`${t.username} = ${a.value}`;
    case "AccessKeyId":
      return sql`${t.accessKeyId} = ${a.value}`;
    case "ReadOnly":
      // AWS takes "true" / "false"; anything else matches nothing (unconfirmed: AWS may refuse it).
      return a.value === "true" ? sql`${t.readOnly} = 1` : a.value === "false" ? sql`${t.readOnly} = 0` : sql`0`;
    case "ResourceType":
      return sql`EXISTS (SELECT 1 FROM json_each(${t.resources}) r WHERE json_extract(r.value, '$.ResourceType') = ${a.value})`;
    case "ResourceName":
      return sql`EXISTS (SELECT 1 FROM json_each(${t.resources}) r WHERE json_extract(r.value, '$.ResourceName') = ${a.value})`;
  }
}

/** An account's events matching `q`, newest first (the pure query other modules build on). */
export async function queryEvents(db: Db, account: string, q: EventQuery): Promise<StoredEvent[]> {
  if (!q.categories.length) return [];
  const conds: SQL[] = [
    sql`${t.accountId} = ${account}`,
    sql`${t.eventTime} >= ${q.startTime}`,
    sql`${t.eventTime} <= ${q.endTime}`,
    sql`${t.category} IN (${sql.join(
      q.categories.map((c) => sql`${c}`),
      sql`, `,
    )})`,
  ];
  if (q.attribute) conds.push(attributeCondition(q.attribute));
  if (q.after) conds.push(sql`(${t.eventTime} < ${q.after.time} OR (${t.eventTime} = ${q.after.time} AND ${t.seq} < ${q.after.seq}))`);
  const rows = await all<{
    seq: number;
    accountId: string;
    eventId: string;
    eventTime: number;
    eventName: string;
    eventSource: string;
    category: "Management" | "Data";
    readOnly: number;
    username: string | null;
    accessKeyId: string | null;
    resources: string;
    body: string;
  }>(
    db,
    sql`SELECT ${t.seq} AS seq, ${t.accountId} AS accountId, ${t.eventId} AS eventId, ${t.eventTime} AS eventTime,
          ${t.eventName} AS eventName, ${t.eventSource} AS eventSource, ${t.category} AS category, ${t.readOnly} AS readOnly,
          ${t.username} AS username, ${t.accessKeyId} AS accessKeyId, ${t.resources} AS resources, ${t.body} AS body
        FROM ${t} WHERE ${sql.join(conds, sql` AND `)}
        ORDER BY ${t.eventTime} DESC, ${t.seq} DESC LIMIT ${q.limit}`,
  );
  return rows.map((r) => ({
    seq: r.seq,
    accountId: r.accountId,
    eventId: r.eventId,
    eventTime: r.eventTime,
    eventName: r.eventName,
    eventSource: r.eventSource,
    category: r.category,
    readOnly: r.readOnly === 1,
    ...(r.username !== null ? { username: r.username } : {}),
    ...(r.accessKeyId !== null ? { accessKeyId: r.accessKeyId } : {}),
    resources: JSON.parse(r.resources) as LookupResource[],
    body: r.body,
  }));
}
