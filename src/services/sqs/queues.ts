/** SQS (JSON 1.0). Until the SQS issue lands no account has a queue: ListQueues answers the empty list. */
import { defineAction, type RegisteredAction } from "../action";

export const ListQueues = defineAction({
  service: "sqs",
  name: "ListQueues",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  // No queues: AWS leaves QueueUrls out.
  handler: () => ({}),
});

export const sqsActions: RegisteredAction[] = [ListQueues];
