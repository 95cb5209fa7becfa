/**
 * CloudTrail trails (JSON 1.1): CreateTrail, GetTrail, DescribeTrails, ListTrails, UpdateTrail,
 * DeleteTrail, StartLogging, StopLogging, GetTrailStatus, Get/PutEventSelectors, AddTags,
 * ListTags, RemoveTags — authorized as `cloudtrail:<Action>` on the trail's ARN
 * (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`). A logging trail delivers log files to its
 * bucket (./delivery.ts). Error codes are CloudTrail's model's; the messages are AWS's as users
 * quote them ("Unknown trail: … for the user: …", "Incorrect S3 bucket policy is detected for
 * bucket: …", the trail-name rules) where found, iamlab's wording elsewhere (S3BucketDoesNotExist,
 * the trail quota, selectors, tags). Not served: organization trails, SNS notifications, CloudWatch
 * Logs delivery, SSE-KMS of log files and digest files (settings are kept and returned).
 */
import { defineAction, type ActionContext, type AuthzTarget, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import { getBucket } from "../../store/s3-buckets";
import { latestSegmentSeq } from "../../store/cloudtrail-events";
import {
  createTrail,
  deleteTrail,
  getTrail,
  listTrails,
  updateTrail,
  MAX_TRAILS,
  type NewTrail,
  type TrailChanges,
  type TrailRow,
} from "../../store/cloudtrail-trails";
import { durableStub } from "../../lib/durable";
import { bucketPolicyAllows, trailArn } from "./trail-bucket";
import { parseSelectors, type AdvancedEventSelector, type EventSelector } from "./selectors";

const e400 = (code: string, message: string) => new AwsError(code, message, 400);
// The statuses of CloudTrail's Smithy model (httpError) where they are not 400.
const e403 = (code: string, message: string) => new AwsError(code, message, 403);
const e404 = (code: string, message: string) => new AwsError(code, message, 404);

// ---- names, ARNs, lookups ----

/** AWS's trail-name rules, in the order (and words) CloudTrail reports them. */
export function checkTrailName(name: string): void {
  const bad = (m: string) => e400("InvalidTrailNameException", m);
  if (name.length < 3)
    throw bad(`Trail name too short. Minimum allowed length: 3 characters. Specified name length: ${name.length} characters.`);
  if (name.length > 128)
    throw bad(`Trail name too long. Maximum allowed length: 128 characters. Specified name length: ${name.length} characters.`);
  if (!/^[0-9a-zA-Z]/.test(name)) throw bad("Trail name must starts with a letter or number.");
  if (!/[0-9a-zA-Z]$/.test(name)) throw bad("Trail name must ends with a letter or number.");
  if (!/^[.\-_0-9a-zA-Z]+$/.test(name))
    throw bad(
      "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).",
    );
  if (/[._-]{2}/.test(name)) throw bad("Trail name cannot have adjacent periods, underscores or dashes.");
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) throw bad("Trail name cannot be formatted as an IP address.");
}

const ARN = /^arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

interface TrailRef {
  accountId: string;
  region: string;
  name: string;
}

/** A `Name` / `TrailName` / `ResourceId` parameter: a name in the request's region, or a trail ARN. */
function trailRef(ctx: ActionContext, nameOrArn: string | undefined): TrailRef {
  const account = ctx.caller.principal.account;
  if (nameOrArn === undefined || nameOrArn === "") throw e400("InvalidTrailNameException", "Trail name or ARN must be specified.");
  const m = ARN.exec(nameOrArn);
  if (m) return { region: m[1]!, accountId: m[2]!, name: m[3]! };
  checkTrailName(nameOrArn);
  return { accountId: account, region: ctx.request.region || "us-east-1", name: nameOrArn };
}

const notFound = (ctx: ActionContext, ref: TrailRef) =>
  e404("TrailNotFoundException", `Unknown trail: ${trailArn(ref)} for the user: ${ctx.caller.principal.account}`);

