/**
 * One SQS queue's messages: one Durable Object per queue incarnation (`idFromName(queueId)`),
 * SQLite storage, so messages survive a Worker restart. It keeps them in send order, hides received
 * ones until their visibility timeout ends, counts receives, deduplicates FIFO sends for 5 minutes
 * and keeps a FIFO message group behind its in-flight message.
 *
 * Times: every call brings the sandbox clock's `now` (tests may move it); visibility, delays and
 * retention compare against it. Long polling: a receive that finds nothing waits on a promise that a
 * send resolves (or a timer for the next message to become visible, or the wait's end) — no busy
 * loop; while it waits the object serves other calls (Durable Objects interleave on awaits).
 * The queue's settings (retention, FIFO) live in D1 and come with each call.
 * A deleted queue keeps a tombstone (table `deleted`): a Worker isolate that still holds the queue's
 * row in its cache (src/services/data-rows.ts: another isolate deleted it, within the cache's TTL)
 * gets QUEUE_DELETED instead of writing into a queue that is gone.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import { QUEUE_DELETED, QUEUE_FULL } from "./tombstone";

/** A message as SendMessage hands it over (digests computed by the Worker). */
export interface NewMessage {
  messageId: string;
  body: string;
  /** JSON of the message attributes, binary values base64 */
  attributes: string;
  md5Body: string;
  md5Attributes?: string;
  delayMs: number;
  senderId: string;
  groupId?: string;
  dedupId?: string;
  /** epoch ms of the original send (a message moved to a dead-letter queue keeps it); default: now */
  sentAt?: number;
}

export interface SentMessage {
  messageId: string;
  sequenceNumber?: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: string;
  md5Body: string;
  md5Attributes?: string;
  senderId: string;
  sentAt: number;
  receiveCount: number;
  firstReceiveAt: number;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
}

export interface QueueSettings {
  retentionMs: number;
  fifo: boolean;
}

export interface ReceiveOptions extends QueueSettings {
  max: number;
  visibilityMs: number;
  waitMs: number;
  now: number;
  /** the queue's RedrivePolicy: messages received this often move to the dead-letter queue's object */
  redrive?: { maxReceiveCount: number; deadLetterQueueId: string };
}

export interface QueueStats {
  visible: number;
  inFlight: number;
  delayed: number;
}

type Row = {
  seq: number;
  message_id: string;
  body: string;
  attrs: string;
  md5_body: string;
  md5_attrs: string | null;
  sender_id: string;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_receive_at: number | null;
  receipt: string | null;
  group_id: string | null;
  dedup_id: string | null;
};

/** FIFO deduplication interval (SQS: 5 minutes). */
const DEDUP_MS = 5 * 60 * 1000;

/** A FIFO sequence number: 20 digits, increasing with the queue's send order. */
const sequenceNumber = (seq: number): string => String(10n ** 19n + BigInt(seq));

