/**
 * SQS messages: SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch).
 * The Worker checks the request (./message-rules.ts), computes the digests SDKs verify (./md5.ts)
 * and makes one call to the queue's Durable Object (./queue-do.ts), which keeps the messages.
 * Batch calls are authorized once as the single action (sqs:SendMessage …), as AWS does, and answer
 * per entry: a bad entry fails alone (Failed), the others go through.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import { fromBase64, toBase64 } from "../../lib/encoding";
import type { QueueRow } from "../../store/sqs-queues";
import { sqsErr } from "./attributes";
import { findQueue, intAttribute, isFifo, loadQueue, onQueue, queueTarget, settings } from "./common";
import { md5Hex, messageAttributesDigestInput, type MessageAttributeValue } from "./md5";
import {
  checkBody,
  checkDelay,
  checkFifoParameters,
  checkMessageAttributes,
  checkReceive,
  checkSize,
  checkVisibility,
} from "./message-rules";
import type { NewMessage, ReceivedMessage, ReceiveOptions } from "./queue-do";
import { redriveOf } from "./redrive";

type Attrs = Record<string, MessageAttributeValue>;

interface SendEntry {
  MessageBody?: string;
  DelaySeconds?: number;
  MessageAttributes?: Attrs;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

const loadByUrl = (i: object, ctx: ActionContext): Promise<QueueRow> => loadQueue(ctx, (i as { QueueUrl?: string }).QueueUrl);

/** SenderId as SQS reports it: the account id for root, the user id or `AROA…:session` otherwise. */
function senderId(ctx: ActionContext): string {
  const p = ctx.caller.principal;
  return p.kind === "root" ? p.account : p.userId;
}

async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Attributes as the Durable Object stores them (binary values base64). */
function storedAttributes(attrs: Attrs): string {
  const out: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
  for (const [k, a] of Object.entries(attrs)) {
    out[k] = { DataType: a.DataType };
    if (a.BinaryValue !== undefined) out[k].BinaryValue = toBase64(a.BinaryValue);
    else if (a.StringValue !== undefined) out[k].StringValue = a.StringValue;
  }
  return JSON.stringify(out);
}

function readAttributes(json: string): Attrs {
  const raw = JSON.parse(json) as Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  const out: Attrs = {};
  for (const [k, a] of Object.entries(raw)) {
    const v: MessageAttributeValue = { DataType: a.DataType };
    if (a.BinaryValue !== undefined) v.BinaryValue = fromBase64(a.BinaryValue) ?? new Uint8Array();
    else if (a.StringValue !== undefined) v.StringValue = a.StringValue;
    out[k] = v;
  }
  return out;
}

/** One entry checked and made ready for the queue, or SQS's error for it. */
async function prepare(ctx: ActionContext, q: QueueRow, e: SendEntry): Promise<NewMessage> {
  const body = checkBody(e.MessageBody);
  const attrs = e.MessageAttributes ?? {};
  const attrSize = checkMessageAttributes(attrs);
  checkSize(body, attrSize, intAttribute(q, "MaximumMessageSize"));
  const fifo = isFifo(q);
  const delay = checkDelay(e.DelaySeconds, fifo) ?? intAttribute(q, "DelaySeconds");
  checkFifoParameters(fifo, q.attributes.ContentBasedDeduplication === "true", e.MessageGroupId, e.MessageDeduplicationId);
  const m: NewMessage = {
    messageId: crypto.randomUUID(),
    body,
    attributes: storedAttributes(attrs),
    md5Body: await md5Hex(body),
    delayMs: delay * 1000,
    senderId: senderId(ctx),
  };
  if (Object.keys(attrs).length) m.md5Attributes = await md5Hex(messageAttributesDigestInput(attrs));
  if (e.MessageGroupId !== undefined) m.groupId = e.MessageGroupId;
  if (fifo) m.dedupId = e.MessageDeduplicationId ?? (await sha256Hex(body));
  return m;
}

export const SendMessage = defineAction({
  service: "sqs",
  name: "SendMessage",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const m = await prepare(ctx, q, i as SendEntry);
    const [sent] = await onQueue(ctx, q, (stub) => stub.send([m], ctx.request.now));
    const out: Record<string, string> = { MessageId: sent!.messageId, MD5OfMessageBody: m.md5Body };
    if (m.md5Attributes) out.MD5OfMessageAttributes = m.md5Attributes;
    if (sent!.sequenceNumber) out.SequenceNumber = sent!.sequenceNumber;
    return out;
  },
});

type BatchFailure = {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
};

const failure = (id: string, e: unknown): BatchFailure => {
  if (!(e instanceof AwsError)) throw e;
  return { Id: id, SenderFault: true, Code: e.code, Message: e.message };
};

