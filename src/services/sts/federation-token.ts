/**
 * sts:GetFederationToken — a federated user `arn:aws:sts::ACCT:federated-user/NAME` whose
 * permissions are the caller's policies intersected with the passed session policies (none passed
 * = no permissions). 900…129,600 s (default 43,200; root at most 3,600). Long-term credentials only.
 */
import { defineAction } from "../action";
import { s } from "../../protocol/shapes";
import { federatedUserArn } from "../../lib/arn";
import { issueSession } from "../../sessions/issue";
import { loadSessionPolicies, packedPolicySize, requireLongTermCredentials, sessionTags, stsShapes, tagContext } from "./common";

export const GetFederationToken = defineAction({
  service: "sts",
  name: "GetFederationToken",
  effect: "none",
  input: {
    Name: s.string({ required: true, min: 2, max: 32, pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" }),
    Policy: stsShapes.sessionPolicy(),
    PolicyArns: stsShapes.policyArns(),
    DurationSeconds: stsShapes.durationSeconds(),
    Tags: stsShapes.tags(),
  },
  target(i, ctx) {
    requireLongTermCredentials(ctx.caller, "GetFederationToken");
    const account = ctx.caller.principal.account;
    return { resource: federatedUserArn(account, i.Name), context: tagContext(sessionTags(i.Tags)) };
  },
  async handler(i, ctx) {
    const caller = ctx.caller;
    requireLongTermCredentials(caller, "GetFederationToken");
    const account = caller.principal.account;
    const isRoot = caller.principal.kind === "root";
    const duration = isRoot ? Math.min(i.DurationSeconds ?? 3600, 3600) : (i.DurationSeconds ?? 43200);
    const tags = sessionTags(i.Tags);
    const sessionPolicies = (await loadSessionPolicies(ctx.db, account, i.Policy, i.PolicyArns)) ?? [];
    const packed = await packedPolicySize(i.Policy, i.PolicyArns, tags);
    const now = ctx.request.now;
    const arn = federatedUserArn(account, i.Name);
    const userId = `${account}:${i.Name}`;
    const { credentials } = await issueSession(ctx.env, now, {
      account,
      kind: "federation",
      // The IAM user behind the session: a bucket policy naming it grants the session within its session policies.
      principal: { kind: "federatedUser", account, arn, userId, ...(isRoot ? {} : { federatingUserArn: caller.principal.arn }) },
      ...(caller.entityId ? { entityId: caller.entityId } : {}),
      entityKind: isRoot ? "root" : "user",
      issuedAt: now,
      expiresAt: now + duration * 1000,
      sessionPolicies,
      ...(i.PolicyArns?.length ? { policyArns: i.PolicyArns.map((p) => p.arn ?? "") } : {}),
      ...(tags ? { tags } : {}),
      mfaAuthenticated: false,
      chainDepth: 0,
    });
    return {
      Credentials: credentials,
      FederatedUser: { FederatedUserId: userId, Arn: arn },
      PackedPolicySize: packed,
    };
  },
});
