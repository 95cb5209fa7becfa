/**
 * Topic and subscription attributes, pure: which names SNS accepts, their values' checks, and what
 * GetTopicAttributes / GetSubscriptionAttributes answer besides the stored ones. Policy is checked
 * by ./topic-policy.ts, FilterPolicy by ./filter-policy.ts.
 */
import { snsErr } from "./common";

const FEEDBACK = ["Application", "HTTP", "Firehose", "Lambda", "SQS"].flatMap((p) => [
  `${p}SuccessFeedbackRoleArn`,
  `${p}SuccessFeedbackSampleRate`,
  `${p}FailureFeedbackRoleArn`,
]);

/** Settable topic attributes (SNS API reference, SetTopicAttributes), Policy included. */
export const TOPIC_ATTRIBUTES: ReadonlySet<string> = new Set([
  "DeliveryPolicy",
  "DisplayName",
  "Policy",
  "KmsMasterKeyId",
  "SignatureVersion",
  "TracingConfig",
  "ContentBasedDeduplication",
  "ArchivePolicy",
  "FifoThroughputScope",
  ...FEEDBACK,
]);

/** Settable subscription attributes (SNS API reference, SetSubscriptionAttributes). */
export const SUBSCRIPTION_ATTRIBUTES: ReadonlySet<string> = new Set([
  "DeliveryPolicy",
  "FilterPolicy",
  "FilterPolicyScope",
  "RawMessageDelivery",
  "RedrivePolicy",
  "SubscriptionRoleArn",
  "ReplayPolicy",
]);

const BOOL = /^(true|false)$/i;

/** One topic attribute checked (InvalidParameter naming it otherwise); FifoTopic only at creation. */
export function checkTopicAttribute(name: string, value: string, fifo: boolean, create: boolean): string {
  if (name === "FifoTopic" && create) {
    if (!BOOL.test(value)) throw snsErr.invalidParameter("Attributes Reason: FifoTopic must be true or false"); // wording unconfirmed
    return value.toLowerCase();
  }
  if (!TOPIC_ATTRIBUTES.has(name)) throw snsErr.invalidParameter(create ? `Attributes Reason: Unknown attribute ${name}` : "AttributeName");
  switch (name) {
    case "DisplayName":
      // SNS: up to 100 characters (shown in the From field of email notifications).
      if (value.length > 100) throw snsErr.invalidParameter("DisplayName");
      return value;
    case "SignatureVersion":
      if (value !== "1" && value !== "2") throw snsErr.invalidParameter("SignatureVersion");
      return value;
    case "TracingConfig":
      if (value !== "PassThrough" && value !== "Active") throw snsErr.invalidParameter("TracingConfig");
      return value;
    case "ContentBasedDeduplication":
      if (!fifo)
        throw snsErr.invalidParameter("ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics"); // wording unconfirmed
      if (!BOOL.test(value)) throw snsErr.invalidParameter("ContentBasedDeduplication");
      return value.toLowerCase();
    case "DeliveryPolicy":
    case "ArchivePolicy":
      if (value !== "" && !isJsonObject(value)) throw snsErr.invalidParameter(name);
      return value;
    default:
      return value;
  }
}

export function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * The delivery policy AWS reports for a topic with none of its own (its documented defaults for
 * HTTP/S: three linear retries 20 s apart).
 */
export const DEFAULT_EFFECTIVE_DELIVERY_POLICY = JSON.stringify({
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: "linear",
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: "text/plain; charset=UTF-8" },
  },
});
