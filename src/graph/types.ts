/**
 * The Permissions Graph's input (an account's — or several accounts' — IAM and resource state, as
 * plain data) and its output (vertices and edges, each edge with the statements that formed it).
 * Pure data: the D1 loader lives in src/store/graph-state.ts, the HTTP API in src/admin/graph-routes.ts.
 */

/** A policy document as stored, with the id the authorizer gives it (policy ARN, `user/<id>:inline/<name>` …). */
export interface PolicyDoc {
  id: string;
  name?: string;
  json: string;
}

export interface UserState {
  arn: string;
  name: string;
  id: string;
  /** Its own and its groups' policies, managed and inline (what the authorizer loads for it). */
  policies: PolicyDoc[];
  /** Names of its groups. */
  groups: string[];
  boundary?: PolicyDoc;
  tags?: Record<string, string>;
  /** It has a console password (login profile): UpdateLoginProfile, not CreateLoginProfile, sets one. Unknown: both count. */
  hasPassword?: boolean;
  /** Its access keys (two is the quota: CreateAccessKey then needs DeleteAccessKey too). */
  accessKeys?: number;
}

export interface GroupState {
  arn: string;
  name: string;
  id: string;
  policies: PolicyDoc[];
}

export interface RoleState {
  arn: string;
  name: string;
  id: string;
  /** The trust policy (AssumeRolePolicyDocument). */
  trust: string;
  policies: PolicyDoc[];
  boundary?: PolicyDoc;
  tags?: Record<string, string>;
  /** Path /aws-service-role/: SCPs do not restrict it. */
  serviceLinked?: boolean;
}

/** A customer managed policy (CreatePolicyVersion / SetDefaultPolicyVersion targets). */
export interface ManagedPolicyState {
  arn: string;
  name: string;
  /** How many versions it has (SetDefaultPolicyVersion needs another one to switch to). */
  versions: number;
}

export type ResourceType = "s3:bucket" | "sqs:queue" | "sns:topic" | "kms:key" | "ecr:repository" | "lambda:function";

export interface ResourceState {
  arn: string;
  type: ResourceType;
  /** The resource-based policy (bucket, queue, topic, key, repository, function policy); absent when none. */
  policy?: string;
  /** Lambda functions: the execution role (whoever may change the function's code acts as it). */
  role?: string;
}

export interface AccountState {
  accountId: string;
  alias?: string;
  /** Organizations: aws:PrincipalOrgID / aws:ResourceOrgID and the paths. */
  orgId?: string;
  orgPath?: string;
  /** SCP levels (root → account) restricting this account's principals; absent when none apply. */
  scps?: PolicyDoc[][];
  /** RCP levels (root → account) restricting this account's resources; absent when none apply. */
  rcps?: PolicyDoc[][];
  users: UserState[];
  groups: GroupState[];
  roles: RoleState[];
  policies: ManagedPolicyState[];
  resources: ResourceState[];
}

export interface GraphInput {
  accounts: AccountState[];
  /** Service prefixes RCPs govern (src/authz/org-chain.ts RCP_SERVICES); default: none. */
  rcpServices?: readonly string[];
}

// ---- output ----

/** One statement that took part in forming an edge. */
export interface Via {
  /** The action decided (principal edges, reach); access edges list their actions on the edge itself. */
  action?: string;
  /** identity | resource | boundary | scp | rcp (the trust policy is the role's resource policy) */
  type: string;
  policy: string;
  statement: number;
  sid?: string;
}

export type PrincipalKind = "root" | "user" | "role";

export interface PrincipalVertex {
  id: string;
  kind: PrincipalKind;
  account: string;
  name: string;
  /** Admin-equivalent: can grant itself any permission (PMapper's test); how, when it is. */
  admin?: EscalationStep;
}

export interface ResourceVertex {
  id: string;
  kind: ResourceType;
  account: string;
  name: string;
}

export type Vertex = ({ type: "principal" } & PrincipalVertex) | ({ type: "resource" } & ResourceVertex);

/** "from can perform actions on to". `service:*` stands for every catalogued action of the service on that resource type. */
export interface AccessEdge {
  from: string;
  to: string;
  kind: "access";
  actions: string[];
  via: Via[];
}

/** The techniques of PMapper's catalogue, as edges between principals or as a principal's own admin test. */
export type Technique =
  | "sts:AssumeRole"
  | "iam:CreateAccessKey"
  | "iam:CreateLoginProfile"
  | "iam:UpdateLoginProfile"
  | "iam:UpdateAssumeRolePolicy"
  | "iam:PassRole+ec2:RunInstances"
  | "iam:PassRole+lambda:CreateFunction"
  | "lambda:UpdateFunctionCode"
  | "iam:AttachUserPolicy"
  | "iam:PutUserPolicy"
  | "iam:AttachGroupPolicy"
  | "iam:PutGroupPolicy"
  | "iam:AttachRolePolicy"
  | "iam:PutRolePolicy"
  | "iam:CreatePolicyVersion"
  | "iam:SetDefaultPolicyVersion"
  | "iam:AddUserToGroup"
  | "*:*";

/** One step: `from` becomes (or acts as) `to` through `technique`; a self step (from = to) makes it admin. */
export interface EscalationStep {
  from: string;
  to: string;
  technique: Technique;
  /** The resource the technique acts on (role, user, group, policy), when not `to` itself. */
  target?: string;
  /** Allowed only to an MFA-authenticated session (aws:MultiFactorAuthPresent "true"), as PMapper marks it. */
  mfa?: true;
  via: Via[];
}

export interface PrincipalEdge extends EscalationStep {
  kind: "principal";
}

export type Edge = AccessEdge | PrincipalEdge;

export interface EscalationPath {
  principal: string;
  /** The admin-equivalent principal (or the target) reached. */
  reaches: string;
  steps: EscalationStep[];
}
