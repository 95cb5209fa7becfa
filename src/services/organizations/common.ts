/**
 * What every Organizations action shares: AWS's id and ARN forms, its errors, and the caller's
 * organization (management-only calls answer AccessDeniedException to members, as AWS does).
 */
import { AwsError } from "../../protocol/errors";
import type { ActionContext } from "../action";
import {
  FULL_AWS_ACCESS_ID,
  laggingMembers,
  listMembers,
  orgOfAccount,
  RCP_FULL_AWS_ACCESS_ID,
  RCP_TYPE,
  SCP_TYPE,
  type OrgRow,
} from "../../store/org-organizations";
import type { AuthzTarget } from "../action";
import { afterAdminChange } from "../../cache/index";
import { aroundLaggingWrite } from "../../consistency/org-writes";

const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";

function random(n: number): string {
  let s = "";
  for (const b of crypto.getRandomValues(new Uint8Array(n))) s += LOWER[b % LOWER.length];
  return s;
}

/** AWS's id forms (API reference patterns): o-[a-z0-9]{10,32}, r-[0-9a-z]{4,32}, ou-<root>-[a-z0-9]{8,32}, p-[0-9a-zA-Z_]{8,128}, car-[a-z0-9]{8,32}. */
export const newOrgId = () => `o-${random(10)}`;
export const newRootId = () => `r-${random(4)}`;
export const newOuId = (rootId: string) => `ou-${rootId.slice(2)}-${random(8)}`;
export const newPolicyId = () => `p-${random(8)}`;
export const newCreateAccountRequestId = () => `car-${random(32)}`;
export const newHandshakeId = () => `h-${random(10)}`;

export const SCP = SCP_TYPE;
export const RCP = RCP_TYPE;
/** The policy types served (AWS's other types — tag, backup, AI opt-out … — answer InvalidInputException). */
export const POLICY_TYPES: readonly string[] = [SCP, RCP];
/** The ARN path segment of a policy type: service_control_policy, resource_control_policy. */
export const typeSegment = (type: string) => type.toLowerCase();

export interface AwsManagedPolicy {
  id: string;
  type: string;
  name: string;
  description: string;
  arn: string;
  content: string;
}

export const FULL_AWS_ACCESS: AwsManagedPolicy = {
  id: FULL_AWS_ACCESS_ID,
  type: SCP,
  name: "FullAWSAccess",
  description: "Allows access to every operation",
  arn: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
  content: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
};

/**
 * AWS's default RCP (Organizations User Guide, "RCP syntax": the only RCP with an Allow, attached to
 * every root, OU and account while RCPs are enabled, and not detachable). Its description text is
 * not confirmed.
 */
export const RCP_FULL_AWS_ACCESS: AwsManagedPolicy = {
  id: RCP_FULL_AWS_ACCESS_ID,
  type: RCP,
  name: "RCPFullAWSAccess",
  description: "Allows access to every operation",
  arn: "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
  content: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
};

export const AWS_MANAGED: Readonly<Record<string, AwsManagedPolicy>> = {
  [FULL_AWS_ACCESS_ID]: FULL_AWS_ACCESS,
  [RCP_FULL_AWS_ACCESS_ID]: RCP_FULL_AWS_ACCESS,
};

export const orgArn = (o: OrgRow) => `arn:aws:organizations::${o.accountId}:organization/${o.orgId}`;
export const rootArn = (o: OrgRow) => `arn:aws:organizations::${o.accountId}:root/${o.orgId}/${o.rootId}`;
export const ouArn = (o: OrgRow, ouId: string) => `arn:aws:organizations::${o.accountId}:ou/${o.orgId}/${ouId}`;
export const accountArn = (o: OrgRow, account: string) => `arn:aws:organizations::${o.accountId}:account/${o.orgId}/${account}`;
export const policyArn = (o: OrgRow, policyId: string, type: string) =>
  AWS_MANAGED[policyId]?.arn ?? `arn:aws:organizations::${o.accountId}:policy/${o.orgId}/${typeSegment(type)}/${policyId}`;
export const handshakeArn = (o: { accountId: string; orgId: string }, id: string) =>
  `arn:aws:organizations::${o.accountId}:handshake/${o.orgId}/invite/${id}`;

/** The ARN of a root, OU or account id of the organization. */
export function targetArn(o: OrgRow, id: string): string {
  if (id.startsWith("r-")) return rootArn(o);
  if (id.startsWith("ou-")) return ouArn(o, id);
  return accountArn(o, id);
}

const err = (code: string, message: string) => new AwsError(code, message, 400);

