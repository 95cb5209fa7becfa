/**
 * The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy,
 * GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy.
 *
 * Decisions come from the live engine (src/authz/simulate.ts maps them onto AWS's shapes); a principal's
 * policies are gathered with the authorizer's own query (store/authz.ts loadPrincipalPolicies).
 *
 * SourcePolicyId / SourcePolicyType as AWS returns them today: `PolicyInputList.N` /
 * `PermissionsBoundaryPolicyInputList.N` for input documents, the policy name for managed policies,
 * `<user|group|role>_<entity name>_<policy name>` for inline ones, all with type "IAM Policy";
 * `ResourcePolicy` with type "resource" for the resource-based policy.
 *
 * Session policies (iamlab goes beyond AWS here; AWS's API has no parameter for them and SDKs cannot
 * send one): a session policy caps a session exactly like a permissions boundary caps its entity — the
 * effective permissions are the intersection of the identity policies and the session policy, and an
 * explicit Deny in either wins. To simulate "role R with session policy S", call SimulatePrincipalPolicy
 * with PolicySourceArn = R and PermissionsBoundaryPolicyInputList = [S] (when R has no boundary), or,
 * when R has a boundary B as well, run it twice (once with [B], once with [S]) and take the more
 * restrictive answer. The pure core (simulateCore's `session` input) takes session policies directly.
 *
 * Organizations: when the simulated principal's account (the caller's own) is in an organization, the SCPs
 * of its chain (root → OUs → account) take part, as they do in live requests, and every EvaluationResult
 * carries OrganizationsDecisionDetail (AWS: "Only applies if the simulated user's account is part of an
 * organization"). The management account, which SCPs never restrict, and an organization without SCPs
 * enabled report AllowedByOrganizations true (unconfirmed: AWS may omit the field there). RCPs are not
 * simulated (the simulator's EvaluationResult has no field for them). The chain is read fresh (control
 * plane), not from the authorizer's per-generation cache.
 *
 * x-iamlab-explain: true — every engine evaluation behind the returned page is recorded like a live
 * decision; the response's x-iamlab-decision-id header then lists the call's own decision id followed by
 * one id per (EvaluationResult, resource), comma-separated, each resolvable via GET /_iamlab/decisions/<id>.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { type AwsError, errors } from "../../protocol/errors";
import { parseArn } from "../../lib/arn";
import { loadPrincipalPolicies, type PolicyRow } from "../../store/authz";
import { getUserByName } from "../../store/iam-users";
import { getGroupByName } from "../../store/iam-groups";
import { getRoleByName } from "../../store/iam-roles";
import { groupNamesOfUser } from "../../store/iam-simulator";
import type { Principal } from "../../policy/index";
import { recordDecision } from "../../authz/decisions";
import { buildChain } from "../../authz/org-chain";
import { loadOrgChain } from "../../store/org-organizations";
import { CompiledPolicyCache } from "../../policy/index";
import {
  compileSimPolicy,
  contextFromEntries,
  contextKeysOf,
  CONTEXT_KEY_TYPES,
  simulate,
  type SimPolicy,
  type SimulationInput,
} from "../../authz/simulate";
import { DEFAULT_MAX_ITEMS, decodeMarker, encodeMarker, notFound, paging } from "./common";

const IAM_POLICY = "IAM Policy";

/** Compiled SCPs of simulations (the authorizer's cache is its own). */
const scpCompiled = new CompiledPolicyCache(256, 2 * 1024 * 1024);

/**
 * The SCP levels over the simulated principal's account: undefined outside an organization (or for a
 * principal of another account, whose organization this caller may not read), [] where SCPs restrict nothing.
 */
async function organizationScps(ctx: ActionContext, principal: Principal): Promise<SimulationInput["scps"]> {
  const account = principal.account;
  if (account !== ctx.caller.principal.account) return undefined;
  const chain = buildChain(account, await loadOrgChain(ctx.db, account), scpCompiled);
  if (!chain) return undefined;
  return (chain.scps ?? []).map((level) => level.map((p) => ({ id: p.id.slice(p.id.lastIndexOf("/") + 1), policy: p.policy })));
}

const contextEntry = s.struct({
  ContextKeyName: s.string({ min: 5, max: 256 }),
  ContextKeyValues: s.list(s.string()),
  ContextKeyType: s.string({ enum: CONTEXT_KEY_TYPES }),
});

