/**
 * Service resources in lab templates (issue 21): S3 buckets (policy, public access block, tags, seed
 * objects), SQS queues (attributes, policy, tags), SNS topics (policy, subscriptions of the account's
 * own queues), KMS keys (found by alias; description, key policy, tags) and ECR repositories
 * (repository policy, tags), each with resource-based policies the engine enforces like any other.
 *
 * Applied through the services' own actions, called as the account's root (src/services/dispatch.ts):
 * ids, ARNs, validation and storage are exactly what an API call makes, and each call lands in the
 * account's CloudTrail as the root's (user agent `iamlab-lab`). Converging: a resource that exists is
 * kept and its policy is replaced only when it differs, so a re-apply writes nothing; a reset (`prune:
 * "all"`) also removes a policy the template does not have and restores seed objects. Resources are
 * applied after the IAM batch: each call is atomic, a failing one is reported with its JSON pointer and
 * leaves the earlier ones in place (a re-apply continues). A template applied to several learners needs
 * `${account}` in bucket names (S3 names are global), checked before anything is applied.
 * EC2 `instances` (with the template's instance profile) are found again by an `iamlab:lab-instance` tag.
 * Lambda `functions` get a package holding their `iamlab.json` program (export reads it back).
 * CloudTrail `trails` are applied last (CreateTrail checks the bucket policy the template's bucket got),
 * with their basic event selectors and logging state (on unless `logging: false`).
 * Organizations: ./organization.ts (labsorg4).
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import type { ActionContext } from "../services/action";
import { callAs, type CallResult } from "../services/dispatch";
import { rootArn } from "../lib/arn";
import { parsePolicy, type PolicyKind } from "../policy/index";
import { enginePolicy } from "../store/ecr-repositories";
import { storedZip } from "../services/lambda/zip";
import { getFunction } from "../store/lambda-functions";
import { PROGRAM_FILE } from "../services/lambda/program";
import { toBase64 } from "../lib/encoding";
import { isObject, pointer, validator } from "./validation";
import { ACCOUNT_VAR, substituteAccount } from "./substitute";
import type { PolicyDocument, Tags, TemplateError } from "./template";
import type { EventSelector } from "../services/cloudtrail/selectors";
import { checkTrailName } from "../services/cloudtrail/trails";

export interface BucketSpec {
  name: string;
  policy?: PolicyDocument;
  publicAccessBlock?: Partial<Record<"BlockPublicAcls" | "IgnorePublicAcls" | "BlockPublicPolicy" | "RestrictPublicBuckets", boolean>>;
  tags?: Tags;
  objects?: { key: string; body: string; contentType?: string }[];
}
export interface QueueSpec {
  name: string;
  policy?: PolicyDocument;
  attributes?: Record<string, string>;
  tags?: Tags;
}
export interface TopicSpec {
  name: string;
  policy?: PolicyDocument;
  tags?: Tags;
  /** the account's own queues (by template name) subscribed to the topic */
  subscriptions?: { queue: string; rawMessageDelivery?: boolean }[];
}
export interface KeySpec {
  /** the alias that identifies the key (without `alias/`) */
  alias: string;
  description?: string;
  policy?: PolicyDocument;
  tags?: Tags;
}
export interface RepositorySpec {
  name: string;
  policy?: PolicyDocument;
  tags?: Tags;
}

/** An EC2 instance found again by its `iamlab:lab-instance` tag (= name); the template's instance profile passes its role. */
export interface InstanceSpec {
  name: string;
  instanceProfile?: string;
  imageId?: string;
  instanceType?: string;
  tags?: Tags;
}

/** A Lambda function: its execution role (a role of the template), and the `iamlab.json` program Invoke runs as that role. */
export interface FunctionSpec {
  name: string;
  role: string;
  runtime?: string;
  handler?: string;
  /** the calls Invoke makes as the execution role (src/services/lambda/program.ts) */
  program?: { service: string; action: string; params?: Record<string, unknown> }[];
  environment?: Record<string, string>;
  /** resource-based permissions (AddPermission) */
  permissions?: { sid: string; principal: string; action?: string; sourceArn?: string }[];
}

/** A CloudTrail trail delivering to a bucket (whose policy must let cloudtrail.amazonaws.com write: the template's bucket policy). */
export interface TrailSpec {
  name: string;
  bucket: string;
  prefix?: string;
  multiRegion?: boolean;
  includeGlobalServiceEvents?: boolean;
  /** logging (default true) */
  logging?: boolean;
  /** basic event selectors (PutEventSelectors); absent: all management events */
  eventSelectors?: EventSelector[];
  tags?: Tags;
}

export interface ResourceSections {
  trails?: TrailSpec[];
  functions?: FunctionSpec[];
  instances?: InstanceSpec[];
  buckets?: BucketSpec[];
  queues?: QueueSpec[];
  topics?: TopicSpec[];
  keys?: KeySpec[];
  repositories?: RepositorySpec[];
}

export const RESOURCE_KEYS = ["buckets", "queues", "topics", "keys", "repositories", "instances", "functions", "trails"] as const;
export const INSTANCE_TAG = "iamlab:lab-instance";
const DEFAULT_IMAGE = "ami-0abcdef1234567890";

// ---------------------------------------------------------------- validation (pure)

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const QUEUE = /^(?:[\w-]{1,80}|[\w-]{1,75}\.fifo)$/;
const TOPIC = /^[\w-]{1,256}$/;
const KEY_ALIAS = /^[\w/-]{1,250}$/;
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const SAMPLE = "123456789012";
const MAX_ITEMS = 50;
const MAX_OBJECT_BYTES = 64 * 1024;

