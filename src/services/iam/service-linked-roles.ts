/**
 * Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
 * GetServiceLinkedRoleDeletionStatus. A service-linked role lives under
 * `/aws-service-role/<service principal>/`, trusts that principal, carries the service's
 * AWS-managed policy and is protected from edits (UnmodifiableEntity).
 */
import { defineAction, type ActionContext } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import {
  SERVICE_ROLE_PATH_PREFIX,
  deleteServiceLinkedRoleRow,
  getDeletionTask,
  insertRole,
  isServiceLinkedRole,
  type RoleRow,
} from "../../store/iam-roles";
import { createdOrThrow, notFound } from "./common";
import { existingRole, findRole, roleArnOf, roleDescription, roleTarget } from "./roles";
import { roleCreatedView } from "./views";
import { SERVICE_LINKED_ROLE_PRINCIPALS } from "../../data/generated/service-linked-roles";

interface LinkedService {
  /** role name before any `_<CustomSuffix>` */
  roleName: string;
  /** AWS-managed policy name under arn:aws:iam::aws:policy/aws-service-role/ (attached when the seed has it) */
  policy?: string;
  /** services that accept CustomSuffix (most do not) */
  suffix?: boolean;
}

/**
 * Services whose role name, policy and CustomSuffix rule are known exactly (AWS's service-linked role
 * documentation). They refine the generated list, which has every principal AWS's managed policies name;
 * custom-resource.application-autoscaling is here only: no managed policy names it.
 */
const DOCUMENTED: Readonly<Record<string, LinkedService>> = {
  "access-analyzer.amazonaws.com": { roleName: "AWSServiceRoleForAccessAnalyzer", policy: "AccessAnalyzerServiceRolePolicy" },
  "autoscaling.amazonaws.com": { roleName: "AWSServiceRoleForAutoScaling", policy: "AutoScalingServiceRolePolicy", suffix: true },
  "backup.amazonaws.com": { roleName: "AWSServiceRoleForBackup", policy: "AWSBackupServiceLinkedRolePolicyForBackup" },
  "cloudtrail.amazonaws.com": { roleName: "AWSServiceRoleForCloudTrail", policy: "CloudTrailServiceRolePolicy" },
  "config.amazonaws.com": { roleName: "AWSServiceRoleForConfig", policy: "AWSConfigServiceRolePolicy" },
  "connect.amazonaws.com": { roleName: "AWSServiceRoleForAmazonConnect", policy: "AmazonConnectServiceLinkedRolePolicy", suffix: true },
  "custom-resource.application-autoscaling.amazonaws.com": {
    roleName: "AWSServiceRoleForApplicationAutoScaling_CustomResource",
    policy: "AWSApplicationAutoscalingCustomResourcePolicy",
  },
  "dynamodb.application-autoscaling.amazonaws.com": {
    roleName: "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    policy: "AWSApplicationAutoscalingDynamoDBTablePolicy",
  },
  "ecs.amazonaws.com": { roleName: "AWSServiceRoleForECS", policy: "AmazonECSServiceRolePolicy" },
  "ecs.application-autoscaling.amazonaws.com": {
    roleName: "AWSServiceRoleForApplicationAutoScaling_ECSService",
    policy: "AWSApplicationAutoscalingECSServicePolicy",
  },
  "eks.amazonaws.com": { roleName: "AWSServiceRoleForAmazonEKS", policy: "AmazonEKSServiceRolePolicy" },
  "eks-nodegroup.amazonaws.com": { roleName: "AWSServiceRoleForAmazonEKSNodegroup", policy: "AWSServiceRoleForAmazonEKSNodegroup" },
  "elasticache.amazonaws.com": { roleName: "AWSServiceRoleForElastiCache", policy: "ElastiCacheServiceRolePolicy" },
  "elasticbeanstalk.amazonaws.com": { roleName: "AWSServiceRoleForElasticBeanstalk", policy: "AWSElasticBeanstalkServiceRolePolicy" },
  "elasticfilesystem.amazonaws.com": {
    roleName: "AWSServiceRoleForAmazonElasticFileSystem",
    policy: "AmazonElasticFileSystemServiceRolePolicy",
  },
  "elasticloadbalancing.amazonaws.com": {
    roleName: "AWSServiceRoleForElasticLoadBalancing",
    policy: "AWSElasticLoadBalancingServiceRolePolicy",
  },
  "es.amazonaws.com": { roleName: "AWSServiceRoleForAmazonElasticsearchService", policy: "AmazonElasticsearchServiceRolePolicy" },
  "guardduty.amazonaws.com": { roleName: "AWSServiceRoleForAmazonGuardDuty", policy: "AmazonGuardDutyServiceRolePolicy" },
  "inspector2.amazonaws.com": { roleName: "AWSServiceRoleForAmazonInspector2", policy: "AmazonInspector2ServiceRolePolicy" },
  "kafka.amazonaws.com": { roleName: "AWSServiceRoleForKafka", policy: "KafkaServiceRolePolicy" },
  "lexv2.amazonaws.com": { roleName: "AWSServiceRoleForLexV2Bots", policy: "AmazonLexV2BotPolicy", suffix: true },
  "opensearchservice.amazonaws.com": { roleName: "AWSServiceRoleForAmazonOpenSearchService", policy: "AmazonOpenSearchServiceRolePolicy" },
  "ops.apigateway.amazonaws.com": { roleName: "AWSServiceRoleForAPIGateway", policy: "APIGatewayServiceRolePolicy" },
  "organizations.amazonaws.com": { roleName: "AWSServiceRoleForOrganizations", policy: "AWSOrganizationsServiceTrustPolicy" },
  "rds.amazonaws.com": { roleName: "AWSServiceRoleForRDS", policy: "AmazonRDSServiceRolePolicy" },
  "redshift.amazonaws.com": { roleName: "AWSServiceRoleForRedshift", policy: "AmazonRedshiftServiceLinkedRolePolicy" },
  "securityhub.amazonaws.com": { roleName: "AWSServiceRoleForSecurityHub", policy: "AWSSecurityHubServiceRolePolicy" },
  "spot.amazonaws.com": { roleName: "AWSServiceRoleForEC2Spot", policy: "AWSEC2SpotServiceRolePolicy" },
  "spotfleet.amazonaws.com": { roleName: "AWSServiceRoleForEC2SpotFleet", policy: "AWSEC2SpotFleetServiceRolePolicy" },
  "ssm.amazonaws.com": { roleName: "AWSServiceRoleForAmazonSSM", policy: "AmazonSSMServiceRolePolicy" },
  "sso.amazonaws.com": { roleName: "AWSServiceRoleForSSO", policy: "AWSSSOServiceRolePolicy" },
  "support.amazonaws.com": { roleName: "AWSServiceRoleForSupport", policy: "AWSSupportServiceRolePolicy" },
  "transitgateway.amazonaws.com": { roleName: "AWSServiceRoleForVPCTransitGateway", policy: "AWSVPCTransitGatewayServiceRolePolicy" },
  "trustedadvisor.amazonaws.com": { roleName: "AWSServiceRoleForTrustedAdvisor", policy: "AWSTrustedAdvisorServiceRolePolicy" },
};

