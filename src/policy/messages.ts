/** AWS's wording, in one place: MalformedPolicyDocument messages and AccessDenied messages. */
import type { Decision } from "./evaluate.js";
import type { AuthzRequest, PolicySourceType } from "./types.js";

export const MALFORMED = {
  syntax: "Syntax errors in policy.",
  /** Trust policies that are not JSON at all (CreateRole, UpdateAssumeRolePolicy): IAM's other wording. */
  invalidJson: "This policy contains invalid Json",
  version: "Policy document must be version 2012-10-17 or greater.",
  legacy: "The policy failed legacy parsing",
  sidUnique: "Statement IDs (SID) in a single policy must be unique.",
  sidAlphanumeric: "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
  noActions: "Policy statement must contain actions.",
  noResources: "Policy statement must contain resources.",
  principalNotAllowed: "Policy document should not specify a principal.",
  missingPrincipal: "Missing required field Principal",
  prohibitedResource: "Has prohibited field Resource",
  prohibitedNotResource: "Has prohibited field NotResource",
  trustActions: "AssumeRole policy may only specify STS AssumeRole actions.",
  actionVendor: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  actionColons: "Actions/Condition can contain only one colon.",
  vendorInvalid: (vendor: string) => `Vendor ${vendor} is not valid`,
  resourceFormat: (r: string) => `Resource ${r} must be in ARN format or "*".`,
  resourceVendor: "Resource vendor must be fully qualified and cannot contain regexes.",
  partition: (partition: string, arn: string) => `Partition "${partition}" is not valid for resource "${arn}".`,
  iamRegion: (r: string) => `IAM resource ${r} cannot contain region information.`,
  s3Region: (r: string) => `Resource ${r} can not contain region information.`,
  iamPath:
    'IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.',
  invalidPrincipal: (type: string, value: string) => `Invalid principal in policy: "${type}":"${value}"`,
  partialWildcardAccount: "Partial wildcard (*) not supported in the account ID portion of the ARN",
} as const;

const POLICY_TYPE_PHRASE: Record<PolicySourceType, string> = {
  identity: "an identity-based policy",
  resource: "a resource-based policy",
  boundary: "a permissions boundary",
  session: "a session policy",
  scp: "a service control policy",
  rcp: "a resource control policy",
};

const IMPLICIT_PHRASE: Partial<Record<Decision["reason"], string>> = {
  noIdentityAllow: "no identity-based policy",
  noResourceAllow: "no resource-based policy",
  noBoundaryAllow: "no permissions boundary",
  noSessionAllow: "no session policy",
  noScpAllow: "no service control policy",
  noRcpAllow: "no resource control policy",
};

export interface AccessDeniedOptions {
  /**
   * Append the ARN of the denying policy to explicit-deny messages (AWS does this for same-account and
   * same-organization requests when the policy has an ARN; inline policies have none). Default true.
   */
  includePolicyArn?: boolean;
  /** Write the resource in double quotes, as S3 does (`on resource: "arn:aws:s3:::bucket/key"`). */
  quoteResource?: boolean;
  /** Leave out `on resource: …`, as actions on no resource (`*`) are worded (cloudtrail:LookupEvents). */
  omitResource?: boolean;
}

/**
 * AWS's AccessDenied message, e.g. "User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
 * iam:CreateUser on resource: arn:aws:iam::123456789012:user/eve because no identity-based policy allows the
 * iam:CreateUser action".
 */
export function accessDeniedMessage(req: AuthzRequest, d: Decision, options: AccessDeniedOptions = {}): string {
  const p = req.principal;
  const who = p.kind === "anonymous" ? "Anonymous" : `User: ${p.kind === "service" ? (p.serviceName ?? p.arn) : p.arn}`;
  const resource = options.quoteResource && req.resource.startsWith("arn:") ? `"${req.resource}"` : req.resource;
  const head = options.omitResource
    ? `${who} is not authorized to perform: ${req.action}`
    : `${who} is not authorized to perform: ${req.action} on resource: ${resource}`;
  if (d.decision === "explicitDeny" && d.deniedBy) {
    const crossAccount = (req.resourceAccount ?? p.account) !== p.account;
    const orgPolicy = d.deniedBy.type === "scp" || d.deniedBy.type === "rcp";
    const withArn = (options.includePolicyArn ?? true) && d.deniedBy.id.startsWith("arn:") && (!crossAccount || orgPolicy);
    return `${head} with an explicit deny in ${POLICY_TYPE_PHRASE[d.deniedBy.type]}${withArn ? `: ${d.deniedBy.id}` : ""}`;
  }
  const phrase = IMPLICIT_PHRASE[d.reason];
  if (d.decision === "implicitDeny" && phrase) return `${head} because ${phrase} allows the ${req.action} action`;
  return head;
}
