/**
 * The role an AssumeRole* call names, as its data plane sees it: the snapshot of a lagging account
 * (eventual consistency), else the latest row, cached in the isolate like key rows (dropped by any
 * write to the role's account). A missing role, or one whose path differs from the ARN's, is
 * `role: undefined` — evaluated as a role that trusts nobody, so existence is never revealed.
 */
import type { ActionContext } from "../action";
import { errors } from "../../protocol/errors";
import { parseArn } from "../../lib/arn";
import { getRoleByName } from "../../store/iam-roles";
import { laggingRole } from "../../consistency/client";
import { authCacheTtl, cachedLookup, scopes } from "../../cache/index";
import type { RoleView } from "../../consistency/snapshot";

export interface RoleToAssume {
  role: RoleView | undefined;
  account: string;
  path: string;
}

/** The trust policy of a role that does not exist: its only principal (the reserved account 000000000000) is no caller. */
export const TRUSTS_NOBODY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }],
});

export async function findRoleToAssume(ctx: ActionContext, roleArn: string): Promise<RoleToAssume> {
  const arn = parseArn(roleArn);
  const m = arn && arn.service === "iam" && /^\d{12}$/.test(arn.account) ? /^role(\/(?:.*\/)?)([^/]+)$/.exec(arn.resource) : null;
  if (!arn || !m) throw errors.validation(`${roleArn} is invalid`);
  const path = m[1]!;
  const lag = await laggingRole(ctx.env, ctx.db, ctx.caller, arn.account, m[2]!, ctx.request.now);
  const found = lag
    ? lag.role
    : await cachedLookup(
        `role:${arn.account}/${m[2]!.toLowerCase()}`,
        authCacheTtl(ctx.env),
        (r) => scopes.account(r.accountId),
        () => getRoleByName(ctx.db, arn.account, m[2]!),
        ctx.waitUntil,
      );
  return { role: found && found.path === path ? found : undefined, account: arn.account, path };
}
