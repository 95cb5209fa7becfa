/**
 * The AWS Query protocol driven by a service model (pure): for JSON services that still answer the
 * Query form older clients send (SQS: Debian's CLI v2 2.9, boto3 1.29) and for Query services
 * served from their model. IAM and STS keep their hand-written shapes (src/protocol/query.ts).
 *
 * awsQuery naming: a structure member travels under its locationName (or its name); a list as
 * `Name.member.N` (`Name.N` when flattened); a map as `Name.entry.N.key/value` (`Name.N.<key>/<value>`
 * when flattened, with the map's key/value locationNames). The answer is
 * `<OpResponse><OpResult>…</OpResult><ResponseMetadata><RequestId/>`.
 */
import { AwsError } from "./errors";
import { hasChildren, parseForm, type FlatParams } from "./query";
import { esc } from "./xml";
import { shapeOf, structureOf, type Member, type ModelShape, type OperationModel, type ServiceModel, type StructureShape } from "./model";
import { asAwsError, textOf, validateInput, type DecodedRequest, type Value, type WireRequest, type WireResponse } from "./wire";
import { scalarFromString, xmlMembers } from "./xml-model";

/**
 * Query names JSON models no longer carry (the Query-compatible services' own element names), by
 * member name: `name` is the wire name of the member (or of a flattened list's items); `key`/`value`
 * name a flattened map's entries.
 */
const QUERY_NAMES: Readonly<Record<string, Readonly<Record<string, { name: string; key?: string; value?: string }>>>> = {
  sqs: {
    Attributes: { name: "Attribute", key: "Name", value: "Value" },
    tags: { name: "Tag", key: "Key", value: "Value" },
    Tags: { name: "Tag", key: "Key", value: "Value" },
    MessageAttributes: { name: "MessageAttribute", key: "Name", value: "Value" },
    MessageSystemAttributes: { name: "MessageSystemAttribute", key: "Name", value: "Value" },
    AttributeNames: { name: "AttributeName" },
    MessageAttributeNames: { name: "MessageAttributeName" },
    MessageSystemAttributeNames: { name: "MessageSystemAttributeName" },
    QueueUrls: { name: "QueueUrl" },
    TagKeys: { name: "TagKey" },
    Messages: { name: "Message" },
    AWSAccountIds: { name: "AWSAccountId" },
    Actions: { name: "ActionName" },
    StringListValues: { name: "StringListValue" },
    BinaryListValues: { name: "BinaryListValue" },
  },
};

/**
 * Query names that depend on the operation (the batch calls' entries), by operation and member of
 * its input or output structure: the wire name of a flattened list's items.
 */
const QUERY_OPERATION_NAMES: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>> = {
  sqs: {
    SendMessageBatch: {
      Entries: "SendMessageBatchRequestEntry",
      Successful: "SendMessageBatchResultEntry",
      Failed: "BatchResultErrorEntry",
    },
    DeleteMessageBatch: {
      Entries: "DeleteMessageBatchRequestEntry",
      Successful: "DeleteMessageBatchResultEntry",
      Failed: "BatchResultErrorEntry",
    },
    ChangeMessageVisibilityBatch: {
      Entries: "ChangeMessageVisibilityBatchRequestEntry",
      Successful: "ChangeMessageVisibilityBatchResultEntry",
      Failed: "BatchResultErrorEntry",
    },
  },
};

/** XML namespaces of the Query form, by service. */
const NAMESPACES: Readonly<Record<string, string>> = {
  sqs: "http://queue.amazonaws.com/doc/2012-11-05/",
  sns: "http://sns.amazonaws.com/doc/2010-03-31/",
};

const forms = new WeakMap<ServiceModel, ServiceModel>();

/** The model with the service's Query names applied (member locationNames, map key/value names). */
export function queryFormOf(model: ServiceModel): ServiceModel {
  let f = forms.get(model);
  if (f) return f;
  const names = QUERY_NAMES[model.metadata.service] ?? {};
  const shapes: ModelShape[] = model.shapes.slice();
  const renamedMaps = new Map<string, number>();
  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i]!;
    if (s.type !== "structure") continue;
    const members: Record<string, Member> = {};
    for (const [name, m] of Object.entries(s.members)) {
      const n = names[name];
      if (!n) {
        members[name] = m;
        continue;
      }
      let shape = m.shape;
      const target = shapes[m.shape]!;
      if (target.type === "map" && (n.key || n.value)) {
        const key = `${m.shape}/${n.key}/${n.value}`;
        let idx = renamedMaps.get(key);
        if (idx === undefined) {
          idx = shapes.length;
          shapes.push({
            ...target,
            key: { ...target.key, locationName: n.key ?? "key" },
            value: { ...target.value, locationName: n.value ?? "value" },
          });
          renamedMaps.set(key, idx);
        }
        shape = idx;
      }
      members[name] = { ...m, shape, locationName: n.name };
    }
    shapes[i] = { ...s, members } satisfies StructureShape;
  }
  // Operation-specific names: the operation gets its own copy of its input / output structure.
  const operations = { ...model.operations };
  for (const [op, renames] of Object.entries(QUERY_OPERATION_NAMES[model.metadata.service] ?? {})) {
    const o = operations[op];
    if (!o) continue;
    const copy = (idx: number | undefined): number | undefined => {
      const st = idx === undefined ? undefined : shapes[idx];
      if (st?.type !== "structure") return idx;
      const members: Record<string, Member> = {};
      for (const [name, m] of Object.entries(st.members)) members[name] = renames[name] ? { ...m, locationName: renames[name] } : m;
      shapes.push({ ...st, members } satisfies StructureShape);
      return shapes.length - 1;
    };
    const input = copy(o.input);
    const output = copy(o.output);
    operations[op] = { ...o, ...(input !== undefined ? { input } : {}), ...(output !== undefined ? { output } : {}) };
  }
  f = { ...model, shapes, operations };
  forms.set(model, f);
  return f;
}

