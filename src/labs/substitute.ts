/** `${account}` in lab templates (names, ARNs, documents): the learner account's id. Pure. */
export const ACCOUNT_VAR = "${account}";

/** Replaces `${account}` in every string of a JSON value. */
export function substituteAccount<T>(value: T, accountId: string): T {
  if (typeof value === "string") return value.split(ACCOUNT_VAR).join(accountId) as T;
  if (Array.isArray(value)) return value.map((v) => substituteAccount(v, accountId)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteAccount(v, accountId);
    return out as T;
  }
  return value;
}
