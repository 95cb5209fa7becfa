/**
 * Whether a bucket policy is "public", by S3's definition (user guide, "Blocking public access to
 * your Amazon S3 storage" → "The meaning of 'public'"). Pure. GetBucketPolicyStatus reports it;
 * BlockPublicPolicy refuses such a policy; RestrictPublicBuckets narrows it (./public-access.ts).
 *
 * S3 starts from "public" and looks for reasons to call a policy non-public: every Allow statement
 * must grant only to fixed values — values with no wildcard and no policy variable — of
 * - the principal: an AWS account, user, role or session, a service, a canonical user; or
 * - one of the trusted condition keys (TRUSTED_KEYS), compared by an operator that confines the key
 *   to the values given (StringEquals, StringLike, ArnEquals, ArnLike, IpAddress; a ForAnyValue:
 *   prefix is fine, an IfExists suffix or ForAllValues: is not: both hold when the key is absent,
 *   as it is for anonymous callers); aws:SourceIp only with a CIDR no broader than /8 (IPv4) or
 *   /32 (IPv6).
 * `Principal: "*"` / `{"AWS": "*"}`, a Federated principal (the docs' example) and NotPrincipal are
 * not fixed: such a statement is public unless a condition pins it.
 *
 * RestrictPublicBuckets (restrictToAccount, effectiveBucketPolicy): a public policy grants only AWS
 * service principals and principals of the bucket owner's account — every Allow, the non-public ones
 * naming other accounts included (the guide's "Account-2" example), while its Denys stay as written.
 *
 * Simplifications, stated: S3 decides with automated reasoning over the whole policy, so a Deny
 * statement that confines everything else (e.g. "Deny unless aws:SourceVpce = vpce-1") can make a
 * policy non-public there; here only Allow statements are looked at (such a policy reads public).
 * The API reference's older "bad actions" wording is not applied: every Allow counts.
 */
import { parseCidr } from "../../policy/conditions/ip";
import { BoundedMap } from "../../lib/bounded";
import type { BucketRow } from "../../store/s3-buckets";

export interface Publicity {
  isPublic: boolean;
  /** the first public statement: its index and Sid, and why it is public */
  statement?: { index: number; sid?: string; why: string };
}

/** Condition keys (lower-cased) whose fixed values S3 trusts to confine a statement. */
const TRUSTED_KEYS = new Set([
  "aws:sourceip",
  "aws:sourcearn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceowner",
  "aws:sourceaccount",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:principalorgid",
  "aws:userid",
  "s3:x-amz-server-side-encryption-aws-kms-key-id",
  "s3:dataaccesspointarn",
  "s3:dataaccesspointaccount",
]);

/** Operators that confine a key to the values listed (lower-cased; without ForAnyValue:). */
const CONFINING = new Set(["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"]);

/** S3: "broader than /8 for IPv4 and /32 for IPv6" is public. */
const MIN_PREFIX = { v4: 8, v6: 32 } as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return [];
}

/** No wildcard, no policy variable. */
const isFixed = (v: string): boolean => v !== "" && !/[*?]/.test(v) && !v.includes("${");

/** A CIDR (or a single address) no broader than S3 allows. */
function narrowCidr(v: string): boolean {
  const c = parseCidr(v.trim());
  if (!c) return false;
  const slash = v.indexOf("/");
  const prefix = slash < 0 ? (c.v6 ? 128 : 32) : Number(v.slice(slash + 1).trim());
  return prefix >= (c.v6 ? MIN_PREFIX.v6 : MIN_PREFIX.v4);
}

/**
 * One value of a trusted key, fixed as S3 counts it. Two documented exceptions take a wildcard:
 * aws:userid `AROLEID:*` (every session of one role) and s3:DataAccessPointArn with a wildcard only
 * in the access point name (`arn:aws:s3:<region>:<account>:accesspoint/*`).
 */
function fixedValue(key: string, v: string): boolean {
  if (key === "aws:sourceip") return !v.includes("${") && narrowCidr(v);
  if (key === "aws:userid" && /^AROA[A-Z0-9]+:\*$/.test(v)) return true;
  if (key === "s3:dataaccesspointarn") {
    const m = /^(arn:[^:]+:s3:[^:]+:\d{12}:accesspoint\/)(.*)$/.exec(v);
    if (m) return isFixed(m[1]!) && !m[2]!.includes("${");
  }
  return isFixed(v);
}

/** True when one of a statement's conditions confines it to fixed values of a trusted key. */
function conditionPins(condition: unknown): boolean {
  if (!isObj(condition)) return false;
  for (const [op, block] of Object.entries(condition)) {
    let name = op.toLowerCase();
    if (name.startsWith("foranyvalue:")) name = name.slice("foranyvalue:".length);
    if (!CONFINING.has(name) || !isObj(block)) continue;
    for (const [rawKey, rawValues] of Object.entries(block)) {
      const key = rawKey.toLowerCase();
      if (!TRUSTED_KEYS.has(key)) continue;
      if ((name === "ipaddress") !== (key === "aws:sourceip")) continue;
      const values = strings(rawValues);
      if (values.length && values.length === (Array.isArray(rawValues) ? rawValues.length : 1) && values.every((v) => fixedValue(key, v)))
        return true;
    }
  }
  return false;
}