const simulationFields = {
  // AWS: "You can input only one permissions boundary when you pass a policy to this operation." (API
  // reference); the model itself sets no list bound, so the error for two is the model's wording (unconfirmed).
  PermissionsBoundaryPolicyInputList: s.list(common.policyDocument(false), { max: 1 }),
  ActionNames: s.list(s.string({ min: 3, max: 128 }), { required: true }),
  ResourceArns: s.list(s.string({ min: 1, max: 2048 })),
  ResourcePolicy: common.policyDocument(false),
  ResourceOwner: s.string({ min: 1, max: 2048 }),
  CallerArn: s.string({ min: 1, max: 2048 }),
  ContextEntries: s.list(contextEntry),
  ResourceHandlingOption: s.string({ min: 1, max: 64 }),
  ...paging,
};

// ---- the entity behind PolicySourceArn ---------------------------------------------------------

interface Entity {
  kind: "user" | "group" | "role";
  id: string;
  name: string;
  arn: string;
  policies: SimPolicy[];
  boundary?: SimPolicy[];
}

function policyName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

function compileStored(id: string, json: string, kind: "identity" | "boundary"): SimPolicy | undefined {
  const r = compileSimPolicy(id, IAM_POLICY, json, kind);
  return r.ok ? r.policy : undefined; // stored documents were validated when written
}

/** Authorizer rows → simulator policies, named as AWS names them. */
function fromRows(rows: PolicyRow[], entityNames: (type: string, id: string) => string): { policies: SimPolicy[]; boundary?: SimPolicy[] } {
  const policies: SimPolicy[] = [];
  let boundary: SimPolicy[] | undefined;
  for (const r of rows) {
    if (r.slot === "tag" || r.body === null || r.body === undefined) continue;
    if (r.slot === "boundary") {
      const p = compileStored(policyName(r.id), r.body, "boundary");
      if (p) (boundary ??= []).push(p);
      continue;
    }
    let id: string;
    const inline = /^(user|group|role)\/([^:]+):inline\/(.+)$/.exec(r.id);
    if (inline) id = `${inline[1]}_${entityNames(inline[1]!, inline[2]!)}_${inline[3]}`;
    else id = policyName(r.id);
    const p = compileStored(id, r.body, "identity");
    if (p) policies.push(p);
  }
  const out: { policies: SimPolicy[]; boundary?: SimPolicy[] } = { policies };
  if (boundary) out.boundary = boundary;
  return out;
}

const ENTITY = /^(user|group|role)(\/.*)?\/([^/]+)$/;

async function loadEntity(ctx: ActionContext, arn: string): Promise<Entity> {
  const account = ctx.caller.principal.account;
  const a = parseArn(arn);
  const m = a && a.service === "iam" ? ENTITY.exec(a.resource) : null;
  if (!a || !m) throw errors.invalidInput(`Invalid Entity Arn: ${arn} does not clearly define entity type and name.`);
  const kind = m[1] as Entity["kind"];
  const name = m[3]!;
  const missing = (): AwsError => notFound[kind](name);
  if (a.account !== account) throw missing();
  if (kind === "user") {
    const u = await getUserByName(ctx.db, account, name);
    if (!u || u.arn !== arn) throw missing();
    const [rows, groups] = await Promise.all([
      loadPrincipalPolicies(ctx.db, account, "user", u.userId),
      groupNamesOfUser(ctx.db, account, u.userId),
    ]);
    return {
      kind,
      id: u.userId,
      name: u.userName,
      arn: u.arn,
      ...fromRows(rows, (t, id) => (t === "group" ? (groups.get(id) ?? id) : u.userName)),
    };
  }
  if (kind === "role") {
    const r = await getRoleByName(ctx.db, account, name);
    if (!r || r.arn !== arn) throw missing();
    const rows = await loadPrincipalPolicies(ctx.db, account, "role", r.roleId);
    return { kind, id: r.roleId, name: r.roleName, arn: r.arn, ...fromRows(rows, () => r.roleName) };
  }
  const g = await getGroupByName(ctx.db, account, name);
  if (!g || g.arn !== arn) throw missing();
  const rows = await loadPrincipalPolicies(ctx.db, account, "group", g.groupId);
  return { kind, id: g.groupId, name: g.groupName, arn: g.arn, ...fromRows(rows, () => g.groupName) };
}

// ---- shared input handling -----------------------------------------------------------------------

function compileInputs(docs: string[] | undefined, prefix: string, kind: "identity" | "boundary"): SimPolicy[] {
  return (docs ?? []).map((json, i) => {
    const r = compileSimPolicy(`${prefix}.${i + 1}`, IAM_POLICY, json, kind);
    if (!r.ok) throw errors.malformedPolicy(r.message);
    return r.policy;
  });
}

function accountOfOwner(owner: string): string {
  if (/^\d{12}$/.test(owner)) return owner;
  const a = parseArn(owner);
  if (!a || !/^\d{12}$/.test(a.account))
    throw errors.invalidInput(`Invalid ResourceOwner: ${owner}. The owner must be an account ARN such as arn:aws:iam::123456789012:root.`);
  return a.account;
}

