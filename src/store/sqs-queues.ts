/**
 * SQS queue metadata (D1 table `sqs_queues`). Queue names are per account (iamlab keeps one
 * namespace per account, whatever the region). SQS writes are effect `none`: single statements.
 * The messages are not here: each queue's live in its Durable Object (src/services/sqs/queue-do.ts).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db } from "./db";
import { sqsQueues } from "./schema";

export interface QueueRow {
  accountId: string;
  name: string;
  queueId: string;
  region: string;
  createdAt: number;
  modifiedAt: number;
  /** settable attributes but Policy, as SQS writes them (strings) */
  attributes: Record<string, string>;
  policy?: string;
  tags: Record<string, string>;
}

interface RawQueue {
  accountId: string;
  name: string;
  queueId: string;
  region: string;
  createdAt: number;
  modifiedAt: number;
  attributes: string;
  policy: string | null;
  tags: string;
}

const QUEUE = selectList(sqsQueues);

function stringMap(json: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(json);
    const out: Record<string, string> = {};
    if (v && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
    return out;
  } catch {
    return {};
  }
}

function toRow(r: RawQueue): QueueRow {
  const row: QueueRow = {
    accountId: r.accountId,
    name: r.name,
    queueId: r.queueId,
    region: r.region,
    createdAt: r.createdAt,
    modifiedAt: r.modifiedAt,
    attributes: stringMap(r.attributes),
    tags: stringMap(r.tags),
  };
  if (r.policy !== null) row.policy = r.policy;
  return row;
}

export async function getQueue(db: Db, accountId: string, name: string): Promise<QueueRow | undefined> {
  const r = await first<RawQueue>(
    db,
    sql`SELECT ${QUEUE} FROM ${sqsQueues} WHERE ${sqsQueues.accountId} = ${accountId} AND ${sqsQueues.name} = ${name}`,
  );
  return r && toRow(r);
}

/** The account's queues whose names start with `prefix`, in name order, from after `after`, at most `limit`. */
export async function listQueues(db: Db, accountId: string, prefix: string, after: string | undefined, limit: number): Promise<QueueRow[]> {
  // `prefix` compared with substr (LIKE would treat `_` as a wildcard).
  const rows = await all<RawQueue>(
    db,
    sql`SELECT ${QUEUE} FROM ${sqsQueues} WHERE ${sqsQueues.accountId} = ${accountId}
        AND substr(${sqsQueues.name}, 1, ${prefix.length}) = ${prefix}
        ${after !== undefined ? sql`AND ${sqsQueues.name} > ${after}` : sql``}
        ORDER BY ${sqsQueues.name} LIMIT ${limit}`,
  );
  return rows.map(toRow);
}

export type CreateQueueOutcome = { ok: true } | { ok: false; existing: QueueRow };

/** Inserts the queue; when one of that name exists (or a concurrent create won), answers it. */
export async function insertQueue(db: Db, q: QueueRow): Promise<CreateQueueOutcome> {
  try {
    await statement(
      db,
      sql`INSERT INTO ${sqsQueues} (${bare(sqsQueues.accountId)}, ${bare(sqsQueues.name)}, ${bare(sqsQueues.queueId)}, ${bare(sqsQueues.region)},
          ${bare(sqsQueues.createdAt)}, ${bare(sqsQueues.modifiedAt)}, ${bare(sqsQueues.attributes)}, ${bare(sqsQueues.policy)}, ${bare(sqsQueues.tags)})
          VALUES (${q.accountId}, ${q.name}, ${q.queueId}, ${q.region}, ${q.createdAt}, ${q.modifiedAt},
          ${JSON.stringify(q.attributes)}, ${q.policy ?? null}, ${JSON.stringify(q.tags)})`,
    ).run();
    return { ok: true };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const existing = await getQueue(db, q.accountId, q.name);
    if (!existing) throw e;
    return { ok: false, existing };
  }
}

/** Replaces the attributes and policy of this incarnation of the queue; false when it is gone. */
export async function updateQueueAttributes(
  db: Db,
  q: Pick<QueueRow, "accountId" | "name" | "queueId" | "attributes" | "policy">,
  modifiedAt: number,
): Promise<boolean> {
  const r = await statement(
    db,
    sql`UPDATE ${sqsQueues} SET ${bare(sqsQueues.attributes)} = ${JSON.stringify(q.attributes)}, ${bare(sqsQueues.policy)} = ${q.policy ?? null},
        ${bare(sqsQueues.modifiedAt)} = ${modifiedAt}
        WHERE ${sqsQueues.accountId} = ${q.accountId} AND ${sqsQueues.name} = ${q.name} AND ${sqsQueues.queueId} = ${q.queueId}`,
  ).run();
  return r.meta.changes > 0;
}

export async function updateQueueTags(
  db: Db,
  q: Pick<QueueRow, "accountId" | "name" | "queueId">,
  tags: Record<string, string>,
): Promise<boolean> {
  const r = await statement(
    db,
    sql`UPDATE ${sqsQueues} SET ${bare(sqsQueues.tags)} = ${JSON.stringify(tags)}
        WHERE ${sqsQueues.accountId} = ${q.accountId} AND ${sqsQueues.name} = ${q.name} AND ${sqsQueues.queueId} = ${q.queueId}`,
  ).run();
  return r.meta.changes > 0;
}

export async function deleteQueue(db: Db, q: Pick<QueueRow, "accountId" | "name" | "queueId">): Promise<boolean> {
  const r = await statement(
    db,
    sql`DELETE FROM ${sqsQueues} WHERE ${sqsQueues.accountId} = ${q.accountId} AND ${sqsQueues.name} = ${q.name} AND ${sqsQueues.queueId} = ${q.queueId}`,
  ).run();
  return r.meta.changes > 0;
}

/** The queue ids of an account (to clear their Durable Objects when the account goes). */
export async function accountQueueIds(db: Db, accountId: string): Promise<string[]> {
  const rows = await all<{ queueId: string }>(
    db,
    sql`SELECT ${sqsQueues.queueId} AS "queueId" FROM ${sqsQueues} WHERE ${sqsQueues.accountId} = ${accountId}`,
  );
  return rows.map((r) => r.queueId);
}
