/**
 * EC2 Query (pure): a form body (or query string) with `Action` + `Version`; lists are always
 * flattened as `Name.N` and structures inside them as `Name.N.Field`, where Name is the member's
 * `queryName`, else its `locationName` capitalized, else the member name (`InstanceId.1`,
 * `Filter.1.Name`, `Filter.1.Value.1`). Responses: `<ActionResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`
 * with `<requestId>` first, lowerCamel element names from the model and `<item>` lists. Errors:
 * `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`
 * (what @aws-sdk/core's AwsEc2QueryProtocol reads via `Errors.Error`).
 *
 * Unconfirmed wording (no capture here): the InvalidParameterValue message for a value of the
 * wrong type, and the exact MissingParameter message.
 */
import { AwsError } from "./errors";
import { shapeOf, structureOf, type Member, type OperationModel, type ServiceModel, type StructureShape } from "./model";
import { hasChildren, parseForm, type FlatParams } from "./query";
import { asAwsError, textOf, type DecodedRequest, type Value, type WireRequest, type WireResponse } from "./wire";
import { esc } from "./xml";
import { scalarFromString, xmlMembers, XML_DECLARATION } from "./xml-model";

const invalidParameterValue = (name: string, v: string) =>
  new AwsError("InvalidParameterValue", `Value (${v}) for parameter ${name} is invalid.`, 400);
const missingParameter = (name: string) => new AwsError("MissingParameter", `The request must contain the parameter ${name}`, 400);

export function invalidAction(action: string): AwsError {
  return new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`, 400);
}

/**
 * EC2's denial: `UnauthorizedOperation` 403 whose message ends with the encoded authorization failure
 * message (`aws sts decode-authorization-message` decodes it; iamlab passes its decision id).
 */
export function unauthorizedOperation(reason: string, encodedMessage: string): AwsError {
  // AWS ends the reason with a full stop: "… with an explicit deny in a service control policy. Encoded …"
  // (as quoted in aws/karpenter-provider-aws#7370).
  const why = reason ? ` ${reason.endsWith(".") ? reason : `${reason}.`}` : "";
  return new AwsError(
    "UnauthorizedOperation",
    `You are not authorized to perform this operation.${why} Encoded authorization failure message: ${encodedMessage}`,
    403,
  );
}

function wireName(name: string, m: Member): string {
  if (m.queryName) return m.queryName;
  if (m.locationName) return m.locationName.charAt(0).toUpperCase() + m.locationName.slice(1);
  return name;
}

/** A parameter or any below it (an index, not a scan: a list of N members would cost N × all names). */
function has(params: FlatParams, prefix: string): boolean {
  return params.has(prefix) || hasChildren(params, prefix);
}

function readMember(model: ServiceModel, m: Member, params: FlatParams, prefix: string): unknown {
  const s = shapeOf(model, m);
  switch (s.type) {
    case "structure":
      return has(params, prefix) ? readStructure(model, s, params, `${prefix}.`) : undefined;
    case "list": {
      const items: unknown[] = [];
      for (let i = 1; i <= 10000; i++) {
        const p = `${prefix}.${i}`;
        if (!has(params, p)) break;
        items.push(readMember(model, s.member, params, p));
      }
      return items.length ? items : undefined;
    }
    case "map": {
      const out: Value = {};
      for (let i = 1; i <= 10000; i++) {
        const k = params.get(`${prefix}.${i}.Key`) ?? params.get(`${prefix}.${i}.key`);
        if (k === undefined) break;
        out[k] = readMember(model, s.value, params, `${prefix}.${i}.Value`);
      }
      return Object.keys(out).length ? out : undefined;
    }
    default: {
      const v = params.get(prefix);
      return v === undefined ? undefined : scalarFromString(s.type, v, (x) => invalidParameterValue(prefix, x));
    }
  }
}

function readStructure(model: ServiceModel, s: StructureShape, params: FlatParams, prefix: string): Value {
  const out: Value = {};
  for (const [name, m] of Object.entries(s.members)) {
    const wire = `${prefix}${wireName(name, m)}`;
    const v = readMember(model, m, params, wire);
    if (v !== undefined) out[name] = v;
    else if (s.required?.includes(name)) throw missingParameter(wire);
  }
  return out;
}

/** The form parameters of a request: the body of a POST, else the query string. */
export function ec2Params(req: WireRequest): FlatParams {
  return parseForm(req.method.toUpperCase() === "POST" && req.body.length ? textOf(req.body) : req.query);
}

export function decodeEc2(model: ServiceModel, req: WireRequest): DecodedRequest {
  try {
    const params = ec2Params(req);
    const action = params.get("Action");
    if (!action) throw missingParameter("Action");
    const operation = model.operations[action];
    if (!operation) throw invalidAction(action);
    const shape = structureOf(model, operation.input);
    return { operation, input: shape ? readStructure(model, shape, params, "") : {} };
  } catch (e) {
    throw asAwsError(e, () => invalidParameterValue("request", ""));
  }
}

export function encodeEc2Result(
  model: ServiceModel,
  operation: OperationModel,
  output: Value | undefined,
  requestId: string,
): WireResponse {
  const shape = structureOf(model, operation.output);
  const el = `${operation.name}Response`;
  const members = shape && output ? xmlMembers(model, shape, output) : "";
  const body = shape ? members : "<return>true</return>";
  return {
    status: 200,
    headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
    body: `${XML_DECLARATION}<${el} xmlns="${model.metadata.xmlNamespace ?? ""}"><requestId>${requestId}</requestId>${body}</${el}>`,
  };
}

export function encodeEc2Error(err: AwsError, requestId: string): WireResponse {
  return {
    status: err.status,
    headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
    body: `${XML_DECLARATION}<Response><Errors><Error><Code>${esc(err.code)}</Code><Message>${esc(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
  };
}
