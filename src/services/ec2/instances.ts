/**
 * EC2 instances as records (no VMs): RunInstances, DescribeInstances, Stop/Start/TerminateInstances.
 * States follow AWS's machine (src/services/ec2/common.ts `settledState`); a launch with an instance
 * profile passes the profile's role (iam:PassRole, checked per instance) and creates the instance's
 * association in the same transaction as the instances.
 */
import { defineAction, type ActionContext, type HandlerContext, type RegisteredAction } from "../action";
import type { XmlValue } from "../../protocol/xml";
import { authorizeCall } from "../../authz/authorize";
import { fromBase64, toBase64, utf8 } from "../../lib/encoding";
import {
  getInstances,
  insertInstances,
  listInstances,
  setInstanceStates,
  type AssociationRow,
  type Ec2Tag,
  type InstanceRow,
  type InstanceView,
  type StateChange,
} from "../../store/ec2-instances";
import type { InstanceProfileView } from "../../store/iam-instance-profiles";
import {
  authorizeOnInstances,
  checkInstanceIds,
  checkTags,
  checkPassRole,
  dryRunSucceeded,
  ec2err,
  instanceArn,
  instanceOut,
  instancesNotFound,
  invalidParameterValue,
  newEc2Id,
  requestTagContext,
  resolveProfile,
  settledState,
  stateOut,
  TERMINATED_VISIBLE_MS,
  userInitiated,
  type InstanceStateName,
  type ProfileSpec,
} from "./common";
import { matchesFilters, parseFilters, type Filter } from "./filters";

/** iamlab's per-call launch limit (AWS's depends on the account's vCPU quota). */
const MAX_LAUNCH = 20;

interface RunInput {
  ImageId?: string;
  InstanceType?: string;
  MinCount: number;
  MaxCount: number;
  KeyName?: string;
  IamInstanceProfile?: ProfileSpec;
  TagSpecifications?: { ResourceType?: string; Tags?: Ec2Tag[] }[];
  ClientToken?: string;
  DryRun?: boolean;
  Placement?: { AvailabilityZone?: string };
}

interface RunLoaded {
  profile?: InstanceProfileView;
  tags: Ec2Tag[];
}

/** The tags for the instances (ResourceType instance); tags for volumes or interfaces are accepted and dropped (iamlab has none). */
function instanceTagsOf(specs: RunInput["TagSpecifications"]): Ec2Tag[] {
  const tags: Ec2Tag[] = [];
  for (const s of specs ?? []) {
    const type = s.ResourceType ?? "";
    if (!/^[a-z-]+$/.test(type)) throw invalidParameterValue(`'${type}' is not a valid taggable resource type for this operation.`);
    if (type === "instance") tags.push(...(s.Tags ?? []));
  }
  checkTags(tags);
  return tags;
}

function validateRun(i: RunInput): void {
  if (!i.ImageId) throw ec2err("MissingParameter", "The request must contain the parameter ImageId");
  if (!/^ami-[0-9a-f]{8,17}$/.test(i.ImageId)) throw ec2err("InvalidAMIID.Malformed", `Invalid id: "${i.ImageId}" (expecting "ami-...")`);
  if (!Number.isInteger(i.MinCount) || i.MinCount < 1)
    throw invalidParameterValue(`Value (${i.MinCount}) for parameter minCount is invalid. Expected a positive integer.`);
  if (!Number.isInteger(i.MaxCount) || i.MaxCount < 1)
    throw invalidParameterValue(`Value (${i.MaxCount}) for parameter maxCount is invalid. Expected a positive integer.`);
  if (i.MaxCount < i.MinCount) throw invalidParameterValue("maxCount must be greater than or equal to minCount.");
  if (i.MinCount > MAX_LAUNCH)
    throw ec2err(
      "InstanceLimitExceeded",
      `You have requested more instances (${i.MinCount}) than your current instance limit of ${MAX_LAUNCH} allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`,
    );
}

/** A private address in the default VPC's 172.31.0.0/16. */
function privateIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(2));
  return `172.31.${b[0]! % 255}.${1 + (b[1]! % 253)}`;
}

/** The account's default VPC and subnet, stable per account and zone (EC2's 17-hex-digit id form). */
function defaultNetwork(account: string, zone: string): { vpcId: string; subnetId: string } {
  const z = (zone.charCodeAt(zone.length - 1) - 96) & 0xf;
  return { vpcId: `vpc-00000${account}`, subnetId: `subnet-0000${z.toString(16)}${account}` };
}