/** Every problem of the resource sections, with JSON pointers; `learners` > 1 requires `${account}` in bucket names. */
export function validateResources(input: Record<string, unknown>, learners = 1): TemplateError[] {
  const errors: TemplateError[] = [];
  const { err, known } = validator(errors);
  const items = (key: string): Record<string, unknown>[] => {
    const v = input[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      err([key], "Must be an array.");
      return [];
    }
    if (v.length > MAX_ITEMS) err([key], `At most ${MAX_ITEMS} items.`);
    return v.map((x, i) => {
      if (isObject(x)) return x;
      err([key, i], "Must be an object.");
      return {};
    });
  };
  const named = (o: Record<string, unknown>, at: (string | number)[], field: string, re: RegExp, what: string): string | undefined => {
    const v = o[field];
    if (typeof v !== "string") return void err([...at, field], "Must be a string.");
    if (!re.test(v.split(ACCOUNT_VAR).join(SAMPLE))) return void err([...at, field], `Must be ${what}.`);
    return v;
  };
  const policy = (o: Record<string, unknown>, at: (string | number)[], kind: PolicyKind = "resource", ecr = false) => {
    if (o.policy === undefined) return;
    if (!isObject(o.policy)) return void err([...at, "policy"], "Must be a policy document (an object with Version and Statement).");
    const text = JSON.stringify(substituteAccount(o.policy, SAMPLE));
    // ECR repository policies have no Resource element: the repository is the resource (as SetRepositoryPolicy reads them).
    const r = parsePolicy(ecr ? enginePolicy(text, `arn:aws:ecr:us-east-1:${SAMPLE}:repository/sample`) : text, kind);
    if (!r.ok) err([...at, "policy"], r.message);
  };
  const tags = (o: Record<string, unknown>, at: (string | number)[]) => {
    if (o.tags === undefined) return;
    if (!isObject(o.tags) || Object.values(o.tags).some((v) => typeof v !== "string"))
      err([...at, "tags"], "Must be an object of tag keys to string values.");
    else if (Object.keys(o.tags).length > 50) err([...at, "tags"], "At most 50 tags.");
  };
  const unique = (list: Record<string, unknown>[], key: string, field: string, what: string) => {
    const seen = new Map<string, number>();
    list.forEach((o, i) => {
      const n = typeof o[field] === "string" ? (o[field] as string).toLowerCase() : undefined;
      if (n === undefined) return;
      if (seen.has(n)) err([key, i, field], `Duplicate ${what} "${o[field] as string}" (also at /${key}/${seen.get(n)}).`);
      else seen.set(n, i);
    });
  };

  const buckets = items("buckets");
  buckets.forEach((b, i) => {
    const at = ["buckets", i];
    known(b, at, ["name", "policy", "publicAccessBlock", "tags", "objects"]);
    const name = named(b, at, "name", BUCKET, "an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens");
    if (name && learners > 1 && !name.includes(ACCOUNT_VAR))
      err([...at, "name"], `Bucket names are global: a template applied to ${learners} learners needs ${ACCOUNT_VAR} in each bucket name.`);
    policy(b, at);
    tags(b, at);
    const pab = b.publicAccessBlock;
    if (pab !== undefined) {
      if (!isObject(pab)) err([...at, "publicAccessBlock"], "Must be an object of the four public access block settings.");
      else
        for (const [k, v] of Object.entries(pab))
          if (!["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"].includes(k) || typeof v !== "boolean")
            err(
              [...at, "publicAccessBlock", k],
              "Must be one of BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets: true or false.",
            );
    }
    const objects = b.objects;
    if (objects !== undefined) {
      if (!Array.isArray(objects) || objects.length > 20) err([...at, "objects"], "Must be an array of at most 20 objects.");
      else
        for (const [j, o] of objects.entries()) {
          if (!isObject(o) || typeof o.key !== "string" || !o.key || o.key.length > 1024 || typeof o.body !== "string") {
            err([...at, "objects", j], "Must be {key, body, contentType?} with a key of 1-1024 characters and a string body.");
            continue;
          }
          known(o, [...at, "objects", j], ["key", "body", "contentType"]);
          if (new TextEncoder().encode(o.body).byteLength > MAX_OBJECT_BYTES)
            err([...at, "objects", j, "body"], "At most 64 KB per seed object.");
        }
    }
  });
  unique(buckets, "buckets", "name", "bucket name");

  const queues = items("queues");
  queues.forEach((q, i) => {
    const at = ["queues", i];
    known(q, at, ["name", "policy", "attributes", "tags"]);
    named(q, at, "name", QUEUE, "an SQS queue name: 1-80 letters, digits, - and _ (FIFO: ending in .fifo)");
    policy(q, at);
    tags(q, at);
    if (q.attributes !== undefined && (!isObject(q.attributes) || Object.values(q.attributes).some((v) => typeof v !== "string")))
      err([...at, "attributes"], "Must be an object of SQS attribute names to string values.");
    if (isObject(q.attributes) && "Policy" in q.attributes) err([...at, "attributes", "Policy"], 'Give the queue policy as "policy".');
  });
  unique(queues, "queues", "name", "queue name");

  const queueNames = new Set(queues.map((q) => (typeof q.name === "string" ? q.name : "")));
  const topics = items("topics");
  topics.forEach((t, i) => {
    const at = ["topics", i];
    known(t, at, ["name", "policy", "tags", "subscriptions"]);
    named(t, at, "name", TOPIC, "an SNS topic name: 1-256 letters, digits, - and _");
    policy(t, at);
    tags(t, at);
    const subs = t.subscriptions;
    if (subs !== undefined) {
      if (!Array.isArray(subs)) err([...at, "subscriptions"], "Must be an array of {queue}.");
      else
        for (const [j, s] of subs.entries()) {
          if (!isObject(s) || typeof s.queue !== "string") {
            err([...at, "subscriptions", j], "Must be {queue: <a queue of this template>}.");
            continue;
          }
          if (!queueNames.has(s.queue)) err([...at, "subscriptions", j, "queue"], `No queue named ${s.queue} in this template.`);
          if (s.rawMessageDelivery !== undefined && typeof s.rawMessageDelivery !== "boolean")
            err([...at, "subscriptions", j, "rawMessageDelivery"], "Must be true or false.");
        }
    }
  });
  unique(topics, "topics", "name", "topic name");

  const keys = items("keys");
  keys.forEach((k, i) => {
    const at = ["keys", i];
    known(k, at, ["alias", "description", "policy", "tags"]);
    const alias = named(k, at, "alias", KEY_ALIAS, "a KMS alias name (without alias/): letters, digits, /, _ and -");
    if (alias?.toLowerCase().startsWith("aws/")) err([...at, "alias"], "Aliases beginning with aws/ are reserved for AWS managed keys.");
    if (k.description !== undefined && (typeof k.description !== "string" || k.description.length > 8192))
      err([...at, "description"], "Must be a string of at most 8192 characters.");
    policy(k, at);
    tags(k, at);
  });
  unique(keys, "keys", "alias", "key alias");

  const repositories = items("repositories");
  repositories.forEach((r, i) => {
    const at = ["repositories", i];
    known(r, at, ["name", "policy", "tags"]);
    named(r, at, "name", REPOSITORY, "an ECR repository name: lower-case letters, digits, and . _ - / between them");
    policy(r, at, "resource", true);
    tags(r, at);
  });
  unique(repositories, "repositories", "name", "repository name");

  const profiles = new Set(
    (Array.isArray(input.instanceProfiles) ? input.instanceProfiles : []).map((p) =>
      isObject(p) && typeof p.name === "string" ? p.name : "",
    ),
  );
  const instances = items("instances");
  instances.forEach((x, i) => {
    const at = ["instances", i];
    known(x, at, ["name", "instanceProfile", "imageId", "instanceType", "tags"]);
    named(x, at, "name", /^[\w.@+=:/-]{1,128}$/, "1-128 letters, digits and _.@+=:/-");
    if (x.instanceProfile !== undefined && (typeof x.instanceProfile !== "string" || !profiles.has(x.instanceProfile)))
      err([...at, "instanceProfile"], `No instance profile named ${String(x.instanceProfile)} in this template.`);
    if (x.imageId !== undefined && (typeof x.imageId !== "string" || !/^ami-[0-9a-f]{8,17}$/.test(x.imageId)))
      err([...at, "imageId"], "Must be an AMI id (ami-…).");
    if (x.instanceType !== undefined && typeof x.instanceType !== "string") err([...at, "instanceType"], "Must be a string.");
    tags(x, at);
  });
  unique(instances, "instances", "name", "instance name");

  const roles = new Set(
    (Array.isArray(input.roles) ? input.roles : []).map((r) => (isObject(r) && typeof r.name === "string" ? r.name : "")),
  );
  const functions = items("functions");
  functions.forEach((f, i) => {
    const at = ["functions", i];
    known(f, at, ["name", "role", "runtime", "handler", "program", "environment", "permissions"]);
    named(f, at, "name", /^[\w-]{1,64}$/, "a Lambda function name: 1-64 letters, digits, - and _");
    if (typeof f.role !== "string" || !roles.has(f.role)) err([...at, "role"], `Must name a role of this template (the execution role).`);
    if (f.program !== undefined) {
      if (!Array.isArray(f.program) || f.program.length > 20)
        err([...at, "program"], "Must be a list of at most 20 calls {service, action, params?}.");
      else
        for (const [j, call] of f.program.entries())
          if (
            !isObject(call) ||
            typeof call.service !== "string" ||
            typeof call.action !== "string" ||
            (call.params !== undefined && !isObject(call.params))
          )
            err([...at, "program", j], "Must be {service, action, params?}.");
    }
    if (f.environment !== undefined && (!isObject(f.environment) || Object.values(f.environment).some((v) => typeof v !== "string")))
      err([...at, "environment"], "Must be an object of variable names to string values.");
    if (f.permissions !== undefined) {
      if (!Array.isArray(f.permissions)) err([...at, "permissions"], "Must be a list of {sid, principal, action?, sourceArn?}.");
      else
        for (const [j, p] of f.permissions.entries())
          if (!isObject(p) || typeof p.sid !== "string" || !/^[\w-]{1,100}$/.test(p.sid) || typeof p.principal !== "string")
            err([...at, "permissions", j], "Must be {sid (1-100 letters, digits, - and _), principal, action?, sourceArn?}.");
    }
  });
  unique(functions, "functions", "name", "function name");

  const trails = items("trails");
  trails.forEach((tr, i) => {
    const at = ["trails", i];
    known(tr, at, ["name", "bucket", "prefix", "multiRegion", "includeGlobalServiceEvents", "logging", "eventSelectors", "tags"]);
    if (typeof tr.name !== "string") err([...at, "name"], "Must be a string.");
    else
      try {
        checkTrailName(tr.name);
      } catch (e) {
        err([...at, "name"], e instanceof Error ? e.message : String(e));
      }
    named(tr, at, "bucket", BUCKET, "an S3 bucket name (the bucket the trail delivers to)");
    if (tr.prefix !== undefined && (typeof tr.prefix !== "string" || tr.prefix.length > 200 || /^\/|\/$/.test(tr.prefix)))
      err([...at, "prefix"], "Must be a key prefix of at most 200 characters, not starting or ending with /.");
    for (const k of ["multiRegion", "includeGlobalServiceEvents", "logging"])
      if (tr[k] !== undefined && typeof tr[k] !== "boolean") err([...at, k], "Must be true or false.");
    const sel = tr.eventSelectors;
    if (sel !== undefined) {
      if (!Array.isArray(sel) || sel.length < 1 || sel.length > 5) err([...at, "eventSelectors"], "Must be a list of 1-5 event selectors.");
      else
        for (const [j, x] of sel.entries()) {
          if (!isObject(x)) {
            err(
              [...at, "eventSelectors", j],
              "Must be {ReadWriteType?, IncludeManagementEvents?, DataResources?, ExcludeManagementEventSources?}.",
            );
            continue;
          }
          known(
            x,
            [...at, "eventSelectors", j],
            ["ReadWriteType", "IncludeManagementEvents", "DataResources", "ExcludeManagementEventSources"],
          );
          if (x.ReadWriteType !== undefined && !["ReadOnly", "WriteOnly", "All"].includes(x.ReadWriteType as string))
            err([...at, "eventSelectors", j, "ReadWriteType"], "Must be ReadOnly, WriteOnly or All.");
          if (x.DataResources !== undefined && !Array.isArray(x.DataResources))
            err([...at, "eventSelectors", j, "DataResources"], "Must be a list of {Type, Values}.");
          for (const [k, d] of (Array.isArray(x.DataResources) ? x.DataResources : []).entries())
            if (!isObject(d) || !["AWS::S3::Object", "AWS::Lambda::Function"].includes(d.Type as string) || !Array.isArray(d.Values))
              err(
                [...at, "eventSelectors", j, "DataResources", k],
                "Must be {Type: AWS::S3::Object | AWS::Lambda::Function, Values: [ARN or prefix …]}.",
              );
        }
    }
    tags(tr, at);
  });
  unique(trails, "trails", "name", "trail name");
  return errors;
}

