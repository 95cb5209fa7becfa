/**
 * Organizations (JSON 1.1): the organization itself, its root and policy types. The caller's account
 * becomes the management account (feature set ALL). IAM authorizes every call on `*` (AWS names the
 * organization's resources for some actions; not modelled yet).
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { isoSeconds } from "../../lib/clock";
import { deleteOrganization, enableScps, insertOrganization, orgOfAccount, type OrgRow } from "../../store/org-organizations";
import { accountArn, accountEmail, callerOrg, managedOrg, newOrgId, newRootId, orgArn, orgChanged, orgErrors, root, SCP } from "./common";

function organization(o: OrgRow) {
  return {
    Id: o.orgId,
    Arn: orgArn(o),
    FeatureSet: "ALL",
    MasterAccountArn: accountArn(o, o.accountId),
    MasterAccountId: o.accountId,
    MasterAccountEmail: accountEmail(o.accountId),
    AvailablePolicyTypes: o.scpEnabled ? [{ Type: SCP, Status: "ENABLED" }] : [],
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

interface EnablePolicyTypeInput {
  RootId: string;
  PolicyType: string;
}

export const EnablePolicyType = defineAction({
  service: "organizations",
  name: "EnablePolicyType",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (i, ctx) => {
    const input = i as EnablePolicyTypeInput;
    const org = await managedOrg(ctx);
    if (input.RootId !== org.rootId) throw orgErrors.rootNotFound();
    // Only SCPs are served so far (RCPs, tag and backup policies: not yet).
    if (input.PolicyType !== SCP) throw orgErrors.invalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type.");
    if (org.scpEnabled) throw orgErrors.typeAlreadyEnabled();
    await enableScps(ctx.db, org);
    await orgChanged(ctx, org);
    return { Root: root({ ...org, scpEnabled: 1 }) };
  },
});

export const organizationActions: RegisteredAction[] = [
  CreateOrganization,
  DescribeOrganization,
  DeleteOrganization,
  ListRoots,
  EnablePolicyType,
];
