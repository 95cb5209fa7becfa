/**
 * Trail delivery's clock (issue 21): one Durable Object per account with a logging trail. StartLogging
 * schedules it; its alarm runs the account's logging trails (./delivery.ts) every
 * IAMLAB_TRAIL_DELIVERY_SECONDS (default 300 — AWS delivers within about 5 minutes) for as long as
 * one logs, and `deliverNow` (the admin API's "deliver now") runs them at once. Runs are chained:
 * an account's deliveries never overlap, so a trail's cursor never moves twice over the same events.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import { getDb } from "../../store/db";
import { loggingTrails } from "../../store/cloudtrail-trails";
import { flushTrail } from "./recorder";
import { deliverTrail, type DeliveryReport } from "./delivery";

const DEFAULT_INTERVAL_S = 300;

export function deliveryIntervalMs(env: Env): number {
  const s = Number(env.IAMLAB_TRAIL_DELIVERY_SECONDS);
  return (Number.isFinite(s) && s >= 1 ? s : DEFAULT_INTERVAL_S) * 1000;
}

export class TrailDeliveryDO extends DurableObject<Env> {
  private running: Promise<unknown> = Promise.resolve();

  /** Remembers the account and makes sure an alarm is set. */
  async schedule(account: string): Promise<void> {
    await this.ctx.storage.put("account", account);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + deliveryIntervalMs(this.env));
  }

  /** Delivers the account's logging trails now (after any run under way). */
  async deliverNow(account: string): Promise<DeliveryReport[]> {
    await this.ctx.storage.put("account", account);
    return this.run(account);
  }

  override async alarm(): Promise<void> {
    const account = await this.ctx.storage.get<string>("account");
    if (!account) return;
    const reports = await this.run(account);
    // Keep ticking while a trail logs; an account whose trails all stopped lets its alarm lapse.
    if (reports.length) await this.ctx.storage.setAlarm(Date.now() + deliveryIntervalMs(this.env));
  }

  private run(account: string): Promise<DeliveryReport[]> {
    const next = this.running.then(async () => {
      // Where this object shares the Worker's isolate (locally), the events it buffers are written first.
      await flushTrail(this.env);
      const trails = await loggingTrails(getDb(this.env.DB), account);
      const reports: DeliveryReport[] = [];
      for (const t of trails) reports.push(await deliverTrail(this.env, (p) => this.ctx.waitUntil(p), t));
      return reports;
    });
    this.running = next.catch(() => undefined);
    return next;
  }
}
