/** IAM roles: Create/Get/List/Update/Delete, trust policy, descriptions, tags. */
import { defineAction, type ActionContext } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { parsePolicy, policySizeWithoutWhitespace } from "../../policy/index";
import { iamArn, parseArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import {
  RESERVED_ROLE_PATH_PREFIXES,
  assertRoleModifiable,
  deleteRoleRow,
  getRoleByName,
  insertRole,
  isServiceLinkedRole,
  listRoles,
  listTags,
  managedPolicyExists,
  putTags,
  removeTags,
  roleDeleteBlocker,
  updateRoleFields,
  updateTrustPolicy,
  type RoleRow,
  type TagRow,
} from "../../store/iam-roles";
import { SUMMARY_QUOTAS } from "../../store/iam-quotas";
import { DEFAULT_MAX_ITEMS, budgetedPage, alreadyExists, decodeMarker, notFound, paging, pathPrefix, requestTagContext, tagPage, validateTags } from "./common";

// ---------------------------------------------------------------- shared pieces

/** AWS's roleDescriptionType. */
export const roleDescription = () =>
  s.string({ max: 1000, pattern: /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/, patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*" });

export const maxSessionDuration = () => s.integer({ min: 3600, max: 43200 });

/** Trust policies: at most 2,048 characters without whitespace (IAM quota ACLSizePerRole). */
export const TRUST_POLICY_MAX = SUMMARY_QUOTAS.AssumeRolePolicySizeQuota;

/** Policy documents are returned URL-encoded, as AWS does (botocore unquotes them). */
export function encodeDocument(doc: string): string {
  return encodeURIComponent(doc);
}

export function validateTrustPolicy(doc: string): void {
  const parsed = parsePolicy(doc, "trust");
  if (!parsed.ok) throw errors.malformedPolicy(parsed.message);
  if (policySizeWithoutWhitespace(doc) > TRUST_POLICY_MAX)
    throw errors.limitExceeded(`Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_MAX}`);
}

export function roleArnOf(account: string, name: string, path = "/"): string {
  return iamArn(account, "role", path, name);
}

const memo = new WeakMap<ActionContext, Map<string, RoleRow | null>>();

/** Looks a role up once per request (authorize needs its ARN with path, the handler its row). */
export async function findRole(ctx: ActionContext, name: string): Promise<RoleRow | null> {
  let m = memo.get(ctx);
  if (!m) memo.set(ctx, (m = new Map()));
  const key = name.toLowerCase();
  if (m.has(key)) return m.get(key)!;
  const row = (await getRoleByName(ctx.db, ctx.caller.principal.account, name)) ?? null;
  m.set(key, row);
  return row;
}

export async function requireRole(ctx: ActionContext, name: string): Promise<RoleRow> {
  const role = await findRole(ctx, name);
  if (!role) throw notFound.role(name);
  return role;
}

/** The resource of an action on an existing role: its ARN with path (or without, when missing). */
export async function roleTarget(ctx: ActionContext, name: string): Promise<{ resource: string }> {
  const role = await findRole(ctx, name);
  return { resource: role?.arn ?? roleArnOf(ctx.caller.principal.account, name) };
}

function boundaryOf(role: RoleRow) {
  return role.permissionsBoundary ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: role.permissionsBoundary } : undefined;
}

/** The members every Role element starts with, in AWS's member order. */
function roleBaseView(role: RoleRow) {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encodeDocument(role.assumeRolePolicyDocument),
  };
}

/** ListRoles leaves out PermissionsBoundary, Tags and RoleLastUsed (AWS: "use GetRole"). */
export function roleListView(role: RoleRow) {
  return {
    ...roleBaseView(role),
    Description: role.description ?? undefined,
    MaxSessionDuration: role.maxSessionDuration,
  };
}

/** The Role element in AWS's member order, as GetRole / UpdateRoleDescription show it. */
export function roleView(role: RoleRow, tags: TagRow[]) {
  return {
    ...roleListView(role),
    PermissionsBoundary: boundaryOf(role),
    Tags: tags.length ? tags : undefined,
    // Present (empty) even for a role never used.
    RoleLastUsed: { LastUsedDate: role.lastUsedDate ?? undefined, Region: role.lastUsedRegion ?? undefined },
  };
}

/** CreateRole / CreateServiceLinkedRole answer without Description, MaxSessionDuration and RoleLastUsed. */
export function roleCreatedView(role: RoleRow, tags: TagRow[]) {
  return {
    ...roleBaseView(role),
    PermissionsBoundary: boundaryOf(role),
    Tags: tags.length ? tags : undefined,
  };
}

/** A managed-policy ARN that exists (customer policy of this account or AWS-managed). */
export async function validateBoundaryArn(ctx: ActionContext, arn: string): Promise<void> {
  const a = parseArn(arn);
  if (!a || a.service !== "iam" || !a.resource.startsWith("policy/") || !(a.account === "aws" || /^\d{12}$/.test(a.account)))
    throw errors.invalidInput(`ARN ${arn} is not valid.`);
  if (!(await managedPolicyExists(ctx.db, ctx.caller.principal.account, arn)))
    throw errors.noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
}

const tagList = () => common.tags();
type TagsField = ReturnType<typeof tagList> & { required: true };
const tagKeys = () => s.list(s.string({ required: true, min: 1, max: 128 }), { required: true, max: 50 });

/** common.name/policyDocument take `required` as a plain boolean; pin it for the input types. */
export const roleName = () => ({ ...common.name(64), required: true as const });
export type NameField = ReturnType<typeof roleName>;
export const policyDocument = () => ({ ...common.policyDocument(), required: true as const });

// ---------------------------------------------------------------- actions

export const CreateRole = defineAction({
  service: "iam",
  name: "CreateRole",
  input: {
    Path: common.path(),
    RoleName: roleName(),
    AssumeRolePolicyDocument: policyDocument(),
    Description: roleDescription(),
    MaxSessionDuration: maxSessionDuration(),
    PermissionsBoundary: common.arn(false),
    Tags: tagList(),
  },
  authorize: (i, ctx) => {
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
    const tags = i.Tags ?? [];
    validateTags(tags);
    if (i.PermissionsBoundary) await validateBoundaryArn(ctx, i.PermissionsBoundary);
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
    await insertRole(ctx.db, role, tags, () => alreadyExists.role(i.RoleName));
    return { Role: roleCreatedView(role, tags) };
  },
});

export const GetRole = defineAction({
  service: "iam",
  name: "GetRole",
  input: { RoleName: roleName() },
  authorize: (i, ctx) => roleTarget(ctx, i.RoleName),
  handler: async (i, ctx) => {
    const role = await requireRole(ctx, i.RoleName);
    const tags = await listTags(ctx.db, role.accountId, "role", role.roleId);
    return { Role: roleView(role, tags) };
  },
});

export const ListRoles = defineAction({
  service: "iam",
  name: "ListRoles",
  input: { PathPrefix: pathPrefix(), ...paging },
  authorize: (i, ctx) => ({ resource: iamArn(ctx.caller.principal.account, "role", i.PathPrefix ?? "/", "") }),
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
  input: { RoleName: roleName(), Description: roleDescription(), MaxSessionDuration: maxSessionDuration() },
  authorize: (i, ctx) => roleTarget(ctx, i.RoleName),
  handler: async (i, ctx) => {
    const role = await requireRole(ctx, i.RoleName);
    if (i.MaxSessionDuration !== undefined && isServiceLinkedRole(role))
      throw new AwsError("UnmodifiableEntity", `${role.roleName} is an AWS service linked role, max session duration cannot be changed.`, 400);
    if (i.MaxSessionDuration !== undefined) assertRoleModifiable(role);
    if (i.Description === undefined && i.MaxSessionDuration === undefined) return {};
    const ok = await updateRoleFields(ctx.db, role.accountId, role.roleId, { description: i.Description, maxSessionDuration: i.MaxSessionDuration });
    if (!ok) throw notFound.role(i.RoleName);
    return {};
  },
});

export const UpdateRoleDescription = defineAction({
  service: "iam",
  name: "UpdateRoleDescription",
  input: { RoleName: roleName(), Description: { ...roleDescription(), required: true as const } },
  authorize: (i, ctx) => roleTarget(ctx, i.RoleName),
  handler: async (i, ctx) => {
    const role = await requireRole(ctx, i.RoleName);
    const ok = await updateRoleFields(ctx.db, role.accountId, role.roleId, { description: i.Description });
    if (!ok) throw notFound.role(i.RoleName);
    const tags = await listTags(ctx.db, role.accountId, "role", role.roleId);
    return { Role: roleView({ ...role, description: i.Description }, tags) };
  },
});

export const UpdateAssumeRolePolicy = defineAction({
  service: "iam",
  name: "UpdateAssumeRolePolicy",
  input: { RoleName: roleName(), PolicyDocument: policyDocument() },
  authorize: (i, ctx) => roleTarget(ctx, i.RoleName),
  handler: async (i, ctx) => {
    const role = await requireRole(ctx, i.RoleName);
    assertRoleModifiable(role);
    validateTrustPolicy(i.PolicyDocument);
    if (!(await updateTrustPolicy(ctx.db, role.accountId, role.roleId, i.PolicyDocument))) throw notFound.role(i.RoleName);
    return undefined;
  },
});

export const DeleteRole = defineAction({
  service: "iam",
  name: "DeleteRole",
  input: { RoleName: roleName() },
  authorize: (i, ctx) => roleTarget(ctx, i.RoleName),
  handler: async (i, ctx) => {
    const role = await requireRole(ctx, i.RoleName);
    assertRoleModifiable(role);
    if (await deleteRoleRow(ctx.db, role.accountId, role.roleId)) return undefined;
    const blocker = await roleDeleteBlocker(ctx.db, role.accountId, role.roleId);
    if (blocker === "attached") throw errors.deleteConflict("Cannot delete entity, must detach all policies first.");
    if (blocker === "inline") throw errors.deleteConflict("Cannot delete entity, must delete policies first.");
    if (blocker === "instanceProfile") throw errors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
    // Deleted by a concurrent request between our read and our delete.
    throw notFound.role(i.RoleName);
  },
});

/**
 * Tag…, Untag… and List…Tags of a role or an instance profile: the three actions differ only by the
 * entity (its name field, lookup, tag resource type, and whether its tags are aws:PrincipalTag values).
 */
export function resourceTagActions(e: {
  title: "Role" | "InstanceProfile";
  field: "RoleName" | "InstanceProfileName";
  name: () => NameField;
  tagType: "role" | "instance-profile";
  /** the tags are aws:PrincipalTag values, so changing them changes who can do what (generation bump) */
  principalTags: boolean;
  target: (ctx: ActionContext, name: string) => Promise<{ resource: string }>;
  find: (ctx: ActionContext, name: string) => Promise<{ accountId: string; id: string }>;
  notFound: (name: string) => AwsError;
}) {
  const nameOf = (i: object) => (i as Record<string, string>)[e.field]!;
  const Tag = defineAction({
    service: "iam",
    name: `Tag${e.title}`,
    input: { [e.field]: e.name(), Tags: { ...tagList(), required: true as const } } as { Name: NameField; Tags: TagsField },
    authorize: async (i, ctx) => ({ ...(await e.target(ctx, nameOf(i))), context: requestTagContext(i.Tags) }),
    handler: async (i, ctx) => {
      const r = await e.find(ctx, nameOf(i));
      const existing = await listTags(ctx.db, r.accountId, e.tagType, r.id);
      validateTags(i.Tags, existing.map((t) => t.Key.toLowerCase()));
      if (!(await putTags(ctx.db, r.accountId, e.tagType, r.id, i.Tags, e.principalTags))) throw e.notFound(nameOf(i));
      return undefined;
    },
  });
  const Untag = defineAction({
    service: "iam",
    name: `Untag${e.title}`,
    input: { [e.field]: e.name(), TagKeys: tagKeys() } as { Name: NameField; TagKeys: ReturnType<typeof tagKeys> },
    authorize: async (i, ctx) => ({ ...(await e.target(ctx, nameOf(i))), context: { "aws:TagKeys": i.TagKeys } }),
    handler: async (i, ctx) => {
      const r = await e.find(ctx, nameOf(i));
      await removeTags(ctx.db, r.accountId, e.tagType, r.id, i.TagKeys, e.principalTags);
      return undefined;
    },
  });
  const ListTags = defineAction({
    service: "iam",
    name: `List${e.title}Tags`,
    input: { [e.field]: e.name(), ...paging } as { Name: NameField; Marker: typeof paging.Marker; MaxItems: typeof paging.MaxItems },
    authorize: (i, ctx) => e.target(ctx, nameOf(i)),
    handler: async (i, ctx) => {
      const r = await e.find(ctx, nameOf(i));
      return tagPage(await listTags(ctx.db, r.accountId, e.tagType, r.id), i.Marker, i.MaxItems);
    },
  });
  return [Tag, Untag, ListTags] as const;
}

export const [TagRole, UntagRole, ListRoleTags] = resourceTagActions({
  title: "Role",
  field: "RoleName",
  name: roleName,
  tagType: "role",
  // Role tags are aws:PrincipalTag values: a change of who can do what.
  principalTags: true,
  target: roleTarget,
  find: async (ctx, name) => {
    const role = await requireRole(ctx, name);
    return { accountId: role.accountId, id: role.roleId };
  },
  notFound: notFound.role,
});

export const roleActions = [
  CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy, DeleteRole,
  TagRole, UntagRole, ListRoleTags,
];
