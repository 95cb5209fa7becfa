/**
 * AWS's service models (aws-sdk v2 `apis/<service>-<version>.min.json`) → compact TS modules
 * `src/data/generated/models/<service>.ts` holding only the operations listed in MODEL_CONFIG.
 * Build-time only (run by src/tools/build-data.ts); the Worker never parses model JSON.
 *
 * The `.min.json` format: `shapes` by id ("S2", "Sc2"…), operations and members either referencing
 * a shape (`{shape: "S2", location…}`) or carrying it inline (`{type: "structure", members…}`);
 * a member with neither `type` nor `shape` is a string. It keeps `required` but not
 * `min`/`max`/`pattern`/`enum` (checked: none of the listed services' min.json has them) nor the
 * operations' error shapes, so error codes live in the services and in `errors` below.
 */
import type {
  Member,
  MemberLocation,
  ModelShape,
  OperationModel,
  Protocol,
  ScalarType,
  ServiceErrorConventions,
  ServiceMetadata,
  ServiceModel,
  TimestampFormat,
} from "../../protocol/model";

export interface ModelConfig {
  /** Our service name (the IAM action prefix). */
  readonly service: string;
  /** `<service>-<version>` of the aws-sdk apis file. */
  readonly model: string;
  readonly operations: readonly string[];
  readonly global?: boolean;
  /** XML namespace of responses when the model's metadata has none (S3). */
  readonly xmlNamespace?: string;
  /** REST-XML: root element of an operation's output document (the v2 model omits it). */
  readonly outputRoots?: Readonly<Record<string, string>>;
  readonly errors?: Partial<ServiceErrorConventions>;
}

