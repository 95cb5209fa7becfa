/**
 * Service control policies: CreatePolicy / DescribePolicy / DeletePolicy / ListPolicies, AttachPolicy /
 * DetachPolicy / ListPoliciesForTarget, with the AWS-managed FullAWSAccess (p-FullAWSAccess) and AWS's
 * limits: 5,120 characters per SCP, at most 5 and at least 1 SCP per root, OU and account.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { parsePolicy } from "../../policy/index";
import {
  attachedTo,
  attachPolicy,
  deletePolicy,
  detachPolicy,
  FULL_AWS_ACCESS_ID,
  getMember,
  getOu,
  getPolicy,
  insertPolicy,
  listPolicies,
  type OrgPolicyRow,
  type OrgRow,
} from "../../store/org-organizations";
import { FULL_AWS_ACCESS, managedOrg, newPolicyId, orgChanged, orgErrors, policyArn, SCP } from "./common";

const anywhere = () => ({ resource: "*" });
/** AWS's quotas for SCPs (Organizations User Guide, "Quotas and service limits"). */
const MAX_SCP_CHARS = 5120;
const MAX_SCPS_PER_TARGET = 5;

const FULL_ACCESS_ROW = (org: OrgRow): OrgPolicyRow => ({
  policyId: FULL_AWS_ACCESS_ID,
  orgId: org.orgId,
  name: FULL_AWS_ACCESS.name,
  description: FULL_AWS_ACCESS.description,
  type: SCP,
  content: FULL_AWS_ACCESS.content,
});

const summary = (org: OrgRow, p: OrgPolicyRow) => ({
  Id: p.policyId,
  Arn: policyArn(org, p.policyId),
  Name: p.name,
  Description: p.description,
  Type: p.type,
  AwsManaged: p.policyId === FULL_AWS_ACCESS_ID,
});

async function findPolicy(ctx: ActionContext, org: OrgRow, id: string): Promise<OrgPolicyRow> {
  if (id === FULL_AWS_ACCESS_ID) return FULL_ACCESS_ROW(org);
  const p = await getPolicy(ctx.db, org.orgId, id);
  if (!p) throw orgErrors.policyNotFound();
  return p;
}

async function checkTarget(ctx: ActionContext, org: OrgRow, id: string): Promise<void> {
  const found =
    id === org.rootId ||
    (id.startsWith("ou-") ? (await getOu(ctx.db, org.orgId, id)) !== undefined : (await getMember(ctx.db, org.orgId, id)) !== undefined);
  if (!found) throw orgErrors.targetNotFound();
}

/** An SCP as AWS accepts it: at most 5,120 characters, an identity-side grammar (no Principal / NotPrincipal). */
export function validateScp(content: string): void {
  if (content.length > MAX_SCP_CHARS)
    throw orgErrors.constraint("POLICY_CONTENT_LIMIT_EXCEEDED", "You attempted to create a policy that is larger than the maximum size.");
  if (!parsePolicy(content, "scp").ok) throw orgErrors.malformedPolicy();
}

interface CreatePolicyInput {
  Content: string;
  Description: string;
  Name: string;
  Type: string;
}

export const CreatePolicy = defineAction({
  service: "organizations",
  name: "CreatePolicy",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (i, ctx) => {
    const input = i as CreatePolicyInput;
    const org = await managedOrg(ctx);
    if (input.Type !== SCP) throw orgErrors.invalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type.");
    validateScp(input.Content);
    const p: OrgPolicyRow = {
      policyId: newPolicyId(),
      orgId: org.orgId,
      name: input.Name,
      description: input.Description,
      type: input.Type,
      content: input.Content,
    };
    if (!(await insertPolicy(ctx.db, org, p))) throw orgErrors.duplicatePolicy();
    await orgChanged(ctx, org);
    return { Policy: { PolicySummary: summary(org, p), Content: p.content } };
  },
});

export const DescribePolicy = defineAction({
  service: "organizations",
  name: "DescribePolicy",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (i, ctx: ActionContext) => {
    const org = await managedOrg(ctx);
    const p = await findPolicy(ctx, org, (i as { PolicyId: string }).PolicyId);
    return { Policy: { PolicySummary: summary(org, p), Content: p.content } };
  },
});

export const DeletePolicy = defineAction({
  service: "organizations",
  name: "DeletePolicy",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (i, ctx) => {
    const id = (i as { PolicyId: string }).PolicyId;
    const org = await managedOrg(ctx);
    if (id === FULL_AWS_ACCESS_ID) throw orgErrors.accessDenied(); // AWS-managed policies cannot be deleted
    await findPolicy(ctx, org, id);
    if (!(await deletePolicy(ctx.db, org.orgId, id))) throw orgErrors.policyInUse();
    await orgChanged(ctx, org);
    return {};
  },
});

export const ListPolicies = defineAction({
  service: "organizations",
  name: "ListPolicies",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (i, ctx: ActionContext) => {
    const filter = (i as { Filter: string }).Filter;
    const org = await managedOrg(ctx);
    if (filter !== SCP) return { Policies: [] };
    const rows = [FULL_ACCESS_ROW(org), ...(await listPolicies(ctx.db, org.orgId, SCP))];
    return { Policies: rows.map((p) => summary(org, p)) };
  },
});

interface AttachInput {
  PolicyId: string;
  TargetId: string;
}

export const AttachPolicy = defineAction({
  service: "organizations",
  name: "AttachPolicy",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (i, ctx) => {
    const input = i as AttachInput;
    const org = await managedOrg(ctx);
    await findPolicy(ctx, org, input.PolicyId);
    await checkTarget(ctx, org, input.TargetId);
    if (!org.scpEnabled) throw orgErrors.typeNotEnabled();
    if ((await attachedTo(ctx.db, org.orgId, input.TargetId)).includes(input.PolicyId)) throw orgErrors.duplicateAttachment();
    if (!(await attachPolicy(ctx.db, org, input.PolicyId, input.TargetId, MAX_SCPS_PER_TARGET)))
      throw orgErrors.constraint(
        "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        "You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.",
      );
    await orgChanged(ctx, org);
    return {};
  },
});

export const DetachPolicy = defineAction({
  service: "organizations",
  name: "DetachPolicy",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (i, ctx) => {
    const input = i as AttachInput;
    const org = await managedOrg(ctx);
    await findPolicy(ctx, org, input.PolicyId);
    await checkTarget(ctx, org, input.TargetId);
    if (!(await attachedTo(ctx.db, org.orgId, input.TargetId)).includes(input.PolicyId)) throw orgErrors.notAttached();
    if (!(await detachPolicy(ctx.db, org, input.PolicyId, input.TargetId)))
      throw orgErrors.constraint(
        "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.",
      );
    await orgChanged(ctx, org);
    return {};
  },
});

export const ListPoliciesForTarget = defineAction({
  service: "organizations",
  name: "ListPoliciesForTarget",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (i, ctx: ActionContext) => {
    const input = i as { TargetId: string; Filter: string };
    const org = await managedOrg(ctx);
    await checkTarget(ctx, org, input.TargetId);
    if (input.Filter !== SCP) return { Policies: [] };
    const ids = await attachedTo(ctx.db, org.orgId, input.TargetId);
    const rows = await Promise.all(ids.map((id) => findPolicy(ctx, org, id)));
    return { Policies: rows.map((p) => summary(org, p)) };
  },
});

export const policyActions: RegisteredAction[] = [
  CreatePolicy,
  DescribePolicy,
  DeletePolicy,
  ListPolicies,
  AttachPolicy,
  DetachPolicy,
  ListPoliciesForTarget,
];
