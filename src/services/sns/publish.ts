/**
 * Publish and PublishBatch: SNS's checks on a message (subject, MessageStructure, message
 * attributes, 256 KB with its attributes, FIFO group and deduplication ids), then delivery to the
 * topic's confirmed subscriptions (./delivery.ts) before answering, so a learner's next
 * ReceiveMessage finds the message. PublishBatch is authorized once as sns:Publish, as AWS does,
 * and answers per entry. A publish to a PhoneNumber is accepted and goes nowhere (no SMS in iamlab).
 */
import { AwsError } from "../../protocol/errors";
import { defineAction, type ActionContext, type AuthzTarget, type RegisteredAction } from "../action";
import { listTopicSubscriptions, type TopicRow } from "../../store/sns";
import type { MessageAttributeValue } from "../sqs/md5";
import { isFifoTopic, loadByTopicArn, loadTopic, snsErr, topicTarget } from "./common";

import { deliver, type DeliveryReport, type Notification } from "./delivery";

/** SNS: a message and its attributes up to 256 KB (262,144 bytes). */
const MAX_MESSAGE_BYTES = 262144;
/** How many subscriptions one publish delivers to (iamlab allows 100 per topic: ./subscriptions.ts). */
const MAX_FANOUT = 100;

const utf8 = new TextEncoder();

interface PublishEntry {
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

interface PublishInput extends PublishEntry {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..{1,256})?$/;
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;

/** The message attributes checked (at most 10; names, types, values); their size in bytes. Wordings unconfirmed. */
function checkAttributes(attrs: Readonly<Record<string, MessageAttributeValue>>): number {
  const names = Object.keys(attrs);
  if (names.length > 10)
    throw snsErr.invalidParameter("MessageAttributes Reason: Number of message attributes exceeds the allowed maximum [10]");
  let size = 0;
  for (const name of names) {
    const a = attrs[name];
    // A name without a Value (the Query form allows sending one).
    if (!a?.DataType) throw snsErr.invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    if (!ATTRIBUTE_NAME.test(name) || /^(aws\.|amazon\.)/i.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes(".."))
      throw snsErr.invalidParameterValue(`The message attribute name '${name}' is invalid.`);
    if (!DATA_TYPE.test(a.DataType ?? ""))
      throw snsErr.invalidParameterValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    const binary = a.DataType.startsWith("Binary");
    if (binary ? !a.BinaryValue?.length : !a.StringValue)
      throw snsErr.invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${a.DataType}'.`,
      );
    if (a.DataType.startsWith("Number") && !Number.isFinite(Number(a.StringValue)))
      throw snsErr.invalidParameterValue(`The message attribute '${name}' with type 'Number' must have a numeric value.`);
    size +=
      utf8.encode(name).length + utf8.encode(a.DataType).length + (binary ? a.BinaryValue!.length : utf8.encode(a.StringValue!).length);
  }
  return size;
}

async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

let sequence = 0;
/** A FIFO topic's sequence number: 20 digits, increasing (time, then a counter). */
function sequenceNumber(now: number): string {
  sequence = (sequence + 1) % 1000;
  return String(10n ** 19n + BigInt(now) * 1000n + BigInt(sequence));
}

type Prepared = Omit<Notification, "messageId" | "topic" | "sequenceNumber">;

/** One message checked as SNS checks it, ready for delivery; InvalidParameter otherwise. */
async function prepare(t: TopicRow | undefined, e: PublishEntry): Promise<Prepared> {
  if (e.Subject !== undefined && (e.Subject === "" || e.Subject.length > 100 || /[\u0000-\u001f]/.test(e.Subject)))
    throw snsErr.invalidParameter("Subject");
  const text = e.Message ?? "";
  if (text === "") throw snsErr.invalidParameter("Empty message");
  let message: Prepared["message"] = text;
  if (e.MessageStructure !== undefined) {
    if (e.MessageStructure !== "json") throw snsErr.invalidParameter("MessageStructure");
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw snsErr.invalidParameter("Message Structure - JSON message body failed to parse");
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw snsErr.invalidParameter("Message Structure - JSON message body failed to parse");
    const byProtocol: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === "string") byProtocol[k] = x;
    if (byProtocol.default === undefined) throw snsErr.invalidParameter("Message Structure - No default entry in JSON message body");
    message = byProtocol;
  }
  const attributes = e.MessageAttributes ?? {};
  const size = utf8.encode(text).length + utf8.encode(e.Subject ?? "").length + checkAttributes(attributes);
  if (size > MAX_MESSAGE_BYTES) throw snsErr.invalidParameter("Message too long");
  const out: Prepared = { message, attributes };
  if (e.Subject !== undefined) out.subject = e.Subject;
  if (t && isFifoTopic(t)) {
    if (e.MessageGroupId === undefined) throw snsErr.invalidParameter("The MessageGroupId parameter is required for FIFO topics");
    if (!FIFO_ID.test(e.MessageGroupId)) throw snsErr.invalidParameter("MessageGroupId");
    if (e.MessageDeduplicationId !== undefined && !FIFO_ID.test(e.MessageDeduplicationId))
      throw snsErr.invalidParameter("MessageDeduplicationId");
    const dedup = e.MessageDeduplicationId ?? (t.attributes.ContentBasedDeduplication === "true" ? await sha256Hex(text) : undefined);
    if (dedup === undefined)
      throw snsErr.invalidParameter(
        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
    out.groupId = e.MessageGroupId;
    out.dedupId = dedup;
  } else if (e.MessageDeduplicationId !== undefined)
    throw snsErr.invalidParameter(
      "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
    );
  return out;
}

