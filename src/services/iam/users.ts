/** IAM users: Create/Get/List/Update/DeleteUser and Tag/Untag/ListUserTags. */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { iamArn, rootArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { getAccount } from "../../store/accounts";
import * as store from "../../store/iam-users";
import type { UserRow } from "../../store/iam-users";
import {
  DEFAULT_MAX_ITEMS,
  alreadyExists,
  decodeMarker,
  notFound,
  page,
  paging,
  pathPrefix,
  requestTagContext,
  validateTags,
} from "./common";
import { requireBoundaryPolicy } from "./policies";
import { userListView, userView } from "./views";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";

// ---- shared with groups.ts and access-keys.ts ----------------------------------------------

/** The user by name (the load step of the actions on a user). */
export async function findUser(ctx: ActionContext, name: string): Promise<UserRow | undefined> {
  return store.getUserByName(ctx.db, ctx.caller.principal.account, name);
}

/** The user's ARN for authorization; a user that does not exist gets the path-less ARN, as AWS shows. */
export function userResource(ctx: ActionContext, name: string, u: UserRow | undefined): string {
  return u?.arn ?? iamArn(ctx.caller.principal.account, "user", "/", name);
}

export const nonUserCredentials = () => errors.validation("Must specify userName when calling with non-User credentials");

const userName = () => ({ ...common.name(64), required: true as const });
const existingUserName = () => ({ ...common.name(128), required: true as const });

// ---- actions -----------------------------------------------------------------------------------

export const CreateUser = defineAction({
  service: "iam",
  name: "CreateUser",
  effect: "permissions",
  input: { Path: common.path(), UserName: userName(), PermissionsBoundary: common.arn(false), Tags: common.tags() },
  target: (i, ctx) => {
    const context = requestTagContext(i.Tags);
    if (i.PermissionsBoundary) context["iam:PermissionsBoundary"] = i.PermissionsBoundary;
    return { resource: iamArn(ctx.caller.principal.account, "user", i.Path ?? "/", i.UserName), context };
  },
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const tags = i.Tags ?? [];
    validateTags(tags);
    if (i.PermissionsBoundary !== undefined) await requireBoundaryPolicy(ctx, i.PermissionsBoundary);
    const path = i.Path ?? "/";
    const res = await store.createUser(ctx.write, {
      userId: newUniqueId("AIDA"),
      userName: i.UserName,
      path,
      arn: iamArn(account, "user", path, i.UserName),
      createDate: isoSeconds(ctx.request.now),
      permissionsBoundary: i.PermissionsBoundary ?? null,
      tags,
    });
    if (!res.ok) {
      if (res.reason === "exists") throw alreadyExists.user(i.UserName);
      throw errors.limitExceeded(`Cannot exceed quota for UsersPerAccount: ${store.USERS_PER_ACCOUNT}`);
    }
    return { User: userView(res.user, res.tags) };
  },
});

export const GetUser = defineAction({
  service: "iam",
  name: "GetUser",
  effect: "read",
  input: { UserName: common.name(128, false) },
  // One D1 round trip for the whole call: the user with its tags, read once for target and handler.
  load: (i, ctx) => (i.UserName !== undefined ? store.getUserWithTags(ctx.db, ctx.caller.principal.account, i.UserName) : undefined),
  target: (i, ctx, r) => {
    if (i.UserName !== undefined) return { resource: userResource(ctx, i.UserName, r?.user) };
    const p = ctx.caller.principal;
    if (p.kind === "user" || p.kind === "root") return { resource: p.arn };
    throw nonUserCredentials();
  },
  handler: async (i, ctx, loaded) => {
    const p = ctx.caller.principal;
    if (i.UserName === undefined && p.kind === "root") {
      const acct = await getAccount(ctx.db, p.account);
      return { User: { UserId: p.account, Arn: rootArn(p.account), CreateDate: acct?.createDate } };
    }
    if (i.UserName === undefined && p.kind !== "user") throw nonUserCredentials();
    const r = i.UserName !== undefined ? loaded : await store.getUserWithTags(ctx.db, p.account, p.userId, true);
    if (!r) throw notFound.user(i.UserName ?? p.username ?? "");
    return { User: userView(r.user, r.tags) };
  },
});