export const RunInstances = defineAction({
  service: "ec2",
  name: "RunInstances",
  effect: "none",
  input: {},
  load: async (i, ctx: ActionContext): Promise<RunLoaded> => {
    const input = i as RunInput;
    validateRun(input);
    const tags = instanceTagsOf(input.TagSpecifications);
    const profile = input.IamInstanceProfile ? await resolveProfile(ctx, input.IamInstanceProfile) : undefined;
    return profile ? { profile, tags } : { tags };
  },
  // AWS authorizes RunInstances on every resource it touches; iamlab: the instance (its id is not
  // known yet: instance/*) and the image, plus CreateTags for tags on create and PassRole.
  target: (i, ctx, l: RunLoaded) => {
    const input = i as RunInput;
    const region = ctx.request.region;
    const context: Record<string, string | string[]> = {
      ...requestTagContext(l.tags),
      "ec2:InstanceType": input.InstanceType ?? "m1.small",
      "ec2:Region": region,
      "ec2:Tenancy": "default",
    };
    if (l.profile) context["ec2:InstanceProfile"] = l.profile.arn;
    return { resource: instanceArn(region, ctx.caller.principal.account, "*"), context };
  },
  handler: async (i, ctx, l: RunLoaded) => {
    const input = i as RunInput;
    const account = ctx.caller.principal.account;
    const region = ctx.request.region;
    await authorizeCall(ctx, "ec2:RunInstances", {
      resource: `arn:aws:ec2:${region}::image/${input.ImageId}`,
      context: { "ec2:Region": region, "ec2:ImageID": input.ImageId!, "ec2:Owner": "amazon", "ec2:Public": "true" },
    });
    // Tags on create need ec2:CreateTags too, with ec2:CreateAction naming the creating call.
    if (l.tags.length)
      await authorizeCall(ctx, "ec2:CreateTags", {
        resource: instanceArn(region, account, "*"),
        context: { ...requestTagContext(l.tags), "ec2:CreateAction": "RunInstances", "ec2:Region": region },
      });
    const count = Math.min(input.MaxCount, MAX_LAUNCH);
    const ids = Array.from({ length: count }, () => newEc2Id("i"));
    if (l.profile)
      await checkPassRole(
        ctx,
        l.profile,
        ids.map((id) => instanceArn(region, account, id)),
      );
    if (input.DryRun) throw dryRunSucceeded();
    const now = ctx.request.now;
    const zone = input.Placement?.AvailabilityZone ?? `${region}a`;
    const net = defaultNetwork(account, zone);
    const reservationId = newEc2Id("r");
    const rows: InstanceRow[] = ids.map((instanceId, launchIndex) => ({
      instanceId,
      accountId: account,
      region,
      reservationId,
      launchIndex,
      imageId: input.ImageId!,
      instanceType: input.InstanceType ?? "m1.small",
      keyName: input.KeyName ?? null,
      state: "pending",
      stateChangedAt: now,
      stateReason: "",
      launchedAt: now,
      privateIp: privateIp(),
      subnetId: net.subnetId,
      vpcId: net.vpcId,
      availabilityZone: zone,
      clientToken: input.ClientToken ?? null,
      tags: l.tags,
    }));
    const associations: AssociationRow[] = l.profile
      ? ids.map((instanceId) => ({
          associationId: newEc2Id("iip-assoc"),
          accountId: account,
          region,
          instanceId,
          instanceProfileId: l.profile!.instanceProfileId,
          instanceProfileArn: l.profile!.arn,
          active: 1,
          createdAt: now,
          endedAt: null,
        }))
      : [];
    await insertInstances(ctx.db, rows, associations);
    const views: InstanceView[] = rows.map((r, n) => ({ ...r, association: associations[n] ?? null }));
    return {
      ReservationId: reservationId,
      OwnerId: account,
      Groups: [],
      Instances: views.map((v) => instanceOut(v, "pending")),
    };
  },
});

interface DescribeInput {
  InstanceIds?: string[];
  Filters?: Filter[];
  MaxResults?: number;
  NextToken?: string;
  DryRun?: boolean;
}

/** The instances named by `ids`, all of them, or InvalidInstanceID.NotFound naming the missing ones. */
export async function loadInstances(ctx: ActionContext, ids: readonly string[] | undefined): Promise<InstanceView[]> {
  const list = ids ?? [];
  if (!list.length) throw ec2err("MissingParameter", "The request must contain the parameter InstanceId");
  checkInstanceIds(list);
  const found = await getInstances(ctx.db, ctx.caller.principal.account, ctx.request.region, list, ctx.request.now - TERMINATED_VISIBLE_MS);
  const byId = new Map(found.map((v) => [v.instanceId, v]));
  const missing = list.filter((id) => !byId.has(id));
  if (missing.length) throw instancesNotFound(missing);
  return [...new Set(list)].map((id) => byId.get(id)!);
}

const pageToken = (lastId: string) => toBase64(utf8.encode(`iamlab-ec2:${lastId}`));
function afterToken(token: string): string {
  const raw = fromBase64(token);
  const text = raw ? new TextDecoder().decode(raw) : "";
  if (!text.startsWith("iamlab-ec2:")) throw ec2err("InvalidPaginationToken", "The specified pagination token is not valid or is expired.");
  return text.slice("iamlab-ec2:".length);
}

