/** Worker entry: the Hono app and the Durable Object classes. */
import { app } from "./app";

export { SessionsDO } from "./sessions/sessions-do";
export { ConsistencyDO } from "./consistency/consistency-do";
export { SqsQueueDO } from "./services/sqs/queue-do";

export default app;
