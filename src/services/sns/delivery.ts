/**
 * Delivery to SQS, authorized like AWS's: SNS sends each message as the service principal
 * `sns.amazonaws.com`, with `aws:SourceArn` = the topic's ARN and `aws:SourceAccount` = the topic's
 * owner, and the queue's policy alone decides (a service principal has no identity policy) — the
 * confused-deputy lab: a queue policy that allows the service without an `aws:SourceArn` (or
 * `aws:SourceAccount`) condition accepts any topic of any account.
 *
 * A denied delivery is dropped without a word to the publisher, as on AWS. Its decision is kept
 * like every denial (src/authz/decisions.ts), under the queue owner's account: the Publish response
 * names the decision ids in `x-iamlab-delivery-denied`, and the queue owner reads the explanation at
 * GET /_iamlab/my/decisions/<id> (an admin at /_iamlab/decisions/<id>).
 */
import type { ActionContext } from "../action";
import {
  evaluate,
  CompiledPolicyCache,
  type AuthzRequest,
  type CompiledPolicy,
  type Decision,
  type PolicySet,
  type Principal,
} from "../../policy/index";
import { recordDecision } from "../../authz/decisions";
import { accountOrgChain } from "../../authz/authorize";
import { isoSeconds } from "../../lib/clock";
import { toBase64 } from "../../lib/encoding";
import type { QueueRow } from "../../store/sqs-queues";
import type { SubscriptionRow, TopicRow } from "../../store/sns";
import { queueArn, queueTarget } from "../sqs/common";
import { deliverToQueue, findQueueByArn } from "../sqs/deliver";
import type { MessageAttributeValue } from "../sqs/md5";
import { subscriptionArn, topicArn } from "./common";
import { confirmationEnvelope, notificationEnvelope, stringToSign } from "./envelope";
import { matchesAttributes, matchesBody, parseFilterPolicy } from "./filter-policy";

export const SNS_SERVICE = "sns.amazonaws.com";
const SNS_PRINCIPAL: Principal = { kind: "service", account: "", arn: SNS_SERVICE, userId: SNS_SERVICE, serviceName: SNS_SERVICE };

/** The SenderId SQS shows for messages SNS delivered (the id AWS users see; unconfirmed for every region). */
const SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU";

const compiled = new CompiledPolicyCache(512, 4 * 1024 * 1024);

export interface Notification {
  messageId: string;
  topic: TopicRow;
  subject?: string;
  /** the message, or MessageStructure=json's per-protocol messages (`default` required) */
  message: string | Readonly<Record<string, string>>;
  attributes: Readonly<Record<string, MessageAttributeValue>>;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
}

export type DeliveryOutcome = "delivered" | "denied" | "filtered" | "noQueue" | "refused" | "notDelivered";

export interface DeliveryReport {
  subscriptionArn: string;
  outcome: DeliveryOutcome;
  decisionId?: string;
}

/** Whether SNS (the service principal, for `topic`) may send into `q`: the queue policy's decision, recorded when denied. */
export async function authorizeDelivery(
  ctx: ActionContext,
  topic: TopicRow,
  q: QueueRow,
): Promise<{ allowed: boolean; decisionId?: string }> {
  const target = queueTarget(q);
  // The queue owner's organization (its RCPs, aws:ResourceOrgID) and the topic owner's (aws:SourceOrgID).
  const [queueOrg, topicOrg] = await Promise.all([
    accountOrgChain(ctx, q.accountId),
    topic.accountId === q.accountId ? undefined : accountOrgChain(ctx, topic.accountId),
  ]);
  const sourceOrg = topic.accountId === q.accountId ? queueOrg : topicOrg;
  const arn = queueArn(q);
  const request: AuthzRequest = {
    principal: SNS_PRINCIPAL,
    action: "sqs:SendMessage",
    resource: arn,
    resourceAccount: q.accountId,
    context: {
      ...target.context,
      "aws:SourceArn": topicArn(topic),
      "aws:SourceAccount": topic.accountId,
      "aws:PrincipalServiceName": SNS_SERVICE,
      "aws:PrincipalIsAWSService": "true",
      "aws:CurrentTime": isoSeconds(ctx.request.now),
      "aws:EpochTime": String(Math.floor(ctx.request.now / 1000)),
      "aws:SecureTransport": "true",
    },
  };
  if (queueOrg) {
    request.context["aws:ResourceOrgID"] = queueOrg.orgId;
    request.context["aws:ResourceOrgPaths"] = [queueOrg.path];
  }
  if (sourceOrg) {
    request.context["aws:SourceOrgID"] = sourceOrg.orgId;
    request.context["aws:SourceOrgPaths"] = [sourceOrg.path];
  }
  const policies: PolicySet = { identity: [] };
  if (queueOrg?.rcps) policies.rcps = queueOrg.rcps;
  // SQS validates a queue policy before storing it; one that does not compile anyway grants nothing.
  const policy = q.policy === undefined ? undefined : compileQueuePolicy(arn, q.policy);
  if (policy) policies.resource = [{ id: arn, type: "resource", policy }];
  let decision: Decision = evaluate(request, policies, { explain: ctx.explain === true });
  if (decision.decision === "allow") return { allowed: true };
  if (!ctx.explain) decision = evaluate(request, policies, { explain: true });
  // Kept under the queue owner's account (a service principal has none): theirs to read.
  const decisionId = recordDecision({ ...ctx, caller: { ...ctx.caller, principal: SNS_PRINCIPAL } }, request, decision);
  return { allowed: false, decisionId };
}

