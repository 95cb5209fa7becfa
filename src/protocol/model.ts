/**
 * The runtime form of AWS's service models (generated at build time into
 * `src/data/generated/models/<service>.ts` by `src/data/build/service-models.ts`; no model JSON is
 * read at run time). A model holds only the operations iamlab lists, so the bundle stays small.
 *
 * Shapes live in one table per service (`shapes[i]`); members point at them by index, which lets
 * recursive shapes exist without cycles in the literal. Member traits (where a value travels and
 * under which name) sit on the member; the shape carries the type and its constraints.
 * The aws-sdk v2 `.min.json` models keep `required` but strip `min`/`max`/`pattern`/`enum`:
 * the fields exist here so a richer source (or a hand-written overlay) can fill them.
 */
export type Protocol = "query" | "ec2" | "json" | "rest-xml" | "rest-json";

export type ScalarType = "string" | "integer" | "long" | "float" | "double" | "boolean" | "blob" | "timestamp";
export type TimestampFormat = "iso8601" | "rfc822" | "unixTimestamp";

export interface ScalarShape {
  readonly type: ScalarType;
  readonly timestampFormat?: TimestampFormat;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  /** `blob` + streaming: the raw body (S3 objects). */
  readonly streaming?: true;
  /** A string holding JSON (REST-JSON headers: base64 of the JSON). */
  readonly jsonvalue?: true;
}
export interface StructureShape {
  readonly type: "structure";
  readonly members: Readonly<Record<string, Member>>;
  readonly required?: readonly string[];
  /** REST: the member that is the whole body. */
  readonly payload?: string;
  /** XML element name of the structure when it is a document root. */
  readonly locationName?: string;
  readonly xmlNamespace?: string;
}
export interface ListShape {
  readonly type: "list";
  readonly member: Member;
  readonly flattened?: true;
  readonly min?: number;
  readonly max?: number;
}
export interface MapShape {
  readonly type: "map";
  readonly key: Member;
  readonly value: Member;
  readonly flattened?: true;
  readonly min?: number;
  readonly max?: number;
}
export type ModelShape = ScalarShape | StructureShape | ListShape | MapShape;

export type MemberLocation = "header" | "headers" | "querystring" | "uri" | "statusCode";

export interface Member {
  /** Index into the service's `shapes`. */
  readonly shape: number;
  readonly location?: MemberLocation;
  /** Header / query / label / XML element / EC2 output name; for `headers`, the prefix. */
  readonly locationName?: string;
  /** EC2 input name (wins over locationName). */
  readonly queryName?: string;
  readonly flattened?: true;
  readonly xmlNamespace?: string;
  readonly xmlAttribute?: true;
  readonly timestampFormat?: TimestampFormat;
  readonly jsonvalue?: true;
  readonly streaming?: true;
  readonly idempotencyToken?: true;
}

export interface OperationModel {
  readonly name: string;
  readonly http: { readonly method: string; readonly requestUri: string; readonly responseCode?: number };
  /** Index of the input / output structure; absent when the operation has none. */
  readonly input?: number;
  readonly output?: number;
  /** Query protocol: the `<XResult>` wrapper. */
  readonly resultWrapper?: string;
}

export interface ServiceMetadata {
  /** Our name for the service (the IAM action prefix): s3, sqs, lambda… */
  readonly service: string;
  readonly protocol: Protocol;
  readonly apiVersion: string;
  readonly endpointPrefix: string;
  /** SigV4 credential-scope service. */
  readonly signingName: string;
  readonly jsonVersion?: "1.0" | "1.1";
  readonly targetPrefix?: string;
  readonly xmlNamespace?: string;
  /** A global service (one endpoint, signed for us-east-1 on AWS): S3's ListBuckets, IAM, Organizations. */
  readonly global?: boolean;
  /** JSON services that also answer the Query protocol (SQS): errors carry `x-amzn-query-error`. */
  readonly awsQueryCompatible?: boolean;
  /** Error codes as this service spells them. */
  readonly errors: ServiceErrorConventions;
  /** Where the model came from (package@version + file). */
  readonly source: string;
}

export interface ServiceErrorConventions {
  /** A denial by IAM: AccessDenied (REST-XML/Query), AccessDeniedException (JSON), UnauthorizedOperation (EC2). */
  readonly accessDenied: string;
  /** The HTTP status of that denial when the service does not send 403 (KMS answers AccessDeniedException with 400). */
  readonly accessDeniedStatus?: number;
  /** An operation the service does not have (or iamlab does not serve). */
  readonly unknownOperation: string;
  /** An input that breaks the model's constraints. */
  readonly validation: string;
  /** JSON query-compatible services: JSON code → [Query code, status] (`x-amzn-query-error`). */
  readonly queryCompatible?: Readonly<Record<string, readonly [string, number]>>;
}

export interface ServiceModel {
  readonly metadata: ServiceMetadata;
  readonly shapes: readonly ModelShape[];
  readonly operations: Readonly<Record<string, OperationModel>>;
  /**
   * REST-XML: every query-string selector any operation of the full model uses (`acl`, `policy`,
   * `list-type`…), so that a request for an operation iamlab does not list is never mistaken for
   * one it does (GET /bucket?policy is not ListObjects).
   */
  readonly querySelectors?: readonly string[];
}

export function shapeOf(model: ServiceModel, m: Member | number): ModelShape {
  const s = model.shapes[typeof m === "number" ? m : m.shape];
  if (!s) throw new Error(`${model.metadata.service}: no shape ${typeof m === "number" ? m : m.shape}`);
  return s;
}

export function structureOf(model: ServiceModel, index: number | undefined): StructureShape | undefined {
  if (index === undefined) return undefined;
  const s = shapeOf(model, index);
  if (s.type !== "structure") throw new Error(`${model.metadata.service}: shape ${index} is not a structure`);
  return s;
}

/** The effective timestamp format: member trait, then shape trait, then the location's default. */
export function timestampFormatOf(member: Member, shape: ModelShape, fallback: TimestampFormat): TimestampFormat {
  return member.timestampFormat ?? (shape.type === "timestamp" ? shape.timestampFormat : undefined) ?? fallback;
}
