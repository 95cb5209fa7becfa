/** Input shapes and checks shared by the STS actions that issue credentials. */
import { s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { parsePolicy } from "../../policy/index";
import type { Db } from "../../store/db";
import type { Caller } from "../../auth/caller";
import type { ActionContext } from "../action";
import { ROOT_USER_ID, verifyMfaCode } from "../../store/iam-mfa";

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export const stsShapes = {
  durationSeconds: () => s.integer({ min: 900, max: 129600 }),
  roleDurationSeconds: () => s.integer({ min: 900, max: 43200 }),
  sessionPolicy: () =>
    s.string({
      min: 1,
      max: 2048,
      pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/su,
      patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
    }),
  policyArns: () => s.list(s.struct({ arn: s.string({ min: 20, max: 2048 }) }), { max: 10 }),
  tags: () =>
    s.list(
      s.struct({
        Key: s.string({ required: true, min: 1, max: 128, pattern: TAG_KEY, patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+" }),
        Value: s.string({ required: true, min: 0, max: 256, pattern: TAG_VALUE, patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*" }),
      }),
      { max: 50 },
    ),
  tagKeys: () => s.list(s.string({ min: 1, max: 128, pattern: TAG_KEY, patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+" }), { max: 50 }),
  serialNumber: () => s.string({ min: 9, max: 256, pattern: /^[\w+=/:,.@-]*$/, patternText: "[\\w+=/:,.@-]*" }),
  tokenCode: () => s.string({ min: 6, max: 6, pattern: /^\d*$/, patternText: "[\\d]*" }),
  sourceIdentity: () => s.string({ min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" }),
};

export const invalidParameter = (m: string) => new AwsError("InvalidParameterValue", m, 400);

/** Session tags as a record, keys as sent; duplicate keys (case-insensitive) are refused as AWS does. */
export function sessionTags(tags: { Key: string; Value: string }[] | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  const seen = new Set<string>();
  const out: Record<string, string> = {};
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw invalidParameter("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(k);
    out[t.Key] = t.Value;
  }
  return out;
}

/** aws:RequestTag/… and aws:TagKeys for the tags of a request. */
export function tagContext(tags: Record<string, string> | undefined): Record<string, string | string[]> {
  if (!tags) return {};
  const ctx: Record<string, string | string[]> = { "aws:TagKeys": Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) ctx[`aws:RequestTag/${k}`] = v;
  return ctx;
}

/**
 * SerialNumber + TokenCode of a request (both, or neither), checked against the caller's MFA device
 * (TOTP, no replay). false = no MFA given; throws AWS's AccessDenied when the code does not
 * validate. Call it once per request (a code can be accepted only once): in the action's load step.
 */
export async function requestMfa(ctx: ActionContext, input: { SerialNumber?: string; TokenCode?: string }): Promise<boolean> {
  const { SerialNumber: serial, TokenCode: code } = input;
  if (serial === undefined && code === undefined) return false;
  const c = ctx.caller;
  const owner = c.principal.kind === "root" ? ROOT_USER_ID : c.principal.kind === "user" && !c.session ? c.entityId : undefined;
  const ok =
    serial !== undefined &&
    code !== undefined &&
    owner !== undefined &&
    (await verifyMfaCode(ctx.db, c.principal.account, serial, code, ctx.request.now, owner));
  if (!ok)
    throw errors.accessDenied(
      "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
    );
  return true;
}

/**
 * Session policies of a request: the inline `Policy` (parsed as a session policy) and the documents
 * of `PolicyArns` (customer-managed in `account`, or AWS-managed; an ARN that names no policy adds a
 * policy that allows nothing, so it can only narrow). undefined = none passed.
 */
export async function loadSessionPolicies(
  db: Db,
  account: string,
  policy: string | undefined,
  arns: { arn?: string }[] | undefined,
): Promise<{ id: string; json: string }[] | undefined> {
  const list = (arns ?? []).map((a) => a.arn).filter((a): a is string => !!a);
  if (policy === undefined && list.length === 0) return undefined;
  const out: { id: string; json: string }[] = [];
  if (policy !== undefined) {
    const parsed = parsePolicy(policy, "session");
    if (!parsed.ok) throw errors.malformedPolicy(parsed.message);
    out.push({ id: "session-policy", json: policy });
  }
  for (const arn of list) {
    const row = await db.$client
      .prepare(`SELECT COALESCE(
          (SELECT pv.document FROM policies p JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
            WHERE p.account_id = ?1 AND p.arn = ?2),
          (SELECT am.document FROM aws_managed_policies am WHERE am.arn = ?2)) AS doc`)
      .bind(account, arn)
      .first<{ doc: string | null }>();
    out.push({ id: arn, json: row?.doc ?? '{"Version":"2012-10-17","Statement":[]}' });
  }
  return out;
}

/**
 * PackedPolicySize: AWS packs the inline policy, the managed policy ARNs and the session tags into a
 * compressed binary form with its own limit and reports the percentage used. We approximate the
 * packing with raw DEFLATE of the same data against a 2,048-byte budget.
 */
const PACKED_LIMIT = 2048;
export async function packedPolicySize(
  policy: string | undefined,
  arns: { arn?: string }[] | undefined,
  tags: Record<string, string> | undefined,
): Promise<number> {
  const parts: string[] = [];
  if (policy !== undefined) parts.push(policy.replace(/[\s]+/g, ""));
  for (const a of arns ?? []) if (a.arn) parts.push(a.arn);
  for (const [k, v] of Object.entries(tags ?? {})) parts.push(`${k}=${v}`);
  if (parts.length === 0) return 0;
  const stream = new Blob([parts.join("\n")]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const size = (await new Response(stream).arrayBuffer()).byteLength;
  const pct = Math.ceil((size * 100) / PACKED_LIMIT);
  if (pct > 100)
    throw new AwsError("PackedPolicyTooLarge", `Packed policy consumes ${pct}% of allotted space, please use smaller policy.`, 400);
  return pct;
}

/** GetSessionToken / GetFederationToken must be called with long-term credentials. */
export function requireLongTermCredentials(caller: Caller, action: string): void {
  if (caller.session) throw errors.accessDenied(`Cannot call ${action} with session credentials`);
}