/** The batch rules every *Batch call shares: 1–10 entries, distinct ids of letters, digits, `-`, `_` (up to 80). */
function checkBatch(entries: readonly { Id?: string }[] | undefined, what: string): { Id: string }[] {
  if (!entries?.length) throw new AwsError("EmptyBatchRequest", `There should be at least one ${what} in the request.`, 400);
  if (entries.length > 10)
    throw new AwsError(
      "TooManyEntriesInBatchRequest",
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      400,
    );
  const seen = new Set<string>();
  for (const e of entries) {
    const id = e.Id ?? "";
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id))
      throw new AwsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
        400,
      );
    if (seen.has(id)) throw new AwsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`, 400);
    seen.add(id);
  }
  return entries as { Id: string }[];
}

export const SendMessageBatch = defineAction({
  service: "sqs",
  name: "SendMessageBatch",
  permission: "sqs:SendMessage",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const entries = checkBatch(
      (i as { Entries?: (SendEntry & { Id?: string })[] }).Entries,
      "SendMessageBatchRequestEntry",
    ) as (SendEntry & {
      Id: string;
    })[];
    // SQS: the batch's total payload within the queue's maximum message size.
    const total = entries.reduce((n, e) => n + new TextEncoder().encode(e.MessageBody ?? "").length, 0);
    const max = intAttribute(q, "MaximumMessageSize");
    if (total > max)
      throw new AwsError("BatchRequestTooLong", `Batch requests cannot be longer than ${max} bytes. You have sent ${total} bytes.`, 400);
    const ready: { id: string; m: NewMessage }[] = [];
    const failed: BatchFailure[] = [];
    for (const e of entries) {
      try {
        ready.push({ id: e.Id, m: await prepare(ctx, q, e) });
      } catch (err) {
        failed.push(failure(e.Id, err));
      }
    }
    const sent = ready.length
      ? await onQueue(ctx, q, (stub) =>
          stub.send(
            ready.map((r) => r.m),
            ctx.request.now,
          ),
        )
      : [];
    const successful = ready.map((r, k) => {
      const out: Record<string, string> = { Id: r.id, MessageId: sent[k]!.messageId, MD5OfMessageBody: r.m.md5Body };
      if (r.m.md5Attributes) out.MD5OfMessageAttributes = r.m.md5Attributes;
      if (sent[k]!.sequenceNumber) out.SequenceNumber = sent[k]!.sequenceNumber!;
      return out;
    });
    return { Successful: successful, Failed: failed };
  },
});

/**
 * The queue's dead-letter queue, when its RedrivePolicy names one that exists — in the queue's own
 * account and region, as SQS requires (a policy naming anything else moves nothing).
 */
async function deadLetterQueue(ctx: ActionContext, q: QueueRow): Promise<ReceiveOptions["redrive"]> {
  const r = redriveOf(q.attributes);
  if (!r || r.target.account !== q.accountId || r.target.region !== q.region || r.target.name === q.name) return undefined;
  const dlq = await findQueue(ctx, r.target.account, r.target.name);
  return dlq && dlq.region === r.target.region ? { maxReceiveCount: r.maxReceiveCount, deadLetterQueueId: dlq.queueId } : undefined;
}

/** The system attributes a receive asked for (`All` or names), as SQS names them. */
function systemAttributes(m: ReceivedMessage, names: readonly string[]): Record<string, string> | undefined {
  const all = names.includes("All");
  const want = (n: string): boolean => all || names.includes(n);
  const out: Record<string, string> = {};
  if (want("SenderId")) out.SenderId = m.senderId;
  if (want("SentTimestamp")) out.SentTimestamp = String(m.sentAt);
  if (want("ApproximateReceiveCount")) out.ApproximateReceiveCount = String(m.receiveCount);
  if (want("ApproximateFirstReceiveTimestamp")) out.ApproximateFirstReceiveTimestamp = String(m.firstReceiveAt);
  if (m.groupId !== undefined && want("MessageGroupId")) out.MessageGroupId = m.groupId;
  if (m.dedupId !== undefined && want("MessageDeduplicationId")) out.MessageDeduplicationId = m.dedupId;
  if (m.sequenceNumber !== undefined && want("SequenceNumber")) out.SequenceNumber = m.sequenceNumber;
  return Object.keys(out).length ? out : undefined;
}

/** The message attributes a receive asked for: `All`, `.*`, names, or `prefix.*`. */
function selectAttributes(attrs: Attrs, names: readonly string[]): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) {
    const hit = names.some((n) => n === "All" || n === ".*" || n === k || (n.endsWith(".*") && k.startsWith(n.slice(0, -1))));
    if (hit) out[k] = v;
  }
  return out;
}

export const ReceiveMessage = defineAction({
  service: "sqs",
  name: "ReceiveMessage",
  // AWS's access level is Read; it changes no IAM state (model-protocol answers are never cached).
  effect: "read",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const input = i as {
      MaxNumberOfMessages?: number;
      VisibilityTimeout?: number;
      WaitTimeSeconds?: number;
      AttributeNames?: string[];
      MessageSystemAttributeNames?: string[];
      MessageAttributeNames?: string[];
    };
    checkReceive(input.MaxNumberOfMessages, input.WaitTimeSeconds, input.VisibilityTimeout);
    const options: ReceiveOptions = {
      ...settings(q),
      max: input.MaxNumberOfMessages ?? 1,
      visibilityMs: (input.VisibilityTimeout ?? intAttribute(q, "VisibilityTimeout")) * 1000,
      waitMs: (input.WaitTimeSeconds ?? intAttribute(q, "ReceiveMessageWaitTimeSeconds")) * 1000,
      now: ctx.request.now,
    };
    const redrive = await deadLetterQueue(ctx, q);
    if (redrive) options.redrive = redrive;
    const got = await onQueue(ctx, q, (stub) => stub.receive(options));
    if (!got.length) return {};
    const sysNames = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
    const attrNames = input.MessageAttributeNames ?? [];
    const messages = await Promise.all(
      got.map(async (m) => {
        const out: Record<string, XmlValue> = {
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5Body,
          Body: m.body,
        };
        const sys = systemAttributes(m, sysNames);
        if (sys) out.Attributes = sys;
        const attrs = selectAttributes(readAttributes(m.attributes), attrNames);
        // The digest of the attributes returned (all of them: the digest stored at send).
        if (Object.keys(attrs).length) {
          out.MessageAttributes = attrs;
          out.MD5OfMessageAttributes = await md5Hex(messageAttributesDigestInput(attrs));
        }
        return out;
      }),
    );
    return { Messages: messages };
  },
});

/** SQS's answer to a receipt handle it cannot read (AWS: ReceiptHandleIsInvalid). */
const invalidReceipt = (h: string): AwsError =>
  new AwsError("ReceiptHandleIsInvalid", `The input receipt handle "${h}" is not a valid receipt handle.`, 404);

export const DeleteMessage = defineAction({
  service: "sqs",
  name: "DeleteMessage",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const h = (i as { ReceiptHandle?: string }).ReceiptHandle;
    if (!h) throw sqsErr.missingParameter("ReceiptHandle");
    if ((await onQueue(ctx, q, (stub) => stub.remove(h))) === "invalid") throw invalidReceipt(h);
    return {};
  },
});

export const DeleteMessageBatch = defineAction({
  service: "sqs",
  name: "DeleteMessageBatch",
  permission: "sqs:DeleteMessage",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const entries = checkBatch(
      (i as { Entries?: { Id?: string; ReceiptHandle?: string }[] }).Entries,
      "DeleteMessageBatchRequestEntry",
    ) as {
      Id: string;
      ReceiptHandle?: string;
    }[];
    const successful: { Id: string }[] = [];
    const failed: BatchFailure[] = [];
    for (const e of entries) {
      const h = e.ReceiptHandle ?? "";
      if ((await onQueue(ctx, q, (stub) => stub.remove(h))) === "invalid") failed.push(failure(e.Id, invalidReceipt(h)));
      else successful.push({ Id: e.Id });
    }
    return { Successful: successful, Failed: failed };
  },
});

async function changeVisibility(ctx: ActionContext, q: QueueRow, h: string | undefined, timeout: number | undefined): Promise<void> {
  if (!h) throw sqsErr.missingParameter("ReceiptHandle");
  if (timeout === undefined) throw sqsErr.missingParameter("VisibilityTimeout");
  checkVisibility(timeout);
  const r = await onQueue(ctx, q, (stub) => stub.changeVisibility(h, timeout * 1000, ctx.request.now));
  if (r === "invalid") throw invalidReceipt(h);
  if (r === "gone")
    throw sqsErr.invalidParameter("ReceiptHandle", h, "Message does not exist or is not available for visibility timeout change.");
  if (r === "notInflight") throw new AwsError("MessageNotInflight", "The message referred to isn't in flight.", 400);
}

export const ChangeMessageVisibility = defineAction({
  service: "sqs",
  name: "ChangeMessageVisibility",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const input = i as { ReceiptHandle?: string; VisibilityTimeout?: number };
    await changeVisibility(ctx, q, input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  },
});

export const ChangeMessageVisibilityBatch = defineAction({
  service: "sqs",
  name: "ChangeMessageVisibilityBatch",
  permission: "sqs:ChangeMessageVisibility",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const entries = checkBatch(
      (i as { Entries?: { Id?: string; ReceiptHandle?: string; VisibilityTimeout?: number }[] }).Entries,
      "ChangeMessageVisibilityBatchRequestEntry",
    ) as { Id: string; ReceiptHandle?: string; VisibilityTimeout?: number }[];
    const successful: { Id: string }[] = [];
    const failed: BatchFailure[] = [];
    for (const e of entries) {
      try {
        await changeVisibility(ctx, q, e.ReceiptHandle, e.VisibilityTimeout);
        successful.push({ Id: e.Id });
      } catch (err) {
        failed.push(failure(e.Id, err));
      }
    }
    return { Successful: successful, Failed: failed };
  },
});

export const messageActions: RegisteredAction[] = [
  SendMessage,
  SendMessageBatch,
  ReceiveMessage,
  DeleteMessage,
  DeleteMessageBatch,
  ChangeMessageVisibility,
  ChangeMessageVisibilityBatch,
];
