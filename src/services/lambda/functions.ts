/** Lambda (REST-JSON). Until the Lambda issue lands no account has a function: ListFunctions answers the empty list. */
import { defineAction, type RegisteredAction } from "../action";

export const ListFunctions = defineAction({
  service: "lambda",
  name: "ListFunctions",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: () => ({ Functions: [] }),
});

export const lambdaActions: RegisteredAction[] = [ListFunctions];
