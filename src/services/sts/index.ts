import type { RegisteredAction } from "../action";
import { GetCallerIdentity } from "./caller-identity";
import { AssumeRole } from "./assume-role";
import { GetSessionToken } from "./session-token";
import { GetFederationToken } from "./federation-token";
import { GetAccessKeyInfo } from "./access-key-info";
import { DecodeAuthorizationMessage } from "./decode-authorization-message";
// federation (issue 19)
import { AssumeRoleWithWebIdentity } from "./assume-role-with-web-identity";
// SAML federation (issue 19, saml)
import { AssumeRoleWithSAML } from "./assume-role-with-saml";

export const stsActions: RegisteredAction[] = [
  GetCallerIdentity,
  AssumeRole,
  GetSessionToken,
  GetFederationToken,
  GetAccessKeyInfo,
  DecodeAuthorizationMessage,
  // federation (issue 19)
  AssumeRoleWithWebIdentity,
  // SAML federation (issue 19, saml)
  AssumeRoleWithSAML,
];
