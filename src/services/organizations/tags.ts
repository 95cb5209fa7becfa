/**
 * Tags of an organization's accounts, OUs, root and customer policies: TagResource / UntagResource /
 * ListTagsForResource (management account only), authorized on the tagged resource's ARN with
 * aws:RequestTag/… and aws:TagKeys.
 */
import { defineAction, type ActionContext, type AuthzTarget, type RegisteredAction } from "../action";
import { getMember, getOu, getPolicy, type OrgRow } from "../../store/org-organizations";
import { listOrgTags, putOrgTags, removeOrgTags } from "../../store/org-tags";
import { loadOrg, managedOrg, orgChanged, orgErrors, policyArn, targetArn } from "./common";
import { MAX_TAGS, tagLimit, validateTags, type TagInput } from "./tag-rules";

interface Tagged {
  org?: OrgRow;
  /** the resource's ARN; undefined when it does not exist */
  arn?: string;
}

/** The resource a ResourceId names in the caller's organization: root, OU, account or customer policy. */
async function loadTagged(ctx: ActionContext, id: string): Promise<Tagged> {
  const org = await loadOrg(ctx);
  if (!org) return {};
  if (id === org.rootId) return { org, arn: targetArn(org, id) };
  if (id.startsWith("ou-")) return (await getOu(ctx.db, org.orgId, id)) ? { org, arn: targetArn(org, id) } : { org };
  if (id.startsWith("p-")) {
    const p = await getPolicy(ctx.db, org.orgId, id);
    return p ? { org, arn: policyArn(org, id, p.type) } : { org };
  }
  return (await getMember(ctx.db, org.orgId, id)) ? { org, arn: targetArn(org, id) } : { org };
}

/** aws:RequestTag/… and aws:TagKeys of a tagging request. */
export function tagContext(tags: readonly TagInput[]): Record<string, string | string[]> {
  return { ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value ?? ""])), "aws:TagKeys": tags.map((t) => t.Key) };
}

const taggedTarget = (t: Tagged, context?: Record<string, string | string[]>): AuthzTarget => {
  const out: AuthzTarget = { resource: t.arn ?? "*" };
  if (context) out.context = context;
  return out;
};

async function existing(ctx: ActionContext, t: Tagged): Promise<OrgRow> {
  const org = await managedOrg(ctx, t.org);
  if (!t.arn) throw orgErrors.targetNotFound();
  return org;
}

interface TagResourceInput {
  ResourceId: string;
  Tags: TagInput[];
}

export const TagResource = defineAction({
  service: "organizations",
  name: "TagResource",
  effect: "none",
  input: {},
  load: (i, ctx) => loadTagged(ctx, (i as TagResourceInput).ResourceId),
  target: (i, _ctx, t: Tagged) => taggedTarget(t, tagContext((i as TagResourceInput).Tags ?? [])),
  handler: async (i, ctx, t: Tagged) => {
    const input = i as TagResourceInput;
    const org = await existing(ctx, t);
    const tags = validateTags(input.Tags ?? []);
    if (!(await putOrgTags(ctx.db, org, input.ResourceId, tags, MAX_TAGS))) throw tagLimit();
    await orgChanged(ctx, org);
    return {};
  },
});

interface UntagResourceInput {
  ResourceId: string;
  TagKeys: string[];
}

export const UntagResource = defineAction({
  service: "organizations",
  name: "UntagResource",
  effect: "none",
  input: {},
  load: (i, ctx) => loadTagged(ctx, (i as UntagResourceInput).ResourceId),
  target: (i, _ctx, t: Tagged) => taggedTarget(t, { "aws:TagKeys": (i as UntagResourceInput).TagKeys ?? [] }),
  handler: async (i, ctx, t: Tagged) => {
    const input = i as UntagResourceInput;
    const org = await existing(ctx, t);
    await removeOrgTags(ctx.db, org.orgId, input.ResourceId, input.TagKeys ?? []);
    await orgChanged(ctx, org);
    return {};
  },
});

export const ListTagsForResource = defineAction({
  service: "organizations",
  name: "ListTagsForResource",
  effect: "read",
  input: {},
  load: (i, ctx) => loadTagged(ctx, (i as { ResourceId: string }).ResourceId),
  target: (_i, _ctx, t: Tagged) => taggedTarget(t),
  handler: async (i, ctx: ActionContext, t: Tagged) => {
    const org = await existing(ctx, t);
    const tags = await listOrgTags(ctx.db, org.orgId, (i as { ResourceId: string }).ResourceId);
    return { Tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })) };
  },
});

export const tagActions: RegisteredAction[] = [TagResource, UntagResource, ListTagsForResource];
