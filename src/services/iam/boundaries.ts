/**
 * Permissions boundaries: Put/Delete UserPermissionsBoundary and RolePermissionsBoundary.
 * A boundary must be a managed policy (customer-managed in the account, or AWS-managed).
 */
import { defineAction, type ActionDef } from "../action";
import { errors } from "../../protocol/errors";
import { parseArn } from "../../lib/arn";
import { setBoundary } from "../../store/iam-attachments";
import { account, req } from "./policies";
import { ENTITY, entityNotFound, entityTarget, guardRole, nameOf } from "./attachments";

type NameField = ReturnType<typeof req.name>;

function checkBoundaryArn(arn: string): void {
  const a = parseArn(arn);
  if (!a || a.service !== "iam" || !a.resource.startsWith("policy/"))
    throw errors.invalidInput(`ARN ${arn} is not valid.`);
}

function putAction(type: "user" | "role") {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `Put${E.title}PermissionsBoundary`,
    input: { [E.field]: req.name(E.max), PermissionsBoundary: req.arn() } as { Name: NameField; PermissionsBoundary: ReturnType<typeof req.arn> },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type), { "iam:PermissionsBoundary": i.PermissionsBoundary }),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      checkBoundaryArn(i.PermissionsBoundary);
      await guardRole(ctx, type, name);
      const r = await setBoundary(ctx.db, account(ctx), type, name, i.PermissionsBoundary);
      if (r === "noEntity") throw entityNotFound(type, name);
      if (r === "noPolicy") throw errors.noSuchEntity(`Scope ARN: ${i.PermissionsBoundary} does not exist or is not attachable.`);
      return undefined;
    },
  });
}

function deleteAction(type: "user" | "role") {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `Delete${E.title}PermissionsBoundary`,
    input: { [E.field]: req.name(E.max) } as { Name: NameField },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type)),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      await guardRole(ctx, type, name);
      const r = await setBoundary(ctx.db, account(ctx), type, name, null);
      if (r === "noEntity") throw entityNotFound(type, name);
      return undefined;
    },
  });
}

export const boundaryActions = [putAction("user"), putAction("role"), deleteAction("user"), deleteAction("role")] as unknown as ActionDef[];
