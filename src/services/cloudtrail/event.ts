/**
 * One API call as CloudTrail records it (pure): the record JSON of AWS's "CloudTrail record
 * contents" and "userIdentity element" pages, one copy per recipient account. A call whose resource
 * belongs to another account (AssumeRole of another account's role, another account's bucket …)
 * has a copy in each account with the same sharedEventID; the owner's copy names the caller as
 * `AWSAccount`, as AWS's cross-account examples do. Unsigned federation calls
 * (AssumeRoleWithWebIdentity / AssumeRoleWithSAML) are recorded in the role's account only.
 */
import type { Caller } from "../../auth/caller";
import type { RequestInfo, ServiceName } from "../action";
import type { XmlValue } from "../../protocol/xml";
import { isoSeconds } from "../../lib/clock";
import { parseArn } from "../../lib/arn";
import type { LookupResource, TrailRow } from "../../store/cloudtrail-events";

/** The record format (AWS: "The current version is 1.11"). */
export const EVENT_VERSION = "1.11";

/** Everything the trail learns of one call. */
export interface CallFacts {
  service: ServiceName;
  /** AWS's operation name (the eventName) */
  name: string;
  /** the action reads only (AWS's readOnly) */
  readOnly: boolean;
  caller: Caller;
  request: RequestInfo;
  /** the decoded input, AWS's member names */
  input?: object;
  /** the handler's result (absent for cached reads and failures) */
  output?: XmlValue;
  error?: { code: string; message: string };
  /** the first resource authorized, and its owner when another account's */
  target?: { resource: string; resourceAccount?: string };
  /** another account whose resource the call used (its copy of the event) */
  foreignAccount?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** The services whose endpoints are global: their events are in us-east-1 (AWS). */
const GLOBAL = new Set<ServiceName>(["iam", "organizations"]);

/** Data events (AWS records these only for trails that select them; LookupEvents never shows them). */
const DATA_EVENTS: Partial<Record<ServiceName, RegExp>> = {
  s3: /Object|MultipartUpload|^UploadPart|^ListParts$/,
  sqs: /^(SendMessage|ReceiveMessage|DeleteMessage|ChangeMessageVisibility)/,
  sns: /^Publish/,
  lambda: /^Invoke$/,
};

/** AWS's readOnly for operations whose effect iamlab calls `none` but that only read (GetCallerIdentity, Decrypt …). */
const READ_NAMES = /^(Get|List|Describe|Head|Lookup|BatchGet|BatchCheck|Decode|Simulate|Decrypt|Encrypt|ReEncrypt|GenerateDataKey|Receive)/;

export function isReadOnly(name: string, effect: string): boolean {
  return effect === "read" || READ_NAMES.test(name);
}

export function categoryOf(service: ServiceName, name: string): "Management" | "Data" {
  return DATA_EVENTS[service]?.test(name) ? "Data" : "Management";
}

/** Members never written into a record: passwords, secret keys, tokens, assertions, key material, bodies. */
const SECRET_MEMBERS = new Set([
  "Password",
  "NewPassword",
  "OldPassword",
  "SecretAccessKey",
  "SessionToken",
  "WebIdentityToken",
  "SAMLAssertion",
  "TokenCode",
  "AuthenticationCode1",
  "AuthenticationCode2",
  "PrivateKey",
  "ServicePassword",
  "Plaintext",
  "Body",
  "Base32StringSeed",
  "QRCodePNG",
]);
/** In responses AWS keeps the session token of issued credentials; only the secret key goes (as above, plus blobs). */
const RESPONSE_KEEPS = new Set(["SessionToken"]);

const lowerFirst = (k: string): string => (k ? k[0]!.toLowerCase() + k.slice(1) : k);

/** IAM's and STS's records print dates as AWS's Java formatter does: `Dec 4, 2026 4:11:15 PM`. */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
export function javaDate(d: Date): string {
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
}

const DATE_MEMBER = /(Date|^Expiration)$/;
const ISO_TEXT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** A value as the record writes it: lower-camel member names, secrets and blobs left out. */
function toJson(v: XmlValue, javaDates: boolean, keep: ReadonlySet<string>): Json | undefined {
  if (v === undefined || v instanceof Uint8Array || v instanceof ReadableStream) return undefined;
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (v instanceof Date) return javaDates ? javaDate(v) : isoSeconds(v.getTime());
  if (Array.isArray(v)) return (v as readonly XmlValue[]).map((x) => toJson(x, javaDates, keep) ?? null);
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v as { readonly [k: string]: XmlValue })) {
    if (SECRET_MEMBERS.has(k) && !keep.has(k)) continue;
    // IAM keeps dates as ISO text: in IAM's and STS's records they print as AWS's Java dates too.
    const j =
      javaDates && typeof x === "string" && DATE_MEMBER.test(k) && ISO_TEXT.test(x) ? javaDate(new Date(x)) : toJson(x, javaDates, keep);
    if (j !== undefined) out[lowerFirst(k)] = j;
  }
  return out;
}

