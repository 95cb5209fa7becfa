/** Public input types of the policy engine. */
import type { CompiledPolicy } from "./document.js";

export type PolicyKind = "identity" | "resource" | "trust" | "boundary" | "session" | "scp" | "rcp";

export type PolicySourceType = "identity" | "resource" | "boundary" | "session" | "scp" | "rcp";

export interface PolicySource {
  /** e.g. the policy ARN, or "user/bob:inline/p1". An ARN here is quoted in explicit-deny messages. */
  id: string;
  type: PolicySourceType;
  name?: string;
  policy: CompiledPolicy;
}

export interface Principal {
  kind: "root" | "user" | "assumedRole" | "federatedUser" | "service" | "anonymous";
  /** 12 digits ("" for anonymous / service principals). */
  account: string;
  /** Caller ARN (user, root, assumed-role session, federated user) or the service name. */
  arn: string;
  /** aws:userid: A (root), AIDA..., AROA...:session, A:fedname */
  userId: string;
  /** aws:username for IAM users. */
  username?: string;
  /** IAM ARN (with path) of the role behind an assumed-role session. */
  roleArn?: string;
  /**
   * IAM ARN of the user behind a federated user session (GetFederationToken called by an IAM user). A
   * resource-based policy naming it grants the session, limited by the boundary and the session policies.
   */
  federatingUserArn?: string;
  /** e.g. ec2.amazonaws.com for service principals. */
  serviceName?: string;
  /** Web identity / SAML provider that federated the caller (matched by Principal `Federated`). */
  federated?: string;
  /** S3 canonical user id (matched by Principal `CanonicalUser`). */
  canonicalUser?: string;
  /** Service-linked roles are not restricted by SCPs or RCPs. */
  serviceLinkedRole?: boolean;
}

export type ContextValue = string | string[];

export interface AuthzRequest {
  principal: Principal;
  /** "iam:CreateUser" (matched case-insensitively). */
  action: string;
  /** ARN or "*". */
  resource: string;
  /** Owner of the resource; default = principal.account. */
  resourceAccount?: string;
  /** Condition keys (names case-insensitive); multi-valued keys are arrays. */
  context: Record<string, ContextValue>;
}

export interface PolicySet {
  /** User + its groups, or role; managed + inline. */
  identity: PolicySource[];
  /** Resource-based policies (trust policy for sts:AssumeRole, bucket policy, ...). */
  resource?: PolicySource[];
  /**
   * Grants (KMS): Allow-only documents attached to the resource, each naming its grantee. A grant that
   * names the caller (or the role behind its session) authorizes on its own, in the resource's account
   * or across accounts — no identity-based policy needed; one that names an account delegates to that
   * account's identity-based policies. Explicit denies, SCPs and RCPs still apply.
   */
  grants?: PolicySource[];
  /**
   * When true a resource-based policy must allow even in the same account (role trust policies, KMS key
   * policies). When false/undefined the resource policy is optional in the same account.
   */
  requireResourceAllow?: boolean;
  /** undefined = no permissions boundary. */
  boundary?: PolicySource[];
  /** undefined = not a session with session policies. */
  session?: PolicySource[];
  /** Per level (root OU → account); each level must allow; undefined = no Organizations. */
  scps?: PolicySource[][];
  /** Per level (root OU → account); each level must allow; undefined = no RCPs. */
  rcps?: PolicySource[][];
}
