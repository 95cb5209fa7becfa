/**
 * Authorization of one call: gathers the caller's policies and asks the engine.
 * Until the policy engine lands, the root user is allowed and everyone else implicitly denied.
 */
import type { ActionContext, AuthzTarget } from "../services/action";
import { errors } from "../protocol/errors";

export async function authorizeCall(ctx: ActionContext, action: string, target: AuthzTarget): Promise<void> {
  const p = ctx.caller.principal;
  const resourceAccount = target.resourceAccount ?? p.account;
  if (p.kind === "root" && resourceAccount === p.account) return;
  throw errors.accessDenied(
    `User: ${p.arn} is not authorized to perform: ${action} on resource: ${target.resource} because no identity-based policy allows the ${action} action`,
  );
}
