/** IAM instance profiles: Create/Get/List/Delete, one role per profile, tags. */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { iamArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { assertRoleModifiable } from "../../store/iam-roles";
import { listTags, type TagRow } from "../../store/tags";
import {
  addRoleToProfile,
  deleteInstanceProfileRow,
  getInstanceProfileByName,
  insertInstanceProfile,
  listInstanceProfiles,
  removeRoleFromProfile,
  type InstanceProfileView,
} from "../../store/iam-instance-profiles";
import {
  DEFAULT_MAX_ITEMS,
  budgetedPage,
  alreadyExists,
  decodeMarker,
  notFound,
  paging,
  pathPrefix,
  requestTagContext,
  validateTags,
} from "./common";
import { existingRole, findRole, requireRole, roleName, roleTarget } from "./roles";
import { instanceProfileView } from "./views";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";

const profileArnOf = (account: string, name: string, path = "/") => iamArn(account, "instance-profile", path, name);

async function findProfile(ctx: ActionContext, name: string): Promise<InstanceProfileView | null> {
  return (await getInstanceProfileByName(ctx.db, ctx.caller.principal.account, name)) ?? null;
}

function existingProfile(p: InstanceProfileView | null, name: string): InstanceProfileView {
  if (!p) throw notFound.instanceProfile(name);
  return p;
}

function profileTarget(ctx: ActionContext, name: string, p: InstanceProfileView | null): { resource: string } {
  return { resource: p?.arn ?? profileArnOf(ctx.caller.principal.account, name) };
}

/** The InstanceProfile element of a profile with the role it holds. */
const profileView = (p: InstanceProfileView, tags?: TagRow[]) => instanceProfileView(p, p.role, tags);

const NAME = () => ({ ...common.name(128), required: true as const });

export const CreateInstanceProfile = defineAction({
  service: "iam",
  name: "CreateInstanceProfile",
  effect: "write",
  input: { InstanceProfileName: NAME(), Path: common.path(), Tags: common.tags() },
  target: (i, ctx) => ({
    resource: profileArnOf(ctx.caller.principal.account, i.InstanceProfileName, i.Path ?? "/"),
    context: requestTagContext(i.Tags),
  }),
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const tags = i.Tags ?? [];
    validateTags(tags);
    const path = i.Path ?? "/";
    const row = {
      instanceProfileId: newUniqueId("AIPA"),
      accountId: account,
      instanceProfileName: i.InstanceProfileName,
      path,
      arn: profileArnOf(account, i.InstanceProfileName, path),
      createDate: isoSeconds(ctx.request.now),
      roleId: null,
    };
    await insertInstanceProfile(ctx.db, row, tags, () => alreadyExists.instanceProfile(i.InstanceProfileName));
    return { InstanceProfile: profileView({ ...row, role: null }, tags) };
  },
});

export const GetInstanceProfile = defineAction({
  service: "iam",
  name: "GetInstanceProfile",
  effect: "read",
  input: { InstanceProfileName: NAME() },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => profileTarget(ctx, i.InstanceProfileName, found),
  handler: async (i, ctx, found) => {
    const p = existingProfile(found, i.InstanceProfileName);
    const tags = await listTags(ctx.db, p.accountId, "instance-profile", p.instanceProfileId);
    return { InstanceProfile: profileView(p, tags) };
  },
});

