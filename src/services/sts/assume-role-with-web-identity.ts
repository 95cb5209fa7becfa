/**
 * sts:AssumeRoleWithWebIdentity — a caller from outside AWS, with an OIDC ID token, assumes a role.
 * No AWS credentials needed (app.ts lets the request through unsigned; a signed one is accepted
 * too and its signer plays no part). The token is verified first (src/federation/web-identity.ts:
 * the role account's OIDC provider for its issuer, the issuer's keys, signature, expiry, audience),
 * then the role's trust policy is evaluated for the federated principal — the provider, as
 * `Principal: {"Federated": "<provider ARN>"}` names it — with the provider's condition keys.
 * A trust policy that does not allow (or a role that does not exist) is AccessDenied "Not authorized
 * to perform sts:AssumeRoleWithWebIdentity", as AWS answers; session tags from the token's
 * `https://aws.amazon.com/tags` claim also need sts:TagSession, a source identity
 * sts:SetSourceIdentity. The session is an assumed-role session like AssumeRole's.
 */
import { defineAction, type ActionContext } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { decide } from "../../authz/authorize";
import { issueRoleSession } from "../../sessions/issue";
import { authCacheTtl } from "../../cache/index";
import type { Caller } from "../../auth/caller";
import { verifyWebIdentity, type WebIdentity } from "../../federation/web-identity";
import { recordRoleUsage } from "../usage";
import { findRoleToAssume, TRUSTS_NOBODY, type RoleToAssume } from "./role-lookup";
import { invalidParameter, loadSessionPolicies, packedPolicySize, stsShapes, tagContext } from "./common";

const input = {
  RoleArn: s.string({ required: true, min: 20, max: 2048 }),
  RoleSessionName: s.string({ required: true, min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" }),
  WebIdentityToken: s.string({ required: true, min: 4, max: 20000 }),
  // For OAuth 2.0 access tokens of www.amazon.com / graph.facebook.com only ("do not specify this
  // value for OpenID Connect ID tokens"): iamlab serves OIDC, so it is accepted and not used.
  ProviderId: s.string({ min: 4, max: 2048 }),
  PolicyArns: stsShapes.policyArns(),
  Policy: stsShapes.sessionPolicy(),
  DurationSeconds: stsShapes.roleDurationSeconds(),
};

const notAuthorized = (action: string) => errors.accessDenied(`Not authorized to perform ${action}`);

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

/** What the trust policy sees of the request and the token. */
function trustContext(sessionName: string, w: WebIdentity): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {
    ...w.conditionKeys,
    "sts:RoleSessionName": sessionName,
    ...tagContext(w.sessionTags),
  };
  if (w.transitiveTagKeys?.length) context["sts:TransitiveTagKeys"] = w.transitiveTagKeys;
  if (w.sourceIdentity !== undefined) context["sts:SourceIdentity"] = w.sourceIdentity;
  return context;
}

export const AssumeRoleWithWebIdentity = defineAction({
  service: "sts",
  name: "AssumeRoleWithWebIdentity",
  effect: "none",
  input,
  load: (i, ctx) => findRoleToAssume(ctx, i.RoleArn),
  // Authorized in the handler: the principal is known only once the token is verified.
  async handler(i, ctx, loaded) {
    const now = ctx.request.now;
    const w = await verifyWebIdentity(ctx.db, loaded.account, i.WebIdentityToken, now, authCacheTtl(ctx.env));
    const providerArn = w.provider.arn;
    const context = trustContext(i.RoleSessionName, w);
    await trustAllows(ctx, "sts:AssumeRoleWithWebIdentity", i, loaded, context, providerArn);
    const role = loaded.role;
    if (!role) throw notAuthorized("sts:AssumeRoleWithWebIdentity");

    const duration = i.DurationSeconds ?? 3600;
    if (duration > role.maxSessionDuration)
      throw errors.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    const tags = w.sessionTags;
    if (tags && Object.keys(tags).length > 50) throw invalidParameter("The number of session tags exceeds the limit of 50.");
    const tagKeys = new Set(Object.keys(tags ?? {}).map((k) => k.toLowerCase()));
    for (const k of w.transitiveTagKeys ?? [])
      if (!tagKeys.has(k)) throw invalidParameter("The specified transitive tag key must be included in the requested tags.");
    if (w.sourceIdentity?.toLowerCase().startsWith("aws:")) throw errors.validation("SourceIdentity cannot start with the 'aws:' prefix.");
    if (tags) await trustAllows(ctx, "sts:TagSession", i, loaded, context, providerArn);
    if (w.sourceIdentity !== undefined) await trustAllows(ctx, "sts:SetSourceIdentity", i, loaded, context, providerArn);

    const sessionPolicies = await loadSessionPolicies(ctx.db, loaded.account, i.Policy, i.PolicyArns);
    const packed = await packedPolicySize(i.Policy, i.PolicyArns, tags);
    const { credentials, assumedRoleUser } = await issueRoleSession(ctx.env, now, loaded.account, role, i.RoleSessionName, duration, {
      ...(sessionPolicies ? { sessionPolicies } : {}),
      ...(i.PolicyArns?.length ? { policyArns: i.PolicyArns.map((p) => p.arn ?? "") } : {}),
      ...(tags ? { tags } : {}),
      ...(w.transitiveTagKeys?.length ? { transitiveTagKeys: w.transitiveTagKeys } : {}),
      ...(w.sourceIdentity !== undefined ? { sourceIdentity: w.sourceIdentity } : {}),
      mfaAuthenticated: false,
      chainDepth: 0,
      context: w.conditionKeys,
    });
    recordRoleUsage(ctx, loaded.account, role.roleId);
    return {
      Credentials: credentials,
      SubjectFromWebIdentityToken: w.subject,
      AssumedRoleUser: assumedRoleUser,
      PackedPolicySize: i.Policy !== undefined || i.PolicyArns?.length || tags ? packed : undefined,
      Provider: w.issuer,
      Audience: w.audience,
      SourceIdentity: w.sourceIdentity,
    };
  },
});
