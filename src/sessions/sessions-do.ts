/**
 * Per-account STS session state (one Durable Object per account, named by account id).
 * The STS issue fills in issuing, resolving and expiring sessions; the class is bound now so
 * its storage and alarms are in place.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class SessionsDO extends DurableObject<Env> {
  async ping(): Promise<string> {
    return "ok";
  }
}
