/**
 * Organizations (JSON 1.1). Until the Organizations issue lands no sandbox account belongs to an
 * organization, so DescribeOrganization answers as AWS does for such an account — after IAM allowed
 * the call.
 */
import { defineAction, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";

export const DescribeOrganization = defineAction({
  service: "organizations",
  name: "DescribeOrganization",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: () => {
    throw new AwsError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", 400);
  },
});

export const organizationsActions: RegisteredAction[] = [DescribeOrganization];
