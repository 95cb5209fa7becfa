/**
 * Organization policies — service control policies and resource control policies: CreatePolicy /
 * UpdatePolicy / DescribePolicy / DeletePolicy / ListPolicies, AttachPolicy / DetachPolicy /
 * ListPoliciesForTarget / ListTargetsForPolicy, with the AWS-managed FullAWSAccess (p-FullAWSAccess)
 * and RCPFullAWSAccess (p-RCPFullAWSAccess) and AWS's limits: 5,120 characters per policy, at most 5
 * and at least 1 policy of a type per root, OU and account.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { authorizeCall } from "../../authz/authorize";
import {
  attachedTo,
  attachPolicy,
  deletePolicy,
  detachPolicy,
  getMember,
  getOu,
  getPolicy,
  insertPolicy,
  listPolicies,
  RCP_FULL_AWS_ACCESS_ID,
  targetsOfPolicy,
  updatePolicy,
  type OrgPolicyRow,
  type OrgRow,
} from "../../store/org-organizations";
import { putOrgTags } from "../../store/org-tags";
import {
  AWS_MANAGED,
  FULL_AWS_ACCESS,
  loadOrg,
  managedOrg,
  newPolicyId,
  orgChanged,
  orgErrors,
  orgResource,
  orgWrite,
  POLICY_TYPES,
  policyArn,
  RCP,
  RCP_FULL_AWS_ACCESS,
  targetArn,
} from "./common";
import { validatePolicyContent } from "./policy-grammar";
import { MAX_TAGS, validateTags, type TagInput } from "./tag-rules";
import { tagContext } from "./tags";

/** AWS's quota for SCPs and RCPs (Organizations User Guide, "Quotas and service limits"). */
const MAX_POLICIES_PER_TARGET = 5;

const managedRow = (org: OrgRow, id: string): OrgPolicyRow | undefined => {
  const m = AWS_MANAGED[id];
  return m && { policyId: m.id, orgId: org.orgId, name: m.name, description: m.description, type: m.type, content: m.content };
};

const summary = (org: OrgRow, p: OrgPolicyRow) => ({
  Id: p.policyId,
  Arn: policyArn(org, p.policyId, p.type),
  Name: p.name,
  Description: p.description,
  Type: p.type,
  AwsManaged: AWS_MANAGED[p.policyId] !== undefined,
});

async function findPolicy(ctx: ActionContext, org: OrgRow, id: string): Promise<OrgPolicyRow> {
  const p = managedRow(org, id) ?? (await getPolicy(ctx.db, org.orgId, id));
  if (!p) throw orgErrors.policyNotFound();
  return p;
}

/** What a policy action loads before authorization: the caller's organization and the policy (its ARN needs its type). */
interface PolicyLoad {
  org?: OrgRow;
  policy?: OrgPolicyRow;
}

async function loadPolicy(ctx: ActionContext, id: string): Promise<PolicyLoad> {
  const org = await loadOrg(ctx);
  if (!org) return {};
  const policy = managedRow(org, id) ?? (await getPolicy(ctx.db, org.orgId, id));
  return policy ? { org, policy } : { org };
}

/** Authorized on the policy's ARN; `*` when there is no such policy (the handler then answers PolicyNotFoundException). */
const policyTarget = (l: PolicyLoad) =>
  l.org && l.policy ? { resource: policyArn(l.org, l.policy.policyId, l.policy.type) } : { resource: "*" };

async function checkTarget(ctx: ActionContext, org: OrgRow, id: string): Promise<void> {
  const found =
    id === org.rootId ||
    (id.startsWith("ou-") ? (await getOu(ctx.db, org.orgId, id)) !== undefined : (await getMember(ctx.db, org.orgId, id)) !== undefined);
  if (!found) throw orgErrors.targetNotFound();
}

const typeEnabled = (org: OrgRow, type: string) => (type === RCP ? org.rcpEnabled === 1 : org.scpEnabled === 1);

function checkType(type: string): void {
  if (!POLICY_TYPES.includes(type)) throw orgErrors.invalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type.");
}

interface CreatePolicyInput {
  Content: string;
  Description: string;
  Name: string;
  Type: string;
  Tags?: TagInput[];
}

