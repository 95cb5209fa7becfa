/**
 * SNS topics and subscriptions (D1 tables `sns_topics`, `sns_subscriptions`; migrations/0019_sns.sql).
 * Topics are regional, keyed by (account, region, name). A subscription is kept with its topic's
 * account, so deleting a topic (one batch) or its account takes its subscriptions along. SNS writes
 * are effect `none`: single statements, or one batch where two tables change together — except
 * topic-policy changes: `permissions` writes through the write batch, which moves the owner
 * account's generation (eventual consistency: `policyGeneration`, as SQS's queue policies).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db } from "./db";
import { accounts, snsSubscriptions, snsTopics } from "./schema";
import { writeBatch, type Write } from "./write";

export interface TopicKey {
  accountId: string;
  region: string;
  name: string;
}

export interface TopicRow extends TopicKey {
  createdAt: number;
  /** settable attributes but Policy, as SNS writes them (strings) */
  attributes: Record<string, string>;
  policy: string;
  /** the owner account's generation of a policy change made while it lagged (not yet in force for the data plane) */
  policyGeneration?: number;
  tags: Record<string, string>;
}

export interface SubscriptionRow {
  /** the topic's account, region and name */
  accountId: string;
  region: string;
  topic: string;
  subscriptionId: string;
  /** the account that subscribed */
  owner: string;
  /** ARN of the caller who subscribed */
  principal: string;
  protocol: string;
  endpoint: string;
  pending: boolean;
  token: string;
  attributes: Record<string, string>;
  createdAt: number;
}

interface RawTopic {
  accountId: string;
  region: string;
  name: string;
  createdAt: number;
  attributes: string;
  policy: string;
  policyGeneration: number | null;
  tags: string;
}

interface RawSubscription {
  accountId: string;
  region: string;
  topic: string;
  subscriptionId: string;
  owner: string;
  principal: string;
  protocol: string;
  endpoint: string;
  pending: number;
  token: string;
  attributes: string;
  createdAt: number;
}

const TOPIC = selectList(snsTopics);
const SUBSCRIPTION = selectList(snsSubscriptions);
const T = snsTopics;
const S = snsSubscriptions;

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

function toTopic({ policyGeneration, ...r }: RawTopic): TopicRow {
  const row: TopicRow = { ...r, attributes: stringMap(r.attributes), tags: stringMap(r.tags) };
  if (typeof policyGeneration === "number") row.policyGeneration = policyGeneration;
  return row;
}
const toSubscription = (r: RawSubscription): SubscriptionRow => ({ ...r, pending: r.pending === 1, attributes: stringMap(r.attributes) });

const topicIs = (k: TopicKey) => sql`${T.accountId} = ${k.accountId} AND ${T.region} = ${k.region} AND ${T.name} = ${k.name}`;
const subsOf = (k: TopicKey) => sql`${S.accountId} = ${k.accountId} AND ${S.region} = ${k.region} AND ${S.topic} = ${k.name}`;

export async function getTopic(db: Db, k: TopicKey): Promise<TopicRow | undefined> {
  const r = await first<RawTopic>(db, sql`SELECT ${TOPIC} FROM ${T} WHERE ${topicIs(k)}`);
  return r && toTopic(r);
}

/** The account's topics of a region in name order, from after `after`, at most `limit`. */
export async function listTopics(db: Db, accountId: string, region: string, after: string | undefined, limit: number): Promise<TopicRow[]> {
  const rows = await all<RawTopic>(
    db,
    sql`SELECT ${TOPIC} FROM ${T} WHERE ${T.accountId} = ${accountId} AND ${T.region} = ${region}
        ${after !== undefined ? sql`AND ${T.name} > ${after}` : sql``} ORDER BY ${T.name} LIMIT ${limit}`,
  );
  return rows.map(toTopic);
}

export type CreateTopicOutcome = { ok: true } | { ok: false; existing: TopicRow };

/** Inserts the topic; when one of that name exists (or a concurrent create won), answers it. */
export async function insertTopic(db: Db, t: TopicRow): Promise<CreateTopicOutcome> {
  try {
    await statement(
      db,
      sql`INSERT INTO ${T} (${bare(T.accountId)}, ${bare(T.region)}, ${bare(T.name)}, ${bare(T.createdAt)}, ${bare(T.attributes)},
          ${bare(T.policy)}, ${bare(T.tags)})
          VALUES (${t.accountId}, ${t.region}, ${t.name}, ${t.createdAt}, ${JSON.stringify(t.attributes)}, ${t.policy}, ${JSON.stringify(t.tags)})`,
    ).run();
    return { ok: true };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const existing = await getTopic(db, t);
    if (!existing) throw e;
    return { ok: false, existing };
  }
}

