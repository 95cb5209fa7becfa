/**
 * Which service and protocol a request is for (pure) — the router in front of the codecs.
 * Order: the SigV4 credential-scope service (header or presigned `X-Amz-Credential`), then
 * `X-Amz-Target`'s prefix, then the request's shape (form body → Query/EC2 by `Version`,
 * `/2015-03-31/` → Lambda, anything else unsigned → S3, which serves anonymous reads).
 * A service iamlab does not serve is answered in the protocol the request speaks, never a
 * Query-shaped error for a JSON or REST client.
 */
import { AwsError } from "./errors";
import { encodeEc2Error } from "./ec2";
import { encodeJsonError, targetPrefixMatches } from "./json";
import type { Protocol, ServiceModel } from "./model";
import { encodeRestJsonError } from "./rest-json";
import { encodeRestXmlError } from "./rest-xml";
import { errorXml } from "./xml";
import type { WireResponse } from "./wire";

export interface RouteRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  /** The SigV4 credential-scope service when the caller already parsed it. */
  readonly scopeService?: string;
  /** Form parameters of a form-encoded body when the caller already parsed them (`Action`, `Version`). */
  readonly form?: ReadonlyMap<string, string>;
}

export type Route =
  /** IAM / STS (and SQS's legacy Query form): the existing Query pipeline. */
  | { readonly kind: "query"; readonly service: string }
  | { readonly kind: "model"; readonly model: ServiceModel; readonly protocol: Protocol }
  /** Nobody serves it: send `response` (already in the request's protocol). */
  | { readonly kind: "unknown"; readonly protocol: Protocol; readonly service?: string; readonly response: WireResponse };

const QUERY_SERVICES = new Set(["iam", "sts"]);

/** The credential-scope service of a signed or presigned request. */
export function scopeServiceOf(headers: Headers, query: string): string | undefined {
  const auth = headers.get("authorization");
  const m = auth ? /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth) : null;
  if (m) return m[1];
  const q = /(?:^|&)X-Amz-Credential=([^&]*)/.exec(query);
  if (!q) return undefined;
  try {
    return decodeURIComponent(q[1]!).split("/")[3];
  } catch {
    return undefined;
  }
}

function isForm(headers: Headers): boolean {
  return /^application\/x-www-form-urlencoded/i.test(headers.get("content-type") ?? "");
}
function isJsonish(headers: Headers): boolean {
  return headers.has("x-amz-target") || /^application\/x-amz-json-1\.[01]/i.test(headers.get("content-type") ?? "");
}

/** What protocol an unknown request speaks, from its shape alone. */
export function guessProtocol(req: RouteRequest): Protocol {
  if (isJsonish(req.headers)) return "json";
  if (isForm(req.headers) || req.form?.has("Action") || /(?:^|&)Action=/.test(req.query)) return "query";
  if (/^application\/json/i.test(req.headers.get("content-type") ?? "")) return "rest-json";
  return "rest-xml";
}

/** The "unknown operation / service" answer in `protocol`'s own shape. */
export function unknownServiceResponse(protocol: Protocol, what: string, requestId: string, served?: readonly string[]): WireResponse {
  // Name what is served, so a learner sees at once that the service (not their request) is missing.
  const list = served?.length ? ` iamlab serves: ${served.join(", ")}.` : "";
  const message = `The service or operation ${what} is not available in iamlab.${list}`;
  switch (protocol) {
    case "json": {
      const stub = { metadata: { errors: {}, awsQueryCompatible: false } } as unknown as ServiceModel;
      return encodeJsonError(stub, new AwsError("UnknownOperationException", message, 400), requestId);
    }
    case "rest-json":
      return encodeRestJsonError(new AwsError("UnknownOperationException", message, 404), requestId);
    case "rest-xml":
      return encodeRestXmlError(new AwsError("NotImplemented", message, 501), requestId);
    case "ec2":
      return encodeEc2Error(new AwsError("InvalidAction", message, 400), requestId);
    case "query":
      return {
        status: 400,
        headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
        body: errorXml("https://iam.amazonaws.com/doc/2010-05-08/", "Sender", "InvalidAction", message, requestId),
      };
  }
}

const served = new WeakMap<object, readonly string[]>();
/** IAM and STS (Query, no model) and every service with a model, by signing name. */
function servedServices(models: Readonly<Record<string, ServiceModel>>): readonly string[] {
  let l = served.get(models);
  if (!l) served.set(models, (l = ["iam", "sts", ...Object.keys(models)].sort()));
  return l;
}

const lists = new WeakMap<object, readonly ServiceModel[]>();
function modelList(models: Readonly<Record<string, ServiceModel>>): readonly ServiceModel[] {
  let l = lists.get(models);
  if (!l) lists.set(models, (l = Object.values(models)));
  return l;
}

export function detectService(req: RouteRequest, models: Readonly<Record<string, ServiceModel>>, requestId: string): Route {
  const scope = req.scopeService ?? scopeServiceOf(req.headers, req.query);
  // IAM and STS, most of the traffic: no model to look at.
  if (scope && QUERY_SERVICES.has(scope)) return { kind: "query", service: scope };
  const all = modelList(models);
  const target = req.headers.get("x-amz-target");
  const model = (m: ServiceModel): Route => {
    // SQS's legacy Query form (old CLIs/SDKs): form body, no target — the Query pipeline's to answer.
    if (m.metadata.protocol === "json" && !target && isForm(req.headers)) return { kind: "query", service: m.metadata.service };
    // A Query service served from its model (SNS): the same Query form codec.
    if (m.metadata.protocol === "query") return { kind: "query", service: m.metadata.service };
    return { kind: "model", model: m, protocol: m.metadata.protocol };
  };
  if (scope) {
    if (QUERY_SERVICES.has(scope)) return { kind: "query", service: scope };
    const m = all.find((x) => x.metadata.signingName === scope || x.metadata.service === scope);
    if (m) return model(m);
    const protocol = guessProtocol(req);
    return {
      kind: "unknown",
      protocol,
      service: scope,
      response: unknownServiceResponse(protocol, target ?? scope, requestId, servedServices(models)),
    };
  }
  if (target) {
    const prefix = target.slice(0, Math.max(0, target.lastIndexOf(".")));
    const m = all.find((x) => targetPrefixMatches(x, prefix));
    if (m) return model(m);
    return { kind: "unknown", protocol: "json", response: unknownServiceResponse("json", target, requestId, servedServices(models)) };
  }
  const version = req.form?.get("Version") ?? /(?:^|&)Version=([^&]*)/.exec(req.query)?.[1];
  if (version) {
    const m = all.find((x) => x.metadata.protocol === "ec2" && x.metadata.apiVersion === version);
    if (m) return model(m);
  }
  if (isForm(req.headers) || req.form?.has("Action")) return { kind: "query", service: "" };
  const lambda = all.find((x) => x.metadata.protocol === "rest-json" && req.path.startsWith(`/${x.metadata.apiVersion}/`));
  if (lambda) return model(lambda);
  const s3 = all.find((x) => x.metadata.protocol === "rest-xml");
  if (s3) return model(s3);
  const protocol = guessProtocol(req);
  return { kind: "unknown", protocol, response: unknownServiceResponse(protocol, req.path, requestId, servedServices(models)) };
}