export const DescribeInstances = defineAction({
  service: "ec2",
  name: "DescribeInstances",
  effect: "read",
  input: {},
  // Describe* has no resource-level permissions in EC2.
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const input = i as DescribeInput;
    if (input.DryRun) throw dryRunSucceeded();
    const filters = parseFilters(input.Filters, "instances");
    if (input.InstanceIds?.length && input.MaxResults !== undefined)
      throw ec2err("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults");
    const max = input.MaxResults;
    if (max !== undefined && (max < 5 || max > 1000))
      throw invalidParameterValue(`Value ( ${max} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.`);
    let instances = input.InstanceIds?.length
      ? await loadInstances(ctx, input.InstanceIds)
      : await listInstances(ctx.db, ctx.caller.principal.account, ctx.request.region, ctx.request.now - TERMINATED_VISIBLE_MS);
    instances = instances.filter((v) => matchesFilters(filters, v));
    if (input.NextToken) {
      const after = afterToken(input.NextToken);
      const at = instances.findIndex((v) => v.instanceId === after);
      instances = at >= 0 ? instances.slice(at + 1) : instances.filter((v) => v.instanceId > after);
    }
    const page = max !== undefined ? instances.slice(0, max) : instances;
    const reservations = new Map<string, InstanceView[]>();
    for (const v of page) {
      const list = reservations.get(v.reservationId) ?? [];
      list.push(v);
      reservations.set(v.reservationId, list);
    }
    const out: Record<string, XmlValue> = {
      Reservations: [...reservations].map(([id, vs]) => ({
        ReservationId: id,
        OwnerId: ctx.caller.principal.account,
        Groups: [],
        Instances: vs.map((v) => instanceOut(v)),
      })),
    };
    if (max !== undefined && instances.length > page.length) out.NextToken = pageToken(page[page.length - 1]!.instanceId);
    return out;
  },
});

interface InstanceIdsInput {
  InstanceIds?: string[];
  DryRun?: boolean;
}

type Transition = (v: InstanceView, now: number) => { next: InstanceStateName; reason: string } | "unchanged";

/** One state change on each instance (authorized per instance first), as AWS answers: previous and current state. */
async function changeStates(
  ctx: HandlerContext,
  input: InstanceIdsInput,
  action: string,
  transition: Transition,
  outName: string,
): Promise<Record<string, XmlValue>> {
  const instances = await loadInstances(ctx, input.InstanceIds);
  await authorizeOnInstances(ctx, action, instances);
  if (input.DryRun) throw dryRunSucceeded();
  const now = ctx.request.now;
  const changes: StateChange[] = [];
  const out: XmlValue[] = [];
  for (const v of instances) {
    const previous = settledState(v.state);
    const t = transition(v, now);
    const current = t === "unchanged" ? previous : t.next;
    if (t !== "unchanged") changes.push({ instanceId: v.instanceId, state: t.next, reason: t.reason });
    out.push({ InstanceId: v.instanceId, PreviousState: stateOut(previous), CurrentState: stateOut(current) });
  }
  await setInstanceStates(ctx.db, ctx.caller.principal.account, changes, now);
  return { [outName]: out };
}

const incorrectState = (m: string) => ec2err("IncorrectInstanceState", m);

export const StopInstances = defineAction({
  service: "ec2",
  name: "StopInstances",
  effect: "none",
  input: {},
  handler: (i, ctx) =>
    changeStates(
      ctx,
      i as InstanceIdsInput,
      "ec2:StopInstances",
      (v, now) => {
        const s = settledState(v.state);
        if (s === "stopped") return "unchanged";
        // Wording of the stop case assumed from the start case's (reported) message.
        if (s !== "running") throw incorrectState(`This instance '${v.instanceId}' is not in a state from which it can be stopped.`);
        return { next: "stopping", reason: userInitiated(now) };
      },
      "StoppingInstances",
    ),
});

export const StartInstances = defineAction({
  service: "ec2",
  name: "StartInstances",
  effect: "none",
  input: {},
  handler: (i, ctx) =>
    changeStates(
      ctx,
      i as InstanceIdsInput,
      "ec2:StartInstances",
      (v) => {
        const s = settledState(v.state);
        if (s === "running") return "unchanged";
        if (s !== "stopped") throw incorrectState(`The instance '${v.instanceId}' is not in a state from which it can be started.`);
        return { next: "pending", reason: "" };
      },
      "StartingInstances",
    ),
});

export const TerminateInstances = defineAction({
  service: "ec2",
  name: "TerminateInstances",
  effect: "none",
  input: {},
  handler: (i, ctx) =>
    changeStates(
      ctx,
      i as InstanceIdsInput,
      "ec2:TerminateInstances",
      (v, now) => (settledState(v.state) === "terminated" ? "unchanged" : { next: "shutting-down", reason: userInitiated(now) }),
      "TerminatingInstances",
    ),
});

export const instanceActions: RegisteredAction[] = [RunInstances, DescribeInstances, StopInstances, StartInstances, TerminateInstances];
