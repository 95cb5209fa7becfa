/**
 * What EC2's actions share: ids and ARNs, AWS's instance states, the instance as EC2 describes it,
 * the authorization of a call on instances (with EC2's resource condition keys), instance profile
 * resolution and the iam:PassRole contract (src/authz/pass-role.ts), and EC2's error wording.
 */
import type { ActionContext } from "../action";
import type { XmlValue } from "../../protocol/xml";
import { AwsError, errors } from "../../protocol/errors";
import { authorizeCall, deniedMessage } from "../../authz/authorize";
import { decidePassRole } from "../../authz/pass-role";
import { toHex } from "../../lib/encoding";
import { getInstanceProfileByName, type InstanceProfileView } from "../../store/iam-instance-profiles";
import type { Ec2Tag, InstanceView } from "../../store/ec2-instances";

export const EC2_SERVICE_PRINCIPAL = "ec2.amazonaws.com";

/** How long a terminated instance (or an ended association) stays visible, as in AWS ("about an hour"). */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;

/** `<prefix>` + 17 lower-case hex digits, EC2's long id form. */
export function newEc2Id(prefix: "i" | "r" | "iip-assoc"): string {
  return `${prefix}-${toHex(crypto.getRandomValues(new Uint8Array(9))).slice(0, 17)}`;
}

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const ASSOCIATION_ID = /^iip-assoc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export function instanceArn(region: string, account: string, instanceId: string): string {
  return `arn:aws:ec2:${region}:${account}:instance/${instanceId}`;
}

export const ec2err = (code: string, message: string, status = 400) => new AwsError(code, message, status);

export function invalidParameterValue(message: string): AwsError {
  return ec2err("InvalidParameterValue", message);
}

/** `InvalidInstanceID.Malformed` for an id that cannot be an instance id (AWS: `Invalid id: "ma1"`). */
export function checkInstanceIds(ids: readonly string[]): void {
  for (const id of ids) if (!INSTANCE_ID.test(id)) throw ec2err("InvalidInstanceID.Malformed", `Invalid id: "${id}"`);
}

export function checkAssociationId(id: string): void {
  if (!ASSOCIATION_ID.test(id)) throw ec2err("InvalidAssociationID.Malformed", `Invalid id: "${id}"`);
}

/** AWS's wording: "The instance ID 'i-…' does not exist" / "The instance IDs 'a, b' do not exist". */
export function instancesNotFound(ids: readonly string[]): AwsError {
  return ec2err(
    "InvalidInstanceID.NotFound",
    ids.length === 1 ? `The instance ID '${ids[0]}' does not exist` : `The instance IDs '${ids.join(", ")}' do not exist`,
  );
}

export function associationNotFound(id: string): AwsError {
  return ec2err("InvalidAssociationID.NotFound", `The association ID '${id}' does not exist`);
}

/** DryRun: authorized, nothing done (AWS answers 412 DryRunOperation). */
export function dryRunSucceeded(): AwsError {
  return ec2err("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
}

export const MAX_TAGS = 50;

/** EC2's tag rules: keys of 1–128 characters not starting with `aws:`, values of at most 256. */
export function checkTags(tags: readonly Ec2Tag[]): void {
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128)
      throw invalidParameterValue(`Value (${t.Key}) for parameter key is invalid. Length must be between 1 and 128 characters.`);
    if (t.Key.toLowerCase().startsWith("aws:")) throw invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
    if ((t.Value ?? "").length > 256)
      throw invalidParameterValue(`Value (${t.Value}) for parameter value is invalid. Length must be between 0 and 256 characters.`);
  }
  if (tags.length > MAX_TAGS) throw ec2err("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.");
}

// ---- states ----

export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

/** AWS's state codes (the low byte of InstanceState.Code). */
export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/**
 * The state a reader sees: instances are records, so a transition completes by the next read
 * (pending → running, stopping → stopped, shutting-down → terminated). The call that started the
 * transition answers with the transient state, as AWS does.
 */
export function settledState(stored: string): InstanceStateName {
  switch (stored) {
    case "pending":
      return "running";
    case "stopping":
      return "stopped";
    case "shutting-down":
      return "terminated";
    case "running":
    case "stopped":
    case "terminated":
      return stored;
    default:
      return "stopped";
  }
}

export function stateOut(name: InstanceStateName): { Code: number; Name: string } {
  return { Code: STATE_CODES[name], Name: name };
}

/** "User initiated (2026-12-04 14:00:00 GMT)", EC2's StateTransitionReason of a user's stop or terminate. */
export function userInitiated(now: number): string {
  return `User initiated (${new Date(now).toISOString().slice(0, 19).replace("T", " ")} GMT)`;
}

// ---- the instance as EC2 describes it ----