const missing = (name: string) => new AwsError("MissingParameter", `The request must contain the parameter ${name}.`, 400);
const invalid = (name: string, v: string) =>
  new AwsError("InvalidParameterValue", `Value (${v.slice(0, 256)}) for parameter ${name} is invalid.`, 400);

function present(params: FlatParams, name: string): boolean {
  return params.has(name) || hasChildren(params, name);
}

// A request body is at most 1 MiB: no list or map can have more entries than it has parameters.
function readMember(model: ServiceModel, m: Member, params: FlatParams, name: string, flattened: boolean): unknown {
  const s = shapeOf(model, m);
  switch (s.type) {
    case "structure":
      return present(params, name) ? readStructure(model, s, params, `${name}.`) : undefined;
    case "list": {
      const base = flattened || s.flattened ? name : `${name}.${s.member.locationName ?? "member"}`;
      const items: unknown[] = [];
      for (let i = 1; present(params, `${base}.${i}`); i++) items.push(readMember(model, s.member, params, `${base}.${i}`, false));
      return items.length || params.has(name) ? items : undefined;
    }
    case "map": {
      const base = flattened || s.flattened ? name : `${name}.entry`;
      const k = s.key.locationName ?? "key";
      const v = s.value.locationName ?? "value";
      const out: Value = {};
      for (let i = 1; ; i++) {
        const key = params.get(`${base}.${i}.${k}`);
        if (key === undefined) break;
        out[key] = readMember(model, s.value, params, `${base}.${i}.${v}`, false);
      }
      return Object.keys(out).length ? out : undefined;
    }
    default: {
      const v = params.get(name);
      return v === undefined ? undefined : scalarFromString(s.type, v, (x) => invalid(name, x));
    }
  }
}

function readStructure(model: ServiceModel, s: StructureShape, params: FlatParams, prefix: string): Value {
  const out: Value = {};
  for (const [name, m] of Object.entries(s.members)) {
    const wire = `${prefix}${m.locationName ?? name}`;
    const v = readMember(model, m, params, wire, m.flattened === true);
    if (v !== undefined) out[name] = v;
    else if (s.required?.includes(name)) throw missing(m.locationName ?? name);
  }
  return out;
}

/** Decodes a Query-form request of `model`'s service (form body, or the query string of a GET). */
export function decodeQueryModel(model: ServiceModel, req: WireRequest): DecodedRequest {
  const form = queryFormOf(model);
  try {
    const params = parseForm(req.method.toUpperCase() === "POST" && req.body.length ? textOf(req.body) : req.query);
    const action = params.get("Action");
    if (!action) throw missing("Action");
    const operation = form.operations[action];
    if (!operation) throw new AwsError("InvalidAction", `The action ${action.slice(0, 128)} is not valid for this endpoint.`, 400);
    const shape = structureOf(form, operation.input);
    const input = shape ? readStructure(form, shape, params, "") : {};
    validateInput(form, operation.input, input, "ValidationError");
    return { operation, input };
  } catch (e) {
    throw asAwsError(e, () => invalid("request", ""));
  }
}

export function encodeQueryModelResult(
  model: ServiceModel,
  operation: OperationModel,
  output: Value | undefined,
  requestId: string,
): WireResponse {
  const form = queryFormOf(model);
  const ns = NAMESPACES[model.metadata.service] ?? "";
  const shape = structureOf(form, operation.output);
  const result = shape && output ? xmlMembers(form, shape, output) : "";
  const name = operation.name;
  return {
    status: 200,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: `<${name}Response xmlns="${ns}"><${name}Result>${result}</${name}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`,
  };
}

/** Query's error envelope; a JSON service's code becomes its Query code (SQS: QueueDoesNotExist → AWS.SimpleQueueService.NonExistentQueue). */
export function encodeQueryModelError(model: ServiceModel, err: AwsError, requestId: string): WireResponse {
  const ns = NAMESPACES[model.metadata.service] ?? "";
  const q = model.metadata.errors.queryCompatible?.[err.code];
  const code = q?.[0] ?? err.code;
  const status = q?.[1] ?? err.status;
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: `<ErrorResponse xmlns="${ns}"><Error><Type>${err.type}</Type><Code>${esc(code)}</Code><Message>${esc(err.message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