export const CreatePolicy = defineAction({
  service: "organizations",
  name: "CreatePolicy",
  effect: "none",
  input: {},
  target: (i) => {
    const tags = (i as CreatePolicyInput).Tags ?? [];
    // Tags on create are authorized with aws:RequestTag / aws:TagKeys as TagResource's are.
    return tags.length ? { resource: "*", context: tagContext(tags) } : { resource: "*" };
  },
  handler: async (i, ctx) => {
    const input = i as CreatePolicyInput;
    const org = await managedOrg(ctx);
    checkType(input.Type);
    validatePolicyContent(input.Type, input.Content);
    const tags = validateTags(input.Tags ?? []);
    const p: OrgPolicyRow = {
      policyId: newPolicyId(),
      orgId: org.orgId,
      name: input.Name,
      description: input.Description,
      type: input.Type,
      content: input.Content,
    };
    if (!(await insertPolicy(ctx.db, org, p))) throw orgErrors.duplicatePolicy();
    if (tags.length) await putOrgTags(ctx.db, org, p.policyId, tags, MAX_TAGS);
    await orgChanged(ctx, org);
    return { Policy: { PolicySummary: summary(org, p), Content: p.content } };
  },
});

interface UpdatePolicyInput {
  PolicyId: string;
  Name?: string;
  Description?: string;
  Content?: string;
}

/** A content change is in force for every member at once (their generations are bumped with it). */
export const UpdatePolicy = defineAction({
  service: "organizations",
  name: "UpdatePolicy",
  effect: "none",
  input: {},
  load: (i, ctx) => loadPolicy(ctx, (i as UpdatePolicyInput).PolicyId),
  target: (_i, _ctx, l: PolicyLoad) => policyTarget(l),
  handler: async (i, ctx, l: PolicyLoad) => {
    const input = i as UpdatePolicyInput;
    const org = await managedOrg(ctx, l.org);
    const old = await findPolicy(ctx, org, input.PolicyId);
    if (AWS_MANAGED[old.policyId]) throw orgErrors.accessDenied(); // AWS-managed policies cannot be changed
    if (input.Content !== undefined) validatePolicyContent(old.type, input.Content);
    const p: OrgPolicyRow = {
      ...old,
      name: input.Name ?? old.name,
      description: input.Description ?? old.description,
      content: input.Content ?? old.content,
    };
    if (!(await orgWrite(ctx, org, () => updatePolicy(ctx.db, org, p, p.content !== old.content)))) throw orgErrors.duplicatePolicy();
    await orgChanged(ctx, org);
    return { Policy: { PolicySummary: summary(org, p), Content: p.content } };
  },
});

export const DescribePolicy = defineAction({
  service: "organizations",
  name: "DescribePolicy",
  effect: "read",
  input: {},
  load: (i, ctx) => loadPolicy(ctx, (i as { PolicyId: string }).PolicyId),
  target: (_i, _ctx, l: PolicyLoad) => policyTarget(l),
  handler: async (i, ctx: ActionContext, l: PolicyLoad) => {
    const org = await managedOrg(ctx, l.org);
    const p = await findPolicy(ctx, org, (i as { PolicyId: string }).PolicyId);
    return { Policy: { PolicySummary: summary(org, p), Content: p.content } };
  },
});