export function instanceOut(v: InstanceView, state: InstanceStateName = settledState(v.state)): Record<string, XmlValue> {
  const ip = v.privateIp;
  const terminated = state === "terminated";
  const out: Record<string, XmlValue> = {
    AmiLaunchIndex: v.launchIndex,
    ImageId: v.imageId,
    InstanceId: v.instanceId,
    InstanceType: v.instanceType,
    LaunchTime: new Date(v.launchedAt),
    Monitoring: { State: "disabled" },
    Placement: { AvailabilityZone: v.availabilityZone, GroupName: "", Tenancy: "default" },
    PrivateDnsName: terminated ? "" : `ip-${ip.replaceAll(".", "-")}.ec2.internal`,
    ProductCodes: [],
    PublicDnsName: "",
    State: stateOut(state),
    StateTransitionReason: v.stateReason,
    Architecture: "x86_64",
    BlockDeviceMappings: [],
    EbsOptimized: false,
    EnaSupport: true,
    Hypervisor: "xen",
    NetworkInterfaces: [],
    RootDeviceName: "/dev/xvda",
    RootDeviceType: "ebs",
    SecurityGroups: [],
    SourceDestCheck: true,
    VirtualizationType: "hvm",
  };
  // A terminated instance has left its subnet (AWS omits the network fields).
  if (!terminated) Object.assign(out, { PrivateIpAddress: ip, SubnetId: v.subnetId, VpcId: v.vpcId });
  if (v.keyName) out.KeyName = v.keyName;
  if (v.clientToken) out.ClientToken = v.clientToken;
  if (v.association) out.IamInstanceProfile = { Arn: v.association.instanceProfileArn, Id: v.association.instanceProfileId };
  if (v.tags.length) out.Tags = v.tags.map((t) => ({ Key: t.Key, Value: t.Value }));
  return out;
}

// ---- authorization ----

/** The resource keys of an instance: its tags (aws: and ec2: forms), type, region and profile. */
export function instanceContext(v: InstanceView): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {
    "ec2:InstanceType": v.instanceType,
    "ec2:Region": v.region,
    "ec2:InstanceID": v.instanceId,
    "ec2:Tenancy": "default",
  };
  for (const t of v.tags) {
    ctx[`aws:ResourceTag/${t.Key}`] = t.Value;
    ctx[`ec2:ResourceTag/${t.Key}`] = t.Value;
  }
  if (v.association) ctx["ec2:InstanceProfile"] = v.association.instanceProfileArn;
  return ctx;
}

/** aws:RequestTag/… and aws:TagKeys of a call that sets tags. */
export function requestTagContext(tags: readonly Ec2Tag[]): Record<string, string | string[]> {
  if (!tags.length) return {};
  return { ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])), "aws:TagKeys": tags.map((t) => t.Key) };
}

/** `ec2:<action>` on each instance, in order; the first denial is the call's answer (UnauthorizedOperation). */
export async function authorizeOnInstances(
  ctx: ActionContext,
  action: string,
  instances: readonly InstanceView[],
  extra: Record<string, string | string[]> = {},
): Promise<void> {
  const account = ctx.caller.principal.account;
  for (const v of instances)
    await authorizeCall(ctx, action, {
      resource: instanceArn(v.region, account, v.instanceId),
      context: { ...instanceContext(v), ...extra },
    });
}

// ---- instance profiles and iam:PassRole ----

export interface ProfileSpec {
  Arn?: string;
  Name?: string;
}

/**
 * The caller's instance profile named by `IamInstanceProfile` (Name, or Arn of the caller's account).
 * AWS's answer for an unknown name: `InvalidParameterValue` "Value (x) for parameter
 * iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name" (widely reported); the ARN
 * form's wording is assumed by analogy (unconfirmed).
 */
export async function resolveProfile(ctx: ActionContext, spec: ProfileSpec | undefined): Promise<InstanceProfileView> {
  const account = ctx.caller.principal.account;
  if (!spec || (spec.Arn === undefined && spec.Name === undefined))
    throw ec2err("MissingParameter", "The request must contain the parameter iamInstanceProfile");
  if (spec.Arn !== undefined && spec.Name !== undefined)
    throw ec2err(
      "InvalidParameterCombination",
      "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'",
    );
  if (spec.Name !== undefined) {
    const p = await getInstanceProfileByName(ctx.db, account, spec.Name);
    if (!p)
      throw invalidParameterValue(
        `Value (${spec.Name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
      );
    return p;
  }
  const arn = spec.Arn ?? "";
  const m = /^arn:aws:iam::(\d{12}):instance-profile\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  const p = m && m[1] === account ? await getInstanceProfileByName(ctx.db, account, m[2]!) : undefined;
  if (!p || p.arn !== arn)
    throw invalidParameterValue(`Value (${arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`);
  return p;
}

/**
 * The PassRole contract: handing a profile to an instance passes the profile's role to EC2, so the
 * caller needs iam:PassRole on that role (iam:PassedToService = ec2.amazonaws.com,
 * iam:AssociatedResourceArn = the instance's ARN). A profile without a role passes nothing. A
 * denial is EC2's UnauthorizedOperation whose encoded message is the PassRole decision.
 */
export async function checkPassRole(ctx: ActionContext, profile: InstanceProfileView, instanceArns: readonly string[]): Promise<void> {
  const role = profile.role;
  if (!role) return;
  for (const arn of instanceArns) {
    const r = await decidePassRole(ctx, { roleArn: role.arn, passedToService: EC2_SERVICE_PRINCIPAL, associatedResourceArn: arn });
    if (r.decision.decision !== "allow") {
      ctx.decisionId = r.decisionId;
      throw errors.accessDenied(deniedMessage(r.request, r.decision, { resource: role.arn }));
    }
  }
}
