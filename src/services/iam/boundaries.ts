/**
 * Permissions boundaries: Put/Delete UserPermissionsBoundary and RolePermissionsBoundary.
 * A boundary must be a managed policy (customer-managed in the account, or AWS-managed).
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { setBoundary } from "../../store/iam-attachments";
import { account, boundaryNotFound, checkPolicyArn, req } from "./policies";
import { entityName, entityNotFound, entityTarget, guardRole, lookupEntity } from "./attachments";
import type { EntityInfo } from "../../store/iam-attachments";

async function put(ctx: ActionContext, type: "user" | "role", name: string, e: EntityInfo | undefined, arn: string): Promise<undefined> {
  checkPolicyArn(arn); // the rule of requireBoundaryPolicy; existence is checked inside setBoundary's write
  guardRole(type, e);
  const r = await setBoundary(ctx.db, account(ctx), type, name, arn);
  if (r === "noEntity") throw entityNotFound(type, name);
  if (r === "noPolicy") throw boundaryNotFound(arn);
  return undefined;
}

async function remove(ctx: ActionContext, type: "user" | "role", name: string, e: EntityInfo | undefined): Promise<undefined> {
  guardRole(type, e);
  const r = await setBoundary(ctx.db, account(ctx), type, name, null);
  if (r === "noEntity") throw entityNotFound(type, name);
  return undefined;
}

export const PutUserPermissionsBoundary = defineAction({
  service: "iam",
  name: "PutUserPermissionsBoundary",
  effect: "permissions",
  input: { UserName: entityName.user(), PermissionsBoundary: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e, { "iam:PermissionsBoundary": i.PermissionsBoundary }),
  handler: (i, ctx, e) => put(ctx, "user", i.UserName, e, i.PermissionsBoundary),
});

export const PutRolePermissionsBoundary = defineAction({
  service: "iam",
  name: "PutRolePermissionsBoundary",
  effect: "permissions",
  input: { RoleName: entityName.role(), PermissionsBoundary: req.arn() },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e, { "iam:PermissionsBoundary": i.PermissionsBoundary }),
  handler: (i, ctx, e) => put(ctx, "role", i.RoleName, e, i.PermissionsBoundary),
});

export const DeleteUserPermissionsBoundary = defineAction({
  service: "iam",
  name: "DeleteUserPermissionsBoundary",
  effect: "permissions",
  input: { UserName: entityName.user() },
  load: (i, ctx) => lookupEntity(ctx, "user", i.UserName),
  target: (i, ctx, e) => entityTarget(ctx, "user", i.UserName, e),
  handler: (i, ctx, e) => remove(ctx, "user", i.UserName, e),
});

export const DeleteRolePermissionsBoundary = defineAction({
  service: "iam",
  name: "DeleteRolePermissionsBoundary",
  effect: "permissions",
  input: { RoleName: entityName.role() },
  load: (i, ctx) => lookupEntity(ctx, "role", i.RoleName),
  target: (i, ctx, e) => entityTarget(ctx, "role", i.RoleName, e),
  handler: (i, ctx, e) => remove(ctx, "role", i.RoleName, e),
});

export const boundaryActions: RegisteredAction[] = [
  PutUserPermissionsBoundary,
  PutRolePermissionsBoundary,
  DeleteUserPermissionsBoundary,
  DeleteRolePermissionsBoundary,
];
