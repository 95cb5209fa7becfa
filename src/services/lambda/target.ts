/**
 * The function a call names and what the engine authorizes it against: the function ARN in its
 * account, with the function's resource policy (AddPermission's statements) as the resource
 * policy. The engine applies AWS's rules: same account, identity policy OR function policy; across
 * accounts, both (a statement naming another account delegates to that account's identity policies).
 */
import type { ActionContext, AuthzTarget } from "../action";
import { getFunction, type FunctionId, type FunctionRow } from "../../store/lambda-functions";
import { functionArn, resolveFunction } from "./common";

export interface LoadedFunction {
  id: FunctionId;
  arn: string;
  row: FunctionRow | undefined;
}

export async function loadFunction(ctx: ActionContext, functionName: string, qualifier?: string): Promise<LoadedFunction> {
  const id = resolveFunction(ctx, functionName, qualifier);
  return { id, arn: functionArn(id), row: await getFunction(ctx.db, id) };
}

export function functionTarget(l: LoadedFunction, context?: Record<string, string | string[]>): AuthzTarget {
  const t: AuthzTarget = { resource: l.arn, resourceAccount: l.id.accountId };
  if (l.row?.policy) t.resourcePolicies = [{ id: l.arn, json: l.row.policy, kind: "resource" }];
  if (context) t.context = context;
  return t;
}