const pascal = (label: string) =>
  label
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");

/**
 * A role name for a principal no policy names: AWS's pattern, AWSServiceRoleFor<Service>[_<Qualifier>]
 * (e.g. rds.application-autoscaling → AWSServiceRoleForApplicationAutoscaling_Rds). An approximation:
 * AWS's own names vary in case and wording.
 */
function approximateRoleName(principal: string): string {
  const labels = principal.replace(/\.amazonaws\.com$/, "").split(".");
  const service = pascal(labels.pop() ?? "");
  return labels.length ? `AWSServiceRoleFor${service}_${labels.map(pascal).join("")}` : `AWSServiceRoleFor${service}`;
}

/** Every service principal that has a service-linked role: AWS's managed policies (generated), refined by DOCUMENTED. */
export const LINKED_SERVICES: ReadonlyMap<string, LinkedService> = new Map([
  ...SERVICE_LINKED_ROLE_PRINCIPALS.map(([principal, roleName, suffix]): [string, LinkedService] => [
    principal,
    { roleName: roleName || approximateRoleName(principal), ...(suffix ? { suffix } : {}) },
  ]),
  ...Object.entries(DOCUMENTED),
]);

/** The trust policy AWS writes for a service-linked role. */
export function linkedTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

interface Plan {
  service: string;
  roleName: string;
  path: string;
  policyArns: string[];
}

function plan(service: string, suffix: string | undefined): Plan {
  const known = LINKED_SERVICES.get(service);
  if (!known) throw errors.invalidInput(`Service name ${service} is not eligible for service-linked role creation.`);
  if (suffix !== undefined && !known.suffix) throw errors.invalidInput(`Custom suffix is not allowed for ${service}`);
  return {
    service,
    roleName: suffix !== undefined ? `${known.roleName}_${suffix}` : known.roleName,
    path: `${SERVICE_ROLE_PATH_PREFIX}${service}/`,
    policyArns: known.policy ? [`arn:aws:iam::aws:policy/aws-service-role/${known.policy}`] : [],
  };
}