/** The operations that reach the Worker bundle. Add an operation here, then `npm run build:data`. */
export const MODEL_CONFIG: readonly ModelConfig[] = [
  {
    service: "organizations",
    model: "organizations-2016-11-28",
    operations: [
      "CreateOrganization",
      "DescribeOrganization",
      "DeleteOrganization",
      "CreateAccount",
      "DescribeCreateAccountStatus",
      "ListAccounts",
      "ListAccountsForParent",
      "DescribeAccount",
      "ListRoots",
      "CreateOrganizationalUnit",
      "DeleteOrganizationalUnit",
      "DescribeOrganizationalUnit",
      "ListOrganizationalUnitsForParent",
      "ListChildren",
      "ListParents",
      "MoveAccount",
      "RemoveAccountFromOrganization",
      "LeaveOrganization",
      "EnablePolicyType",
      "CreatePolicy",
      "DescribePolicy",
      "DeletePolicy",
      "ListPolicies",
      "AttachPolicy",
      "DetachPolicy",
      "ListPoliciesForTarget",
      // issue 18, second slice (orgs2)
      "DisablePolicyType",
      "UpdatePolicy",
      "ListTargetsForPolicy",
      "UpdateOrganizationalUnit",
      "TagResource",
      "UntagResource",
      "ListTagsForResource",
      "InviteAccountToOrganization",
      "ListHandshakesForAccount",
      "ListHandshakesForOrganization",
      "DescribeHandshake",
      "AcceptHandshake",
      "DeclineHandshake",
      "CancelHandshake",
    ],
    global: true,
  },
  {
    service: "s3",
    model: "s3-2006-03-01",
    operations: [
      "ListBuckets",
      "CreateBucket",
      "HeadBucket",
      "DeleteBucket",
      "GetBucketLocation",
      "PutBucketPolicy",
      "GetBucketPolicy",
      "DeleteBucketPolicy",
      "PutObject",
      "GetObject",
      "HeadObject",
      "DeleteObject",
      "DeleteObjects",
      "CopyObject",
      "ListObjectsV2",
      "ListObjects",
      "CreateMultipartUpload",
      "UploadPart",
      "UploadPartCopy",
      "CompleteMultipartUpload",
      "AbortMultipartUpload",
      "ListParts",
      "ListMultipartUploads",
      "GetBucketPolicyStatus",
      "PutPublicAccessBlock",
      "GetPublicAccessBlock",
      "DeletePublicAccessBlock",
      "PutBucketTagging",
      "GetBucketTagging",
      "DeleteBucketTagging",
      "PutObjectTagging",
      "GetObjectTagging",
      "DeleteObjectTagging",
      "GetBucketOwnershipControls",
      "PutBucketOwnershipControls",
      "DeleteBucketOwnershipControls",
    ],
    xmlNamespace: "http://s3.amazonaws.com/doc/2006-03-01/",
    // Element names from S3's API reference (Smithy @xmlName); the v2 min.json drops them.
    outputRoots: {
      ListBuckets: "ListAllMyBucketsResult",
      ListObjectsV2: "ListBucketResult",
      ListObjects: "ListBucketResult",
      DeleteObjects: "DeleteResult",
      GetBucketLocation: "LocationConstraint",
      CreateMultipartUpload: "InitiateMultipartUploadResult",
      UploadPartCopy: "CopyPartResult",
      CompleteMultipartUpload: "CompleteMultipartUploadResult",
      ListParts: "ListPartsResult",
      ListMultipartUploads: "ListMultipartUploadsResult",
      GetBucketTagging: "Tagging",
      GetObjectTagging: "Tagging",
    },
  },
  {
    service: "sqs",
    model: "sqs-2012-11-05",
    operations: [
      "ListQueues",
      "CreateQueue",
      "GetQueueUrl",
      "DeleteQueue",
      "GetQueueAttributes",
      "SetQueueAttributes",
      "SendMessage",
      "SendMessageBatch",
      "ReceiveMessage",
      "DeleteMessage",
      "DeleteMessageBatch",
      "ChangeMessageVisibility",
      "ChangeMessageVisibilityBatch",
      "PurgeQueue",
      "TagQueue",
      "UntagQueue",
      "ListQueueTags",
      "AddPermission",
      "RemovePermission",
    ],
    errors: {
      // JSON error name → the Query code AWS puts in `x-amzn-query-error` (from the awsQueryError
      // traits of @aws-sdk/client-sqs's error schemas; the v2 model has no errors).
      queryCompatible: {
        QueueDoesNotExist: ["AWS.SimpleQueueService.NonExistentQueue", 400],
        QueueNameExists: ["QueueAlreadyExists", 400],
        QueueDeletedRecently: ["AWS.SimpleQueueService.QueueDeletedRecently", 400],
        InvalidAddress: ["InvalidAddress", 404],
        InvalidSecurity: ["InvalidSecurity", 403],
        OverLimit: ["OverLimit", 403],
        RequestThrottled: ["RequestThrottled", 403],
        UnsupportedOperation: ["AWS.SimpleQueueService.UnsupportedOperation", 400],
        MessageNotInflight: ["AWS.SimpleQueueService.MessageNotInflight", 400],
        PurgeQueueInProgress: ["AWS.SimpleQueueService.PurgeQueueInProgress", 403],
        ReceiptHandleIsInvalid: ["ReceiptHandleIsInvalid", 404],
        BatchEntryIdsNotDistinct: ["AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400],
        BatchRequestTooLong: ["AWS.SimpleQueueService.BatchRequestTooLong", 400],
        EmptyBatchRequest: ["AWS.SimpleQueueService.EmptyBatchRequest", 400],
        InvalidBatchEntryId: ["AWS.SimpleQueueService.InvalidBatchEntryId", 400],
        TooManyEntriesInBatchRequest: ["AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400],
        // SQS's Query code for a denial (JSON: AccessDeniedException, header `AccessDenied;Sender`).
        AccessDeniedException: ["AccessDenied", 403],
      },
    },
  },
  // --- lambda (issue 16) ---
  {
    service: "lambda",
    model: "lambda-2015-03-31",
    operations: [
      "CreateFunction",
      "GetFunction",
      "GetFunctionConfiguration",
      "ListFunctions",
      "UpdateFunctionConfiguration",
      "UpdateFunctionCode",
      "DeleteFunction",
      "AddPermission",
      "RemovePermission",
      "GetPolicy",
      "Invoke",
      "TagResource",
      "UntagResource",
      "ListTags",
    ],
  },
  // --- end lambda ---
  // EC2 answers with a trailing slash on its namespace; the model has none.
  {
    service: "ec2",
    model: "ec2-2016-11-15",
    operations: [
      // issue 16 (EC2 + instance profiles): instances as records, their profile associations, tags and console output
      "RunInstances",
      "DescribeInstances",
      "TerminateInstances",
      "StopInstances",
      "StartInstances",
      "CreateTags",
      "DeleteTags",
      "AssociateIamInstanceProfile",
      "ReplaceIamInstanceProfileAssociation",
      "DisassociateIamInstanceProfile",
      "DescribeIamInstanceProfileAssociations",
      "GetConsoleOutput",
    ],
    xmlNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/",
  },
  {
    service: "kms",
    model: "kms-2014-11-01",
    operations: [
      "CreateKey",
      "DescribeKey",
      "ListKeys",
      "EnableKey",
      "DisableKey",
      "ScheduleKeyDeletion",
      "CancelKeyDeletion",
      "GetKeyPolicy",
      "PutKeyPolicy",
      "ListKeyPolicies",
      "CreateAlias",
      "ListAliases",
      "DeleteAlias",
      "Encrypt",
      "Decrypt",
      "GenerateDataKey",
      "GenerateDataKeyWithoutPlaintext",
      "ReEncrypt",
      "TagResource",
      "UntagResource",
      "ListResourceTags",
      "CreateGrant",
      "ListGrants",
      "RetireGrant",
      "RevokeGrant",
    ],
    // KMS sends its AccessDeniedException with status 400 (reports quoting AWS: "status code: 400", milvus#44981;
    // "Status Code: 400; Error Code: AccessDeniedException", tryolabs/aws-workshop#6).
    errors: { accessDeniedStatus: 400 },
  },
  {
    service: "ecr",
    model: "ecr-2015-09-21",
    operations: [
      "CreateRepository",
      "DescribeRepositories",
      "DeleteRepository",
      "SetRepositoryPolicy",
      "GetRepositoryPolicy",
      "DeleteRepositoryPolicy",
      "GetAuthorizationToken",
      "PutImage",
      "BatchGetImage",
      "ListImages",
      "DescribeImages",
      "BatchDeleteImage",
      "BatchCheckLayerAvailability",
      "TagResource",
      "UntagResource",
      "ListTagsForResource",
    ],
  },
  // --- SNS (issue 17, helper `sns`): Query protocol, served from its model through the Query form codec. ---
  {
    service: "sns",
    model: "sns-2010-03-31",
    operations: [
      "CreateTopic",
      "DeleteTopic",
      "ListTopics",
      "GetTopicAttributes",
      "SetTopicAttributes",
      "AddPermission",
      "RemovePermission",
      "Subscribe",
      "ConfirmSubscription",
      "Unsubscribe",
      "ListSubscriptions",
      "ListSubscriptionsByTopic",
      "GetSubscriptionAttributes",
      "SetSubscriptionAttributes",
      "Publish",
      "PublishBatch",
      "TagResource",
      "UntagResource",
      "ListTagsForResource",
    ],
    // SNS's denial is AuthorizationError (403), not Query's AccessDenied (SNS API reference, common errors).
    errors: { accessDenied: "AuthorizationError", queryCompatible: { AccessDenied: ["AuthorizationError", 403] } },
  },
  // --- CloudTrail (issue 21, helper `trail`): JSON 1.1, LookupEvents over the recorded events. ---
  {
    service: "cloudtrail",
    model: "cloudtrail-2013-11-01",
    operations: [
      "LookupEvents",
      // Trails delivering to S3 (issue 21, session 4).
      "CreateTrail",
      "GetTrail",
      "DescribeTrails",
      "ListTrails",
      "UpdateTrail",
      "DeleteTrail",
      "StartLogging",
      "StopLogging",
      "GetTrailStatus",
      "GetEventSelectors",
      "PutEventSelectors",
      "AddTags",
      "RemoveTags",
      "ListTags",
    ],
    // AccessDeniedException is 403 in CloudTrail's Smithy model (httpError 403, as the SDK v3 client carries it).
    errors: {},
  },
];

const DEFAULT_ERRORS: Record<Protocol, ServiceErrorConventions> = {
  query: { accessDenied: "AccessDenied", unknownOperation: "InvalidAction", validation: "ValidationError" },
  ec2: { accessDenied: "UnauthorizedOperation", unknownOperation: "InvalidAction", validation: "InvalidParameterValue" },
  json: { accessDenied: "AccessDeniedException", unknownOperation: "UnknownOperationException", validation: "ValidationException" },
  "rest-json": {
    accessDenied: "AccessDeniedException",
    unknownOperation: "UnknownOperationException",
    validation: "ValidationException",
  },
  "rest-xml": { accessDenied: "AccessDenied", unknownOperation: "NotImplemented", validation: "InvalidArgument" },
};

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function obj(v: unknown, what: string): Json {
  if (!isObj(v)) throw new Error(`${what}: not an object`);
  return v;
}

const SCALARS: ReadonlySet<string> = new Set(["string", "integer", "long", "float", "double", "boolean", "blob", "timestamp"]);
const PROTOCOLS: ReadonlySet<string> = new Set(["query", "ec2", "json", "rest-xml", "rest-json"]);
const LOCATIONS: ReadonlySet<string> = new Set(["header", "headers", "querystring", "uri", "statusCode"]);
const TS_FORMATS: ReadonlySet<string> = new Set(["iso8601", "rfc822", "unixTimestamp"]);

function tsFormat(v: unknown, what: string): TimestampFormat | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !TS_FORMATS.has(v)) throw new Error(`${what}: timestampFormat ${String(v)}`);
  return v as TimestampFormat;
}
function nsUri(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  return isObj(v) ? str(v.uri) : undefined;
}

