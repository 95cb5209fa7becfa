/**
 * SNS topics: CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, AddPermission /
 * RemovePermission, and tags. Metadata in D1 (src/store/sns.ts). Topic policy writes
 * (SetTopicAttributes of Policy, AddPermission, RemovePermission) follow the owner account's
 * eventual-consistency mode exactly as SQS's queue policies do: they are `permissions` writes, and
 * a change made while the owner lags is enforced only once its generation reaches the data plane
 * (topicTarget → src/consistency/resource-policies.ts), while GetTopicAttributes — the control
 * plane — shows it at once. CreateTopic's Policy is in force at once (a new topic has no previous
 * policy to keep enforcing). The other writes are data-plane writes (effect `none`).
 */
import { AwsError } from "../../protocol/errors";
import { defineAction, type ActionContext, type HandlerContext, type RegisteredAction } from "../action";
import {
  deleteTopic,
  getTopic,
  insertTopic,
  listTopics,
  subscriptionCounts,
  updateTopicAttributes,
  updateTopicPolicy,
  updateTopicTags,
  type TopicRow,
} from "../../store/sns";
import { DEFAULT_EFFECTIVE_DELIVERY_POLICY, checkTopicAttribute } from "./attributes";
import { fromPageToken, isFifoTopic, loadByTopicArn, pageToken, parseTopicArn, snsErr, topicArn, topicTarget } from "./common";
import { addPermissionStatement, defaultTopicPolicy, removePermissionStatement, validateTopicPolicy } from "./topic-policy";

interface Tag {
  Key?: string;
  Value?: string;
}

/** SNS tags: at most 50 per topic; keys 1–128 characters, values up to 256. */
function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    const k = t.Key ?? "";
    const v = t.Value ?? "";
    if (k.length < 1 || k.length > 128 || v.length > 256 || /^aws:/i.test(k))
      throw snsErr.invalidParameter(`Tags Reason: Tag key or value is invalid`); // wording unconfirmed
    out[k] = v;
  }
  return out;
}

/** More than 50 tags: SNS's TagLimitExceeded (API reference; wording unconfirmed). */
function tagLimit(tags: Readonly<Record<string, string>>): AwsError | undefined {
  if (Object.keys(tags).length <= 50) return undefined;
  return new AwsError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400);
}

/**
 * Writes the topic policy (`permissions`): in a lagging owner account the row records the
 * generation of the change. A caller of another account (allowed by the topic policy) writes a
 * policy in force at once: the change is not in its own account's log.
 */
async function writePolicy(ctx: HandlerContext, t: TopicRow, policy: string): Promise<void> {
  const lagging = ctx.caller.consistency !== undefined && ctx.caller.principal.account === t.accountId;
  if (!(await updateTopicPolicy(ctx.write, { ...t, policy }, lagging))) throw snsErr.topicNotFound();
}

const requestTags = (tags: Readonly<Record<string, string>>): Record<string, string | string[]> => {
  const ctx: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(tags)) ctx[`aws:RequestTag/${k}`] = v;
  if (Object.keys(tags).length) ctx["aws:TagKeys"] = Object.keys(tags);
  return ctx;
};

