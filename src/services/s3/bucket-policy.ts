/**
 * S3 bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, and the validation S3
 * applies to a policy before it stores one (`MalformedPolicy`, 400, in S3's own words — not IAM's
 * `MalformedPolicyDocument` messages).
 *
 * The document is stored with the bucket (column `policy` of `s3_buckets`) and read with it on every
 * call, so `s3Target()` (./common.ts) hands it to the engine as the bucket's resource policy. AWS's
 * rules then follow from the engine: same account, identity policy OR bucket policy; across accounts,
 * both; a policy naming an account delegates to that account's identity policies.
 *
 * Eventual consistency: a bucket policy is a permission like any other. Put/DeleteBucketPolicy are
 * `permissions` writes (they bump the owner account's generation and, on a lagging account, take its
 * write slot), and in a lagging account the row records the generation of the change: the data
 * plane keeps enforcing the previous policy until that generation propagates (s3Target →
 * src/consistency/resource-policies.ts), while GetBucketPolicy — the control plane, like IAM's Get*
 * here — answers the new one at once.
 *
 * As on AWS: the root user of the bucket owner can always get, set and delete the policy, even when
 * the policy denies it (so a bucket cannot be locked away from its owner), and anyone of another
 * account who is allowed still gets 405 MethodNotAllowed: these three calls are the owner's alone.
 * With Block Public Access's BlockPublicPolicy on (new buckets), a public policy (./public-policy.ts)
 * is refused with AccessDenied.
 */
import { defineAction, type ActionContext, type AuthzTarget, type HandlerContext, type RegisteredAction } from "../action";
import { setBucketPolicy, type BucketRow } from "../../store/s3-buckets";
import { AwsError } from "../../protocol/errors";
import { parsePolicy, policySizeWithoutWhitespace } from "../../policy/index";
import { actionResourceTypes, expandActionPattern } from "../../data/catalog";
import { getUserByName } from "../../store/iam-users";
import { getRoleByName } from "../../store/iam-roles";
import type { Db } from "../../store/db";
import { bucketArn, s3err, s3Target } from "./common";
import { checkExpectedOwner, loadBucket } from "./buckets";
import { isPublicPolicy } from "./public-policy";

/** S3's MalformedPolicy messages (sources in the comments; "unconfirmed" where no S3 answer was found). */
export const S3_MALFORMED = {
  /** versitygw, reporting S3 */
  firstByte: "Policies must be valid JSON and the first byte must be '{'",
  /** versitygw, reporting S3 */
  invalidJson: "This policy contains invalid Json",
  /** versitygw, reporting S3 */
  missingStatement: "Missing required field Statement",
  /** versitygw, reporting S3 */
  emptyStatement: "Could not parse the policy: Statement is empty!",
  /** versitygw, reporting S3 */
  version: "The policy must contain a valid version string",
  /** AWS's answer quoted in aws-cdk#6708 (a statement without Resource); without Action or Effect: unconfirmed */
  missingElement: "Statement is missing required element",
  /** unconfirmed */
  invalidEffect: (effect: string) => `Invalid effect: ${effect}`,
  /** AWS's answer (IAM's policy grammar; S3 reports it in these words) */
  missingPrincipal: "Missing required field Principal",
  /** AWS's answer (many reports, e.g. cloud-custodian#4948) */
  invalidPrincipal: "Invalid principal in policy",
  /** AWS's answer (versitygw, noobaa-core reporting S3) */
  invalidAction: "Policy has invalid action",
  /** AWS's answer (aws-serverless-appsync-app#4, noobaa-core#10058: `*` and another bucket) */
  invalidResource: "Policy has invalid resource",
  /** AWS's answer (S3-Uploads#239, modernisation-platform#10762) */
  actionNotApplicable: "Action does not apply to any resource(s) in statement",
  /** unconfirmed: S3 documents 20 KB as the limit of a bucket policy; the wording is ours */
  tooLarge: "Policies must be less than 20 KB",
} as const;

const MAX_POLICY_SIZE = 20 * 1024;

export const malformedPolicy = (message: string): AwsError => new AwsError("MalformedPolicy", message, 400);

export const noSuchBucketPolicy = (bucket: string): AwsError =>
  new AwsError("NoSuchBucketPolicy", "The bucket policy does not exist", 404).withDetails({ BucketName: bucket });

const methodNotAllowed = (method: string): AwsError =>
  new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405).withDetails({
    Method: method,
    ResourceType: "BUCKETPOLICY",
  });

