/**
 * Lambda's vocabulary shared by its actions: its errors (AWS's codes, statuses and wording as SDKs
 * and users report them), function names and ARNs, and the FunctionConfiguration a function echoes.
 */
import { AwsError } from "../../protocol/errors";
import type { ActionContext } from "../action";
import type { FunctionId, FunctionRow } from "../../store/lambda-functions";

export const lambdaErr = {
  notFound: (arn: string) => new AwsError("ResourceNotFoundException", `Function not found: ${arn}`, 404),
  invalidParameter: (m: string) => new AwsError("InvalidParameterValueException", m, 400),
  conflict: (m: string) => new AwsError("ResourceConflictException", m, 409),
  precondition: () =>
    new AwsError(
      "PreconditionFailedException",
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      412,
    ),
  validation: (value: string, member: string, constraint: string) =>
    new AwsError(
      "ValidationException",
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
      400,
    ),
  /** AWS: "Request must be smaller than 69905067 bytes for the CreateFunction operation" (413). */
  tooLarge: (max: number, operation: string) =>
    new AwsError("RequestEntityTooLargeException", `Request must be smaller than ${max} bytes for the ${operation} operation`, 413),
};

/** Lambda's request limits: 50 MiB of zip, base64 in JSON (AWS's figure); Invoke's synchronous 6 MiB payload. */
export const MAX_CODE_REQUEST_BYTES = 69905067;
export const MAX_INVOKE_REQUEST_BYTES = 6 * 1024 * 1024;
export const MAX_OTHER_REQUEST_BYTES = 1024 * 1024;

/**
 * How large a Lambda request body may be, from its route (before the body is read, so the refusal
 * names the operation as AWS does); `undefined` for routes that are not Lambda's code or Invoke.
 */
export function lambdaBodyLimit(method: string, path: string): { max: number; operation: string } {
  if (method === "POST" && /^\/2015-03-31\/functions\/?$/.test(path)) return { max: MAX_CODE_REQUEST_BYTES, operation: "CreateFunction" };
  if (method === "PUT" && /^\/2015-03-31\/functions\/[^/]+\/code\/?$/.test(path))
    return { max: MAX_CODE_REQUEST_BYTES, operation: "UpdateFunctionCode" };
  if (method === "POST" && /^\/2015-03-31\/functions\/[^/]+\/invocations\/?$/.test(path))
    return { max: MAX_INVOKE_REQUEST_BYTES, operation: "InvokeFunction" };
  return { max: MAX_OTHER_REQUEST_BYTES, operation: "" };
}

export const NAME_PATTERN =
  "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
const NAME = new RegExp(`^${NAME_PATTERN}$`);

export function functionArn(id: FunctionId): string {
  return `arn:aws:lambda:${id.region}:${id.accountId}:function:${id.name}`;
}

/**
 * Which function a FunctionName means: a name, a partial ARN (`123456789012:function:name`) or a
 * full ARN, each with an optional `:qualifier`; only `$LATEST` is served (iamlab publishes no versions).
 */
export function resolveFunction(ctx: ActionContext, functionName: string, qualifier?: string): FunctionId {
  const m = NAME.exec(functionName);
  if (!m || functionName.length > 170)
    throw lambdaErr.validation(functionName, "functionName", `Member must satisfy regular expression pattern: ${NAME_PATTERN}`);
  const region = m[3] ? m[3].slice(0, -1) : ctx.request.region;
  const accountId = m[5] ? m[5].slice(0, -1) : ctx.caller.principal.account;
  const name = m[7]!;
  const id = { accountId, region, name };
  const q = m[9] ?? qualifier;
  if (m[9] !== undefined && qualifier !== undefined && m[9] !== qualifier)
    throw lambdaErr.invalidParameter("The derived qualifier from the function name does not match the specified qualifier.");
  if (q !== undefined && q !== "$LATEST") throw lambdaErr.notFound(`${functionArn(id)}:${q}`);
  if (region !== ctx.request.region)
    throw lambdaErr.invalidParameter(`Functions from '${region}' are not reachable in this region ('${ctx.request.region}')`);
  return id;
}

/** AWS's LastModified: `2024-05-01T12:34:56.789+0000`. */
export function lastModified(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

/** The FunctionConfiguration Lambda answers for a function (only $LATEST exists). */
export function configurationOf(f: FunctionRow): Record<string, unknown> {
  const c = f.config;
  const out: Record<string, unknown> = {
    FunctionName: f.name,
    FunctionArn: functionArn(f),
    Role: c.Role,
    CodeSize: f.codeSize,
    Description: c.Description,
    Timeout: c.Timeout,
    MemorySize: c.MemorySize,
    LastModified: lastModified(f.lastModified),
    CodeSha256: f.codeSha256,
    Version: "$LATEST",
    TracingConfig: { Mode: "PassThrough" },
    RevisionId: f.revisionId,
    State: "Active",
    LastUpdateStatus: "Successful",
    PackageType: "Zip",
    Architectures: ["x86_64"],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
    LoggingConfig: { LogFormat: "Text", LogGroup: `/aws/lambda/${f.name}` },
  };
  if (c.Runtime !== undefined) out.Runtime = c.Runtime;
  if (c.Handler !== undefined) out.Handler = c.Handler;
  if (c.Environment !== undefined) out.Environment = { Variables: c.Environment };
  return out;
}

/** The R2 key of a package: under the account's prefix (deleted with the account); `.` cannot start a bucket name. */
export function codeKey(id: FunctionId): string {
  return `${id.accountId}/.lambda/${id.region}/${id.name}/${crypto.randomUUID()}`;
}

/** Lambda's CodeSha256: the base64 SHA-256 of the zip. */
export async function codeSha256(zip: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", zip));
  let s = "";
  for (const b of d) s += String.fromCharCode(b);
  return btoa(s);
}
