/** SQS: queues (./queues.ts) and their messages (./messages.ts, kept in ./queue-do.ts). */
import type { RegisteredAction } from "../action";
import { messageActions } from "./messages";
import { queueActions } from "./queues";

export const sqsActions: RegisteredAction[] = [...queueActions, ...messageActions];
