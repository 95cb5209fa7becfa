/**
 * The JSON envelope SNS wraps a notification in when it delivers to SQS without RawMessageDelivery
 * (SNS Developer Guide, "Amazon SNS message and JSON formats"), pure. SNS writes it with two-space
 * indentation and " : " between key and value; iamlab does the same, so a learner sees what AWS sends.
 * Signature: iamlab cannot sign as AWS does (SHA1withRSA with AWS's certificate); it writes a
 * SHA-256 digest of the fields in base64 where the signature goes, and says so in the README.
 */
export interface NotificationFields {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** epoch ms */
  timestamp: number;
  /** FIFO topics */
  sequenceNumber?: string;
  signatureVersion: string;
  signature: string;
  signingCertUrl: string;
  unsubscribeUrl: string;
  messageAttributes?: Readonly<Record<string, { Type: string; Value: string }>>;
}

/** SNS's envelope text for one notification. */
export function notificationEnvelope(n: NotificationFields): string {
  const fields: [string, string][] = [
    ["Type", "Notification"],
    ["MessageId", n.messageId],
  ];
  if (n.sequenceNumber !== undefined) fields.push(["SequenceNumber", n.sequenceNumber]);
  fields.push(["TopicArn", n.topicArn]);
  if (n.subject !== undefined) fields.push(["Subject", n.subject]);
  fields.push(
    ["Message", n.message],
    ["Timestamp", new Date(n.timestamp).toISOString()],
    ["SignatureVersion", n.signatureVersion],
    ["Signature", n.signature],
    ["SigningCertURL", n.signingCertUrl],
    ["UnsubscribeURL", n.unsubscribeUrl],
  );
  return envelopeText(fields, n.messageAttributes);
}

export interface ConfirmationFields {
  messageId: string;
  token: string;
  topicArn: string;
  subscribeUrl: string;
  timestamp: number;
  signatureVersion: string;
  signature: string;
  signingCertUrl: string;
}

/** The SubscriptionConfirmation message SNS sends to an endpoint whose owner must confirm (SNS Developer Guide, HTTP/S JSON formats). */
export function confirmationEnvelope(c: ConfirmationFields): string {
  return envelopeText([
    ["Type", "SubscriptionConfirmation"],
    ["MessageId", c.messageId],
    ["Token", c.token],
    ["TopicArn", c.topicArn],
    [
      "Message",
      `You have chosen to subscribe to the topic ${c.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    ],
    ["SubscribeURL", c.subscribeUrl],
    ["Timestamp", new Date(c.timestamp).toISOString()],
    ["SignatureVersion", c.signatureVersion],
    ["Signature", c.signature],
    ["SigningCertURL", c.signingCertUrl],
  ]);
}

function envelopeText(fields: readonly [string, string][], attributes?: Readonly<Record<string, { Type: string; Value: string }>>): string {
  const lines = fields.map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`);
  const attrs = Object.entries(attributes ?? {});
  if (attrs.length)
    lines.push(`  "MessageAttributes" : {\n${attrs.map(([k, v]) => `    ${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(",\n")}\n  }`);
  return `{\n${lines.join(",\n")}\n}`;
}

/** The string SNS signs for a Notification (SNS Developer Guide, "Verifying the signatures of Amazon SNS messages"). */
export function stringToSign(n: Pick<NotificationFields, "message" | "messageId" | "subject" | "timestamp" | "topicArn">): string {
  const parts = ["Message", n.message, "MessageId", n.messageId];
  if (n.subject !== undefined) parts.push("Subject", n.subject);
  parts.push("Timestamp", new Date(n.timestamp).toISOString(), "TopicArn", n.topicArn, "Type", "Notification");
  return `${parts.join("\n")}\n`;
}
