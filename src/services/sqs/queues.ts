/**
 * SQS queues (JSON 1.0, and the legacy Query form through the same model): CreateQueue, GetQueueUrl,
 * ListQueues, DeleteQueue, Get/SetQueueAttributes, PurgeQueue, tags, AddPermission/RemovePermission.
 * Metadata in D1 (src/store/sqs-queues.ts); messages in each queue's Durable Object (./queue-do.ts).
 * Queue policy writes (SetQueueAttributes, AddPermission, RemovePermission) follow the owner
 * account's eventual-consistency mode exactly as S3's bucket policies do: they are `permissions`
 * writes, and a change made while the owner lags is enforced only once its generation reaches the
 * data plane (queueTarget → src/consistency/resource-policies.ts), while GetQueueAttributes — the
 * control plane — shows it at once. CreateQueue's Policy is in force at once (a new queue has no
 * previous policy to keep enforcing). The other writes are data-plane writes (effect `none`).
 */
import { defineAction, type ActionContext, type HandlerContext, type RegisteredAction } from "../action";
import {
  deleteQueue,
  insertQueue,
  listQueues,
  updateQueueAttributes,
  updateQueuePolicy,
  updateQueueTags,
  type QueueRow,
} from "../../store/sqs-queues";
import { ALL_ATTRIBUTE_NAMES, checkAttributes, checkQueueName, differingAttribute, sqsErr, withDefaults } from "./attributes";
import { validateQueuePolicy } from "./policy";
import { findQueue, isFifo, loadQueue, onQueue, queueArn, queueStub, queueTarget, queueUrl, settings } from "./common";
import { addPermissionStatement, removePermissionStatement } from "./permissions";

interface QueueUrlInput {
  QueueUrl?: string;
}

const loadByUrl = (i: object, ctx: ActionContext): Promise<QueueRow> => loadQueue(ctx, (i as QueueUrlInput).QueueUrl);

/**
 * Writes the queue's attributes and policy (`permissions`): in a lagging owner account the row
 * records the generation of the change. A caller of another account (allowed by the queue policy)
 * writes a policy in force at once: the change is not in its own account's log.
 */
async function writePolicy(ctx: HandlerContext, q: QueueRow): Promise<void> {
  const lagging = ctx.caller.consistency !== undefined && ctx.caller.principal.account === q.accountId;
  if (!(await updateQueuePolicy(ctx.write, q, Math.floor(ctx.request.now / 1000), lagging))) throw sqsErr.nonExistentQueue();
}

/** The queue policy of an Attributes map: validated text, null to remove, undefined when not given. */
function policyOf(attrs: Readonly<Record<string, string>>): string | null | undefined {
  if (!("Policy" in attrs)) return undefined;
  return validateQueuePolicy(attrs.Policy!) ?? null;
}

export const CreateQueue = defineAction({
  service: "sqs",
  name: "CreateQueue",
  effect: "none",
  input: {},
  target: (i, ctx: ActionContext) => {
    const name = (i as { QueueName?: string }).QueueName ?? "";
    return {
      resource: queueArn({ region: ctx.request.region, accountId: ctx.caller.principal.account, name }),
      deniedMessage: "sqs" as const,
    };
  },
  handler: async (i, ctx) => {
    const input = i as { QueueName?: string; Attributes?: Record<string, string>; tags?: Record<string, string> };
    const name = input.QueueName;
    if (name === undefined || name === "") throw sqsErr.missingParameter("QueueName");
    const given = input.Attributes ?? {};
    const fifo = name.endsWith(".fifo") || /^true$/i.test(given.FifoQueue ?? "");
    checkQueueName(name, fifo);
    const attrs = checkAttributes(given, fifo, true);
    const policy = policyOf(given);
    const account = ctx.caller.principal.account;
    const t = Math.floor(ctx.request.now / 1000);
    const row: QueueRow = {
      accountId: account,
      name,
      queueId: crypto.randomUUID(),
      region: ctx.request.region,
      createdAt: t,
      modifiedAt: t,
      attributes: withDefaults(fifo, attrs),
      tags: input.tags ?? {},
    };
    if (policy) row.policy = policy;
    const out = await insertQueue(ctx.db, row);
    if (!out.ok) {
      // The same name again: the existing queue's URL, unless an attribute given differs.
      const differs = differingAttribute(out.existing.attributes, out.existing.policy, attrs, policy ?? undefined);
      if (differs) throw sqsErr.queueExists(differs);
    }
    return { QueueUrl: queueUrl(ctx, row) };
  },
});

