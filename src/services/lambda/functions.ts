/**
 * Lambda functions (REST-JSON): CreateFunction, GetFunction, GetFunctionConfiguration,
 * ListFunctions, UpdateFunctionConfiguration, UpdateFunctionCode, DeleteFunction.
 *
 * A function is its configuration (D1) and its zip package (R2, `<account>/.lambda/…`). Handing it a
 * role is the PassRole contract (./execution-role.ts). The package is read at upload time: it must
 * be a zip, and an `iamlab.json` in it is parsed and kept as the function's program (./program.ts),
 * so a malformed one is refused before anything is stored. Writes are data-plane writes (effect
 * `none`), each one statement naming the revision it read.
 */
import { defineAction, type ActionContext, type AuthzTarget, type RegisteredAction } from "../action";
import {
  createFunction,
  deleteFunction,
  getFunction,
  listFunctions,
  updateFunction,
  type FunctionConfig,
  type FunctionId,
  type FunctionRow,
} from "../../store/lambda-functions";
import { codeKey, codeSha256, configurationOf, functionArn, lambdaErr, MAX_CODE_REQUEST_BYTES, resolveFunction } from "./common";
import { checkRoleArn, passExecutionRole } from "./execution-role";
import { programOfPackage } from "./program";
import { callAs, isServed } from "./dispatch";
import { codeLocation } from "./code-location";
import { functionTarget, loadFunction, type LoadedFunction } from "./target";
import { addPermissionActions } from "./permissions";
import { tagActions, requestTagContext } from "./tags";
import { invokeActions } from "./invoke";

interface CodeInput {
  ZipFile?: Uint8Array;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
  ImageUri?: string;
}

interface ConfigInput {
  Runtime?: string;
  Role?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
  RevisionId?: string;
}

interface CreateInput extends ConfigInput {
  FunctionName: string;
  Role: string;
  Code: CodeInput;
  PackageType?: string;
  Tags?: Record<string, string>;
}

/** What AWS checks of the configuration members (their model constraints). */
function checkConfig(i: ConfigInput): void {
  if (i.Timeout !== undefined && i.Timeout < 1)
    throw lambdaErr.validation(String(i.Timeout), "timeout", "Member must have value greater than or equal to 1");
  if (i.Timeout !== undefined && i.Timeout > 900) throw lambdaErr.invalidParameter(`Timeout must be less than or equal to 900 seconds.`);
  if (i.MemorySize !== undefined && (i.MemorySize < 128 || i.MemorySize > 10240))
    throw lambdaErr.validation(
      String(i.MemorySize),
      "memorySize",
      i.MemorySize < 128 ? "Member must have value greater than or equal to 128" : "Member must have value less than or equal to 10240",
    );
  if (i.Description !== undefined && i.Description.length > 256)
    throw lambdaErr.validation(i.Description, "description", "Member must have length less than or equal to 256");
  if (i.Role !== undefined) checkRoleArn(i.Role);
}

/** A package's bytes: ZipFile, or an object of an iamlab bucket read as the caller (s3:GetObject, the bucket's policy). */
async function packageBytes(ctx: ActionContext, code: CodeInput): Promise<Uint8Array> {
  if (code.ImageUri !== undefined)
    throw lambdaErr.invalidParameter("iamlab serves functions with Zip packages only; container images are not served.");
  const fromS3 = code.S3Bucket !== undefined || code.S3Key !== undefined;
  if (code.ZipFile !== undefined && fromS3)
    throw lambdaErr.invalidParameter("Please do not provide other FunctionCode properties when providing a ZipFile.");
  if (code.ZipFile !== undefined) return code.ZipFile;
  if (!fromS3) throw lambdaErr.invalidParameter("Please provide a source for function code.");
  if (code.S3Bucket === undefined || code.S3Key === undefined)
    throw lambdaErr.invalidParameter("Please provide both S3Bucket and S3Key for the function code.");
  const params: Record<string, unknown> = { Bucket: code.S3Bucket, Key: code.S3Key };
  if (code.S3ObjectVersion !== undefined) params.VersionId = code.S3ObjectVersion;
  const got = await callAs(ctx, "s3", "GetObject", params, { raw: true });
  // AWS: "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
  if (!got.ok)
    throw lambdaErr.invalidParameter(
      `Error occurred while GetObject. S3 Error Code: ${got.error.code}. S3 Error Message: ${got.error.message}`,
    );
  const body = (got.output as { Body?: unknown }).Body;
  const bytes =
    body instanceof Uint8Array
      ? body
      : body instanceof ReadableStream
        ? new Uint8Array(await new Response(body).arrayBuffer())
        : new Uint8Array(0);
  // The direct-upload limit applies to the zip however it arrives (AWS's S3 limit is 250 MB unzipped; iamlab holds packages in memory).
  if (bytes.length > MAX_CODE_REQUEST_BYTES)
    throw lambdaErr.invalidParameter(`Unzipped size must be smaller than ${MAX_CODE_REQUEST_BYTES} bytes`);
  return bytes;
}