/** requestParameters: S3 names its bucket `bucketName` and adds the `Host` it was called on (AWS's S3 examples). */
function requestParameters(f: CallFacts): JsonObject | null {
  if (!f.input) return null;
  const j = toJson(f.input as XmlValue, false, new Set());
  if (!j || typeof j !== "object" || Array.isArray(j)) return null;
  if (f.service === "s3") {
    if ("bucket" in j) {
      j.bucketName = j.bucket ?? null;
      delete j.bucket;
    }
    if (f.request.origin) j.Host = new URL(f.request.origin).host;
  }
  return Object.keys(j).length ? j : null;
}

/** responseElements: null for reads and failures (AWS), else the result without secrets (null when empty). */
function responseElements(f: CallFacts): JsonObject | null {
  if (f.readOnly || f.error || f.output === undefined || f.output === null) return null;
  const j = toJson(f.output, f.service === "iam" || f.service === "sts", RESPONSE_KEEPS);
  if (!j || typeof j !== "object" || Array.isArray(j) || !Object.keys(j).length) return null;
  return j;
}

const bool = (b: boolean): string => (b ? "true" : "false");
const lastSegment = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

/** The caller's userIdentity (AWS: "CloudTrail userIdentity element"). */
export function userIdentity(caller: Caller): JsonObject {
  const p = caller.principal;
  const s = caller.session;
  const base: JsonObject = {};
  // A web identity (or SAML) session names its provider (the session's aws:FederatedProvider).
  const fedKey = s?.context?.["aws:FederatedProvider"];
  const provider = p.kind === "assumedRole" ? (typeof fedKey === "string" ? fedKey : p.federated) : undefined;
  const sessionContext = (issuer: JsonObject): JsonObject => {
    const ctx: JsonObject = {
      sessionIssuer: issuer,
      webIdFederationData: provider ? { federatedProvider: provider, attributes: {} } : {},
      attributes: {
        creationDate: isoSeconds(s?.tokenIssueTime ?? 0),
        mfaAuthenticated: bool(s?.mfaAuthenticated ?? false),
      },
    };
    if (s?.sourceIdentity !== undefined) ctx.sourceIdentity = s.sourceIdentity;
    return ctx;
  };
  switch (p.kind) {
    case "root":
      Object.assign(base, { type: "Root", principalId: p.account, arn: p.arn, accountId: p.account, accessKeyId: caller.accessKeyId });
      if (s) base.sessionContext = sessionContext({});
      return base;
    case "user":
      Object.assign(base, {
        type: "IAMUser",
        principalId: p.userId,
        arn: p.arn,
        accountId: p.account,
        accessKeyId: caller.accessKeyId,
        userName: p.username ?? lastSegment(p.arn),
      });
      if (s) base.sessionContext = sessionContext({});
      return base;
    case "assumedRole": {
      const roleArn = p.roleArn ?? "";
      Object.assign(base, {
        type: "AssumedRole",
        principalId: p.userId,
        arn: p.arn,
        accountId: p.account,
        accessKeyId: caller.accessKeyId,
      });
      base.sessionContext = sessionContext({
        type: "Role",
        principalId: p.userId.split(":")[0] ?? "",
        arn: roleArn,
        accountId: p.account,
        userName: lastSegment(roleArn),
      });
      return base;
    }
    case "federatedUser": {
      const userArn = p.federatingUserArn ?? "";
      Object.assign(base, {
        type: "FederatedUser",
        principalId: p.userId,
        arn: p.arn,
        accountId: p.account,
        accessKeyId: caller.accessKeyId,
      });
      base.sessionContext = sessionContext(
        userArn.endsWith(":root")
          ? { type: "Root", principalId: p.account, arn: userArn, accountId: p.account }
          : { type: "IAMUser", principalId: caller.entityId ?? "", arn: userArn, accountId: p.account, userName: lastSegment(userArn) },
      );
      return base;
    }
    case "service":
      return { type: "AWSService", invokedBy: p.serviceName ?? p.arn };
    case "anonymous":
      // S3's anonymous requests (AWS's example of an unauthenticated S3 request).
      return { type: "AWSAccount", principalId: "", accountId: "anonymous" };
  }
}