/** Builds the shape table: referenced shapes once each (recursion-safe), identical leaves shared. */
class ShapeTable {
  readonly shapes: ModelShape[] = [];
  private readonly byRef = new Map<string, number>();
  private readonly byKey = new Map<string, number>();
  constructor(
    private readonly defs: Json,
    private readonly name: string,
  ) {}

  /** A member as written in the model (ref or inline). */
  member(raw: unknown, what: string): Member {
    const m = obj(raw, what);
    const ref = str(m.shape);
    const shape = ref !== undefined ? this.ref(ref) : this.inline(m, what);
    const out: { -readonly [K in keyof Member]: Member[K] } = { shape };
    if (m.location !== undefined) {
      if (typeof m.location !== "string" || !LOCATIONS.has(m.location)) throw new Error(`${what}: location ${String(m.location)}`);
      out.location = m.location as MemberLocation;
    }
    if (typeof m.locationName === "string") out.locationName = m.locationName;
    if (typeof m.queryName === "string") out.queryName = m.queryName;
    // Inline lists/maps keep `flattened` on the shape; a reference carries it as a member trait.
    if (m.flattened === true && ref !== undefined) out.flattened = true;
    const ns = nsUri(m.xmlNamespace);
    if (ns !== undefined) out.xmlNamespace = ns;
    if (m.xmlAttribute === true) out.xmlAttribute = true;
    if (ref !== undefined) {
      const f = tsFormat(m.timestampFormat, what);
      if (f) out.timestampFormat = f;
    }
    if (m.jsonvalue === true) out.jsonvalue = true;
    if (m.streaming === true) out.streaming = true;
    if (m.idempotencyToken === true) out.idempotencyToken = true;
    return out;
  }

