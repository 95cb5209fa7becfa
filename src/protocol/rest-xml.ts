/**
 * REST-XML, as S3 speaks it (pure): the operation comes from the HTTP method, the URI template and
 * query-string selectors (`GET /{Bucket}?list-type=2`, `PUT /{Bucket}/{Key+}`); members are bound to
 * labels, query, headers (`x-amz-meta-*` → Metadata) and the payload. Path-style (`/bucket/key`) and
 * virtual-hosted (`bucket.s3.<host>/key`) addressing both work. Errors are S3's own envelope
 * `<Error><Code/><Message/>…<RequestId/><HostId/></Error>` with `x-amz-request-id` / `x-amz-id-2`.
 *
 * Choices not confirmed against real S3 here: an operation S3 has but iamlab does not list answers
 * `NotImplemented` 501 (S3's code for unimplemented functionality; the SDKs retry 500/502/503/504,
 * not 501); a method S3 never uses answers `MethodNotAllowed` 405.
 */
import { AwsError } from "./errors";
import { shapeOf, structureOf, type OperationModel, type ServiceModel } from "./model";
import { foreignSelectors, matchRest, parseQuery, readBoundMembers, writeBoundMembers } from "./rest";
import { asAwsError, textOf, validateInput, type DecodedRequest, type Value, type WireRequest, type WireResponse } from "./wire";
import { esc } from "./xml";
import { parseXml, readXmlStructure, readXmlValue, xmlMembers, XML_DECLARATION } from "./xml-model";

export const s3Errors = {
  invalidArgument: (m: string) => new AwsError("InvalidArgument", m, 400),
  malformedXml: () =>
    new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400),
  invalidUri: () => new AwsError("InvalidURI", "Couldn't parse the specified URI.", 400),
  methodNotAllowed: () => new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405),
  notImplemented: () => new AwsError("NotImplemented", "A header you provided implies functionality that is not implemented.", 501),
};

export interface S3Address {
  /** The bucket from a virtual-hosted `Host`, when there is one. */
  readonly bucket?: string;
  readonly style: "path" | "virtual";
  /** The path as if path-style (`/bucket/key`), still percent-encoded. */
  readonly path: string;
}

/**
 * Virtual-hosted (`bucket.s3.<host>`, `bucket.s3.us-east-1.amazonaws.com`) or path-style addressing.
 * With `baseHosts`, a host `<bucket>.<baseHost>` is virtual-hosted too (e.g. `bucket.localhost`).
 */
export function s3Address(host: string, path: string, baseHosts: readonly string[] = []): S3Address {
  const h = host.toLowerCase().replace(/:\d+$/, "");
  for (const base of baseHosts) {
    const b = base.toLowerCase().replace(/:\d+$/, "");
    if (h.endsWith(`.${b}`)) return virtual(h.slice(0, -b.length - 1), path);
  }
  const at = h.lastIndexOf(".s3.");
  if (at > 0) return virtual(h.slice(0, at), path);
  return { style: "path", path };
}
function virtual(bucket: string, path: string): S3Address {
  return { bucket, style: "virtual", path: `/${encodeURIComponent(bucket)}${path === "/" ? "" : path}` };
}

const S3_METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);

export interface RestXmlMatch {
  readonly operation: OperationModel;
  readonly labels: Readonly<Record<string, string>>;
  readonly address: S3Address;
}

/**
 * Operations that share another's method and URI and differ by a request header only:
 * `PUT /{Bucket}/{Key+}` with `x-amz-copy-source` is CopyObject, not PutObject.
 */
const HEADER_SELECTED: Readonly<Record<string, readonly [header: string, operation: string]>> = {
  PutObject: ["x-amz-copy-source", "CopyObject"],
};

/**
 * Operations on an object that become their multipart counterpart with `?uploadId=` (a query
 * member, not a selector in S3's URIs): PUT is UploadPart (UploadPartCopy with a copy source),
 * GET is ListParts, DELETE is AbortMultipartUpload.
 */
const UPLOAD_SELECTED: Readonly<Record<string, string>> = {
  PutObject: "UploadPart",
  CopyObject: "UploadPartCopy",
  GetObject: "ListParts",
  DeleteObject: "AbortMultipartUpload",
};

/** Finds the operation and labels for a method, host, path and raw query; throws S3's error when none fits. */
export function matchRestXml(
  model: ServiceModel,
  req: { method: string; host: string; path: string; query: string; headers?: Headers },
  baseHosts?: readonly string[],
): RestXmlMatch {
  const method = req.method.toUpperCase();
  if (!S3_METHODS.has(method)) throw s3Errors.methodNotAllowed();
  const address = s3Address(req.host, req.path, baseHosts);
  const query = parseQuery(req.query, s3Errors.invalidUri);
  const m = matchRest(model, method, address.path, query, s3Errors.invalidUri);
  if (!m || foreignSelectors(model, m.operation, query).length) throw s3Errors.notImplemented();
  let operation = m.operation;
  const alt = HEADER_SELECTED[operation.name];
  if (alt && req.headers?.has(alt[0])) {
    const other = model.operations[alt[1]];
    if (!other) throw s3Errors.notImplemented();
    operation = other;
  }
  const multipart = UPLOAD_SELECTED[operation.name];
  if (multipart && query.has("uploadId")) {
    const other = model.operations[multipart];
    if (!other) throw s3Errors.notImplemented();
    operation = other;
  }
  return { operation, labels: m.labels, address };
}

