/**
 * A trust policy may name an identity provider of its own account only once the provider exists:
 * IAM refuses CreateRole / UpdateAssumeRolePolicy otherwise with MalformedPolicyDocument
 * `Invalid principal in policy: "FEDERATED":"<arn>"` (what users report when a role is created
 * before its OIDC provider). Provider ARNs of other accounts and the built-in web identity
 * providers' names (`accounts.google.com`, `cognito-identity.amazonaws.com` …) are not looked up.
 */
import { errors } from "../protocol/errors";
import { MALFORMED } from "../policy/messages";
import type { Db } from "../store/db";
import { findOidcProviderByUrl, getSamlProvider } from "../store/iam-identity-providers";

/** The Federated principal values of a (valid) policy document. */
export function federatedPrincipals(doc: string): string[] {
  const out: string[] = [];
  const parsed = JSON.parse(doc) as { Statement?: unknown };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  for (const st of statements) {
    const p = (st as { Principal?: unknown } | null)?.Principal;
    const f = p && typeof p === "object" ? (p as { Federated?: unknown }).Federated : undefined;
    for (const v of Array.isArray(f) ? f : [f]) if (typeof v === "string") out.push(v);
  }
  return out;
}

export async function assertTrustedProvidersExist(db: Db, account: string, doc: string): Promise<void> {
  for (const v of federatedPrincipals(doc)) {
    const m = /^arn:aws:iam::(\d{12}):(oidc-provider|saml-provider)\/(.+)$/.exec(v);
    if (!m || m[1] !== account) continue;
    const found = m[2] === "oidc-provider" ? await findOidcProviderByUrl(db, account, m[3]!) : await getSamlProvider(db, account, v);
    if (!found) throw errors.malformedPolicy(MALFORMED.invalidPrincipal("FEDERATED", v));
  }
}
