/**
 * Dead-letter queues (pure): a queue's RedrivePolicy — `{"deadLetterTargetArn": "<queue ARN>",
 * "maxReceiveCount": 1..1000}` (a number or a string of digits, as SQS takes either). A message
 * received maxReceiveCount times without being deleted is moved to the dead-letter queue on the next
 * receive that would deliver it (AWS: "When the ReceiveCount for a message exceeds the
 * maxReceiveCount for a queue, Amazon SQS moves the message to the dead-letter queue"); the move
 * itself happens in the queue's Durable Object (./queue-do.ts).
 */
import { sqsErr } from "./attributes";

export interface Redrive {
  maxReceiveCount: number;
  target: { region: string; account: string; name: string };
}

const QUEUE_ARN = /^arn:aws:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;

/** The policy's meaning, or why it has none (the reason as SQS words it; wording unconfirmed but for maxReceiveCount). */
function parse(text: string): Redrive | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "Invalid JSON.";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "Invalid JSON.";
  const { deadLetterTargetArn: arn, maxReceiveCount: raw } = v as Record<string, unknown>;
  const count = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    return `Invalid value for maxReceiveCount: ${String(raw)}, valid values are from 1 to 1000 both inclusive.`;
  const m = typeof arn === "string" ? QUEUE_ARN.exec(arn) : null;
  if (!m) return "Invalid value for deadLetterTargetArn.";
  return { maxReceiveCount: count, target: { region: m[1]!, account: m[2]!, name: m[3]! } };
}

/** Checks a RedrivePolicy as SetQueueAttributes / CreateQueue receive it ("" removes it). */
export function checkRedrivePolicy(text: string): void {
  if (text === "") return;
  const r = parse(text);
  if (typeof r === "string") throw sqsErr.invalidParameterValue(`Value ${text} for parameter RedrivePolicy is invalid. Reason: ${r}`);
}

/** The queue's redrive, if its RedrivePolicy is one (a policy stored before it was checked may not be). */
export function redriveOf(attributes: Readonly<Record<string, string>>): Redrive | undefined {
  const text = attributes.RedrivePolicy;
  if (!text) return undefined;
  const r = parse(text);
  return typeof r === "string" ? undefined : r;
}
