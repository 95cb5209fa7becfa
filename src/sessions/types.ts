/** What a per-account SessionsDO stores about one set of temporary credentials. */
import type { CallerSession } from "../auth/caller";
import type { Principal } from "../policy/index";

export type SessionKind = CallerSession["kind"];

export interface SessionRecord {
  sessionId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** the account that issued the session (= the DO's name) */
  account: string;
  kind: SessionKind;
  principal: Principal;
  /** whose identity policies apply: the role (AROA…) or the IAM user (AIDA…); absent for root */
  entityId?: string;
  entityKind: "role" | "user" | "root";
  /** sandbox-clock epoch ms */
  issuedAt: number;
  expiresAt: number;
  /** undefined = no session policies; [] = session policies that allow nothing (GetFederationToken without Policy) */
  sessionPolicies?: { id: string; json: string }[];
  policyArns?: string[];
  tags?: Record<string, string>;
  /** lower-cased keys of the session tags that pass on to chained sessions */
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
  mfaAuthenticated: boolean;
  mfaAuthTime?: number;
  /** 0 = issued from long-term credentials; n = n-th role in a chain */
  chainDepth: number;
  /**
   * Condition keys every request of the session carries: set by the service that assumed the role
   * for a workload (EC2: ec2:SourceInstanceARN, aws:EC2InstanceSourceVPC …; src/workloads/), or by
   * a web identity provider (issue 19: aws:FederatedProvider and the provider's keys `<provider>:sub`,
   * `:aud` …, which policies may also use as variables, `${accounts.google.com:sub}`).
   */
  context?: Record<string, string | string[]>;
}
