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
}

export interface ActionContext {
  env: Env;
  db: Db;
  caller: Caller;
  request: RequestInfo;
  waitUntil(p: Promise<unknown>): void;
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