  ref(id: string): number {
    const known = this.byRef.get(id);
    if (known !== undefined) return known;
    const def = obj(this.defs[id], `${this.name}: shape ${id}`);
    if (!isContainer(def)) {
      const index = this.leaf(def, `${this.name}: shape ${id}`);
      this.byRef.set(id, index);
      return index;
    }
    // Reserve the slot first: a structure may (indirectly) contain itself.
    const index = this.shapes.length;
    this.shapes.push({ type: "string" });
    this.byRef.set(id, index);
    this.shapes[index] = this.container(def, `${this.name}: shape ${id}`);
    return index;
  }

  /** A structure used as an operation's input/output: its own locationName/xmlNamespace are the root's. */
  root(raw: unknown, what: string): number {
    const m = obj(raw, what);
    const ref = str(m.shape);
    if (ref !== undefined) return this.ref(ref);
    const s = this.container({ ...m, type: m.type ?? "structure" }, what);
    return this.intern(s);
  }

  private inline(m: Json, what: string): number {
    // locationName / xmlNamespace of an inline member are the member's (already taken), not the shape's.
    if (isContainer(m)) return this.intern(this.container({ ...m, locationName: undefined, xmlNamespace: undefined }, what));
    return this.leaf(m, what);
  }

  private intern(s: ModelShape): number {
    const key = JSON.stringify(s);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    this.shapes.push(s);
    this.byKey.set(key, this.shapes.length - 1);
    return this.shapes.length - 1;
  }

