import type { RegisteredAction } from "../action";
import { roleActions } from "./roles";
import { serviceLinkedRoleActions } from "./service-linked-roles";
import { instanceProfileActions } from "./instance-profiles";
import { userActions } from "./users";
import { groupActions } from "./groups";
import { accessKeyActions } from "./access-keys";
import { mfaActions } from "./mfa";
import { simulatorActions } from "./simulator";
import { policyActions } from "./policies";
import { policyVersionActions } from "./policy-versions";
import { attachmentActions } from "./attachments";
import { inlinePolicyActions } from "./inline-policies";
import { boundaryActions } from "./boundaries";
import { accountActions } from "./account";
import { passwordPolicyActions } from "./password-policy";
import { loginProfileActions } from "./login-profiles";
import { credentialReportActions } from "./credential-report";
import { accessAdvisorActions } from "./access-advisor";
import { sshKeyActions } from "./ssh-keys";
import { signingCertificateActions } from "./signing-certificates";
import { serverCertificateActions } from "./server-certificates";
import { serviceCredentialActions } from "./service-credentials";
// federation (issue 19)
import { oidcProviderActions } from "./oidc-providers";
import { samlProviderActions } from "./saml-providers";

// Each family file exports its actions; add the family's array here.
export const iamActions: RegisteredAction[] = [
  ...roleActions,
  ...serviceLinkedRoleActions,
  ...instanceProfileActions,
  ...userActions,
  ...groupActions,
  ...accessKeyActions,
  ...mfaActions,
  ...simulatorActions,
  ...policyActions,
  ...policyVersionActions,
  ...attachmentActions,
  ...inlinePolicyActions,
  ...boundaryActions,
  ...accountActions,
  ...passwordPolicyActions,
  ...loginProfileActions,
  ...credentialReportActions,
  ...accessAdvisorActions,
  ...sshKeyActions,
  ...signingCertificateActions,
  ...serverCertificateActions,
  ...serviceCredentialActions,
  // federation (issue 19)
  ...oidcProviderActions,
  ...samlProviderActions,
];
