/**
 * Inline policies: Put/Get/Delete/List User/Group/RolePolicy. Documents are validated as identity
 * policies; the identity's inline policies together stay under AWS's size limit (user 2,048,
 * group 5,120, role 10,240 characters without whitespace), checked inside the INSERT.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { errors } from "../../protocol/errors";
import { policySizeWithoutWhitespace } from "../../policy/index";
import { deleteInline, getInline, INLINE_SIZE_LIMIT, listInline, putInline } from "../../store/iam-attachments";
import type { PolicyEntityType } from "../../store/iam-policies";
import { DEFAULT_MAX_ITEMS, decodeMarker, page, paging } from "./common";
import { account, req, validateDocument } from "./policies";
import { encodeDocument } from "./views";
import { ENTITY, entityName, entityNotFound, entityTarget, guardRole, lookupEntity } from "./attachments";
import type { EntityInfo } from "../../store/iam-attachments";

const inlineNotFound = (type: PolicyEntityType, policyName: string) =>
  errors.noSuchEntity(`The ${type} policy with name ${policyName} cannot be found.`);

async function putPolicy(
  ctx: ActionContext,
  type: PolicyEntityType,
  name: string,
  e: EntityInfo | undefined,
  i: { PolicyName: string; PolicyDocument: string },
): Promise<undefined> {
  validateDocument(i.PolicyDocument, "identity", false);
  guardRole(type, e);
  const size = policySizeWithoutWhitespace(i.PolicyDocument);
  const limit = INLINE_SIZE_LIMIT[type];
  const r = size > limit ? "tooBig" : await putInline(ctx.db, account(ctx), type, name, i.PolicyName, i.PolicyDocument, size);
  if (r === "tooBig") {
    // Report a missing identity before the size of its policies.
    if (!e) throw entityNotFound(type, name);
    throw errors.limitExceeded(`Maximum policy size of ${limit} bytes exceeded for ${type} ${name}`);
  }
  if (r === "noEntity") throw entityNotFound(type, name);
  return undefined;
}

async function getPolicy(ctx: ActionContext, type: PolicyEntityType, name: string, policyName: string) {
  const r = await getInline(ctx.db, account(ctx), type, name, policyName);
  if (r === "noEntity") throw entityNotFound(type, name);
  if (r === "noPolicy") throw inlineNotFound(type, policyName);
  return { [ENTITY[type].field]: r.entityName, PolicyName: policyName, PolicyDocument: encodeDocument(r.document) };
}

async function deletePolicy(
  ctx: ActionContext,
  type: PolicyEntityType,
  name: string,
  e: EntityInfo | undefined,
  policyName: string,
): Promise<undefined> {
  guardRole(type, e);
  const r = await deleteInline(ctx.db, account(ctx), type, name, policyName);
  if (r === "noEntity") throw entityNotFound(type, name);
  if (r === "noPolicy") throw inlineNotFound(type, policyName);
  return undefined;
}

async function listPolicies(ctx: ActionContext, type: PolicyEntityType, name: string, i: { Marker?: string; MaxItems?: number }) {
  const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
  const rows = await listInline(ctx.db, account(ctx), type, name, { after: decodeMarker(i.Marker), limit: max + 1 });
  if (!rows) throw entityNotFound(type, name);
  const pg = page(rows, max, (n) => n);
  return { PolicyNames: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
}

const document = () => ({ PolicyName: req.name(128), PolicyDocument: req.policyDocument() });

export const PutUserPolicy = defineAction({
  service: "iam",
  name: "PutUserPolicy",
  effect: "permissions",
  input: { UserName: entityName.user(), ...document() },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e),
  handler: (i, ctx, e) => putPolicy(ctx, "user", i.UserName, e, i),
});

export const PutGroupPolicy = defineAction({
  service: "iam",
  name: "PutGroupPolicy",
  effect: "permissions",
  input: { GroupName: entityName.group(), ...document() },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e),
  handler: (i, ctx, e) => putPolicy(ctx, "group", i.GroupName, e, i),
});

export const PutRolePolicy = defineAction({
  service: "iam",
  name: "PutRolePolicy",
  effect: "permissions",
  input: { RoleName: entityName.role(), ...document() },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e),
  handler: (i, ctx, e) => putPolicy(ctx, "role", i.RoleName, e, i),
});

export const GetUserPolicy = defineAction({
  service: "iam",
  name: "GetUserPolicy",
  effect: "read",
  input: { UserName: entityName.user(), PolicyName: req.name(128) },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e),
  handler: (i, ctx) => getPolicy(ctx, "user", i.UserName, i.PolicyName),
});

export const GetGroupPolicy = defineAction({
  service: "iam",
  name: "GetGroupPolicy",
  effect: "read",
  input: { GroupName: entityName.group(), PolicyName: req.name(128) },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e),
  handler: (i, ctx) => getPolicy(ctx, "group", i.GroupName, i.PolicyName),
});

export const GetRolePolicy = defineAction({
  service: "iam",
  name: "GetRolePolicy",
  effect: "read",
  input: { RoleName: entityName.role(), PolicyName: req.name(128) },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e),
  handler: (i, ctx) => getPolicy(ctx, "role", i.RoleName, i.PolicyName),
});

export const DeleteUserPolicy = defineAction({
  service: "iam",
  name: "DeleteUserPolicy",
  effect: "permissions",
  input: { UserName: entityName.user(), PolicyName: req.name(128) },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e),
  handler: (i, ctx, e) => deletePolicy(ctx, "user", i.UserName, e, i.PolicyName),
});

export const DeleteGroupPolicy = defineAction({
  service: "iam",
  name: "DeleteGroupPolicy",
  effect: "permissions",
  input: { GroupName: entityName.group(), PolicyName: req.name(128) },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e),
  handler: (i, ctx, e) => deletePolicy(ctx, "group", i.GroupName, e, i.PolicyName),
});

export const DeleteRolePolicy = defineAction({
  service: "iam",
  name: "DeleteRolePolicy",
  effect: "permissions",
  input: { RoleName: entityName.role(), PolicyName: req.name(128) },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e),
  handler: (i, ctx, e) => deletePolicy(ctx, "role", i.RoleName, e, i.PolicyName),
});

export const ListUserPolicies = defineAction({
  service: "iam",
  name: "ListUserPolicies",
  effect: "read",
  input: { UserName: entityName.user(), ...paging },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e),
  handler: (i, ctx) => listPolicies(ctx, "user", i.UserName, i),
});

export const ListGroupPolicies = defineAction({
  service: "iam",
  name: "ListGroupPolicies",
  effect: "read",
  input: { GroupName: entityName.group(), ...paging },
  load: (i, ctx) => lookupEntity(ctx, "group", i.GroupName),
  target: (i, ctx, e) => entityTarget(ctx, "group", i.GroupName, e),
  handler: (i, ctx) => listPolicies(ctx, "group", i.GroupName, i),
});

export const ListRolePolicies = defineAction({
  service: "iam",
  name: "ListRolePolicies",
  effect: "read",
  input: { RoleName: entityName.role(), ...paging },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e),
  handler: (i, ctx) => listPolicies(ctx, "role", i.RoleName, i),
});

export const inlinePolicyActions: RegisteredAction[] = [
  PutUserPolicy,
  PutGroupPolicy,
  PutRolePolicy,
  GetUserPolicy,
  GetGroupPolicy,
  GetRolePolicy,
  DeleteUserPolicy,
  DeleteGroupPolicy,
  DeleteRolePolicy,
  ListUserPolicies,
  ListGroupPolicies,
  ListRolePolicies,
];
