/** SNS (Query protocol, served from its model): topics (./topics.ts), subscriptions (./subscriptions.ts), Publish (./publish.ts). */
import type { RegisteredAction } from "../action";
import { publishActions } from "./publish";
import { subscriptionActions } from "./subscriptions";
import { topicActions } from "./topics";

export const snsActions: RegisteredAction[] = [...topicActions, ...subscriptionActions, ...publishActions];
