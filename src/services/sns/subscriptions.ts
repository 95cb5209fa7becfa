/**
 * SNS subscriptions: Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic),
 * Get/SetSubscriptionAttributes.
 *
 * Confirmation, as AWS does it for sqs: a queue of the subscriber's own account is confirmed at
 * once; a queue of another account only when that account (the queue owner) subscribes — when the
 * topic's side subscribes it, the subscription waits for the queue owner, who finds a
 * SubscriptionConfirmation message with the token in the queue and calls ConfirmSubscription. Other
 * protocols (http/https/email/lambda …) are accepted and stay pending: iamlab has no such endpoints.
 *
 * Subscription calls (Unsubscribe, Get/SetSubscriptionAttributes) are the subscription owner's or
 * the topic owner's: they are authorized in the caller's account against the topic ARN (the
 * catalogue's resource type), by the caller's identity policies; anyone else is refused as SNS does.
 */
import { AwsError } from "../../protocol/errors";
import { defineAction, type ActionContext, type AuthzTarget, type RegisteredAction } from "../action";
import {
  confirmSubscription,
  deleteSubscription,
  getSubscription,
  insertSubscription,
  listOwnSubscriptions,
  listTopicSubscriptions,
  subscriptionCounts,
  updateSubscriptionAttributes,
  type SubscriptionRow,
  getTopic,
  type TopicRow,
} from "../../store/sns";
import { SUBSCRIPTION_ATTRIBUTES, isJsonObject } from "./attributes";
import {
  fromPageToken,
  isFifoTopic,
  loadByTopicArn,
  pageToken,
  parseSubscriptionArn,
  parseTopicArn,
  snsErr,
  subscriptionArn,
  topicArn,
  topicTarget,
} from "./common";
import { parseFilterPolicy } from "./filter-policy";
import { sendConfirmation } from "./delivery";

/**
 * Subscriptions per topic in iamlab (AWS: 12.5 million): every Publish delivers to each one before it
 * answers, so one tenant's fan-out stays small in the shared isolate.
 */
const MAX_SUBSCRIPTIONS_PER_TOPIC = 100;

const PROTOCOLS = new Set(["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"]);
const SQS_ARN = /^arn:aws:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

/** The endpoint checks SNS makes per protocol (its wording where reported; the rest unconfirmed). */
function checkEndpoint(protocol: string, endpoint: string, topic: TopicRow): void {
  if (!PROTOCOLS.has(protocol)) throw snsErr.invalidParameter(`Amazon SNS does not support this protocol string: ${protocol}`);
  if ((protocol === "http" || protocol === "https") && !endpoint.startsWith(`${protocol}://`))
    throw snsErr.invalidParameter("Endpoint must match the specified protocol");
  if ((protocol === "email" || protocol === "email-json") && !/^[^@\s]+@[^@\s]+$/.test(endpoint))
    throw snsErr.invalidParameter("Email address");
  if (protocol === "sms" && !/^\+?[1-9]\d{1,14}$/.test(endpoint)) throw snsErr.invalidParameter(`Invalid SMS endpoint: ${endpoint}`);
  if (protocol === "lambda" && !/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.test(endpoint))
    throw snsErr.invalidParameter("Lambda endpoint ARN");
  if (protocol === "sqs") {
    if (!SQS_ARN.test(endpoint)) throw snsErr.invalidParameter("SQS endpoint ARN");
    if (endpoint.endsWith(".fifo") && !isFifoTopic(topic))
      throw snsErr.invalidParameter("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics");
  }
}

/** One subscription attribute checked; the value to store. */
function checkSubscriptionAttribute(name: string, value: string, scope: string | undefined): string {
  if (!SUBSCRIPTION_ATTRIBUTES.has(name)) throw snsErr.invalidParameter("AttributeName");
  switch (name) {
    case "RawMessageDelivery":
      if (!/^(true|false)$/i.test(value))
        throw snsErr.invalidParameter(`Attributes Reason: RawMessageDelivery: Invalid value [${value}]. Must be true or false.`);
      return value.toLowerCase();
    case "FilterPolicyScope":
      if (value !== "MessageAttributes" && value !== "MessageBody")
        throw snsErr.invalidParameter(
          `Attributes Reason: FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`,
        );
      return value;
    case "FilterPolicy": {
      if (value === "") return value;
      const parsed = parseFilterPolicy(value, scope === "MessageBody" ? "MessageBody" : "MessageAttributes");
      if (!parsed.ok) throw snsErr.invalidParameter(`FilterPolicy: ${parsed.reason}`);
      return value;
    }
    case "DeliveryPolicy":
    case "RedrivePolicy":
    case "ReplayPolicy":
      if (value !== "" && !isJsonObject(value)) throw snsErr.invalidParameter(`${name}: failed to parse JSON.`);
      return value;
    default:
      return value;
  }
}

