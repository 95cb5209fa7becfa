/**
 * Loads the case corpus (test/policy/cases/*.json). Each case is one line: the request (principal shorthand
 * or object, action, resource, context), the policies by type, and the expected decision (+ reason).
 * A policy is written as a full document, a statement, or a list of statements (then Version 2012-10-17).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePolicy, type AuthzRequest, type PolicySet, type PolicySource, type Principal } from "../../src/policy/index.js";
import type { PolicyKind, PolicySourceType } from "../../src/policy/types.js";

export const A = "111111111111";
export const B = "222222222222";

export const PRINCIPALS: Record<string, Principal> = {
  user: { kind: "user", account: A, arn: `arn:aws:iam::${A}:user/bob`, userId: "AIDABOB", username: "bob" },
  eve: { kind: "user", account: A, arn: `arn:aws:iam::${A}:user/eve`, userId: "AIDAEVE", username: "eve" },
  pathUser: { kind: "user", account: A, arn: `arn:aws:iam::${A}:user/dev/team/dan`, userId: "AIDADAN", username: "dan" },
  userB: { kind: "user", account: B, arn: `arn:aws:iam::${B}:user/carol`, userId: "AIDACAROL", username: "carol" },
  session: {
    kind: "assumedRole",
    account: A,
    arn: `arn:aws:sts::${A}:assumed-role/Dev/s1`,
    userId: "AROADEV:s1",
    roleArn: `arn:aws:iam::${A}:role/Dev`,
  },
  sessionB: {
    kind: "assumedRole",
    account: B,
    arn: `arn:aws:sts::${B}:assumed-role/Ops/s2`,
    userId: "AROAOPS:s2",
    roleArn: `arn:aws:iam::${B}:role/Ops`,
  },
  slr: {
    kind: "assumedRole",
    account: A,
    arn: `arn:aws:sts::${A}:assumed-role/AWSServiceRoleForSupport/s`,
    userId: "AROASLR:s",
    roleArn: `arn:aws:iam::${A}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
    serviceLinkedRole: true,
  },
  root: { kind: "root", account: A, arn: `arn:aws:iam::${A}:root`, userId: A },
  rootB: { kind: "root", account: B, arn: `arn:aws:iam::${B}:root`, userId: B },
  fed: { kind: "federatedUser", account: A, arn: `arn:aws:sts::${A}:federated-user/fred`, userId: `${A}:fred` },
  /** A federated user session of the IAM user bob (GetFederationToken called by bob). */
  fedBob: {
    kind: "federatedUser",
    account: A,
    arn: `arn:aws:sts::${A}:federated-user/fred`,
    userId: `${A}:fred`,
    federatingUserArn: `arn:aws:iam::${A}:user/bob`,
  },
  svc: { kind: "service", account: "", arn: "ec2.amazonaws.com", userId: "ec2.amazonaws.com", serviceName: "ec2.amazonaws.com" },
  anon: { kind: "anonymous", account: "", arn: "anonymous", userId: "anonymous" },
  saml: {
    kind: "anonymous",
    account: "",
    arn: "anonymous",
    userId: "anonymous",
    federated: `arn:aws:iam::${A}:saml-provider/corp`,
  },
  canonical: {
    kind: "anonymous",
    account: "",
    arn: "anonymous",
    userId: "anonymous",
    canonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
  },
};

type Doc = Record<string, unknown> | Array<Record<string, unknown>>;

export interface PolicyCase {
  name: string;
  /** The AWS documentation page the expectation follows (the S3 case files give one per case). */
  doc?: string;
  principal: string | Principal;
  action: string;
  resource: string;
  resourceAccount?: string;
  context?: Record<string, string | string[]>;
  identity?: Doc[];
  resourcePolicies?: Doc[];
  /** KMS grants (PolicySet.grants), parsed as resource-based policies */
  grants?: Doc[];
  requireResourceAllow?: boolean;
  /** How the resource policies parse: trust policies by default with requireResourceAllow (KMS key policies are `resource`). */
  resourcePolicyKind?: "resource" | "trust";
  boundary?: Doc[];
  session?: Doc[];
  scps?: Doc[][];
  rcps?: Doc[][];
  expect: "allow" | "explicitDeny" | "implicitDeny";
  reason?: string;
  deniedBy?: PolicySourceType;
  message?: string;
  file: string;
}

/** `{{repeat N text}}` in any string of a case expands to text repeated N times (large inputs as data). */
const REPEAT = /\{\{repeat (\d+) ([^}]*)\}\}/g;

function expand<T>(v: T): T {
  if (typeof v === "string") return v.replace(REPEAT, (_m, n: string, text: string) => text.repeat(Number(n))) as T;
  if (Array.isArray(v)) return v.map(expand) as T;
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [expand(k), expand(x)])) as T;
  return v;
}

export function loadCases(): PolicyCase[] {
  const dir = join(import.meta.dirname, "cases");
  const out: PolicyCase[] = [];
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const list = JSON.parse(readFileSync(join(dir, f), "utf8")) as Array<Omit<PolicyCase, "file">>;
    for (const c of list) out.push({ ...expand(c), file: f });
  }
  return out;
}

function toJson(doc: Doc): string {
  if (Array.isArray(doc)) return JSON.stringify({ Version: "2012-10-17", Statement: doc });
  if ("Statement" in doc) return JSON.stringify(doc);
  return JSON.stringify({ Version: "2012-10-17", Statement: [doc] });
}

function sources(docs: Doc[] | undefined, type: PolicySourceType, kind: PolicyKind, prefix: string): PolicySource[] {
  return (docs ?? []).map((d, i) => {
    const r = parsePolicy(toJson(d), kind);
    if (!r.ok) throw new Error(`${prefix}[${i}] does not parse: ${r.message}`);
    return { id: `${prefix}${i}`, type, policy: r.policy };
  });
}

export function buildCase(c: PolicyCase): { req: AuthzRequest; set: PolicySet } {
  const principal = typeof c.principal === "string" ? PRINCIPALS[c.principal] : c.principal;
  if (!principal) throw new Error(`unknown principal shorthand ${String(c.principal)}`);
  const req: AuthzRequest = { principal, action: c.action, resource: c.resource, context: c.context ?? {} };
  if (c.resourceAccount) req.resourceAccount = c.resourceAccount;
  const resourceKind: PolicyKind = c.resourcePolicyKind ?? (c.requireResourceAllow ? "trust" : "resource");
  const set: PolicySet = { identity: sources(c.identity, "identity", "identity", `arn:aws:iam::${A}:policy/id`) };
  if (c.resourcePolicies) set.resource = sources(c.resourcePolicies, "resource", resourceKind, "resource-policy-");
  if (c.grants) set.grants = sources(c.grants, "resource", "resource", "grant-");
  if (c.requireResourceAllow) set.requireResourceAllow = true;
  if (c.boundary) set.boundary = sources(c.boundary, "boundary", "boundary", `arn:aws:iam::${A}:policy/boundary`);
  if (c.session) set.session = sources(c.session, "session", "session", "session-policy-");
  if (c.scps)
    set.scps = c.scps.map((lvl, i) => sources(lvl, "scp", "scp", `arn:aws:organizations::${A}:policy/o-x/service_control_policy/p-${i}-`));
  if (c.rcps)
    set.rcps = c.rcps.map((lvl, i) => sources(lvl, "rcp", "rcp", `arn:aws:organizations::${A}:policy/o-x/resource_control_policy/p-${i}-`));
  return { req, set };
}