/** Delivers one prepared message; the decision ids of denied deliveries. */
async function publishOne(
  ctx: ActionContext,
  t: TopicRow,
  p: Prepared,
): Promise<{ messageId: string; sequenceNumber?: string; reports: DeliveryReport[] }> {
  const n: Notification = { ...p, messageId: crypto.randomUUID(), topic: t };
  if (isFifoTopic(t)) n.sequenceNumber = sequenceNumber(ctx.request.now);
  const subs = await listTopicSubscriptions(ctx.db, t, undefined, MAX_FANOUT, true);
  const reports = subs.length ? await deliver(ctx, n, subs) : [];
  return { messageId: n.messageId, ...(n.sequenceNumber ? { sequenceNumber: n.sequenceNumber } : {}), reports };
}

/** iamlab's header naming the decisions of deliveries the queue policies refused (the publisher sees only their ids). */
function noteDenials(ctx: ActionContext, reports: readonly DeliveryReport[]): void {
  const ids = reports.flatMap((r) => (r.decisionId ? [r.decisionId] : []));
  if (ids.length) ctx.responseHeaders = { ...ctx.responseHeaders, "x-iamlab-delivery-denied": ids.join(",") };
}

type Loaded = TopicRow | undefined;

export const Publish = defineAction({
  service: "sns",
  name: "Publish",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext): Promise<Loaded> => {
    const input = i as PublishInput;
    const arn = input.TopicArn ?? input.TargetArn;
    if (arn === undefined) {
      if (input.PhoneNumber === undefined) throw snsErr.invalidParameter("TopicArn or TargetArn Reason: no value for required parameter");
      if (!/^\+?[1-9]\d{1,14}$/.test(input.PhoneNumber))
        throw snsErr.invalidParameter(`PhoneNumber Reason: ${input.PhoneNumber} is not valid to publish to`);
      return undefined;
    }
    return loadTopic(ctx, arn, input.TopicArn !== undefined ? "TopicArn" : "TargetArn");
  },
  target: (_i, _ctx, t: Loaded): AuthzTarget => (t ? topicTarget(t) : { resource: "*", deniedMessage: "sns" }),
  handler: async (i, ctx, t: Loaded) => {
    const p = await prepare(t, i as PublishInput);
    if (!t) return { MessageId: crypto.randomUUID() };
    const r = await publishOne(ctx, t, p);
    noteDenials(ctx, r.reports);
    return { MessageId: r.messageId, ...(r.sequenceNumber ? { SequenceNumber: r.sequenceNumber } : {}) };
  },
});

const batchError = (code: string, message: string) => new AwsError(code, message, 400);

export const PublishBatch = defineAction({
  service: "sns",
  name: "PublishBatch",
  permission: "sns:Publish",
  effect: "none",
  input: {},
  load: loadByTopicArn,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: async (i, ctx, t: TopicRow) => {
    const entries = (i as { PublishBatchRequestEntries?: (PublishEntry & { Id?: string })[] }).PublishBatchRequestEntries ?? [];
    // The batch rules, in the words of SNS's API reference (the exact messages are unconfirmed).
    if (!entries.length) throw batchError("EmptyBatchRequest", "The batch request doesn't contain any entries.");
    if (entries.length > 10) throw batchError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.");
    const ids = new Set<string>();
    for (const e of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(e.Id ?? ""))
        throw batchError("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.");
      if (ids.has(e.Id!)) throw batchError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.");
      ids.add(e.Id!);
    }
    const total = entries.reduce((n, e) => n + utf8.encode(e.Message ?? "").length, 0);
    if (total > MAX_MESSAGE_BYTES)
      throw batchError("BatchRequestTooLong", "The length of all the messages put together is more than the limit.");
    const successful: { Id: string; MessageId: string; SequenceNumber?: string }[] = [];
    const failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    const reports: DeliveryReport[] = [];
    for (const e of entries) {
      let p: Prepared;
      try {
        p = await prepare(t, e);
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        failed.push({ Id: e.Id!, Code: err.code, Message: err.message, SenderFault: true });
        continue;
      }
      const r = await publishOne(ctx, t, p);
      reports.push(...r.reports);
      successful.push({ Id: e.Id!, MessageId: r.messageId, ...(r.sequenceNumber ? { SequenceNumber: r.sequenceNumber } : {}) });
    }
    noteDenials(ctx, reports);
    return { Successful: successful, Failed: failed };
  },
});

export const publishActions: RegisteredAction[] = [Publish, PublishBatch];
