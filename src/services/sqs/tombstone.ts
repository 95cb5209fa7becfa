/**
 * What every call to a deleted queue's Durable Object throws (./queue-do.ts keeps a tombstone), and
 * the Worker recognizes (./common.ts onQueue: QueueDoesNotExist). Its own module: the Worker side
 * must not import the Durable Object class (`cloudflare:workers`) to know it.
 */
export const QUEUE_DELETED = "iamlab: queue deleted";