export const DeletePolicy = defineAction({
  service: "organizations",
  name: "DeletePolicy",
  effect: "none",
  input: {},
  load: (i, ctx) => loadPolicy(ctx, (i as { PolicyId: string }).PolicyId),
  target: (_i, _ctx, l: PolicyLoad) => policyTarget(l),
  handler: async (i, ctx, l: PolicyLoad) => {
    const id = (i as { PolicyId: string }).PolicyId;
    const org = await managedOrg(ctx, l.org);
    if (AWS_MANAGED[id]) throw orgErrors.accessDenied(); // AWS-managed policies cannot be deleted
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
  target: () => ({ resource: "*" }),
  handler: async (i, ctx: ActionContext) => {
    const filter = (i as { Filter: string }).Filter;
    const org = await managedOrg(ctx);
    if (!POLICY_TYPES.includes(filter)) return { Policies: [] };
    const managed = filter === RCP ? RCP_FULL_AWS_ACCESS : FULL_AWS_ACCESS;
    const rows = [managedRow(org, managed.id)!, ...(await listPolicies(ctx.db, org.orgId, filter))];
    return { Policies: rows.map((p) => summary(org, p)) };
  },
});

interface AttachInput {
  PolicyId: string;
  TargetId: string;
}

/**
 * Attach and detach name two resources (the policy, and the root, OU or account): the policy is the
 * call's target; the root, OU or account is authorized too, as AWS requires both.
 */
async function authorizeAttachTarget(ctx: ActionContext, org: OrgRow, action: string, targetId: string): Promise<void> {
  await authorizeCall(ctx, action, { resource: targetArn(org, targetId) });
}

export const AttachPolicy = defineAction({
  service: "organizations",
  name: "AttachPolicy",
  effect: "none",
  input: {},
  load: (i, ctx) => loadPolicy(ctx, (i as AttachInput).PolicyId),
  target: (_i, _ctx, l: PolicyLoad) => policyTarget(l),
  handler: async (i, ctx, l: PolicyLoad) => {
    const input = i as AttachInput;
    const org = await managedOrg(ctx, l.org);
    const p = await findPolicy(ctx, org, input.PolicyId);
    await checkTarget(ctx, org, input.TargetId);
    await authorizeAttachTarget(ctx, org, "organizations:AttachPolicy", input.TargetId);
    if (!typeEnabled(org, p.type)) throw orgErrors.typeNotEnabled();
    if ((await attachedTo(ctx.db, org.orgId, input.TargetId, p.type)).includes(p.policyId)) throw orgErrors.duplicateAttachment();
    if (!(await orgWrite(ctx, org, () => attachPolicy(ctx.db, org, p.policyId, p.type, input.TargetId, MAX_POLICIES_PER_TARGET))))
      throw orgErrors.constraint(
        "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        "You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.",
      );
    await orgChanged(ctx, org);
    return {};
  },
});

const minLimit = () =>
  orgErrors.constraint(
    "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
    "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.",
  );

export const DetachPolicy = defineAction({
  service: "organizations",
  name: "DetachPolicy",
  effect: "none",
  input: {},
  load: (i, ctx) => loadPolicy(ctx, (i as AttachInput).PolicyId),
  target: (_i, _ctx, l: PolicyLoad) => policyTarget(l),
  handler: async (i, ctx, l: PolicyLoad) => {
    const input = i as AttachInput;
    const org = await managedOrg(ctx, l.org);
    const p = await findPolicy(ctx, org, input.PolicyId);
    await checkTarget(ctx, org, input.TargetId);
    await authorizeAttachTarget(ctx, org, "organizations:DetachPolicy", input.TargetId);
    if (!(await attachedTo(ctx.db, org.orgId, input.TargetId, p.type)).includes(p.policyId)) throw orgErrors.notAttached();
    // "You cannot detach this policy" (RCP syntax guide); the error AWS answers is not documented —
    // the minimum-attachment violation is the closest it names.
    if (p.policyId === RCP_FULL_AWS_ACCESS_ID) throw minLimit();
    if (!(await orgWrite(ctx, org, () => detachPolicy(ctx.db, org, p.policyId, p.type, input.TargetId)))) throw minLimit();
    await orgChanged(ctx, org);
    return {};
  },
});

interface ForTargetInput {
  TargetId: string;
  Filter: string;
}

export const ListPoliciesForTarget = defineAction({
  service: "organizations",
  name: "ListPoliciesForTarget",
  effect: "read",
  input: {},
  load: (_i, ctx) => loadOrg(ctx),
  target: (i, _ctx, org: OrgRow | undefined) => orgResource(org, (o) => targetArn(o, (i as ForTargetInput).TargetId)),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const input = i as ForTargetInput;
    const org = await managedOrg(ctx, loaded);
    await checkTarget(ctx, org, input.TargetId);
    if (!POLICY_TYPES.includes(input.Filter)) return { Policies: [] };
    const ids = await attachedTo(ctx.db, org.orgId, input.TargetId, input.Filter);
    const rows = await Promise.all(ids.map((id) => findPolicy(ctx, org, id)));
    return { Policies: rows.map((p) => summary(org, p)) };
  },
});

export const ListTargetsForPolicy = defineAction({
  service: "organizations",
  name: "ListTargetsForPolicy",
  effect: "read",
  input: {},
  load: (i, ctx) => loadPolicy(ctx, (i as { PolicyId: string }).PolicyId),
  target: (_i, _ctx, l: PolicyLoad) => policyTarget(l),
  handler: async (i, ctx: ActionContext, l: PolicyLoad) => {
    const org = await managedOrg(ctx, l.org);
    const p = await findPolicy(ctx, org, (i as { PolicyId: string }).PolicyId);
    const ids = await targetsOfPolicy(ctx.db, org.orgId, p.policyId);
    const Targets = await Promise.all(
      ids.map(async (id) => {
        if (id === org.rootId) return { TargetId: id, Arn: targetArn(org, id), Name: "Root", Type: "ROOT" };
        if (id.startsWith("ou-"))
          return {
            TargetId: id,
            Arn: targetArn(org, id),
            Name: (await getOu(ctx.db, org.orgId, id))?.name ?? "",
            Type: "ORGANIZATIONAL_UNIT",
          };
        return { TargetId: id, Arn: targetArn(org, id), Name: (await getMember(ctx.db, org.orgId, id))?.name ?? "", Type: "ACCOUNT" };
      }),
    );
    return { Targets };
  },
});

export const policyActions: RegisteredAction[] = [
  CreatePolicy,
  UpdatePolicy,
  DescribePolicy,
  DeletePolicy,
  ListPolicies,
  AttachPolicy,
  DetachPolicy,
  ListPoliciesForTarget,
  ListTargetsForPolicy,
];