/** Block Public Access refusing a public policy: AccessDenied in AWS's words (reported by many users). */
const publicPolicyBlocked = (ctx: ActionContext, b: BucketRow): AwsError =>
  new AwsError(
    "AccessDenied",
    `User: ${ctx.caller.principal.arn} is not authorized to perform: s3:PutBucketPolicy on resource: "${bucketArn(b.name)}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
    403,
  );

type Kind = "bucket" | "object";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A string or a list of strings, as policy elements are written; undefined for anything else. */
function strings(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

/** A glob of IAM's (`*` any run, `?` one character) as a linear-time test; case-sensitive. */
function globMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/**
 * The kinds of S3 resource an ARN of a bucket policy can name — the bucket, its objects — or
 * undefined when it cannot name this bucket or anything in it (S3: "Policy has invalid resource").
 */
function resourceKinds(arn: string, bucket: string): Set<Kind> | undefined {
  const prefix = "arn:aws:s3:::";
  if (!arn.startsWith(prefix)) return undefined;
  const rest = arn.slice(prefix.length);
  const slash = rest.indexOf("/");
  const bucketPart = slash < 0 ? rest : rest.slice(0, slash);
  const kinds = new Set<Kind>();
  if (slash >= 0) {
    if (globMatches(bucketPart, bucket)) kinds.add("object");
    return kinds.size ? kinds : undefined;
  }
  // No slash: the bucket itself, and — through a `*`, which matches `/` too — its objects.
  if (globMatches(rest, bucket)) kinds.add("bucket");
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== "*") continue;
    if (globMatches(rest.slice(0, i + 1), bucket)) kinds.add("object");
  }
  return kinds.size ? kinds : undefined;
}

/** The kinds of resource the S3 actions an Action pattern names apply to; empty when it names none. */
function actionKinds(pattern: string): Set<Kind> {
  const kinds = new Set<Kind>();
  if (pattern === "*") return new Set<Kind>(["bucket", "object"]);
  if (!/^s3:/i.test(pattern)) return kinds;
  for (const full of expandActionPattern(pattern)) {
    if (!full.startsWith("s3:")) continue;
    for (const rt of actionResourceTypes("s3", full.slice(3))) {
      if (rt.name === "bucket") kinds.add("bucket");
      else if (rt.name === "object") kinds.add("object");
    }
  }
  return kinds;
}

/**
 * Validates a bucket policy as S3 does and answers the text to store. Stages: the document (first
 * byte, JSON, size, Version, Statement) → each statement's elements (Effect, Principal, Action,
 * Resource present) → actions S3 knows on a bucket or object → resources in this bucket → each
 * action applies to one of the statement's resources → the engine's own parse as a resource-based
 * policy (principals; conditions), whose faults are reported in S3's words.
 */
export function validateBucketPolicy(json: string, bucket: string): string {
  if (json.trimStart()[0] !== "{") throw malformedPolicy(S3_MALFORMED.firstByte);
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw malformedPolicy(S3_MALFORMED.invalidJson);
  }
  if (!isObj(doc)) throw malformedPolicy(S3_MALFORMED.invalidJson);
  if (policySizeWithoutWhitespace(json) > MAX_POLICY_SIZE) throw malformedPolicy(S3_MALFORMED.tooLarge);
  if ("Version" in doc && doc.Version !== "2012-10-17" && doc.Version !== "2008-10-17") throw malformedPolicy(S3_MALFORMED.version);
  if (!("Statement" in doc)) throw malformedPolicy(S3_MALFORMED.missingStatement);
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (!statements.length) throw malformedPolicy(S3_MALFORMED.emptyStatement);
  for (const s of statements) {
    if (!isObj(s)) throw malformedPolicy(S3_MALFORMED.invalidJson);
    if (!("Effect" in s)) throw malformedPolicy(S3_MALFORMED.missingElement);
    if (s.Effect !== "Allow" && s.Effect !== "Deny") throw malformedPolicy(S3_MALFORMED.invalidEffect(String(s.Effect)));
    if (!("Principal" in s) && !("NotPrincipal" in s)) throw malformedPolicy(S3_MALFORMED.missingPrincipal);
    const actions = strings(s.Action ?? s.NotAction);
    const resources = strings(s.Resource ?? s.NotResource);
    if (!actions?.length || !resources?.length) throw malformedPolicy(S3_MALFORMED.missingElement);
    const reach = actions.map(actionKinds);
    if (reach.some((k) => k.size === 0)) throw malformedPolicy(S3_MALFORMED.invalidAction);
    const kinds = new Set<Kind>();
    for (const r of resources) {
      const k = resourceKinds(r, bucket);
      if (!k) throw malformedPolicy(S3_MALFORMED.invalidResource);
      for (const x of k) kinds.add(x);
    }
    // NotAction / NotResource name what a statement leaves out: nothing to apply.
    if (s.Action !== undefined && s.Resource !== undefined && reach.some((k) => ![...k].some((x) => kinds.has(x))))
      throw malformedPolicy(S3_MALFORMED.actionNotApplicable);
  }
  const parsed = parsePolicy(json, "resource");
  if (!parsed.ok) {
    const m = parsed.message;
    if (m.startsWith("Invalid principal") || m.startsWith("Partial wildcard")) throw malformedPolicy(S3_MALFORMED.invalidPrincipal);
    if (m.startsWith("Missing required field Principal")) throw malformedPolicy(S3_MALFORMED.missingPrincipal);
    // Anything else the engine refuses (conditions, the legacy grammar …): S3's wording unconfirmed.
    throw malformedPolicy(S3_MALFORMED.invalidJson);
  }
  return json;
}

const IAM_PRINCIPAL = /^arn:aws:iam::(\d{12}):(user|role)\/(?:.*\/)?([^/]+)$/;

/**
 * S3 resolves the users and roles a policy names when it stores it, and refuses one that does not
 * exist: "Invalid principal in policy" (AWS's answer for a deleted or misspelt user or role).
 * Accounts, `*`, services and session ARNs are taken as written.
 */
export async function checkPrincipalsExist(db: Db, json: string): Promise<void> {
  const doc = JSON.parse(json) as { Statement: unknown };
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<string, unknown>[];
  const arns = new Set<string>();
  for (const s of statements) {
    const block = s.Principal ?? s.NotPrincipal;
    if (!isObj(block)) continue;
    for (const v of strings(block.AWS) ?? []) if (IAM_PRINCIPAL.test(v)) arns.add(v);
  }
  const found = await Promise.all(
    [...arns].map(async (arn) => {
      const [, account, kind, name] = IAM_PRINCIPAL.exec(arn)!;
      const row = kind === "user" ? await getUserByName(db, account!, name!) : await getRoleByName(db, account!, name!);
      return row !== undefined && row.arn.toLowerCase() === arn.toLowerCase();
    }),
  );
  if (found.includes(false)) throw malformedPolicy(S3_MALFORMED.invalidPrincipal);
}

interface PolicyInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
  Policy?: string;
  ConfirmRemoveSelfBucketAccess?: boolean;
}

/**
 * The target of the three policy calls: the bucket, its policy included — except for the root user
 * of the bucket owner, who may always manage the policy (AWS's lockout protection): without the
 * policy, the engine allows the resource account's root unless an SCP or RCP denies.
 */
function policyTarget(ctx: ActionContext, b: BucketRow): AuthzTarget {
  const t = s3Target(b, bucketArn(b.name));
  const p = ctx.caller.principal;
  if (p.kind === "root" && p.account === b.accountId) {
    delete t.resourcePolicies;
    delete t.pendingResourcePolicy;
  }
  return t;
}

/** These calls are the bucket owner's account's alone (405 for anyone else who is allowed). */
function ownerOnly(ctx: ActionContext, b: BucketRow, method: string): void {
  if (ctx.caller.principal.account !== b.accountId) throw methodNotAllowed(method);
}

/** Stores (or, with null, removes) the policy; in a lagging account it waits for propagation. */
async function writePolicy(ctx: HandlerContext, b: BucketRow, text: string | null): Promise<void> {
  const lagging = ctx.caller.consistency !== undefined;
  if (!(await setBucketPolicy(ctx.write, b.name, b.accountId, text, lagging))) throw s3err.noSuchBucket(b.name);
}

export const PutBucketPolicy = defineAction({
  service: "s3",
  name: "PutBucketPolicy",
  effect: "permissions",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as PolicyInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => policyTarget(ctx, b),
  handler: async (i, ctx: HandlerContext, b: BucketRow) => {
    const input = i as PolicyInput;
    checkExpectedOwner(input, b);
    ownerOnly(ctx, b, "PUT");
    const text = validateBucketPolicy(input.Policy ?? "", b.name);
    if (b.publicAccessBlock?.blockPublicPolicy && isPublicPolicy(text)) throw publicPolicyBlocked(ctx, b);
    await checkPrincipalsExist(ctx.db, text);
    await writePolicy(ctx, b, text);
    return {};
  },
});

export const GetBucketPolicy = defineAction({
  service: "s3",
  name: "GetBucketPolicy",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as PolicyInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => policyTarget(ctx, b),
  handler: (i, ctx: ActionContext, b: BucketRow) => {
    checkExpectedOwner(i as PolicyInput, b);
    ownerOnly(ctx, b, "GET");
    if (b.policy === undefined) throw noSuchBucketPolicy(b.name);
    return { Policy: b.policy };
  },
});

export const DeleteBucketPolicy = defineAction({
  service: "s3",
  name: "DeleteBucketPolicy",
  effect: "permissions",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as PolicyInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => policyTarget(ctx, b),
  handler: async (i, ctx: HandlerContext, b: BucketRow) => {
    checkExpectedOwner(i as PolicyInput, b);
    ownerOnly(ctx, b, "DELETE");
    // S3 answers 204 whether or not there was a policy (none: nothing changes, no generation moves).
    if (b.policy !== undefined) await writePolicy(ctx, b, null);
    return {};
  },
});

export const bucketPolicyActions: RegisteredAction[] = [PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy];