/** What ListSubscriptions(ByTopic) shows of a subscription ("PendingConfirmation" for one not confirmed). */
function listed(s: SubscriptionRow) {
  const t = { accountId: s.accountId, region: s.region, name: s.topic };
  return {
    SubscriptionArn: s.pending ? "PendingConfirmation" : subscriptionArn(t, s.subscriptionId),
    Owner: s.owner,
    Protocol: s.protocol,
    Endpoint: s.endpoint,
    TopicArn: topicArn(t),
  };
}

export const Subscribe = defineAction({
  service: "sns",
  name: "Subscribe",
  effect: "none",
  input: {},
  load: loadByTopicArn,
  target: (i, _ctx, t: TopicRow) => {
    const input = i as { Protocol?: string; Endpoint?: string };
    return topicTarget(t, {
      "sns:Protocol": input.Protocol ?? "",
      ...(input.Endpoint !== undefined ? { "sns:Endpoint": input.Endpoint } : {}),
    });
  },
  handler: async (i, ctx, t: TopicRow) => {
    const input = i as { Protocol?: string; Endpoint?: string; Attributes?: Record<string, string>; ReturnSubscriptionArn?: boolean };
    const protocol = input.Protocol ?? "";
    const endpoint = input.Endpoint;
    // SNS's own answer to a missing endpoint (as clients report it).
    if (endpoint === undefined || endpoint === "") throw new AwsError("NotFound", "Endpoint not specified in subscription", 404);
    checkEndpoint(protocol, endpoint, t);
    const given = input.Attributes ?? {};
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(given)) attributes[k] = checkSubscriptionAttribute(k, v, given.FilterPolicyScope);
    const caller = ctx.caller.principal;
    // sqs: confirmed when the subscriber owns the queue; any other protocol waits for a confirmation iamlab cannot receive.
    const queueOwner = protocol === "sqs" ? endpoint.split(":")[4] : undefined;
    const row: SubscriptionRow = {
      accountId: t.accountId,
      region: t.region,
      topic: t.name,
      subscriptionId: crypto.randomUUID(),
      owner: caller.account,
      principal: caller.arn,
      protocol,
      endpoint,
      pending: queueOwner !== caller.account,
      token: [...crypto.getRandomValues(new Uint8Array(64))].map((b) => b.toString(16).padStart(2, "0")).join(""),
      attributes,
      createdAt: ctx.request.now,
    };
    const counts = await subscriptionCounts(ctx.db, t);
    if (counts.confirmed + counts.pending >= MAX_SUBSCRIPTIONS_PER_TOPIC)
      throw new AwsError(
        "SubscriptionLimitExceeded",
        `Topic ${topicArn(t)} already has ${MAX_SUBSCRIPTIONS_PER_TOPIC} subscriptions (iamlab's limit).`,
        403,
      );
    const out = await insertSubscription(ctx.db, row);
    let s = row;
    if (!out.ok) {
      s = out.existing;
      if (Object.entries(attributes).some(([k, v]) => (s.attributes[k] ?? "") !== v))
        throw snsErr.invalidParameter("Attributes Reason: Subscription already exists with different attributes");
    } else if (row.pending && protocol === "sqs") {
      const denied = await sendConfirmation(ctx, t, row);
      if (denied) ctx.responseHeaders = { ...ctx.responseHeaders, "x-iamlab-delivery-denied": denied };
    }
    const arn = subscriptionArn(t, s.subscriptionId);
    return { SubscriptionArn: s.pending && input.ReturnSubscriptionArn !== true ? "pending confirmation" : arn };
  },
});

// No authorization: the token, which only the endpoint's owner received, is the proof (AWS lets
// ConfirmSubscription be called without credentials; iamlab still wants a signature).
export const ConfirmSubscription = defineAction({
  service: "sns",
  name: "ConfirmSubscription",
  effect: "none",
  input: {},
  handler: async (i, ctx) => {
    const input = i as { TopicArn?: string; Token?: string };
    let key: ReturnType<typeof parseTopicArn>;
    try {
      key = parseTopicArn(input.TopicArn, ctx.request.region);
    } catch {
      throw snsErr.invalidParameter("Topic");
    }
    if (!(await getTopic(ctx.db, key))) throw snsErr.topicNotFound();
    const s = await confirmSubscription(ctx.db, key, input.Token ?? "");
    if (!s) throw snsErr.invalidParameter("Token");
    return { SubscriptionArn: subscriptionArn(key, s.subscriptionId) };
  },
});

interface Loaded {
  topic: TopicRow;
  subscription: SubscriptionRow;
}

/** The subscription an ARN names, with its topic (NotFound otherwise). */
async function loadSubscription(i: object, ctx: ActionContext): Promise<Loaded> {
  const { topic: key, id } = parseSubscriptionArn((i as { SubscriptionArn?: string }).SubscriptionArn, ctx.request.region);
  const topic = await getTopic(ctx.db, key);
  const subscription = topic && (await getSubscription(ctx.db, key, id));
  if (!topic || !subscription) throw snsErr.subscriptionNotFound();
  return { topic, subscription };
}

