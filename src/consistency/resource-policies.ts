/**
 * Resource policies under eventual consistency (S3 bucket policies, SQS queue policies, KMS key
 * policies, ECR repository policies, SNS topic policies): a change written while the
 * owner account lagged carries the generation it created, and until the owner's data plane sees that
 * generation, requests are authorized with the policy as of the visible generation — taken from that
 * generation's snapshot, which the Durable Object captured before the change (src/consistency/snapshot.ts).
 * Whoever calls — the owner's own users, another account, anyone — sees the owner's lag, as every
 * caller of a real bucket hits the same propagating policy.
 *
 * Cost: nothing unless the resource's row carries a pending generation (changes made in mode `off`
 * never do). Then the owner's own callers use the view they already hold; anyone else asks the
 * owner's Durable Object once per request (per isolate TTL once the change is known visible).
 */
import type { Env } from "../env";
import type { Caller } from "../auth/caller";
import type { AccountSnapshot } from "./snapshot";
import { dataPlaneView } from "./client";
import { authCacheTtl, peek, remember, scopes } from "../cache/index";

/** A resource policy changed at `generation` of `account` (the resource owner) while it lagged. */
export interface PendingResourcePolicy {
  /** the resource policy's id (its resource's ARN), as in the target's resourcePolicies and the snapshots */
  id: string;
  account: string;
  generation: number;
  /**
   * The resource always has a policy (KMS keys): a snapshot without one predates the resource
   * itself (created after the snapshot, in no generation), so the stored policy applies.
   */
  alwaysHasPolicy?: boolean;
}

interface ResourcePolicy {
  id: string;
  json: string;
}

/** One request, as authorization holds it (the action's context). */
export interface RequestScope {
  env: Env;
  caller: Caller;
  request: { now: number };
}

/** What one request saw of an account's data plane (DeleteObjects authorizes each key). */
const seenByRequest = new WeakMap<RequestScope, Map<string, { visible: number; snapshot?: AccountSnapshot }>>();

/** Generation `g` of `account` is visible to the data plane, or the visible generation's snapshot. */
async function viewAt(
  r: RequestScope,
  account: string,
  g: number,
): Promise<{ visible: true } | { visible: false; snapshot?: AccountSnapshot }> {
  const { env, caller } = r;
  if (caller.principal.account === account) {
    // The caller's own account: the view authentication already took (none: the mode is off now).
    const c = caller.consistency;
    if (!c || c.visibleGeneration >= g) return { visible: true };
    return c.snapshot ? { visible: false, snapshot: c.snapshot } : { visible: false };
  }
  const reachedKey = `reached:${account}`;
  const reached = peek<number>(reachedKey, scopes.account(account))?.value;
  if (reached !== undefined && reached >= g) return { visible: true };
  let memo = seenByRequest.get(r);
  // Keyed by g too: the Durable Object answers "visible" as g itself when it is.
  let seen = memo?.get(`${account}/${g}`);
  if (!seen) {
    const { view, snapshot } = await dataPlaneView(env, account, g, r.request.now);
    seen = snapshot ? { visible: view.visibleGeneration, snapshot } : { visible: view.visibleGeneration };
    if (!memo) seenByRequest.set(r, (memo = new Map()));
    memo.set(`${account}/${g}`, seen);
  }
  if (seen.visible >= g) {
    // Generations only become visible, never invisible again: safe to remember (dropped with the account's scope).
    remember(reachedKey, scopes.account(account), seen.visible, authCacheTtl(env));
    return { visible: true };
  }
  return seen.snapshot ? { visible: false, snapshot: seen.snapshot } : { visible: false };
}

/**
 * The resource policies a request is authorized with: `stored` (the latest, as the control plane
 * answers it) unless `pending`'s change has not reached the data plane yet — then the pending
 * resource's policy as of the visible generation (none if it had none then). A snapshot that does
 * not know resource policies (taken before they followed the mode) leaves the stored one in force.
 */
export async function resourcePoliciesInForce<P extends ResourcePolicy>(
  r: RequestScope,
  stored: readonly P[],
  pending: PendingResourcePolicy,
  asEntry: (json: string) => P,
): Promise<P[]> {
  const v = await viewAt(r, pending.account, pending.generation);
  if (v.visible || !v.snapshot?.resourcePolicies) return [...stored];
  const others = stored.filter((p) => p.id !== pending.id);
  const then = v.snapshot.resourcePolicies[pending.id];
  if (then === undefined && pending.alwaysHasPolicy) return [...stored];
  return then === undefined || !hasStatements(then) ? others : [...others, asEntry(then)];
}

/**
 * False for a document whose Statement is an empty list: SNS keeps one after RemovePermission took
 * a topic's last statement, and it grants nothing — no policy (the engine would reject it as a document).
 */
function hasStatements(json: string): boolean {
  try {
    const s = (JSON.parse(json) as { Statement?: unknown }).Statement;
    return !(Array.isArray(s) && s.length === 0);
  } catch {
    return true;
  }
}