/** Decodes an S3 request (its body already de-chunked, see auth/sigv4-streaming.ts). */
export function decodeRestXml(
  model: ServiceModel,
  req: WireRequest,
  baseHosts?: readonly string[],
): DecodedRequest & { readonly address: S3Address } {
  try {
    const { operation, labels, address } = matchRestXml(model, req, baseHosts);
    const shape = structureOf(model, operation.input);
    const input: Value = {};
    if (shape) {
      const bad = (name: string, v: string) => s3Errors.invalidArgument(`Invalid value '${v}' for ${name}`);
      Object.assign(
        input,
        readBoundMembers(model, shape, { labels, query: parseQuery(req.query, s3Errors.invalidUri), headers: req.headers }, bad),
      );
      const payload = shape.payload;
      if (payload) {
        const pm = shape.members[payload]!;
        const ps = shapeOf(model, pm);
        if (ps.type === "blob") input[payload] = req.body;
        else if (ps.type === "string") input[payload] = textOf(req.body);
        else if (ps.type === "structure" && req.body.length) {
          const root = parseXml(textOf(req.body), s3Errors.malformedXml);
          if (root.name !== (pm.locationName ?? payload)) throw s3Errors.malformedXml();
          input[payload] = readXmlValue(model, pm, root, () => s3Errors.malformedXml());
        }
      } else if (req.body.length && Object.values(shape.members).some((m) => !m.location)) {
        Object.assign(
          input,
          readXmlStructure(model, shape, parseXml(textOf(req.body), s3Errors.malformedXml), () => s3Errors.malformedXml()),
        );
      }
    }
    // A payload document missing what S3's schema requires is MalformedXML, as S3 answers it.
    const payload = shape?.payload ? shape.members[shape.payload] : undefined;
    const doc = shape?.payload ? input[shape.payload] : undefined;
    if (payload && doc && typeof doc === "object" && !(doc instanceof Uint8Array) && shapeOf(model, payload).type === "structure") {
      try {
        validateInput(model, payload.shape, doc as Value, "MalformedXML");
      } catch {
        throw s3Errors.malformedXml();
      }
    }
    validateInput(model, operation.input, input, model.metadata.errors.validation);
    return { operation, input, address };
  } catch (e) {
    throw asAwsError(e, s3Errors.invalidUri);
  }
}

function baseHeaders(requestId: string, hostId: string): Record<string, string> {
  return { "x-amz-request-id": requestId, "x-amz-id-2": hostId };
}

/** S3's x-amz-id-2 is an opaque base64 token; any stable value per request will do. */
export function hostIdFor(requestId: string): string {
  return btoa(requestId);
}

export function encodeRestXmlResult(
  model: ServiceModel,
  operation: OperationModel,
  output: Value | undefined,
  requestId: string,
): WireResponse {
  const headers = baseHeaders(requestId, hostIdFor(requestId));
  const shape = structureOf(model, operation.output);
  const v = output ?? {};
  let status = writeBoundMembers(model, operation, shape, v, headers);
  // A ranged GET answers 206 Partial Content (the model has no status member for it).
  if (status === 200 && v.ContentRange !== undefined && operation.http.method === "GET") status = 206;
  if (!shape) return { status, headers, body: "" };
  const xmlns = model.metadata.xmlNamespace ? ` xmlns="${model.metadata.xmlNamespace}"` : "";
  if (shape.payload) {
    const pm = shape.members[shape.payload]!;
    const ps = shapeOf(model, pm);
    const pv = v[shape.payload];
    if (pv === undefined || pv === null) return { status, headers, body: "" };
    if (ps.type === "blob") return { status, headers, body: pv instanceof Uint8Array || pv instanceof ReadableStream ? pv : String(pv) };
    if (ps.type === "string") return { status, headers, body: String(pv) };
    if (ps.type === "structure") {
      const el = pm.locationName ?? shape.payload;
      headers["content-type"] = "application/xml";
      return { status, headers, body: `${XML_DECLARATION}<${el}${xmlns}>${xmlMembers(model, ps, pv as Value)}</${el}>` };
    }
  }
  const bodyMembers = Object.entries(shape.members).filter(([, m]) => !m.location);
  if (!bodyMembers.length) return { status, headers, body: "" };
  const el = shape.locationName ?? `${operation.name}Result`;
  headers["content-type"] = "application/xml";
  // S3's unwrapped outputs: the document's root is the one member itself (GetBucketLocation's
  // `<LocationConstraint>eu-west-1</LocationConstraint>`, empty for us-east-1).
  const only = bodyMembers.length === 1 ? bodyMembers[0]! : undefined;
  if (only && only[0] === el && shapeOf(model, only[1]).type === "string") {
    const text = v[el];
    return {
      status,
      headers,
      body: `${XML_DECLARATION}<${el}${xmlns}>${text === undefined || text === null ? "" : esc(String(text))}</${el}>`,
    };
  }
  return { status, headers, body: `${XML_DECLARATION}<${el}${xmlns}>${xmlMembers(model, shape, v)}</${el}>` };
}

/**
 * S3's error document. `extra` adds S3's per-error elements (`BucketName`, `Key`, `Resource`…).
 * HEAD responses carry no body (the SDK then reads the code from the status: 404 → NotFound).
 */
export function encodeRestXmlError(
  err: AwsError,
  requestId: string,
  opts: { method?: string; extra?: Readonly<Record<string, string>> } = {},
): WireResponse {
  const hostId = hostIdFor(requestId);
  const headers = { ...baseHeaders(requestId, hostId), "content-type": "application/xml" };
  // HEAD answers and 304 Not Modified carry no body.
  if (opts.method?.toUpperCase() === "HEAD" || err.status === 304) return { status: err.status, headers, body: "" };
  let extra = "";
  for (const [k, v] of Object.entries(opts.extra ?? {})) extra += `<${k}>${esc(v)}</${k}>`;
  return {
    status: err.status,
    headers,
    body: `${XML_DECLARATION}<Error><Code>${esc(err.code)}</Code><Message>${esc(err.message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`,
  };
}
