/**
 * sts:AssumeRoleWithSAML — a user of a corporate directory, with the SAML response its IdP signed,
 * assumes a role. No AWS credentials needed (app.ts lets the request through unsigned; a signed one
 * is accepted too and its signer plays no part). The assertion is verified first
 * (src/federation/saml-federation.ts: the IAM SAML provider `PrincipalArn` names, the signature
 * against its metadata certificate, time, audience, the Role attribute's role,provider pair, the
 * AWS attributes), then the role's trust policy is evaluated for the federated principal with the
 * `SAML:*` keys (src/services/sts/federated-session.ts, shared with AssumeRoleWithWebIdentity).
 *
 * Duration: DurationSeconds, else the SessionDuration attribute (capped at the role's maximum),
 * else one hour; never past the AuthnStatement's SessionNotOnOrAfter. AWS documents SessionDuration
 * for console sessions; that the API falls back to it is our reading, not confirmed.
 */
import { defineAction } from "../action";
import { s } from "../../protocol/shapes";
import { verifySamlAssertion } from "../../federation/saml-federation";
import { findRoleToAssume } from "./role-lookup";
import { stsShapes } from "./common";
import { assumeRoleAsFederated } from "./federated-session";

const input = {
  RoleArn: s.string({ required: true, min: 20, max: 2048 }),
  PrincipalArn: s.string({ required: true, min: 20, max: 2048 }),
  SAMLAssertion: s.string({ required: true, min: 4, max: 100000 }),
  PolicyArns: stsShapes.policyArns(),
  Policy: stsShapes.sessionPolicy(),
  DurationSeconds: stsShapes.roleDurationSeconds(),
};

export const AssumeRoleWithSAML = defineAction({
  service: "sts",
  name: "AssumeRoleWithSAML",
  effect: "none",
  input,
  load: (i, ctx) => findRoleToAssume(ctx, i.RoleArn),
  // Authorized in the handler: the principal is known only once the assertion is verified.
  async handler(i, ctx, loaded) {
    const v = await verifySamlAssertion(ctx.db, i.RoleArn, i.PrincipalArn, i.SAMLAssertion, ctx.request.now);
    const max = loaded.role?.maxSessionDuration ?? 3600;
    const DurationSeconds = i.DurationSeconds ?? (v.sessionDuration !== undefined ? Math.min(v.sessionDuration, max) : undefined);
    const session = await assumeRoleAsFederated(
      ctx,
      "sts:AssumeRoleWithSAML",
      { ...i, ...(DurationSeconds !== undefined ? { DurationSeconds } : {}) },
      loaded,
      v.sessionName,
      {
        providerArn: v.providerArn,
        conditionKeys: v.conditionKeys,
        ...(v.sessionTags ? { sessionTags: v.sessionTags } : {}),
        ...(v.transitiveTagKeys ? { transitiveTagKeys: v.transitiveTagKeys } : {}),
        ...(v.sourceIdentity !== undefined ? { sourceIdentity: v.sourceIdentity } : {}),
      },
      v.sessionCapSeconds,
    );
    return {
      Credentials: session.credentials,
      AssumedRoleUser: session.assumedRoleUser,
      PackedPolicySize: session.packedPolicySize,
      Subject: v.subject,
      SubjectType: v.subjectType,
      Issuer: v.issuer,
      Audience: v.audience,
      NameQualifier: v.nameQualifier,
      SourceIdentity: v.sourceIdentity,
    };
  },
});
