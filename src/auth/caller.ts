/** Who is calling: the typed result of authentication, handed to authorization and handlers. */
import type { AccountSnapshot } from "../consistency/snapshot";
import type { Principal } from "../policy/index";
import type { PolicyRow } from "../store/authz";

export interface Caller {
  principal: Principal;
  accessKeyId: string;
  /** account generation read with the key: the version of the authorization data this request sees */
  generation: number;
  /** IAM user id (AIDA…) or role id (AROA…) whose policies apply; undefined for root */
  entityId?: string;
  /** eventual consistency: present only when the account's mode is not `off` */
  consistency?: CallerConsistency;
  /** temporary credentials (session token) */
  session?: CallerSession;
  /**
   * The user's policy rows at `generation`, read in the same round trip as a key that was not
   * cached (accounts in consistency mode `off` only): the authorizer compiles these instead of
   * querying again when its own cache misses too.
   */
  prefetchedPolicies?: PolicyRow[];
  /** session of a role/user already deleted in D1 (lagging accounts): valid while the visible snapshot still has it */
  entityDeleted?: boolean;
  /** hosted (issue 22): the permanent key row came from the isolate's cache (may be stale): writes re-check it in D1 */
  keyFromCache?: boolean;
}

export interface CallerConsistency {
  mode: string;
  /** newest generation in D1 (the control plane's view) */
  latestGeneration: number;
  /** the generation this request's data plane sees */
  visibleGeneration: number;
  pending: number;
  /** the visible generation's snapshot, when it is not the latest */
  snapshot?: AccountSnapshot;
}

export interface CallerSession {
  tokenIssueTime: number;
  expiration: number;
  mfaAuthenticated: boolean;
  mfaAuthTime?: number;
  /**
   * GetSessionToken / GetFederationToken sessions may not call most IAM/STS actions; `console`: an
   * IAM user's or the root user's console sign-in (issue 20), which may call what the principal may.
   */
  kind: "assumedRole" | "sessionToken" | "federation" | "console";
  /** session policies (inline `Policy` and the documents of `PolicyArns`), as JSON, each with an id for explanations */
  sessionPolicies?: { id: string; json: string }[];
  tags?: Record<string, string>;
  sourceIdentity?: string;
  chainDepth?: number;
  /** STS: the session's id in its account's SessionsDO */
  sessionId?: string;
  /** STS: managed session policies as passed (their documents are in sessionPolicies) */
  policyArns?: string[];
  /** STS: lower-cased keys of session tags that pass on through role chaining */
  transitiveTagKeys?: string[];
  /**
   * Condition keys every request of the session carries: set by the service that assumed the role
   * for a workload (src/workloads/), or by a web identity provider (aws:FederatedProvider, `<provider>:sub` …)
   */
  context?: Record<string, string | string[]>;
}
