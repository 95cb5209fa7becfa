/**
 * How an API action is declared: its literal name, its effect on the account, its input shape
 * (decoded generically), one load step, the authorization target it asks for (checked before the
 * handler runs), and the handler returning a plain value that the protocol serializer writes.
 */
import type { Env } from "../env";
import type { Caller } from "../auth/caller";
import type { RequestSignature } from "../auth/sigv4";
import type { Fields, InferFields } from "../protocol/shapes";
import type { XmlValue } from "../protocol/xml";
import type { Db } from "../store/db";
import type { Write } from "../store/write";
import type { ActionEffect } from "../cache/index";
import type { PendingResourcePolicy } from "../consistency/resource-policies";

/** The services iamlab serves (IAM action prefixes). */
export type ServiceName = "iam" | "sts" | "s3" | "sqs" | "organizations" | "lambda" | "ec2" | "kms" | "ecr" | "sns" | "cloudtrail";

export interface RequestInfo {
  requestId: string;
  /** epoch ms, from the sandbox clock */
  now: number;
  sourceIp: string;
  /** region of the SigV4 credential scope */
  region: string;
  userAgent: string;
  secureTransport: boolean;
  /** the endpoint the client called, `http://host:port` (SQS's queue URLs name it) */
  origin?: string;
  /** the TLS version of an https request as AWS names it (`1.2`, `1.3`); absent over plain http */
  tlsVersion?: string;
  /** how the request was signed (S3's s3:authType, s3:signatureAge, s3:x-amz-content-sha256); absent when unsigned */
  signature?: RequestSignature;
  /**
   * Condition keys the request carries because of where its credentials live, not what it asks:
   * Lambda's `lambda:SourceFunctionArn` on calls made with a function's execution role.
   */
  credentialContext?: Record<string, string>;
  /** Lambda: how many functions deep this call was made (a program invoking a function invoking …) */
  invokeDepth?: number;
}

export interface AuthzTarget {
  resource: string;
  resourceAccount?: string;
  /** extra request context keys (aws:RequestTag/…, iam:PolicyARN, sts:ExternalId …) */
  context?: Record<string, string | string[]>;
  /**
   * resource-based policies of the target (a role's trust policy for sts:AssumeRole …); `grant`: KMS
   * grants, which authorize their grantee on their own (PolicySet.grants)
   */
  resourcePolicies?: { id: string; json: string; kind?: "resource" | "trust" | "grant" }[];
  /**
   * Eventual consistency: the resource policy `id` was changed while its owner account lagged; until
   * the owner's data plane sees that generation, the policy as of the visible one applies
   * (src/consistency/resource-policies.ts).
   */
  pendingResourcePolicy?: PendingResourcePolicy;
  /** the resource policy must allow even in the same account (trust policies) */
  requireResourceAllow?: boolean;
  /**
   * How a denial is worded. `s3`: S3's — the resource ARN in double quotes for a caller of the
   * bucket owner's account, and only "Access Denied" for anyone else (S3 gives the extra context to
   * same-account callers only). `sqs`: SQS's — the action in lower case (`sqs:sendmessage`).
   * `sns`: SNS's — the prefix in upper case (`SNS:Publish`). `noResource`: without `on resource: *`
   * (CloudTrail's LookupEvents, as users quote its denials).
   */
  deniedMessage?: "s3" | "sqs" | "sns" | "noResource";
}

export interface ActionContext {
  env: Env;
  db: Db;
  caller: Caller;
  request: RequestInfo;
  waitUntil(p: Promise<unknown>): void;
  /** set by authorization: the id under which the decision's explanation can be fetched */
  decisionId?: string;
  /** the client asked for the explanation of every decision (x-iamlab-explain: true) */
  explain?: boolean;
  /** iamlab's own response headers a handler adds (SNS: `x-iamlab-delivery-denied`, the decisions of dropped deliveries) */
  responseHeaders?: Record<string, string>;
  /** what the CloudTrail event of this call needs to know (src/services/cloudtrail/recorder.ts) */
  trail?: TrailNote;
}

/** Noted while a call runs, for its CloudTrail event: the input, the first resource authorized, the result. */
export interface TrailNote {
  input?: object;
  target?: { resource: string; resourceAccount?: string };
  /** the first authorized resource owned by another account than the caller's */
  foreignAccount?: string;
  output?: XmlValue;
}

/**
 * What a handler runs with: the action's context and its `write` — how it writes the account's
 * IAM state (store functions that write take it; the store adds the generation bump from its
 * effect). Set by runAction from the action's declared effect; `load` and `target` only read.
 */
export interface HandlerContext extends ActionContext {
  readonly write: Write;
}

/**
 * What an action does to its account's IAM state — the one fact that drives the isolate read
 * cache, cache invalidation and the eventual-consistency write slot (src/services/run-action.ts):
 * - `read`: reads IAM state only; its answer may be cached per account (Read/List in AWS's catalogue);
 * - `none`: changes no IAM state and is never cached (STS calls, reports started with Generate*);
 * - `write`: changes IAM state that grants nothing (names, tags of policies, passwords, reports …);
 * - `permissions`: changes who can do what (identities, keys, attachments, documents, boundaries, tags on principals):
 *   its writes bump the account generation (src/store/write.ts);
 * - `rootKeys`: `permissions`, and may change the account's root access keys.
 */
export type { ActionEffect };

/**
 * One API action, all of it in one place. `load` runs once per call (e.g. the entity the call is
 * about); its result reaches both `target` (what the policy engine authorizes) and `handler`.
 * Methods, not function properties: an action of a specific input type is then a `RegisteredAction`
 * without casts (method parameters are checked bivariantly).
 */
export interface ActionDef<F extends Fields = Fields, L = unknown> {
  service: ServiceName;
  /** AWS's operation name, written literally in every definition. */
  name: string;
  /** The IAM action the engine authorizes when it is not `service:name` (S3's ListBuckets is s3:ListAllMyBuckets). */
  permission?: string;
  effect: ActionEffect;
  input: F;
  load?(input: InferFields<F>, ctx: ActionContext): Promise<L> | L;
  /**
   * The resource this call acts on, for the policy engine. Omit for actions AWS never
   * denies (sts:GetCallerIdentity).
   */
  target?(input: InferFields<F>, ctx: ActionContext, loaded: L): AuthzTarget | Promise<AuthzTarget>;
  handler(input: InferFields<F>, ctx: HandlerContext, loaded: L): Promise<XmlValue | undefined> | XmlValue | undefined;
}

/**
 * An action as the registry holds it: input and loaded types erased to `object` / `unknown` (every
 * ActionDef is one: method parameters compare bivariantly). The decoder guarantees the input's shape.
 */
export interface RegisteredAction {
  readonly service: ServiceName;
  readonly name: string;
  readonly permission?: string;
  readonly effect: ActionEffect;
  readonly input: Fields;
  load?(input: object, ctx: ActionContext): unknown;
  target?(input: object, ctx: ActionContext, loaded: unknown): AuthzTarget | Promise<AuthzTarget>;
  handler(input: object, ctx: HandlerContext, loaded: unknown): Promise<XmlValue | undefined> | XmlValue | undefined;
}

export function defineAction<F extends Fields, L = undefined>(def: ActionDef<F, L>): ActionDef<F, L> {
  return def;
}

/** True for actions that change the account's IAM state (they invalidate caches and take the consistency slot). */
export function changesState(effect: ActionEffect): boolean {
  return effect === "write" || effect === "permissions" || effect === "rootKeys";
}