export class SqsQueueDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** receives waiting for a message (long polling); a send wakes them all */
  private readonly waiters = new Set<() => void>();
  /** the queue was deleted (its tombstone table exists) */
  private deleted: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.deleted = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deleted'").toArray().length > 0;
    if (!this.deleted) this.createTables();
  }

  private createTables(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      message_id TEXT NOT NULL,
      body TEXT NOT NULL,
      attrs TEXT NOT NULL,
      md5_body TEXT NOT NULL,
      md5_attrs TEXT,
      sender_id TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      visible_at INTEGER NOT NULL,
      receive_count INTEGER NOT NULL DEFAULT 0,
      first_receive_at INTEGER,
      receipt TEXT,
      group_id TEXT,
      dedup_id TEXT)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at)");
    // Retention checks run on every receive: by index, not by scanning every message.
    this.sql.exec("CREATE INDEX IF NOT EXISTS messages_sent ON messages (sent_at)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS dedup (
      dedup_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, seq INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
  }

  /** Appends messages in order; a FIFO send whose deduplication id was seen in the last 5 minutes answers the first one's id. */
  private live(): void {
    if (this.deleted) throw new Error(QUEUE_DELETED);
  }

  async send(messages: NewMessage[], now: number): Promise<SentMessage[]> {
    this.live();
    // hosted (issue 22): a sandbox-wide cap on the messages one queue stores (AWS has none but the
    // in-flight one): counted on send only, so the cost is one COUNT per send.
    const cap = maxQueueMessages(this.env);
    const held = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one().n;
    if (held + messages.length > cap) throw new Error(`${QUEUE_FULL} ${cap}`);
    // Standard queues never deduplicate: no write beyond the messages themselves.
    if (messages.some((m) => m.dedupId !== undefined)) this.sql.exec("DELETE FROM dedup WHERE expires_at <= ?", now);
    const out: SentMessage[] = [];
    for (const m of messages) {
      if (m.dedupId !== undefined) {
        const seen = this.sql
          .exec<{ message_id: string; seq: number }>("SELECT message_id, seq FROM dedup WHERE dedup_id = ?", m.dedupId)
          .toArray()[0];
        if (seen) {
          out.push({ messageId: seen.message_id, sequenceNumber: sequenceNumber(seen.seq) });
          continue;
        }
      }
      const row = this.sql
        .exec<{ seq: number }>(
          `INSERT INTO messages (message_id, body, attrs, md5_body, md5_attrs, sender_id, sent_at, visible_at, group_id, dedup_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
          m.messageId,
          m.body,
          m.attributes,
          m.md5Body,
          m.md5Attributes ?? null,
          m.senderId,
          m.sentAt ?? now,
          now + m.delayMs,
          m.groupId ?? null,
          m.dedupId ?? null,
        )
        .one();
      if (m.dedupId !== undefined) {
        this.sql.exec(
          "INSERT INTO dedup (dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?)",
          m.dedupId,
          m.messageId,
          row.seq,
          now + DEDUP_MS,
        );
        out.push({ messageId: m.messageId, sequenceNumber: sequenceNumber(row.seq) });
      } else out.push({ messageId: m.messageId });
    }
    this.wake();
    return out;
  }

  /** Up to `max` visible messages, hidden for `visibilityMs`; waits up to `waitMs` (wall clock) for one. */
  async receive(o: ReceiveOptions): Promise<ReceivedMessage[]> {
    const start = Date.now();
    for (;;) {
      this.live(); // also after a long poll's wait: the queue may have been deleted meanwhile
      const elapsed = Date.now() - start;
      const now = o.now + elapsed;
      if (o.redrive) await this.redrive(o.redrive, now);
      const got = this.take(o, now);
      const remaining = o.waitMs - elapsed;
      if (got.length || remaining <= 0) return got;
      const next = this.sql.exec<{ t: number | null }>("SELECT min(visible_at) AS t FROM messages WHERE visible_at > ?", now).one().t;
      await this.waitFor(next === null ? remaining : Math.min(remaining, next - now + 1));
    }
  }

  /**
   * Moves the visible messages already received maxReceiveCount times to the dead-letter queue's
   * object (same id, body, attributes and send time). They are hidden first, so a receive that
   * interleaves with the move cannot deliver them; they are deleted here only once the dead-letter
   * queue has them (at least once), and stay (visible again) if it cannot take them.
   */
  private async redrive(r: NonNullable<ReceiveOptions["redrive"]>, now: number): Promise<void> {
    const rows = this.sql
      .exec<Row>("SELECT * FROM messages WHERE visible_at <= ? AND receive_count >= ? ORDER BY seq", now, r.maxReceiveCount)
      .toArray();
    if (!rows.length) return;
    for (const row of rows) this.sql.exec("UPDATE messages SET visible_at = ? WHERE seq = ?", Number.MAX_SAFE_INTEGER, row.seq);
    const moved: NewMessage[] = rows.map((row) => {
      const m: NewMessage = {
        messageId: row.message_id,
        body: row.body,
        attributes: row.attrs,
        md5Body: row.md5_body,
        delayMs: 0,
        senderId: row.sender_id,
        sentAt: row.sent_at,
      };
      if (row.md5_attrs !== null) m.md5Attributes = row.md5_attrs;
      if (row.group_id !== null) m.groupId = row.group_id;
      if (row.dedup_id !== null) m.dedupId = row.dedup_id;
      return m;
    });
    try {
      const ns = this.env.SQS_QUEUES;
      await ns.get(ns.idFromName(r.deadLetterQueueId)).send(moved, now);
      for (const row of rows) this.sql.exec("DELETE FROM messages WHERE seq = ?", row.seq);
    } catch {
      // The dead-letter queue is gone (or failed): the messages stay in this queue, visible again.
      for (const row of rows) this.sql.exec("UPDATE messages SET visible_at = ? WHERE seq = ?", row.visible_at, row.seq);
    }
  }

  private waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private expire(now: number, retentionMs: number): void {
    this.sql.exec("DELETE FROM messages WHERE sent_at <= ?", now - retentionMs);
  }

  private take(o: ReceiveOptions, now: number): ReceivedMessage[] {
    this.expire(now, o.retentionMs);
    // FIFO: a group with a message in flight gives nothing more until that message is deleted or visible again.
    const blocked = new Set<string>();
    if (o.fifo)
      for (const r of this.sql.exec<{ g: string }>(
        "SELECT DISTINCT group_id AS g FROM messages WHERE visible_at > ? AND receive_count > 0 AND group_id IS NOT NULL",
        now,
      ))
        blocked.add(r.g);
    const out: ReceivedMessage[] = [];
    const rows = this.sql.exec<Row>("SELECT * FROM messages WHERE visible_at <= ? ORDER BY seq", now);
    for (const r of rows) {
      if (out.length >= o.max) break;
      if (o.fifo && r.group_id !== null && blocked.has(r.group_id)) continue;
      out.push(this.deliver(r, now, o.visibilityMs));
    }
    return out;
  }

  private deliver(r: Row, now: number, visibilityMs: number): ReceivedMessage {
    const receiptHandle = receiptOf(r.seq);
    const firstReceiveAt = r.first_receive_at ?? now;
    this.sql.exec(
      "UPDATE messages SET receive_count = receive_count + 1, first_receive_at = ?, receipt = ?, visible_at = ? WHERE seq = ?",
      firstReceiveAt,
      receiptHandle,
      now + visibilityMs,
      r.seq,
    );
    const m: ReceivedMessage = {
      messageId: r.message_id,
      receiptHandle,
      body: r.body,
      attributes: r.attrs,
      md5Body: r.md5_body,
      senderId: r.sender_id,
      sentAt: r.sent_at,
      receiveCount: r.receive_count + 1,
      firstReceiveAt,
    };
    if (r.md5_attrs !== null) m.md5Attributes = r.md5_attrs;
    if (r.group_id !== null) {
      m.groupId = r.group_id;
      m.sequenceNumber = sequenceNumber(r.seq);
    }
    if (r.dedup_id !== null) m.dedupId = r.dedup_id;
    return m;
  }

  /**
   * Deletes the message a receipt handle names. `invalid`: not a handle of this queue. A handle of a
   * message already deleted (or received again since) deletes nothing and succeeds, as on AWS.
   */
  async remove(receipt: string): Promise<"ok" | "invalid"> {
    this.live();
    const seq = seqOf(receipt);
    if (seq === undefined) return "invalid";
    this.sql.exec("DELETE FROM messages WHERE seq = ? AND receipt = ?", seq, receipt);
    return "ok";
  }

  /** Changes the visibility timeout of a received message: `gone` when it no longer exists, `notInflight` when it is visible. */
  async changeVisibility(receipt: string, visibilityMs: number, now: number): Promise<"ok" | "invalid" | "gone" | "notInflight"> {
    this.live();
    const seq = seqOf(receipt);
    if (seq === undefined) return "invalid";
    const row = this.sql
      .exec<{ visible_at: number; receipt: string | null }>("SELECT visible_at, receipt FROM messages WHERE seq = ?", seq)
      .toArray()[0];
    if (!row || row.receipt !== receipt) return "gone";
    if (row.visible_at <= now) return "notInflight";
    this.sql.exec("UPDATE messages SET visible_at = ? WHERE seq = ?", now + visibilityMs, seq);
    // A message made visible now may be what a long poll waits for.
    if (visibilityMs === 0) this.wake();
    return "ok";
  }

  async purge(): Promise<void> {
    this.live();
    this.sql.exec("DELETE FROM messages");
  }

  async stats(now: number, retentionMs: number): Promise<QueueStats> {
    this.live();
    this.expire(now, retentionMs);
    const r = this.sql
      .exec<{ visible: number; inFlight: number; delayed: number }>(
        `SELECT coalesce(sum(visible_at <= ?), 0) AS visible,
                coalesce(sum(visible_at > ? AND receive_count > 0), 0) AS inFlight,
                coalesce(sum(visible_at > ? AND receive_count = 0), 0) AS delayed FROM messages`,
        now,
        now,
        now,
      )
      .one();
    return { visible: r.visible, inFlight: r.inFlight, delayed: r.delayed };
  }

  /** The queue is deleted: its messages and deduplication state go with it. */
  async forget(): Promise<void> {
    this.deleted = true;
    this.wake();
    await this.ctx.storage.deleteAll();
    this.sql.exec("CREATE TABLE IF NOT EXISTS deleted (at INTEGER)");
  }
}

/**
 * A receipt handle: the message's position and a random part, base64 — a new one at every receive,
 * so a handle from an earlier receive no longer deletes the message.
 */
function receiptOf(seq: number): string {
  const nonce = [...crypto.getRandomValues(new Uint8Array(24))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return btoa(`iamlab:${seq}:${nonce}`);
}

function seqOf(receipt: string): number | undefined {
  let text: string;
  try {
    text = atob(receipt);
  } catch {
    return undefined;
  }
  const m = /^iamlab:(\d+):[0-9a-f]{48}$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

// --- hosted (issue 22) ---
/** IAMLAB_MAX_QUEUE_MESSAGES: the messages one queue may hold (default 100,000). */
function maxQueueMessages(env: { IAMLAB_MAX_QUEUE_MESSAGES?: string }): number {
  const n = Number(env.IAMLAB_MAX_QUEUE_MESSAGES ?? "");
  return Number.isSafeInteger(n) && n > 0 ? n : 100_000;
}
