/**
 * Records every served call as CloudTrail events, behind the response: the pipeline (src/app.ts)
 * opens a note on the call's context before it runs (`beginTrail`), authorization and runAction
 * fill it (first resource, foreign account, result), and `recordCall` turns it into rows
 * (./event.ts) — the client never waits for the trail.
 *
 * Rows are buffered per isolate and written every FLUSH_MS (or as soon as FLUSH_ROWS are waiting):
 * the request that finds no flush scheduled schedules one in its own `waitUntil`, and the others
 * only append plain rows to the buffer (no promise or I/O object crosses requests). A flush is one
 * D1 batch: one segment per account (src/store/cloudtrail-events.ts).
 *
 * Measured with bench/trail.ts (GetUser, 2 connections, local; on vs off in the same run): the cost
 * was in the number of D1 calls, not in the bytes — locally D1's SQLite runs in the Worker's process,
 * and a flush every 50 ms (20 D1 calls a second) took 35–42 % of GetUser's throughput whatever it
 * wrote (even `SELECT 1`), one flush a second about 7–12 % (machine noise is ±5 %). Deployed, D1 is a
 * service of its own and the Worker pays one subrequest per flush. A Durable Object per account
 * would also batch but costs a hop per request and a second place to query.
 *
 * The price: events of an isolate evicted within FLUSH_MS of a call are lost, and another isolate's
 * readers see an event up to FLUSH_MS after its response (AWS: typically within 5 minutes). Readers
 * in the same isolate (LookupEvents, grading, trail delivery) call `flushTrail` first: they see every
 * call answered before them.
 *
 * `IAMLAB_TRAIL=off` turns recording off (the bench's "off" side).
 * Retention: 90 days. Older segments are pruned in a flush's batch at most every 10 minutes per
 * isolate; LookupEvents never returns older events whatever pruning has done (sandbox clock).
 */
import type { Env } from "../../env";
import type { ActionContext, RegisteredAction } from "../action";
import type { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import type { Caller } from "../../auth/caller";
import { getDb, type Db } from "../../store/db";
import { insertEvents, type TrailRow } from "../../store/cloudtrail-events";
import { now } from "../../lib/time";
import { isReadOnly, trailRows } from "./event";

export const RETENTION_MS = 90 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
let lastPrune = Number.NEGATIVE_INFINITY;

/** How long rows gather before they are written (ms). */
const FLUSH_MS = 1000;
/** A buffer this long is written at once (memory, and one flush's D1 batch, stay bounded). */
const FLUSH_ROWS = 5000;
const buffer: TrailRow[] = [];
/** The scheduled flush, if any. */
let flushing: Promise<void> | undefined;
/** Writes under way (a reader waits for them: their rows are no longer in the buffer). */
let writing = 0;

/** Writes what the buffer holds now, in the caller's own request context. Never rejects (errors are logged). */
async function writeBuffer(db: Db): Promise<void> {
  while (buffer.length) {
    const rows = buffer.splice(0, FLUSH_ROWS);
    const t = now();
    const prune = Math.abs(t - lastPrune) >= PRUNE_EVERY_MS; // the sandbox clock may also move back
    if (prune) lastPrune = t;
    writing++;
    try {
      await insertEvents(db, rows, prune ? t - RETENTION_MS : undefined);
    } catch (e) {
      console.error(`cloudtrail: recording ${rows.length} event(s) failed`, e instanceof Error ? e.message : e);
    } finally {
      writing--;
    }
  }
}

/** Writes the buffer after FLUSH_MS, then whatever arrived meanwhile, until it is empty. Never rejects. */
async function flushSoon(db: Db): Promise<void> {
  await new Promise((r) => setTimeout(r, FLUSH_MS));
  await writeBuffer(db);
  // In the same turn as the last look at the buffer: a row added after it schedules the next flush.
  flushing = undefined;
}

/**
 * Makes every event this isolate has recorded so far readable: writes the buffer and waits (at most
 * 5 s) for writes other requests have under way. For readers: LookupEvents, grading, delivery.
 */
export async function flushTrail(env: Env): Promise<void> {
  if (!trailEnabled(env)) return;
  await writeBuffer(getDb(env.DB));
  for (let waited = 0; writing > 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

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
    buffer.push(...rows);
    if (buffer.length >= FLUSH_ROWS) ctx.waitUntil(writeBuffer(getDb(ctx.env.DB)));
    else if (!flushing) {
      flushing = flushSoon(getDb(ctx.env.DB));
      ctx.waitUntil(flushing);
    }
  } catch (e) {
    console.error(`[${ctx.request.requestId}] cloudtrail: building the event failed`, e instanceof Error ? e.message : e);
  }
}

/**
 * An AWS service assuming a role for a workload (EC2's instance profile, Lambda's execution role:
 * src/services/sts/service-sessions.ts) has no request of its own: its AssumeRole event is written
 * here, in the role's account, as AWS records it — userIdentity `AWSService` with `invokedBy`, the
 * service as source address and user agent. Awaited (rare: workloads cache their sessions); never throws.
 */
export async function recordServiceAssumeRole(
  env: Env,
  f: { service: string; account: string; roleArn: string; sessionName: string; durationSeconds: number; output: XmlValue; now: number },
): Promise<void> {
  if (!trailEnabled(env)) return;
  try {
    const caller: Caller = {
      principal: { kind: "service", account: "", arn: f.service, userId: f.service, serviceName: f.service },
      accessKeyId: "",
      generation: 0,
    };
    const rows = trailRows(
      {
        service: "sts",
        name: "AssumeRole",
        readOnly: false,
        caller,
        request: {
          requestId: crypto.randomUUID(),
          now: f.now,
          sourceIp: f.service,
          region: "us-east-1",
          userAgent: f.service,
          secureTransport: true,
        },
        input: { RoleArn: f.roleArn, RoleSessionName: f.sessionName, DurationSeconds: f.durationSeconds },
        output: f.output,
        target: { resource: f.roleArn, resourceAccount: f.account },
        foreignAccount: f.account,
      },
      () => crypto.randomUUID(),
    );
    await insertEvents(getDb(env.DB), rows);
  } catch (e) {
    console.error("cloudtrail: recording a service's AssumeRole failed", e instanceof Error ? e.message : e);
  }
}