/** CallerArn must name an IAM user (AWS: not an assumed role, federated user or service). */
async function callerPrincipal(ctx: ActionContext, callerArn: string): Promise<Principal> {
  const a = parseArn(callerArn);
  const m = a && a.service === "iam" ? /^user(\/.*)?\/([^/]+)$/.exec(a.resource) : null;
  if (!a || !m || !/^\d{12}$/.test(a.account))
    throw errors.invalidInput(`Invalid CallerArn: ${callerArn}. Only the ARN of an IAM user can be specified.`);
  const name = m[2]!;
  const own = a.account === ctx.caller.principal.account ? await getUserByName(ctx.db, a.account, name) : undefined;
  return {
    kind: "user",
    account: a.account,
    arn: callerArn,
    userId: own?.userId ?? `AIDA${name.toUpperCase().slice(0, 17)}`,
    username: name,
  };
}

function entityPrincipal(e: Entity, account: string): Principal {
  if (e.kind === "user") return { kind: "user", account, arn: e.arn, userId: e.id, username: e.name };
  if (e.kind === "role") {
    const p: Principal = {
      kind: "assumedRole",
      account,
      arn: `arn:aws:sts::${account}:assumed-role/${e.name}/SimulatedSession`,
      userId: `${e.id}:SimulatedSession`,
      roleArn: e.arn,
    };
    // Service-linked roles (path /aws-service-role/) are not restricted by SCPs.
    if (e.arn.includes(":role/aws-service-role/")) p.serviceLinkedRole = true;
    return p;
  }
  return { kind: "user", account, arn: e.arn, userId: e.id };
}

function callerAsPrincipal(ctx: ActionContext): Principal {
  const p = ctx.caller.principal;
  const out: Principal = { kind: "user", account: p.account, arn: p.arn, userId: p.userId };
  if (p.username !== undefined) out.username = p.username;
  return out;
}

type SimFields = {
  PermissionsBoundaryPolicyInputList?: string[];
  ActionNames: string[];
  ResourceArns?: string[];
  ResourcePolicy?: string;
  ResourceOwner?: string;
  CallerArn?: string;
  ContextEntries?: Array<{ ContextKeyName?: string; ContextKeyValues?: string[]; ContextKeyType?: string }>;
  ResourceHandlingOption?: string;
  Marker?: string;
  MaxItems?: number;
};

async function run(ctx: ActionContext, i: SimFields, principal: Principal, identity: SimPolicy[], boundary: SimPolicy[] | undefined) {
  const parsed = contextFromEntries(i.ContextEntries);
  if (!parsed.ok) throw errors.invalidInput(parsed.message);
  const start = Number(decodeMarker(i.Marker) ?? "0");
  if (!Number.isInteger(start) || start < 0 || start > i.ActionNames.length) throw errors.validation("Invalid Marker.");
  const maxItems = i.MaxItems ?? DEFAULT_MAX_ITEMS;
  const actions = i.ActionNames.slice(start, start + maxItems);

  const input: SimulationInput = {
    principal,
    identity,
    actions,
    resources: i.ResourceArns ?? [],
    context: parsed.context,
  };
  if (boundary) input.boundary = boundary;
  const scps = await organizationScps(ctx, principal);
  if (scps) input.scps = scps;
  if (i.ResourcePolicy !== undefined) {
    // A role trust policy (no Resource element) is a resource-based policy too.
    let r = compileSimPolicy("ResourcePolicy", "resource", i.ResourcePolicy, "resource");
    if (!r.ok) {
      const trust = compileSimPolicy("ResourcePolicy", "resource", i.ResourcePolicy, "trust");
      if (trust.ok) r = trust;
    }
    if (!r.ok) throw errors.malformedPolicy(r.message);
    input.resourcePolicy = r.policy;
  }
  if (i.ResourceOwner !== undefined) input.resourceOwner = accountOfOwner(i.ResourceOwner);

  const ids: string[] = [];
  const out = simulate(input, {
    provided: parsed.provided,
    onResult: ctx.explain
      ? (evals) => {
          for (const e of evals) ids.push(recordDecision(ctx, e.request, e.decision));
        }
      : undefined,
  });
  if (out.exhausted && out.results.length === 0) throw tooLarge(actions[0]!, input);
  if (ctx.explain) ctx.decisionId = [ctx.decisionId, ...ids].filter(Boolean).join(",");
  // A page cut short by the work budget ends early; the Marker resumes at the first action left out.
  const next = start + out.results.length;
  const truncated = next < i.ActionNames.length;
  return { EvaluationResults: out.results, IsTruncated: truncated, Marker: truncated ? encodeMarker(String(next)) : undefined };
}

