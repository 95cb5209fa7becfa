/**
 * SQS queue metadata (D1 table `sqs_queues`). Queue names are per account (iamlab keeps one
 * namespace per account, whatever the region). SQS writes are effect `none` (single statements),
 * except queue-policy changes: `permissions` writes through the write batch, which moves the owner
 * account's generation (eventual consistency: `policyGeneration`, as S3's bucket policies).
 * Every write drops this isolate's cached queue rows of the account (src/services/data-rows.ts).
 * The messages are not here: each queue's live in its Durable Object (src/services/sqs/queue-do.ts).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db } from "./db";
import { accounts, sqsQueues } from "./schema";
import { writeBatch, type Write } from "./write";
import { afterDataWrite } from "../cache/index";

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
  /**
   * Eventual consistency: the owner account's generation of the last policy change made while it
   * lagged; until its data plane sees it, the previous policy applies (absent: in force).
   */
  policyGeneration?: number;
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
  policyGeneration: number | null;
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
  if (typeof r.policyGeneration === "number") row.policyGeneration = r.policyGeneration;
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
    afterDataWrite(q.accountId);
    return { ok: true };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const existing = await getQueue(db, q.accountId, q.name);
    if (!existing) throw e;
    return { ok: false, existing };
  }
}

/** Replaces the attributes (not the policy) of this incarnation of the queue; false when it is gone. */
export async function updateQueueAttributes(
  db: Db,
  q: Pick<QueueRow, "accountId" | "name" | "queueId" | "attributes">,
  modifiedAt: number,
): Promise<boolean> {
  const r = await statement(
    db,
    sql`UPDATE ${sqsQueues} SET ${bare(sqsQueues.attributes)} = ${JSON.stringify(q.attributes)}, ${bare(sqsQueues.modifiedAt)} = ${modifiedAt}
        WHERE ${sqsQueues.accountId} = ${q.accountId} AND ${sqsQueues.name} = ${q.name} AND ${sqsQueues.queueId} = ${q.queueId}`,
  ).run();
  afterDataWrite(q.accountId);
  return r.meta.changes > 0;
}

/**
 * Replaces the attributes and the policy of this incarnation of the queue, through the write batch
 * of a `permissions` action (the account's generation moves with it). `lagging`: the owner account's
 * eventual consistency is on, so the row records the generation this change creates for the data
 * plane to wait for; otherwise the policy is in force at once. False when the queue is gone.
 */
export async function updateQueuePolicy(
  w: Write,
  q: Pick<QueueRow, "accountId" | "name" | "queueId" | "attributes" | "policy">,
  modifiedAt: number,
  lagging: boolean,
): Promise<boolean> {
  const t = sqsQueues;
  const a = accounts;
  const generation = lagging ? sql`(SELECT ${a.generation} + 1 FROM ${a} WHERE ${a.id} = ${q.accountId})` : sql`NULL`;
  const [r] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${t} SET ${bare(t.attributes)} = ${JSON.stringify(q.attributes)}, ${bare(t.policy)} = ${q.policy ?? null},
          ${bare(t.policyGeneration)} = ${generation}, ${bare(t.modifiedAt)} = ${modifiedAt}
          WHERE ${t.accountId} = ${q.accountId} AND ${t.name} = ${q.name} AND ${t.queueId} = ${q.queueId} RETURNING ${bare(t.name)}`,
    ),
  ]);
  afterDataWrite(q.accountId);
  return (r?.results.length ?? 0) > 0;
}

/** The policies of an account's queues, by queue ARN (eventual consistency's snapshots keep them). */
export async function queuePoliciesOf(db: Db, accountId: string): Promise<Map<string, string>> {
  const t = sqsQueues;
  const rs = await all<{ region: string; name: string; policy: string }>(
    db,
    sql`SELECT ${t.region} AS ${sql.identifier("region")}, ${t.name} AS ${sql.identifier("name")}, ${t.policy} AS ${sql.identifier("policy")}
      FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.policy} IS NOT NULL`,
  );
  return new Map(rs.map((r) => [`arn:aws:sqs:${r.region}:${accountId}:${r.name}`, r.policy]));
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
  afterDataWrite(q.accountId);
  return r.meta.changes > 0;
}

export async function deleteQueue(db: Db, q: Pick<QueueRow, "accountId" | "name" | "queueId">): Promise<boolean> {
  const r = await statement(
    db,
    sql`DELETE FROM ${sqsQueues} WHERE ${sqsQueues.accountId} = ${q.accountId} AND ${sqsQueues.name} = ${q.name} AND ${sqsQueues.queueId} = ${q.queueId}`,
  ).run();
  afterDataWrite(q.accountId);
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
