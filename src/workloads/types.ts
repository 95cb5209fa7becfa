/**
 * A workload: code that runs as a role because a service was handed the role (an EC2 instance
 * through its instance profile, a Lambda function through its execution role). Generic: the
 * credentials endpoint (./credentials.ts) knows workloads only through this shape; each kind
 * (./ec2.ts, a Lambda kind …) says how a reference resolves to one, read fresh on every fetch.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";

/** What a workload token names: the kind, the account and the workload's id in it (`i-…`, a function ARN …). */
export interface WorkloadRef {
  kind: string;
  account: string;
  id: string;
}

export interface Workload {
  account: string;
  /** the role the service assumes, in `account` */
  roleName: string;
  /** the service principal that assumes it (`ec2.amazonaws.com`, `lambda.amazonaws.com`) */
  service: string;
  /** the session name (EC2: the instance id) */
  sessionName: string;
  /** the workload's ARN (EC2: the instance ARN) */
  sourceArn: string;
  /** condition keys every request of the session carries (ec2:SourceInstanceARN …) */
  sessionContext: Record<string, string>;
  /** extra keys of the trust-policy evaluation, where the service sets them */
  trustContext?: Record<string, string>;
  /**
   * What the credentials depend on (role id, trust policy, association …): cached credentials are
   * reused only while it is unchanged, so a removed role or a changed trust policy is honoured on the
   * next fetch.
   */
  fingerprint: string;
}

/** Why a workload has no credentials now: the endpoint answers `status` with `{Code, Message}`. */
export interface WorkloadRefusal {
  status: number;
  code: string;
  message: string;
}

export type WorkloadLookup = { ok: true; workload: Workload } | { ok: false; refusal: WorkloadRefusal };

export interface WorkloadKind {
  resolve(env: Env, db: Db, ref: WorkloadRef, now: number): Promise<WorkloadLookup>;
}