/** Why the principal of an Allow statement is not fixed, or null when it is. */
function principalNotFixed(s: Record<string, unknown>): string | null {
  if ("NotPrincipal" in s) return "it allows everyone but the NotPrincipal";
  const p = s.Principal;
  if (p === "*") return 'it grants to Principal "*"';
  if (!isObj(p)) return "its Principal is not a fixed value";
  for (const [type, values] of Object.entries(p)) {
    if (type === "Federated") return "it grants to a Federated principal";
    for (const v of strings(values)) if (!isFixed(v)) return `it grants to the principal ${type}:${v}`;
  }
  return null;
}

/** S3's verdict on a policy (text already accepted by PutBucketPolicy's validation). */
export function policyPublicity(json: string): Publicity {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return { isPublic: false };
  }
  if (!isObj(doc)) return { isPublic: false };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  for (let i = 0; i < statements.length; i++) {
    const s: unknown = statements[i];
    if (!isObj(s) || s.Effect !== "Allow") continue;
    const why = principalNotFixed(s);
    if (why === null || conditionPins(s.Condition)) continue;
    const statement: NonNullable<Publicity["statement"]> = { index: i, why: `${why} and no condition confines it to fixed values` };
    if (typeof s.Sid === "string" && s.Sid) statement.sid = s.Sid;
    return { isPublic: true, statement };
  }
  return { isPublic: false };
}

export const isPublicPolicy = (json: string): boolean => policyPublicity(json).isPublic;

const PRINCIPAL_ACCOUNT = "aws:PrincipalAccount";

/**
 * Operators that say the same of a 12-digit account id (aws:PrincipalAccount is single-valued): the
 * first one a statement does not already use for aws:PrincipalAccount carries the owner's account,
 * so the statement's own test of the key, if any, still holds too.
 */
const SAME_TEST = ["StringEquals", "ForAnyValue:StringEquals", "StringEqualsIgnoreCase", "ForAnyValue:StringEqualsIgnoreCase"];

/**
 * Confines one Allow statement to principals of `account` with a `StringEquals aws:PrincipalAccount`
 * condition (anonymous callers and services have no aws:PrincipalAccount: it never holds for them).
 * Null in the absurd case of a statement testing the key with all of SAME_TEST (it is dropped).
 */
function confine(s: Record<string, unknown>, account: string): Record<string, unknown> | null {
  const condition: Record<string, unknown> = isObj(s.Condition) ? { ...s.Condition } : {};
  for (const op of SAME_TEST) {
    const opKey = Object.keys(condition).find((k) => k.toLowerCase() === op.toLowerCase()) ?? op;
    const block = condition[opKey];
    if (block !== undefined && !isObj(block)) continue;
    if (block && Object.keys(block).some((k) => k.toLowerCase() === PRINCIPAL_ACCOUNT.toLowerCase())) continue;
    condition[opKey] = { ...(block ?? {}), [PRINCIPAL_ACCOUNT]: account };
    return { ...s, Condition: condition };
  }
  return null;
}

/**
 * A public policy as RestrictPublicBuckets lets it act: its Deny statements as written, Allows to
 * service principals as written (a statement naming services and others is split), every other
 * Allow confined to principals of `owner`'s account. A policy that is not public is returned as is;
 * null when nothing is left of it.
 */
export function restrictToAccount(json: string, owner: string): string | null {
  if (!isPublicPolicy(json)) return json;
  const doc = JSON.parse(json) as Record<string, unknown>;
  const statements: unknown[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const out: unknown[] = [];
  for (const s of statements) {
    if (!isObj(s) || s.Effect !== "Allow") {
      out.push(s);
      continue;
    }
    const p = s.Principal;
    if (isObj(p) && !("NotPrincipal" in s) && "Service" in p) {
      out.push({ ...s, Principal: { Service: p.Service } });
      const others = Object.fromEntries(Object.entries(p).filter(([k]) => k !== "Service"));
      if (Object.keys(others).length === 0) continue;
      const confined = confine({ ...s, Principal: others }, owner);
      if (confined) out.push(confined);
      continue;
    }
    const confined = confine(s, owner);
    if (confined) out.push(confined);
  }
  // No statement left: the policy grants and denies nothing, as if there were none.
  return out.length ? JSON.stringify({ ...doc, Statement: out }) : null;
}

/** Policy text → its RestrictPublicBuckets form, per owner (bounded; a policy is a few KB at most). */
const restricted = new BoundedMap<string, string>(512, 4 * 1024 * 1024, (v, k) => 2 * (k.length + v.length));

/**
 * The bucket policy as S3 enforces it today: as stored, or — with RestrictPublicBuckets on and a
 * public policy — its restricted form. Undefined when the bucket has no policy.
 */
export function effectiveBucketPolicy(bucket: BucketRow): string | undefined {
  const policy = bucket.policy;
  if (policy === undefined || !bucket.publicAccessBlock?.restrictPublicBuckets) return policy;
  const key = `${bucket.accountId}\n${policy}`;
  let r = restricted.get(key);
  if (r === undefined) {
    r = restrictToAccount(policy, bucket.accountId) ?? "";
    restricted.set(key, r);
  }
  return r === "" ? undefined : r;
}