/** Replaces the topic's attributes but Policy (a data-plane write, in force at once); false when the topic is gone. */
export async function updateTopicAttributes(db: Db, t: Pick<TopicRow, keyof TopicKey | "attributes">): Promise<boolean> {
  const r = await statement(db, sql`UPDATE ${T} SET ${bare(T.attributes)} = ${JSON.stringify(t.attributes)} WHERE ${topicIs(t)}`).run();
  return r.meta.changes > 0;
}

/**
 * Replaces the topic policy through the write batch of a `permissions` action (the account's
 * generation moves with it). `lagging`: the owner account's eventual consistency is on, so the row
 * records the generation this change creates for the data plane to wait for; otherwise the policy
 * is in force at once. False when the topic is gone.
 */
export async function updateTopicPolicy(w: Write, t: Pick<TopicRow, keyof TopicKey | "policy">, lagging: boolean): Promise<boolean> {
  const a = accounts;
  const generation = lagging ? sql`(SELECT ${a.generation} + 1 FROM ${a} WHERE ${a.id} = ${t.accountId})` : sql`NULL`;
  const [r] = await writeBatch<{ name: string }>(w, [
    statement(
      w.db,
      sql`UPDATE ${T} SET ${bare(T.policy)} = ${t.policy}, ${bare(T.policyGeneration)} = ${generation}
          WHERE ${topicIs(t)} RETURNING ${bare(T.name)}`,
    ),
  ]);
  return (r?.results.length ?? 0) > 0;
}

/** The policies of an account's topics by topic ARN (eventual consistency's snapshots keep them). */
export async function topicPoliciesOf(db: Db, accountId: string): Promise<Map<string, string>> {
  const rs = await all<{ region: string; name: string; policy: string }>(
    db,
    sql`SELECT ${T.region} AS ${sql.identifier("region")}, ${T.name} AS ${sql.identifier("name")}, ${T.policy} AS ${sql.identifier("policy")}
      FROM ${T} WHERE ${T.accountId} = ${accountId}`,
  );
  return new Map(rs.map((r) => [`arn:aws:sns:${r.region}:${accountId}:${r.name}`, r.policy]));
}

export async function updateTopicTags(db: Db, k: TopicKey, tags: Record<string, string>): Promise<boolean> {
  const r = await statement(db, sql`UPDATE ${T} SET ${bare(T.tags)} = ${JSON.stringify(tags)} WHERE ${topicIs(k)}`).run();
  return r.meta.changes > 0;
}

/** Deletes the topic and its subscriptions in one batch. */
export async function deleteTopic(db: Db, k: TopicKey): Promise<void> {
  await db.$client.batch([
    statement(db, sql`DELETE FROM ${S} WHERE ${subsOf(k)}`),
    statement(db, sql`DELETE FROM ${T} WHERE ${topicIs(k)}`),
  ]);
}

export async function getSubscription(db: Db, k: TopicKey, subscriptionId: string): Promise<SubscriptionRow | undefined> {
  const r = await first<RawSubscription>(
    db,
    sql`SELECT ${SUBSCRIPTION} FROM ${S} WHERE ${subsOf(k)} AND ${S.subscriptionId} = ${subscriptionId}`,
  );
  return r && toSubscription(r);
}

export type SubscribeOutcome = { ok: true } | { ok: false; existing: SubscriptionRow };

/** Inserts the subscription; the same protocol and endpoint on the topic again answers the existing one. */
export async function insertSubscription(db: Db, s: SubscriptionRow): Promise<SubscribeOutcome> {
  try {
    await statement(
      db,
      sql`INSERT INTO ${S} (${bare(S.accountId)}, ${bare(S.region)}, ${bare(S.topic)}, ${bare(S.subscriptionId)}, ${bare(S.owner)},
          ${bare(S.principal)}, ${bare(S.protocol)}, ${bare(S.endpoint)}, ${bare(S.pending)}, ${bare(S.token)}, ${bare(S.attributes)},
          ${bare(S.createdAt)})
          VALUES (${s.accountId}, ${s.region}, ${s.topic}, ${s.subscriptionId}, ${s.owner}, ${s.principal}, ${s.protocol}, ${s.endpoint},
          ${s.pending ? 1 : 0}, ${s.token}, ${JSON.stringify(s.attributes)}, ${s.createdAt})`,
    ).run();
    return { ok: true };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const existing = await first<RawSubscription>(
      db,
      sql`SELECT ${SUBSCRIPTION} FROM ${S} WHERE ${subsOf({ accountId: s.accountId, region: s.region, name: s.topic })}
          AND ${S.protocol} = ${s.protocol} AND ${S.endpoint} = ${s.endpoint}`,
    );
    if (!existing) throw e;
    return { ok: false, existing: toSubscription(existing) };
  }
}

