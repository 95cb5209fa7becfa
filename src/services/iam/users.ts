/** IAM users: Create/Get/List/Update/DeleteUser and Tag/Untag/ListUserTags. */
import { defineAction, type ActionContext, type ActionDef } from "../action";
import { common, s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { iamArn, parseArn, rootArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { getAccount } from "../../store/accounts";
import * as store from "../../store/iam-users";
import type { UserRow, TagRow } from "../../store/iam-users";
import {
  DEFAULT_MAX_ITEMS, alreadyExists, decodeMarker, notFound, page, paging, pathPrefix, requestTagContext, validateTags,
} from "./common";

// ---- shared with groups.ts and access-keys.ts ----------------------------------------------

const userMemo = new WeakMap<object, Map<string, Promise<UserRow | undefined>>>();

/**
 * The user row by name, read once per request: `authorize` needs its ARN (with path) and the
 * handler its data, and both receive the same input object.
 */
export function lookupUser(ctx: ActionContext, input: object, name: string): Promise<UserRow | undefined> {
  let m = userMemo.get(input);
  if (!m) userMemo.set(input, (m = new Map()));
  const key = name.toLowerCase();
  let p = m.get(key);
  if (!p) m.set(key, (p = store.getUserByName(ctx.db, ctx.caller.principal.account, name)));
  return p;
}

/** The user's ARN for authorization; a user that does not exist gets the path-less ARN, as AWS shows. */
export async function userResource(ctx: ActionContext, input: object, name: string): Promise<string> {
  const u = await lookupUser(ctx, input, name);
  return u?.arn ?? iamArn(ctx.caller.principal.account, "user", "/", name);
}

export const nonUserCredentials = () => errors.validation("Must specify userName when calling with non-User credentials");

/** A user as ListUsers / GetGroup show it (no boundary, no tags). */
export function listedUser(u: UserRow) {
  return {
    Path: u.path,
    UserName: u.userName,
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: u.createDate,
    PasswordLastUsed: u.passwordLastUsed ?? undefined,
  };
}

/** A user as CreateUser / GetUser show it. */
function fullUser(u: UserRow, tags: TagRow[]) {
  return {
    ...listedUser(u),
    PermissionsBoundary: u.permissionsBoundary
      ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: u.permissionsBoundary }
      : undefined,
    Tags: tags.length ? tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
  };
}

const userName = () => ({ ...common.name(64), required: true as const });
const existingUserName = () => ({ ...common.name(128), required: true as const });

// ---- actions -----------------------------------------------------------------------------------

export const CreateUser = defineAction({
  service: "iam",
  name: "CreateUser",
  input: { Path: common.path(), UserName: userName(), PermissionsBoundary: common.arn(false), Tags: common.tags() },
  authorize: (i, ctx) => {
    const context = requestTagContext(i.Tags);
    if (i.PermissionsBoundary) context["iam:PermissionsBoundary"] = i.PermissionsBoundary;
    return { resource: iamArn(ctx.caller.principal.account, "user", i.Path ?? "/", i.UserName), context };
  },
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const tags = i.Tags ?? [];
    validateTags(tags);
    if (i.PermissionsBoundary !== undefined) await checkBoundary(ctx, i.PermissionsBoundary);
    const path = i.Path ?? "/";
    const res = await store.createUser(ctx.db, account, {
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
    return { User: fullUser(res.user, res.tags) };
  },
});

/** A permissions boundary must name an existing managed policy (customer or AWS-managed). */
export async function checkBoundary(ctx: ActionContext, arn: string): Promise<void> {
  const a = parseArn(arn);
  if (!a || a.service !== "iam" || a.region !== "" || !a.resource.startsWith("policy/"))
    throw errors.invalidInput(`ARN ${arn} is not valid.`);
  if (!(await store.managedPolicyExists(ctx.db, ctx.caller.principal.account, arn)))
    throw errors.noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
}

const withTagsMemo = new WeakMap<object, ReturnType<typeof store.getUserWithTags>>();
function userWithTags(ctx: ActionContext, input: object, name: string): ReturnType<typeof store.getUserWithTags> {
  let p = withTagsMemo.get(input);
  if (!p) withTagsMemo.set(input, (p = store.getUserWithTags(ctx.db, ctx.caller.principal.account, name)));
  return p;
}

export const GetUser = defineAction({
  service: "iam",
  name: "GetUser",
  input: { UserName: common.name(128, false) },
  authorize: async (i, ctx) => {
    if (i.UserName !== undefined) {
      // One D1 round trip for the whole call: the handler reuses this read.
      const r = await userWithTags(ctx, i, i.UserName);
      return { resource: r?.user.arn ?? iamArn(ctx.caller.principal.account, "user", "/", i.UserName) };
    }
    const p = ctx.caller.principal;
    if (p.kind === "user" || p.kind === "root") return { resource: p.arn };
    throw nonUserCredentials();
  },
  handler: async (i, ctx) => {
    const p = ctx.caller.principal;
    if (i.UserName === undefined && p.kind === "root") {
      const acct = await getAccount(ctx.db, p.account);
      return { User: { UserId: p.account, Arn: rootArn(p.account), CreateDate: acct?.createDate } };
    }
    if (i.UserName === undefined && p.kind !== "user") throw nonUserCredentials();
    const r = i.UserName !== undefined
      ? await userWithTags(ctx, i, i.UserName)
      : await store.getUserWithTags(ctx.db, p.account, p.userId, true);
    if (!r) throw notFound.user(i.UserName ?? p.username ?? "");
    return { User: fullUser(r.user, r.tags) };
  },
});

export const ListUsers = defineAction({
  service: "iam",
  name: "ListUsers",
  input: { PathPrefix: pathPrefix(), ...paging },
  authorize: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "user", i.PathPrefix ?? "/", "") }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await store.listUsers(ctx.db, ctx.caller.principal.account, {
      pathPrefix: i.PathPrefix,
      afterNameLower: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const pg = page(rows, max, (r) => r.nameLower);
    return { Users: pg.items.map(listedUser), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const UpdateUser = defineAction({
  service: "iam",
  name: "UpdateUser",
  input: { UserName: existingUserName(), NewPath: common.path(), NewUserName: common.name(64, false) },
  authorize: async (i, ctx) => ({ resource: await userResource(ctx, i, i.UserName) }),
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const u = await lookupUser(ctx, i, i.UserName);
    if (!u) throw notFound.user(i.UserName);
    const newName = i.NewUserName ?? u.userName;
    const newPath = i.NewPath ?? u.path;
    const res = await store.updateUser(ctx.db, account, u.userName, { newName, newPath, newArn: iamArn(account, "user", newPath, newName) });
    if (!res.ok) throw res.reason === "exists" ? alreadyExists.user(newName) : notFound.user(i.UserName);
    return undefined;
  },
});

const DELETE_USER_CONFLICT: Record<store.DeleteBlocker, string> = {
  loginProfile: "Cannot delete entity, must delete login profile first.",
  mfaDevices: "Cannot delete entity, must delete MFA device first.",
  accessKeys: "Cannot delete entity, must delete access keys first.",
  inlinePolicies: "Cannot delete entity, must delete policies first.",
  attachedPolicies: "Cannot delete entity, must detach all policies first.",
  groups: "Cannot delete entity, must remove users from group first.",
};

export const DeleteUser = defineAction({
  service: "iam",
  name: "DeleteUser",
  input: { UserName: existingUserName() },
  authorize: async (i, ctx) => ({ resource: await userResource(ctx, i, i.UserName) }),
  handler: async (i, ctx) => {
    const res = await store.deleteUser(ctx.db, ctx.caller.principal.account, i.UserName);
    if (res.ok) return undefined;
    if (res.reason === "notFound") throw notFound.user(i.UserName);
    throw errors.deleteConflict(DELETE_USER_CONFLICT[res.blocker]);
  },
});

export const TagUser = defineAction({
  service: "iam",
  name: "TagUser",
  input: { UserName: existingUserName(), Tags: { ...common.tags(), required: true as const } },
  authorize: async (i, ctx) => ({ resource: await userResource(ctx, i, i.UserName), context: requestTagContext(i.Tags) }),
  handler: async (i, ctx) => {
    validateTags(i.Tags);
    const account = ctx.caller.principal.account;
    if (i.Tags.length === 0) {
      if (!(await lookupUser(ctx, i, i.UserName))) throw notFound.user(i.UserName);
      return undefined;
    }
    const res = await store.tagUser(ctx.db, account, i.UserName, i.Tags);
    if (res.ok) return undefined;
    if (res.reason === "notFound") throw notFound.user(i.UserName);
    throw errors.limitExceeded("The number of tags has reached the maximum limit.");
  },
});

export const UntagUser = defineAction({
  service: "iam",
  name: "UntagUser",
  input: {
    UserName: existingUserName(),
    TagKeys: s.list(s.string({ min: 1, max: 128, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+" }), { required: true, max: 50 }),
  },
  authorize: async (i, ctx) => ({ resource: await userResource(ctx, i, i.UserName), context: { "aws:TagKeys": i.TagKeys } }),
  handler: async (i, ctx) => {
    if (!(await store.untagUser(ctx.db, ctx.caller.principal.account, i.UserName, i.TagKeys))) throw notFound.user(i.UserName);
    return undefined;
  },
});

export const ListUserTags = defineAction({
  service: "iam",
  name: "ListUserTags",
  input: { UserName: existingUserName(), ...paging },
  authorize: async (i, ctx) => ({ resource: await userResource(ctx, i, i.UserName) }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const after = decodeMarker(i.Marker);
    const afterPosition = after === undefined ? undefined : Number(after);
    if (afterPosition !== undefined && !Number.isInteger(afterPosition)) throw errors.validation("Invalid Marker.");
    const rows = await store.listUserTags(ctx.db, ctx.caller.principal.account, i.UserName, { afterPosition, limit: max + 1 });
    if (!rows) throw notFound.user(i.UserName);
    const pg = page(rows, max, (r) => String(r.position));
    return { Tags: pg.items.map((t) => ({ Key: t.Key, Value: t.Value })), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const userActions = [CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags] as unknown as ActionDef[];
