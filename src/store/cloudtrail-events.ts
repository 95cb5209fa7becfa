/**
 * CloudTrail events in D1 (cloudtrail_segments, migration 0032): written behind the responses
 * (src/services/cloudtrail/recorder.ts), one segment per account and flush; read newest first by
 * LookupEvents and by other modules (labs' grading, trail delivery) through `queryEvents`.
 *
 * Why segments, not a row per event: local D1 runs its SQLite in the Worker's process, and a row
 * per event (with its record as TEXT) was most of the trail's cost on the request path — bench/trail.ts
 * measured GetUser 37–42 % slower with the trail on. A segment is one row for all of an account's
 * events of a flush: their LookupEvents columns as a small JSON array (`meta`), their records as
 * NDJSON — gzipped (~8× smaller) when over 16 KB, plain text below. Reads filter segments in SQL (account, time, and a
 * substring pre-filter on `meta` for the attribute) and events in TypeScript; only the records of
 * the page returned are unpacked.
 */
import { sql, type SQL } from "drizzle-orm";
import { accounts, cloudtrailSegments } from "./schema";
import { all, bare, first, statement, type Db } from "./db";
import { gunzip, gzip } from "../lib/gzip";
import { bytesOf } from "../lib/encoding";

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

const t = cloudtrailSegments;

/** Lines per segment: an event's seq is segment seq * LINES + line. */
const LINES = 4096;
/** A segment holds at most this many characters of records (gzipped, far below D1's 2 MB per value). */
const SEGMENT_CHARS = 1024 * 1024;
/** A segment with more characters of records than this is gzipped; a smaller one is stored as plain NDJSON text. */
const GZIP_FROM_CHARS = 16 * 1024;
/** Small segments travel in JSON parameters of about this size (one past D1's string limit would fail the batch). */
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

/** One event's entry in a segment's `meta`. */
type Meta = [
  eventId: string,
  time: number,
  name: string,
  source: string,
  category: "Management" | "Data",
  readOnly: 0 | 1,
  username: string | null,
  accessKeyId: string | null,
  resources: LookupResource[],
];

function metaOf(r: TrailRow): Meta {
  return [
    r.eventId,
    r.eventTime,
    r.eventName,
    r.eventSource,
    r.category,
    r.readOnly ? 1 : 0,
    r.username ?? null,
    r.accessKeyId ?? null,
    r.resources,
  ];
}

/**
 * Writes events as one D1 batch for the flush: one segment per account (and per ~1 MB of records);
 * the small segments share one statement, each gzipped one has its own.
 * Events of an account that does not exist (a call naming an ARN of an account nobody owns) are
 * dropped. With `pruneBefore`, segments whose newest event is older go in the same batch.
 */
export async function insertEvents(db: Db, rows: readonly TrailRow[], pruneBefore?: number): Promise<void> {
  if (!rows.length) return;
  const byAccount = new Map<string, TrailRow[]>();
  for (const r of rows) {
    const list = byAccount.get(r.accountId);
    if (list) list.push(r);
    else byAccount.set(r.accountId, [r]);
  }
  const stmts: D1PreparedStatement[] = [];
  // Small segments (a class: many accounts, a few events each per flush) travel together as one
  // JSON parameter of one statement, their records as plain NDJSON; only larger ones are gzipped,
  // one statement each (bench/class.ts: a statement and a CompressionStream per account per flush
  // cost the class mix ~10 %).
  const small: string[] = [];
  for (const [account, list] of byAccount) {
    let meta: Meta[] = [];
    let lines: string[] = [];
    let chars = 0;
    const close = async () => {
      if (!lines.length) return;
      const times = meta.map((m) => m[1]);
      const [first, last] = [Math.min(...times), Math.max(...times)];
      const text = lines.join("\n");
      if (chars <= GZIP_FROM_CHARS) small.push(JSON.stringify([account, first, last, JSON.stringify(meta), text]));
      else
        stmts.push(
          statement(
            db,
            sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.firstTime)}, ${bare(t.lastTime)}, ${bare(t.meta)}, ${bare(t.body)})
              SELECT ${account}, ${first}, ${last}, ${JSON.stringify(meta)}, ${await gzip(text)}
              WHERE EXISTS (SELECT 1 FROM ${accounts} WHERE ${accounts.id} = ${account})`,
          ),
        );
      meta = [];
      lines = [];
      chars = 0;
    };
    for (const r of list) {
      const body = r.body.length > MAX_EVENT_CHARS ? slimmed(r.body) : r.body;
      if (body === undefined) continue;
      if ((chars + body.length > SEGMENT_CHARS && lines.length) || lines.length >= LINES) await close();
      meta.push(metaOf(r));
      lines.push(body);
      chars += body.length + 1;
    }
    await close();
  }
  const v = (i: number) => sql.raw(`json_extract(e.value, '$[${i}]')`);
  for (const chunk of chunked(small))
    stmts.push(
      statement(
        db,
        sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.firstTime)}, ${bare(t.lastTime)}, ${bare(t.meta)}, ${bare(t.body)})
          SELECT ${v(0)}, ${v(1)}, ${v(2)}, ${v(3)}, ${v(4)} FROM json_each(${`[${chunk.join(",")}]`}) e
          WHERE ${v(0)} IN (SELECT ${accounts.id} FROM ${accounts})`,
      ),
    );
  if (pruneBefore !== undefined) stmts.push(statement(db, sql`DELETE FROM ${t} WHERE ${t.lastTime} < ${pruneBefore}`));
  if (stmts.length) await db.$client.batch(stmts);
}

