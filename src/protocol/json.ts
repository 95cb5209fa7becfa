/**
 * AWS JSON 1.0 / 1.1 (pure): `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and
 * `Content-Type: application/x-amz-json-1.x`; the body is the input structure as JSON (member
 * names as keys, timestamps as epoch seconds, blobs as base64). Errors are
 * `{"__type": code, "message": …}` with `x-amzn-ErrorType` (what @aws-sdk/core's AwsJsonRpcProtocol
 * reads: `__type` first, then a `code` key, then the header); query-compatible services (SQS) add
 * `x-amzn-query-error: <QueryCode>;Sender`, which the SDK prefers when it sends `x-amzn-query-mode`.
 *
 * Unconfirmed against real AWS (no capture available here): the status of UnknownOperationException
 * (we send 400; some emulators send 404) and the exact SerializationException messages, which
 * follow the Jackson wording AWS's Java services print ("STRING_VALUE can not be converted to an Integer").
 */
import { AwsError } from "./errors";
import { shapeOf, type Member, type ModelShape, type OperationModel, type ServiceModel } from "./model";
import {
  asAwsError,
  formatTimestamp,
  fromBase64,
  parseTimestamp,
  textOf,
  toBase64,
  validateInput,
  type DecodedRequest,
  type Value,
  type WireRequest,
  type WireResponse,
} from "./wire";

export const serializationError = (m: string): AwsError => new AwsError("SerializationException", m, 400);

export function unknownOperation(model: ServiceModel, what: string): AwsError {
  return new AwsError(model.metadata.errors.unknownOperation, `Unknown operation ${what}`.trim(), 400);
}

function token(v: unknown): string {
  if (typeof v === "string") return "STRING_VALUE";
  if (typeof v === "number") return "NUMBER_VALUE";
  if (typeof v === "boolean") return v ? "TRUE_VALUE" : "FALSE_VALUE";
  return "VALUE";
}
function notExpected(v: unknown, target: string): AwsError {
  if (Array.isArray(v)) return serializationError("Start of list found where not expected");
  if (typeof v === "object" && v !== null) return serializationError("Start of structure or map found where not expected.");
  return serializationError(`${token(v)} can not be converted to ${target}`);
}

