/** Federation helpers: the built-in OIDC IdP of an account (admin API) and unsigned STS calls. */
import { STSClient } from "@aws-sdk/client-sts";
import { adminFetch, url } from "./sandbox";

export interface IdpInfo {
  issuer: string;
  providerArn: string;
  discovery: string;
}

/** What an account's built-in IdP is (issuer URL, the ARN IAM gives its provider). */
export async function idpInfo(account: string): Promise<IdpInfo> {
  const res = await adminFetch(`/accounts/${account}/idp/oidc`);
  if (res.status !== 200) throw new Error(`idpInfo: ${res.status} ${await res.text()}`);
  return (await res.json()) as IdpInfo;
}

/** An ID token from `account`'s built-in IdP. */
export async function mintToken(
  account: string,
  body: { sub: string; aud?: string | string[]; claims?: Record<string, unknown>; expiresIn?: number },
): Promise<string> {
  const res = await adminFetch(`/accounts/${account}/idp/oidc/token`, { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`mintToken: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** An STS client without any credentials: AssumeRoleWithWebIdentity / AssumeRoleWithSAML are sent unsigned. */
export function anonymousSts(): STSClient {
  return new STSClient({
    endpoint: url(),
    region: "us-east-1",
    maxAttempts: 1,
    credentials: () => Promise.reject(new Error("this client has no credentials")),
  });
}

/** An unsigned Query call to STS; the raw response. */
export async function unsignedSts(params: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url(), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ Version: "2011-06-15", ...params }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** A web-identity trust policy for `providerArn` (the provider URL is the ARN's resource after `oidc-provider/`). */
export function webIdentityTrust(providerArn: string, conditions?: Record<string, Record<string, string | string[]>>, actions?: string[]) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: actions ?? "sts:AssumeRoleWithWebIdentity",
        ...(conditions ? { Condition: conditions } : {}),
      },
    ],
  });
}