/** Packed rows in chunks of about CHUNK_CHARS of JSON each. */
function chunked(packed: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const p of packed) {
    if (size + p.length > CHUNK_CHARS && chunk.length) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(p);
    size += p.length + 1;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/** The JSON text an attribute's value appears as in `meta` (a cheap SQL pre-filter; TypeScript decides). */
function needle(a: NonNullable<EventQuery["attribute"]>): string | undefined {
  return a.key === "ReadOnly" ? undefined : JSON.stringify(a.value);
}

function matches(m: Meta, a: NonNullable<EventQuery["attribute"]>): boolean {
  switch (a.key) {
    case "EventId":
      return m[0] === a.value;
    case "EventName":
      return m[2] === a.value;
    case "EventSource":
      return m[3] === a.value;
    case "Username":
      return m[6] === a.value;
    case "AccessKeyId":
      return m[7] === a.value;
    case "ReadOnly":
      // AWS takes "true" / "false"; anything else matches nothing (unconfirmed: AWS may refuse it).
      return a.value === "true" ? m[5] === 1 : a.value === "false" ? m[5] === 0 : false;
    case "ResourceType":
      return m[8].some((r) => r.ResourceType === a.value);
    case "ResourceName":
      return m[8].some((r) => r.ResourceName === a.value);
  }
}

/** Segments read per query while looking for a page: few at first (a busy account's segment holds thousands of events), doubling. */
const FIRST_READ = 4;
const MAX_READ = 64;

interface Found {
  seq: number;
  meta: Meta;
  segment: number;
  line: number;
}

const newerFirst = (x: Found, y: Found) => y.meta[1] - x.meta[1] || y.seq - x.seq;

/** An account's events matching `q`, newest first (the pure query other modules build on). */
export async function queryEvents(db: Db, account: string, q: EventQuery): Promise<StoredEvent[]> {
  if (!q.categories.length || q.limit < 1) return [];
  const conds: SQL[] = [sql`${t.accountId} = ${account}`, sql`${t.lastTime} >= ${q.startTime}`, sql`${t.firstTime} <= ${q.endTime}`];
  const n = q.attribute ? needle(q.attribute) : undefined;
  if (n !== undefined) conds.push(sql`instr(${t.meta}, ${n}) > 0`);
  if (q.after) conds.push(sql`${t.firstTime} <= ${q.after.time}`);
  const found: Found[] = [];
  let cursor: { time: number; seq: number } | undefined;
  let read = FIRST_READ;
  for (;;) {
    const page = await all<{ seq: number; lastTime: number; meta: string }>(
      db,
      sql`SELECT ${t.seq} AS seq, ${t.lastTime} AS lastTime, ${t.meta} AS meta FROM ${t}
          WHERE ${sql.join(conds, sql` AND `)}
          ${cursor ? sql`AND (${t.lastTime} < ${cursor.time} OR (${t.lastTime} = ${cursor.time} AND ${t.seq} < ${cursor.seq}))` : sql``}
          ORDER BY ${t.lastTime} DESC, ${t.seq} DESC LIMIT ${read}`,
    );
    for (const s of page) {
      (JSON.parse(s.meta) as Meta[]).forEach((m, line) => {
        const seq = s.seq * LINES + line;
        const time = m[1];
        if (time < q.startTime || time > q.endTime || !q.categories.includes(m[4])) return;
        if (q.attribute && !matches(m, q.attribute)) return;
        if (q.after && !(time < q.after.time || (time === q.after.time && seq < q.after.seq))) return;
        found.push({ seq, meta: m, segment: s.seq, line });
      });
    }
    const last = page[page.length - 1];
    if (page.length < read || !last) break;
    read = Math.min(read * 2, MAX_READ);
    cursor = { time: last.lastTime, seq: last.seq };
    // Every segment not yet read holds only events at or before last.lastTime: once the page is
    // complete with newer events, they cannot change it.
    found.sort(newerFirst);
    const edge = found[q.limit - 1];
    if (edge && edge.meta[1] > last.lastTime) break;
  }
  found.sort(newerFirst);
  const page = found.slice(0, q.limit);
  const records = await readRecords(db, new Set(page.map((f) => f.segment)));
  return page.map((f) => {
    const [eventId, eventTime, eventName, eventSource, category, readOnly, username, accessKeyId, resources] = f.meta;
    return {
      seq: f.seq,
      accountId: account,
      eventId,
      eventTime,
      eventName,
      eventSource,
      category,
      readOnly: readOnly === 1,
      ...(username !== null ? { username } : {}),
      ...(accessKeyId !== null ? { accessKeyId } : {}),
      resources,
      // A segment pruned between the two reads leaves an empty record (never an error).
      body: records.get(f.segment)?.[f.line] ?? "{}",
    };
  });
}

const utf8Decoder = new TextDecoder();

/** A segment's records: a TEXT body is plain NDJSON (small segments; a record migrated from before 0032 is one line of it), a BLOB gzipped NDJSON. */
async function recordsOf(body: unknown): Promise<string[] | undefined> {
  if (typeof body === "string") return body.split("\n");
  const bytes = bytesOf(body);
  return bytes ? utf8Decoder.decode(await gunzip(bytes)).split("\n") : undefined;
}

/** The records of the given segments, each unpacked once. */
async function readRecords(db: Db, segments: ReadonlySet<number>): Promise<Map<number, string[]>> {
  const ids = [...segments];
  const out = new Map<number, string[]>();
  // At most 90 ids per statement: D1 binds at most 100 parameters.
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await all<{ seq: number; body: unknown }>(
      db,
      sql`SELECT ${t.seq} AS seq, ${t.body} AS body FROM ${t} WHERE ${t.seq} IN (${sql.join(
        ids.slice(i, i + 90).map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
    for (const r of rows) {
      const records = await recordsOf(r.body);
      if (records) out.set(r.seq, records);
    }
  }
  return out;
}

/** The newest segment's seq of an account (0 when none): where a trail that starts logging now begins. */
export async function latestSegmentSeq(db: Db, account: string): Promise<number> {
  const r = await first<{ seq: number | null }>(db, sql`SELECT max(${t.seq}) AS seq FROM ${t} WHERE ${t.accountId} = ${account}`);
  return r?.seq ?? 0;
}

/** One segment as trail delivery reads it: its seq and its events' records, in order. */
export interface SegmentRecords {
  seq: number;
  records: string[];
}

/** An account's segments after `afterSeq`, oldest first, at most `limit` (trail delivery), in one query. */
export async function segmentsAfter(db: Db, account: string, afterSeq: number, limit: number): Promise<SegmentRecords[]> {
  const rows = await all<{ seq: number; body: unknown }>(
    db,
    sql`SELECT ${t.seq} AS seq, ${t.body} AS body FROM ${t} WHERE ${t.accountId} = ${account} AND ${t.seq} > ${afterSeq}
      ORDER BY ${t.seq} LIMIT ${limit}`,
  );
  return Promise.all(rows.map(async (r) => ({ seq: r.seq, records: (await recordsOf(r.body)) ?? [] })));
}
