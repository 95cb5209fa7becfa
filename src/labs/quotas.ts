/**
 * IAM's size quotas checked on a lab template before anything is applied (issue 21), with the
 * messages the IAM API answers for the same document (src/services/iam/policies.ts, roles.ts,
 * inline-policies.ts). Counts per kind are bounded lower by the template itself
 * (MAX_ENTITIES_PER_KIND = 200 < every per-account quota), keys (2), attached policies (10),
 * groups per user (10) and policy versions (5) are checked by template.ts's field rules, so what
 * is left is sizes: a managed policy's versions (6,144), a trust policy (2,048) and the aggregate
 * inline policies of a user (2,048), group (5,120) or role (10,240), in characters without
 * whitespace, measured with `${account}` replaced by a 12-digit id as it will be applied.
 */
import { policySizeWithoutWhitespace } from "../policy/index";
import { ACCOUNT_QUOTAS, type AccountQuota, quotaMessage, SUMMARY_QUOTAS } from "../store/iam-quotas";
import type { Changes } from "./apply";
import { INLINE_SIZE_LIMIT } from "../store/iam-attachments";
import type { PolicyEntityType } from "../store/iam-policies";
import { isObject } from "./validation";

export interface QuotaError {
  path: (string | number)[];
  message: string;
}

const size = (doc: unknown, account: string) => policySizeWithoutWhitespace(JSON.stringify(doc).split("${account}").join(account));
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Size-quota errors of a template whose shape template.ts checks separately (malformed parts are skipped here). */
export function templateQuotaErrors(input: Record<string, unknown>, sampleAccount: string): QuotaError[] {
  const out: QuotaError[] = [];
  const managed = SUMMARY_QUOTAS.PolicySizeQuota;
  for (const [i, p] of items(input.policies).entries()) {
    if (!isObject(p)) continue;
    if (isObject(p.document) && size(p.document, sampleAccount) > managed)
      out.push({ path: ["policies", i, "document"], message: `Cannot exceed quota for PolicySize: ${managed}` });
    for (const [j, d] of items(p.previousVersions).entries())
      if (isObject(d) && size(d, sampleAccount) > managed)
        out.push({ path: ["policies", i, "previousVersions", j], message: `Cannot exceed quota for PolicySize: ${managed}` });
  }
  const trustMax = SUMMARY_QUOTAS.AssumeRolePolicySizeQuota;
  for (const [i, r] of items(input.roles).entries())
    if (isObject(r) && isObject(r.trustPolicy) && size(r.trustPolicy, sampleAccount) > trustMax)
      out.push({ path: ["roles", i, "trustPolicy"], message: `Cannot exceed quota for ACLSizePerRole: ${trustMax}` });
  const kinds: [string, PolicyEntityType][] = [
    ["users", "user"],
    ["groups", "group"],
    ["roles", "role"],
  ];
  for (const [key, type] of kinds) {
    const limit = INLINE_SIZE_LIMIT[type];
    for (const [i, e] of items(input[key]).entries()) {
      if (!isObject(e) || !isObject(e.inlinePolicies)) continue;
      // The aggregate limit: the policy that crosses it is the one named, as a Put of it would fail.
      let total = 0;
      for (const [name, d] of Object.entries(e.inlinePolicies)) {
        if (!isObject(d)) continue;
        total += size(d, sampleAccount);
        if (total > limit) {
          out.push({
            path: [key, i, "inlinePolicies", name],
            message: `Maximum policy size of ${limit} bytes exceeded for ${type} ${typeof e.name === "string" ? e.name : ""}`,
          });
          break;
        }
      }
    }
  }
  return out;
}

/** Entity kinds of a template: its key, the prefix of `Changes` entries, and the per-account quota. */
const COUNTED: { key: "users" | "groups" | "roles" | "policies" | "instanceProfiles"; change: string; quota: AccountQuota }[] = [
  { key: "policies", change: "policy", quota: "PoliciesPerAccount" },
  { key: "groups", change: "group", quota: "GroupsPerAccount" },
  { key: "users", change: "user", quota: "UsersPerAccount" },
  { key: "roles", change: "role", quota: "RolesPerAccount" },
  { key: "instanceProfiles", change: "instanceProfile", quota: "InstanceProfilesPerAccount" },
];

/**
 * Apply to an account that already holds entities (the learner's own, or another template's kept by
 * converge): what the account would hold after the plan — today's count, plus what it creates, less
 * what it deletes — must stay within IAM's per-account quotas, else the whole apply is refused
 * (the stores' quota-guarded INSERTs would otherwise skip the rows over the quota silently).
 * Checked before the batch, not reserved: a learner creating entities at the same moment may still
 * make one of the template's INSERTs find the account full (the batch then writes that row not).
 */
export function accountQuotaErrors(current: Record<(typeof COUNTED)[number]["key"], unknown[]>, changes: Changes): QuotaError[] {
  const out: QuotaError[] = [];
  for (const c of COUNTED) {
    const count = (list: string[]) => list.filter((x) => x.startsWith(`${c.change}/`)).length;
    const after = current[c.key].length + count(changes.created) - count(changes.deleted);
    const max = ACCOUNT_QUOTAS[c.quota].max;
    if (after > max)
      out.push({
        path: [c.key],
        message: `${quotaMessage(c.quota)} (the account holds ${current[c.key].length}; this template would make it ${after}).`,
      });
  }
  return out;
}
