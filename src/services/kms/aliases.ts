/**
 * KMS aliases: CreateAlias, ListAliases, DeleteAlias. An alias is a name (`alias/…`) for one key of
 * its account and region. As on AWS, creating or deleting one needs the permission twice: on the
 * alias (identity-based policies only — an alias has no policy of its own) and on the key (its key
 * policy, as for any call on the key); the key's check is the action's target, the alias's runs in
 * the handler.
 */
import type { XmlValue } from "../../protocol/xml";
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { authorizeCall } from "../../authz/authorize";
import { createAlias, deleteAlias, getAlias, getKey, listAliases, type KeyRow } from "../../store/kms-keys";
import { checkLimit } from "./keys";
import { aliasArn, keyArn, kmsErr, kmsTarget, regionOf, resolveKey } from "./common";

const ALIAS_NAME = /^alias\/[a-zA-Z0-9:/_-]+$/;

function checkAliasName(name: string): void {
  if (name.length > 256 || !ALIAS_NAME.test(name))
    throw kmsErr.validation(
      `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`,
    );
  // AWS reserves the prefix for AWS managed keys (exception and wording as moto answers; unconfirmed against AWS).
  if (name.startsWith("alias/aws/")) throw kmsErr.notAuthorized(`${name} is reserved for AWS managed keys.`);
}

const aliasResource = (ctx: ActionContext, name: string): string => aliasArn(regionOf(ctx), ctx.caller.principal.account, name);

export const CreateAlias = defineAction({
  service: "kms",
  name: "CreateAlias",
  effect: "none",
  input: {},
  // The target key: a key id or key ARN, never an alias.
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as { TargetKeyId: string }).TargetKeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: async (i, ctx, k: KeyRow) => {
    const name = (i as { AliasName: string }).AliasName;
    checkAliasName(name);
    await authorizeCall(ctx, "kms:CreateAlias", { resource: aliasResource(ctx, name) });
    if (k.keyState === "PendingDeletion") throw kmsErr.pendingDeletion(keyArn(k));
    // An alias names a key of its own account and region.
    if (k.accountId !== ctx.caller.principal.account || k.region !== regionOf(ctx))
      throw kmsErr.notFound(`Key '${keyArn(k)}' does not exist`);
    const created = await createAlias(ctx.db, {
      accountId: k.accountId,
      region: k.region,
      aliasName: name,
      targetKeyId: k.keyId,
      creationDate: ctx.request.now,
    });
    if (!created) throw kmsErr.alreadyExists(`An alias with the name ${aliasResource(ctx, name)} already exists`);
    return {};
  },
});

export const DeleteAlias = defineAction({
  service: "kms",
  name: "DeleteAlias",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext) => {
    const name = (i as { AliasName: string }).AliasName;
    const alias = await getAlias(ctx.db, ctx.caller.principal.account, regionOf(ctx), name);
    const key = alias ? await getKey(ctx.db, alias.targetKeyId) : undefined;
    if (!alias || !key) throw kmsErr.notFound(`Alias ${aliasResource(ctx, name)} is not found.`);
    return key;
  },
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: async (i, ctx, k: KeyRow) => {
    const name = (i as { AliasName: string }).AliasName;
    await authorizeCall(ctx, "kms:DeleteAlias", { resource: aliasResource(ctx, name) });
    await deleteAlias(ctx.db, k.accountId, k.region, name);
    return {};
  },
});

export const ListAliases = defineAction({
  service: "kms",
  name: "ListAliases",
  effect: "read",
  input: {},
  target: (_i, ctx: ActionContext) => ({ resource: "*", context: { "kms:CallerAccount": ctx.caller.principal.account } }),
  handler: async (i, ctx) => {
    const input = i as { KeyId?: string; Limit?: number; Marker?: string };
    const limit = checkLimit(input.Limit);
    const keyId = input.KeyId === undefined ? undefined : (await resolveKey(ctx, input.KeyId, false)).keyId;
    const region = regionOf(ctx);
    const account = ctx.caller.principal.account;
    const rows = await listAliases(ctx.db, account, region, keyId, input.Marker ?? "", limit + 1);
    const page = rows.slice(0, limit);
    const out: { [k: string]: XmlValue } = {
      Aliases: page.map((a) => ({
        AliasName: a.aliasName,
        AliasArn: aliasArn(region, account, a.aliasName),
        TargetKeyId: a.targetKeyId,
        CreationDate: new Date(a.creationDate),
        LastUpdatedDate: new Date(a.creationDate),
      })),
      Truncated: rows.length > limit,
    };
    if (rows.length > limit) out.NextMarker = page[page.length - 1]!.aliasName;
    return out;
  },
});

export const aliasActions: RegisteredAction[] = [CreateAlias, DeleteAlias, ListAliases];
