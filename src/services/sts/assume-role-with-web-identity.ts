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
import { defineAction } from "../action";
import { s } from "../../protocol/shapes";
import { authCacheTtl } from "../../cache/index";
import { verifyWebIdentity } from "../../federation/web-identity";
import { parseIssuerEgress } from "../../federation/egress";
import { findRoleToAssume } from "./role-lookup";
import { stsShapes } from "./common";
import { assumeRoleAsFederated } from "./federated-session";

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

export const AssumeRoleWithWebIdentity = defineAction({
  service: "sts",
  name: "AssumeRoleWithWebIdentity",
  effect: "none",
  input,
  load: (i, ctx) => findRoleToAssume(ctx, i.RoleArn),
  // Authorized in the handler: the principal is known only once the token is verified.
  async handler(i, ctx, loaded) {
    const w = await verifyWebIdentity(
      ctx.db,
      loaded.account,
      i.WebIdentityToken,
      ctx.request.now,
      authCacheTtl(ctx.env),
      parseIssuerEgress(ctx.env.IAMLAB_OIDC_EGRESS),
    );
    const session = await assumeRoleAsFederated(ctx, "sts:AssumeRoleWithWebIdentity", i, loaded, i.RoleSessionName, {
      providerArn: w.provider.arn,
      conditionKeys: w.conditionKeys,
      ...(w.sessionTags ? { sessionTags: w.sessionTags } : {}),
      ...(w.transitiveTagKeys ? { transitiveTagKeys: w.transitiveTagKeys } : {}),
      ...(w.sourceIdentity !== undefined ? { sourceIdentity: w.sourceIdentity } : {}),
    });
    return {
      Credentials: session.credentials,
      SubjectFromWebIdentityToken: w.subject,
      AssumedRoleUser: session.assumedRoleUser,
      PackedPolicySize: session.packedPolicySize,
      Provider: w.issuer,
      Audience: w.audience,
      SourceIdentity: w.sourceIdentity,
    };
  },
});
