/**
 * What every SQS action shares: finding the queue a QueueUrl names, its ARN and URL, its Durable
 * Object, and the authorization target — the queue ARN in the owner's account with the queue policy
 * as its resource policy, so the engine applies AWS's rules (same account: identity policy OR queue
 * policy; across accounts: both; a policy naming an account delegates to its identity policies).
 */
import { durableStub } from "../../lib/durable";
import { AwsError } from "../../protocol/errors";
import type { ActionContext, AuthzTarget } from "../action";
import { getQueue, type QueueRow } from "../../store/sqs-queues";
import { cachedRow } from "../data-rows";
import { INT_ATTRIBUTES, parseQueueUrl, sqsErr } from "./attributes";
import type { QueueSettings } from "./queue-do";
import { QUEUE_DELETED, QUEUE_FULL } from "./tombstone";
import { afterDataWrite } from "../../cache/index";

export const queueArn = (q: Pick<QueueRow, "region" | "accountId" | "name">): string => `arn:aws:sqs:${q.region}:${q.accountId}:${q.name}`;

/** The queue's URL on the endpoint the client called (AWS's own endpoint when unknown). */
export function queueUrl(ctx: ActionContext, q: Pick<QueueRow, "accountId" | "name">): string {
  const origin = ctx.request.origin ?? `https://sqs.${ctx.request.region}.amazonaws.com`;
  return `${origin}/${q.accountId}/${encodeURIComponent(q.name)}`;
}

/** AWS's answer to a QueueUrl it cannot read (wording as SQS reports it; unconfirmed for JSON). */
const invalidAddress = (url: string): AwsError => new AwsError("InvalidAddress", `The address ${url} is not valid for this endpoint.`, 404);

/**
 * The queue `account`'s queue `name`, through the isolate's cache of queue rows (../data-rows.ts):
 * a warm SendMessage or ReceiveMessage reads no D1.
 */
export function findQueue(ctx: ActionContext, account: string, name: string): Promise<QueueRow | undefined> {
  return cachedRow(
    ctx,
    `sqs:${account}/${name}`,
    (q: QueueRow) => q.accountId,
    () => getQueue(ctx.db, account, name),
  );
}

/** The queue a QueueUrl names, or QueueDoesNotExist. */
export async function loadQueue(ctx: ActionContext, url: string | undefined): Promise<QueueRow> {
  if (url === undefined || url === "") throw sqsErr.missingParameter("QueueUrl");
  const ref = parseQueueUrl(url);
  if (!ref) throw invalidAddress(url);
  const q = await findQueue(ctx, ref.account, ref.name);
  if (!q) throw sqsErr.nonExistentQueue();
  return q;
}

/** The authorization target of a call on the queue. */
export function queueTarget(q: QueueRow): AuthzTarget {
  const arn = queueArn(q);
  const t: AuthzTarget = { resource: arn, resourceAccount: q.accountId, deniedMessage: "sqs" };
  if (q.policy !== undefined) t.resourcePolicies = [{ id: arn, json: q.policy, kind: "resource" }];
  // A policy change still propagating (the owner lagged): the engine applies the policy in force.
  if (q.policyGeneration !== undefined) t.pendingResourcePolicy = { id: arn, account: q.accountId, generation: q.policyGeneration };
  const context: Record<string, string> = { "aws:ResourceAccount": q.accountId };
  for (const [k, v] of Object.entries(q.tags)) context[`aws:ResourceTag/${k}`] = v;
  t.context = context;
  return t;
}

export function queueStub(ctx: ActionContext, q: Pick<QueueRow, "queueId" | "accountId">) {
  return durableStub(ctx.env.SQS_QUEUES, q.queueId, "SQS_QUEUES", q.accountId);
}

/**
 * One call to the queue's Durable Object. A queue deleted by another isolate while this one still
 * held its row (the row cache's TTL) answers QueueDoesNotExist, and the stale row is dropped.
 */
export async function onQueue<T>(ctx: ActionContext, q: QueueRow, call: (stub: ReturnType<typeof queueStub>) => Promise<T>): Promise<T> {
  try {
    return await call(queueStub(ctx, q));
  } catch (e) {
    // hosted (issue 22): the sandbox's cap on stored messages — SQS's OverLimit (403, "violates a limit").
    const full = e instanceof Error ? new RegExp(`${QUEUE_FULL} (\\d+)`).exec(e.message) : null;
    if (full)
      throw new AwsError(
        "OverLimit",
        `The queue holds the sandbox's maximum of ${full[1]} messages (IAMLAB_MAX_QUEUE_MESSAGES); receive and delete some first.`,
        403,
      );
    if (!(e instanceof Error) || !e.message.includes(QUEUE_DELETED)) throw e;
    afterDataWrite(q.accountId);
    throw sqsErr.nonExistentQueue();
  }
}

export const isFifo = (q: Pick<QueueRow, "name">): boolean => q.name.endsWith(".fifo");

export function intAttribute(q: Pick<QueueRow, "attributes">, name: keyof typeof INT_ATTRIBUTES): number {
  const v = Number(q.attributes[name]);
  return Number.isFinite(v) ? v : INT_ATTRIBUTES[name]!.default;
}

export function settings(q: QueueRow): QueueSettings {
  return { retentionMs: intAttribute(q, "MessageRetentionPeriod") * 1000, fifo: isFifo(q) };
}
