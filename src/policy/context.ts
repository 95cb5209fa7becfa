/**
 * The request context as the matchers see it: condition keys by lower-cased name, with the keys AWS
 * derives from the principal filled in when the caller did not provide them.
 */
import { BoundedMap } from "../lib/bounded.js";
import type { AuthzRequest, ContextValue, Principal } from "./types.js";

/** Lower-cased key → values (a single value is a one-element list). */
export interface RequestContext {
  get(key: string): readonly string[] | undefined;
}

const PRINCIPAL_TYPE: Record<Principal["kind"], string> = {
  root: "Account",
  user: "User",
  assumedRole: "AssumedRole",
  federatedUser: "FederatedUser",
  service: "Service",
  anonymous: "Anonymous",
};

/** Built on first use: decisions without conditions or policy variables never pay for it. */
class LazyContext implements RequestContext {
  private map: Map<string, readonly string[]> | null = null;
  constructor(private readonly req: AuthzRequest) {}
  get(key: string): readonly string[] | undefined {
    return (this.map ??= normalize(this.req)).get(key);
  }
}

export function buildContext(req: AuthzRequest): RequestContext {
  return new LazyContext(req);
}

/**
 * Request keys lower-cased, remembered: the same few dozen key names (aws:SourceIp, aws:PrincipalTag/…)
 * come with every request, and a remembered string keeps its hash for the Map below. Bounded.
 */
const lowerKeys = new BoundedMap<string, string>(4096, 1024 * 1024, (_, k) => 32 + 4 * k.length);

function lowerKey(k: string): string {
  let l = lowerKeys.get(k);
  if (l === undefined) {
    l = k.toLowerCase();
    lowerKeys.set(k, l);
  }
  return l;
}

/**
 * The longest request-context value the engine looks at; longer values are cut to this length.
 * AWS documents no length for request-derived keys such as aws:UserAgent (unconfirmed: CloudTrail
 * documents only that it truncates oversized fields). No value that IAM itself validates is longer
 * (ARNs ≤ 2048, tag values ≤ 256, session names ≤ 64); a User-Agent header, a region in a credential
 * scope or a simulator ContextKeyValue can be, and every wildcard match is linear in the value's length.
 */
export const MAX_CONTEXT_VALUE_CHARS = 2048;

function capValue(v: string): string {
  return v.length > MAX_CONTEXT_VALUE_CHARS ? v.slice(0, MAX_CONTEXT_VALUE_CHARS) : v;
}

function capValues(v: readonly string[]): readonly string[] {
  for (let i = 0; i < v.length; i++) if (v[i]!.length > MAX_CONTEXT_VALUE_CHARS) return v.map(capValue);
  return v;
}

function normalize(req: AuthzRequest): Map<string, readonly string[]> {
  const m = new Map<string, readonly string[]>();
  const p = req.principal;
  if (p.kind !== "anonymous" && p.kind !== "service") {
    m.set("aws:userid", [p.userId]);
    m.set("aws:principalaccount", [p.account]);
    m.set("aws:principalarn", [p.kind === "assumedRole" && p.roleArn ? p.roleArn : p.arn]);
    if (p.username !== undefined) m.set("aws:username", [p.username]);
  } else if (p.kind === "anonymous" && p.federated === undefined) {
    // An unauthenticated S3/SQS/SNS caller: aws:userid is "anonymous" (IAM User Guide, "Policy variables",
    // the table of aws:username / aws:userid / aws:PrincipalType by principal).
    m.set("aws:userid", ["anonymous"]);
  }
  if (p.kind === "service" && p.serviceName) m.set("aws:principalservicename", [p.serviceName]);
  // Present in every signed request: true for an AWS service principal, false for IAM principals; absent for
  // anonymous callers (IAM User Guide, "AWS global condition context keys": aws:PrincipalIsAWSService).
  if (p.kind !== "anonymous") m.set("aws:principalisawsservice", [p.kind === "service" ? "true" : "false"]);
  m.set("aws:principaltype", [PRINCIPAL_TYPE[p.kind]]);
  const c = req.context;
  for (const k in c) {
    const v: ContextValue | undefined = c[k];
    if (v !== undefined) m.set(lowerKey(k), typeof v === "string" ? [capValue(v)] : capValues(v));
  }
  return m;
}

/** Values of a key as a list; null when the key is absent. An empty list is "present but empty". */
export function contextValues(ctx: RequestContext, key: string): readonly string[] | null {
  return ctx.get(key) ?? null;
}