// ---------------------------------------------------------------- applying

export interface ResourceChanges {
  created: string[];
  updated: string[];
}

/** JSON documents compared by meaning (key order and whitespace aside). */
export function sameDoc(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, norm(v[k])]),
          )
        : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
function parseDoc(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(decodeURIComponent(text));
    } catch {
      return undefined;
    }
  }
}

const tagList = (t: Tags | undefined, k = "Key", v = "Value") => Object.entries(t ?? {}).map(([key, value]) => ({ [k]: key, [v]: value }));

/**
 * Converges an existing resource's tags to the template's (when it names tags; on a reset, no tags
 * means none): sets what differs and removes the others. True when something changed.
 */
async function convergeTags(
  current: Tags | undefined,
  want: Tags | undefined,
  reset: boolean,
  set: (tags: Tags) => Promise<CallResult>,
  remove: (keys: string[]) => Promise<CallResult>,
): Promise<boolean> {
  if (want === undefined && !reset) return false;
  const cur = current ?? {};
  const target = want ?? {};
  const changed = Object.fromEntries(Object.entries(target).filter(([k, v]) => cur[k] !== v));
  const gone = Object.keys(cur).filter((k) => !(k in target));
  if (Object.keys(changed).length) await set(changed);
  if (gone.length) await remove(gone);
  return Object.keys(changed).length > 0 || gone.length > 0;
}

/** A service's tag list (`[{Key, Value}]`, KMS's `[{TagKey, TagValue}]`) as a template's tags; undefined when none. */
function tagsFrom(list: unknown, k = "Key", v = "Value"): Tags | undefined {
  if (!Array.isArray(list) || !list.length) return undefined;
  const out: Tags = {};
  for (const x of list as Record<string, unknown>[]) if (typeof x[k] === "string") out[x[k] as string] = String(x[v] ?? "");
  return Object.keys(out).length ? out : undefined;
}

