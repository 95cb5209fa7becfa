/**
 * iamlab runs no user code. Its stand-in: a function's package may hold an `iamlab.json` program —
 * AWS calls that Invoke makes as the function's execution role (src/services/lambda/invoke.ts).
 *
 *   { "calls": [ { "service": "s3", "action": "GetObject", "params": { "Bucket": "b", "Key": "${event.key}" } } ],
 *     "failOnError": false }
 *
 * (a bare list of calls is the same program). Strings in `params` may name parts of the Invoke
 * payload: a string that is only `${event.a.b}` takes the value itself, elsewhere it is written in.
 * This module parses and checks a program (pure); a malformed one is refused at upload time.
 */
import { AwsError } from "../../protocol/errors";
import { ZipError, readZipEntry, zipEntries } from "./zip";

export interface ProgramCall {
  service: string;
  action: string;
  params: Record<string, unknown>;
}

export interface Program {
  calls: ProgramCall[];
  /** a failed call makes the invocation a function error (X-Amz-Function-Error: Unhandled) */
  failOnError: boolean;
}

export const PROGRAM_FILE = "iamlab.json";
export const MAX_PROGRAM_BYTES = 64 * 1024;
export const MAX_CALLS = 20;

export type ProgramOutcome = { ok: true; program: Program | undefined } | { ok: false; message: string };

/** Reads the package: is it a zip, and does it hold a well-formed iamlab.json? */
export async function programOfPackage(zip: Uint8Array, isKnown: (service: string, action: string) => boolean): Promise<ProgramOutcome> {
  let text: string;
  try {
    const entry = zipEntries(zip).find((e) => e.name === PROGRAM_FILE);
    if (!entry) return { ok: true, program: undefined };
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(await readZipEntry(zip, entry, MAX_PROGRAM_BYTES));
  } catch (e) {
    if (e instanceof ZipError)
      return { ok: false, message: "Could not unzip uploaded file. Please check your file, then try to upload again." };
    return { ok: false, message: `${PROGRAM_FILE} is not UTF-8 text.` };
  }
  return parseProgram(text, isKnown);
}

export function parseProgram(text: string, isKnown: (service: string, action: string) => boolean): ProgramOutcome {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return bad(`is not valid JSON (${e instanceof Error ? e.message : "parse error"})`);
  }
  const obj = Array.isArray(raw) ? { calls: raw } : raw;
  if (typeof obj !== "object" || obj === null) return bad('must be an object {"calls": [...]} or a list of calls');
  const { calls, failOnError = false, ...rest } = obj as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) return bad(`has an unknown key "${unknownKey}" (allowed: calls, failOnError)`);
  if (typeof failOnError !== "boolean") return bad("failOnError must be true or false");
  if (!Array.isArray(calls) || calls.length === 0) return bad("calls must be a non-empty list");
  if (calls.length > MAX_CALLS) return bad(`has ${calls.length} calls; at most ${MAX_CALLS} are run`);
  const out: ProgramCall[] = [];
  for (const [i, c] of calls.entries()) {
    if (typeof c !== "object" || c === null || Array.isArray(c)) return bad(`calls[${i}] must be an object`);
    const { service, action, params = {}, ...extra } = c as Record<string, unknown>;
    const extraKey = Object.keys(extra)[0];
    if (extraKey !== undefined) return bad(`calls[${i}] has an unknown key "${extraKey}" (allowed: service, action, params)`);
    if (typeof service !== "string" || typeof action !== "string") return bad(`calls[${i}] needs "service" and "action" strings`);
    if (typeof params !== "object" || params === null || Array.isArray(params)) return bad(`calls[${i}].params must be an object`);
    if (!isKnown(service, action)) return bad(`calls[${i}]: iamlab does not serve ${service}:${action}`);
    out.push({ service, action, params: params as Record<string, unknown> });
  }
  return { ok: true, program: { calls: out, failOnError } };
}

function bad(what: string): ProgramOutcome {
  return { ok: false, message: `${PROGRAM_FILE} ${what}.` };
}

const WHOLE = /^\$\{event((?:\.[A-Za-z0-9_-]+)*)\}$/;
const PART = /\$\{event((?:\.[A-Za-z0-9_-]+)*)\}/g;

export class TemplateError extends Error {}

function lookup(event: unknown, path: string): unknown {
  let v = event;
  for (const k of path.split(".").filter(Boolean)) {
    if (typeof v !== "object" || v === null || !(k in v)) throw new TemplateError(`the payload has no event${path}`);
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** `params` with the payload's values written in (throws TemplateError for a path the payload lacks). */
export function fillTemplate(params: unknown, event: unknown): unknown {
  if (typeof params === "string") {
    const whole = WHOLE.exec(params);
    if (whole) return lookup(event, whole[1] ?? "");
    return params.replace(PART, (_m, path: string) => {
      const v = lookup(event, path);
      return typeof v === "string" ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(params)) return params.map((p) => fillTemplate(p, event));
  if (typeof params === "object" && params !== null)
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, fillTemplate(v, event)]));
  return params;
}

/** The payload as the event the program sees; AWS refuses a payload that is not JSON. */
export function parsePayload(payload: Uint8Array | undefined): unknown {
  if (!payload || payload.length === 0) return {};
  const text = new TextDecoder().decode(payload);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AwsError(
      "InvalidRequestContentException",
      `Could not parse request body into json: Could not parse payload into json: ${e instanceof Error ? e.message : "malformed JSON"}`,
      400,
    );
  }
}
