/** Fixtures for tests that run inside the Workers runtime (test/workers): sessions and the Worker's own AwsError. */
import type { NewSession } from "../../src/sessions/issue";
import { AwsError } from "../../src/protocol/errors";

/** A root session token's record for `account`, issued at `issuedAt`, valid `ttlMs` (15 minutes by default). */
export function rootSession(account: string, issuedAt: number, ttlMs = 900_000): NewSession {
  return {
    account,
    kind: "sessionToken",
    principal: { kind: "root", account, arn: `arn:aws:iam::${account}:root`, userId: account },
    entityKind: "root",
    issuedAt,
    expiresAt: issuedAt + ttlMs,
    mfaAuthenticated: false,
    chainDepth: 0,
  };
}

/** The AwsError `p` rejects with (any other rejection, or a success, fails the test). */
export async function rejects(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error("expected an AwsError");
}