/** The trail a call names: in the caller's account only (another account's ARN is unknown to it), or a multi-region trail's shadow. */
async function loadTrail(ctx: ActionContext, ref: TrailRef): Promise<TrailRow> {
  if (ref.accountId !== ctx.caller.principal.account) throw notFound(ctx, ref);
  const t = await getTrail(ctx.db, ref.accountId, ref.region, ref.name);
  if (t) return t;
  // A multi-region trail answers by name in every region (its "shadow trails").
  const shadow = (await listTrails(ctx.db, ref.accountId)).find((x) => x.name === ref.name && x.multiRegion === 1);
  if (shadow) return shadow;
  throw notFound(ctx, ref);
}

const trailTarget = (ref: TrailRef, context?: Record<string, string | string[]>): AuthzTarget => ({
  resource: trailArn(ref),
  resourceAccount: ref.accountId,
  ...(context ? { context } : {}),
});

// ---- tags ----

interface Tag {
  Key?: string;
  Value?: string;
}

function tagsOf(json: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(json);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function checkTags(list: readonly Tag[], existing: Record<string, string> = {}): Record<string, string> {
  const out = { ...existing };
  for (const t of list) {
    const key = t.Key ?? "";
    if (key.length < 1 || key.length > 128)
      throw e400("InvalidTagParameterException", `Tag key must be between 1 and 128 characters: ${key}`);
    if ((t.Value ?? "").length > 256)
      throw e400("InvalidTagParameterException", `Tag value for key ${key} must be at most 256 characters.`);
    if (key.toLowerCase().startsWith("aws:")) throw e400("InvalidTagParameterException", "Tag keys starting with 'aws:' are reserved.");
    out[key] = t.Value ?? "";
  }
  if (Object.keys(out).length > 50) throw e400("TagsLimitExceededException", "The number of tags on the resource would exceed 50.");
  return out;
}

const tagList = (tags: Record<string, string>): XmlValue => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const requestTagContext = (list: readonly Tag[]): Record<string, string | string[]> | undefined =>
  list.length
    ? {
        ...Object.fromEntries(list.map((t) => [`aws:RequestTag/${t.Key ?? ""}`, t.Value ?? ""])),
        "aws:TagKeys": list.map((t) => t.Key ?? ""),
      }
    : undefined;

// ---- shapes ----

function trailOut(t: TrailRow, withHome: boolean): Record<string, XmlValue> {
  const o: Record<string, XmlValue> = { Name: t.name, S3BucketName: t.s3Bucket };
  if (t.s3KeyPrefix !== null) o.S3KeyPrefix = t.s3KeyPrefix;
  if (t.snsTopicName !== null) {
    o.SnsTopicName = t.snsTopicName;
    o.SnsTopicARN = `arn:aws:sns:${t.region}:${t.accountId}:${t.snsTopicName}`;
  }
  o.IncludeGlobalServiceEvents = t.includeGlobal === 1;
  o.IsMultiRegionTrail = t.multiRegion === 1;
  if (withHome) o.HomeRegion = t.region;
  o.TrailARN = trailArn(t);
  o.LogFileValidationEnabled = t.logValidation === 1;
  if (t.cwLogGroupArn !== null) o.CloudWatchLogsLogGroupArn = t.cwLogGroupArn;
  if (t.cwRoleArn !== null) o.CloudWatchLogsRoleArn = t.cwRoleArn;
  if (t.kmsKeyId !== null) o.KmsKeyId = t.kmsKeyId;
  if (withHome) {
    o.HasCustomEventSelectors = t.eventSelectors !== null || t.advancedEventSelectors !== null;
    o.HasInsightSelectors = false;
  }
  o.IsOrganizationTrail = false;
  return o;
}

// ---- settings shared by CreateTrail and UpdateTrail ----

interface TrailSettings {
  S3BucketName?: string;
  S3KeyPrefix?: string;
  SnsTopicName?: string;
  IncludeGlobalServiceEvents?: boolean;
  IsMultiRegionTrail?: boolean;
  EnableLogFileValidation?: boolean;
  CloudWatchLogsLogGroupArn?: string;
  CloudWatchLogsRoleArn?: string;
  KmsKeyId?: string;
  IsOrganizationTrail?: boolean;
}

function checkSettings(i: TrailSettings): void {
  if (i.IsOrganizationTrail === true)
    throw e400("UnsupportedOperationException", "Organization trails are not served by iamlab: create a trail in each account.");
  if (i.S3KeyPrefix !== undefined && i.S3KeyPrefix.length > 200)
    throw e400("InvalidS3PrefixException", "S3 prefix must be at most 200 characters long.");
  if (i.S3KeyPrefix !== undefined && (i.S3KeyPrefix.endsWith("/") || i.S3KeyPrefix.startsWith("/")))
    throw e400("InvalidS3PrefixException", `Invalid S3 prefix: ${i.S3KeyPrefix}. The prefix must not start or end with a slash.`);
  if (i.CloudWatchLogsRoleArn !== undefined && i.CloudWatchLogsLogGroupArn === undefined)
    throw e400("InvalidCloudWatchLogsLogGroupArnException", "You must specify a log group and role ARN.");
}

/** The bucket must exist and its policy must let CloudTrail deliver this trail (checked as AWS does, on create and on update). */
async function checkBucket(ctx: ActionContext, trail: TrailRow): Promise<void> {
  const bucket = await getBucket(ctx.db, trail.s3Bucket);
  if (!bucket) throw e404("S3BucketDoesNotExistException", `S3 bucket ${trail.s3Bucket} does not exist.`);
  const r = await bucketPolicyAllows(ctx, trail, bucket);
  if (!r.allowed) {
    ctx.decisionId = r.decisionId;
    throw e403("InsufficientS3BucketPolicyException", `Incorrect S3 bucket policy is detected for bucket: ${trail.s3Bucket}`);
  }
}

// ---- actions ----

interface CreateInput extends TrailSettings {
  Name: string;
  S3BucketName: string;
  TagsList?: Tag[];
}

export const CreateTrail = defineAction({
  service: "cloudtrail",
  name: "CreateTrail",
  effect: "none",
  input: {},
  load: (raw, ctx: ActionContext) => {
    const i = raw as CreateInput;
    checkTrailName(i.Name);
    return { accountId: ctx.caller.principal.account, region: ctx.request.region || "us-east-1", name: i.Name };
  },
  target: (raw, _ctx, ref: TrailRef) => trailTarget(ref, requestTagContext((raw as CreateInput).TagsList ?? [])),
  handler: async (raw, ctx, ref: TrailRef) => {
    const i = raw as CreateInput;
    checkSettings(i);
    const tags = checkTags(i.TagsList ?? []);
    const row: NewTrail = {
      ...ref,
      s3Bucket: i.S3BucketName,
      s3KeyPrefix: i.S3KeyPrefix ?? null,
      snsTopicName: i.SnsTopicName ?? null,
      includeGlobal: i.IncludeGlobalServiceEvents === false ? 0 : 1,
      multiRegion: i.IsMultiRegionTrail === true ? 1 : 0,
      logValidation: i.EnableLogFileValidation === true ? 1 : 0,
      kmsKeyId: i.KmsKeyId ?? null,
      cwLogGroupArn: i.CloudWatchLogsLogGroupArn ?? null,
      cwRoleArn: i.CloudWatchLogsRoleArn ?? null,
      tags: JSON.stringify(tags),
      createdAt: ctx.request.now,
    };
    const full = rowOf(row);
    if (await getTrail(ctx.db, ref.accountId, ref.region, ref.name))
      throw e400("TrailAlreadyExistsException", `Trail ${ref.name} already exists for customer: ${ref.accountId}`);
    await checkBucket(ctx, full);
    const created = await createTrail(ctx.db, row);
    if (created === "exists") throw e400("TrailAlreadyExistsException", `Trail ${ref.name} already exists for customer: ${ref.accountId}`);
    if (created === "limit")
      throw e403("MaximumNumberOfTrailsExceededException", `User: ${ref.accountId} already has ${MAX_TRAILS} trails in ${ref.region}.`);
    return trailOut(full, false);
  },
});

/** A new trail's full row (defaults for what CreateTrail does not set). */
function rowOf(t: NewTrail): TrailRow {
  return {
    ...t,
    eventSelectors: null,
    advancedEventSelectors: null,
    isLogging: 0,
    startLoggingTime: null,
    stopLoggingTime: null,
    deliveredSeq: 0,
    latestDeliveryTime: null,
    latestDeliveryError: null,
    latestDeliveryAttemptTime: null,
    latestDeliveryAttemptOk: null,
  };
}

interface NameInput {
  Name?: string;
}

/** An action on one named trail: the ref from `Name`, the trail loaded, authorized on its ARN. */
function onTrail<I extends object>(
  name: string,
  nameOf: (i: I) => string | undefined,
  handler: (i: I, ctx: ActionContext, t: TrailRow) => Promise<XmlValue | undefined> | XmlValue | undefined,
  effect: "read" | "none" = "none",
): RegisteredAction {
  return defineAction({
    service: "cloudtrail",
    name,
    // `read` for AWS's Read/List actions (only IAM and STS answers are ever cached: a trail's status is always fresh)
    effect,
    input: {},
    load: (raw, ctx: ActionContext) => loadTrail(ctx, trailRef(ctx, nameOf(raw as I))),
    target: (_raw, _ctx, t: TrailRow) => trailTarget(t),
    handler: (raw, ctx, t: TrailRow) => handler(raw as I, ctx, t),
  });
}

export const GetTrail = onTrail<NameInput>(
  "GetTrail",
  (i) => i.Name,
  (_i, _ctx, t) => ({ Trail: trailOut(t, true) }),
  "read",
);

export const UpdateTrail = onTrail<NameInput & TrailSettings>(
  "UpdateTrail",
  (i) => i.Name,
  async (i, ctx, t) => {
    checkSettings(i);
    const changes: TrailChanges = {};
    if (i.S3BucketName !== undefined) changes.s3Bucket = i.S3BucketName;
    // An empty prefix removes it (the CLI's --s3-key-prefix "").
    if (i.S3KeyPrefix !== undefined) changes.s3KeyPrefix = i.S3KeyPrefix === "" ? null : i.S3KeyPrefix;
    if (i.SnsTopicName !== undefined) changes.snsTopicName = i.SnsTopicName === "" ? null : i.SnsTopicName;
    if (i.IncludeGlobalServiceEvents !== undefined) changes.includeGlobal = i.IncludeGlobalServiceEvents ? 1 : 0;
    if (i.IsMultiRegionTrail !== undefined) changes.multiRegion = i.IsMultiRegionTrail ? 1 : 0;
    if (i.EnableLogFileValidation !== undefined) changes.logValidation = i.EnableLogFileValidation ? 1 : 0;
    if (i.KmsKeyId !== undefined) changes.kmsKeyId = i.KmsKeyId === "" ? null : i.KmsKeyId;
    if (i.CloudWatchLogsLogGroupArn !== undefined)
      changes.cwLogGroupArn = i.CloudWatchLogsLogGroupArn === "" ? null : i.CloudWatchLogsLogGroupArn;
    if (i.CloudWatchLogsRoleArn !== undefined) changes.cwRoleArn = i.CloudWatchLogsRoleArn === "" ? null : i.CloudWatchLogsRoleArn;
    const next: TrailRow = { ...t, ...changes };
    if (changes.s3Bucket !== undefined || changes.s3KeyPrefix !== undefined) await checkBucket(ctx, next);
    if (!(await updateTrail(ctx.db, t, changes))) throw notFound(ctx, t);
    return trailOut(next, false);
  },
);

export const DeleteTrail = onTrail<NameInput>(
  "DeleteTrail",
  (i) => i.Name,
  async (_i, ctx, t) => {
    // AWS: "This operation must be called from the Region in which the trail was created."
    if (t.region !== (ctx.request.region || "us-east-1"))
      throw e400("InvalidHomeRegionException", `The trail ${t.name} can be deleted only in its home region ${t.region}.`);
    if (!(await deleteTrail(ctx.db, t))) throw notFound(ctx, t);
    return {};
  },
);

/** The account's delivery Durable Object: it runs the account's logging trails on an alarm. */
export function deliveryStub(ctx: Pick<ActionContext, "env">, account: string) {
  const ns = ctx.env.TRAIL_DELIVERY;
  return ns ? durableStub(ns, account, "TRAIL_DELIVERY", account) : undefined;
}

export const StartLogging = onTrail<NameInput>(
  "StartLogging",
  (i) => i.Name,
  async (_i, ctx, t) => {
    if (t.isLogging !== 1) {
      // Only what happens from now on is the trail's: its cursor starts at the newest segment.
      const seq = await latestSegmentSeq(ctx.db, t.accountId);
      await updateTrail(ctx.db, t, { isLogging: 1, startLoggingTime: ctx.request.now, deliveredSeq: seq });
    }
    await deliveryStub(ctx, t.accountId)?.schedule(t.accountId);
    return {};
  },
);

export const StopLogging = onTrail<NameInput>(
  "StopLogging",
  (i) => i.Name,
  async (_i, ctx, t) => {
    if (t.isLogging === 1) {
      await updateTrail(ctx.db, t, { isLogging: 0, stopLoggingTime: ctx.request.now });
      // What was recorded until now still goes out, on the next alarm (or deliver-now).
      await deliveryStub(ctx, t.accountId)?.schedule(t.accountId);
    }
    return {};
  },
);

const isoOrEmpty = (ms: number | null): string => (ms === null ? "" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

export const GetTrailStatus = onTrail<NameInput>(
  "GetTrailStatus",
  (i) => i.Name,
  (_i, _ctx, t) => {
    const o: Record<string, XmlValue> = { IsLogging: t.isLogging === 1 };
    if (t.latestDeliveryError !== null) o.LatestDeliveryError = t.latestDeliveryError;
    if (t.latestDeliveryTime !== null) o.LatestDeliveryTime = new Date(t.latestDeliveryTime);
    if (t.startLoggingTime !== null) o.StartLoggingTime = new Date(t.startLoggingTime);
    if (t.stopLoggingTime !== null) o.StopLoggingTime = new Date(t.stopLoggingTime);
    o.LatestDeliveryAttemptTime = isoOrEmpty(t.latestDeliveryAttemptTime);
    o.LatestNotificationAttemptTime = "";
    o.LatestNotificationAttemptSucceeded = "";
    o.LatestDeliveryAttemptSucceeded = t.latestDeliveryAttemptOk === 1 ? isoOrEmpty(t.latestDeliveryAttemptTime) : "";
    o.TimeLoggingStarted = isoOrEmpty(t.startLoggingTime);
    o.TimeLoggingStopped = isoOrEmpty(t.stopLoggingTime);
    return o;
  },
  "read",
);

const DEFAULT_SELECTORS: EventSelector[] = [
  { ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
];

export const GetEventSelectors = onTrail<{ TrailName?: string }>(
  "GetEventSelectors",
  (i) => i.TrailName,
  (_i, _ctx, t) => {
    const advanced = parseSelectors<AdvancedEventSelector>(t.advancedEventSelectors);
    if (advanced) return { TrailARN: trailArn(t), AdvancedEventSelectors: advanced as unknown as XmlValue };
    return {
      TrailARN: trailArn(t),
      EventSelectors: (parseSelectors<EventSelector>(t.eventSelectors) ?? DEFAULT_SELECTORS) as unknown as XmlValue,
    };
  },
  "read",
);

const DATA_TYPES = new Set(["AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"]);
const FIELDS = new Set([
  "eventCategory",
  "eventSource",
  "eventName",
  "readOnly",
  "resources.type",
  "resources.ARN",
  "eventType",
  "errorCode",
]);

function checkBasic(list: EventSelector[]): EventSelector[] {
  const bad = (m: string) => e400("InvalidEventSelectorsException", m);
  if (list.length < 1 || list.length > 5) throw bad("You can specify from 1 to 5 event selectors.");
  return list.map((s) => {
    if (s.ReadWriteType !== undefined && !["ReadOnly", "WriteOnly", "All"].includes(s.ReadWriteType))
      throw bad(`Invalid ReadWriteType: ${s.ReadWriteType}.`);
    for (const d of s.DataResources ?? []) if (!DATA_TYPES.has(d.Type)) throw bad(`Invalid data resource type: ${d.Type}.`);
    return {
      ReadWriteType: s.ReadWriteType ?? "All",
      IncludeManagementEvents: s.IncludeManagementEvents ?? true,
      DataResources: (s.DataResources ?? []).map((d) => ({ Type: d.Type, Values: d.Values ?? [] })),
      ExcludeManagementEventSources: s.ExcludeManagementEventSources ?? [],
    };
  });
}

function checkAdvanced(list: AdvancedEventSelector[]): AdvancedEventSelector[] {
  const bad = (m: string) => e400("InvalidEventSelectorsException", m);
  if (list.length < 1 || list.length > 500) throw bad("You can specify from 1 to 500 advanced event selectors.");
  for (const s of list) {
    if (!s.FieldSelectors?.length) throw bad("Each advanced event selector needs at least one field selector.");
    for (const f of s.FieldSelectors) if (!FIELDS.has(f.Field)) throw bad(`Invalid field: ${f.Field}.`);
    if (!s.FieldSelectors.some((f) => f.Field === "eventCategory"))
      throw bad("Each advanced event selector must have a field selector for eventCategory.");
  }
  return list;
}

export const PutEventSelectors = onTrail<{
  TrailName?: string;
  EventSelectors?: EventSelector[];
  AdvancedEventSelectors?: AdvancedEventSelector[];
}>(
  "PutEventSelectors",
  (i) => i.TrailName,
  async (i, ctx, t) => {
    if ((i.EventSelectors === undefined) === (i.AdvancedEventSelectors === undefined))
      throw e400("InvalidParameterCombinationException", "You must specify either EventSelectors or AdvancedEventSelectors, but not both.");
    if (i.EventSelectors) {
      const basic = checkBasic(i.EventSelectors);
      // AWS: at most 250 data resources over all selectors of a trail.
      const values = basic.reduce((n, s) => n + (s.DataResources ?? []).reduce((m, d) => m + (d.Values?.length ?? 0), 0), 0);
      if (values > 250)
        throw e400("InvalidEventSelectorsException", "A trail can have at most 250 data resources over all its event selectors.");
      await updateTrail(ctx.db, t, { eventSelectors: JSON.stringify(basic), advancedEventSelectors: null });
      return { TrailARN: trailArn(t), EventSelectors: basic as unknown as XmlValue };
    }
    const advanced = checkAdvanced(i.AdvancedEventSelectors ?? []);
    await updateTrail(ctx.db, t, { advancedEventSelectors: JSON.stringify(advanced), eventSelectors: null });
    return { TrailARN: trailArn(t), AdvancedEventSelectors: advanced as unknown as XmlValue };
  },
);

/** The trail a tagging call names by ARN (CloudTrailARNInvalidException for anything else). */
function taggedRef(ctx: ActionContext, id: string | undefined): TrailRef {
  const m = ARN.exec(id ?? "");
  if (!m) throw e400("CloudTrailARNInvalidException", `Invalid trail ARN: ${id ?? ""}`);
  return trailRef(ctx, id);
}

async function loadTagged(ctx: ActionContext, id: string | undefined): Promise<TrailRow> {
  const ref = taggedRef(ctx, id);
  try {
    return await loadTrail(ctx, ref);
  } catch {
    throw e400("ResourceNotFoundException", `Resource not found: ${id ?? ""}`);
  }
}

interface TagInput {
  ResourceId?: string;
  TagsList?: Tag[];
}

export const AddTags = defineAction({
  service: "cloudtrail",
  name: "AddTags",
  effect: "none",
  input: {},
  load: (raw, ctx: ActionContext) => loadTagged(ctx, (raw as TagInput).ResourceId),
  target: (raw, _ctx, t: TrailRow) => trailTarget(t, requestTagContext((raw as TagInput).TagsList ?? [])),
  handler: async (raw, ctx, t: TrailRow) => {
    const tags = checkTags((raw as TagInput).TagsList ?? [], tagsOf(t.tags));
    await updateTrail(ctx.db, t, { tags: JSON.stringify(tags) });
    return {};
  },
});

export const RemoveTags = defineAction({
  service: "cloudtrail",
  name: "RemoveTags",
  effect: "none",
  input: {},
  load: (raw, ctx: ActionContext) => loadTagged(ctx, (raw as TagInput).ResourceId),
  target: (raw, _ctx, t: TrailRow) => trailTarget(t, { "aws:TagKeys": ((raw as TagInput).TagsList ?? []).map((x) => x.Key ?? "") }),
  handler: async (raw, ctx, t: TrailRow) => {
    const tags = tagsOf(t.tags);
    for (const x of (raw as TagInput).TagsList ?? []) if (x.Key !== undefined) delete tags[x.Key];
    await updateTrail(ctx.db, t, { tags: JSON.stringify(tags) });
    return {};
  },
});

export const ListTags = defineAction({
  service: "cloudtrail",
  name: "ListTags",
  effect: "read",
  input: {},
  load: async (raw, ctx: ActionContext) => {
    const ids = (raw as { ResourceIdList?: string[] }).ResourceIdList ?? [];
    if (ids.length > 20) throw e400("InvalidParameterException", "ResourceIdList can name at most 20 trails.");
    return Promise.all(ids.map((id) => loadTagged(ctx, id)));
  },
  // Authorized on the first trail named (each is the caller's own: loadTagged refuses others).
  target: (_raw, ctx: ActionContext, ts: TrailRow[]) =>
    ts[0]
      ? trailTarget(ts[0])
      : { resource: `arn:aws:cloudtrail:${ctx.request.region || "us-east-1"}:${ctx.caller.principal.account}:trail/*` },
  handler: (_raw, _ctx, ts: TrailRow[]) => ({
    ResourceTagList: ts.map((t) => ({ ResourceId: trailArn(t), TagsList: tagList(tagsOf(t.tags)) })),
  }),
});

export const DescribeTrails = defineAction({
  service: "cloudtrail",
  name: "DescribeTrails",
  effect: "read",
  input: {},
  target: (_raw, ctx: ActionContext) => ({ resource: "*", resourceAccount: ctx.caller.principal.account }),
  handler: async (raw, ctx) => {
    const i = raw as { trailNameList?: string[]; includeShadowTrails?: boolean };
    const region = ctx.request.region || "us-east-1";
    const shadows = i.includeShadowTrails !== false;
    const all = (await listTrails(ctx.db, ctx.caller.principal.account)).filter(
      (t) => t.region === region || (shadows && t.multiRegion === 1),
    );
    const wanted = i.trailNameList ?? [];
    const picked = wanted.length ? all.filter((t) => wanted.includes(t.name) || wanted.includes(trailArn(t))) : all;
    return { trailList: picked.map((t) => trailOut(t, true)) };
  },
});

export const ListTrails = defineAction({
  service: "cloudtrail",
  name: "ListTrails",
  effect: "read",
  input: {},
  target: (_raw, ctx: ActionContext) => ({ resource: "*", resourceAccount: ctx.caller.principal.account }),
  handler: async (_raw, ctx) => ({
    Trails: (await listTrails(ctx.db, ctx.caller.principal.account)).map((t) => ({
      TrailARN: trailArn(t),
      Name: t.name,
      HomeRegion: t.region,
    })),
  }),
});

export const trailActions: RegisteredAction[] = [
  CreateTrail,
  GetTrail,
  DescribeTrails,
  ListTrails,
  UpdateTrail,
  DeleteTrail,
  StartLogging,
  StopLogging,
  GetTrailStatus,
  GetEventSelectors,
  PutEventSelectors,
  AddTags,
  RemoveTags,
  ListTags,
];
