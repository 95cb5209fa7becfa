/** EC2 (EC2 Query). Until the EC2 issue lands no account has an instance: DescribeInstances answers no reservations. */
import { defineAction, type RegisteredAction } from "../action";

export const DescribeInstances = defineAction({
  service: "ec2",
  name: "DescribeInstances",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: () => ({ Reservations: [] }),
});

export const ec2Actions: RegisteredAction[] = [DescribeInstances];
