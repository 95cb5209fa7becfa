/** IAM groups: Create/Get/List/Update/DeleteGroup, Add/RemoveUserToGroup, ListGroupsForUser. */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { iamArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import * as store from "../../store/iam-groups";
import type { GroupRow } from "../../store/iam-groups";
import { DEFAULT_MAX_ITEMS, alreadyExists, decodeMarker, notFound, page, paging, pathPrefix } from "./common";
import { findUser, userResource } from "./users";
import { groupView, userListView } from "./views";

const groupName = () => ({ ...common.name(128), required: true as const });
const existingUserName = () => ({ ...common.name(128), required: true as const });

/** The group by name (the load step of the actions on a group). */
function findGroup(ctx: ActionContext, name: string): Promise<GroupRow | undefined> {
  return store.getGroupByName(ctx.db, ctx.caller.principal.account, name);
}

function groupResource(ctx: ActionContext, name: string, g: GroupRow | undefined): string {
  return g?.arn ?? iamArn(ctx.caller.principal.account, "group", "/", name);
}

export const CreateGroup = defineAction({
  service: "iam",
  name: "CreateGroup",
  effect: "permissions",
  input: { Path: common.path(), GroupName: groupName() },
  target: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "group", i.Path ?? "/", i.GroupName) }),
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const path = i.Path ?? "/";
    const row: GroupRow = {
      groupId: newUniqueId("AGPA"),
      groupName: i.GroupName,
      path,
      arn: iamArn(account, "group", path, i.GroupName),
      createDate: isoSeconds(ctx.request.now),
    };
    const res = await store.createGroup(ctx.db, account, row);
    if (!res.ok) {
      if (res.reason === "exists") throw alreadyExists.group(i.GroupName);
      throw errors.limitExceeded(`Cannot exceed quota for GroupsPerAccount: ${store.GROUPS_PER_ACCOUNT}`);
    }
    return { Group: groupView(row) };
  },
});

export const GetGroup = defineAction({
  service: "iam",
  name: "GetGroup",
  effect: "read",
  input: { GroupName: groupName(), ...paging },
  load: (i, ctx) => findGroup(ctx, i.GroupName),
  target: (i, ctx, g) => ({ resource: groupResource(ctx, i.GroupName, g) }),
  handler: async (i, ctx, g) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const r = await store.getGroupWithUsers(ctx.db, ctx.caller.principal.account, i.GroupName, {
      afterNameLower: decodeMarker(i.Marker),
      limit: max + 1,
    });
    if (!r) throw notFound.group(i.GroupName);
    const pg = page(r.users, max, (u) => u.nameLower);
    return { Group: groupView(r.group), Users: pg.items.map(userListView), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const ListGroups = defineAction({
  service: "iam",
  name: "ListGroups",
  effect: "read",
  input: { PathPrefix: pathPrefix(), ...paging },
  target: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "group", i.PathPrefix ?? "/", "") }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await store.listGroups(ctx.db, ctx.caller.principal.account, {
      pathPrefix: i.PathPrefix,
      afterNameLower: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const pg = page(rows, max, (g) => g.nameLower);
    return { Groups: pg.items.map(groupView), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const UpdateGroup = defineAction({
  service: "iam",
  name: "UpdateGroup",
  effect: "permissions",
  input: { GroupName: groupName(), NewPath: common.path(), NewGroupName: common.name(128, false) },
  load: (i, ctx) => findGroup(ctx, i.GroupName),
  target: (i, ctx, g) => ({ resource: groupResource(ctx, i.GroupName, g) }),
  handler: async (i, ctx, g) => {
    const account = ctx.caller.principal.account;
    if (!g) throw notFound.group(i.GroupName);
    const newName = i.NewGroupName ?? g.groupName;
    const newPath = i.NewPath ?? g.path;
    const res = await store.updateGroup(ctx.db, account, g.groupName, {
      newName,
      newPath,
      newArn: iamArn(account, "group", newPath, newName),
    });
    if (!res.ok) throw res.reason === "exists" ? alreadyExists.group(newName) : notFound.group(i.GroupName);
    return undefined;
  },
});

const DELETE_GROUP_CONFLICT: Record<store.GroupDeleteBlocker, string> = {
  members: "Cannot delete entity, must remove users from group first.",
  inlinePolicies: "Cannot delete entity, must delete policies first.",
  attachedPolicies: "Cannot delete entity, must detach all policies first.",
};

export const DeleteGroup = defineAction({
  service: "iam",
  name: "DeleteGroup",
  effect: "permissions",
  input: { GroupName: groupName() },
  load: (i, ctx) => findGroup(ctx, i.GroupName),
  target: (i, ctx, g) => ({ resource: groupResource(ctx, i.GroupName, g) }),
  handler: async (i, ctx, g) => {
    const res = await store.deleteGroup(ctx.db, ctx.caller.principal.account, i.GroupName);
    if (res.ok) return undefined;
    if (res.reason === "notFound") throw notFound.group(i.GroupName);
    throw errors.deleteConflict(DELETE_GROUP_CONFLICT[res.blocker]);
  },
});

function membershipError(r: Exclude<store.MembershipResult, { ok: true }>, groupName: string, userName: string): Error {
  if (r.reason === "noUser") return notFound.user(userName);
  if (r.reason === "noGroup") return notFound.group(groupName);
  return errors.limitExceeded(`Cannot exceed quota for GroupsPerUser: ${store.GROUPS_PER_USER}`);
}

export const AddUserToGroup = defineAction({
  service: "iam",
  name: "AddUserToGroup",
  effect: "permissions",
  input: { GroupName: groupName(), UserName: existingUserName() },
  load: (i, ctx) => findGroup(ctx, i.GroupName),
  target: (i, ctx, g) => ({ resource: groupResource(ctx, i.GroupName, g) }),
  handler: async (i, ctx, g) => {
    const r = await store.addUserToGroup(ctx.db, ctx.caller.principal.account, i.GroupName, i.UserName);
    if (!r.ok) throw membershipError(r, i.GroupName, i.UserName);
    return undefined;
  },
});

export const RemoveUserFromGroup = defineAction({
  service: "iam",
  name: "RemoveUserFromGroup",
  effect: "permissions",
  input: { GroupName: groupName(), UserName: existingUserName() },
  load: (i, ctx) => findGroup(ctx, i.GroupName),
  target: (i, ctx, g) => ({ resource: groupResource(ctx, i.GroupName, g) }),
  handler: async (i, ctx, g) => {
    const r = await store.removeUserFromGroup(ctx.db, ctx.caller.principal.account, i.GroupName, i.UserName);
    if (!r.ok) throw membershipError(r, i.GroupName, i.UserName);
    return undefined;
  },
});

export const ListGroupsForUser = defineAction({
  service: "iam",
  name: "ListGroupsForUser",
  effect: "read",
  input: { UserName: existingUserName(), ...paging },
  load: (i, ctx) => findUser(ctx, i.UserName),
  target: (i, ctx, u) => ({ resource: userResource(ctx, i.UserName, u) }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await store.listGroupsForUser(ctx.db, ctx.caller.principal.account, i.UserName, {
      afterNameLower: decodeMarker(i.Marker),
      limit: max + 1,
    });
    if (!rows) throw notFound.user(i.UserName);
    const pg = page(rows, max, (g) => g.nameLower);
    return { Groups: pg.items.map(groupView), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const groupActions: RegisteredAction[] = [
  CreateGroup,
  GetGroup,
  ListGroups,
  UpdateGroup,
  DeleteGroup,
  AddUserToGroup,
  RemoveUserFromGroup,
  ListGroupsForUser,
];
