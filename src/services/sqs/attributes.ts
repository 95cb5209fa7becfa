/**
 * SQS queue attributes, pure: which names exist, their ranges and defaults (SQS API reference,
 * SetQueueAttributes; MaximumMessageSize up to 1 MiB since August 2025, default still 256 KiB),
 * queue-name rules, and the validation CreateQueue and SetQueueAttributes apply — with SQS's error
 * codes: InvalidAttributeName ("Unknown Attribute X."), InvalidAttributeValue ("Invalid value for the
 * parameter X."), InvalidParameterValue for names.
 */
import { AwsError } from "../../protocol/errors";
import { checkRedrivePolicy } from "./redrive";

interface IntRule {
  min: number;
  max: number;
  default: number;
}

/** The numeric attributes every queue has. */
export const INT_ATTRIBUTES: Readonly<Record<string, IntRule>> = {
  DelaySeconds: { min: 0, max: 900, default: 0 },
  MaximumMessageSize: { min: 1024, max: 1048576, default: 262144 },
  MessageRetentionPeriod: { min: 60, max: 1209600, default: 345600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20, default: 0 },
  VisibilityTimeout: { min: 0, max: 43200, default: 30 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86400, default: 300 },
};

/** Stored as given (JSON documents; RedrivePolicy checked and acted on: ./redrive.ts), plus Policy (validated in ./policy.ts). */
const TEXT_ATTRIBUTES = new Set(["RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"]);
const BOOLEAN_ATTRIBUTES = new Set(["SqsManagedSseEnabled"]);
const FIFO_ONLY: Readonly<Record<string, readonly string[] | "boolean">> = {
  ContentBasedDeduplication: "boolean",
  DeduplicationScope: ["messageGroup", "queue"],
  FifoThroughputLimit: ["perQueue", "perMessageGroupId"],
};

/** What GetQueueAttributes computes rather than stores. */
export const READ_ONLY_ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
] as const;

/** Every name GetQueueAttributes knows (for `All` and for refusing unknown names). */
export const ALL_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(INT_ATTRIBUTES),
  ...TEXT_ATTRIBUTES,
  ...BOOLEAN_ATTRIBUTES,
  ...Object.keys(FIFO_ONLY),
  "Policy",
  "FifoQueue",
  ...READ_ONLY_ATTRIBUTES,
]);

export const sqsErr = {
  unknownAttribute: (name: string) => new AwsError("InvalidAttributeName", `Unknown Attribute ${name}.`, 400),
  invalidAttributeValue: (name: string) => new AwsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`, 400),
  invalidParameterValue: (message: string) => new AwsError("InvalidParameterValue", message, 400),
  /** AWS: "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided." */
  invalidParameter: (name: string, value: string, reason: string) =>
    new AwsError("InvalidParameterValue", `Value ${value} for parameter ${name} is invalid. Reason: ${reason}`, 400),
  missingParameter: (name: string) => new AwsError("MissingParameter", `The request must contain the parameter ${name}.`, 400),
  nonExistentQueue: () => new AwsError("QueueDoesNotExist", "The specified queue does not exist.", 400),
  /** wording unconfirmed: AWS names the attribute that differs */
  queueExists: (name: string) =>
    new AwsError("QueueNameExists", `A queue already exists with the same name and a different value for attribute ${name}`, 400),
};

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

/** SQS's queue-name rules; FIFO queues end in `.fifo` (80 characters with it). */
export function checkQueueName(name: string, fifo: boolean): void {
  if (fifo) {
    if (!FIFO_NAME.test(name))
      throw sqsErr.invalidParameterValue(
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
      );
  } else if (!NAME.test(name)) {
    // A `.fifo` name without FifoQueue=true is refused with the same words.
    throw sqsErr.invalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
}

/**
 * The settable attributes of a request, checked and normalized (numbers in canonical form); Policy
 * is left to the caller. `create`: FifoQueue may be given; on SetQueueAttributes it may not change.
 */
export function checkAttributes(attrs: Readonly<Record<string, string>>, fifo: boolean, create: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attrs)) {
    const int = INT_ATTRIBUTES[name];
    if (int) {
      if (!/^\d+$/.test(value.trim())) throw sqsErr.invalidAttributeValue(name);
      const n = Number(value.trim());
      if (n < int.min || n > int.max) throw sqsErr.invalidAttributeValue(name);
      out[name] = String(n);
    } else if (name === "Policy") {
      // Policy is parsed and stored on its own (queues.ts / policy.ts), not as a plain attribute.
    } else if (TEXT_ATTRIBUTES.has(name)) {
      if (name !== "KmsMasterKeyId" && value !== "") {
        try {
          JSON.parse(value);
        } catch {
          throw sqsErr.invalidAttributeValue(name);
        }
      }
      if (name === "RedrivePolicy") checkRedrivePolicy(value);
      out[name] = value;
    } else if (BOOLEAN_ATTRIBUTES.has(name)) {
      if (!/^(true|false)$/i.test(value)) throw sqsErr.invalidAttributeValue(name);
      out[name] = value.toLowerCase();
    } else if (name === "FifoQueue") {
      // Unconfirmed: SQS's answer to FifoQueue on SetQueueAttributes; a queue's type never changes.
      if (!create) throw sqsErr.invalidAttributeValue(name);
      if (value.toLowerCase() !== String(fifo)) throw sqsErr.invalidAttributeValue(name);
    } else if (name in FIFO_ONLY) {
      // A standard queue does not know the FIFO attributes (SQS: Unknown Attribute).
      if (!fifo) throw sqsErr.unknownAttribute(name);
      const allowed = FIFO_ONLY[name]!;
      const ok = allowed === "boolean" ? /^(true|false)$/i.test(value) : allowed.includes(value);
      if (!ok) throw sqsErr.invalidAttributeValue(name);
      out[name] = allowed === "boolean" ? value.toLowerCase() : value;
    } else throw sqsErr.unknownAttribute(name);
  }
  return out;
}

/** A new queue's stored attributes: the defaults, then what CreateQueue set. */
export function withDefaults(fifo: boolean, given: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { SqsManagedSseEnabled: "true" };
  for (const [k, r] of Object.entries(INT_ATTRIBUTES)) if (k !== "KmsDataKeyReusePeriodSeconds") out[k] = String(r.default);
  if (fifo) {
    out.ContentBasedDeduplication = "false";
    out.DeduplicationScope = "queue";
    out.FifoThroughputLimit = "perQueue";
  }
  return { ...out, ...given };
}

/** The first attribute of a CreateQueue call whose value differs from the existing queue's (QueueAlreadyExists). */
export function differingAttribute(
  existing: Readonly<Record<string, string>>,
  existingPolicy: string | undefined,
  given: Readonly<Record<string, string>>,
  givenPolicy: string | undefined,
): string | undefined {
  for (const [k, v] of Object.entries(given)) if ((existing[k] ?? "") !== v) return k;
  if (givenPolicy !== undefined && normalizeJson(givenPolicy) !== normalizeJson(existingPolicy ?? "")) return "Policy";
  return undefined;
}

function normalizeJson(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s));
  } catch {
    return s;
  }
}

/** Queue URL → [account, name]; undefined when the URL's path is not `/<12-digit account>/<name>`. */
export function parseQueueUrl(url: string): { account: string; name: string } | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const m = /^\/(\d{12})\/([^/]+)\/?$/.exec(path);
  return m ? { account: m[1]!, name: decodeURIComponent(m[2]!) } : undefined;
}
