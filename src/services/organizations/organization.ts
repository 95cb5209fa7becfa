/**
 * Organizations (JSON 1.1): the organization itself, its root and policy types. The caller's account
 * becomes the management account (feature set ALL). Actions on the root are authorized on its ARN;
 * the others name no resource in the Service Authorization Reference (`*`).
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { isoSeconds } from "../../lib/clock";
import {
  deleteOrganization,
  disablePolicyType,
  enablePolicyType,
  insertOrganization,
  orgOfAccount,
  type OrgRow,
} from "../../store/org-organizations";
import {
  accountArn,
  accountEmail,
  callerOrg,
  enabledTypes,
  loadOrg,
  managedOrg,
  newOrgId,
  newRootId,
  orgArn,
  orgChanged,
  orgErrors,
  orgResource,
  orgWrite,
  POLICY_TYPES,
  RCP,
  root,
  rootArn,
} from "./common";

function organization(o: OrgRow) {
  return {
    Id: o.orgId,
    Arn: orgArn(o),
    FeatureSet: "ALL",
    MasterAccountArn: accountArn(o, o.accountId),
    MasterAccountId: o.accountId,
    MasterAccountEmail: accountEmail(o.accountId),
    AvailablePolicyTypes: enabledTypes(o),
  };
}

const anywhere = () => ({ resource: "*" });

export const CreateOrganization = defineAction({
  service: "organizations",
  name: "CreateOrganization",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (_i, ctx) => {
    const account = ctx.caller.principal.account;
    if (await orgOfAccount(ctx.db, account)) throw orgErrors.alreadyInOrganization();
    const org: OrgRow = {
      orgId: newOrgId(),
      accountId: account,
      rootId: newRootId(),
      createDate: isoSeconds(ctx.request.now),
      scpEnabled: 0,
      rcpEnabled: 0,
    };
    if (!(await insertOrganization(ctx.db, org, { name: account, email: accountEmail(account) }))) throw orgErrors.alreadyInOrganization();
    await orgChanged(ctx, org);
    return { Organization: organization(org) };
  },
});

export const DescribeOrganization = defineAction({
  service: "organizations",
  name: "DescribeOrganization",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (_i, ctx: ActionContext) => ({ Organization: organization(await callerOrg(ctx)) }),
});

export const DeleteOrganization = defineAction({
  service: "organizations",
  name: "DeleteOrganization",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (_i, ctx) => {
    const org = await managedOrg(ctx);
    if (!(await deleteOrganization(ctx.db, org))) throw orgErrors.notEmpty();
    await orgChanged(ctx, org);
    return {};
  },
});

export const ListRoots = defineAction({
  service: "organizations",
  name: "ListRoots",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (_i, ctx: ActionContext) => ({ Roots: [root(await managedOrg(ctx))] }),
});

interface PolicyTypeInput {
  RootId: string;
  PolicyType: string;
}

/** The root and the policy type of Enable/DisablePolicyType, checked in AWS's order. */
async function rootAndType(ctx: ActionContext, input: PolicyTypeInput, loaded: OrgRow | undefined): Promise<OrgRow> {
  const org = await managedOrg(ctx, loaded);
  if (input.RootId !== org.rootId) throw orgErrors.rootNotFound();
  // Tag, backup, AI opt-out, chatbot … policies are not served.
  if (!POLICY_TYPES.includes(input.PolicyType))
    throw orgErrors.invalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type.");
  return org;
}

const rootTarget = (_i: PolicyTypeInput, _ctx: ActionContext, org: OrgRow | undefined) => orgResource(org, rootArn);

export const EnablePolicyType = defineAction({
  service: "organizations",
  name: "EnablePolicyType",
  effect: "none",
  input: {},
  load: (_i, ctx) => loadOrg(ctx),
  target: rootTarget,
  handler: async (i, ctx, loaded) => {
    const input = i as PolicyTypeInput;
    const org = await rootAndType(ctx, input, loaded);
    if (!(await orgWrite(ctx, org, () => enablePolicyType(ctx.db, org, input.PolicyType)))) throw orgErrors.typeAlreadyEnabled();
    await orgChanged(ctx, org);
    return { Root: root(input.PolicyType === RCP ? { ...org, rcpEnabled: 1 } : { ...org, scpEnabled: 1 }) };
  },
});

/** Detaches every policy of the type from every root, OU and account (the policies themselves stay). */
export const DisablePolicyType = defineAction({
  service: "organizations",
  name: "DisablePolicyType",
  effect: "none",
  input: {},
  load: (_i, ctx) => loadOrg(ctx),
  target: rootTarget,
  handler: async (i, ctx, loaded) => {
    const input = i as PolicyTypeInput;
    const org = await rootAndType(ctx, input, loaded);
    if (!(await orgWrite(ctx, org, () => disablePolicyType(ctx.db, org, input.PolicyType)))) throw orgErrors.typeNotEnabled();
    await orgChanged(ctx, org);
    return { Root: root(input.PolicyType === RCP ? { ...org, rcpEnabled: 0 } : { ...org, scpEnabled: 0 }) };
  },
});

export const organizationActions: RegisteredAction[] = [
  CreateOrganization,
  DescribeOrganization,
  DeleteOrganization,
  ListRoots,
  EnablePolicyType,
  DisablePolicyType,
];
