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
import { getDb } from "../store/db";
import { ensureDefaultAccount, resetAccount, restoreRootKey } from "../store/accounts";
import { setConsistency } from "../consistency/client";
import { accountQueueIds } from "../store/sqs-queues";
import type { Db } from "../store/db";
import { forgetAccountRateLimits } from "../limits/enforce"; // hosted (issue 22)

/**
 * SQS: the messages of the account's queues live in one Durable Object per queue, named by an id
 * that only the D1 row knows — read the ids before the rows go, clear the objects after. (A queue
 * created again gets a new id, so leftovers are never visible; this frees their storage.)
 */
export async function queueStateOf(env: Env, db: Db, accountId: string): Promise<() => Promise<void>> {
  const ids = await accountQueueIds(db, accountId);
  return async () => {
    await Promise.all(ids.map((id) => env.SQS_QUEUES.get(env.SQS_QUEUES.idFromName(id)).forget()));
  };
}

/** Clears everything an account id holds outside D1 (after deleting the account, and before a new account with the id is configured). */
export async function forgetAccountState(env: Env, accountId: string): Promise<void> {
  afterAdminChange(accountId);
  forgetDecisions(accountId);
  forgetAccountRateLimits(accountId); // hosted (issue 22)
  await Promise.all([
    sessionsStub(env, accountId).forget(),
    consistencyStub(env, accountId).forget(),
    deleteAccountBodies(env.OBJECTS, accountId),
  ]);
}

/**
 * `POST /_iamlab/accounts/:id/reset`: the account emptied (store/accounts.ts resetAccount) and
 * everything it held outside D1 forgotten, keeping its id, alias, root keys and lab settings (its
 * consistency mode is configured again). The default account is re-created when it was deleted, and
 * gets its configured root key back, so the banner's keys work again without a restart.
 * false when the account does not exist (and is not the default one).
 */
export async function resetAccountState(env: Env, accountId: string, now: number): Promise<boolean> {
  const db = getDb(env.DB);
  const keyId = env.IAMLAB_ROOT_ACCESS_KEY_ID;
  const secret = env.IAMLAB_ROOT_SECRET_ACCESS_KEY;
  const isDefault = !!keyId && !!secret && accountId === (env.IAMLAB_DEFAULT_ACCOUNT_ID ?? "123456789012");
  const forgetQueues = await queueStateOf(env, db, accountId);
  let existed = await resetAccount(db, accountId);
  if (!existed && isDefault) existed = await ensureDefaultAccount(db, accountId, keyId, secret, now);
  if (!existed) return false;
  if (isDefault) await restoreRootKey(db, accountId, keyId, secret, now);
  // The lab's consistency setting outlives the reset; its pending changes do not.
  const { config } = await consistencyStub(env, accountId).getConfig();
  await forgetAccountState(env, accountId);
  await forgetQueues();
  if (config.mode !== "off") await setConsistency(env, db, accountId, config);
  return true;
}
