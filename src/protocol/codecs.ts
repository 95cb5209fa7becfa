/**
 * The model-driven protocols behind one interface (pure): decode a request into an operation and
 * its input, encode a result or an error. The Query protocol (IAM, STS) keeps its own path
 * (src/protocol/query.ts + xml.ts), driven by the actions' hand-written shapes.
 */
import { AwsError } from "./errors";
import type { OperationModel, Protocol, ServiceModel } from "./model";
import type { DecodedRequest, Value, WireRequest, WireResponse } from "./wire";
import { decodeJson, encodeJsonError, encodeJsonResult } from "./json";
import { decodeRestXml, encodeRestXmlError, encodeRestXmlResult } from "./rest-xml";
import { decodeRestJson, encodeRestJsonError, encodeRestJsonResult } from "./rest-json";
import { decodeEc2, encodeEc2Error, encodeEc2Result, unauthorizedOperation } from "./ec2";
import { decodeQueryModel, encodeQueryModelError, encodeQueryModelResult } from "./query-model";

export type ModelProtocol = Exclude<Protocol, "query">;

export interface Codec {
  decode(model: ServiceModel, req: WireRequest): DecodedRequest;
  encodeResult(model: ServiceModel, op: OperationModel, output: Value | undefined, requestId: string): WireResponse;
  encodeError(model: ServiceModel, err: AwsError, requestId: string, method: string): WireResponse;
}

/**
 * Hosts under which `<bucket>.<host>` is S3 virtual-hosted addressing besides `bucket.s3.<…>`: an SDK
 * pointed at http://localhost:8787 without path-style addresses `bucket.localhost:8787`.
 */
export const S3_BASE_HOSTS: readonly string[] = ["localhost"];

/** The Query form of a model-driven service (SQS's legacy form): AWS's Query vocabulary, no renames. */
export const QUERY_FORM: Codec = {
  decode: decodeQueryModel,
  encodeResult: encodeQueryModelResult,
  encodeError: (m, e, r) => encodeQueryModelError(m, e, r),
};

export const CODECS: Readonly<Record<ModelProtocol, Codec>> = {
  json: { decode: decodeJson, encodeResult: encodeJsonResult, encodeError: (m, e, r) => encodeJsonError(m, e, r) },
  "rest-xml": {
    decode: (m, r) => decodeRestXml(m, r, S3_BASE_HOSTS),
    encodeResult: encodeRestXmlResult,
    encodeError: (_m, e, r, method) => encodeRestXmlError(e, r, { method, ...(e.details ? { extra: e.details } : {}) }),
  },
  "rest-json": { decode: decodeRestJson, encodeResult: encodeRestJsonResult, encodeError: (_m, e, r) => encodeRestJsonError(e, r) },
  ec2: { decode: decodeEc2, encodeResult: encodeEc2Result, encodeError: (_m, e, r) => encodeEc2Error(e, r) },
};

/**
 * The authentication and authorization errors the pipeline raises in Query's vocabulary
 * (AccessDenied, InvalidClientTokenId, SignatureDoesNotMatch …), as each protocol's services spell
 * them. `decisionId` is EC2's encoded authorization failure message (sts:DecodeAuthorizationMessage
 * decodes it).
 */
export function errorForProtocol(model: ServiceModel, err: AwsError, decisionId: string | undefined): AwsError {
  const p = model.metadata.protocol;
  if (err.code === "AccessDenied" && err.status === 403) {
    if (p === "ec2") return unauthorizedOperation(err.message, decisionId ?? "");
    const { accessDenied: code, accessDeniedStatus: status = 403 } = model.metadata.errors;
    return code === err.code && status === 403 ? err : new AwsError(code, err.message, status);
  }
  const renamed = (p === "json" || p === "rest-json" ? JSON_AUTH : p === "rest-xml" ? S3_AUTH : p === "ec2" ? EC2_AUTH : undefined)?.[
    err.code
  ];
  return renamed ? new AwsError(renamed[0], renamed[2] ?? err.message, renamed[1]) : err;
}

type Renames = Readonly<Record<string, readonly [code: string, status: number, message?: string]>>;

// JSON and REST-JSON services (SQS, KMS, Lambda, Organizations …), as their SDK exceptions name them.
const JSON_AUTH: Renames = {
  InvalidClientTokenId: ["UnrecognizedClientException", 403],
  SignatureDoesNotMatch: ["InvalidSignatureException", 403],
  IncompleteSignature: ["IncompleteSignatureException", 400],
  MissingAuthenticationToken: ["MissingAuthenticationTokenException", 403],
  ExpiredToken: ["ExpiredTokenException", 403],
  RequestEntityTooLarge: ["RequestEntityTooLargeException", 413],
};

// S3's own words (its error-code list).
const S3_AUTH: Renames = {
  InvalidClientTokenId: ["InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."],
  MissingAuthenticationToken: ["AccessDenied", 403, "Access Denied"],
  IncompleteSignature: ["AuthorizationHeaderMalformed", 400],
  ExpiredToken: ["ExpiredToken", 400, "The provided token has expired."],
  RequestEntityTooLarge: ["EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size"],
};

// EC2: an unknown or invalid key is AuthFailure (its documented common error).
const EC2_AUTH: Renames = {
  InvalidClientTokenId: ["AuthFailure", 401, "AWS was not able to validate the provided access credentials"],
  MissingAuthenticationToken: ["MissingAuthenticationToken", 401],
};
