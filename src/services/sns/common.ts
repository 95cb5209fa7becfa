/**
 * What every SNS action shares: SNS's errors (InvalidParameter, NotFound … in SNS's wording), topic
 * and subscription ARNs, loading the topic an ARN names, and the authorization target — the topic
 * ARN in the owner's account with the topic policy as its resource policy, so the engine applies
 * AWS's rules (same account: identity policy OR topic policy; across accounts: both).
 */
import { AwsError } from "../../protocol/errors";
import type { ActionContext, AuthzTarget } from "../action";
import { getTopic, type TopicKey, type TopicRow } from "../../store/sns";

/** SNS's error codes (API reference, common errors); messages as SNS words them where reported. */
export const snsErr = {
  /** `InvalidParameter`: "Invalid parameter: <what>" is SNS's own shape. */
  invalidParameter: (what: string) => new AwsError("InvalidParameter", `Invalid parameter: ${what}`, 400),
  invalidParameterValue: (m: string) => new AwsError("InvalidParameterValue", m, 400),
  topicNotFound: () => new AwsError("NotFound", "Topic does not exist", 404),
  subscriptionNotFound: () => new AwsError("NotFound", "Subscription does not exist", 404),
  resourceNotFound: () => new AwsError("ResourceNotFound", "Resource does not exist", 404),
  authorization: (m: string) => new AwsError("AuthorizationError", m, 403),
};

export const topicArn = (t: TopicKey): string => `arn:aws:sns:${t.region}:${t.accountId}:${t.name}`;
export const subscriptionArn = (t: TopicKey, id: string): string => `${topicArn(t)}:${id}`;
export const isFifoTopic = (t: Pick<TopicKey, "name">): boolean => t.name.endsWith(".fifo");

/**
 * The topic an ARN names (`what`: the parameter, for the error): SNS's answers to a malformed ARN
 * ("… Reason: x does not start with arn", "… An ARN must have at least 6 elements, not N"), and
 * "Invalid parameter: TopicArn" for another service's ARN or another region than the request's.
 */
export function parseTopicArn(arn: string | undefined, region: string, what = "TopicArn"): TopicKey {
  if (arn === undefined || arn === "") throw snsErr.invalidParameter(`${what} Reason: no value for required parameter`);
  if (!arn.startsWith("arn:")) throw snsErr.invalidParameter(`${what} Reason: ${arn.slice(0, 256)} does not start with arn`);
  const parts = arn.split(":");
  if (parts.length < 6) throw snsErr.invalidParameter(`${what} Reason: An ARN must have at least 6 elements, not ${parts.length}`);
  const [, , service, r, account, ...rest] = parts;
  const name = rest.join(":");
  if (service !== "sns" || r !== region || !/^\d{12}$/.test(account!) || !/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name))
    throw snsErr.invalidParameter(what);
  return { accountId: account!, region: r!, name };
}

/** A subscription ARN: its topic and id (SNS: "Invalid parameter: SubscriptionArn" otherwise). */
export function parseSubscriptionArn(arn: string | undefined, region: string): { topic: TopicKey; id: string } {
  if (arn === undefined || arn === "") throw snsErr.invalidParameter("SubscriptionArn Reason: no value for required parameter");
  const parts = arn.split(":");
  if (parts.length < 6 && arn.startsWith("arn:"))
    throw snsErr.invalidParameter(`SubscriptionArn Reason: An ARN must have at least 6 elements, not ${parts.length}`);
  const id = parts.length === 7 ? parts[6]! : "";
  if (!/^[0-9a-f-]{36}$/.test(id)) throw snsErr.invalidParameter("SubscriptionId");
  return { topic: parseTopicArn(parts.slice(0, 6).join(":"), region, "SubscriptionArn"), id };
}

/** The topic a TopicArn names, or NotFound. */
export async function loadTopic(ctx: ActionContext, arn: string | undefined, what = "TopicArn"): Promise<TopicRow> {
  const t = await getTopic(ctx.db, parseTopicArn(arn, ctx.request.region, what));
  if (!t) throw snsErr.topicNotFound();
  return t;
}

/** `load` of the actions whose input names the topic in TopicArn. */
export const loadByTopicArn = (i: object, ctx: ActionContext): Promise<TopicRow> => loadTopic(ctx, (i as { TopicArn?: string }).TopicArn);

/** The authorization target of a call on the topic: its policy as the resource policy, its tags as aws:ResourceTag. */
export function topicTarget(t: TopicRow, extra?: Record<string, string | string[]>): AuthzTarget {
  const arn = topicArn(t);
  const context: Record<string, string | string[]> = { "aws:ResourceAccount": t.accountId };
  for (const [k, v] of Object.entries(t.tags)) context[`aws:ResourceTag/${k}`] = v;
  if (extra) Object.assign(context, extra);
  const target: AuthzTarget = { resource: arn, resourceAccount: t.accountId, context, deniedMessage: "sns" };
  // RemovePermission of the last statement leaves `"Statement":[]` (written by us, so in this exact form): no policy.
  if (!t.policy.includes('"Statement":[]')) target.resourcePolicies = [{ id: arn, json: t.policy, kind: "resource" }];
  // A policy change still propagating (the owner lagged): the engine applies the policy in force. A
  // topic always has a policy, so one absent from the snapshot was created after it: the stored one applies.
  if (t.policyGeneration !== undefined)
    target.pendingResourcePolicy = { id: arn, account: t.accountId, generation: t.policyGeneration, alwaysHasPolicy: true };
  return target;
}

/** Opaque page tokens: base64 of the last key of the page. */
export function pageToken(last: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(last)));
}

export function fromPageToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(token), (c) => c.charCodeAt(0)));
  } catch {
    throw snsErr.invalidParameter("NextToken");
  }
}