export const ListInstanceProfiles = defineAction({
  service: "iam",
  name: "ListInstanceProfiles",
  effect: "read",
  input: { PathPrefix: pathPrefix(), ...paging },
  target: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "instance-profile", i.PathPrefix ?? "/", "") }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await listInstanceProfiles(ctx.db, ctx.caller.principal.account, {
      pathPrefix: i.PathPrefix,
      after: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const p = budgetedPage(rows, max, (r) => r.nameLower);
    // ListInstanceProfiles leaves out Tags (AWS: "use GetInstanceProfile").
    return { InstanceProfiles: p.items.map((r) => profileView(r)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
});

export const ListInstanceProfilesForRole = defineAction({
  service: "iam",
  name: "ListInstanceProfilesForRole",
  effect: "read",
  input: { RoleName: roleName(), ...paging },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await listInstanceProfiles(ctx.db, role.accountId, { roleId: role.roleId, after: decodeMarker(i.Marker), limit: max + 1 });
    const p = budgetedPage(rows, max, (r) => r.nameLower);
    return { InstanceProfiles: p.items.map((r) => profileView(r)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
});

export const DeleteInstanceProfile = defineAction({
  service: "iam",
  name: "DeleteInstanceProfile",
  effect: "write",
  input: { InstanceProfileName: NAME() },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => profileTarget(ctx, i.InstanceProfileName, found),
  handler: async (i, ctx, found) => {
    const p = existingProfile(found, i.InstanceProfileName);
    if (await deleteInstanceProfileRow(ctx.db, p.accountId, p.instanceProfileId)) return undefined;
    const now = await getInstanceProfileByName(ctx.db, p.accountId, i.InstanceProfileName);
    if (!now || now.instanceProfileId !== p.instanceProfileId) throw notFound.instanceProfile(i.InstanceProfileName);
    throw errors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
  },
});

export const AddRoleToInstanceProfile = defineAction({
  service: "iam",
  name: "AddRoleToInstanceProfile",
  effect: "permissions",
  input: { InstanceProfileName: NAME(), RoleName: roleName() },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => profileTarget(ctx, i.InstanceProfileName, found),
  handler: async (i, ctx, found) => {
    const p = existingProfile(found, i.InstanceProfileName);
    const role = await requireRole(ctx, i.RoleName);
    assertRoleModifiable(role);
    const outcome = await addRoleToProfile(ctx.db, p.accountId, p.instanceProfileId, role.roleId);
    if (outcome === "noProfile") throw notFound.instanceProfile(i.InstanceProfileName);
    if (outcome === "noRole") throw notFound.role(i.RoleName);
    if (outcome === "full") throw errors.limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
    return undefined;
  },
});

export const RemoveRoleFromInstanceProfile = defineAction({
  service: "iam",
  name: "RemoveRoleFromInstanceProfile",
  effect: "permissions",
  input: { InstanceProfileName: NAME(), RoleName: roleName() },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => profileTarget(ctx, i.InstanceProfileName, found),
  handler: async (i, ctx, found) => {
    const p = existingProfile(found, i.InstanceProfileName);
    const role = await requireRole(ctx, i.RoleName);
    assertRoleModifiable(role);
    if (!(await removeRoleFromProfile(ctx.db, p.accountId, p.instanceProfileId, role.roleId)))
      throw errors.noSuchEntity(`The role with name ${i.RoleName} cannot be found in instance profile ${i.InstanceProfileName}.`);
    return undefined;
  },
});

const taggedProfile = (p: InstanceProfileView | null): TaggedEntity | undefined =>
  p ? { kind: "instance-profile", accountId: p.accountId, id: p.instanceProfileId } : undefined;

export const TagInstanceProfile = defineAction({
  service: "iam",
  name: "TagInstanceProfile",
  effect: "write",
  input: { InstanceProfileName: NAME(), ...tagsInput() },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => ({ ...profileTarget(ctx, i.InstanceProfileName, found), context: requestTagContext(i.Tags) }),
  handler: (i, ctx, found) => tagEntity(ctx, taggedProfile(found), i.Tags, () => notFound.instanceProfile(i.InstanceProfileName)),
});

export const UntagInstanceProfile = defineAction({
  service: "iam",
  name: "UntagInstanceProfile",
  effect: "write",
  input: { InstanceProfileName: NAME(), ...tagKeysInput() },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => ({ ...profileTarget(ctx, i.InstanceProfileName, found), context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx, found) => untagEntity(ctx, taggedProfile(found), i.TagKeys, () => notFound.instanceProfile(i.InstanceProfileName)),
});

export const ListInstanceProfileTags = defineAction({
  service: "iam",
  name: "ListInstanceProfileTags",
  effect: "read",
  input: { InstanceProfileName: NAME(), ...paging },
  load: (i, ctx) => findProfile(ctx, i.InstanceProfileName),
  target: (i, ctx, found) => profileTarget(ctx, i.InstanceProfileName, found),
  handler: (i, ctx, found) => listEntityTags(ctx, taggedProfile(found), i, () => notFound.instanceProfile(i.InstanceProfileName)),
});

export const instanceProfileActions: RegisteredAction[] = [
  CreateInstanceProfile,
  GetInstanceProfile,
  ListInstanceProfiles,
  ListInstanceProfilesForRole,
  DeleteInstanceProfile,
  AddRoleToInstanceProfile,
  RemoveRoleFromInstanceProfile,
  TagInstanceProfile,
  UntagInstanceProfile,
  ListInstanceProfileTags,
];
