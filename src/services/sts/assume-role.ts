/**
 * sts:AssumeRole. Authorization (before the handler): the role's trust policy is the resource
 * policy that must allow (requireResourceAllow), the caller's identity policies the other side —
 * a trust policy naming the caller grants on its own in the same account, one naming the account
 * delegates to identity policies, and across accounts both sides must allow (the engine's rules).
 * A missing role is denied like an untrusted one (AWS never reveals existence).
 * The handler then checks what needs the role (durations), the session tags / source identity
 * permissions (sts:TagSession, sts:SetSourceIdentity on the same role), and issues the session
 * in the role account's SessionsDO.
 */
import { defineAction, type ActionContext, type AuthzTarget } from "../action";
import { s, type InferFields } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { authorizeCall } from "../../authz/authorize";
import { issueRoleSession } from "../../sessions/issue";
import { findRoleToAssume, TRUSTS_NOBODY } from "./role-lookup";
import { recordRoleUsage } from "../usage";
import type { RoleView } from "../../consistency/snapshot";
import { invalidParameter, loadSessionPolicies, packedPolicySize, requestMfa, sessionTags, stsShapes, tagContext } from "./common";

const input = {
  RoleArn: s.string({ required: true, min: 20, max: 2048 }),
  RoleSessionName: s.string({ required: true, min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" }),
  PolicyArns: stsShapes.policyArns(),
  Policy: stsShapes.sessionPolicy(),
  DurationSeconds: stsShapes.roleDurationSeconds(),
  Tags: stsShapes.tags(),
  TransitiveTagKeys: stsShapes.tagKeys(),
  ExternalId: s.string({ min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/, patternText: "[\\w+=,.@:\\/-]*" }),
  SerialNumber: stsShapes.serialNumber(),
  TokenCode: stsShapes.tokenCode(),
  SourceIdentity: stsShapes.sourceIdentity(),
};

/** What the load step found: the role (undefined when it does not exist) and whether MFA was given and valid. */
interface Loaded {
  role: RoleView | undefined;
  account: string;
  path: string;
  mfa: boolean;
}

function notAuthorized(ctx: ActionContext, roleArn: string) {
  return errors.accessDenied(`User: ${ctx.caller.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
}

/** The role as the policy engine sees it: its trust policy (or one that trusts nobody) and the request's context keys. */
function trustTarget(i: InferFields<typeof input>, { role, account, mfa }: Loaded): AuthzTarget {
  const tags = sessionTags(i.Tags);
  const context: Record<string, string | string[]> = {
    "sts:RoleSessionName": i.RoleSessionName,
    ...tagContext(tags),
  };
  if (i.ExternalId !== undefined) context["sts:ExternalId"] = i.ExternalId;
  if (i.SourceIdentity !== undefined) context["sts:SourceIdentity"] = i.SourceIdentity;
  if (i.TransitiveTagKeys?.length) context["sts:TransitiveTagKeys"] = i.TransitiveTagKeys;
  if (mfa) {
    context["aws:MultiFactorAuthPresent"] = "true";
    context["aws:MultiFactorAuthAge"] = "0";
  }
  const target: AuthzTarget = {
    resource: role?.arn ?? i.RoleArn,
    resourceAccount: account,
    context,
    resourcePolicies: [{ id: role?.arn ?? i.RoleArn, json: role?.assumeRolePolicyDocument ?? TRUSTS_NOBODY, kind: "trust" }],
    requireResourceAllow: true,
  };
  return target;
}

export const AssumeRole = defineAction({
  service: "sts",
  name: "AssumeRole",
  effect: "none",
  input,
  async load(i, ctx): Promise<Loaded> {
    if (ctx.caller.principal.kind === "root") throw errors.accessDenied("Roles may not be assumed by root accounts.");
    const { role, account, path } = await findRoleToAssume(ctx, i.RoleArn);
    return { role, account, path, mfa: await requestMfa(ctx, i) };
  },
  target: (i, _ctx, loaded) => trustTarget(i, loaded),
  async handler(i, ctx, loaded) {
    const { role, account, mfa } = loaded;
    if (!role) throw notAuthorized(ctx, i.RoleArn);
    // The trust policy is asked again for sts:TagSession / sts:SetSourceIdentity below.
    const target = trustTarget(i, loaded);
    const caller = ctx.caller;
    const prev = caller.session;
    const now = ctx.request.now;

    const duration = i.DurationSeconds ?? 3600;
    if (prev && duration > 3600)
      throw errors.validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    if (duration > role.maxSessionDuration)
      throw errors.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");

    // Session tags: the request's, plus the transitive ones inherited through a role chain.
    const requestTags = sessionTags(i.Tags);
    const requestKeys = new Set(Object.keys(requestTags ?? {}).map((k) => k.toLowerCase()));
    const transitive = new Set<string>();
    for (const k of i.TransitiveTagKeys ?? []) {
      if (!requestKeys.has(k.toLowerCase()))
        throw invalidParameter("The specified transitive tag key must be included in the requested tags.");
      transitive.add(k.toLowerCase());
    }
    let tags: Record<string, string> | undefined;
    const inheritedKeys = prev?.transitiveTagKeys ?? [];
    if (inheritedKeys.length && prev?.tags) {
      tags = {};
      for (const [k, v] of Object.entries(prev.tags)) if (inheritedKeys.includes(k.toLowerCase())) tags[k] = v;
      for (const k of requestKeys)
        if (inheritedKeys.includes(k))
          throw invalidParameter(
            "One or more of the specified transitive tag keys can't be set because they conflict with incoming transitive tag keys.",
          );
      for (const k of inheritedKeys) transitive.add(k);
    }
    if (requestTags) tags = { ...(tags ?? {}), ...requestTags };
    if (tags && Object.keys(tags).length > 50) throw invalidParameter("The number of session tags exceeds the limit of 50.");

    // Source identity: set once in a chain, never changed.
    const sourceIdentity = prev?.sourceIdentity ?? i.SourceIdentity;
    if (prev?.sourceIdentity !== undefined && i.SourceIdentity !== undefined && i.SourceIdentity !== prev.sourceIdentity)
      throw errors.accessDenied(
        `User: ${caller.principal.arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${role.arn}`,
      );
    if (sourceIdentity?.toLowerCase().startsWith("aws:")) throw errors.validation("SourceIdentity cannot start with the 'aws:' prefix.");

    // The trust policy must also allow tagging the session / setting its source identity.
    if (requestTags || inheritedKeys.length) await authorizeCall(ctx, "sts:TagSession", target);
    if (i.SourceIdentity !== undefined) await authorizeCall(ctx, "sts:SetSourceIdentity", target);

    const sessionPolicies = await loadSessionPolicies(ctx.db, account, i.Policy, i.PolicyArns);
    const packed = await packedPolicySize(i.Policy, i.PolicyArns, tags);

    const { credentials, assumedRoleUser } = await issueRoleSession(ctx.env, now, account, role, i.RoleSessionName, duration, {
      ...(sessionPolicies ? { sessionPolicies } : {}),
      ...(i.PolicyArns?.length ? { policyArns: i.PolicyArns.map((p) => p.arn ?? "") } : {}),
      ...(tags ? { tags } : {}),
      ...(transitive.size ? { transitiveTagKeys: [...transitive] } : {}),
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      mfaAuthenticated: mfa || (prev?.mfaAuthenticated ?? false),
      ...(mfa ? { mfaAuthTime: now } : prev?.mfaAuthTime !== undefined ? { mfaAuthTime: prev.mfaAuthTime } : {}),
      chainDepth: prev ? (prev.chainDepth ?? 0) + 1 : 0,
    });
    recordRoleUsage(ctx, account, role.roleId);
    return {
      Credentials: credentials,
      AssumedRoleUser: assumedRoleUser,
      PackedPolicySize: i.Policy !== undefined || i.PolicyArns?.length || tags ? packed : undefined,
      SourceIdentity: sourceIdentity,
    };
  },
});
