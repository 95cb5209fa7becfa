/**
 * `GET /_iamlab/my/decisions/<id>`, signed with SigV4 by any credentials of the account (root,
 * user, role session; no IAM permission needed, no admin token): the full explanation of one of
 * the account's own decisions, as sts:DecodeAuthorizationMessage shows it (another account's
 * policies withheld) plus the one-line reason. Another account's decision answers as an unknown
 * one does, so ids reveal nothing across accounts.
 */
import type { ActionContext } from "../services/action";
import { decisionForCaller, getDecision } from "../authz/decisions";
import { denialReason } from "./denial-reason";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export async function ownDecision(ctx: ActionContext, id: string): Promise<Response> {
  const rec = await getDecision(id, ctx.db);
  if (!rec || rec.accountId !== ctx.caller.principal.account)
    return json(404, {
      error: "NoSuchDecision",
      message: `No decision ${id} of account ${ctx.caller.principal.account}: unknown, expired (decisions are kept for a day) or another account's.`,
    });
  const view = decisionForCaller(rec);
  return json(200, view.decision === "allow" ? view : { summary: denialReason(view), ...view });
}