export const CreateTopic = defineAction({
  service: "sns",
  name: "CreateTopic",
  effect: "none",
  input: {},
  target: (i, ctx: ActionContext) => {
    const input = i as { Name?: string; Tags?: Tag[] };
    const key = { accountId: ctx.caller.principal.account, region: ctx.request.region, name: input.Name ?? "" };
    const tags: Record<string, string> = {};
    for (const t of input.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? "";
    return { resource: topicArn(key), deniedMessage: "sns" as const, context: requestTags(tags) };
  },
  handler: async (i, ctx) => {
    const input = i as { Name?: string; Attributes?: Record<string, string>; Tags?: Tag[] };
    const name = input.Name ?? "";
    const given = input.Attributes ?? {};
    const fifo = name.endsWith(".fifo") || /^true$/i.test(given.FifoTopic ?? "");
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(fifo ? name.slice(0, -5) : name) || (fifo && !name.endsWith(".fifo")) || name.length > 256)
      throw fifo && !name.endsWith(".fifo")
        ? snsErr.invalidParameter(
            "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
          )
        : snsErr.invalidParameter("Topic Name");
    const key = { accountId: ctx.caller.principal.account, region: ctx.request.region, name };
    const arn = topicArn(key);
    const attributes: Record<string, string> = {};
    let policy: string | undefined;
    for (const [k, v] of Object.entries(given)) {
      if (k === "Policy") policy = validateTopicPolicy(v);
      else attributes[k] = checkTopicAttribute(k, v, fifo, true);
    }
    if (fifo) {
      attributes.FifoTopic = "true";
      attributes.ContentBasedDeduplication ??= "false";
    } else delete attributes.FifoTopic;
    const tags = tagMap(input.Tags);
    const limit = tagLimit(tags);
    if (limit) throw limit;
    const row: TopicRow = {
      ...key,
      createdAt: ctx.request.now,
      attributes,
      policy: policy ?? defaultTopicPolicy(arn, key.accountId),
      tags,
    };
    const out = await insertTopic(ctx.db, row);
    if (!out.ok) {
      // The same name again: the existing topic's ARN, unless an attribute or a tag given differs.
      const e = out.existing;
      const differs = Object.entries(attributes).some(([k, v]) => e.attributes[k] !== v) || (policy !== undefined && policy !== e.policy);
      if (differs) throw snsErr.invalidParameter("Attributes Reason: Topic already exists with different attributes");
      if (Object.entries(tags).some(([k, v]) => e.tags[k] !== v))
        throw snsErr.invalidParameter("Tags Reason: Topic already exists with different tags");
    }
    return { TopicArn: arn };
  },
});

export const DeleteTopic = defineAction({
  service: "sns",
  name: "DeleteTopic",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext) => {
    // Deleting a topic that does not exist succeeds (SNS is idempotent here).
    const key = parseTopicArn((i as { TopicArn?: string }).TopicArn, ctx.request.region);
    return { key, topic: await getTopic(ctx.db, key) };
  },
  target: (_i, _ctx, l: { key: ReturnType<typeof parseTopicArn>; topic: TopicRow | undefined }) =>
    l.topic ? topicTarget(l.topic) : { resource: topicArn(l.key), resourceAccount: l.key.accountId, deniedMessage: "sns" as const },
  handler: async (_i, ctx, l: { key: ReturnType<typeof parseTopicArn>; topic: TopicRow | undefined }) => {
    if (l.topic) await deleteTopic(ctx.db, l.key);
    return {};
  },
});

/** ListTopics: 100 per page (SNS API reference). */
const TOPIC_PAGE = 100;

export const ListTopics = defineAction({
  service: "sns",
  name: "ListTopics",
  effect: "read",
  input: {},
  target: () => ({ resource: "*", deniedMessage: "sns" as const }),
  handler: async (i, ctx) => {
    const after = fromPageToken((i as { NextToken?: string }).NextToken);
    const rows = await listTopics(ctx.db, ctx.caller.principal.account, ctx.request.region, after, TOPIC_PAGE + 1);
    const page = rows.slice(0, TOPIC_PAGE);
    const out: { Topics: { TopicArn: string }[]; NextToken?: string } = { Topics: page.map((t) => ({ TopicArn: topicArn(t) })) };
    if (rows.length > TOPIC_PAGE) out.NextToken = pageToken(page[page.length - 1]!.name);
    return out;
  },
});

export const GetTopicAttributes = defineAction({
  service: "sns",
  name: "GetTopicAttributes",
  effect: "read",
  input: {},
  load: loadByTopicArn,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: async (_i, ctx, t: TopicRow) => {
    const counts = await subscriptionCounts(ctx.db, t);
    const out: Record<string, string> = {
      Policy: t.policy,
      Owner: t.accountId,
      SubscriptionsPending: String(counts.pending),
      TopicArn: topicArn(t),
      EffectiveDeliveryPolicy: t.attributes.DeliveryPolicy || DEFAULT_EFFECTIVE_DELIVERY_POLICY,
      SubscriptionsConfirmed: String(counts.confirmed),
      DisplayName: "",
      // Deleted subscriptions are gone at once in iamlab.
      SubscriptionsDeleted: "0",
      ...t.attributes,
    };
    return { Attributes: out };
  },
});