export async function updateSubscriptionAttributes(db: Db, s: SubscriptionRow, attributes: Record<string, string>): Promise<boolean> {
  const r = await statement(
    db,
    sql`UPDATE ${S} SET ${bare(S.attributes)} = ${JSON.stringify(attributes)}
        WHERE ${subsOf({ accountId: s.accountId, region: s.region, name: s.topic })} AND ${S.subscriptionId} = ${s.subscriptionId}`,
  ).run();
  return r.meta.changes > 0;
}

/** Confirms the topic's pending subscription holding `token`; the subscription, or undefined when no such token. */
export async function confirmSubscription(db: Db, k: TopicKey, token: string): Promise<SubscriptionRow | undefined> {
  const r = await first<RawSubscription>(db, sql`SELECT ${SUBSCRIPTION} FROM ${S} WHERE ${subsOf(k)} AND ${S.token} = ${token}`);
  if (!r) return undefined;
  if (r.pending === 1)
    await statement(db, sql`UPDATE ${S} SET ${bare(S.pending)} = 0 WHERE ${subsOf(k)} AND ${S.subscriptionId} = ${r.subscriptionId}`).run();
  return { ...toSubscription(r), pending: false };
}

export async function deleteSubscription(db: Db, s: SubscriptionRow): Promise<boolean> {
  const r = await statement(
    db,
    sql`DELETE FROM ${S} WHERE ${subsOf({ accountId: s.accountId, region: s.region, name: s.topic })} AND ${S.subscriptionId} = ${s.subscriptionId}`,
  ).run();
  return r.meta.changes > 0;
}

/** The topic's subscriptions by id, from after `after`, at most `limit` (`confirmedOnly`: the ones Publish delivers to). */
export async function listTopicSubscriptions(
  db: Db,
  k: TopicKey,
  after: string | undefined,
  limit: number,
  confirmedOnly = false,
): Promise<SubscriptionRow[]> {
  const rows = await all<RawSubscription>(
    db,
    sql`SELECT ${SUBSCRIPTION} FROM ${S} WHERE ${subsOf(k)}
        ${confirmedOnly ? sql`AND ${S.pending} = 0` : sql``}
        ${after !== undefined ? sql`AND ${S.subscriptionId} > ${after}` : sql``}
        ORDER BY ${S.subscriptionId} LIMIT ${limit}`,
  );
  return rows.map(toSubscription);
}

/** The subscriptions an account made in a region (ListSubscriptions), by id, from after `after`, at most `limit`. */
export async function listOwnSubscriptions(
  db: Db,
  owner: string,
  region: string,
  after: string | undefined,
  limit: number,
): Promise<SubscriptionRow[]> {
  const rows = await all<RawSubscription>(
    db,
    sql`SELECT ${SUBSCRIPTION} FROM ${S} WHERE ${S.owner} = ${owner} AND ${S.region} = ${region}
        ${after !== undefined ? sql`AND ${S.subscriptionId} > ${after}` : sql``}
        ORDER BY ${S.subscriptionId} LIMIT ${limit}`,
  );
  return rows.map(toSubscription);
}

/** How many of the topic's subscriptions are confirmed and pending (GetTopicAttributes). */
export async function subscriptionCounts(db: Db, k: TopicKey): Promise<{ confirmed: number; pending: number }> {
  const r = await first<{ confirmed: number | null; pending: number | null }>(
    db,
    sql`SELECT SUM(CASE WHEN ${S.pending} = 0 THEN 1 ELSE 0 END) AS "confirmed", SUM(${S.pending}) AS "pending" FROM ${S} WHERE ${subsOf(k)}`,
  );
  return { confirmed: r?.confirmed ?? 0, pending: r?.pending ?? 0 };
}