/** Subscription calls: the subscription owner's or the topic owner's, by their identity policies. */
function subscriptionTarget(ctx: ActionContext, l: Loaded, action: string): AuthzTarget {
  const account = ctx.caller.principal.account;
  if (account !== l.subscription.owner && account !== l.topic.accountId)
    throw snsErr.authorization(
      `User: ${ctx.caller.principal.arn} is not authorized to perform: SNS:${action} on resource: ${subscriptionArn(l.topic, l.subscription.subscriptionId)}`,
    );
  return { resource: topicArn(l.topic), resourceAccount: account, deniedMessage: "sns" };
}

export const Unsubscribe = defineAction({
  service: "sns",
  name: "Unsubscribe",
  effect: "none",
  input: {},
  load: loadSubscription,
  target: (_i, ctx: ActionContext, l: Loaded) => subscriptionTarget(ctx, l, "Unsubscribe"),
  handler: async (_i, ctx, l: Loaded) => {
    await deleteSubscription(ctx.db, l.subscription);
    return {};
  },
});

export const GetSubscriptionAttributes = defineAction({
  service: "sns",
  name: "GetSubscriptionAttributes",
  effect: "read",
  input: {},
  load: loadSubscription,
  target: (_i, ctx: ActionContext, l: Loaded) => subscriptionTarget(ctx, l, "GetSubscriptionAttributes"),
  handler: (_i, _ctx, { topic, subscription: s }: Loaded) => {
    const out: Record<string, string> = {
      Owner: s.owner,
      RawMessageDelivery: "false",
      TopicArn: topicArn(topic),
      Endpoint: s.endpoint,
      Protocol: s.protocol,
      PendingConfirmation: String(s.pending),
      ConfirmationWasAuthenticated: String(!s.pending),
      SubscriptionArn: subscriptionArn(topic, s.subscriptionId),
      SubscriptionPrincipal: s.principal,
    };
    for (const [k, v] of Object.entries(s.attributes)) if (v !== "") out[k] = v;
    if (out.FilterPolicy) out.FilterPolicyScope ??= "MessageAttributes";
    return { Attributes: out };
  },
});

export const SetSubscriptionAttributes = defineAction({
  service: "sns",
  name: "SetSubscriptionAttributes",
  effect: "none",
  input: {},
  load: loadSubscription,
  target: (_i, ctx: ActionContext, l: Loaded) => subscriptionTarget(ctx, l, "SetSubscriptionAttributes"),
  handler: async (i, ctx, l: Loaded) => {
    const { AttributeName: name = "", AttributeValue: value = "" } = i as { AttributeName?: string; AttributeValue?: string };
    const attrs = { ...l.subscription.attributes };
    attrs[name] = checkSubscriptionAttribute(name, value, attrs.FilterPolicyScope);
    if (attrs[name] === "") delete attrs[name];
    if (!(await updateSubscriptionAttributes(ctx.db, l.subscription, attrs))) throw snsErr.subscriptionNotFound();
    return {};
  },
});

/** ListSubscriptions / ListSubscriptionsByTopic: 100 per page (SNS API reference). */
const PAGE = 100;

function page(rows: SubscriptionRow[]) {
  const shown = rows.slice(0, PAGE);
  const out: { Subscriptions: ReturnType<typeof listed>[]; NextToken?: string } = { Subscriptions: shown.map(listed) };
  if (rows.length > PAGE) out.NextToken = pageToken(shown[shown.length - 1]!.subscriptionId);
  return out;
}

export const ListSubscriptions = defineAction({
  service: "sns",
  name: "ListSubscriptions",
  effect: "read",
  input: {},
  target: () => ({ resource: "*", deniedMessage: "sns" as const }),
  handler: async (i, ctx) => {
    const after = fromPageToken((i as { NextToken?: string }).NextToken);
    return page(await listOwnSubscriptions(ctx.db, ctx.caller.principal.account, ctx.request.region, after, PAGE + 1));
  },
});

export const ListSubscriptionsByTopic = defineAction({
  service: "sns",
  name: "ListSubscriptionsByTopic",
  effect: "read",
  input: {},
  load: loadByTopicArn,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: async (i, ctx, t: TopicRow) => {
    const after = fromPageToken((i as { NextToken?: string }).NextToken);
    return page(await listTopicSubscriptions(ctx.db, t, after, PAGE + 1));
  },
});

export const subscriptionActions: RegisteredAction[] = [
  Subscribe,
  ConfirmSubscription,
  Unsubscribe,
  ListSubscriptions,
  ListSubscriptionsByTopic,
  GetSubscriptionAttributes,
  SetSubscriptionAttributes,
];