/** The caller as the other account's copy names it (AWS: type AWSAccount, the caller's principal id and account). */
function foreignIdentity(caller: Caller): JsonObject {
  const p = caller.principal;
  if (p.kind === "anonymous") return { type: "AWSAccount", principalId: "", accountId: "anonymous" };
  return { type: "AWSAccount", principalId: p.kind === "root" ? p.account : p.userId, accountId: p.account };
}

/** The identity of an unsigned federation call, from its answer (or, when it failed, from the token's unverified claims). */
function federationIdentity(f: CallFacts): JsonObject {
  const out = (f.output ?? {}) as { readonly [k: string]: XmlValue };
  const str = (v: XmlValue): string => (typeof v === "string" ? v : "");
  if (f.name === "AssumeRoleWithSAML") {
    const subject = str(out.Subject);
    const qualifier = str(out.NameQualifier);
    return { type: "SAMLUser", principalId: `${qualifier}:${subject}`, userName: subject, identityProvider: qualifier };
  }
  let provider = str(out.Provider);
  let audience = str(out.Audience);
  let subject = str(out.SubjectFromWebIdentityToken);
  if (!subject) {
    const claims = unverifiedClaims((f.input as { WebIdentityToken?: unknown } | undefined)?.WebIdentityToken);
    provider = claims.iss ?? "";
    audience = claims.aud ?? "";
    subject = claims.sub ?? "";
  }
  const host = provider.replace(/^https:\/\//, "");
  return { type: "WebIdentityUser", principalId: `${host}:${audience}:${subject}`, userName: subject, identityProvider: host };
}

function unverifiedClaims(token: unknown): { iss?: string; aud?: string; sub?: string } {
  if (typeof token !== "string") return {};
  try {
    const part = token.split(".")[1] ?? "";
    const c = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const s = (v: unknown): string | undefined =>
      typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined;
    return { iss: s(c.iss), aud: s(c.aud), sub: s(c.sub) };
  } catch {
    return {};
  }
}

/** The resource types of ARNs a record lists in `resources` (AWS's CloudFormation-style names). */
function arnType(arn: string): string | undefined {
  const a = parseArn(arn);
  if (!a) return undefined;
  const kind = a.resource.split(/[/:]/)[0] ?? "";
  const byService: Record<string, Record<string, string> | string> = {
    iam: { role: "AWS::IAM::Role", user: "AWS::IAM::User", group: "AWS::IAM::Group", policy: "AWS::IAM::Policy" },
    s3: a.resource.includes("/") ? "AWS::S3::Object" : "AWS::S3::Bucket",
    kms: { key: "AWS::KMS::Key", alias: "AWS::KMS::Alias" },
    sqs: "AWS::SQS::Queue",
    sns: "AWS::SNS::Topic",
    lambda: "AWS::Lambda::Function",
    ecr: "AWS::ECR::Repository",
  };
  const t = byService[a.service];
  return typeof t === "string" ? t : t?.[kind];
}

/** Input members naming a resource → LookupEvents' ResourceType. */
const RESOURCE_MEMBERS: Record<string, string> = {
  UserName: "AWS::IAM::User",
  GroupName: "AWS::IAM::Group",
  RoleName: "AWS::IAM::Role",
  RoleArn: "AWS::IAM::Role",
  PolicyArn: "AWS::IAM::Policy",
  InstanceProfileName: "AWS::IAM::InstanceProfile",
  AccessKeyId: "AWS::IAM::AccessKey",
  Bucket: "AWS::S3::Bucket",
  QueueUrl: "AWS::SQS::Queue",
  QueueName: "AWS::SQS::Queue",
  KeyId: "AWS::KMS::Key",
  FunctionName: "AWS::Lambda::Function",
  TopicArn: "AWS::SNS::Topic",
  repositoryName: "AWS::ECR::Repository",
};

/** LookupEvents' Resources of a call: what its input names, the access key or session it created, its target ARN. */
export function lookupResources(f: CallFacts): LookupResource[] {
  const out: LookupResource[] = [];
  const add = (type: string | undefined, name: unknown) => {
    if (!type || typeof name !== "string" || !name) return;
    if (!out.some((r) => r.ResourceType === type && r.ResourceName === name)) out.push({ ResourceType: type, ResourceName: name });
  };
  const input = (f.input ?? {}) as Record<string, unknown>;
  for (const [member, type] of Object.entries(RESOURCE_MEMBERS)) add(type, input[member]);
  if (f.service === "s3" && typeof input.Bucket === "string" && typeof input.Key === "string")
    add("AWS::S3::Object", `${input.Bucket}/${input.Key}`);
  const output = (f.output ?? {}) as Record<string, XmlValue>;
  const nested = (o: XmlValue, k: string): XmlValue =>
    o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, XmlValue>)[k] : undefined;
  add("AWS::IAM::AccessKey", nested(output.AccessKey, "AccessKeyId"));
  add("AWS::IAM::AccessKey", nested(output.Credentials, "AccessKeyId"));
  add("AWS::STS::AssumedRole", nested(output.AssumedRoleUser, "Arn"));
  add("AWS::STS::FederatedUser", nested(output.FederatedUser, "Arn"));
  // The target's ARN, unless its input member already named that resource type (`alice`, not her ARN as well).
  const targetType = f.target && f.target.resource !== "*" ? arnType(f.target.resource) : undefined;
  if (targetType && !out.some((r) => r.ResourceType === targetType)) add(targetType, f.target!.resource);
  return out;
}

