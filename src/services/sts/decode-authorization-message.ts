/**
 * sts:DecodeAuthorizationMessage. AWS encodes the details of some denials; iamlab's equivalent is
 * the decision id of every denial (x-iamlab-decision-id). Decoding answers AWS's document shape
 * (allowed, explicitDeny, matchedStatements, failures, context) plus iamlab's explanation — of what
 * the caller's account owns only (decisionForCaller): across accounts, the other account's policies
 * (a role's trust policy) show which side refused, never their statements, Sids or condition values.
 * AWS itself returns no encoded message with AssumeRole denials; the admin API shows the whole record.
 */
import { defineAction } from "../action";
import { s } from "../../protocol/shapes";
import { AwsError } from "../../protocol/errors";
import { decisionForCaller, getDecision } from "../../authz/decisions";

export const DecodeAuthorizationMessage = defineAction({
  service: "sts",
  name: "DecodeAuthorizationMessage",
  effect: "none",
  input: { EncodedMessage: s.string({ required: true, min: 1, max: 10240 }) },
  target: () => ({ resource: "*" }),
  async handler(i, ctx) {
    const full = await getDecision(i.EncodedMessage, ctx.db);
    // Only the account that made the request may decode it (another account's id decodes as an invalid message).
    if (!full || full.accountId !== ctx.caller.principal.account)
      throw new AwsError("InvalidAuthorizationMessageException", "The encoded message is invalid or could not be decoded.", 400);
    const rec = decisionForCaller(full);
    const matched = rec.explanation.policies.flatMap((p) =>
      !("statements" in p)
        ? []
        : p.statements
            .filter((st) => st.matched && (rec.decision === "explicitDeny" ? st.effect === "Deny" : st.effect === "Allow"))
            .map((st) => ({
              statementId: st.sid ?? "",
              effect: st.effect.toUpperCase(),
              policyType: p.type,
              policyId: p.id,
              index: st.index,
            })),
    );
    const conditions = Object.entries(rec.request.context).map(([key, v]) => ({
      key,
      values: { items: (Array.isArray(v) ? v : [v]).map((value) => ({ value })) },
    }));
    const doc = {
      allowed: rec.decision === "allow",
      explicitDeny: rec.decision === "explicitDeny",
      matchedStatements: { items: matched },
      failures: { items: [] as unknown[] },
      context: {
        principal: { id: rec.request.principal.userId, arn: rec.request.principal.arn },
        action: rec.request.action,
        resource: rec.request.resource,
        conditions: { items: conditions },
      },
      iamlab: { reason: rec.reason, deniedBy: rec.deniedBy, explanation: rec.explanation },
    };
    return { DecodedMessage: JSON.stringify(doc) };
  },
});
