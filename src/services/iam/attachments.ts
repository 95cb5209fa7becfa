/**
 * Managed-policy attachments: Attach/Detach User/Group/RolePolicy and
 * ListAttachedUser/Group/RolePolicies. At most ten per identity, enforced inside the INSERT.
 * Also the helpers every action on an identity by name shares (its name member, load step, target).
 */
import { defineAction, type ActionContext, type AuthzTarget, type RegisteredAction } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { iamArn } from "../../lib/arn";
import { attachPolicy, detachPolicy, entityInfo, listAttached, MAX_ATTACHED_POLICIES, type EntityInfo } from "../../store/iam-attachments";
import type { PolicyEntityType } from "../../store/iam-policies";
import { assertRoleModifiable } from "../../store/iam-roles";
import { DEFAULT_MAX_ITEMS, decodeMarker, notFound, page, paging } from "./common";
import { account, req, checkPolicyArn, policyNotFound } from "./policies";

export const ENTITY = {
  user: { field: "UserName", max: 64, prefix: "user/", title: "User" },
  group: { field: "GroupName", max: 128, prefix: "group/", title: "Group" },
  role: { field: "RoleName", max: 64, prefix: "role/", title: "Role" },
} as const;

type NameShape = ReturnType<typeof req.name>;
/** The input member naming an identity, as each action declares it (UserName, GroupName, RoleName). */
export const entityName: { [T in PolicyEntityType]: () => NameShape } = {
  user: () => req.name(ENTITY.user.max),
  group: () => req.name(ENTITY.group.max),
  role: () => req.name(ENTITY.role.max),
};

/** The named identity (the load step of every action on a user, group or role by name). */
export function lookupEntity(ctx: ActionContext, type: PolicyEntityType, name: string): Promise<EntityInfo | undefined> {
  return entityInfo(ctx.db, account(ctx), type, name);
}

/** The identity's ARN (with its path when it exists) plus iam:PermissionsBoundary when it has one. */
export function entityTarget(
  ctx: ActionContext,
  type: PolicyEntityType,
  name: string,
  e: EntityInfo | undefined,
  context: Record<string, string | string[]> = {},
): AuthzTarget {
  const resource = e?.arn ?? iamArn(account(ctx), ENTITY[type].prefix.slice(0, -1), "/", name);
  const ctxKeys = { ...context };
  if (e?.boundary && ctxKeys["iam:PermissionsBoundary"] === undefined) ctxKeys["iam:PermissionsBoundary"] = e.boundary;
  return { resource, context: ctxKeys };
}

/** UnmodifiableEntity for service-linked / reserved roles (only roles, only when the role exists). */
export function guardRole(type: PolicyEntityType, e: EntityInfo | undefined): void {
  if (type === "role" && e) assertRoleModifiable({ path: e.path, roleName: e.name });
}

export const entityNotFound = (type: PolicyEntityType, name: string) => notFound[type](name);

const QUOTA = { user: "PoliciesPerUser", group: "PoliciesPerGroup", role: "PoliciesPerRole" } as const;

async function attach(
  ctx: ActionContext,
  type: PolicyEntityType,
  name: string,
  arn: string,
  e: EntityInfo | undefined,
): Promise<undefined> {
  checkPolicyArn(arn);
  guardRole(type, e);
  const r = await attachPolicy(ctx.db, account(ctx), type, name, arn);
  if (r === "noEntity") throw entityNotFound(type, name);
  if (r === "noPolicy") throw notFound.policy(arn);
  if (r === "limit") throw errors.limitExceeded(`Cannot exceed quota for ${QUOTA[type]}: ${MAX_ATTACHED_POLICIES}`);
  return undefined;
}

async function detach(
  ctx: ActionContext,
  type: PolicyEntityType,
  name: string,
  arn: string,
  e: EntityInfo | undefined,
): Promise<undefined> {
  checkPolicyArn(arn);
  guardRole(type, e);
  const r = await detachPolicy(ctx.db, account(ctx), type, name, arn);
  if (r === "noEntity") throw entityNotFound(type, name);
  if (r === "notAttached") throw policyNotFound(arn);
  return undefined;
}

const policyPathPrefix = () =>
  s.string({ min: 1, max: 512, pattern: /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/, patternText: "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/" });

