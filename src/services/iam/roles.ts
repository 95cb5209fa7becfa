/** IAM roles: Create/Get/List/Update/Delete, trust policy, descriptions, tags. */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { parsePolicy, policySizeWithoutWhitespace } from "../../policy/index";
import { iamArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import {
  RESERVED_ROLE_PATH_PREFIXES,
  deleteRoleRow,
  getRoleByName,
  insertRole,
  isServiceLinkedRole,
  listRoles,
  roleDeleteBlocker,
  updateRoleFields,
  updateTrustPolicy,
  type RoleRow,
} from "../../store/iam-roles";
import { SUMMARY_QUOTAS } from "../../store/iam-quotas";
import { listTags } from "../../store/tags";
import {
  DEFAULT_MAX_ITEMS,
  assertRoleModifiable,
  budgetedPage,
  createdOrThrow,
  alreadyExists,
  decodeMarker,
  notFound,
  paging,
  pathPrefix,
  requestTagContext,
  validateTags,
} from "./common";
import { requireBoundaryPolicy } from "./policies";
import { roleCreatedView, roleListView, roleView } from "./views";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";
// federation (issue 19): a trust policy may name only identity providers that exist
import { assertTrustedProvidersExist } from "../../federation/trust-providers";

// ---------------------------------------------------------------- shared pieces

/** AWS's roleDescriptionType. */
export const roleDescription = () =>
  s.string({
    max: 1000,
    pattern: /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/,
    patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
  });

export const maxSessionDuration = () => s.integer({ min: 3600, max: 43200 });

/** Trust policies: at most 2,048 characters without whitespace (IAM quota ACLSizePerRole). */
export const TRUST_POLICY_MAX = SUMMARY_QUOTAS.AssumeRolePolicySizeQuota;

export function validateTrustPolicy(doc: string): void {
  const parsed = parsePolicy(doc, "trust");
  if (!parsed.ok) throw errors.malformedPolicy(parsed.message);
  if (policySizeWithoutWhitespace(doc) > TRUST_POLICY_MAX)
    throw errors.limitExceeded(`Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_MAX}`);
}

export function roleArnOf(account: string, name: string, path = "/"): string {
  return iamArn(account, "role", path, name);
}

/** The role by name (the load step of the actions on a role). */
export async function findRole(ctx: ActionContext, name: string): Promise<RoleRow | null> {
  return (await getRoleByName(ctx.db, ctx.caller.principal.account, name)) ?? null;
}

/** The loaded role, or AWS's NoSuchEntity. */
export function existingRole(role: RoleRow | null, name: string): RoleRow {
  if (!role) throw notFound.role(name);
  return role;
}

/** A second role of a call (not its load step), or AWS's NoSuchEntity. */
export async function requireRole(ctx: ActionContext, name: string): Promise<RoleRow> {
  return existingRole(await findRole(ctx, name), name);
}

/** The resource of an action on an existing role: its ARN with path (or without, when missing). */
export function roleTarget(ctx: ActionContext, name: string, role: RoleRow | null): { resource: string } {
  return { resource: role?.arn ?? roleArnOf(ctx.caller.principal.account, name) };
}

/** common.name/policyDocument take `required` as a plain boolean; pin it for the input types. */
export const roleName = () => ({ ...common.name(64), required: true as const });
export type NameField = ReturnType<typeof roleName>;
export const policyDocument = () => ({ ...common.policyDocument(), required: true as const });

// ---------------------------------------------------------------- actions

export const CreateRole = defineAction({
  service: "iam",
  name: "CreateRole",
  effect: "permissions",
  input: {
    Path: common.path(),
    RoleName: roleName(),
    AssumeRolePolicyDocument: policyDocument(),
    Description: roleDescription(),
    MaxSessionDuration: maxSessionDuration(),
    PermissionsBoundary: common.arn(false),
    Tags: common.tags(),
  },
  target: (i, ctx) => {
    const context = requestTagContext(i.Tags);
    if (i.PermissionsBoundary) context["iam:PermissionsBoundary"] = i.PermissionsBoundary;
    return { resource: roleArnOf(ctx.caller.principal.account, i.RoleName, i.Path ?? "/"), context };
  },
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const path = i.Path ?? "/";
    for (const p of RESERVED_ROLE_PATH_PREFIXES)
      if (path.startsWith(p)) throw errors.invalidInput(`Path prefix '${p}' can only be used for AWS Service linked Roles`);
    validateTrustPolicy(i.AssumeRolePolicyDocument);
    await assertTrustedProvidersExist(ctx.db, account, i.AssumeRolePolicyDocument);
    const tags = i.Tags ?? [];
    validateTags(tags);
    if (i.PermissionsBoundary) await requireBoundaryPolicy(ctx, i.PermissionsBoundary);
    const role: RoleRow = {
      roleId: newUniqueId("AROA"),
      accountId: account,
      roleName: i.RoleName,
      path,
      arn: roleArnOf(account, i.RoleName, path),
      createDate: isoSeconds(ctx.request.now),
      assumeRolePolicyDocument: i.AssumeRolePolicyDocument,
      description: i.Description ?? null,
      maxSessionDuration: i.MaxSessionDuration ?? 3600,
      permissionsBoundary: i.PermissionsBoundary ?? null,
      lastUsedDate: null,
      lastUsedRegion: null,
    };
    createdOrThrow(await insertRole(ctx.write, role, tags), () => alreadyExists.role(i.RoleName), "RolesPerAccount");
    return { Role: roleCreatedView(role, tags) };
  },
});

