/**
 * IAM instance profile associations: Associate / Replace / Disassociate / DescribeIamInstanceProfileAssociations.
 * One active association per instance (AWS: IncorrectState "There is an existing association for
 * instance i-…"; the store's unique index settles races). Associate and Replace pass the profile's
 * role to EC2 (iam:PassRole). A new association reads `associating` in the call's answer and
 * `associated` afterwards; an ended one `disassociating`, then `disassociated`.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import type { XmlValue } from "../../protocol/xml";
import { fromBase64, toBase64, utf8 } from "../../lib/encoding";
import {
  endAssociation,
  getAssociation,
  insertAssociation,
  listAssociations,
  replaceAssociation,
  type AssociationRow,
} from "../../store/ec2-instances";
import {
  associationNotFound,
  authorizeOnInstances,
  checkAssociationId,
  checkPassRole,
  ec2err,
  instanceArn,
  invalidParameterValue,
  newEc2Id,
  resolveProfile,
  settledState,
  TERMINATED_VISIBLE_MS,
  type ProfileSpec,
} from "./common";
import { loadInstances } from "./instances";
import { asksForEnded, associationMatches, parseFilters, type Filter } from "./filters";

function associationOut(a: AssociationRow, state: string): Record<string, XmlValue> {
  return {
    AssociationId: a.associationId,
    InstanceId: a.instanceId,
    IamInstanceProfile: { Arn: a.instanceProfileArn, Id: a.instanceProfileId },
    State: state,
    Timestamp: new Date(a.createdAt),
  };
}

const existingAssociation = (instanceId: string) => ec2err("IncorrectState", `There is an existing association for instance ${instanceId}`);
const notActive = (id: string) => ec2err("IncorrectState", `The association ${id} is not the active association`);

async function loadAssociation(ctx: ActionContext, id: string | undefined): Promise<AssociationRow> {
  if (!id) throw ec2err("MissingParameter", "The request must contain the parameter AssociationId");
  checkAssociationId(id);
  const a = await getAssociation(ctx.db, ctx.caller.principal.account, ctx.request.region, id);
  if (!a) throw associationNotFound(id);
  return a;
}

/** The instance may take a profile: it exists and is not on its way out. */
async function associableInstance(ctx: ActionContext, instanceId: string | undefined) {
  if (!instanceId) throw ec2err("MissingParameter", "The request must contain the parameter InstanceId");
  const [v] = await loadInstances(ctx, [instanceId]);
  const s = settledState(v!.state);
  // Wording unconfirmed: AWS refuses a terminated instance with IncorrectInstanceState.
  if (s === "terminated")
    throw ec2err("IncorrectInstanceState", `The instance '${instanceId}' is not in a valid state for this operation.`);
  return v!;
}

interface AssociateInput {
  IamInstanceProfile?: ProfileSpec;
  InstanceId?: string;
}

export const AssociateIamInstanceProfile = defineAction({
  service: "ec2",
  name: "AssociateIamInstanceProfile",
  effect: "none",
  input: {},
  handler: async (i, ctx) => {
    const input = i as AssociateInput;
    const v = await associableInstance(ctx, input.InstanceId);
    await authorizeOnInstances(ctx, "ec2:AssociateIamInstanceProfile", [v]);
    const profile = await resolveProfile(ctx, input.IamInstanceProfile);
    const account = ctx.caller.principal.account;
    await checkPassRole(ctx, profile, [instanceArn(v.region, account, v.instanceId)]);
    if (v.association) throw existingAssociation(v.instanceId);
    const a: AssociationRow = {
      associationId: newEc2Id("iip-assoc"),
      accountId: account,
      region: v.region,
      instanceId: v.instanceId,
      instanceProfileId: profile.instanceProfileId,
      instanceProfileArn: profile.arn,
      active: 1,
      createdAt: ctx.request.now,
      endedAt: null,
    };
    if ((await insertAssociation(ctx.db, a)) === "exists") throw existingAssociation(v.instanceId);
    return { IamInstanceProfileAssociation: associationOut(a, "associating") };
  },
});

interface ReplaceInput {
  IamInstanceProfile?: ProfileSpec;
  AssociationId?: string;
}

