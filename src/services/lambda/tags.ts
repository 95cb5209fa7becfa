/** Lambda tags: TagResource, UntagResource, ListTags (the function named by its ARN), and CreateFunction's tag context. */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { lambdaErr } from "./common";
import { functionTarget, loadFunction, type LoadedFunction } from "./target";
import { updateFunction } from "../../store/lambda-functions";

/** aws:RequestTag/… and aws:TagKeys of a call that sets tags. */
export function requestTagContext(tags: Record<string, string> | undefined): Record<string, string | string[]> | undefined {
  if (!tags || !Object.keys(tags).length) return undefined;
  return { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), "aws:TagKeys": Object.keys(tags) };
}

/** Tagging names the function by its full ARN (a name alone is not a resource ARN to Lambda). */
function loadTagged(ctx: ActionContext, resource: string): Promise<LoadedFunction> {
  if (!/^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+$/.test(resource))
    throw lambdaErr.validation(
      resource,
      "resource",
      "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+)",
    );
  return loadFunction(ctx, resource);
}

function existingRow(l: LoadedFunction) {
  if (!l.row) throw lambdaErr.notFound(l.arn);
  return l.row;
}

async function writeTags(ctx: ActionContext, l: LoadedFunction, tags: Record<string, string>): Promise<void> {
  const f = existingRow(l);
  const outcome = await updateFunction(ctx.db, f, f.revisionId, { tags, revisionId: crypto.randomUUID() });
  if (outcome === "missing") throw lambdaErr.notFound(l.arn);
  if (outcome === "conflict")
    throw lambdaErr.conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${l.arn}`);
}

export const TagResource = defineAction({
  service: "lambda",
  name: "TagResource",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadTagged(ctx, (i as { Resource: string }).Resource),
  target: (i, _ctx, l: LoadedFunction) => functionTarget(l, requestTagContext((i as { Tags: Record<string, string> }).Tags)),
  handler: async (i, ctx, l: LoadedFunction) => {
    const tags = (i as { Tags: Record<string, string> }).Tags;
    const merged = { ...existingRow(l).tags, ...tags };
    if (Object.keys(merged).length > 50) throw lambdaErr.invalidParameter("Number of tags exceeds resource tag limit.");
    await writeTags(ctx, l, merged);
    return undefined;
  },
});

export const UntagResource = defineAction({
  service: "lambda",
  name: "UntagResource",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadTagged(ctx, (i as { Resource: string }).Resource),
  target: (i, _ctx, l: LoadedFunction) => functionTarget(l, { "aws:TagKeys": (i as { TagKeys: string[] }).TagKeys }),
  handler: async (i, ctx, l: LoadedFunction) => {
    const drop = new Set((i as { TagKeys: string[] }).TagKeys);
    const kept = Object.fromEntries(Object.entries(existingRow(l).tags).filter(([k]) => !drop.has(k)));
    await writeTags(ctx, l, kept);
    return undefined;
  },
});

export const ListTags = defineAction({
  service: "lambda",
  name: "ListTags",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadTagged(ctx, (i as { Resource: string }).Resource),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: (_i, _ctx, l: LoadedFunction) => ({ Tags: existingRow(l).tags }) as never,
});

export const tagActions: RegisteredAction[] = [TagResource, UntagResource, ListTags];
