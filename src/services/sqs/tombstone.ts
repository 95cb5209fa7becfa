/**
 * What every call to a deleted queue's Durable Object throws (./queue-do.ts keeps a tombstone), and
 * the Worker recognizes (./common.ts onQueue: QueueDoesNotExist). Its own module: the Worker side
 * must not import the Durable Object class (`cloudflare:workers`) to know it.
 */
export const QUEUE_DELETED = "iamlab: queue deleted";
/** hosted (issue 22): a send into a queue holding IAMLAB_MAX_QUEUE_MESSAGES messages; the error message is `${QUEUE_FULL} <cap>`. */
export const QUEUE_FULL = "iamlab: queue full";
