/** The fixture most integration files start from: a fresh account and clients signed by its root key. */
import type { IAMClient } from "@aws-sdk/client-iam";
import type { STSClient } from "@aws-sdk/client-sts";
import { accountCreds, createAccount, iam, sts, type Creds, type NewAccount } from "./sandbox";

export interface AccountFixture {
  account: NewAccount;
  /** the account's 12-digit id */
  id: string;
  /** its root access key */
  creds: Creds;
  iam: IAMClient;
  sts: STSClient;
}

/**
 * Creates an account through the admin API (`body`: a chosen id or alias) and returns its root key with
 * IAM and STS clients. `server`: another sandbox than the shared one (a file that starts its own).
 */
export async function withAccount(
  body: { accountId?: string; alias?: string } = {},
  server?: { url: string; vars: Record<string, string> },
): Promise<AccountFixture> {
  const account = await createAccount(body, server);
  const creds = accountCreds(account);
  return { account, id: account.accountId, creds, iam: iam(creds, undefined, server?.url), sts: sts(creds, undefined, server?.url) };
}

/** The credentials of an access key an IAM answer returned (CreateAccessKey's AccessKey). */
export function keyCreds(k: { AccessKeyId?: string; SecretAccessKey?: string }): Creds {
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}
