/**
 * A lab reset ends every session the learner's account issued before it (issue 21): STS sessions
 * (role, federation, GetSessionToken) and console sign-ins. It reuses what account deletion/reset
 * already relies on (src/admin/account-lifecycle.ts, store/accounts.ts resetAccount):
 * - a new account incarnation: every session token carries the incarnation it was issued under
 *   (sessions/token.ts), so old tokens fail with InvalidClientTokenId in every isolate once it has
 *   re-read the account (the auth cache TTL), even where the session record is still cached;
 * - the generation moves, so cached authorization/liveness reads of this account are dropped;
 * - the account's SessionsDO forgets its records, and its console sessions are deleted.
 * Permanent access keys are not sessions: the template's keys keep working (keys the learner created
 * are deleted by the reset's converge). AWS has no account-wide "revoke sessions" (its console offers
 * per-role revocation by an aws:TokenIssueTime deny), so this is the sandbox's choice.
 */
import { sql } from "drizzle-orm";
import type { Env } from "../env";
import { afterAdminChange } from "../cache/index";
import { newIncarnation } from "../lib/ids";
import { sessionsStub } from "../sessions/issue";
import { bare, type Db, statement } from "../store/db";
import { accounts, consoleSessions } from "../store/schema";

/** Revokes the account's sessions issued so far; one D1 batch, then the Durable Object and this isolate's caches. */
export async function revokeAccountSessions(env: Env, db: Db, accountId: string): Promise<void> {
  const a = accounts;
  await db.$client.batch([
    statement(
      db,
      sql`UPDATE ${a} SET ${bare(a.generation)} = ${a.generation} + 1, ${bare(a.incarnation)} = ${newIncarnation()} WHERE ${a.id} = ${accountId}`,
    ),
    statement(db, sql`DELETE FROM ${consoleSessions} WHERE ${consoleSessions.accountId} = ${accountId}`),
  ]);
  afterAdminChange(accountId);
  await sessionsStub(env, accountId).forget();
}