/**
 * One EvaluationResult alone needs more work than a request may do (SIMULATION_WORK_BUDGET). AWS's
 * answer to such a request is unknown (unconfirmed; AWS publishes no bound). InvalidInput is the code
 * AWS's API model lists for out-of-range input to these operations: a 400 that SDKs do not retry (the
 * other listed code, PolicyEvaluation, is a 500 that SDKs would retry three times over).
 */
function tooLarge(action: string, input: SimulationInput): AwsError {
  const resources = Math.max(1, input.resources.length);
  return errors.invalidInput(
    `The simulation of ${action} on ${resources} resource${resources === 1 ? "" : "s"} against the given policies exceeds the work one request may do in this sandbox. Simulate fewer ResourceArns or smaller policies per request.`,
  );
}

// ---- actions -------------------------------------------------------------------------------------

export const SimulatePrincipalPolicy = defineAction({
  service: "iam",
  name: "SimulatePrincipalPolicy",
  effect: "read",
  input: {
    PolicySourceArn: { ...common.arn(), required: true as const },
    PolicyInputList: s.list(common.policyDocument(false)),
    ...simulationFields,
  },
  target: (i) => ({ resource: i.PolicySourceArn }),
  handler: async (i, ctx) => {
    const identityInputs = compileInputs(i.PolicyInputList, "PolicyInputList", "identity");
    const boundaryInputs = i.PermissionsBoundaryPolicyInputList
      ? compileInputs(i.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList", "boundary")
      : undefined;
    const entity = await loadEntity(ctx, i.PolicySourceArn);
    if (i.ResourcePolicy !== undefined && i.CallerArn === undefined && entity.kind !== "user")
      throw errors.invalidInput(
        "CallerArn is required when ResourcePolicy is specified and PolicySourceArn is not the ARN of an IAM user.",
      );
    const principal =
      i.CallerArn !== undefined ? await callerPrincipal(ctx, i.CallerArn) : entityPrincipal(entity, ctx.caller.principal.account);
    // PermissionsBoundaryPolicyInputList replaces the entity's own boundary (AWS).
    const boundary = boundaryInputs?.length ? boundaryInputs : entity.boundary;
    return run(ctx, i, principal, [...entity.policies, ...identityInputs], boundary);
  },
});

export const SimulateCustomPolicy = defineAction({
  service: "iam",
  name: "SimulateCustomPolicy",
  effect: "read",
  input: { PolicyInputList: s.list(common.policyDocument(false), { required: true }), ...simulationFields },
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const identity = compileInputs(i.PolicyInputList, "PolicyInputList", "identity");
    const boundaryInputs = i.PermissionsBoundaryPolicyInputList
      ? compileInputs(i.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList", "boundary")
      : undefined;
    if (i.ResourcePolicy !== undefined && i.CallerArn === undefined)
      throw errors.invalidInput("CallerArn is required when ResourcePolicy is specified.");
    const principal = i.CallerArn !== undefined ? await callerPrincipal(ctx, i.CallerArn) : callerAsPrincipal(ctx);
    return run(ctx, i, principal, identity, boundaryInputs?.length ? boundaryInputs : undefined);
  },
});

export const GetContextKeysForPrincipalPolicy = defineAction({
  service: "iam",
  name: "GetContextKeysForPrincipalPolicy",
  effect: "read",
  input: { PolicySourceArn: { ...common.arn(), required: true as const }, PolicyInputList: s.list(common.policyDocument(false)) },
  target: (i) => ({ resource: i.PolicySourceArn }),
  handler: async (i, ctx) => {
    const inputs = compileInputs(i.PolicyInputList, "PolicyInputList", "identity");
    const entity = await loadEntity(ctx, i.PolicySourceArn);
    const docs = [...entity.policies, ...(entity.boundary ?? []), ...inputs].map((p) => p.json);
    return { ContextKeyNames: contextKeysOf(docs) };
  },
});

export const GetContextKeysForCustomPolicy = defineAction({
  service: "iam",
  name: "GetContextKeysForCustomPolicy",
  effect: "read",
  input: { PolicyInputList: s.list(common.policyDocument(false), { required: true }) },
  target: () => ({ resource: "*" }),
  handler: (i) => {
    const inputs = compileInputs(i.PolicyInputList, "PolicyInputList", "identity");
    return { ContextKeyNames: contextKeysOf(inputs.map((p) => p.json)) };
  },
});

export const simulatorActions: RegisteredAction[] = [
  SimulatePrincipalPolicy,
  SimulateCustomPolicy,
  GetContextKeysForPrincipalPolicy,
  GetContextKeysForCustomPolicy,
];