/** The account's root as the caller of the services' actions (and of Organizations': ./organization.ts). */
export function rootContext(env: Env, db: Db, account: string, now: number, waits: Promise<unknown>[]): ActionContext {
  return {
    env,
    db,
    caller: { principal: { kind: "root", account, arn: rootArn(account), userId: account }, accessKeyId: "", generation: 0 },
    request: {
      requestId: crypto.randomUUID(),
      now,
      sourceIp: "127.0.0.1",
      region: "us-east-1",
      userAgent: "iamlab-lab",
      secureTransport: true,
    },
    waitUntil: (p) => void waits.push(p.catch(() => undefined)),
  };
}

/**
 * Creates or converges the template's resources in `account`. `reset`: also remove policies the
 * template does not give and rewrite seed objects. Returns the changes, or the first failure's pointer.
 */
export async function applyResources(
  env: Env,
  db: Db,
  account: string,
  raw: ResourceSections,
  o: { now: number; reset: boolean },
): Promise<{ ok: true; changes: ResourceChanges } | { ok: false; errors: TemplateError[] }> {
  const t = substituteAccount(raw, account);
  const waits: Promise<unknown>[] = [];
  const ctx = rootContext(env, db, account, o.now, waits);
  const changes: ResourceChanges = { created: [], updated: [] };
  const fail = (at: (string | number)[], code: string, message: string) => ({
    ok: false as const,
    errors: [{ path: pointer(at), message: `${code}: ${message}` }],
  });
  const run = async (service: string, action: string, params: Record<string, unknown>) => callAs(ctx, service, action, params);
  try {
    // ---- S3
    for (const [i, b] of (t.buckets ?? []).entries()) {
      const at = ["buckets", i];
      const made = await run("s3", "CreateBucket", { Bucket: b.name });
      if (made.ok) changes.created.push(`bucket/${b.name}`);
      else if (made.error.code !== "BucketAlreadyOwnedByYou") return fail([...at, "name"], made.error.code, made.error.message);
      if (b.publicAccessBlock) {
        const r = await run("s3", "PutPublicAccessBlock", { Bucket: b.name, PublicAccessBlockConfiguration: b.publicAccessBlock });
        if (!r.ok) return fail([...at, "publicAccessBlock"], r.error.code, r.error.message);
      }
      const cur = await run("s3", "GetBucketPolicy", { Bucket: b.name });
      const curDoc = cur.ok ? parseDoc((cur.output as { Policy?: string }).Policy) : undefined;
      if (b.policy && !sameDoc(curDoc, b.policy)) {
        const r = await run("s3", "PutBucketPolicy", { Bucket: b.name, Policy: JSON.stringify(b.policy) });
        if (!r.ok) return fail([...at, "policy"], r.error.code, r.error.message);
        if (!made.ok) changes.updated.push(`bucket/${b.name}/policy`);
      } else if (!b.policy && curDoc !== undefined && o.reset) {
        await run("s3", "DeleteBucketPolicy", { Bucket: b.name });
        changes.updated.push(`bucket/${b.name}/policy`);
      }
      if (b.tags) await run("s3", "PutBucketTagging", { Bucket: b.name, Tagging: { TagSet: tagList(b.tags) } });
      for (const [j, obj] of (b.objects ?? []).entries()) {
        if (!o.reset && !made.ok && (await run("s3", "HeadObject", { Bucket: b.name, Key: obj.key })).ok) continue;
        const r = await run("s3", "PutObject", {
          Bucket: b.name,
          Key: obj.key,
          Body: obj.body,
          ContentType: obj.contentType ?? "text/plain",
        });
        if (!r.ok) return fail([...at, "objects", j], r.error.code, r.error.message);
      }
    }
    // ---- SQS
    const queueArns = new Map<string, string>();
    for (const [i, q] of (t.queues ?? []).entries()) {
      const at = ["queues", i];
      const found = await run("sqs", "GetQueueUrl", { QueueName: q.name });
      let url: string;
      if (!found.ok) {
        const attrs: Record<string, string> = { ...(q.attributes ?? {}) };
        if (q.name.endsWith(".fifo")) attrs.FifoQueue = "true";
        if (q.policy) attrs.Policy = JSON.stringify(q.policy);
        const r = await run("sqs", "CreateQueue", { QueueName: q.name, Attributes: attrs, ...(q.tags ? { tags: q.tags } : {}) });
        if (!r.ok) return fail([...at, "name"], r.error.code, r.error.message);
        url = (r.output as { QueueUrl: string }).QueueUrl;
        changes.created.push(`queue/${q.name}`);
      } else {
        url = (found.output as { QueueUrl: string }).QueueUrl;
        const cur = await run("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] });
        const curAttrs = cur.ok ? ((cur.output as { Attributes?: Record<string, string> }).Attributes ?? {}) : {};
        const set: Record<string, string> = {};
        for (const [k, v] of Object.entries(q.attributes ?? {})) if (curAttrs[k] !== v) set[k] = v;
        const curPolicy = parseDoc(curAttrs.Policy);
        if (q.policy && !sameDoc(curPolicy, q.policy)) set.Policy = JSON.stringify(q.policy);
        else if (!q.policy && curPolicy !== undefined && o.reset) set.Policy = "";
        if (Object.keys(set).length) {
          const r = await run("sqs", "SetQueueAttributes", { QueueUrl: url, Attributes: set });
          if (!r.ok) return fail([...at, set.Policy !== undefined ? "policy" : "attributes"], r.error.code, r.error.message);
          changes.updated.push(`queue/${q.name}`);
        }
        const qt = await run("sqs", "ListQueueTags", { QueueUrl: url });
        const tagged = await convergeTags(
          qt.ok ? (qt.output as { Tags?: Tags }).Tags : undefined,
          q.tags,
          o.reset,
          (tags) => run("sqs", "TagQueue", { QueueUrl: url, Tags: tags }),
          (keys) => run("sqs", "UntagQueue", { QueueUrl: url, TagKeys: keys }),
        );
        if (tagged) changes.updated.push(`queue/${q.name}/tags`);
      }
      queueArns.set(q.name, `arn:aws:sqs:us-east-1:${account}:${q.name}`);
      void url;
    }
    // ---- SNS
    for (const [i, tp] of (t.topics ?? []).entries()) {
      const at = ["topics", i];
      // Tags only when creating: SNS refuses CreateTopic of an existing topic with other tags (they converge below).
      const existed = (await run("sns", "GetTopicAttributes", { TopicArn: `arn:aws:sns:us-east-1:${account}:${tp.name}` })).ok;
      const r = await run("sns", "CreateTopic", { Name: tp.name, ...(tp.tags && !existed ? { Tags: tagList(tp.tags) } : {}) });
      if (!r.ok) return fail([...at, "name"], r.error.code, r.error.message);
      const arn = (r.output as { TopicArn: string }).TopicArn;
      const tt = await run("sns", "ListTagsForResource", { ResourceArn: arn });
      const topicTagged = await convergeTags(
        tt.ok ? tagsFrom((tt.output as { Tags?: unknown }).Tags) : undefined,
        tp.tags,
        o.reset,
        (tags) => run("sns", "TagResource", { ResourceArn: arn, Tags: tagList(tags) }),
        (keys) => run("sns", "UntagResource", { ResourceArn: arn, TagKeys: keys }),
      );
      if (topicTagged) changes.updated.push(`topic/${tp.name}/tags`);
      const attrs = await run("sns", "GetTopicAttributes", { TopicArn: arn });
      const curPolicy = attrs.ok ? parseDoc((attrs.output as { Attributes?: Record<string, string> }).Attributes?.Policy) : undefined;
      if (tp.policy && !sameDoc(curPolicy, tp.policy)) {
        const s = await run("sns", "SetTopicAttributes", {
          TopicArn: arn,
          AttributeName: "Policy",
          AttributeValue: JSON.stringify(tp.policy),
        });
        if (!s.ok) return fail([...at, "policy"], s.error.code, s.error.message);
        changes.updated.push(`topic/${tp.name}/policy`);
      }
      if (tp.subscriptions?.length) {
        const listed = await run("sns", "ListSubscriptionsByTopic", { TopicArn: arn });
        const have = new Set(
          listed.ok
            ? ((listed.output as { Subscriptions?: { Endpoint?: string }[] }).Subscriptions ?? []).map((s) => s.Endpoint ?? "")
            : [],
        );
        for (const [j, sub] of tp.subscriptions.entries()) {
          const endpoint = queueArns.get(sub.queue) ?? `arn:aws:sqs:us-east-1:${account}:${sub.queue}`;
          if (have.has(endpoint)) continue;
          const s = await run("sns", "Subscribe", { TopicArn: arn, Protocol: "sqs", Endpoint: endpoint, ReturnSubscriptionArn: true });
          if (!s.ok) return fail([...at, "subscriptions", j], s.error.code, s.error.message);
          const subArn = (s.output as { SubscriptionArn?: string }).SubscriptionArn;
          if (sub.rawMessageDelivery && subArn)
            await run("sns", "SetSubscriptionAttributes", {
              SubscriptionArn: subArn,
              AttributeName: "RawMessageDelivery",
              AttributeValue: "true",
            });
          changes.created.push(`subscription/${tp.name}/${sub.queue}`);
        }
      }
    }
    // ---- KMS (a key is found by its alias)
    for (const [i, k] of (t.keys ?? []).entries()) {
      const at = ["keys", i];
      const aliasName = `alias/${k.alias}`;
      const found = await run("kms", "DescribeKey", { KeyId: aliasName });
      if (!found.ok) {
        const r = await run("kms", "CreateKey", {
          ...(k.description !== undefined ? { Description: k.description } : {}),
          ...(k.policy ? { Policy: JSON.stringify(k.policy) } : {}),
          ...(k.tags ? { Tags: tagList(k.tags, "TagKey", "TagValue") } : {}),
        });
        if (!r.ok) return fail([...at, k.policy ? "policy" : "alias"], r.error.code, r.error.message);
        const keyId = (r.output as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
        const a = await run("kms", "CreateAlias", { AliasName: aliasName, TargetKeyId: keyId });
        if (!a.ok) return fail([...at, "alias"], a.error.code, a.error.message);
        changes.created.push(`key/${k.alias}`);
      } else {
        const keyId = (found.output as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
        if (k.policy) {
          const cur = await run("kms", "GetKeyPolicy", { KeyId: keyId, PolicyName: "default" });
          if (!cur.ok || !sameDoc(parseDoc((cur.output as { Policy?: string }).Policy), k.policy)) {
            const r = await run("kms", "PutKeyPolicy", { KeyId: keyId, PolicyName: "default", Policy: JSON.stringify(k.policy) });
            if (!r.ok) return fail([...at, "policy"], r.error.code, r.error.message);
            changes.updated.push(`key/${k.alias}/policy`);
          }
        }
        const kt = await run("kms", "ListResourceTags", { KeyId: keyId });
        const keyTagged = await convergeTags(
          kt.ok ? tagsFrom((kt.output as { Tags?: unknown }).Tags, "TagKey", "TagValue") : undefined,
          k.tags,
          o.reset,
          (tags) => run("kms", "TagResource", { KeyId: keyId, Tags: tagList(tags, "TagKey", "TagValue") }),
          (keys) => run("kms", "UntagResource", { KeyId: keyId, TagKeys: keys }),
        );
        if (keyTagged) changes.updated.push(`key/${k.alias}/tags`);
      }
    }
    // ---- ECR
    for (const [i, repo] of (t.repositories ?? []).entries()) {
      const at = ["repositories", i];
      const found = await run("ecr", "DescribeRepositories", { repositoryNames: [repo.name] });
      if (!found.ok) {
        const r = await run("ecr", "CreateRepository", { repositoryName: repo.name, ...(repo.tags ? { tags: tagList(repo.tags) } : {}) });
        if (!r.ok) return fail([...at, "name"], r.error.code, r.error.message);
        changes.created.push(`repository/${repo.name}`);
      } else {
        const repoArn = ((found.output as { repositories?: { repositoryArn?: string }[] }).repositories ?? [])[0]?.repositoryArn;
        if (repoArn) {
          const rt = await run("ecr", "ListTagsForResource", { resourceArn: repoArn });
          const repoTagged = await convergeTags(
            rt.ok ? tagsFrom((rt.output as { tags?: unknown }).tags) : undefined,
            repo.tags,
            o.reset,
            (tags) => run("ecr", "TagResource", { resourceArn: repoArn, tags: tagList(tags) }),
            (keys) => run("ecr", "UntagResource", { resourceArn: repoArn, tagKeys: keys }),
          );
          if (repoTagged) changes.updated.push(`repository/${repo.name}/tags`);
        }
      }
      const cur = await run("ecr", "GetRepositoryPolicy", { repositoryName: repo.name });
      const curDoc = cur.ok ? parseDoc((cur.output as { policyText?: string }).policyText) : undefined;
      if (repo.policy && !sameDoc(curDoc, repo.policy)) {
        const r = await run("ecr", "SetRepositoryPolicy", { repositoryName: repo.name, policyText: JSON.stringify(repo.policy) });
        if (!r.ok) return fail([...at, "policy"], r.error.code, r.error.message);
        if (found.ok) changes.updated.push(`repository/${repo.name}/policy`);
      } else if (!repo.policy && curDoc !== undefined && o.reset) {
        await run("ecr", "DeleteRepositoryPolicy", { repositoryName: repo.name });
        changes.updated.push(`repository/${repo.name}/policy`);
      }
    }
    // ---- EC2 (an instance is found again by its iamlab:lab-instance tag)
    for (const [i, x] of (t.instances ?? []).entries()) {
      const at = ["instances", i];
      const found = await run("ec2", "DescribeInstances", {
        Filters: [
          { Name: `tag:${INSTANCE_TAG}`, Values: [x.name] },
          { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
        ],
      });
      const have = found.ok
        ? ((found.output as { Reservations?: { Instances?: unknown[] }[] }).Reservations ?? []).flatMap((r) => r.Instances ?? [])
        : [];
      if (have.length) continue;
      const r = await run("ec2", "RunInstances", {
        ImageId: x.imageId ?? DEFAULT_IMAGE,
        InstanceType: x.instanceType ?? "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        ...(x.instanceProfile ? { IamInstanceProfile: { Name: x.instanceProfile } } : {}),
        TagSpecifications: [
          { ResourceType: "instance", Tags: [{ Key: INSTANCE_TAG, Value: x.name }, { Key: "Name", Value: x.name }, ...tagList(x.tags)] },
        ],
      });
      if (!r.ok) return fail([...at, x.instanceProfile ? "instanceProfile" : "name"], r.error.code, r.error.message);
      changes.created.push(`instance/${x.name}`);
    }
    // ---- Lambda (after the IAM batch: the execution role exists; as root, iam:PassRole is allowed)
    for (const [i, f] of (t.functions ?? []).entries()) {
      const at = ["functions", i];
      const found = await run("lambda", "GetFunction", { FunctionName: f.name });
      if (!found.ok) {
        // Without a program the package holds a placeholder handler (iamlab runs no code; Invoke answers null).
        const file = f.program?.length
          ? {
              name: PROGRAM_FILE,
              text: JSON.stringify({ calls: f.program.map((c) => ({ ...c, params: c.params ?? {} })), failOnError: false }),
            }
          : { name: "index.js", text: "exports.handler = async () => null;\n" };
        const zip = storedZip([{ name: file.name, data: new TextEncoder().encode(file.text) }]);
        const r = await run("lambda", "CreateFunction", {
          FunctionName: f.name,
          Runtime: f.runtime ?? "nodejs20.x",
          Handler: f.handler ?? "index.handler",
          Role: `arn:aws:iam::${account}:role/${f.role}`,
          Code: { ZipFile: toBase64(zip) },
          ...(f.environment ? { Environment: { Variables: f.environment } } : {}),
        });
        if (!r.ok)
          return fail(
            [...at, r.error.message.includes(PROGRAM_FILE) ? "program" : /role/i.test(r.error.message) ? "role" : "name"],
            r.error.code,
            r.error.message,
          );
        changes.created.push(`function/${f.name}`);
      }
      if (f.permissions?.length) {
        const pol = await run("lambda", "GetPolicy", { FunctionName: f.name });
        const sids = new Set(
          pol.ok
            ? (
                (parseDoc((pol.output as { Policy?: string }).Policy) as { Statement?: { Sid?: string }[] } | undefined)?.Statement ?? []
              ).map((x) => x.Sid)
            : [],
        );
        for (const [j, p] of f.permissions.entries()) {
          if (sids.has(p.sid)) continue;
          const r = await run("lambda", "AddPermission", {
            FunctionName: f.name,
            StatementId: p.sid,
            Principal: p.principal,
            Action: p.action ?? "lambda:InvokeFunction",
            ...(p.sourceArn ? { SourceArn: p.sourceArn } : {}),
          });
          if (!r.ok) return fail([...at, "permissions", j], r.error.code, r.error.message);
          changes.updated.push(`function/${f.name}/permission/${p.sid}`);
        }
      }
    }
    // ---- CloudTrail (after the buckets: CreateTrail checks the bucket policy)
    for (const [i, tr] of (t.trails ?? []).entries()) {
      const at = ["trails", i];
      const got = await run("cloudtrail", "GetTrail", { Name: tr.name });
      const want = {
        S3BucketName: tr.bucket,
        S3KeyPrefix: tr.prefix ?? "",
        IsMultiRegionTrail: tr.multiRegion ?? false,
        IncludeGlobalServiceEvents: tr.includeGlobalServiceEvents ?? true,
      };
      if (!got.ok) {
        const r = await run("cloudtrail", "CreateTrail", {
          Name: tr.name,
          ...want,
          S3KeyPrefix: tr.prefix, // none: no prefix (UpdateTrail below takes "" for that)
          ...(tr.tags ? { TagsList: tagList(tr.tags) } : {}),
        });
        if (!r.ok) return fail([...at, r.error.code.includes("Bucket") ? "bucket" : "name"], r.error.code, r.error.message);
        changes.created.push(`trail/${tr.name}`);
      } else {
        const cur = (got.output as { Trail?: Record<string, unknown> }).Trail ?? {};
        const curView = {
          S3BucketName: cur.S3BucketName,
          S3KeyPrefix: cur.S3KeyPrefix ?? "",
          IsMultiRegionTrail: cur.IsMultiRegionTrail,
          IncludeGlobalServiceEvents: cur.IncludeGlobalServiceEvents,
        };
        if (!sameDoc(curView, want)) {
          const r = await run("cloudtrail", "UpdateTrail", { Name: tr.name, ...want });
          if (!r.ok) return fail([...at, "bucket"], r.error.code, r.error.message);
          changes.updated.push(`trail/${tr.name}`);
        }
        const trailArn = String(cur.TrailARN ?? "");
        const lt = await run("cloudtrail", "ListTags", { ResourceIdList: [trailArn] });
        const trailTagged = await convergeTags(
          lt.ok ? tagsFrom((lt.output as { ResourceTagList?: { TagsList?: unknown }[] }).ResourceTagList?.[0]?.TagsList) : undefined,
          tr.tags,
          o.reset,
          (tags) => run("cloudtrail", "AddTags", { ResourceId: trailArn, TagsList: tagList(tags) }),
          (keys) => run("cloudtrail", "RemoveTags", { ResourceId: trailArn, TagsList: keys.map((Key) => ({ Key })) }),
        );
        if (trailTagged) changes.updated.push(`trail/${tr.name}/tags`);
      }
      const sel = await run("cloudtrail", "GetEventSelectors", { TrailName: tr.name });
      const curSel = sel.ok ? (sel.output as { EventSelectors?: unknown }).EventSelectors : undefined;
      const wantSel = normalSelectors(tr.eventSelectors ?? DEFAULT_TRAIL_SELECTORS);
      if (!sameDoc(normalSelectors((curSel as EventSelector[] | undefined) ?? DEFAULT_TRAIL_SELECTORS), wantSel)) {
        const r = await run("cloudtrail", "PutEventSelectors", { TrailName: tr.name, EventSelectors: wantSel });
        if (!r.ok) return fail([...at, "eventSelectors"], r.error.code, r.error.message);
        if (got.ok) changes.updated.push(`trail/${tr.name}/eventSelectors`);
      }
      const status = await run("cloudtrail", "GetTrailStatus", { Name: tr.name });
      const logging = status.ok && (status.output as { IsLogging?: boolean }).IsLogging === true;
      const wantLogging = tr.logging ?? true;
      if (logging !== wantLogging) {
        const r = await run("cloudtrail", wantLogging ? "StartLogging" : "StopLogging", { Name: tr.name });
        if (!r.ok) return fail([...at, "logging"], r.error.code, r.error.message);
        if (got.ok) changes.updated.push(`trail/${tr.name}/logging`);
      }
    }
    return { ok: true, changes };
  } finally {
    await Promise.all(waits);
  }
}

const DEFAULT_TRAIL_SELECTORS: EventSelector[] = [{ ReadWriteType: "All", IncludeManagementEvents: true }];

/** Basic event selectors with CloudTrail's defaults filled in (as GetEventSelectors answers them). */
function normalSelectors(list: readonly EventSelector[]): EventSelector[] {
  return list.map((x) => ({
    ReadWriteType: x.ReadWriteType ?? "All",
    IncludeManagementEvents: x.IncludeManagementEvents ?? true,
    DataResources: (x.DataResources ?? []).map((d) => ({ Type: d.Type, Values: d.Values ?? [] })),
    ExcludeManagementEventSources: x.ExcludeManagementEventSources ?? [],
  }));
}

/** Whether a template has any resource section. */
export function hasResources(t: ResourceSections): boolean {
  return RESOURCE_KEYS.some((k) => (t[k]?.length ?? 0) > 0);
}

/** `123456789012` → `${account}` (or `name`) in every string (as the IAM part of an export does). */
export function generalize<T>(value: T, account: string, name = ACCOUNT_VAR): T {
  if (typeof value === "string") return value.split(account).join(name) as T;
  if (Array.isArray(value)) return value.map((v) => generalize(v, account, name)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, generalize(v, account, name)])) as T;
  return value;
}

/**
 * The account's resources as template sections: names and resource policies (and a bucket's public
 * access block). Data (objects, messages) and service defaults are not exported, so applying the
 * export to a new account and exporting that gives the same sections.
 */
export async function exportResources(env: Env, db: Db, account: string): Promise<ResourceSections> {
  const waits: Promise<unknown>[] = [];
  const ctx = rootContext(env, db, account, Date.now(), waits);
  const run = (service: string, action: string, params: Record<string, unknown> = {}) => callAs(ctx, service, action, params);
  const out: ResourceSections = {};
  try {
    const buckets = await run("s3", "ListBuckets", {});
    for (const b of buckets.ok ? ((buckets.output as { Buckets?: { Name: string }[] }).Buckets ?? []) : []) {
      const spec: BucketSpec = { name: b.Name };
      const p = await run("s3", "GetBucketPolicy", { Bucket: b.Name });
      const doc = p.ok ? parseDoc((p.output as { Policy?: string }).Policy) : undefined;
      if (isObject(doc)) spec.policy = doc;
      const pab = await run("s3", "GetPublicAccessBlock", { Bucket: b.Name });
      const cfg = pab.ok
        ? (pab.output as { PublicAccessBlockConfiguration?: BucketSpec["publicAccessBlock"] }).PublicAccessBlockConfiguration
        : undefined;
      if (cfg) spec.publicAccessBlock = cfg;
      const tagging = await run("s3", "GetBucketTagging", { Bucket: b.Name });
      const bucketTags = tagging.ok ? tagsFrom((tagging.output as { TagSet?: unknown }).TagSet) : undefined;
      if (bucketTags) spec.tags = bucketTags;
      (out.buckets ??= []).push(spec);
    }
    const queues = await run("sqs", "ListQueues", {});
    for (const url of queues.ok ? ((queues.output as { QueueUrls?: string[] }).QueueUrls ?? []) : []) {
      const name = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
      const spec: QueueSpec = { name };
      const a = await run("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["Policy"] });
      const doc = a.ok ? parseDoc((a.output as { Attributes?: Record<string, string> }).Attributes?.Policy) : undefined;
      if (isObject(doc)) spec.policy = doc;
      const qt = await run("sqs", "ListQueueTags", { QueueUrl: url });
      const queueTags = qt.ok ? (qt.output as { Tags?: Record<string, string> }).Tags : undefined;
      if (queueTags && Object.keys(queueTags).length) spec.tags = queueTags;
      (out.queues ??= []).push(spec);
    }
    const topics = await run("sns", "ListTopics", {});
    for (const { TopicArn } of topics.ok ? ((topics.output as { Topics?: { TopicArn: string }[] }).Topics ?? []) : []) {
      const spec: TopicSpec = { name: TopicArn.slice(TopicArn.lastIndexOf(":") + 1) };
      const a = await run("sns", "GetTopicAttributes", { TopicArn });
      const doc = a.ok ? parseDoc((a.output as { Attributes?: Record<string, string> }).Attributes?.Policy) : undefined;
      if (isObject(doc)) spec.policy = doc;
      const subs = await run("sns", "ListSubscriptionsByTopic", { TopicArn });
      const queueSubs = (
        subs.ok ? ((subs.output as { Subscriptions?: { Protocol?: string; Endpoint?: string }[] }).Subscriptions ?? []) : []
      )
        .filter((s) => s.Protocol === "sqs" && s.Endpoint?.includes(`:${account}:`))
        .map((s) => ({ queue: s.Endpoint!.slice(s.Endpoint!.lastIndexOf(":") + 1) }));
      if (queueSubs.length) spec.subscriptions = queueSubs;
      const tt = await run("sns", "ListTagsForResource", { ResourceArn: TopicArn });
      const topicTags = tt.ok ? tagsFrom((tt.output as { Tags?: unknown }).Tags) : undefined;
      if (topicTags) spec.tags = topicTags;
      (out.topics ??= []).push(spec);
    }
    const aliases = await run("kms", "ListAliases", {});
    for (const a of aliases.ok ? ((aliases.output as { Aliases?: { AliasName: string; TargetKeyId?: string }[] }).Aliases ?? []) : []) {
      if (!a.TargetKeyId || a.AliasName.startsWith("alias/aws/")) continue;
      const spec: KeySpec = { alias: a.AliasName.slice("alias/".length) };
      const d = await run("kms", "DescribeKey", { KeyId: a.TargetKeyId });
      const description = d.ok ? (d.output as { KeyMetadata?: { Description?: string } }).KeyMetadata?.Description : undefined;
      if (description) spec.description = description;
      const p = await run("kms", "GetKeyPolicy", { KeyId: a.TargetKeyId, PolicyName: "default" });
      const doc = p.ok ? parseDoc((p.output as { Policy?: string }).Policy) : undefined;
      if (isObject(doc)) spec.policy = doc;
      const kt = await run("kms", "ListResourceTags", { KeyId: a.TargetKeyId });
      const keyTags = kt.ok ? tagsFrom((kt.output as { Tags?: unknown }).Tags, "TagKey", "TagValue") : undefined;
      if (keyTags) spec.tags = keyTags;
      (out.keys ??= []).push(spec);
    }
    const reservations = await run("ec2", "DescribeInstances", {
      Filters: [{ Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }],
    });
    type Described = {
      Tags?: { Key: string; Value: string }[];
      IamInstanceProfile?: { Arn?: string };
      ImageId?: string;
      InstanceType?: string;
    };
    for (const inst of reservations.ok
      ? ((reservations.output as { Reservations?: { Instances?: Described[] }[] }).Reservations ?? []).flatMap((r) => r.Instances ?? [])
      : []) {
      const name = inst.Tags?.find((x) => x.Key === INSTANCE_TAG)?.Value;
      if (!name) continue; // only the template's own instances (a learner's are data)
      const spec: InstanceSpec = { name };
      const profileArn = inst.IamInstanceProfile?.Arn;
      if (profileArn) spec.instanceProfile = profileArn.slice(profileArn.lastIndexOf("/") + 1);
      if (inst.ImageId && inst.ImageId !== DEFAULT_IMAGE) spec.imageId = inst.ImageId;
      if (inst.InstanceType && inst.InstanceType !== "t3.micro") spec.instanceType = inst.InstanceType;
      const tags = Object.fromEntries(
        (inst.Tags ?? []).filter((x) => x.Key !== INSTANCE_TAG && !(x.Key === "Name" && x.Value === name)).map((x) => [x.Key, x.Value]),
      );
      if (Object.keys(tags).length) spec.tags = tags;
      (out.instances ??= []).push(spec);
    }
    const fns = await run("lambda", "ListFunctions", {});
    for (const fn of fns.ok
      ? ((
          fns.output as {
            Functions?: {
              FunctionName: string;
              Role: string;
              Runtime?: string;
              Handler?: string;
              Environment?: { Variables?: Record<string, string> };
            }[];
          }
        ).Functions ?? [])
      : []) {
      const spec: FunctionSpec = { name: fn.FunctionName, role: fn.Role.slice(fn.Role.lastIndexOf("/") + 1) };
      if (fn.Runtime && fn.Runtime !== "nodejs20.x") spec.runtime = fn.Runtime;
      if (fn.Handler && fn.Handler !== "index.handler") spec.handler = fn.Handler;
      if (fn.Environment?.Variables && Object.keys(fn.Environment.Variables).length) spec.environment = fn.Environment.Variables;
      // The program as the package's iamlab.json holds it (kept parsed with the function).
      const row = await getFunction(db, { accountId: account, region: ctx.request.region || "us-east-1", name: fn.FunctionName });
      const program = row?.program ? parseDoc(row.program) : undefined;
      const calls =
        isObject(program) && Array.isArray(program.calls) ? (program.calls as { service: string; action: string; params?: object }[]) : [];
      if (calls.length)
        spec.program = calls.map((c) => ({
          service: c.service,
          action: c.action,
          ...(c.params && Object.keys(c.params).length ? { params: c.params as Record<string, unknown> } : {}),
        }));
      const pol = await run("lambda", "GetPolicy", { FunctionName: fn.FunctionName });
      const statements = pol.ok
        ? ((
            parseDoc((pol.output as { Policy?: string }).Policy) as {
              Statement?: {
                Sid?: string;
                Principal?: { Service?: string; AWS?: string };
                Action?: string;
                Condition?: { ArnLike?: Record<string, string> };
              }[];
            }
          )?.Statement ?? [])
        : [];
      const permissions = statements.map((x) => ({
        sid: x.Sid ?? "",
        principal: x.Principal?.Service ?? x.Principal?.AWS ?? "",
        ...(x.Action && x.Action !== "lambda:InvokeFunction" ? { action: x.Action } : {}),
        ...(x.Condition?.ArnLike?.["AWS:SourceArn"] ? { sourceArn: x.Condition.ArnLike["AWS:SourceArn"] } : {}),
      }));
      if (permissions.length) spec.permissions = permissions;
      (out.functions ??= []).push(spec);
    }
    const trails = await run("cloudtrail", "ListTrails", {});
    for (const x of trails.ok ? ((trails.output as { Trails?: { TrailARN: string; Name: string }[] }).Trails ?? []) : []) {
      const got = await run("cloudtrail", "GetTrail", { Name: x.TrailARN });
      const tr = got.ok ? ((got.output as { Trail?: Record<string, unknown> }).Trail ?? {}) : {};
      const spec: TrailSpec = { name: x.Name, bucket: String(tr.S3BucketName ?? "") };
      if (typeof tr.S3KeyPrefix === "string") spec.prefix = tr.S3KeyPrefix;
      if (tr.IsMultiRegionTrail === true) spec.multiRegion = true;
      if (tr.IncludeGlobalServiceEvents === false) spec.includeGlobalServiceEvents = false;
      const status = await run("cloudtrail", "GetTrailStatus", { Name: x.TrailARN });
      if (status.ok && (status.output as { IsLogging?: boolean }).IsLogging !== true) spec.logging = false;
      const sel = await run("cloudtrail", "GetEventSelectors", { TrailName: x.TrailARN });
      const selectors = sel.ok ? (sel.output as { EventSelectors?: EventSelector[] }).EventSelectors : undefined;
      if (selectors && !sameDoc(normalSelectors(selectors), normalSelectors(DEFAULT_TRAIL_SELECTORS)))
        spec.eventSelectors = selectors.map((e) => ({
          ...(e.ReadWriteType && e.ReadWriteType !== "All" ? { ReadWriteType: e.ReadWriteType } : {}),
          ...(e.IncludeManagementEvents === false ? { IncludeManagementEvents: false } : {}),
          ...(e.DataResources?.length ? { DataResources: e.DataResources } : {}),
          ...(e.ExcludeManagementEventSources?.length ? { ExcludeManagementEventSources: e.ExcludeManagementEventSources } : {}),
        }));
      const lt = await run("cloudtrail", "ListTags", { ResourceIdList: [x.TrailARN] });
      const trailTags = lt.ok
        ? tagsFrom((lt.output as { ResourceTagList?: { TagsList?: unknown }[] }).ResourceTagList?.[0]?.TagsList)
        : undefined;
      if (trailTags) spec.tags = trailTags;
      (out.trails ??= []).push(spec);
    }
    const repos = await run("ecr", "DescribeRepositories", {});
    for (const r of repos.ok ? ((repos.output as { repositories?: { repositoryName: string }[] }).repositories ?? []) : []) {
      const spec: RepositorySpec = { name: r.repositoryName };
      const p = await run("ecr", "GetRepositoryPolicy", { repositoryName: r.repositoryName });
      const doc = p.ok ? parseDoc((p.output as { policyText?: string }).policyText) : undefined;
      if (isObject(doc)) spec.policy = doc;
      const rt = await run("ecr", "ListTagsForResource", { resourceArn: (r as { repositoryArn?: string }).repositoryArn });
      const repoTags = rt.ok ? tagsFrom((rt.output as { tags?: unknown }).tags) : undefined;
      if (repoTags) spec.tags = repoTags;
      (out.repositories ??= []).push(spec);
    }
  } finally {
    await Promise.all(waits);
  }
  return generalize(out, account);
}