export const ListUsers = defineAction({
  service: "iam",
  name: "ListUsers",
  effect: "read",
  input: { PathPrefix: pathPrefix(), ...paging },
  target: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "user", i.PathPrefix ?? "/", "") }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await store.listUsers(ctx.db, ctx.caller.principal.account, {
      pathPrefix: i.PathPrefix,
      afterNameLower: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const pg = page(rows, max, (r) => r.nameLower);
    return { Users: pg.items.map(userListView), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const UpdateUser = defineAction({
  service: "iam",
  name: "UpdateUser",
  effect: "permissions",
  input: { UserName: existingUserName(), NewPath: common.path(), NewUserName: common.name(64, false) },
  load: (i, ctx) => findUser(ctx, i.UserName),
  target: (i, ctx, u) => ({ resource: userResource(ctx, i.UserName, u) }),
  handler: async (i, ctx, u) => {
    const account = ctx.caller.principal.account;
    if (!u) throw notFound.user(i.UserName);
    const newName = i.NewUserName ?? u.userName;
    const newPath = i.NewPath ?? u.path;
    const res = await store.updateUser(ctx.write, u.userName, { newName, newPath, newArn: iamArn(account, "user", newPath, newName) });
    if (!res.ok) throw res.reason === "exists" ? alreadyExists.user(newName) : notFound.user(i.UserName);
    return undefined;
  },
});

const DELETE_USER_CONFLICT: Record<store.DeleteBlocker, string> = {
  loginProfile: "Cannot delete entity, must delete login profile first.",
  mfaDevices: "Cannot delete entity, must delete MFA device first.",
  accessKeys: "Cannot delete entity, must delete access keys first.",
  // The next three are worded like the others; AWS's exact wording is not documented.
  signingCertificates: "Cannot delete entity, must delete signing certificates first.",
  sshPublicKeys: "Cannot delete entity, must delete SSH public keys first.",
  serviceSpecificCredentials: "Cannot delete entity, must delete service specific credentials first.",
  inlinePolicies: "Cannot delete entity, must delete policies first.",
  attachedPolicies: "Cannot delete entity, must detach all policies first.",
  groups: "Cannot delete entity, must remove users from group first.",
};

export const DeleteUser = defineAction({
  service: "iam",
  name: "DeleteUser",
  effect: "permissions",
  input: { UserName: existingUserName() },
  load: (i, ctx) => findUser(ctx, i.UserName),
  target: (i, ctx, u) => ({ resource: userResource(ctx, i.UserName, u) }),
  handler: async (i, ctx) => {
    const res = await store.deleteUser(ctx.write, i.UserName);
    if (res.ok) return undefined;
    if (res.reason === "notFound") throw notFound.user(i.UserName);
    throw errors.deleteConflict(DELETE_USER_CONFLICT[res.blocker]);
  },
});

const taggedUser = (ctx: ActionContext, u: UserRow | undefined): TaggedEntity | undefined =>
  u ? { kind: "user", accountId: ctx.caller.principal.account, id: u.userId } : undefined;

export const TagUser = defineAction({
  service: "iam",
  name: "TagUser",
  effect: "permissions",
  input: { UserName: existingUserName(), ...tagsInput() },
  load: (i, ctx) => findUser(ctx, i.UserName),
  target: (i, ctx, u) => ({ resource: userResource(ctx, i.UserName, u), context: requestTagContext(i.Tags) }),
  handler: (i, ctx, u) => tagEntity(ctx, taggedUser(ctx, u), i.Tags, () => notFound.user(i.UserName)),
});

export const UntagUser = defineAction({
  service: "iam",
  name: "UntagUser",
  effect: "permissions",
  input: { UserName: existingUserName(), ...tagKeysInput() },
  load: (i, ctx) => findUser(ctx, i.UserName),
  target: (i, ctx, u) => ({ resource: userResource(ctx, i.UserName, u), context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx, u) => untagEntity(ctx, taggedUser(ctx, u), i.TagKeys, () => notFound.user(i.UserName)),
});

export const ListUserTags = defineAction({
  service: "iam",
  name: "ListUserTags",
  effect: "read",
  input: { UserName: existingUserName(), ...paging },
  load: (i, ctx) => findUser(ctx, i.UserName),
  target: (i, ctx, u) => ({ resource: userResource(ctx, i.UserName, u) }),
  handler: (i, ctx, u) => listEntityTags(ctx, taggedUser(ctx, u), i, () => notFound.user(i.UserName)),
});

export const userActions: RegisteredAction[] = [CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags];