export const ReplaceIamInstanceProfileAssociation = defineAction({
  service: "ec2",
  name: "ReplaceIamInstanceProfileAssociation",
  effect: "none",
  input: {},
  handler: async (i, ctx) => {
    const input = i as ReplaceInput;
    const old = await loadAssociation(ctx, input.AssociationId);
    if (old.active !== 1) throw notActive(old.associationId);
    const v = await associableInstance(ctx, old.instanceId);
    await authorizeOnInstances(ctx, "ec2:ReplaceIamInstanceProfileAssociation", [v]);
    const profile = await resolveProfile(ctx, input.IamInstanceProfile);
    const account = ctx.caller.principal.account;
    await checkPassRole(ctx, profile, [instanceArn(v.region, account, v.instanceId)]);
    const now = ctx.request.now;
    const next: AssociationRow = {
      ...old,
      associationId: newEc2Id("iip-assoc"),
      instanceProfileId: profile.instanceProfileId,
      instanceProfileArn: profile.arn,
      active: 1,
      createdAt: now,
      endedAt: null,
    };
    if (!(await replaceAssociation(ctx.db, old, next, now))) throw notActive(old.associationId);
    return { IamInstanceProfileAssociation: associationOut(next, "associating") };
  },
});

export const DisassociateIamInstanceProfile = defineAction({
  service: "ec2",
  name: "DisassociateIamInstanceProfile",
  effect: "none",
  input: {},
  handler: async (i, ctx) => {
    const a = await loadAssociation(ctx, (i as { AssociationId?: string }).AssociationId);
    if (a.active !== 1) throw notActive(a.associationId);
    const [v] = await loadInstances(ctx, [a.instanceId]);
    await authorizeOnInstances(ctx, "ec2:DisassociateIamInstanceProfile", [v!]);
    if (!(await endAssociation(ctx.db, a.associationId, ctx.request.now))) throw notActive(a.associationId);
    return { IamInstanceProfileAssociation: associationOut(a, "disassociating") };
  },
});

interface DescribeInput {
  AssociationIds?: string[];
  Filters?: Filter[];
  MaxResults?: number;
  NextToken?: string;
}

const TOKEN_PREFIX = "iamlab-iip:";

export const DescribeIamInstanceProfileAssociations = defineAction({
  service: "ec2",
  name: "DescribeIamInstanceProfileAssociations",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const input = i as DescribeInput;
    const filters = parseFilters(input.Filters, "associations");
    const max = input.MaxResults;
    if (max !== undefined && (max < 5 || max > 1000))
      throw invalidParameterValue(`Value ( ${max} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.`);
    if (input.AssociationIds?.length && max !== undefined)
      throw ec2err("InvalidParameterCombination", "The parameter associationIds cannot be used with the parameter maxResults");
    const ids = input.AssociationIds ?? [];
    for (const id of ids) checkAssociationId(id);
    const since = ctx.request.now - TERMINATED_VISIBLE_MS;
    let rows = await listAssociations(ctx.db, ctx.caller.principal.account, ctx.request.region, since);
    if (ids.length) {
      const missing = ids.find((id) => !rows.some((r) => r.associationId === id));
      if (missing) throw associationNotFound(missing);
      rows = rows.filter((r) => ids.includes(r.associationId));
    } else if (!asksForEnded(filters)) rows = rows.filter((r) => r.active === 1);
    // Ended associations are listed only when asked for (by id or a state filter): unconfirmed how long AWS shows them.
    let shown = rows
      .map((r) => ({ r, state: r.active === 1 ? "associated" : "disassociated" }))
      .filter(({ r, state }) => associationMatches(filters, r, state));
    if (input.NextToken) {
      const raw = fromBase64(input.NextToken);
      const text = raw ? new TextDecoder().decode(raw) : "";
      if (!text.startsWith(TOKEN_PREFIX))
        throw ec2err("InvalidPaginationToken", "The specified pagination token is not valid or is expired.");
      const after = text.slice(TOKEN_PREFIX.length);
      const at = shown.findIndex(({ r }) => r.associationId === after);
      shown = at >= 0 ? shown.slice(at + 1) : [];
    }
    const page = max !== undefined ? shown.slice(0, max) : shown;
    const out: Record<string, XmlValue> = { IamInstanceProfileAssociations: page.map(({ r, state }) => associationOut(r, state)) };
    if (max !== undefined && shown.length > page.length)
      out.NextToken = toBase64(utf8.encode(`${TOKEN_PREFIX}${page[page.length - 1]!.r.associationId}`));
    return out;
  },
});

export const profileAssociationActions: RegisteredAction[] = [
  AssociateIamInstanceProfile,
  ReplaceIamInstanceProfileAssociation,
  DisassociateIamInstanceProfile,
  DescribeIamInstanceProfileAssociations,
];
