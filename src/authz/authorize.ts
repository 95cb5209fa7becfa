/**
 * Authorization of one call: gathers the caller's policies (one D1 query on a cache miss, none
 * when the account's generation is unchanged), builds the request context from the real request,
 * and asks the pure engine. Denials carry AWS's message; every decision can be explained.
 */
import type { ActionContext, AuthzTarget, TrailNote } from "../services/action";
import { errors } from "../protocol/errors";
import {
  accessDeniedMessage,
  CompiledPolicyCache,
  evaluate,
  type AuthzRequest,
  type Decision,
  type PolicySet,
  type PolicySource,
  type ContextValue,
} from "../policy/index";
import { loadPrincipalPolicies, type PolicyRow } from "../store/authz";
import { isoSeconds } from "../lib/clock";
import type { Caller } from "../auth/caller";
import { recordDecision } from "./decisions";
import { BoundedMap } from "../lib/bounded";
import { resourcePoliciesInForce } from "../consistency/resource-policies";
import { orgChain, RCP_SERVICES, type OrgChain } from "./org-chain";
import { accountState } from "../store/credentials";
import { dataPlaneView } from "../consistency/client";
import { authCacheTtl, cachedLookup, peek, remember, scopes } from "../cache/index";

const compiled = new CompiledPolicyCache(4096);

interface PrincipalPolicies {
  set: PolicySet;
  tags: Record<string, string>;
  bytes: number;
}

/**
 * (account, entity, generation) → compiled policies; a bumped generation simply misses. Bounded in
 * bytes, estimated from the policy text (an entry keeps its compiled documents alive even after
 * `compiled` evicts them).
 */
const principalCache = new BoundedMap<string, PrincipalPolicies>(2048, 12 * 1024 * 1024, (p, k) => 2 * k.length + p.bytes);

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36) + s.length.toString(36);
}

function compile(rows: PolicyRow[]): PrincipalPolicies {
  const identity: PolicySource[] = [];
  let boundary: PolicySource[] | undefined;
  const tags: Record<string, string> = {};
  let bytes = 256;
  for (const r of rows) {
    bytes += 64 + 2 * r.id.length + 8 * (r.body?.length ?? 0);
    if (r.slot === "tag") {
      tags[r.id] = r.body;
      continue;
    }
    if (r.body === null || r.body === undefined) continue; // attachment of a policy deleted under us
    const key = r.version ? `${r.id}@${r.version}` : `${r.id}#${fnv(r.body)}`;
    const kind = r.slot === "boundary" ? "boundary" : "identity";
    const source: PolicySource = { id: r.id, type: r.slot, policy: compiled.get(key, r.body, kind) };
    if (r.slot === "boundary") (boundary ??= []).push(source);
    else identity.push(source);
  }
  const set: PolicySet = { identity };
  if (boundary) set.boundary = boundary;
  return { set, tags, bytes };
}

// A federated user issued by the root user has root's permissions, narrowed by its session policy.
const ROOT_FEDERATION: PrincipalPolicies = {
  set: {
    identity: [
      {
        id: "root",
        type: "identity",
        policy: compiled.get(
          "iamlab:root-federation",
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
          "identity",
        ),
      },
    ],
  },
  tags: {},
  bytes: 0,
};

async function principalPolicies(ctx: ActionContext): Promise<PrincipalPolicies> {
  const c = ctx.caller;
  if (c.principal.kind === "federatedUser" && !c.entityId) return ROOT_FEDERATION;
  if (!c.entityId || (c.principal.kind !== "user" && c.principal.kind !== "assumedRole" && c.principal.kind !== "federatedUser"))
    return { set: { identity: [] }, tags: {}, bytes: 0 };
  const kind = c.principal.kind === "assumedRole" ? "role" : "user";
  const key = `${c.principal.account}/${kind}/${c.entityId}/${c.generation}`;
  let hit = principalCache.get(key);
  if (!hit) {
    // A lagging account (eventual consistency) is read from the visible generation's snapshot.
    const snap = c.consistency?.snapshot;
    // Otherwise the rows read together with the caller's key, or one query.
    const rows = snap
      ? (snap.principals[`${kind}/${c.entityId}`] ?? [])
      : kind === "user" && c.prefetchedPolicies
        ? c.prefetchedPolicies
        : await loadPrincipalPolicies(ctx.db, c.principal.account, kind, c.entityId);
    hit = compile(rows);
    principalCache.set(key, hit);
  }
  return hit;
}