interface StoredPackage {
  key: string;
  sha256: string;
  size: number;
  program: string | undefined;
}

/** Reads and checks a package (zip, iamlab.json) and stores it in R2 under a fresh key; nothing is stored when it is refused. */
async function storePackage(ctx: ActionContext, id: FunctionId, code: CodeInput, dryRun = false): Promise<StoredPackage> {
  const zip = await packageBytes(ctx, code);
  const read = await programOfPackage(zip, isServed);
  if (!read.ok) throw lambdaErr.invalidParameter(read.message);
  const out = {
    key: codeKey(id),
    sha256: await codeSha256(zip),
    size: zip.length,
    program: read.program ? JSON.stringify(read.program) : undefined,
  };
  if (!dryRun) await ctx.env.OBJECTS.put(out.key, zip);
  return out;
}

function dropPackageLater(ctx: ActionContext, key: string): void {
  ctx.waitUntil(ctx.env.OBJECTS.delete(key).catch(() => undefined));
}

export const CreateFunction = defineAction({
  service: "lambda",
  name: "CreateFunction",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => {
    const input = i as CreateInput;
    const id = resolveFunction(ctx, input.FunctionName);
    return { id, arn: functionArn(id) };
  },
  target: (i, _ctx, l: { id: FunctionId; arn: string }): AuthzTarget => ({
    resource: l.arn,
    resourceAccount: l.id.accountId,
    context: requestTagContext((i as CreateInput).Tags),
  }),
  handler: async (i, ctx, l: { id: FunctionId; arn: string }) => {
    const input = i as CreateInput;
    checkConfig(input);
    if (input.PackageType !== undefined && input.PackageType !== "Zip")
      throw lambdaErr.invalidParameter("iamlab serves functions with Zip packages only; container images are not served.");
    if (input.Runtime === undefined || input.Handler === undefined)
      throw lambdaErr.invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
    if (l.id.name.length > 64) throw lambdaErr.validation(l.id.name, "functionName", "Member must have length less than or equal to 64");
    if (await getFunction(ctx.db, l.id)) throw lambdaErr.conflict(`Function already exist: ${l.id.name}`);
    await passExecutionRole(ctx, input.Role, l.arn, l.id.name);
    const pkg = await storePackage(ctx, l.id, input.Code);
    const config: FunctionConfig = {
      Runtime: input.Runtime,
      Handler: input.Handler,
      Role: input.Role,
      Description: input.Description ?? "",
      Timeout: input.Timeout ?? 3,
      MemorySize: input.MemorySize ?? 128,
    };
    if (input.Environment?.Variables) config.Environment = input.Environment.Variables;
    const row: FunctionRow = {
      ...l.id,
      config,
      codeKey: pkg.key,
      codeSha256: pkg.sha256,
      codeSize: pkg.size,
      tags: input.Tags ?? {},
      revisionId: crypto.randomUUID(),
      lastModified: ctx.request.now,
    };
    if (pkg.program) row.program = pkg.program;
    if ((await createFunction(ctx.db, row)) === "exists") {
      dropPackageLater(ctx, pkg.key);
      throw lambdaErr.conflict(`Function already exist: ${l.id.name}`);
    }
    return configurationOf(row) as never;
  },
});

interface NameInput {
  FunctionName: string;
  Qualifier?: string;
}

export const GetFunction = defineAction({
  service: "lambda",
  name: "GetFunction",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as NameInput).FunctionName, (i as NameInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (_i, ctx, l: LoadedFunction) => {
    const f = existing(l);
    const out: Record<string, unknown> = {
      Configuration: configurationOf(f),
      Code: { RepositoryType: "S3", Location: await codeLocation(ctx.env, ctx.request.origin ?? "", f.codeKey, ctx.request.now) },
    };
    if (Object.keys(f.tags).length) out.Tags = f.tags;
    return out as never;
  },
});

export const GetFunctionConfiguration = defineAction({
  service: "lambda",
  name: "GetFunctionConfiguration",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as NameInput).FunctionName, (i as NameInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: (_i, _ctx, l: LoadedFunction) => configurationOf(existing(l)) as never,
});

interface ListInput {
  Marker?: string;
  MaxItems?: number;
  FunctionVersion?: string;
  MasterRegion?: string;
}