  private leaf(m: Json, what: string): number {
    const type = m.type === undefined ? "string" : m.type;
    if (typeof type !== "string" || !SCALARS.has(type)) throw new Error(`${what}: type ${String(type)}`);
    const s: Record<string, unknown> = { type: type as ScalarType };
    if (type === "timestamp") {
      const f = tsFormat(m.timestampFormat, what);
      if (f) s.timestampFormat = f;
    }
    constraints(m, s);
    if (Array.isArray(m.enum)) s.enum = m.enum.filter((x): x is string => typeof x === "string");
    if (typeof m.pattern === "string") s.pattern = m.pattern;
    if (m.streaming === true) s.streaming = true;
    if (m.jsonvalue === true) s.jsonvalue = true;
    return this.intern(s as unknown as ModelShape);
  }

  private container(m: Json, what: string): ModelShape {
    switch (m.type) {
      case "structure": {
        const members: Record<string, Member> = {};
        for (const [name, raw] of Object.entries(obj(m.members ?? {}, `${what}.members`)))
          members[name] = this.member(raw, `${what}.${name}`);
        const s: Record<string, unknown> = { type: "structure", members };
        if (Array.isArray(m.required) && m.required.length) s.required = m.required.filter((x): x is string => typeof x === "string");
        if (typeof m.payload === "string") s.payload = m.payload;
        if (typeof m.locationName === "string") s.locationName = m.locationName;
        const ns = nsUri(m.xmlNamespace);
        if (ns !== undefined) s.xmlNamespace = ns;
        return s as unknown as ModelShape;
      }
      case "list": {
        const s: Record<string, unknown> = { type: "list", member: this.member(m.member ?? {}, `${what}.member`) };
        if (m.flattened === true) s.flattened = true;
        constraints(m, s);
        return s as unknown as ModelShape;
      }
      case "map": {
        const s: Record<string, unknown> = {
          type: "map",
          key: this.member(m.key ?? {}, `${what}.key`),
          value: this.member(m.value ?? {}, `${what}.value`),
        };
        if (m.flattened === true) s.flattened = true;
        constraints(m, s);
        return s as unknown as ModelShape;
      }
      default:
        throw new Error(`${what}: not a container`);
    }
  }
}

function isContainer(m: Json): boolean {
  return m.type === "structure" || m.type === "list" || m.type === "map";
}
function constraints(m: Json, s: Record<string, unknown>): void {
  if (typeof m.min === "number") s.min = m.min;
  if (typeof m.max === "number") s.max = m.max;
}

/** Query-string selectors of every operation in the full model (`?acl`, `?list-type=2` → `list-type`). */
function querySelectors(operations: Json): string[] {
  const out = new Set<string>();
  for (const raw of Object.values(operations)) {
    const uri = isObj(raw) && isObj(raw.http) ? str(raw.http.requestUri) : undefined;
    const q = uri?.split("?")[1];
    if (!q) continue;
    for (const part of q.split("&")) {
      const [k, v] = part.split("=");
      if (k && !k.startsWith("{") && !(v ?? "").startsWith("{") && k !== "x-id") out.add(k);
    }
  }
  return [...out].sort();
}