export const orgErrors = {
  notInUse: () => err("AWSOrganizationsNotInUseException", "Your account is not a member of an organization."),
  accessDenied: () => err("AccessDeniedException", "You don't have permissions to access this resource."),
  alreadyInOrganization: () => err("AlreadyInOrganizationException", "The AWS account is already a member of an organization."),
  notEmpty: () =>
    err("OrganizationNotEmptyException", "To delete an organization you must first remove all member accounts (except the master)."),
  accountNotFound: () => err("AccountNotFoundException", "You specified an account that doesn't exist."),
  parentNotFound: () => err("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified."),
  childNotFound: () =>
    err("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified."),
  sourceParentNotFound: () =>
    err("SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified."),
  destinationParentNotFound: () =>
    err(
      "DestinationParentNotFoundException",
      "We can't find the destination container (a root or OU) with the ParentId that you specified.",
    ),
  duplicateAccount: () => err("DuplicateAccountException", "That account is already present in the specified destination."),
  ouNotFound: () => err("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified."),
  ouNotEmpty: () =>
    err(
      "OrganizationalUnitNotEmptyException",
      "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.",
    ),
  duplicateOu: () => err("DuplicateOrganizationalUnitException", "An OU with the same name already exists."),
  rootNotFound: () => err("RootNotFoundException", "We can't find a root with the RootId that you specified."),
  policyNotFound: () => err("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified."),
  targetNotFound: () =>
    err("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified."),
  duplicatePolicy: () => err("DuplicatePolicyException", "A policy with the same name already exists."),
  duplicateAttachment: () => err("DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target."),
  notAttached: () => err("PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root."),
  policyInUse: () =>
    err(
      "PolicyInUseException",
      "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.",
    ),
  typeNotEnabled: () =>
    err(
      "PolicyTypeNotEnabledException",
      "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.",
    ),
  handshakeNotFound: () => err("HandshakeNotFoundException", "We can't find a handshake with the HandshakeId that you specified."),
  handshakeAlreadyInState: () =>
    err(
      "HandshakeAlreadyInStateException",
      "The specified handshake is already in the requested state. For example, you can't accept a handshake that was already accepted.",
    ),
  invalidHandshakeTransition: () =>
    err(
      "InvalidHandshakeTransitionException",
      "You can't perform the operation on the handshake in its current state. For example, you can't cancel a handshake that was already accepted or accept a handshake that was already declined.",
    ),
  duplicateHandshake: () =>
    err(
      "DuplicateHandshakeException",
      "A handshake with the same action and target already exists. For example, if you invited an account to join your organization, the invited account might already have a pending invitation from this organization. If you intend to resend an invitation to an account, ensure that existing handshakes that might be considered duplicates are canceled or declined.",
    ),
  handshakeConstraint: (reason: string, message: string) =>
    err("HandshakeConstraintViolationException", message).withDetails({ Reason: reason }),
  typeAlreadyEnabled: () => err("PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled in the specified root."),
  malformedPolicy: () =>
    err("MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type."),
  invalidInput: (reason: string, message: string) => err("InvalidInputException", message).withDetails({ Reason: reason }),
  constraint: (reason: string, message: string) => err("ConstraintViolationException", message).withDetails({ Reason: reason }),
  notFound: (code: string, message: string) => err(code, message),
};

/** The caller's organization (read by `load` already, or now), or AWSOrganizationsNotInUseException. */
export async function callerOrg(ctx: ActionContext, loaded?: OrgRow): Promise<OrgRow> {
  const org = loaded ?? (await orgOfAccount(ctx.db, ctx.caller.principal.account));
  if (!org) throw orgErrors.notInUse();
  return org;
}

/** The caller's organization when the caller is of its management account; members get AccessDeniedException. */
export async function managedOrg(ctx: ActionContext, loaded?: OrgRow): Promise<OrgRow> {
  const org = await callerOrg(ctx, loaded);
  if (org.accountId !== ctx.caller.principal.account) throw orgErrors.accessDenied();
  return org;
}

/** Sandbox accounts have no e-mail address: one is made up from the account id. */
export const accountEmail = (account: string) => `${account}@iamlab.invalid`;

/** The policy types enabled in the root, as Root.PolicyTypes and Organization.AvailablePolicyTypes list them. */
export function enabledTypes(o: OrgRow): { Type: string; Status: string }[] {
  const out: { Type: string; Status: string }[] = [];
  if (o.scpEnabled) out.push({ Type: SCP, Status: "ENABLED" });
  if (o.rcpEnabled) out.push({ Type: RCP, Status: "ENABLED" });
  return out;
}

export function root(o: OrgRow) {
  return { Id: o.rootId, Arn: rootArn(o), Name: "Root", PolicyTypes: enabledTypes(o) };
}

/**
 * Per-resource authorization (Service Authorization Reference, AWS Organizations: resource types
 * account, organizationalunit, root, policy, awspolicy, handshake). The caller's own account is the
 * resource account: Organizations has no resource-based policy a member's call would need (the
 * organization's delegated-administrator policy is not served), and members are refused by the
 * management-only check after authorization, as AWS answers them.
 */
export function orgResource(org: OrgRow | undefined, arnOf: (o: OrgRow) => string): AuthzTarget {
  return { resource: org ? arnOf(org) : "*" };
}

/** The caller's organization, for `load` (undefined: none — the handler then answers AWSOrganizationsNotInUseException). */
export const loadOrg = (ctx: ActionContext): Promise<OrgRow | undefined> => orgOfAccount(ctx.db, ctx.caller.principal.account);

/**
 * After every org write (actions of effect `none`, which invalidate nothing themselves): this isolate's
 * cached key rows (they carry the generation the write bumped) and cached read answers (DescribeOrganization,
 * ListAccounts …) of every account of the organization go; other isolates follow within the cache TTL.
 */
export async function orgChanged(ctx: ActionContext, org: OrgRow): Promise<void> {
  for (const m of await listMembers(ctx.db, org.orgId)) afterAdminChange(m.accountId);
  afterAdminChange(org.accountId);
}

/**
 * An org write that may change members' chains: lagging members (eventual consistency on) see it
 * after their own delay (src/consistency/org-writes.ts); `extra`: accounts joining the organization.
 */
export async function orgWrite<T>(ctx: ActionContext, org: OrgRow, write: () => Promise<T>, extra: string[] = []): Promise<T> {
  const lagging = await laggingMembers(ctx.db, org.orgId, extra);
  return lagging.length ? aroundLaggingWrite(ctx.env, ctx.db, lagging, ctx.request.now, write) : write();
}