async function listAttachedOf(
  ctx: ActionContext,
  type: PolicyEntityType,
  name: string,
  i: { PathPrefix?: string; Marker?: string; MaxItems?: number },
) {
  const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
  const rows = await listAttached(ctx.db, account(ctx), type, name, {
    pathPrefix: i.PathPrefix ?? "/",
    after: decodeMarker(i.Marker),
    limit: max + 1,
  });
  if (!rows) throw entityNotFound(type, name);
  const pg = page(rows, max, (r) => `${r.policyName}\n${r.policyArn}`);
  return {
    AttachedPolicies: pg.items.map((r) => ({ PolicyName: r.policyName, PolicyArn: r.policyArn })),
    IsTruncated: pg.IsTruncated,
    Marker: pg.Marker,
  };
}

export const AttachUserPolicy = defineAction({
  service: "iam",
  name: "AttachUserPolicy",
  effect: "permissions",
  input: { UserName: entityName.user(), PolicyArn: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e, { "iam:PolicyARN": i.PolicyArn }),
  handler: (i, ctx, e) => attach(ctx, "user", i.UserName, i.PolicyArn, e),
});

export const AttachGroupPolicy = defineAction({
  service: "iam",
  name: "AttachGroupPolicy",
  effect: "permissions",
  input: { GroupName: entityName.group(), PolicyArn: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e, { "iam:PolicyARN": i.PolicyArn }),
  handler: (i, ctx, e) => attach(ctx, "group", i.GroupName, i.PolicyArn, e),
});

export const AttachRolePolicy = defineAction({
  service: "iam",
  name: "AttachRolePolicy",
  effect: "permissions",
  input: { RoleName: entityName.role(), PolicyArn: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e, { "iam:PolicyARN": i.PolicyArn }),
  handler: (i, ctx, e) => attach(ctx, "role", i.RoleName, i.PolicyArn, e),
});

export const DetachUserPolicy = defineAction({
  service: "iam",
  name: "DetachUserPolicy",
  effect: "permissions",
  input: { UserName: entityName.user(), PolicyArn: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e, { "iam:PolicyARN": i.PolicyArn }),
  handler: (i, ctx, e) => detach(ctx, "user", i.UserName, i.PolicyArn, e),
});

export const DetachGroupPolicy = defineAction({
  service: "iam",
  name: "DetachGroupPolicy",
  effect: "permissions",
  input: { GroupName: entityName.group(), PolicyArn: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e, { "iam:PolicyARN": i.PolicyArn }),
  handler: (i, ctx, e) => detach(ctx, "group", i.GroupName, i.PolicyArn, e),
});

export const DetachRolePolicy = defineAction({
  service: "iam",
  name: "DetachRolePolicy",
  effect: "permissions",
  input: { RoleName: entityName.role(), PolicyArn: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e, { "iam:PolicyARN": i.PolicyArn }),
  handler: (i, ctx, e) => detach(ctx, "role", i.RoleName, i.PolicyArn, e),
});

export const ListAttachedUserPolicies = defineAction({
  service: "iam",
  name: "ListAttachedUserPolicies",
  effect: "read",
  input: { UserName: entityName.user(), PathPrefix: policyPathPrefix(), ...paging },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e),
  handler: (i, ctx) => listAttachedOf(ctx, "user", i.UserName, i),
});

export const ListAttachedGroupPolicies = defineAction({
  service: "iam",
  name: "ListAttachedGroupPolicies",
  effect: "read",
  input: { GroupName: entityName.group(), PathPrefix: policyPathPrefix(), ...paging },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e),
  handler: (i, ctx) => listAttachedOf(ctx, "group", i.GroupName, i),
});

export const ListAttachedRolePolicies = defineAction({
  service: "iam",
  name: "ListAttachedRolePolicies",
  effect: "read",
  input: { RoleName: entityName.role(), PathPrefix: policyPathPrefix(), ...paging },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e),
  handler: (i, ctx) => listAttachedOf(ctx, "role", i.RoleName, i),
});

export const attachmentActions: RegisteredAction[] = [
  AttachUserPolicy,
  AttachGroupPolicy,
  AttachRolePolicy,
  DetachUserPolicy,
  DetachGroupPolicy,
  DetachRolePolicy,
  ListAttachedUserPolicies,
  ListAttachedGroupPolicies,
  ListAttachedRolePolicies,
];