export const ListFunctions = defineAction({
  service: "lambda",
  name: "ListFunctions",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const input = i as ListInput;
    const max = input.MaxItems ?? 50;
    if (max < 1 || max > 10000) throw lambdaErr.validation(String(max), "maxItems", "Member must have value between 1 and 10000");
    if (input.FunctionVersion !== undefined && input.FunctionVersion !== "ALL")
      throw lambdaErr.validation(input.FunctionVersion, "functionVersion", "Member must satisfy enum value set: [ALL]");
    let after: string | undefined;
    if (input.Marker !== undefined) {
      try {
        after = atob(input.Marker);
      } catch {
        throw lambdaErr.invalidParameter("Invalid marker.");
      }
    }
    const rows = await listFunctions(ctx.db, ctx.caller.principal.account, ctx.request.region, after, max);
    const page = rows.slice(0, max);
    const out: Record<string, unknown> = { Functions: page.map(configurationOf) };
    if (rows.length > max) out.NextMarker = btoa(page[page.length - 1]!.name);
    return out as never;
  },
});

/** The function a loaded call is about, or Lambda's ResourceNotFoundException. */
export function existing(l: LoadedFunction): FunctionRow {
  if (!l.row) throw lambdaErr.notFound(l.arn);
  return l.row;
}

/** Applies a change read at `f`'s revision; the function's configuration afterwards. */
async function applyChange(
  ctx: ActionContext,
  f: FunctionRow,
  change: Parameters<typeof updateFunction>[3],
  revisionId: string | undefined,
): Promise<FunctionRow> {
  if (revisionId !== undefined && revisionId !== f.revisionId) throw lambdaErr.precondition();
  const outcome = await updateFunction(ctx.db, f, f.revisionId, change);
  if (outcome === "missing") throw lambdaErr.notFound(functionArn(f));
  if (outcome === "conflict")
    throw lambdaErr.conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(f)}`);
  const after = await getFunction(ctx.db, f);
  if (!after) throw lambdaErr.notFound(functionArn(f));
  return after;
}

export const UpdateFunctionConfiguration = defineAction({
  service: "lambda",
  name: "UpdateFunctionConfiguration",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as NameInput).FunctionName),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (i, ctx, l: LoadedFunction) => {
    const input = i as ConfigInput;
    const f = existing(l);
    checkConfig(input);
    if (input.RevisionId !== undefined && input.RevisionId !== f.revisionId) throw lambdaErr.precondition();
    if (input.Role !== undefined && input.Role !== f.config.Role) await passExecutionRole(ctx, input.Role, l.arn, f.name);
    const config: FunctionConfig = { ...f.config };
    if (input.Runtime !== undefined) config.Runtime = input.Runtime;
    if (input.Handler !== undefined) config.Handler = input.Handler;
    if (input.Role !== undefined) config.Role = input.Role;
    if (input.Description !== undefined) config.Description = input.Description;
    if (input.Timeout !== undefined) config.Timeout = input.Timeout;
    if (input.MemorySize !== undefined) config.MemorySize = input.MemorySize;
    if (input.Environment !== undefined) {
      if (input.Environment.Variables && Object.keys(input.Environment.Variables).length) config.Environment = input.Environment.Variables;
      else delete config.Environment;
    }
    const after = await applyChange(ctx, f, { config, revisionId: crypto.randomUUID(), lastModified: ctx.request.now }, input.RevisionId);
    return configurationOf(after) as never;
  },
});

interface CodeUpdateInput extends CodeInput {
  FunctionName: string;
  DryRun?: boolean;
  Publish?: boolean;
  RevisionId?: string;
}

export const UpdateFunctionCode = defineAction({
  service: "lambda",
  name: "UpdateFunctionCode",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as NameInput).FunctionName),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (i, ctx, l: LoadedFunction) => {
    const input = i as CodeUpdateInput;
    const f = existing(l);
    if (input.RevisionId !== undefined && input.RevisionId !== f.revisionId) throw lambdaErr.precondition();
    const pkg = await storePackage(ctx, f, input, input.DryRun === true);
    // DryRun: the package is checked and its digest answered; nothing is stored.
    if (input.DryRun) return configurationOf({ ...f, codeSha256: pkg.sha256, codeSize: pkg.size }) as never;
    try {
      const after = await applyChange(
        ctx,
        f,
        { code: pkg, revisionId: crypto.randomUUID(), lastModified: ctx.request.now },
        input.RevisionId,
      );
      dropPackageLater(ctx, f.codeKey);
      return configurationOf(after) as never;
    } catch (e) {
      dropPackageLater(ctx, pkg.key);
      throw e;
    }
  },
});

export const DeleteFunction = defineAction({
  service: "lambda",
  name: "DeleteFunction",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as NameInput).FunctionName, (i as NameInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (_i, ctx, l: LoadedFunction) => {
    existing(l);
    const key = await deleteFunction(ctx.db, l.id);
    if (key === undefined) throw lambdaErr.notFound(l.arn);
    dropPackageLater(ctx, key);
    return undefined;
  },
});

export const lambdaActions: RegisteredAction[] = [
  CreateFunction,
  GetFunction,
  GetFunctionConfiguration,
  ListFunctions,
  UpdateFunctionConfiguration,
  UpdateFunctionCode,
  DeleteFunction,
  ...addPermissionActions,
  ...tagActions,
  ...invokeActions,
];