/** Services whose records carry a `resources` list (ARN, account, type): AWS's STS, KMS and S3 examples do. */
const RECORD_RESOURCES = new Set<ServiceName>(["sts", "kms", "s3", "sqs", "sns", "lambda"]);

/** The caller's name as LookupEvents' Username has it. */
function usernameOf(caller: Caller): string | undefined {
  const p = caller.principal;
  if (p.kind === "root") return "root";
  if (p.kind === "user") return p.username ?? lastSegment(p.arn);
  if (p.kind === "assumedRole" || p.kind === "federatedUser") return lastSegment(p.arn);
  return undefined;
}

/** Whether a call came without credentials of any account (unsigned STS federation). */
function isUnsignedFederation(f: CallFacts): boolean {
  return f.caller.principal.kind === "anonymous" && f.service === "sts";
}

/** The account that owns the role of an unsigned federation call. */
function roleAccount(f: CallFacts): string | undefined {
  if (f.target?.resourceAccount) return f.target.resourceAccount;
  const roleArn = (f.input as { RoleArn?: unknown } | undefined)?.RoleArn;
  return typeof roleArn === "string" ? (parseArn(roleArn)?.account ?? undefined) : undefined;
}

/**
 * The rows of one call: the caller's account's copy and, for a call on another account's resource,
 * that account's copy (same sharedEventID). `ids` makes new UUIDs (eventID, sharedEventID).
 */
