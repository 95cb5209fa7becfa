/** IAM instance profiles: Create/Get/List/Delete, one role per profile, tags. */
import { defineAction, type ActionContext } from "../action";
import { common } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { iamArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { assertRoleModifiable, listTags, type TagRow } from "../../store/iam-roles";
import {
  addRoleToProfile,
  deleteInstanceProfileRow,
  getInstanceProfileByName,
  insertInstanceProfile,
  listInstanceProfiles,
  removeRoleFromProfile,
  type InstanceProfileView,
} from "../../store/iam-instance-profiles";
import { DEFAULT_MAX_ITEMS, budgetedPage, alreadyExists, decodeMarker, notFound, paging, pathPrefix, requestTagContext, validateTags } from "./common";
import { encodeDocument, requireRole, resourceTagActions, roleName, roleTarget } from "./roles";

const profileArnOf = (account: string, name: string, path = "/") => iamArn(account, "instance-profile", path, name);

const memo = new WeakMap<ActionContext, Map<string, InstanceProfileView | null>>();

async function findProfile(ctx: ActionContext, name: string): Promise<InstanceProfileView | null> {
  let m = memo.get(ctx);
  if (!m) memo.set(ctx, (m = new Map()));
  const key = name.toLowerCase();
  if (m.has(key)) return m.get(key)!;
  const row = (await getInstanceProfileByName(ctx.db, ctx.caller.principal.account, name)) ?? null;
  m.set(key, row);
  return row;
}

async function requireProfile(ctx: ActionContext, name: string): Promise<InstanceProfileView> {
  const p = await findProfile(ctx, name);
  if (!p) throw notFound.instanceProfile(name);
  return p;
}

async function profileTarget(ctx: ActionContext, name: string): Promise<{ resource: string }> {
  const p = await findProfile(ctx, name);
  return { resource: p?.arn ?? profileArnOf(ctx.caller.principal.account, name) };
}

/** The InstanceProfile element; its Roles members carry the role's basic fields. */
function profileView(p: InstanceProfileView, tags?: TagRow[]) {
  return {
    Path: p.path,
    InstanceProfileName: p.instanceProfileName,
    InstanceProfileId: p.instanceProfileId,
    Arn: p.arn,
    CreateDate: p.createDate,
    Roles: p.role
      ? [{
          Path: p.role.path,
          RoleName: p.role.roleName,
          RoleId: p.role.roleId,
          Arn: p.role.arn,
          CreateDate: p.role.createDate,
          AssumeRolePolicyDocument: encodeDocument(p.role.assumeRolePolicyDocument),
        }]
      : [],
    Tags: tags && tags.length ? tags : undefined,
  };
}

const NAME = () => ({ ...common.name(128), required: true as const });

export const CreateInstanceProfile = defineAction({
  service: "iam",
  name: "CreateInstanceProfile",
  input: { InstanceProfileName: NAME(), Path: common.path(), Tags: common.tags() },
  authorize: (i, ctx) => ({
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
  input: { InstanceProfileName: NAME() },
  authorize: (i, ctx) => profileTarget(ctx, i.InstanceProfileName),
  handler: async (i, ctx) => {
    const p = await requireProfile(ctx, i.InstanceProfileName);
    const tags = await listTags(ctx.db, p.accountId, "instance-profile", p.instanceProfileId);
    return { InstanceProfile: profileView(p, tags) };
  },
});

export const ListInstanceProfiles = defineAction({
  service: "iam",
  name: "ListInstanceProfiles",
  input: { PathPrefix: pathPrefix(), ...paging },
  authorize: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "instance-profile", i.PathPrefix ?? "/", "") }),
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
  input: { RoleName: roleName(), ...paging },
  authorize: (i, ctx) => roleTarget(ctx, i.RoleName),
  handler: async (i, ctx) => {
    const role = await requireRole(ctx, i.RoleName);
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await listInstanceProfiles(ctx.db, role.accountId, { roleId: role.roleId, after: decodeMarker(i.Marker), limit: max + 1 });
    const p = budgetedPage(rows, max, (r) => r.nameLower);
    return { InstanceProfiles: p.items.map((r) => profileView(r)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
});

export const DeleteInstanceProfile = defineAction({
  service: "iam",
  name: "DeleteInstanceProfile",
  input: { InstanceProfileName: NAME() },
  authorize: (i, ctx) => profileTarget(ctx, i.InstanceProfileName),
  handler: async (i, ctx) => {
    const p = await requireProfile(ctx, i.InstanceProfileName);
    if (await deleteInstanceProfileRow(ctx.db, p.accountId, p.instanceProfileId)) return undefined;
    const now = await getInstanceProfileByName(ctx.db, p.accountId, i.InstanceProfileName);
    if (!now || now.instanceProfileId !== p.instanceProfileId) throw notFound.instanceProfile(i.InstanceProfileName);
    throw errors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
  },
});

export const AddRoleToInstanceProfile = defineAction({
  service: "iam",
  name: "AddRoleToInstanceProfile",
  input: { InstanceProfileName: NAME(), RoleName: roleName() },
  authorize: (i, ctx) => profileTarget(ctx, i.InstanceProfileName),
  handler: async (i, ctx) => {
    const p = await requireProfile(ctx, i.InstanceProfileName);
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
  input: { InstanceProfileName: NAME(), RoleName: roleName() },
  authorize: (i, ctx) => profileTarget(ctx, i.InstanceProfileName),
  handler: async (i, ctx) => {
    const p = await requireProfile(ctx, i.InstanceProfileName);
    const role = await requireRole(ctx, i.RoleName);
    assertRoleModifiable(role);
    if (!(await removeRoleFromProfile(ctx.db, p.accountId, p.instanceProfileId, role.roleId)))
      throw errors.noSuchEntity(`The role with name ${i.RoleName} cannot be found in instance profile ${i.InstanceProfileName}.`);
    return undefined;
  },
});

export const [TagInstanceProfile, UntagInstanceProfile, ListInstanceProfileTags] = resourceTagActions({
  title: "InstanceProfile",
  field: "InstanceProfileName",
  name: NAME,
  tagType: "instance-profile",
  principalTags: false,
  target: profileTarget,
  find: async (ctx, name) => {
    const p = await requireProfile(ctx, name);
    return { accountId: p.accountId, id: p.instanceProfileId };
  },
  notFound: notFound.instanceProfile,
});

export const instanceProfileActions = [
  CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles, ListInstanceProfilesForRole, DeleteInstanceProfile,
  AddRoleToInstanceProfile, RemoveRoleFromInstanceProfile, TagInstanceProfile, UntagInstanceProfile, ListInstanceProfileTags,
];
