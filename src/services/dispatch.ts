/**
 * One AWS call made from inside the sandbox on behalf of a principal — a function's program calls
 * as its execution role, CreateFunction reading its code from S3 as the caller, a console page as
 * the signed-in user (src/console/call.ts) — through the same
 * pipeline as a request from outside: session restrictions, last-used bookkeeping, runAction
 * (authorization with the target's resource policies, the handler, cache and consistency
 * bookkeeping). Only the wire is skipped: params arrive as the operation's members in JSON.
 */
import type { ActionContext } from "./action";
import { findAction, isQueryService, MODELS } from "./registry";
import { runAction } from "./run-action";
import { recordUsage } from "./usage";
import { sessionApiRestriction } from "../sessions/restrictions";
import { AwsError } from "../protocol/errors";
import { errorForProtocol } from "../protocol/codecs";
import { readJsonValue } from "../protocol/json";
import { shapeOf, structureOf } from "../protocol/model";
import { validateInput, type Value } from "../protocol/wire";
import { decodeObject, type FlatParams } from "../protocol/query";
import { newRequestId } from "../lib/ids";
import { toBase64 } from "../protocol/wire";
import { beginTrail, recordCall } from "./cloudtrail/recorder";

export type CallResult = { ok: true; output: unknown } | { ok: false; error: { code: string; message: string; decisionId?: string } };

/** True when iamlab serves `service:action` (a program may name only these). */
export function isServed(service: string, action: string): boolean {
  return findAction(service, action) !== undefined;
}

/** Runs `service:action` as `ctx.caller`, in a context of its own (its own request id and decision id). */
export async function callAs(
  ctx: ActionContext,
  service: string,
  action: string,
  params: Record<string, unknown>,
  opts: { raw?: boolean } = {},
): Promise<CallResult> {
  const def = findAction(service, action);
  if (!def) return { ok: false, error: { code: "UnknownOperation", message: `iamlab does not serve ${service}:${action}` } };
  const call: ActionContext = {
    env: ctx.env,
    db: ctx.db,
    caller: ctx.caller,
    request: { ...ctx.request, requestId: newRequestId() },
    waitUntil: ctx.waitUntil,
  };
  if (ctx.explain) call.explain = true;
  delete call.request.signature;
  const model = isQueryService(def.service) ? undefined : MODELS[def.service];
  // CloudTrail (issue 21): recorded as the caller's call, as AWS records a function's SDK calls and the console's.
  beginTrail(call);
  try {
    const input = model ? modelInput(model, def.name, params) : decodeObject(def.input, flatParams(params));
    if (call.trail) call.trail.input = input;
    const restricted = sessionApiRestriction(call.caller, def.service, def.name);
    if (restricted) throw restricted;
    const usage = recordUsage(call, def.service, def.name);
    if (usage) call.waitUntil(usage);
    const output = await runAction(def, input, call, (v) => v);
    recordCall(call, def);
    return { ok: true, output: opts.raw ? output : await plainJson(output) };
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    recordCall(call, def, e);
    const err = model ? errorForProtocol(model, e, call.decisionId) : e;
    return { ok: false, error: { code: err.code, message: err.message, ...(call.decisionId ? { decisionId: call.decisionId } : {}) } };
  }
}

/** A model operation's input from JSON members; a blob member may be given as text (its UTF-8 bytes) or bytes. */
function modelInput(model: (typeof MODELS)[string], name: string, params: Record<string, unknown>): object {
  const op = model.operations[name];
  const shape = structureOf(model, op?.input);
  if (!op || !shape) return {};
  const unknown = Object.keys(params).find((k) => !(k in shape.members));
  if (unknown !== undefined)
    throw new AwsError(
      model.metadata.errors.validation,
      `${name} has no parameter ${unknown} (params are the operation's members, as the SDKs name them)`,
      400,
    );
  // Every member from the JSON (also those REST binds to the URI, headers or query); a blob may be text.
  const input: Value = {};
  for (const [k, m] of Object.entries(shape.members)) {
    const given = params[k];
    const blob = shapeOf(model, m).type === "blob";
    const raw =
      blob && typeof given === "string"
        ? toBase64(new TextEncoder().encode(given))
        : blob && given instanceof Uint8Array
          ? toBase64(given)
          : given;
    const v = readJsonValue(model, m, raw);
    if (v !== undefined) input[k] = v;
  }
  validateInput(model, op.input, input, model.metadata.errors.validation);
  return input;
}

/** IAM and STS take their Query parameters: flat keys (`Tags.member.1.Key`) with scalar values. */
function flatParams(params: Record<string, unknown>): FlatParams {
  const out: FlatParams = new Map();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) out.set(k, typeof v === "string" ? v : JSON.stringify(v));
  return out;
}

const MAX_BODY_TEXT = 1024 * 1024;

/**
 * An action's output as JSON a payload can carry: bytes as UTF-8 text when they are text (else
 * `{"base64": …}`), streams read (up to 1 MiB), dates as ISO 8601.
 */
export async function plainJson(v: unknown): Promise<unknown> {
  if (v instanceof ReadableStream) {
    const bytes = new Uint8Array(await new Response(v).arrayBuffer());
    return plainJson(bytes.subarray(0, MAX_BODY_TEXT));
  }
  if (v instanceof Uint8Array) {
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(v);
    } catch {
      return { base64: toBase64(v) };
    }
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return Promise.all(v.map(plainJson));
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = await plainJson(x);
    return out;
  }
  return v;
}
