/**
 * Invoke. iamlab runs no user code; a function's `iamlab.json` program (./program.ts) is its stand-in:
 * each call is made **as the function's execution role** — Lambda assumes the role as
 * lambda.amazonaws.com (./execution-role.ts) — through the same pipeline as any request
 * (./dispatch.ts), with `lambda:SourceFunctionArn` in the request context as AWS injects it into
 * the credentials of calls made from a function's code. (AWS adds no `aws:SourceArn` there: that key
 * belongs to policies on the function itself, for services invoking it.)
 *
 * The response payload is `{"results":[{"action":"s3:GetObject","ok":true,"output":{…}} |
 * {"action":…,"ok":false,"error":{"code","message","decisionId"}}]}`: a failed call is data, not a
 * function error, unless the program says `"failOnError": true` — then the payload is AWS's shape of
 * an unhandled error and X-Amz-Function-Error is `Unhandled`. A function without a program echoes
 * the payload (the classic hello-world). Invoke itself is `lambda:InvokeFunction` on the function,
 * authorized by the caller's identity policy and the function's resource policy (across accounts,
 * both). InvocationType Event answers 202 and runs behind the response; DryRun answers 204 after
 * the authorization; LogType Tail returns a short log (base64) listing each call.
 */
import { workloadCredentialsUrl, workloadToken } from "../../workloads/credentials";
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import type { FunctionRow } from "../../store/lambda-functions";
import { functionArn, lambdaErr } from "./common";
import { executionCaller } from "./execution-role";
import { callAs, type CallResult } from "./dispatch";
import { fillTemplate, parsePayload, TemplateError, type Program } from "./program";
import { functionTarget, loadFunction, type LoadedFunction } from "./target";
import { toBase64 } from "../../protocol/wire";

interface InvokeInput {
  FunctionName: string;
  InvocationType?: string;
  LogType?: string;
  ClientContext?: string;
  Payload?: Uint8Array;
  Qualifier?: string;
}

/** Asynchronous invocations take at most 256 KiB of payload (AWS's figure). */
export const MAX_EVENT_PAYLOAD = 256 * 1024;
/** How deep programs may invoke functions (AWS stops recursive loops after 16 rounds; iamlab keeps labs small). */
export const MAX_INVOKE_DEPTH = 3;
/** Log lines Tail returns: AWS returns the last 4 KB of the log. */
const MAX_TAIL = 4096;
/** The source address of calls a function makes (a documentation address: "somewhere in Lambda's fleet"). */
const FUNCTION_SOURCE_IP = "192.0.2.10";

export interface ProgramRun {
  results: ({ action: string } & ({ ok: true; output: unknown } | { ok: false; error: CallError }))[];
  log: string[];
  failed: boolean;
}
type CallError = Extract<CallResult, { ok: false }>["error"];

/** Runs the program as the function's execution role. */
export async function runProgram(ctx: ActionContext, f: FunctionRow, program: Program, event: unknown): Promise<ProgramRun> {
  const arn = functionArn(f);
  const caller = await executionCaller(ctx, f.config.Role, arn, f.name);
  const fnCtx: ActionContext = {
    env: ctx.env,
    db: ctx.db,
    caller,
    request: {
      ...ctx.request,
      sourceIp: FUNCTION_SOURCE_IP,
      userAgent: `iamlab-lambda/${f.config.Runtime ?? "zip"} (${f.name})`,
      secureTransport: true,
      credentialContext: { "lambda:SourceFunctionArn": arn },
      invokeDepth: (ctx.request.invokeDepth ?? 0) + 1,
    },
    waitUntil: ctx.waitUntil,
  };
  if (ctx.explain) fnCtx.explain = true;
  const run: ProgramRun = { results: [], log: [], failed: false };
  for (const call of program.calls) {
    const action = `${call.service}:${call.action}`;
    let result: CallResult;
    try {
      const params = fillTemplate(call.params, event) as Record<string, unknown>;
      result = await callAs(fnCtx, call.service, call.action, params);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      result = { ok: false, error: { code: "InvalidTemplate", message: e.message } };
    }
    if (result.ok) {
      run.results.push({ action, ok: true, output: result.output });
      run.log.push(`${action} OK`);
    } else {
      run.failed = true;
      run.results.push({ action, ok: false, error: result.error });
      run.log.push(
        `${action} ${result.error.code}: ${result.error.message}${result.error.decisionId ? ` (decision ${result.error.decisionId})` : ""}`,
      );
    }
  }
  return run;
}