export const SetTopicAttributes = defineAction({
  service: "sns",
  name: "SetTopicAttributes",
  // `permissions`: a Policy changes who can do what (any other attribute moves no generation).
  effect: "permissions",
  input: {},
  load: loadByTopicArn,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: async (i, ctx, t: TopicRow) => {
    const { AttributeName: name = "", AttributeValue: value = "" } = i as { AttributeName?: string; AttributeValue?: string };
    // An empty Policy restores the default one (unconfirmed; AWS refuses an empty document otherwise).
    if (name === "Policy") {
      await writePolicy(ctx, t, value === "" ? defaultTopicPolicy(topicArn(t), t.accountId) : validateTopicPolicy(value));
      return {};
    }
    const attributes = { ...t.attributes };
    if (value === "" && name !== "DisplayName") {
      checkTopicAttribute(name, "", isFifoTopic(t), false);
      delete attributes[name];
    } else attributes[name] = checkTopicAttribute(name, value, isFifoTopic(t), false);
    if (!(await updateTopicAttributes(ctx.db, { ...t, attributes }))) throw snsErr.topicNotFound();
    return {};
  },
});

export const AddPermission = defineAction({
  service: "sns",
  name: "AddPermission",
  effect: "permissions",
  input: {},
  load: loadByTopicArn,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: async (i, ctx, t: TopicRow) => {
    const input = i as { Label?: string; AWSAccountId?: string[]; ActionName?: string[] };
    await writePolicy(
      ctx,
      t,
      addPermissionStatement(t.policy, topicArn(t), input.Label ?? "", input.AWSAccountId ?? [], input.ActionName ?? []),
    );
    return {};
  },
});

export const RemovePermission = defineAction({
  service: "sns",
  name: "RemovePermission",
  effect: "permissions",
  input: {},
  load: loadByTopicArn,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: async (i, ctx, t: TopicRow) => {
    const policy = removePermissionStatement(t.policy, (i as { Label?: string }).Label ?? "");
    // An unknown label changes nothing: no write, no generation.
    if (policy !== t.policy) await writePolicy(ctx, t, policy);
    return {};
  },
});

/** The topic a tagging call's ResourceArn names; SNS answers ResourceNotFound for an unknown one. */
async function loadResource(i: object, ctx: ActionContext): Promise<TopicRow> {
  const key = parseTopicArn((i as { ResourceArn?: string }).ResourceArn, ctx.request.region, "ResourceArn");
  const t = await getTopic(ctx.db, key);
  if (!t) throw snsErr.resourceNotFound();
  return t;
}

export const TagResource = defineAction({
  service: "sns",
  name: "TagResource",
  effect: "none",
  input: {},
  load: loadResource,
  target: (i, _ctx, t: TopicRow) => {
    const tags: Record<string, string> = {};
    for (const x of (i as { Tags?: Tag[] }).Tags ?? []) if (x.Key !== undefined) tags[x.Key] = x.Value ?? "";
    return topicTarget(t, requestTags(tags));
  },
  handler: async (i, ctx, t: TopicRow) => {
    const tags = { ...t.tags, ...tagMap((i as { Tags?: Tag[] }).Tags) };
    const limit = tagLimit(tags);
    if (limit) throw limit;
    if (!(await updateTopicTags(ctx.db, t, tags))) throw snsErr.resourceNotFound();
    return {};
  },
});

export const UntagResource = defineAction({
  service: "sns",
  name: "UntagResource",
  effect: "none",
  input: {},
  load: loadResource,
  target: (i, _ctx, t: TopicRow) => {
    const keys = (i as { TagKeys?: string[] }).TagKeys ?? [];
    return topicTarget(t, keys.length ? { "aws:TagKeys": keys } : undefined);
  },
  handler: async (i, ctx, t: TopicRow) => {
    const tags = { ...t.tags };
    for (const k of (i as { TagKeys?: string[] }).TagKeys ?? []) delete tags[k];
    if (!(await updateTopicTags(ctx.db, t, tags))) throw snsErr.resourceNotFound();
    return {};
  },
});

export const ListTagsForResource = defineAction({
  service: "sns",
  name: "ListTagsForResource",
  effect: "read",
  input: {},
  load: loadResource,
  target: (_i, _ctx, t: TopicRow) => topicTarget(t),
  handler: (_i, _ctx, t: TopicRow) => ({ Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) }),
});

export const topicActions: RegisteredAction[] = [
  CreateTopic,
  DeleteTopic,
  ListTopics,
  GetTopicAttributes,
  SetTopicAttributes,
  AddPermission,
  RemovePermission,
  TagResource,
  UntagResource,
  ListTagsForResource,
];
