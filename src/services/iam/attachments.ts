/**
 * Managed-policy attachments: Attach/Detach User/Group/RolePolicy and
 * ListAttachedUser/Group/RolePolicies. At most ten per identity, enforced inside the INSERT.
 */
import { defineAction, type ActionDef, type ActionContext, type AuthzTarget } from "../action";
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

const looked = new WeakMap<ActionContext, Map<string, EntityInfo | undefined>>();

/** The named identity, looked up once per request (authorize and handler share it). */
export async function lookupEntity(ctx: ActionContext, type: PolicyEntityType, name: string): Promise<EntityInfo | undefined> {
  let m = looked.get(ctx);
  if (!m) looked.set(ctx, (m = new Map()));
  const key = `${type}\n${name.toLowerCase()}`;
  if (!m.has(key)) m.set(key, await entityInfo(ctx.db, account(ctx), type, name));
  return m.get(key);
}

/** The identity's ARN (with its path when it exists) plus iam:PermissionsBoundary when it has one. */
export async function entityTarget(ctx: ActionContext, type: PolicyEntityType, name: string, context: Record<string, string | string[]> = {}): Promise<AuthzTarget> {
  const e = await lookupEntity(ctx, type, name);
  const resource = e?.arn ?? iamArn(account(ctx), ENTITY[type].prefix.slice(0, -1), "/", name);
  const ctxKeys = { ...context };
  if (e?.boundary && ctxKeys["iam:PermissionsBoundary"] === undefined) ctxKeys["iam:PermissionsBoundary"] = e.boundary;
  return { resource, context: ctxKeys };
}

/** UnmodifiableEntity for service-linked / reserved roles (only roles, only when the role exists). */
export async function guardRole(ctx: ActionContext, type: PolicyEntityType, name: string): Promise<void> {
  if (type !== "role") return;
  const e = await lookupEntity(ctx, type, name);
  if (e) assertRoleModifiable({ path: e.path, roleName: e.name });
}

export const entityNotFound = (type: PolicyEntityType, name: string) => notFound[type](name);

const QUOTA = { user: "PoliciesPerUser", group: "PoliciesPerGroup", role: "PoliciesPerRole" } as const;

/** Attach…Policy / Detach…Policy: same input, target and checks; `apply` does the write and maps its outcome. */
function policyArnAction(type: PolicyEntityType, verb: "Attach" | "Detach", apply: (ctx: ActionContext, name: string, arn: string) => Promise<void>) {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `${verb}${E.title}Policy`,
    input: { [E.field]: req.name(E.max), PolicyArn: req.arn() } as { Name: ReturnType<typeof req.name>; PolicyArn: ReturnType<typeof req.arn> },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type), { "iam:PolicyARN": i.PolicyArn }),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      checkPolicyArn(i.PolicyArn);
      await guardRole(ctx, type, name);
      await apply(ctx, name, i.PolicyArn);
      return undefined;
    },
  });
}

const attachAction = (type: PolicyEntityType) =>
  policyArnAction(type, "Attach", async (ctx, name, arn) => {
    const r = await attachPolicy(ctx.db, account(ctx), type, name, arn);
    if (r === "noEntity") throw entityNotFound(type, name);
    if (r === "noPolicy") throw notFound.policy(arn);
    if (r === "limit") throw errors.limitExceeded(`Cannot exceed quota for ${QUOTA[type]}: ${MAX_ATTACHED_POLICIES}`);
  });

const detachAction = (type: PolicyEntityType) =>
  policyArnAction(type, "Detach", async (ctx, name, arn) => {
    const r = await detachPolicy(ctx.db, account(ctx), type, name, arn);
    if (r === "noEntity") throw entityNotFound(type, name);
    if (r === "notAttached") throw policyNotFound(arn);
  });

const policyPathPrefix = () =>
  s.string({ min: 1, max: 512, pattern: /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/, patternText: "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/" });

function listAttachedAction(type: PolicyEntityType) {
  const E = ENTITY[type];
  return defineAction({
    service: "iam",
    name: `ListAttached${E.title}Policies`,
    input: { [E.field]: req.name(E.max), PathPrefix: policyPathPrefix(), ...paging } as {
      Name: ReturnType<typeof req.name>; PathPrefix: ReturnType<typeof policyPathPrefix>; Marker: typeof paging.Marker; MaxItems: typeof paging.MaxItems;
    },
    authorize: (i, ctx) => entityTarget(ctx, type, nameOf(i, type)),
    async handler(i, ctx) {
      const name = nameOf(i, type);
      const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
      const rows = await listAttached(ctx.db, account(ctx), type, name, { pathPrefix: i.PathPrefix ?? "/", after: decodeMarker(i.Marker), limit: max + 1 });
      if (!rows) throw entityNotFound(type, name);
      const pg = page(rows, max, (r) => `${r.policyName}\n${r.policyArn}`);
      return {
        AttachedPolicies: pg.items.map((r) => ({ PolicyName: r.policyName, PolicyArn: r.policyArn })),
        IsTruncated: pg.IsTruncated,
        Marker: pg.Marker,
      };
    },
  });
}

/** The identity name field of a generated action's input (UserName / GroupName / RoleName). */
export function nameOf(i: object, type: PolicyEntityType): string {
  return (i as Record<string, string>)[ENTITY[type].field]!;
}

const TYPES: PolicyEntityType[] = ["user", "group", "role"];

export const attachmentActions = [
  ...TYPES.map(attachAction),
  ...TYPES.map(detachAction),
  ...TYPES.map(listAttachedAction),
] as unknown as ActionDef[];
