/**
 * Per-account eventual-consistency simulation (one Durable Object per account): the pending
 * change log and its visibility times. The eventual-consistency issue fills it in; with mode
 * `off` (the default) the request path never calls it.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class ConsistencyDO extends DurableObject<Env> {
  async ping(): Promise<string> {
    return "ok";
  }
}