/** Reads one JSON value into its shape's plain form (shared with REST-JSON). `null` reads as absent. */
export function readJsonValue(model: ServiceModel, member: Member, raw: unknown, opts: { jsonName?: boolean } = {}): unknown {
  if (raw === null || raw === undefined) return undefined;
  const shape = shapeOf(model, member);
  switch (shape.type) {
    case "structure": {
      if (typeof raw !== "object" || Array.isArray(raw)) throw notExpected(raw, "a Structure");
      return readJsonStructure(model, shape.members, raw as Value, opts);
    }
    case "list": {
      if (!Array.isArray(raw)) throw notExpected(raw, "a List");
      return raw.map((x) => readJsonValue(model, shape.member, x, opts)).filter((x) => x !== undefined);
    }
    case "map": {
      if (typeof raw !== "object" || Array.isArray(raw)) throw notExpected(raw, "a Map");
      const out: Value = {};
      for (const [k, x] of Object.entries(raw as Value)) {
        const v = readJsonValue(model, shape.value, x, opts);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    case "string":
      if (typeof raw !== "string") throw notExpected(raw, "a String");
      return raw;
    case "boolean":
      if (typeof raw !== "boolean") throw notExpected(raw, "a Boolean");
      return raw;
    case "integer":
    case "long":
      if (typeof raw !== "number" || !Number.isInteger(raw)) throw notExpected(raw, shape.type === "long" ? "a Long" : "an Integer");
      return raw;
    case "float":
    case "double":
      if (typeof raw !== "number") throw notExpected(raw, "a Double");
      return raw;
    case "timestamp": {
      const d = typeof raw === "number" || typeof raw === "string" ? parseTimestamp(raw) : undefined;
      if (!d) throw notExpected(raw, "a Date");
      return d;
    }
    case "blob": {
      const b = typeof raw === "string" ? fromBase64(raw) : undefined;
      if (!b) throw serializationError("Base64 encoded value could not be decoded");
      return b;
    }
  }
}

export function readJsonStructure(
  model: ServiceModel,
  members: Readonly<Record<string, Member>>,
  raw: Value,
  opts: { jsonName?: boolean } = {},
): Value {
  const out: Value = {};
  for (const [name, m] of Object.entries(members)) {
    if (m.location) continue; // REST-JSON: headers / query / labels are read by the REST layer.
    const key = opts.jsonName ? (m.locationName ?? name) : name;
    const v = readJsonValue(model, m, raw[key], opts);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Writes a plain value as its shape's JSON form (shared with REST-JSON). */
export function writeJsonValue(model: ServiceModel, member: Member, v: unknown, opts: { jsonName?: boolean } = {}): unknown {
  if (v === undefined || v === null) return undefined;
  const shape: ModelShape = shapeOf(model, member);
  switch (shape.type) {
    case "structure":
      return writeJsonStructure(model, shape.members, v as Value, opts);
    case "list":
      return (v as unknown[]).map((x) => writeJsonValue(model, shape.member, x, opts));
    case "map": {
      const out: Value = {};
      for (const [k, x] of Object.entries(v as Value)) out[k] = writeJsonValue(model, shape.value, x, opts);
      return out;
    }
    case "timestamp": {
      const d = v instanceof Date ? v : parseTimestamp(v);
      return d ? formatTimestamp(d, member.timestampFormat ?? shape.timestampFormat ?? "unixTimestamp") : undefined;
    }
    case "blob":
      return v instanceof Uint8Array ? toBase64(v) : typeof v === "string" ? toBase64(new TextEncoder().encode(v)) : undefined;
    default:
      return v;
  }
}

export function writeJsonStructure(
  model: ServiceModel,
  members: Readonly<Record<string, Member>>,
  v: Value,
  opts: { jsonName?: boolean } = {},
): Value {
  const out: Value = {};
  for (const [name, m] of Object.entries(members)) {
    if (m.location) continue;
    const x = writeJsonValue(model, m, v[name], opts);
    if (x !== undefined) out[opts.jsonName ? (m.locationName ?? name) : name] = x;
  }
  return out;
}

/** `application/x-amz-json-1.0` / `1.1` (parameters such as `; charset=utf-8` allowed). */
export function isAmzJson(contentType: string | null): boolean {
  return contentType !== null && /^application\/x-amz-json-1\.[01]\s*(;|$)/i.test(contentType.trim());
}

/**
 * Whether an `X-Amz-Target` prefix names `model`'s service: its model's prefix, or that prefix's last
 * segment — CloudTrail's model says `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`, which
 * botocore sends, while the JS SDK v3 sends `CloudTrail_20131101` (AWS takes both).
 */
export function targetPrefixMatches(model: ServiceModel, prefix: string): boolean {
  const own = model.metadata.targetPrefix;
  return own !== undefined && (own === prefix || own.endsWith(`.${prefix}`));
}

/** The operation an `X-Amz-Target` names, or the service's unknown-operation error. */
export function findJsonOperation(model: ServiceModel, target: string | null): OperationModel {
  if (!target) throw unknownOperation(model, "");
  const dot = target.lastIndexOf(".");
  const op = dot > 0 && targetPrefixMatches(model, target.slice(0, dot)) ? model.operations[target.slice(dot + 1)] : undefined;
  if (!op) throw unknownOperation(model, target);
  return op;
}

/** Decodes and validates a JSON 1.0/1.1 request. Every failure is an AwsError of the service's protocol. */
export function decodeJson(model: ServiceModel, req: WireRequest): DecodedRequest {
  try {
    const operation = findJsonOperation(model, req.headers.get("x-amz-target"));
    if (req.method.toUpperCase() !== "POST" || !isAmzJson(req.headers.get("content-type")))
      throw unknownOperation(model, req.headers.get("x-amz-target") ?? "");
    const text = textOf(req.body).trim();
    let raw: unknown = {};
    if (text !== "") {
      try {
        raw = JSON.parse(text);
      } catch {
        throw serializationError("Malformed JSON in request body");
      }
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw notExpected(raw, "a Structure");
    const shape = operation.input === undefined ? undefined : shapeOf(model, operation.input);
    const input = shape?.type === "structure" ? readJsonStructure(model, shape.members, raw as Value) : {};
    validateInput(model, operation.input, input, model.metadata.errors.validation);
    return { operation, input };
  } catch (e) {
    throw asAwsError(e, () => serializationError("Could not read the request body"));
  }
}

function contentType(model: ServiceModel): string {
  return `application/x-amz-json-${model.metadata.jsonVersion ?? "1.0"}`;
}

export function encodeJsonResult(
  model: ServiceModel,
  operation: OperationModel,
  output: Value | undefined,
  requestId: string,
): WireResponse {
  const shape = operation.output === undefined ? undefined : shapeOf(model, operation.output);
  const body = shape?.type === "structure" && output ? writeJsonStructure(model, shape.members, output) : {};
  return { status: 200, headers: { "content-type": contentType(model), "x-amzn-requestid": requestId }, body: JSON.stringify(body) };
}

export function encodeJsonError(model: ServiceModel, err: AwsError, requestId: string): WireResponse {
  const headers: Record<string, string> = {
    "content-type": contentType(model),
    "x-amzn-requestid": requestId,
    "x-amzn-errortype": err.code,
  };
  if (model.metadata.awsQueryCompatible) {
    const q = model.metadata.errors.queryCompatible?.[err.code];
    headers["x-amzn-query-error"] = `${q?.[0] ?? err.code};${err.type}`;
  }
  const body: Value = { __type: err.code };
  if (err.message) body.message = err.message;
  // Modelled error members (Organizations' ConstraintViolationException `Reason` …).
  if (err.details) Object.assign(body, err.details);
  return { status: err.status, headers, body: JSON.stringify(body) };
}
