/**
 * Learner explanations (issue 25), for accounts whose lab turned them on (explainDenials): an
 * AccessDenied message ends with " (iamlab decision <id>: <one-line reason>)". AWS's own words come
 * first and stay intact; nothing is added for accounts that did not opt in. Runs on denials only, so
 * the setting's read (cached per account, dropped on every admin change) never touches allowed requests.
 */
import type { Env } from "../env";
import type { ActionContext } from "../services/action";
import type { AwsError } from "../protocol/errors";
import { decisionForCaller, getDecision } from "../authz/decisions";
import { authCacheTtl, cachedLookup, scopes } from "../cache/index";
import { explainsDenials } from "../store/accounts";
import { denialReason } from "./denial-reason";

export async function explainDenial(env: Env, ctx: ActionContext, err: AwsError): Promise<void> {
  const id = ctx.decisionId;
  if (!id || !err.code.startsWith("AccessDenied") || id.includes(",")) return;
  const account = ctx.caller.principal.account;
  const on = await cachedLookup(
    `explainDenials:${account}`,
    authCacheTtl(env),
    () => scopes.account(account),
    () => explainsDenials(ctx.db, account),
  );
  if (!on) return;
  const rec = await getDecision(id, ctx.db);
  if (!rec || rec.accountId !== account) return;
  err.message = `${err.message} (iamlab decision ${id}: ${denialReason(decisionForCaller(rec))})`;
}