const SERVICE_NAME = s.string({ required: true, min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, patternText: "[\\w+=,.@-]+" });

export const CreateServiceLinkedRole = defineAction({
  service: "iam",
  name: "CreateServiceLinkedRole",
  effect: "permissions",
  input: {
    AWSServiceName: SERVICE_NAME,
    Description: roleDescription(),
    CustomSuffix: s.string({ min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, patternText: "[\\w+=,.@-]+" }),
  },
  target: (i, ctx) => {
    const account = ctx.caller.principal.account;
    const known = LINKED_SERVICES.get(i.AWSServiceName);
    const name = known ? (i.CustomSuffix ? `${known.roleName}_${i.CustomSuffix}` : known.roleName) : undefined;
    return {
      resource: name ? roleArnOf(account, name, `${SERVICE_ROLE_PATH_PREFIX}${i.AWSServiceName}/`) : "*",
      context: { "iam:AWSServiceName": i.AWSServiceName },
    };
  },
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const p = plan(i.AWSServiceName, i.CustomSuffix);
    const role: RoleRow = {
      roleId: newUniqueId("AROA"),
      accountId: account,
      roleName: p.roleName,
      path: p.path,
      arn: roleArnOf(account, p.roleName, p.path),
      createDate: isoSeconds(ctx.request.now),
      assumeRolePolicyDocument: linkedTrustPolicy(p.service),
      description: i.Description ?? null,
      maxSessionDuration: 3600,
      permissionsBoundary: null,
      lastUsedDate: null,
      lastUsedRegion: null,
    };
    const taken = () =>
      errors.invalidInput(`Service role name ${p.roleName} has been taken in this account, please try a different suffix.`);
    createdOrThrow(await insertRole(ctx.write, role, [], p.policyArns), taken, "RolesPerAccount");
    // Unlike CreateRole, the answer carries the role's Description (issue 13: AWS shows it, with or
    // without a CustomSuffix; not confirmed from AWS's documentation, whose example has none).
    return { Role: { ...roleCreatedView(role, []), Description: role.description ?? undefined } };
  },
});

export const DeleteServiceLinkedRole = defineAction({
  service: "iam",
  name: "DeleteServiceLinkedRole",
  effect: "permissions",
  input: { RoleName: s.string({ required: true, min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, patternText: "[\\w+=,.@-]+" }) },
  load: (i, ctx) => findRole(ctx, i.RoleName),
  target: (i, ctx, found) => roleTarget(ctx, i.RoleName, found),
  handler: async (i, ctx, found) => {
    const role = existingRole(found, i.RoleName);
    if (!isServiceLinkedRole(role)) throw notFound.role(i.RoleName);
    const taskId = `task${role.path}${role.roleName}/${crypto.randomUUID()}`;
    if (!(await deleteServiceLinkedRoleRow(ctx.write, role, taskId, isoSeconds(ctx.request.now)))) {
      // Gone meanwhile (a concurrent delete won), or held by an instance profile.
      if (!(await findRoleFresh(ctx, role))) throw notFound.role(i.RoleName);
      throw errors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
    }
    return { DeletionTaskId: taskId };
  },
});

async function findRoleFresh(ctx: ActionContext, role: RoleRow): Promise<boolean> {
  const row = await ctx.db.$client
    .prepare("SELECT 1 AS x FROM roles WHERE account_id = ? AND role_id = ?")
    .bind(role.accountId, role.roleId)
    .first();
  return !!row;
}

export const GetServiceLinkedRoleDeletionStatus = defineAction({
  service: "iam",
  name: "GetServiceLinkedRoleDeletionStatus",
  effect: "read",
  input: { DeletionTaskId: s.string({ required: true, min: 1, max: 1000 }) },
  target: async (i, ctx) => {
    const task = await getDeletionTask(ctx.db, ctx.caller.principal.account, i.DeletionTaskId);
    return { resource: task?.roleArn ?? "*" };
  },
  handler: async (i, ctx) => {
    const task = await getDeletionTask(ctx.db, ctx.caller.principal.account, i.DeletionTaskId);
    if (!task) throw errors.noSuchEntity(`Deletion task ${i.DeletionTaskId} cannot be found.`);
    return { Status: task.status, Reason: task.reason ? { Reason: task.reason } : undefined };
  },
});

export const serviceLinkedRoleActions = [CreateServiceLinkedRole, DeleteServiceLinkedRole, GetServiceLinkedRoleDeletionStatus];
