/**
 * The part AssumeRoleWithWebIdentity and AssumeRoleWithSAML share once the token or assertion is
 * verified: the role's trust policy evaluated for the federated principal (the provider, as
 * `Principal: {"Federated": "<provider ARN>"}` names it) with the provider's condition keys;
 * session tags (sts:TagSession) and a source identity (sts:SetSourceIdentity) allowed by the trust
 * policy too; DurationSeconds within the role's maximum; session policies; then an assumed-role
 * session like AssumeRole's, carrying the provider's keys as session context.
 */
import type { ActionContext } from "../action";
import { errors } from "../../protocol/errors";
import { decide } from "../../authz/authorize";
import { issueRoleSession } from "../../sessions/issue";
import type { Caller } from "../../auth/caller";
import { recordRoleUsage } from "../usage";
import { TRUSTS_NOBODY, type RoleToAssume } from "./role-lookup";
import { invalidParameter, loadSessionPolicies, packedPolicySize, tagContext } from "./common";

export const notAuthorized = (action: string) => errors.accessDenied(`Not authorized to perform ${action}`);

/** What a verified token or assertion says about the caller. */
export interface FederatedIdentity {
  providerArn: string;
  /** the provider's condition keys (trust policy and, as session context, every later request) */
  conditionKeys: Record<string, string | string[]>;
  sessionTags?: Record<string, string>;
  /** lower-cased */
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
}

export interface FederatedRequest {
  RoleArn: string;
  Policy?: string;
  PolicyArns?: { arn?: string }[];
  DurationSeconds?: number;
}

/** The caller the trust policy is evaluated for: nobody of an account, federated by the provider. */
function federatedCaller(providerArn: string): Caller {
  return {
    principal: { kind: "anonymous", account: "", arn: "anonymous", userId: "anonymous", federated: providerArn },
    accessKeyId: "",
    generation: 0,
  };
}

/** Evaluates `action` against the role's trust policy for the federated caller; throws AccessDenied unless allowed. */
async function trustAllows(
  ctx: ActionContext,
  action: string,
  i: { RoleArn: string },
  { role, account }: RoleToAssume,
  context: Record<string, string | string[]>,
  providerArn: string,
): Promise<void> {
  const fed: ActionContext = { ...ctx, caller: federatedCaller(providerArn) };
  const { decision, decisionId } = await decide(fed, action, {
    resource: role?.arn ?? i.RoleArn,
    resourceAccount: account,
    context,
    resourcePolicies: [{ id: role?.arn ?? i.RoleArn, json: role?.assumeRolePolicyDocument ?? TRUSTS_NOBODY, kind: "trust" }],
    requireResourceAllow: true,
  });
  ctx.decisionId = decisionId;
  if (decision.decision !== "allow") throw notAuthorized(action);
}

/** What the trust policy sees of the request and the identity. */
function trustContext(sessionName: string, f: FederatedIdentity): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {
    ...f.conditionKeys,
    "sts:RoleSessionName": sessionName,
    ...tagContext(f.sessionTags),
  };
  if (f.transitiveTagKeys?.length) context["sts:TransitiveTagKeys"] = f.transitiveTagKeys;
  if (f.sourceIdentity !== undefined) context["sts:SourceIdentity"] = f.sourceIdentity;
  return context;
}

/**
 * Authorizes `action` (sts:AssumeRoleWithWebIdentity / sts:AssumeRoleWithSAML) for the federated
 * identity and issues the session. `capSeconds`: a later end the identity imposes (SAML's
 * SessionNotOnOrAfter), shortening the session without failing it.
 */
export async function assumeRoleAsFederated(
  ctx: ActionContext,
  action: string,
  i: FederatedRequest,
  loaded: RoleToAssume,
  sessionName: string,
  f: FederatedIdentity,
  capSeconds?: number,
) {
  const now = ctx.request.now;
  const context = trustContext(sessionName, f);
  await trustAllows(ctx, action, i, loaded, context, f.providerArn);
  const role = loaded.role;
  if (!role) throw notAuthorized(action);

  const requested = i.DurationSeconds ?? 3600;
  if (requested > role.maxSessionDuration)
    throw errors.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  const duration = capSeconds !== undefined ? Math.max(1, Math.min(requested, capSeconds)) : requested;
  const tags = f.sessionTags;
  if (tags && Object.keys(tags).length > 50) throw invalidParameter("The number of session tags exceeds the limit of 50.");
  const tagKeys = new Set(Object.keys(tags ?? {}).map((k) => k.toLowerCase()));
  for (const k of f.transitiveTagKeys ?? [])
    if (!tagKeys.has(k)) throw invalidParameter("The specified transitive tag key must be included in the requested tags.");
  if (f.sourceIdentity?.toLowerCase().startsWith("aws:")) throw errors.validation("SourceIdentity cannot start with the 'aws:' prefix.");
  if (tags) await trustAllows(ctx, "sts:TagSession", i, loaded, context, f.providerArn);
  if (f.sourceIdentity !== undefined) await trustAllows(ctx, "sts:SetSourceIdentity", i, loaded, context, f.providerArn);

  const sessionPolicies = await loadSessionPolicies(ctx.db, loaded.account, i.Policy, i.PolicyArns);
  const packed = await packedPolicySize(i.Policy, i.PolicyArns, tags);
  const { credentials, assumedRoleUser } = await issueRoleSession(ctx.env, now, loaded.account, role, sessionName, duration, {
    ...(sessionPolicies ? { sessionPolicies } : {}),
    ...(i.PolicyArns?.length ? { policyArns: i.PolicyArns.map((p) => p.arn ?? "") } : {}),
    ...(tags ? { tags } : {}),
    ...(f.transitiveTagKeys?.length ? { transitiveTagKeys: f.transitiveTagKeys } : {}),
    ...(f.sourceIdentity !== undefined ? { sourceIdentity: f.sourceIdentity } : {}),
    mfaAuthenticated: false,
    chainDepth: 0,
    context: f.conditionKeys,
  });
  recordRoleUsage(ctx, loaded.account, role.roleId);
  return {
    credentials,
    assumedRoleUser,
    packedPolicySize: i.Policy !== undefined || i.PolicyArns?.length || tags ? packed : undefined,
  };
}
