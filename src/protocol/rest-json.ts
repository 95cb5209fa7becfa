/**
 * REST-JSON, as Lambda speaks it (pure): method + URI template select the operation, members are
 * bound to labels / query / headers, the rest travel as a JSON body (or the payload member is the
 * body). Errors: `x-amzn-ErrorType: <Code>` plus `{"Type":"User","message":…}` — @aws-sdk/core's
 * AwsRestJsonProtocol reads the header first, then a `code` key, then `__type`, and the message from
 * `message`/`Message`. Unknown routes answer UnknownOperationException 404 (not confirmed against
 * real Lambda here; 404 is what a path no API route matches gives behind AWS's REST front ends).
 */
import { AwsError } from "./errors";
import { readJsonStructure, readJsonValue, serializationError, writeJsonStructure, writeJsonValue } from "./json";
import { shapeOf, structureOf, type OperationModel, type ServiceModel } from "./model";
import { matchRest, parseQuery, readBoundMembers, writeBoundMembers } from "./rest";
import { asAwsError, textOf, validateInput, type DecodedRequest, type Value, type WireRequest, type WireResponse } from "./wire";

function unknownRoute(model: ServiceModel, method: string, path: string): AwsError {
  return new AwsError(model.metadata.errors.unknownOperation, `Unknown operation ${method} ${path}`, 404);
}

export function matchRestJson(
  model: ServiceModel,
  req: { method: string; path: string; query: string },
): { operation: OperationModel; labels: Readonly<Record<string, string>> } {
  const bad = () => unknownRoute(model, req.method, req.path);
  const m = matchRest(model, req.method.toUpperCase(), req.path, parseQuery(req.query, bad), bad);
  if (!m) throw bad();
  return m;
}

export function decodeRestJson(model: ServiceModel, req: WireRequest): DecodedRequest {
  try {
    const { operation, labels } = matchRestJson(model, req);
    const shape = structureOf(model, operation.input);
    const input: Value = {};
    if (shape) {
      const bad = (name: string, v: string) =>
        new AwsError(
          model.metadata.errors.validation,
          `1 validation error detected: Value '${v}' at '${name}' failed to satisfy constraint: Member must be a valid value`,
          400,
        );
      Object.assign(
        input,
        readBoundMembers(
          model,
          shape,
          { labels, query: parseQuery(req.query, () => unknownRoute(model, req.method, req.path)), headers: req.headers },
          bad,
        ),
      );
      const text = textOf(req.body).trim();
      if (shape.payload) {
        const pm = shape.members[shape.payload]!;
        const ps = shapeOf(model, pm);
        if (ps.type === "blob") input[shape.payload] = req.body;
        else if (ps.type === "string") input[shape.payload] = textOf(req.body);
        else if (text !== "") input[shape.payload] = readJsonValue(model, pm, parse(text), { jsonName: true });
      } else if (text !== "" && Object.values(shape.members).some((m) => !m.location)) {
        const raw = parse(text);
        if (typeof raw !== "object" || raw === null || Array.isArray(raw))
          throw serializationError("Start of structure or map found where not expected.");
        Object.assign(input, readJsonStructure(model, shape.members, raw as Value, { jsonName: true }));
      }
    }
    validateInput(model, operation.input, input, model.metadata.errors.validation);
    return { operation, input };
  } catch (e) {
    throw asAwsError(e, () => serializationError("Could not read the request"));
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw serializationError("Malformed JSON in request body");
  }
}

export function encodeRestJsonResult(
  model: ServiceModel,
  operation: OperationModel,
  output: Value | undefined,
  requestId: string,
): WireResponse {
  const headers: Record<string, string> = { "x-amzn-requestid": requestId };
  const shape = structureOf(model, operation.output);
  const v = output ?? {};
  const status = writeBoundMembers(model, operation, shape, v, headers);
  if (!shape) return { status, headers, body: "" };
  if (shape.payload) {
    const pm = shape.members[shape.payload]!;
    const ps = shapeOf(model, pm);
    const pv = v[shape.payload];
    if (pv === undefined || pv === null) return { status, headers, body: "" };
    if (ps.type === "blob") return { status, headers, body: pv instanceof Uint8Array ? pv : String(pv) };
    if (ps.type === "string") return { status, headers, body: String(pv) };
    headers["content-type"] = "application/json";
    return { status, headers, body: JSON.stringify(writeJsonValue(model, pm, pv, { jsonName: true })) };
  }
  headers["content-type"] = "application/json";
  return { status, headers, body: JSON.stringify(writeJsonStructure(model, shape.members, v, { jsonName: true })) };
}

export function encodeRestJsonError(err: AwsError, requestId: string): WireResponse {
  return {
    status: err.status,
    headers: { "content-type": "application/json", "x-amzn-requestid": requestId, "x-amzn-errortype": err.code },
    // Modelled error members (Lambda's TooManyRequestsException `Reason` …).
    body: JSON.stringify({ Type: err.type === "Receiver" ? "Service" : "User", message: err.message, ...err.details }),
  };
}
