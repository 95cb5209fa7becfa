/**
 * Assuming a role as an AWS service (the seeds' "service assumes its role"): what EC2 does with an
 * instance profile's role, or Lambda with its execution role. Labs that emulate a service call it
 * through the admin API. The role's trust policy must allow the service principal
 * (`"Principal": {"Service": "ec2.amazonaws.com"}`), evaluated by the same engine as AssumeRole.
 */
import type { Env } from "../../env";
import type { Db } from "../../store/db";
import { getRoleByName } from "../../store/iam-roles";
import { evaluate, parsePolicy, accessDeniedMessage, type AuthzRequest } from "../../policy/index";
import { isoSeconds } from "../../lib/clock";
import { issueRoleSession, type Credentials } from "../../sessions/issue";
import { errors } from "../../protocol/errors";
import { recordServiceAssumeRole } from "../cloudtrail/recorder";

export interface ServiceAssumeInput {
  service: string;
  roleName: string;
  sessionName: string;
  durationSeconds: number;
  /** condition keys the session carries on every request (workloads: ec2:SourceInstanceARN …) */
  sessionContext?: Record<string, string>;
  /** extra keys of the trust-policy evaluation (aws:SourceArn, aws:SourceAccount …, where the service sets them) */
  trustContext?: Record<string, string>;
}

export interface ServiceAssumeResult {
  Credentials: Credentials;
  AssumedRoleUser: { AssumedRoleId: string; Arn: string };
}

const SERVICE = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;
const SESSION = /^[\w+=,.@-]{2,64}$/;

export async function assumeRoleAsService(
  env: Env,
  db: Db,
  account: string,
  i: ServiceAssumeInput,
  now: number,
): Promise<ServiceAssumeResult> {
  if (!SERVICE.test(i.service)) throw errors.validation(`Invalid service principal: ${i.service}`);
  if (!SESSION.test(i.sessionName)) throw errors.validation("RoleSessionName must match [\\w+=,.@-]{2,64}");
  const role = await getRoleByName(db, account, i.roleName);
  if (!role) throw errors.noSuchEntity(`The role with name ${i.roleName} cannot be found.`);
  if (i.durationSeconds < 900 || i.durationSeconds > role.maxSessionDuration)
    throw errors.validation(`The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
  const trust = parsePolicy(role.assumeRolePolicyDocument, "trust");
  if (!trust.ok) throw errors.malformedPolicy(trust.message);
  const req: AuthzRequest = {
    principal: { kind: "service", account: "", arn: i.service, userId: i.service, serviceName: i.service },
    action: "sts:AssumeRole",
    resource: role.arn,
    resourceAccount: account,
    context: {
      "aws:PrincipalServiceName": i.service,
      "sts:RoleSessionName": i.sessionName,
      "aws:CurrentTime": isoSeconds(now),
      ...i.trustContext,
    },
  };
  const d = evaluate(
    req,
    { identity: [], resource: [{ id: role.arn, type: "resource", policy: trust.policy }], requireResourceAllow: true },
    { explain: false },
  );
  if (d.decision !== "allow") throw errors.accessDenied(accessDeniedMessage(req, d));
  const { credentials, assumedRoleUser } = await issueRoleSession(env, now, account, role, i.sessionName, i.durationSeconds, {
    mfaAuthenticated: false,
    chainDepth: 0,
    ...(i.sessionContext ? { context: i.sessionContext } : {}),
  });
  // CloudTrail (issue 21): the service's AssumeRole, in the role's account.
  await recordServiceAssumeRole(env, {
    service: i.service,
    account,
    roleArn: role.arn,
    sessionName: i.sessionName,
    durationSeconds: i.durationSeconds,
    output: { Credentials: { ...credentials }, AssumedRoleUser: { ...assumedRoleUser } },
    now,
  });
  return { Credentials: credentials, AssumedRoleUser: assumedRoleUser };
}
