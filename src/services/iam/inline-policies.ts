/**
 * Inline policies: Put/Get/Delete/List User/Group/RolePolicy. Documents are validated as identity
 * policies; the identity's inline policies together stay under AWS's size limit (user 2,048,
 * group 5,120, role 10,240 characters without whitespace), checked inside the INSERT.
 */
import { defineAction, type ActionDef } from "../action";
import { errors } from "../../protocol/errors";
import { policySizeWithoutWhitespace } from "../../policy/index";
import { deleteInline, getInline, INLINE_SIZE_LIMIT, listInline, putInline } from "../../store/iam-attachments";
import type { PolicyEntityType } from "../../store/iam-policies";
import { DEFAULT_MAX_ITEMS, decodeMarker, page, paging } from "./common";
import { account, encodeDocument, req, validateDocument } from "./policies";
import { ENTITY, entityNotFound, entityTarget, guardRole, lookupEntity, nameOf } from "./attachments";

type NameField = ReturnType<typeof req.name>;

const inlineNotFound = (type: PolicyEntityType, policyName: string) =>
  errors.noSuchEntity(`The ${type} policy with name ${policyName} cannot be found.`);

function putAction(type: PolicyEntityType) {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `Put${E.title}Policy`,
    input: { [E.field]: req.name(E.max), PolicyName: req.name(128), PolicyDocument: req.policyDocument() } as {
      Name: NameField; PolicyName: NameField; PolicyDocument: ReturnType<typeof req.policyDocument>;
    },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type)),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      validateDocument(i.PolicyDocument, "identity", false);
      await guardRole(ctx, type, name);
      const size = policySizeWithoutWhitespace(i.PolicyDocument);
      const limit = INLINE_SIZE_LIMIT[type];
      const tooBig = () => errors.limitExceeded(`Maximum policy size of ${limit} bytes exceeded for ${type} ${name}`);
      const r = size > limit ? "tooBig" : await putInline(ctx.db, account(ctx), type, name, i.PolicyName, i.PolicyDocument, size);
      if (r === "tooBig") {
        // Report a missing identity before the size of its policies.
        if (size > limit && !(await entityExists(type, name, ctx))) throw entityNotFound(type, name);
        throw tooBig();
      }
      if (r === "noEntity") throw entityNotFound(type, name);
      return undefined;
    },
  });
}

async function entityExists(type: PolicyEntityType, name: string, ctx: Parameters<typeof guardRole>[0]): Promise<boolean> {
  return (await lookupEntity(ctx, type, name)) !== undefined;
}

function getAction(type: PolicyEntityType) {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `Get${E.title}Policy`,
    input: { [E.field]: req.name(E.max), PolicyName: req.name(128) } as { Name: NameField; PolicyName: NameField },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type)),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      const r = await getInline(ctx.db, account(ctx), type, name, i.PolicyName);
      if (r === "noEntity") throw entityNotFound(type, name);
      if (r === "noPolicy") throw inlineNotFound(type, i.PolicyName);
      return { [E.field]: r.entityName, PolicyName: i.PolicyName, PolicyDocument: encodeDocument(r.document) };
    },
  });
}

function deleteAction(type: PolicyEntityType) {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `Delete${E.title}Policy`,
    input: { [E.field]: req.name(E.max), PolicyName: req.name(128) } as { Name: NameField; PolicyName: NameField },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type)),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      await guardRole(ctx, type, name);
      const r = await deleteInline(ctx.db, account(ctx), type, name, i.PolicyName);
      if (r === "noEntity") throw entityNotFound(type, name);
      if (r === "noPolicy") throw inlineNotFound(type, i.PolicyName);
      return undefined;
    },
  });
}

function listAction(type: PolicyEntityType) {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `List${E.title}Policies`,
    input: { [E.field]: req.name(E.max), ...paging } as { Name: NameField; Marker: typeof paging.Marker; MaxItems: typeof paging.MaxItems },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type)),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
      const rows = await listInline(ctx.db, account(ctx), type, name, { after: decodeMarker(i.Marker), limit: max + 1 });
      if (!rows) throw entityNotFound(type, name);
      const pg = page(rows, max, (n) => n);
      return { PolicyNames: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
    },
  });
}

const TYPES: PolicyEntityType[] = ["user", "group", "role"];

export const inlinePolicyActions = [...TYPES.map(putAction), ...TYPES.map(getAction), ...TYPES.map(deleteAction), ...TYPES.map(listAction)] as unknown as ActionDef[];