/** The caller's organization and SCP levels (identities of an account only: not anonymous or service callers). */
function callerOrgChain(ctx: ActionContext): Promise<OrgChain | undefined> | undefined {
  const p = ctx.caller.principal;
  if (p.kind === "anonymous" || p.kind === "service" || !p.account) return undefined;
  // A lagging account sees the chain of its visible generation (the snapshot's rows), like its policies.
  return orgChain(ctx.db, p.account, ctx.caller.generation, compiled, ctx.caller.consistency?.snapshot?.org);
}

/**
 * The organization of the account that owns the target resource (aws:ResourceOrgID / Paths, RCPs).
 * The caller's own account reuses the caller's chain; another account's chain is found by that
 * account's generation, read through the isolate cache (TTL; org writes in this isolate drop it at
 * once), so a warm cross-account request costs no D1 round trip either. A target of `*` has no owner.
 */
function resourceOrgChain(
  ctx: ActionContext,
  target: AuthzTarget,
  callerChain: Promise<OrgChain | undefined> | undefined,
): Promise<OrgChain | undefined> | undefined {
  if (target.resource === "*" || !target.resource.startsWith("arn:")) return undefined;
  const p = ctx.caller.principal;
  const account = target.resourceAccount ?? p.account;
  if (!account) return undefined;
  if (account === p.account && callerChain) return callerChain;
  return (async () => {
    const state = await cachedLookup(
      `acctgen:${account}`,
      authCacheTtl(ctx.env),
      () => scopes.account(account),
      () => accountState(ctx.db, account),
      (w) => ctx.waitUntil(w),
    );
    if (!state) return undefined;
    const reachedKey = `orgreached:${account}`;
    if (state.consistencyMode !== "off" && peek<number>(reachedKey, scopes.account(account))?.value !== state.generation) {
      // A lagging owner: its resources answer with the chain its data plane sees (one Durable Object
      // call, until the latest generation is known visible: generations never become invisible again).
      const { view, snapshot } = await dataPlaneView(ctx.env, account, state.generation, ctx.request.now);
      if (view.visibleGeneration < state.generation) {
        if (snapshot?.org) return orgChain(ctx.db, account, view.visibleGeneration, compiled, snapshot.org);
      } else remember(reachedKey, scopes.account(account), state.generation, authCacheTtl(ctx.env));
    }
    return orgChain(ctx.db, account, state.generation, compiled);
  })();
}

/**
 * The organization chain of any account, as a request on that account's resources would see it
 * (lagging accounts included) — for a service acting on its own (SNS delivering into a queue:
 * the queue owner's RCPs, aws:SourceOrgID of the topic's owner).
 */
export function accountOrgChain(ctx: ActionContext, account: string): Promise<OrgChain | undefined> {
  return (
    resourceOrgChain(ctx, { resource: `arn:aws:iam::${account}:root`, resourceAccount: account }, undefined) ?? Promise.resolve(undefined)
  );
}

/** RCPs govern the resources of the services they support only (an `iam:` call on a member's user is not theirs). */
function rcpsGovern(action: string): boolean {
  const i = action.indexOf(":");
  return i > 0 && RCP_SERVICES.has(action.slice(0, i).toLowerCase());
}

