/**
 * Messages that AWS services put into a queue on their own (SNS's deliveries): find the queue an
 * ARN names and send one message through the queue's Durable Object — the same send path as
 * SendMessage, checked by the same rules. Authorization is the caller's business (SNS authorizes
 * the service principal against the queue policy before it calls `deliverToQueue`).
 */
import { durableStub } from "../../lib/durable";
import type { Env } from "../../env";
import type { Db } from "../../store/db";
import { getQueue, type QueueRow } from "../../store/sqs-queues";
import { toBase64 } from "../../lib/encoding";
import { intAttribute, isFifo } from "./common";
import { md5Hex, messageAttributesDigestInput, type MessageAttributeValue } from "./md5";
import { checkMessageAttributes, checkSize } from "./message-rules";
import type { NewMessage } from "./queue-do";

/** The queue an SQS ARN names (`arn:aws:sqs:<region>:<account>:<name>`), if it exists. */
export async function findQueueByArn(db: Db, arn: string): Promise<QueueRow | undefined> {
  const m = /^arn:aws:sqs:[a-z0-9-]+:(\d{12}):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/.exec(arn);
  if (!m) return undefined;
  const q = await getQueue(db, m[1]!, m[2]!);
  // The queue of that name in another region is not this ARN's queue.
  return q && `arn:aws:sqs:${q.region}:${q.accountId}:${q.name}` === arn ? q : undefined;
}

export interface ServiceMessage {
  body: string;
  attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** SenderId as the queue reports it (the service's own principal id) */
  senderId: string;
  groupId?: string;
  dedupId?: string;
}

export type DeliveryOutcome = { sent: true; messageId: string } | { sent: false; reason: string };

/** Sends one message into `q`; a message the queue would refuse (size, attributes, FIFO ids) is not sent. */
export async function deliverToQueue(env: Env, q: QueueRow, m: ServiceMessage, now: number): Promise<DeliveryOutcome> {
  try {
    checkSize(m.body, checkMessageAttributes(m.attributes), intAttribute(q, "MaximumMessageSize"));
  } catch (e) {
    return { sent: false, reason: e instanceof Error ? e.message : String(e) };
  }
  const fifo = isFifo(q);
  if (fifo && (m.groupId === undefined || m.dedupId === undefined))
    return { sent: false, reason: "a FIFO queue needs a message group and deduplication id" };
  const stored: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
  for (const [name, a] of Object.entries(m.attributes))
    stored[name] =
      a.BinaryValue !== undefined
        ? { DataType: a.DataType, BinaryValue: toBase64(a.BinaryValue) }
        : { DataType: a.DataType, StringValue: a.StringValue ?? "" };
  const msg: NewMessage = {
    messageId: crypto.randomUUID(),
    body: m.body,
    attributes: JSON.stringify(stored),
    md5Body: await md5Hex(m.body),
    delayMs: intAttribute(q, "DelaySeconds") * 1000,
    senderId: m.senderId,
  };
  if (Object.keys(m.attributes).length) msg.md5Attributes = await md5Hex(messageAttributesDigestInput(m.attributes));
  if (fifo) {
    msg.groupId = m.groupId!;
    msg.dedupId = m.dedupId!;
  }
  const ns = env.SQS_QUEUES;
  const [sent] = await durableStub(ns, q.queueId, "SQS_QUEUES", q.accountId).send([msg], now);
  return { sent: true, messageId: sent!.messageId };
}
