/**
 * What outlives an account's D1 rows unless it is cleared: its Durable Objects (STS sessions, the
 * eventual-consistency state), its S3 object and multipart part bodies in R2 (all under the
 * account's prefix; the upload and part rows carry account_id and go with the account's D1 rows),
 * this isolate's caches and decision ring. An account id may be
 * created again after deletion (a learner's lab reset): the new account must start from nothing.
 * Session tokens are also bound to the account's incarnation (sessions/token.ts), so a token of
 * the old account fails even in an isolate that has not heard of the deletion.
 */
import type { Env } from "../env";
import { sessionsStub } from "../sessions/issue";
import { stub as consistencyStub } from "../consistency/client";
import { forgetDecisions } from "../authz/decisions";
import { afterAdminChange } from "../cache/index";
import { deleteAccountBodies } from "../store/s3-objects";

/** Clears everything an account id holds outside D1 (after deleting the account, and before a new account with the id is configured). */
export async function forgetAccountState(env: Env, accountId: string): Promise<void> {
  afterAdminChange(accountId);
  forgetDecisions(accountId);
  await Promise.all([
    sessionsStub(env, accountId).forget(),
    consistencyStub(env, accountId).forget(),
    deleteAccountBodies(env.OBJECTS, accountId),
  ]);
}
