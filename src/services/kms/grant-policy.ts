/**
 * Grants as the engine sees them (pure): each grant is an Allow statement naming its grantee
 * principal, for its operations, with its constraints as conditions on the encryption context —
 * EncryptionContextSubset: every pair present; EncryptionContextEquals: every pair present and no
 * other key. They reach the engine as a policy of their own kind (AuthzTarget kind `grant` →
 * PolicySet.grants): a grant that names its grantee authorizes it on its own — in the key's account or
 * in another one, with no identity policy and no key-policy statement for it (AWS KMS Developer Guide,
 * "Grants in AWS KMS": the grant allows the grantee principal, which may be in a different account, to
 * call its operations) — a grant naming an account delegates to that account's IAM policies, and an
 * explicit Deny in a key policy, IAM policy or SCP still wins.
 */
import type { Grant } from "../../store/kms-keys";

const ACCOUNT = /^\d{12}$/;

function principal(grantee: string): Record<string, string> {
  return grantee.startsWith("arn:") || ACCOUNT.test(grantee) ? { AWS: grantee } : { Service: grantee };
}

function conditions(g: Grant): Record<string, Record<string, string | string[]>> | undefined {
  const c = g.constraints;
  const equals = c?.EncryptionContextEquals;
  const subset = c?.EncryptionContextSubset;
  const pairs = equals ?? subset;
  if (!pairs) return undefined;
  const out: Record<string, Record<string, string | string[]>> = {};
  const strEq: Record<string, string> = {};
  for (const [k, v] of Object.entries(pairs)) strEq[`kms:EncryptionContext:${k}`] = v;
  if (Object.keys(strEq).length) out.StringEquals = strEq;
  if (equals) out["ForAllValues:StringEquals"] = { "kms:EncryptionContextKeys": Object.keys(equals) };
  return out;
}

/** The grants of a key as one resource-based policy document. */
export function grantsPolicy(grants: readonly Grant[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: grants.map((g) => {
      const cond = conditions(g);
      return {
        Sid: `Grant${g.grantId}`,
        Effect: "Allow",
        Principal: principal(g.granteePrincipal),
        Action: g.operations.map((o) => `kms:${o}`),
        Resource: "*",
        ...(cond ? { Condition: cond } : {}),
      };
    }),
  });
}