export function buildServiceModel(json: unknown, config: ModelConfig, source: string): ServiceModel {
  const root = obj(json, config.model);
  const meta = obj(root.metadata, `${config.model}.metadata`);
  const protocol = str(meta.protocol);
  if (!protocol || !PROTOCOLS.has(protocol)) throw new Error(`${config.model}: protocol ${String(protocol)}`);
  const p = protocol as Protocol;
  const operations = obj(root.operations, `${config.model}.operations`);
  const table = new ShapeTable(obj(root.shapes ?? {}, `${config.model}.shapes`), config.model);
  const ops: Record<string, OperationModel> = {};
  for (const name of config.operations) {
    const op = obj(operations[name], `${config.model}: operation ${name}`);
    const http = obj(op.http ?? {}, `${name}.http`);
    const o: { -readonly [K in keyof OperationModel]: OperationModel[K] } = {
      name,
      http: {
        method: str(http.method) ?? "POST",
        requestUri: str(http.requestUri) ?? "/",
        ...(typeof http.responseCode === "number" ? { responseCode: http.responseCode } : {}),
      },
    };
    if (op.input !== undefined) o.input = table.root(op.input, `${name}.input`);
    if (op.output !== undefined) {
      const out = obj(op.output, `${name}.output`);
      const rootName = config.outputRoots?.[name];
      o.output = table.root(
        rootName && out.locationName === undefined && out.shape === undefined ? { ...out, locationName: rootName } : out,
        `${name}.output`,
      );
      if (typeof out.resultWrapper === "string") o.resultWrapper = out.resultWrapper;
    }
    ops[name] = o;
  }
  const jsonVersion = str(meta.jsonVersion);
  const metadata: { -readonly [K in keyof ServiceMetadata]: ServiceMetadata[K] } = {
    service: config.service,
    protocol: p,
    apiVersion: str(meta.apiVersion) ?? "",
    endpointPrefix: str(meta.endpointPrefix) ?? config.service,
    signingName: str(meta.signingName) ?? str(meta.endpointPrefix) ?? config.service,
    errors: { ...DEFAULT_ERRORS[p], ...config.errors },
    source,
  };
  if (jsonVersion === "1.0" || jsonVersion === "1.1") metadata.jsonVersion = jsonVersion;
  const targetPrefix = str(meta.targetPrefix);
  if (targetPrefix) metadata.targetPrefix = targetPrefix;
  const ns = config.xmlNamespace ?? str(meta.xmlNamespace);
  if (ns) metadata.xmlNamespace = ns;
  if (config.global) metadata.global = true;
  if (isObj(meta.awsQueryCompatible)) metadata.awsQueryCompatible = true;
  const model: { -readonly [K in keyof ServiceModel]: ServiceModel[K] } = { metadata, shapes: table.shapes, operations: ops };
  if (p === "rest-xml" || p === "rest-json") model.querySelectors = querySelectors(operations);
  return model;
}

const j = (v: unknown): string => JSON.stringify(v);

export function modelConstName(service: string): string {
  return `${service.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}_MODEL`;
}

export function renderServiceModelModule(model: ServiceModel): string {
  const out = [
    `// Generated by src/tools/build-data.ts from ${model.metadata.source}. Do not edit.`,
    "// The format is described in src/protocol/model.ts; the listed operations are in src/data/build/service-models.ts.",
    'import type { ServiceModel } from "../../../protocol/model";',
    "",
    `export const ${modelConstName(model.metadata.service)}: ServiceModel = {`,
    `metadata: ${j(model.metadata)},`,
  ];
  if (model.querySelectors) out.push(`querySelectors: ${j(model.querySelectors)},`);
  out.push("operations: {");
  for (const [name, op] of Object.entries(model.operations)) out.push(`${j(name)}: ${j(op)},`);
  out.push("},", "shapes: [");
  for (const [i, s] of model.shapes.entries()) out.push(`/* ${i} */ ${j(s)},`);
  out.push("],", "};", "");
  return out.join("\n");
}

export function renderModelIndex(services: readonly string[]): string {
  const out = ["// Generated by src/tools/build-data.ts. Do not edit.", 'import type { ServiceModel } from "../../../protocol/model";'];
  for (const s of services) out.push(`import { ${modelConstName(s)} } from "./${s}";`);
  out.push(
    "",
    "/** Every service model the Worker knows, by service name. */",
    "export const SERVICE_MODELS: Readonly<Record<string, ServiceModel>> = {",
  );
  for (const s of services) out.push(`${j(s)}: ${modelConstName(s)},`);
  out.push("};", "");
  return out.join("\n");
}
