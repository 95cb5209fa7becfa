/**
 * Records every served call as CloudTrail events, behind the response: the pipeline (src/app.ts)
 * opens a note on the call's context before it runs (`beginTrail`), authorization and runAction
 * fill it (first resource, foreign account, result), and `recordCall` turns it into rows
 * (./event.ts) written by one D1 batch in `waitUntil` — the client never waits for the trail.
 *
 * Why D1 per request rather than a Durable Object per account: the rows are one INSERT batch that
 * LookupEvents (and labs' grading) read with an index, with no extra hop or object to wake per
 * account; the write is already off the request path, so batching across requests would only save
 * D1 round trips at the price of events held in an isolate's memory (lost if it is evicted).
 * Measured with bench/trail.ts (README: "CloudTrail").
 *
 * `IAMLAB_TRAIL=off` turns recording off (the bench's "off" side).
 * Retention: 90 days. Older rows are pruned in the batch of a write at most every 10 minutes per
 * isolate; LookupEvents never returns older events whatever pruning has done (sandbox clock).
 */
import type { Env } from "../../env";
import type { ActionContext, RegisteredAction } from "../action";
import type { AwsError } from "../../protocol/errors";
import { getDb } from "../../store/db";
import { insertEvents } from "../../store/cloudtrail-events";
import { isReadOnly, trailRows } from "./event";

export const RETENTION_MS = 90 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
let lastPrune = Number.NEGATIVE_INFINITY;

export function trailEnabled(env: Env): boolean {
  return env.IAMLAB_TRAIL !== "off";
}

/** Opens the call's note (input as decoded); nothing when the trail is off. */
export function beginTrail(ctx: ActionContext, input?: object): void {
  if (!trailEnabled(ctx.env)) return;
  ctx.trail ??= {};
  if (input) ctx.trail.input = input;
}

/** Writes the call's events behind the response. Never throws: the trail must not fail a call. */
export function recordCall(ctx: ActionContext, def: RegisteredAction, err?: AwsError): void {
  const note = ctx.trail;
  if (!note) return;
  try {
    const rows = trailRows(
      {
        service: def.service,
        name: def.name,
        readOnly: isReadOnly(def.name, def.effect),
        caller: ctx.caller,
        request: ctx.request,
        ...(note.input ? { input: note.input } : {}),
        ...(note.output !== undefined ? { output: note.output } : {}),
        ...(err ? { error: { code: err.code, message: err.message } } : {}),
        ...(note.target ? { target: note.target } : {}),
        ...(note.foreignAccount ? { foreignAccount: note.foreignAccount } : {}),
      },
      () => crypto.randomUUID(),
    );
    if (!rows.length) return;
    const t = ctx.request.now;
    const prune = Math.abs(t - lastPrune) >= PRUNE_EVERY_MS; // the sandbox clock may also move back
    if (prune) lastPrune = t;
    const db = getDb(ctx.env.DB);
    ctx.waitUntil(
      insertEvents(db, rows, prune ? t - RETENTION_MS : undefined).catch((e: unknown) =>
        console.error(`[${ctx.request.requestId}] cloudtrail: recording failed`, e instanceof Error ? e.message : e),
      ),
    );
  } catch (e) {
    console.error(`[${ctx.request.requestId}] cloudtrail: building the event failed`, e instanceof Error ? e.message : e);
  }
}
