/**
 * Key policies: the default one CreateKey gives, GetKeyPolicy / PutKeyPolicy / ListKeyPolicies, and
 * the checks AWS makes before it stores one: a document the policy grammar accepts
 * (MalformedPolicyDocumentException), the key policy quota of 32 KB, and the lockout safety check —
 * a policy that would not let the caller itself call PutKeyPolicy afterwards is refused unless
 * BypassPolicyLockoutSafetyCheck is true (AWS's words, widely reported: "The new key policy will not
 * allow you to update the key policy in the future.").
 *
 * The lockout check asks the engine the real question: kms:PutKeyPolicy by this caller on this key,
 * with the new policy as the key policy and the caller's identity policies as they are. It is one
 * extra evaluation, recorded in the decision log like any other.
 */
import { defineAction, type ActionContext, type HandlerContext, type RegisteredAction } from "../action";
import { decide } from "../../authz/authorize";
import { parsePolicy } from "../../policy/index";
import { setKeyPolicy, type KeyRow } from "../../store/kms-keys";
import { keyArn, kmsErr, kmsTarget, resolveKey } from "./common";

/** The key policy quota (KMS Developer Guide, quotas: 32 KB). */
export const MAX_KEY_POLICY_BYTES = 32768;
/** The API's length constraint of `Policy` (KMS API reference). */
const MAX_POLICY_CHARS = 131072;

/**
 * The default key policy, exactly as AWS writes it (GetKeyPolicy of a key created without a policy:
 * this id, this Sid, this spacing).
 */
export function defaultKeyPolicy(account: string): string {
  return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::${account}:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`;
}

/**
 * A key policy as KMS accepts it, or its error. The size quota → LimitExceededException (the code
 * the API reference lists for "a quota was exceeded"; the wording is ours, unconfirmed); a document
 * the grammar refuses → MalformedPolicyDocumentException with the engine's explanation (AWS's own
 * KMS wording for each fault is unconfirmed, except for principals).
 */
export function validateKeyPolicy(json: string): string {
  if (json.length > MAX_POLICY_CHARS)
    throw kmsErr.validation(
      `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to ${MAX_POLICY_CHARS}`,
    );
  if (new TextEncoder().encode(json).length > MAX_KEY_POLICY_BYTES)
    throw kmsErr.limitExceeded(`The key policy exceeds the maximum size of ${MAX_KEY_POLICY_BYTES} bytes.`);
  const parsed = parsePolicy(json, "resource");
  if (!parsed.ok) {
    if (/principal/i.test(parsed.message)) throw kmsErr.malformedPolicy("Policy contains a statement with one or more invalid principals.");
    throw kmsErr.malformedPolicy(parsed.message);
  }
  return json;
}

const LOCKOUT = "The new key policy will not allow you to update the key policy in the future.";

/** Refuses a policy under which the caller could not put a key policy again (unless bypassed). */
export async function checkLockout(ctx: ActionContext, key: KeyRow, policy: string, bypass: boolean | undefined): Promise<void> {
  if (bypass) return;
  // The new policy as if in force (no pending change: it is the one asked about).
  const { policyGeneration: _pending, ...current } = key;
  const { decision } = await decide(ctx, "kms:PutKeyPolicy", kmsTarget(ctx, { ...current, policy }));
  if (decision.decision !== "allow") throw kmsErr.malformedPolicy(LOCKOUT);
}

/** `default` is the only policy name KMS has. */
function checkPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== "default") throw kmsErr.notFound("No such policy exists");
}

interface PolicyInput {
  KeyId: string;
  PolicyName?: string;
  Policy?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
}

export const GetKeyPolicy = defineAction({
  service: "kms",
  name: "GetKeyPolicy",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as PolicyInput).KeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: (i, _ctx, k: KeyRow) => {
    checkPolicyName((i as PolicyInput).PolicyName);
    return { Policy: k.policy, PolicyName: "default" };
  },
});

/**
 * PutKeyPolicy is a `permissions` write: in a lagging owner account the new key policy is enforced
 * only once its generation reaches the data plane (kmsTarget → src/consistency/resource-policies.ts),
 * while GetKeyPolicy — the control plane — answers it at once (S3's bucket policies do the same).
 * A caller of another account writes a policy in force at once (its change is not in the owner's log).
 */
async function writeKeyPolicy(ctx: HandlerContext, k: KeyRow, policy: string): Promise<void> {
  const lagging = ctx.caller.consistency !== undefined && ctx.caller.principal.account === k.accountId;
  await setKeyPolicy(ctx.write, k, policy, lagging);
}

export const PutKeyPolicy = defineAction({
  service: "kms",
  name: "PutKeyPolicy",
  effect: "permissions",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as PolicyInput).KeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: async (i, ctx, k: KeyRow) => {
    const input = i as PolicyInput;
    checkPolicyName(input.PolicyName);
    if (k.keyState === "PendingDeletion") throw kmsErr.pendingDeletion(keyArn(k));
    const policy = validateKeyPolicy(input.Policy ?? "");
    await checkLockout(ctx, k, policy, input.BypassPolicyLockoutSafetyCheck);
    await writeKeyPolicy(ctx, k, policy);
    return {};
  },
});

export const ListKeyPolicies = defineAction({
  service: "kms",
  name: "ListKeyPolicies",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as PolicyInput).KeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: () => ({ PolicyNames: ["default"], Truncated: false }),
});

export const keyPolicyActions: RegisteredAction[] = [GetKeyPolicy, PutKeyPolicy, ListKeyPolicies];
