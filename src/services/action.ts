/**
 * How an API action is declared: its input shape (decoded generically), the authorization
 * target it asks for (checked before the handler runs), and the handler returning a plain
 * value that the generic XML serializer writes.
 */
import type { Env } from "../env";
import type { Caller } from "../auth/caller";
import type { Fields, InferFields } from "../protocol/shapes";
import type { XmlValue } from "../protocol/xml";
import type { Db } from "../store/db";

export type ServiceName = "iam" | "sts";

export interface RequestInfo {
  requestId: string;
  /** epoch ms, from the sandbox clock */
  now: number;
  sourceIp: string;
  /** region of the SigV4 credential scope */
  region: string;
  userAgent: string;
  secureTransport: boolean;
}

export interface AuthzTarget {
  resource: string;
  resourceAccount?: string;
  /** extra request context keys (aws:RequestTag/…, iam:PolicyARN, sts:ExternalId …) */
  context?: Record<string, string | string[]>;
  /** resource-based policies of the target (a role's trust policy for sts:AssumeRole …) */
  resourcePolicies?: { id: string; json: string; kind?: "resource" | "trust" }[];
  /** the resource policy must allow even in the same account (trust policies) */
  requireResourceAllow?: boolean;
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
}

export interface ActionDef<F extends Fields = Fields> {
  service: ServiceName;
  name: string;
  input: F;
  /**
   * The resource this call acts on, for the policy engine. Omit for actions AWS never
   * denies (sts:GetCallerIdentity). May be async when the ARN needs a lookup.
   */
  authorize?: (input: InferFields<F>, ctx: ActionContext) => AuthzTarget | Promise<AuthzTarget>;
  handler: (input: InferFields<F>, ctx: ActionContext) => Promise<XmlValue | undefined> | XmlValue | undefined;
}

export function defineAction<F extends Fields>(def: ActionDef<F>): ActionDef<F> {
  return def;
}
