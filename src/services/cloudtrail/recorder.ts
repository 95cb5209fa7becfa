/**
 * Records every served call as CloudTrail events, behind the response: the pipeline (src/app.ts)
 * opens a note on the call's context before it runs (`beginTrail`), authorization and runAction
 * fill it (first resource, foreign account, result), and `recordCall` turns it into rows
 * (./event.ts) — the client never waits for the trail.
 *
 * Rows are buffered per isolate and written by one D1 batch every FLUSH_MS: the request that finds
 * no flush scheduled schedules one in its own `waitUntil`, and the others only append plain rows to
 * the buffer (no promise or I/O object crosses requests); a flush is one INSERT of all its rows
 * (src/store/cloudtrail-events.ts). Measured with bench/trail.ts (GetUser, 2 connections, local):
 * one D1 write per request cut throughput by ~90 % (76 vs 1011 req/s), buffered batches of one
 * statement per row by ~45 %, one statement per flush by 10–35 % (runs differ on a shared machine;
 * locally D1's SQLite runs in the same process as the Worker, so its inserts take the Worker's CPU —
 * deployed, D1 is a service of its own and the Worker pays the rows and one subrequest per flush,
 * which could not be measured here). A Durable Object per account would also batch, but
 * costs a hop per request and a second place to query; D1 keeps LookupEvents (and labs' grading)
 * one indexed query. The price: events of an isolate evicted within FLUSH_MS of a call are lost,
 * and an event is visible about FLUSH_MS after its response (AWS: typically minutes).
 *
 * `IAMLAB_TRAIL=off` turns recording off (the bench's "off" side).
 * Retention: 90 days. Older rows are pruned in a flush's batch at most every 10 minutes per
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

/** How long rows gather before their batch is written (ms). */
const FLUSH_MS = 50;
/** Rows per INSERT: their JSON parameter stays well under D1's 2 MB per value (a record is ~1–2 KB). */
const BATCH_ROWS = 200;
const buffer: TrailRow[] = [];
let flushing: Promise<void> | undefined;

/** Writes the buffer after FLUSH_MS, then whatever arrived meanwhile, until it is empty. Never rejects (each batch's error is logged). */
async function flushSoon(db: Db): Promise<void> {
  await new Promise((r) => setTimeout(r, FLUSH_MS));
  while (buffer.length) {
    const rows = buffer.splice(0, BATCH_ROWS);
    const t = now();
    const prune = Math.abs(t - lastPrune) >= PRUNE_EVERY_MS; // the sandbox clock may also move back
    if (prune) lastPrune = t;
    try {
      await insertEvents(db, rows, prune ? t - RETENTION_MS : undefined);
    } catch (e) {
      console.error(`cloudtrail: recording ${rows.length} event(s) failed`, e instanceof Error ? e.message : e);
    }
  }
  // In the same turn as the last look at the buffer: a row added after it schedules the next flush.
  flushing = undefined;
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
    if (!flushing) {
      const db = getDb(ctx.env.DB);
      flushing = flushSoon(db);
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
