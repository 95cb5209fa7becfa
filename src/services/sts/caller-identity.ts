/** sts:GetCallerIdentity — needs no permission and cannot be denied. */
import { defineAction } from "../action";

export const GetCallerIdentity = defineAction({
  service: "sts",
  name: "GetCallerIdentity",
  effect: "none",
  input: {},
  handler: (_input, { caller }) => ({
    UserId: caller.principal.userId,
    Account: caller.principal.account,
    Arn: caller.principal.arn,
  }),
});