/** The global condition keys AWS sets from the request itself. */
export function requestContext(
  ctx: ActionContext,
  tags: Record<string, string>,
  extra: Record<string, ContextValue> | undefined,
): Record<string, ContextValue> {
  const r = ctx.request;
  const c = ctx.caller;
  const out: Record<string, ContextValue> = {
    "aws:SourceIp": r.sourceIp,
    "aws:RequestedRegion": r.region,
    "aws:CurrentTime": isoSeconds(r.now),
    "aws:EpochTime": String(Math.floor(r.now / 1000)),
    "aws:SecureTransport": String(r.secureTransport),
    "aws:UserAgent": r.userAgent,
    "aws:ViaAWSService": "false",
  };
  const s = c.session;
  if (s) {
    out["aws:TokenIssueTime"] = isoSeconds(s.tokenIssueTime);
    out["aws:MultiFactorAuthPresent"] = String(s.mfaAuthenticated);
    if (s.mfaAuthenticated && s.mfaAuthTime !== undefined)
      out["aws:MultiFactorAuthAge"] = String(Math.max(0, Math.floor((r.now - s.mfaAuthTime) / 1000)));
    if (s.sourceIdentity) out["aws:SourceIdentity"] = s.sourceIdentity;
    // Keys the session carries: a workload's (EC2 instance, Lambda function) or a web identity's.
    if (s.context) Object.assign(out, s.context);
  }
  // Session tags win over the principal's own tags (AWS).
  const allTags = { ...tags, ...(s?.tags ?? {}) };
  for (const [k, v] of Object.entries(allTags)) out[`aws:PrincipalTag/${k}`] = v;
  if (r.credentialContext) Object.assign(out, r.credentialContext);
  if (extra) Object.assign(out, extra);
  return out;
}

/** Session policies that narrow a session, compiled once per session. */
function sessionPolicies(c: Caller): PolicySource[] | undefined {
  const docs = c.session?.sessionPolicies;
  if (!docs) return undefined;
  return docs.map((d) => ({ id: d.id, type: "session" as const, policy: compiled.get(`${d.id}#${fnv(d.json)}`, d.json, "session") }));
}

export interface AuthorizationResult {
  request: AuthzRequest;
  decision: Decision;
  decisionId: string;
}

/** Evaluates without throwing (the simulator and explanations use this). */
export async function decide(ctx: ActionContext, action: string, target: AuthzTarget): Promise<AuthorizationResult> {
  if (ctx.trail) noteTrailTarget(ctx.trail, ctx.caller.principal.account, target);
  // The org chains' queries (cold path only) run beside the principal's.
  const callerChain = callerOrgChain(ctx);
  const [{ set, tags }, org, resourceOrg] = await Promise.all([
    principalPolicies(ctx),
    callerChain,
    resourceOrgChain(ctx, target, callerChain),
  ]);
  const policies: PolicySet = { ...set };
  if (org?.scps) policies.scps = org.scps;
  // RCPs of the resource owner's chain, whoever calls (the engine exempts service-linked roles).
  if (resourceOrg?.rcps && rcpsGovern(action)) policies.rcps = resourceOrg.rcps;
  const session = sessionPolicies(ctx.caller);
  if (session) policies.session = session;
  const resourcePolicies = target.pendingResourcePolicy
    ? await resourcePoliciesInForce(ctx, target.resourcePolicies ?? [], target.pendingResourcePolicy, (json) => ({
        id: target.pendingResourcePolicy!.id,
        json,
        kind: "resource" as const,
      }))
    : target.resourcePolicies;
  if (resourcePolicies?.length) {
    // Grants (KMS) are resource-based documents the engine weighs on their own (PolicySet.grants).
    const toSource = (r: { id: string; json: string; kind?: string }): PolicySource => ({
      id: r.id,
      type: "resource" as const,
      policy: compiled.get(`${r.id}#${fnv(r.json)}`, r.json, r.kind === "trust" ? "trust" : "resource"),
    });
    const resource = resourcePolicies.filter((r) => r.kind !== "grant").map(toSource);
    const grants = resourcePolicies.filter((r) => r.kind === "grant").map(toSource);
    if (resource.length) policies.resource = resource;
    if (grants.length) policies.grants = grants;
    if (target.requireResourceAllow) policies.requireResourceAllow = true;
  }
  const request: AuthzRequest = {
    principal: ctx.caller.principal,
    action,
    resource: target.resource,
    resourceAccount: target.resourceAccount ?? ctx.caller.principal.account,
    context: requestContext(ctx, tags, target.context),
  };
  if (org) {
    request.context["aws:PrincipalOrgID"] = org.orgId;
    request.context["aws:PrincipalOrgPaths"] = [org.path];
  }
  if (resourceOrg) {
    request.context["aws:ResourceOrgID"] = resourceOrg.orgId;
    request.context["aws:ResourceOrgPaths"] = [resourceOrg.path];
  }
  // Most calls are allowed and nobody reads their explanation: decide without recording it. A denial
  // always carries one (recordDecision keeps it under the decision id), so it is evaluated again with
  // the explanation on — the same matchers, this time recording.
  const explain = ctx.explain === true;
  let decision = evaluate(request, policies, { explain });
  if (!explain && decision.decision !== "allow") decision = evaluate(request, policies, { explain: true });
  const decisionId = recordDecision(ctx, request, decision);
  return { request, decision, decisionId };
}

