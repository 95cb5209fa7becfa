/**
 * What temporary credentials may not call, whatever their policies say (AWS documents these as
 * properties of the credentials, not of policies):
 * - no temporary credentials may call sts:GetSessionToken or sts:GetFederationToken
 *   ("Cannot call GetSessionToken with session credentials");
 * - GetSessionToken credentials: no IAM API unless the session was MFA-authenticated, and no STS
 *   API except AssumeRole and GetCallerIdentity;
 * - GetFederationToken credentials: no IAM API, no STS API except GetCallerIdentity.
 * IAM rejects such tokens as AWS does: InvalidClientTokenId "The security token included in the
 * request is invalid" (observed with GetSessionToken credentials without MFA).
 * Pure; the authorizer calls it before evaluating policies.
 */
import type { Caller } from "../auth/caller";
import { type AwsError, errors } from "../protocol/errors";

// sts:TagSession / sts:SetSourceIdentity are permissions checked during AssumeRole, not separate calls.
const SESSION_TOKEN_STS = new Set(["assumerole", "getcalleridentity", "tagsession", "setsourceidentity"]);
const FEDERATION_STS = new Set(["getcalleridentity"]);

/** null = the call may proceed to policy evaluation; otherwise the error to answer. */
export function sessionApiRestriction(caller: Caller, service: string, action: string): AwsError | null {
  const s = caller.session;
  if (!s) return null;
  const svc = service.toLowerCase();
  const act = action.toLowerCase();
  if (svc === "sts" && (act === "getsessiontoken" || act === "getfederationtoken")) {
    const name = act === "getsessiontoken" ? "GetSessionToken" : "GetFederationToken";
    return errors.accessDenied(`Cannot call ${name} with session credentials`);
  }
  // A console sign-in is the user itself (with MFA keys and a token issue time), not a restricted session.
  if (s.kind === "assumedRole" || s.kind === "console") return null;
  if (svc === "iam") {
    if (s.kind === "sessionToken" && s.mfaAuthenticated) return null;
    return errors.invalidClientTokenId();
  }
  if (svc === "sts") {
    const allowed = s.kind === "sessionToken" ? SESSION_TOKEN_STS : FEDERATION_STS;
    if (allowed.has(act)) return null;
    return errors.accessDenied(
      `User: ${caller.principal.arn} is not authorized to perform: sts:${action} with these temporary credentials`,
    );
  }
  return null;
}