export const GetRole = defineAction({
  service: "iam",
  name: "GetRole",
  effect: "read",
  input: { RoleName: roleName() },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    const tags = await listTags(ctx.db, role.accountId, "role", role.roleId);
    return { Role: roleView(role, tags) };
  },
});

export const ListRoles = defineAction({
  service: "iam",
  name: "ListRoles",
  effect: "read",
  input: { PathPrefix: pathPrefix(), ...paging },
  target: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "role", i.PathPrefix ?? "/", "") }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await listRoles(ctx.db, ctx.caller.principal.account, {
      pathPrefix: i.PathPrefix,
      after: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const p = budgetedPage(rows, max, (r) => r.roleName.toLowerCase());
    return { Roles: p.items.map(roleListView), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
});

export const UpdateRole = defineAction({
  service: "iam",
  name: "UpdateRole",
  effect: "permissions",
  input: { RoleName: roleName(), Description: roleDescription(), MaxSessionDuration: maxSessionDuration() },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    if (i.MaxSessionDuration !== undefined && isServiceLinkedRole(role))
      throw new AwsError(
        "UnmodifiableEntity",
        `${role.roleName} is an AWS service linked role, max session duration cannot be changed.`,
        400,
      );
    if (i.MaxSessionDuration !== undefined) assertRoleModifiable(role);
    if (i.Description === undefined && i.MaxSessionDuration === undefined) return {};
    const ok = await updateRoleFields(ctx.write, role.roleId, { description: i.Description, maxSessionDuration: i.MaxSessionDuration });
    if (!ok) throw notFound.role(i.RoleName);
    return {};
  },
});

export const UpdateRoleDescription = defineAction({
  service: "iam",
  name: "UpdateRoleDescription",
  effect: "write",
  input: { RoleName: roleName(), Description: { ...roleDescription(), required: true as const } },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    const ok = await updateRoleFields(ctx.write, role.roleId, { description: i.Description });
    if (!ok) throw notFound.role(i.RoleName);
    const tags = await listTags(ctx.db, role.accountId, "role", role.roleId);
    return { Role: { ...roleCreatedView(role, tags), Description: i.Description } };
  },
});

export const UpdateAssumeRolePolicy = defineAction({
  service: "iam",
  name: "UpdateAssumeRolePolicy",
  effect: "permissions",
  input: { RoleName: roleName(), PolicyDocument: policyDocument() },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    assertRoleModifiable(role);
    validateTrustPolicy(i.PolicyDocument);
    await assertTrustedProvidersExist(ctx.db, ctx.caller.principal.account, i.PolicyDocument);
    if (!(await updateTrustPolicy(ctx.write, role.roleId, i.PolicyDocument))) throw notFound.role(i.RoleName);
    return undefined;
  },
});

export const DeleteRole = defineAction({
  service: "iam",
  name: "DeleteRole",
  effect: "permissions",
  input: { RoleName: roleName() },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    assertRoleModifiable(role);
    if (await deleteRoleRow(ctx.write, role.roleId)) return undefined;
    const blocker = await roleDeleteBlocker(ctx.db, role.accountId, role.roleId);
    if (blocker === "attached") throw errors.deleteConflict("Cannot delete entity, must detach all policies first.");
    if (blocker === "inline") throw errors.deleteConflict("Cannot delete entity, must delete policies first.");
    if (blocker === "instanceProfile") throw errors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
    // Deleted by a concurrent request between our read and our delete.
    throw notFound.role(i.RoleName);
  },
});

const taggedRole = (r: RoleRow | null): TaggedEntity | undefined =>
  r ? { kind: "role", accountId: r.accountId, id: r.roleId } : undefined;

export const TagRole = defineAction({
  service: "iam",
  name: "TagRole",
  effect: "permissions",
  input: { RoleName: roleName(), ...tagsInput() },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => ({ ...roleTarget(ctx, i.RoleName, found), context: requestTagContext(i.Tags) }),
  handler: (i, ctx, found) => tagEntity(ctx, taggedRole(found), i.Tags, () => notFound.role(i.RoleName)),
});

export const UntagRole = defineAction({
  service: "iam",
  name: "UntagRole",
  effect: "permissions",
  input: { RoleName: roleName(), ...tagKeysInput() },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => ({ ...roleTarget(ctx, i.RoleName, found), context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx, found) => untagEntity(ctx, taggedRole(found), i.TagKeys, () => notFound.role(i.RoleName)),
});

export const ListRoleTags = defineAction({
  service: "iam",
  name: "ListRoleTags",
  effect: "read",
  input: { RoleName: roleName(), ...paging },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: (i, ctx, found) => listEntityTags(ctx, taggedRole(found), i, () => notFound.role(i.RoleName)),
});

export const roleActions: RegisteredAction[] = [
  CreateRole,
  GetRole,
  ListRoles,
  UpdateRole,
  UpdateRoleDescription,
  UpdateAssumeRolePolicy,
  DeleteRole,
  TagRole,
  UntagRole,
  ListRoleTags,
];
