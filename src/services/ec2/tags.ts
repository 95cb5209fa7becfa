/**
 * CreateTags / DeleteTags on instances (the only taggable EC2 resource iamlab keeps). Authorized per
 * instance with aws:RequestTag/…, aws:TagKeys and the instance's own tags; all resources change in
 * one transaction or none does.
 */
import { defineAction, type HandlerContext, type RegisteredAction } from "../action";
import { setInstanceTags, type Ec2Tag } from "../../store/ec2-instances";
import { authorizeOnInstances, checkTags, dryRunSucceeded, ec2err, MAX_TAGS, requestTagContext } from "./common";
import { loadInstances } from "./instances";

interface TagsInput {
  Resources?: string[];
  Tags?: { Key?: string; Value?: string }[];
  DryRun?: boolean;
}

/** The instance ids among `resources`; anything else is not an id iamlab knows (AWS: InvalidID for an id of no known type). */
function instanceIdsOf(resources: readonly string[] | undefined): readonly string[] {
  const list = resources ?? [];
  if (!list.length) throw ec2err("MissingParameter", "The request must contain the parameter resourceIdSet");
  for (const r of list) if (!r.startsWith("i-")) throw ec2err("InvalidID", `The ID '${r}' is not valid`);
  return list;
}

async function retag(
  ctx: HandlerContext,
  input: TagsInput,
  action: string,
  tags: Ec2Tag[],
  apply: (current: readonly Ec2Tag[]) => Ec2Tag[],
): Promise<undefined> {
  const instances = await loadInstances(ctx, instanceIdsOf(input.Resources));
  await authorizeOnInstances(ctx, action, instances, requestTagContext(tags));
  if (input.DryRun) throw dryRunSucceeded();
  const next = new Map(instances.map((v) => [v.instanceId, apply(v.tags)]));
  for (const t of next.values()) if (t.length > MAX_TAGS) checkTags(t);
  await setInstanceTags(ctx.db, ctx.caller.principal.account, next);
  return undefined;
}

export const CreateTags = defineAction({
  service: "ec2",
  name: "CreateTags",
  effect: "none",
  input: {},
  handler: (i, ctx) => {
    const input = i as TagsInput;
    const tags = (input.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
    if (!tags.length) throw ec2err("MissingParameter", "The request must contain the parameter tagSet");
    checkTags(tags);
    return retag(ctx, input, "ec2:CreateTags", tags, (current) => {
      const out = current.filter((c) => !tags.some((t) => t.Key === c.Key));
      return [...out, ...tags];
    });
  },
});

export const DeleteTags = defineAction({
  service: "ec2",
  name: "DeleteTags",
  effect: "none",
  input: {},
  handler: (i, ctx) => {
    const input = i as TagsInput;
    const given = input.Tags ?? [];
    // Without Tags, DeleteTags removes every tag; a tag with a Value is removed only when the value matches.
    const asContext = given.map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
    return retag(ctx, input, "ec2:DeleteTags", asContext, (current) =>
      given.length ? current.filter((c) => !given.some((t) => t.Key === c.Key && (t.Value === undefined || t.Value === c.Value))) : [],
    );
  },
});

export const tagActions: RegisteredAction[] = [CreateTags, DeleteTags];
