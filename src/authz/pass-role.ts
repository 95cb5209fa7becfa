/**
 * iam:PassRole — not an API but the check every service makes when a caller hands it a role
 * (seed 001: "a permission / contract that all AWS services will obey"). EC2 (instance profiles)
 * and Lambda (execution roles) call this; each maps a denial to its own error shape.
 */
import type { ActionContext } from "../services/action";
import { decide, type AuthorizationResult } from "./authorize";
import { recordUsage } from "../services/usage";

export interface PassRoleRequest {
  /** the role handed over, `arn:aws:iam::<account>:role/<path><name>` */
  roleArn: string;
  /** `iam:PassedToService`, e.g. `ec2.amazonaws.com`, `lambda.amazonaws.com` */
  passedToService: string;
  /** `iam:AssociatedResourceArn`: the resource the role will be attached to (instance, function) */
  associatedResourceArn?: string;
}

/**
 * Evaluates the caller's `iam:PassRole` on the role (identity policies, boundary, session policies,
 * SCPs — a role has no resource policy for PassRole). Never throws for a denial: the caller decides
 * how its service words it (EC2 UnauthorizedOperation, Lambda AccessDeniedException …). The decision
 * is recorded like any other (explanations) and counts as IAM activity in Access Advisor.
 */
export async function decidePassRole(ctx: ActionContext, req: PassRoleRequest): Promise<AuthorizationResult> {
  const context: Record<string, string> = { "iam:PassedToService": req.passedToService };
  if (req.associatedResourceArn) context["iam:AssociatedResourceArn"] = req.associatedResourceArn;
  const result = await decide(ctx, "iam:PassRole", { resource: req.roleArn, resourceAccount: ctx.caller.principal.account, context });
  const usage = recordUsage(ctx, "iam", "PassRole");
  if (usage) ctx.waitUntil(usage);
  return result;
}