export function trailRows(f: CallFacts, newId: () => string): TrailRow[] {
  const p = f.caller.principal;
  const t = f.request.now;
  const region = GLOBAL.has(f.service) ? "us-east-1" : f.request.region || "us-east-1";
  const category = categoryOf(f.service, f.name);
  const resources = lookupResources(f);
  const base: JsonObject = {
    eventVersion: EVENT_VERSION,
    userIdentity: {},
    eventTime: isoSeconds(t),
    eventSource: `${f.service}.amazonaws.com`,
    eventName: f.name,
    awsRegion: region,
    sourceIPAddress: f.request.sourceIp,
    userAgent: f.request.userAgent,
  };
  if (f.error) {
    base.errorCode = f.error.code;
    base.errorMessage = f.error.message;
  }
  Object.assign(base, {
    requestParameters: requestParameters(f),
    responseElements: responseElements(f),
    requestID: f.request.requestId,
    eventID: "",
    readOnly: f.readOnly,
  });
  if (RECORD_RESOURCES.has(f.service) && f.target && f.target.resource !== "*") {
    const type = arnType(f.target.resource);
    const account = f.target.resourceAccount ?? parseArn(f.target.resource)?.account ?? p.account;
    base.resources = [{ accountId: account, ...(type ? { type } : {}), ARN: f.target.resource }];
  }
  Object.assign(base, { eventType: "AwsApiCall", managementEvent: category === "Management", recipientAccountId: "" });
  base.eventCategory = category;
  if (f.request.tlsVersion && f.request.origin)
    base.tlsDetails = { tlsVersion: `TLSv${f.request.tlsVersion}`, clientProvidedHostHeader: new URL(f.request.origin).host };

  const row = (account: string, identity: JsonObject, shared?: string): TrailRow => {
    const eventId = newId();
    const body: JsonObject = {};
    for (const [k, v] of Object.entries(base)) {
      if (k === "eventCategory" && shared) body.sharedEventID = shared; // where AWS's records have it
      body[k] = k === "userIdentity" ? identity : k === "eventID" ? eventId : k === "recipientAccountId" ? account : v;
    }
    const username = identity.type === "AWSAccount" ? undefined : usernameOf(f.caller);
    const key = identity.type === "AWSAccount" ? undefined : f.caller.accessKeyId || undefined;
    return {
      accountId: account,
      eventId,
      eventTime: t,
      eventName: f.name,
      eventSource: `${f.service}.amazonaws.com`,
      category,
      readOnly: f.readOnly,
      ...(username ? { username } : {}),
      ...(key ? { accessKeyId: key } : {}),
      resources,
      body: JSON.stringify(body),
    };
  };

  if (isUnsignedFederation(f)) {
    const account = roleAccount(f);
    if (!account) return [];
    const identity = federationIdentity(f);
    const r = row(account, identity);
    const username = identity.userName;
    if (typeof username === "string" && username) r.username = username;
    return [r];
  }
  // Anonymous S3 callers belong to no account: the bucket owner's copy only.
  const owner = f.foreignAccount;
  if (!p.account) return owner ? [row(owner, userIdentity(f.caller))] : [];
  if (!owner || owner === p.account) return [row(p.account, userIdentity(f.caller))];
  const shared = newId();
  return [row(p.account, userIdentity(f.caller), shared), row(owner, foreignIdentity(f.caller), shared)];
}