function compileQueuePolicy(arn: string, json: string): CompiledPolicy | undefined {
  try {
    return compiled.get(`${arn}\u0000${json}`, json, "resource");
  } catch {
    return undefined;
  }
}

async function sha256Base64(s: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
}

const origin = (ctx: ActionContext): string => ctx.request.origin ?? `https://sns.${ctx.request.region}.amazonaws.com`;
const signingCertUrl = (ctx: ActionContext): string => `${origin(ctx)}/SimpleNotificationService-iamlab.pem`;

/** Whether the subscription's filter policy lets the notification through. */
function passesFilter(s: SubscriptionRow, n: Notification, message: string): boolean {
  const text = s.attributes.FilterPolicy;
  if (!text) return true;
  const scope = s.attributes.FilterPolicyScope === "MessageBody" ? "MessageBody" : "MessageAttributes";
  const parsed = parseFilterPolicy(text, scope);
  if (!parsed.ok) return true;
  if (scope === "MessageAttributes") return matchesAttributes(parsed.policy, n.attributes);
  try {
    return matchesBody(parsed.policy, JSON.parse(message));
  } catch {
    return false;
  }
}

/** The SQS message body and attributes for one subscription: SNS's envelope, or the message itself with RawMessageDelivery. */
async function sqsMessage(ctx: ActionContext, s: SubscriptionRow, n: Notification, message: string) {
  if (s.attributes.RawMessageDelivery === "true") return { body: message, attributes: n.attributes };
  const arn = topicArn(n.topic);
  const fields = {
    messageId: n.messageId,
    topicArn: arn,
    message,
    timestamp: ctx.request.now,
    ...(n.subject !== undefined ? { subject: n.subject } : {}),
  };
  const attrs: Record<string, { Type: string; Value: string }> = {};
  for (const [k, a] of Object.entries(n.attributes))
    attrs[k] = { Type: a.DataType, Value: a.BinaryValue !== undefined ? toBase64(a.BinaryValue) : (a.StringValue ?? "") };
  const body = notificationEnvelope({
    ...fields,
    ...(n.sequenceNumber !== undefined ? { sequenceNumber: n.sequenceNumber } : {}),
    signatureVersion: n.topic.attributes.SignatureVersion ?? "1",
    signature: await sha256Base64(stringToSign(fields)),
    signingCertUrl: signingCertUrl(ctx),
    unsubscribeUrl: `${origin(ctx)}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn(n.topic, s.subscriptionId)}`,
    messageAttributes: attrs,
  });
  return { body, attributes: {} };
}

/** Delivers a notification to the topic's confirmed subscriptions; sqs ones into iamlab's queues, the others are recorded only. */
export async function deliver(ctx: ActionContext, n: Notification, subscriptions: readonly SubscriptionRow[]): Promise<DeliveryReport[]> {
  return Promise.all(
    subscriptions.map(async (s): Promise<DeliveryReport> => {
      const arn = subscriptionArn(n.topic, s.subscriptionId);
      const message = typeof n.message === "string" ? n.message : (n.message[s.protocol] ?? n.message.default ?? "");
      // http/https/email/lambda …: iamlab has no such endpoints; the notification goes nowhere.
      if (s.protocol !== "sqs") return { subscriptionArn: arn, outcome: "notDelivered" };
      if (!passesFilter(s, n, message)) return { subscriptionArn: arn, outcome: "filtered" };
      const q = await findQueueByArn(ctx.db, s.endpoint);
      if (!q) return { subscriptionArn: arn, outcome: "noQueue" };
      const auth = await authorizeDelivery(ctx, n.topic, q);
      if (!auth.allowed) return { subscriptionArn: arn, outcome: "denied", ...(auth.decisionId ? { decisionId: auth.decisionId } : {}) };
      const m = await sqsMessage(ctx, s, n, message);
      const sent = await deliverToQueue(
        ctx.env,
        q,
        {
          ...m,
          senderId: SNS_SENDER_ID,
          ...(n.groupId !== undefined ? { groupId: n.groupId } : {}),
          ...(n.dedupId !== undefined ? { dedupId: n.dedupId } : {}),
        },
        ctx.request.now,
      );
      return { subscriptionArn: arn, outcome: sent.sent ? "delivered" : "refused" };
    }),
  );
}

/**
 * The SubscriptionConfirmation SNS sends to a queue of another account when the topic's side
 * subscribes it (the queue owner confirms with ConfirmSubscription and the token). Authorized like
 * a notification; a denied one is dropped (its decision id is answered).
 */
export async function sendConfirmation(ctx: ActionContext, topic: TopicRow, s: SubscriptionRow): Promise<string | undefined> {
  const q = await findQueueByArn(ctx.db, s.endpoint);
  if (!q) return undefined;
  const auth = await authorizeDelivery(ctx, topic, q);
  if (!auth.allowed) return auth.decisionId;
  const arn = topicArn(topic);
  const messageId = crypto.randomUUID();
  const body = confirmationEnvelope({
    messageId,
    token: s.token,
    topicArn: arn,
    subscribeUrl: `${origin(ctx)}/?Action=ConfirmSubscription&TopicArn=${arn}&Token=${s.token}`,
    timestamp: ctx.request.now,
    signatureVersion: "1",
    signature: await sha256Base64(`${messageId}\n${s.token}\n${arn}`),
    signingCertUrl: signingCertUrl(ctx),
  });
  const fifo = q.name.endsWith(".fifo");
  await deliverToQueue(
    ctx.env,
    q,
    { body, attributes: {}, senderId: SNS_SENDER_ID, ...(fifo ? { groupId: arn, dedupId: messageId } : {}) },
    ctx.request.now,
  );
  return undefined;
}
