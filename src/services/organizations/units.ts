/**
 * Organizational units: nesting up to five levels under the root (AWS's limit), the tree read by
 * ListChildren / ListParents. AWS has no call that moves an OU, so the tree cannot form a cycle.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import {
  deleteOu,
  getMember,
  getOu,
  insertOu,
  listMembers,
  listOus,
  ouDepth,
  renameOu,
  type OrgRow,
  type OuRow,
} from "../../store/org-organizations";
import { loadOrg, managedOrg, newOuId, orgChanged, orgErrors, orgResource, ouArn, targetArn } from "./common";
import { parentExists } from "./accounts";
import { putOrgTags } from "../../store/org-tags";
import { MAX_TAGS, validateTags, type TagInput } from "./tag-rules";
import { tagContext } from "./tags";

/** Authorization on the root, OU or account an id names (Service Authorization Reference: root, organizationalunit, account). */
const onId = (id: string) => (_i: unknown, _ctx: ActionContext, org: OrgRow | undefined) => orgResource(org, (o) => targetArn(o, id));
const byOrg = { load: (_i: unknown, ctx: ActionContext) => loadOrg(ctx) };
/** AWS: "You can nest OUs up to five levels deep" (under the root). */
const MAX_OU_DEPTH = 5;

const unit = (o: OrgRow, u: OuRow) => ({ Id: u.ouId, Arn: ouArn(o, u.ouId), Name: u.name });

export const CreateOrganizationalUnit = defineAction({
  service: "organizations",
  name: "CreateOrganizationalUnit",
  effect: "none",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => {
    const input = i as { ParentId: string; Tags?: TagInput[] };
    const t = onId(input.ParentId)(i, ctx, org);
    return input.Tags?.length ? { ...t, context: tagContext(input.Tags) } : t;
  },
  handler: async (i, ctx, loaded: OrgRow | undefined) => {
    const input = i as { ParentId: string; Name: string; Tags?: TagInput[] };
    const org = await managedOrg(ctx, loaded);
    const tags = validateTags(input.Tags ?? []);
    if (!(await parentExists(ctx.db, org, input.ParentId))) throw orgErrors.parentNotFound();
    if (input.ParentId !== org.rootId && (await ouDepth(ctx.db, org.orgId, input.ParentId)) >= MAX_OU_DEPTH)
      throw orgErrors.constraint("OU_DEPTH_LIMIT_EXCEEDED", "You attempted to create an OU tree that is too many levels deep.");
    const ou: OuRow = { ouId: newOuId(org.rootId), orgId: org.orgId, parentId: input.ParentId, name: input.Name };
    if (!(await insertOu(ctx.db, org, ou))) throw orgErrors.duplicateOu();
    if (tags.length) await putOrgTags(ctx.db, org, ou.ouId, tags, MAX_TAGS);
    await orgChanged(ctx, org);
    return { OrganizationalUnit: unit(org, ou) };
  },
});

export const DeleteOrganizationalUnit = defineAction({
  service: "organizations",
  name: "DeleteOrganizationalUnit",
  effect: "none",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => onId((i as { OrganizationalUnitId: string }).OrganizationalUnitId)(i, ctx, org),
  handler: async (i, ctx, loaded: OrgRow | undefined) => {
    const id = (i as { OrganizationalUnitId: string }).OrganizationalUnitId;
    const org = await managedOrg(ctx, loaded);
    if (!(await getOu(ctx.db, org.orgId, id))) throw orgErrors.ouNotFound();
    if (!(await deleteOu(ctx.db, org, id))) throw orgErrors.ouNotEmpty();
    await orgChanged(ctx, org);
    return {};
  },
});

export const DescribeOrganizationalUnit = defineAction({
  service: "organizations",
  name: "DescribeOrganizationalUnit",
  effect: "read",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => onId((i as { OrganizationalUnitId: string }).OrganizationalUnitId)(i, ctx, org),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const org = await managedOrg(ctx, loaded);
    const ou = await getOu(ctx.db, org.orgId, (i as { OrganizationalUnitId: string }).OrganizationalUnitId);
    if (!ou) throw orgErrors.ouNotFound();
    return { OrganizationalUnit: unit(org, ou) };
  },
});

export const ListOrganizationalUnitsForParent = defineAction({
  service: "organizations",
  name: "ListOrganizationalUnitsForParent",
  effect: "read",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => onId((i as { ParentId: string }).ParentId)(i, ctx, org),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const org = await managedOrg(ctx, loaded);
    const parent = (i as { ParentId: string }).ParentId;
    if (!(await parentExists(ctx.db, org, parent))) throw orgErrors.parentNotFound();
    return { OrganizationalUnits: (await listOus(ctx.db, org.orgId, parent)).map((u) => unit(org, u)) };
  },
});

export const ListChildren = defineAction({
  service: "organizations",
  name: "ListChildren",
  effect: "read",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => onId((i as { ParentId: string }).ParentId)(i, ctx, org),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const input = i as { ParentId: string; ChildType: string };
    const org = await managedOrg(ctx, loaded);
    if (!(await parentExists(ctx.db, org, input.ParentId))) throw orgErrors.parentNotFound();
    const Children =
      input.ChildType === "ACCOUNT"
        ? (await listMembers(ctx.db, org.orgId, input.ParentId)).map((m) => ({ Id: m.accountId, Type: "ACCOUNT" }))
        : (await listOus(ctx.db, org.orgId, input.ParentId)).map((u) => ({ Id: u.ouId, Type: "ORGANIZATIONAL_UNIT" }));
    return { Children };
  },
});

export const ListParents = defineAction({
  service: "organizations",
  name: "ListParents",
  effect: "read",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => onId((i as { ChildId: string }).ChildId)(i, ctx, org),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const child = (i as { ChildId: string }).ChildId;
    const org = await managedOrg(ctx, loaded);
    const parent = child.startsWith("ou-")
      ? (await getOu(ctx.db, org.orgId, child))?.parentId
      : (await getMember(ctx.db, org.orgId, child))?.parentId;
    if (!parent) throw orgErrors.childNotFound();
    return { Parents: [{ Id: parent, Type: parent.startsWith("r-") ? "ROOT" : "ORGANIZATIONAL_UNIT" }] };
  },
});

export const UpdateOrganizationalUnit = defineAction({
  service: "organizations",
  name: "UpdateOrganizationalUnit",
  effect: "none",
  input: {},
  ...byOrg,
  target: (i, ctx, org: OrgRow | undefined) => onId((i as { OrganizationalUnitId: string }).OrganizationalUnitId)(i, ctx, org),
  handler: async (i, ctx, loaded: OrgRow | undefined) => {
    const input = i as { OrganizationalUnitId: string; Name?: string };
    const org = await managedOrg(ctx, loaded);
    const ou = await getOu(ctx.db, org.orgId, input.OrganizationalUnitId);
    if (!ou) throw orgErrors.ouNotFound();
    const renamed = { ...ou, name: input.Name ?? ou.name };
    if (renamed.name !== ou.name && !(await renameOu(ctx.db, org.orgId, ou.ouId, renamed.name))) throw orgErrors.duplicateOu();
    await orgChanged(ctx, org);
    return { OrganizationalUnit: unit(org, renamed) };
  },
});

export const unitActions: RegisteredAction[] = [
  UpdateOrganizationalUnit,
  CreateOrganizationalUnit,
  DeleteOrganizationalUnit,
  DescribeOrganizationalUnit,
  ListOrganizationalUnitsForParent,
  ListChildren,
  ListParents,
];