export const GetQueueUrl = defineAction({
  service: "sqs",
  name: "GetQueueUrl",
  effect: "read",
  input: {},
  load: async (i, ctx: ActionContext) => {
    const input = i as { QueueName?: string; QueueOwnerAWSAccountId?: string };
    if (!input.QueueName) throw sqsErr.missingParameter("QueueName");
    const q = await findQueue(ctx, input.QueueOwnerAWSAccountId ?? ctx.caller.principal.account, input.QueueName);
    if (!q) throw sqsErr.nonExistentQueue();
    return q;
  },
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: (_i, ctx, q: QueueRow) => ({ QueueUrl: queueUrl(ctx, q) }),
});

export const ListQueues = defineAction({
  service: "sqs",
  name: "ListQueues",
  effect: "read",
  input: {},
  target: () => ({ resource: "*", deniedMessage: "sqs" as const }),
  handler: async (i, ctx) => {
    const input = i as { QueueNamePrefix?: string; MaxResults?: number; NextToken?: string };
    const max = input.MaxResults;
    if (max !== undefined && (max < 1 || max > 1000))
      throw sqsErr.invalidParameter("MaxResults", String(max), "MaxResults must be an integer between 1 and 1000.");
    let after: string | undefined;
    if (input.NextToken !== undefined) {
      try {
        after = new TextDecoder().decode(Uint8Array.from(atob(input.NextToken), (c) => c.charCodeAt(0)));
      } catch {
        throw sqsErr.invalidParameterValue("Invalid NextToken value.");
      }
    }
    // Without MaxResults SQS answers up to 1,000 queues and no token.
    const limit = max ?? 1000;
    const rows = await listQueues(ctx.db, ctx.caller.principal.account, input.QueueNamePrefix ?? "", after, limit + 1);
    const page = rows.slice(0, limit);
    const out: { QueueUrls?: string[]; NextToken?: string } = {};
    if (page.length) out.QueueUrls = page.map((q) => queueUrl(ctx, q));
    if (max !== undefined && rows.length > limit) {
      const last = new TextEncoder().encode(page[page.length - 1]!.name);
      out.NextToken = btoa(String.fromCharCode(...last));
    }
    return out;
  },
});

export const DeleteQueue = defineAction({
  service: "sqs",
  name: "DeleteQueue",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (_i, ctx, q: QueueRow) => {
    if (await deleteQueue(ctx.db, q)) await queueStub(ctx, q).forget();
    return {};
  },
});

export const GetQueueAttributes = defineAction({
  service: "sqs",
  name: "GetQueueAttributes",
  effect: "read",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const names = (i as { AttributeNames?: string[] }).AttributeNames ?? [];
    for (const n of names) if (n !== "All" && !ALL_ATTRIBUTE_NAMES.has(n)) throw sqsErr.unknownAttribute(n);
    const all = names.includes("All");
    const want = (n: string): boolean => all || names.includes(n);
    const out: Record<string, string> = {};
    const counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"];
    if (counts.some(want)) {
      const s = await onQueue(ctx, q, (stub) => stub.stats(ctx.request.now, settings(q).retentionMs));
      if (want(counts[0]!)) out.ApproximateNumberOfMessages = String(s.visible);
      if (want(counts[1]!)) out.ApproximateNumberOfMessagesNotVisible = String(s.inFlight);
      if (want(counts[2]!)) out.ApproximateNumberOfMessagesDelayed = String(s.delayed);
    }
    for (const [k, v] of Object.entries(q.attributes)) if (want(k)) out[k] = v;
    if (q.policy !== undefined && want("Policy")) out.Policy = q.policy;
    if (want("CreatedTimestamp")) out.CreatedTimestamp = String(q.createdAt);
    if (want("LastModifiedTimestamp")) out.LastModifiedTimestamp = String(q.modifiedAt);
    if (want("QueueArn")) out.QueueArn = queueArn(q);
    if (isFifo(q) && want("FifoQueue")) out.FifoQueue = "true";
    return Object.keys(out).length ? { Attributes: out } : {};
  },
});