/**
 * The lines a learner exports to run their own CLI / SDK code as the function's execution role
 * (src/workloads/: the container-credentials provider), appended to the Tail log — iamlab's stand-in
 * for the credentials a real function finds in its environment.
 */
async function credentialLines(ctx: ActionContext, functionArn: string): Promise<string[]> {
  const token = await workloadToken(ctx.env, { kind: "lambda", account: ctx.caller.principal.account, id: functionArn });
  if (!token) return [];
  return [
    "iamlab: to run AWS CLI / SDK code as this function's execution role, in a shell:",
    "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE",
    `export AWS_CONTAINER_CREDENTIALS_FULL_URI=${workloadCredentialsUrl(ctx.request.origin)}`,
    `export AWS_CONTAINER_AUTHORIZATION_TOKEN=${token}`,
  ];
}

function tail(requestId: string, lines: string[]): string {
  const text = [`START RequestId: ${requestId} Version: $LATEST`, ...lines, `END RequestId: ${requestId}`, ""].join("\n");
  const bytes = new TextEncoder().encode(text);
  return toBase64(bytes.length > MAX_TAIL ? bytes.subarray(bytes.length - MAX_TAIL) : bytes);
}

export const Invoke = defineAction({
  service: "lambda",
  name: "Invoke",
  permission: "lambda:InvokeFunction",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as InvokeInput).FunctionName, (i as InvokeInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (i, ctx, l: LoadedFunction) => {
    const input = i as InvokeInput;
    if (!l.row) throw lambdaErr.notFound(l.arn);
    const f = l.row;
    const type = input.InvocationType ?? "RequestResponse";
    if (type !== "RequestResponse" && type !== "Event" && type !== "DryRun")
      throw lambdaErr.validation(type, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
    if (input.LogType !== undefined && input.LogType !== "None" && input.LogType !== "Tail")
      throw lambdaErr.validation(input.LogType, "logType", "Member must satisfy enum value set: [None, Tail]");
    const event = parsePayload(input.Payload);
    // A program that invokes functions (itself, or a ring of them) stops here, as Lambda's recursive-loop detection would.
    if ((ctx.request.invokeDepth ?? 0) >= MAX_INVOKE_DEPTH)
      throw new AwsError(
        "RecursiveInvocationException",
        `Lambda detected that this invocation is part of a recursive loop (iamlab runs programs at most ${MAX_INVOKE_DEPTH} functions deep).`,
        400,
      );
    if (type === "DryRun") return { StatusCode: 204 } as never;
    const program = f.program ? (JSON.parse(f.program) as Program) : undefined;
    if (type === "Event") {
      const size = input.Payload?.length ?? 0;
      if (size > MAX_EVENT_PAYLOAD)
        throw new AwsError(
          "RequestEntityTooLargeException",
          `${size} byte payload is too large for the Event invocation type (limit ${MAX_EVENT_PAYLOAD} bytes)`,
          413,
        );
      if (program)
        ctx.waitUntil(
          runProgram(ctx, f, program, event).catch((e) =>
            console.error(
              `[${ctx.request.requestId}] lambda: asynchronous invocation of ${l.arn} failed`,
              e instanceof Error ? e.message : e,
            ),
          ),
        );
      return { StatusCode: 202 } as never;
    }
    const out: Record<string, unknown> = { StatusCode: 200, ExecutedVersion: "$LATEST" };
    if (!program) {
      out.Payload = input.Payload?.length ? input.Payload : new TextEncoder().encode("{}");
      if (input.LogType === "Tail")
        out.LogResult = tail(ctx.request.requestId, [
          "(no iamlab.json program: the payload is echoed)",
          ...(await credentialLines(ctx, l.arn)),
        ]);
      return out as never;
    }
    const run = await runProgram(ctx, f, program, event);
    const results = { results: run.results };
    if (program.failOnError && run.failed) {
      const first = run.results.find((r) => !r.ok);
      const error = first && !first.ok ? first.error : undefined;
      out.FunctionError = "Unhandled";
      out.Payload = new TextEncoder().encode(
        JSON.stringify({ errorType: error?.code ?? "Error", errorMessage: error?.message ?? "a call failed", ...results }),
      );
    } else out.Payload = new TextEncoder().encode(JSON.stringify(results));
    if (input.LogType === "Tail") out.LogResult = tail(ctx.request.requestId, [...run.log, ...(await credentialLines(ctx, l.arn))]);
    return out as never;
  },
});

export const invokeActions: RegisteredAction[] = [Invoke];
