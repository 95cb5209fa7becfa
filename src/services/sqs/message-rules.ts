/**
 * What SQS checks on a message before it accepts it, pure: the body's characters, the message
 * attributes (names, types, values, at most 10), the total size against the queue's
 * MaximumMessageSize, per-message delays and the FIFO parameters; and the ReceiveMessage ranges.
 * Codes and messages are SQS's as users report them; where a wording is unconfirmed it says so.
 */
import { AwsError } from "../../protocol/errors";
import { sqsErr } from "./attributes";
import type { MessageAttributeValue } from "./md5";

const utf8 = new TextEncoder();

/** SQS: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. */
function invalidChar(s: string): number | undefined {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (!ok) return c;
  }
  return undefined;
}

export function checkBody(body: string | undefined): string {
  if (body === undefined || body === "") throw sqsErr.missingParameter("MessageBody");
  const bad = invalidChar(body);
  if (bad !== undefined)
    throw new AwsError(
      "InvalidMessageContents",
      `Invalid binary character '#x${bad.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
      400,
    );
  return body;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

/** Message attributes as SQS accepts them (at most 10; names, data types and values checked); answers their size in bytes. */
export function checkMessageAttributes(attrs: Readonly<Record<string, MessageAttributeValue>>): number {
  const names = Object.keys(attrs);
  // Wording unconfirmed.
  if (names.length > 10)
    throw sqsErr.invalidParameterValue(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  let size = 0;
  for (const name of names) {
    // The Query form can send a name without a Value (MessageAttribute.1.Name alone): no attribute at all.
    const a: Partial<MessageAttributeValue> = attrs[name] ?? {};
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..") || /^(aws\.|amazon\.)/i.test(name))
      throw sqsErr.invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`); // wording unconfirmed
    const type = a.DataType ?? "";
    if (!DATA_TYPE.test(type) || type.length > 256)
      throw sqsErr.invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    const base = type.split(".")[0];
    if (base === "Binary") {
      if (!a.BinaryValue?.length)
        throw sqsErr.invalidParameterValue(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
        );
      size += a.BinaryValue.length;
    } else {
      const v = a.StringValue;
      if (v === undefined || v === "")
        throw sqsErr.invalidParameterValue(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
        );
      if (base === "Number" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()))
        throw sqsErr.invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      if (invalidChar(v) !== undefined)
        throw sqsErr.invalidParameterValue(`Message (user) attribute '${name}' value contains invalid characters.`); // unconfirmed
      size += utf8.encode(v).length;
    }
    size += utf8.encode(name).length + utf8.encode(type).length;
  }
  return size;
}

/** The body and attributes together within the queue's MaximumMessageSize (AWS's words). */
export function checkSize(body: string, attributesSize: number, maximum: number): void {
  if (utf8.encode(body).length + attributesSize > maximum)
    throw sqsErr.invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${maximum} bytes.`);
}

/** A message's own DelaySeconds: 0–900; FIFO queues take only the queue's delay. */
export function checkDelay(delay: number | undefined, fifo: boolean): number | undefined {
  if (delay === undefined) return undefined;
  if (fifo)
    throw sqsErr.invalidParameter("DelaySeconds", String(delay), "The request include parameter that is not valid for this queue type.");
  if (delay < 0 || delay > 900) throw sqsErr.invalidParameter("DelaySeconds", String(delay), "DelaySeconds must be >= 0 and <= 900.");
  return delay;
}

const FIFO_ID = /^[\x21-\x7e]{1,128}$/;

/** FIFO parameters: a group id always; a deduplication id unless the queue deduplicates by content. */
export function checkFifoParameters(
  fifo: boolean,
  contentBasedDeduplication: boolean,
  groupId: string | undefined,
  dedupId: string | undefined,
): void {
  if (!fifo) {
    if (dedupId !== undefined)
      throw sqsErr.invalidParameter(
        "MessageDeduplicationId",
        dedupId,
        "The request includes a parameter that is not valid for this queue type.",
      );
    return;
  }
  if (groupId === undefined) throw sqsErr.missingParameter("MessageGroupId");
  if (!FIFO_ID.test(groupId))
    throw sqsErr.invalidParameter(
      "MessageGroupId",
      groupId,
      "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
    );
  if (dedupId === undefined) {
    if (!contentBasedDeduplication)
      throw sqsErr.invalidParameterValue(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
  } else if (!FIFO_ID.test(dedupId))
    throw sqsErr.invalidParameter(
      "MessageDeduplicationId",
      dedupId,
      "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
    );
}

/** ReceiveMessage's numbers, in AWS's words. */
export function checkReceive(max: number | undefined, wait: number | undefined, visibility: number | undefined): void {
  if (max !== undefined && (max < 1 || max > 10))
    throw sqsErr.invalidParameter("MaxNumberOfMessages", String(max), "Must be between 1 and 10, if provided.");
  if (wait !== undefined && (wait < 0 || wait > 20))
    throw sqsErr.invalidParameter("WaitTimeSeconds", String(wait), "Must be >= 0 and <= 20, if provided.");
  if (visibility !== undefined && (visibility < 0 || visibility > 43200))
    throw sqsErr.invalidParameter("VisibilityTimeout", String(visibility), "Must be >= 0 and <= 43200, if provided.");
}

/** ChangeMessageVisibility's timeout: 0–43200 (12 hours). */
export function checkVisibility(v: number): void {
  if (v < 0 || v > 43200) throw sqsErr.invalidParameter("VisibilityTimeout", String(v), "Must be >= 0 and <= 43200, if provided.");
}