export const SetQueueAttributes = defineAction({
  service: "sqs",
  name: "SetQueueAttributes",
  // `permissions`: a Policy changes who can do what (without one, the write moves no generation).
  effect: "permissions",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const given = (i as { Attributes?: Record<string, string> }).Attributes ?? {};
    const attrs = checkAttributes(given, isFifo(q), false);
    const policy = policyOf(given);
    const next = { ...q, attributes: { ...q.attributes, ...attrs } };
    if (policy === undefined) {
      if (!(await updateQueueAttributes(ctx.db, next, Math.floor(ctx.request.now / 1000)))) throw sqsErr.nonExistentQueue();
      return {};
    }
    if (policy === null) delete next.policy;
    else next.policy = policy;
    await writePolicy(ctx, next);
    return {};
  },
});

export const PurgeQueue = defineAction({
  service: "sqs",
  name: "PurgeQueue",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  // SQS allows one purge per 60 seconds (PurgeQueueInProgress); iamlab purges at once, every time.
  handler: async (_i, ctx, q: QueueRow) => {
    await onQueue(ctx, q, (stub) => stub.purge());
    return {};
  },
});

/** SQS tags: at most 50 per queue; keys 1–128 characters, values up to 256. */
function checkTags(tags: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(tags)) {
    // Wording unconfirmed.
    if (k.length < 1 || k.length > 128 || v.length > 256) throw sqsErr.invalidParameterValue(`Tag ${k} is invalid.`);
  }
  if (Object.keys(tags).length > 50) throw sqsErr.invalidParameterValue("Too many tags added for queue.");
}

export const TagQueue = defineAction({
  service: "sqs",
  name: "TagQueue",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const tags = { ...q.tags, ...((i as { Tags?: Record<string, string> }).Tags ?? {}) };
    checkTags(tags);
    if (!(await updateQueueTags(ctx.db, q, tags))) throw sqsErr.nonExistentQueue();
    return {};
  },
});

export const UntagQueue = defineAction({
  service: "sqs",
  name: "UntagQueue",
  effect: "none",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const tags = { ...q.tags };
    for (const k of (i as { TagKeys?: string[] }).TagKeys ?? []) delete tags[k];
    if (!(await updateQueueTags(ctx.db, q, tags))) throw sqsErr.nonExistentQueue();
    return {};
  },
});

export const ListQueueTags = defineAction({
  service: "sqs",
  name: "ListQueueTags",
  effect: "read",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: (_i, _ctx, q: QueueRow) => (Object.keys(q.tags).length ? { Tags: q.tags } : {}),
});

export const AddPermission = defineAction({
  service: "sqs",
  name: "AddPermission",
  effect: "permissions",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const input = i as { Label?: string; AWSAccountIds?: string[]; Actions?: string[] };
    const policy = addPermissionStatement(q, input.Label, input.AWSAccountIds ?? [], input.Actions ?? []);
    await writePolicy(ctx, { ...q, policy });
    return {};
  },
});

export const RemovePermission = defineAction({
  service: "sqs",
  name: "RemovePermission",
  effect: "permissions",
  input: {},
  load: loadByUrl,
  target: (_i, _ctx, q: QueueRow) => queueTarget(q),
  handler: async (i, ctx, q: QueueRow) => {
    const policy = removePermissionStatement(q, (i as { Label?: string }).Label);
    const next: QueueRow = { ...q };
    if (policy === undefined) delete next.policy;
    else next.policy = policy;
    await writePolicy(ctx, next);
    return {};
  },
});

export const queueActions: RegisteredAction[] = [
  CreateQueue,
  GetQueueUrl,
  ListQueues,
  DeleteQueue,
  GetQueueAttributes,
  SetQueueAttributes,
  PurgeQueue,
  TagQueue,
  UntagQueue,
  ListQueueTags,
  AddPermission,
  RemovePermission,
];
