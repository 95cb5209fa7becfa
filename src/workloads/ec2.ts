/**
 * The EC2 workload: code "running on" an instance gets the role of the instance's current profile,
 * assumed by ec2.amazonaws.com with the instance id as session name
 * (`arn:aws:sts::A:assumed-role/<role>/i-…`). Read fresh on every fetch: a terminated or stopped
 * instance, a removed association or role, get no credentials.
 *
 * The refusals mirror what an instance sees in its metadata (`iam/info`): no role → not found; a
 * trust policy that does not let EC2 assume the role → `AssumeRoleUnauthorizedAccess` (the code
 * AWS's troubleshooting guide names; the launch itself succeeds — EC2 checks the trust only when it
 * fetches credentials). Exact messages are iamlab's.
 */
import { instanceRoleSource } from "../store/ec2-instances";
import { EC2_SERVICE_PRINCIPAL, instanceArn, settledState } from "../services/ec2/common";
import type { WorkloadKind, WorkloadLookup } from "./types";

const refuse = (status: number, code: string, message: string): WorkloadLookup => ({ ok: false, refusal: { status, code, message } });

export const ec2Workloads: WorkloadKind = {
  async resolve(_env, db, ref): Promise<WorkloadLookup> {
    const src = await instanceRoleSource(db, ref.account, ref.id);
    const state = src ? settledState(src.state) : "terminated";
    if (!src || state === "terminated") return refuse(404, "InvalidInstanceID.NotFound", `The instance ID '${ref.id}' does not exist`);
    if (state !== "running")
      return refuse(409, "IncorrectInstanceState", `The instance '${ref.id}' is ${state}: only a running instance has credentials.`);
    if (!src.associationId || !src.profileName)
      return refuse(404, "NotFound", `No IAM instance profile is associated with instance ${ref.id}.`);
    if (!src.roleId || !src.roleName || src.trustPolicy === null)
      return refuse(404, "NotFound", `The instance profile ${src.profileName} of instance ${ref.id} has no role.`);
    const arn = instanceArn(src.region, src.accountId, ref.id);
    return {
      ok: true,
      workload: {
        account: src.accountId,
        roleName: src.roleName,
        service: EC2_SERVICE_PRINCIPAL,
        sessionName: ref.id,
        sourceArn: arn,
        // The keys AWS adds to instance-role credentials (ec2:RoleDelivery: 2.0 = token-protected delivery, as IMDSv2).
        sessionContext: {
          "ec2:SourceInstanceARN": arn,
          "aws:EC2InstanceSourceVPC": src.vpcId,
          "aws:EC2InstanceSourcePrivateIPv4": src.privateIp,
          "ec2:RoleDelivery": "2.0",
        },
        fingerprint: `${src.associationId}|${src.roleId}|${src.trustPolicy}`,
      },
    };
  },
};