export async function authorizeCall(ctx: ActionContext, action: string, target: AuthzTarget): Promise<void> {
  const { request, decision, decisionId } = await decide(ctx, action, target);
  ctx.decisionId = decisionId;
  if (decision.decision !== "allow") throw errors.accessDenied(deniedMessage(request, decision, target));
}

/** AWS's AccessDenied message, in the wording of the target's service. */
export function deniedMessage(request: AuthzRequest, decision: Decision, target: AuthzTarget): string {
  if (target.deniedMessage === "s3") {
    // S3 tells anonymous callers and other accounts no more than this.
    if (request.principal.kind === "anonymous" || request.resourceAccount !== request.principal.account) return "Access Denied";
    // A bucket policy has no ARN of its own: S3 says "… with an explicit deny in a resource-based policy".
    return accessDeniedMessage(request, decision, { quoteResource: true, includePolicyArn: decision.deniedBy?.type !== "resource" });
  }
  const options = { includePolicyArn: policyArnShown(request), ...(target.deniedMessage === "noResource" ? { omitResource: true } : {}) };
  // SQS writes the action in lower case: "… not authorized to perform: sqs:sendmessage on resource: …
  // because no identity-based policy allows the sqs:sendmessage action" (as users report it).
  if (target.deniedMessage === "sqs") return accessDeniedMessage({ ...request, action: request.action.toLowerCase() }, decision, options);
  // SNS writes its prefix in upper case: "… not authorized to perform: SNS:Publish on resource: …" (as users report it).
  if (target.deniedMessage === "sns")
    return accessDeniedMessage({ ...request, action: `SNS:${request.action.slice(request.action.indexOf(":") + 1)}` }, decision, options);
  return accessDeniedMessage(request, decision, options);
}

/**
 * AWS names the denying policy's ARN to callers of the same account or the same organization only
 * (AWS Security Blog, "Enhanced access denied error messages with policy ARNs"): an RCP denying an
 * outsider is named by its type alone.
 */
function policyArnShown(request: AuthzRequest): boolean {
  const p = request.principal;
  if ((request.resourceAccount ?? p.account) === p.account) return true;
  const principalOrg = request.context["aws:PrincipalOrgID"];
  return principalOrg !== undefined && principalOrg === request.context["aws:ResourceOrgID"];
}

/** CloudTrail: the call's first resource, and the first one of another account (which gets its own copy of the event). */
function noteTrailTarget(note: TrailNote, callerAccount: string, target: AuthzTarget): void {
  note.target ??= { resource: target.resource, ...(target.resourceAccount ? { resourceAccount: target.resourceAccount } : {}) };
  if (target.resourceAccount && target.resourceAccount !== callerAccount) note.foreignAccount ??= target.resourceAccount;
}
