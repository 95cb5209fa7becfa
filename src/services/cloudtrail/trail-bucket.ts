/**
 * What a trail's bucket must allow (pure of S3 writes, so trails.ts can use it without the
 * dispatcher): the trail's ARN, where its files go, the context CloudTrail acts in (the service
 * principal, with the trail as its source), and the bucket-policy check of CreateTrail / UpdateTrail.
 */
import type { Env } from "../../env";
import type { ActionContext } from "../action";
import type { Principal } from "../../policy/index";
import { decide } from "../../authz/authorize";
import type { Db } from "../../store/db";
import type { BucketRow } from "../../store/s3-buckets";
import type { TrailRow } from "../../store/cloudtrail-trails";
import { bucketArn, objectArn, s3Target } from "../s3/common";
import { newRequestId } from "../../lib/ids";

export const CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com";
const PRINCIPAL: Principal = {
  kind: "service",
  account: "",
  arn: CLOUDTRAIL_SERVICE,
  userId: CLOUDTRAIL_SERVICE,
  serviceName: CLOUDTRAIL_SERVICE,
};
/** The ACL CloudTrail writes log files with (the documented bucket policy requires it). */
export const DELIVERY_ACL = "bucket-owner-full-control";

export const trailArn = (t: Pick<TrailRow, "region" | "accountId" | "name">): string =>
  `arn:aws:cloudtrail:${t.region}:${t.accountId}:trail/${t.name}`;

/** `<prefix>/AWSLogs/<account>/`: where the trail's files go (the documented policy's Resource). */
export function logsPrefix(t: Pick<TrailRow, "s3KeyPrefix" | "accountId">): string {
  return `${t.s3KeyPrefix ? `${t.s3KeyPrefix}/` : ""}AWSLogs/${t.accountId}/`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A log file's key: AWS's documented name, its date folders and timestamp from the delivery time. */
export function logFileKey(t: Pick<TrailRow, "s3KeyPrefix" | "accountId">, region: string, at: number): string {
  const d = new Date(at);
  const [y, m, day] = [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())];
  const stamp = `${y}${m}${day}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
  const rnd = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => LETTERS[b % LETTERS.length]).join("");
  return `${logsPrefix(t)}CloudTrail/${region}/${y}/${m}/${day}/${t.accountId}_CloudTrail_${region}_${stamp}_${rnd}.json.gz`;
}

/** The context CloudTrail acts in for a trail: the service principal, with the trail as the source. */
export function serviceContext(
  base: { env: Env; db: Db; waitUntil(p: Promise<unknown>): void },
  trail: TrailRow,
  at: number,
): ActionContext {
  return {
    env: base.env,
    db: base.db,
    waitUntil: base.waitUntil,
    caller: { principal: PRINCIPAL, accessKeyId: "", generation: 0 },
    request: {
      requestId: newRequestId(),
      now: at,
      sourceIp: CLOUDTRAIL_SERVICE,
      region: trail.region,
      userAgent: CLOUDTRAIL_SERVICE,
      secureTransport: true,
      credentialContext: {
        "aws:SourceArn": trailArn(trail),
        "aws:SourceAccount": trail.accountId,
        "aws:PrincipalServiceName": CLOUDTRAIL_SERVICE,
        "aws:PrincipalIsAWSService": "true",
        "aws:ViaAWSService": "false",
      },
    },
  };
}

/**
 * What CreateTrail / UpdateTrail check (AWS: InsufficientS3BucketPolicyException): that the bucket
 * policy lets CloudTrail, for this trail, read the bucket's ACL and write under `AWSLogs/<account>/`
 * with bucket-owner-full-control. Evaluated by the engine; a denial keeps its explanation under the
 * bucket owner's account (the decision id is returned).
 */
export async function bucketPolicyAllows(
  ctx: ActionContext,
  trail: TrailRow,
  bucket: BucketRow,
): Promise<{ allowed: true } | { allowed: false; decisionId: string }> {
  const sctx = serviceContext(ctx, trail, ctx.request.now);
  const acl = await decide(sctx, "s3:GetBucketAcl", s3Target(bucket, bucketArn(bucket.name)));
  if (acl.decision.decision !== "allow") return { allowed: false, decisionId: acl.decisionId };
  const probe = objectArn(bucket.name, `${logsPrefix(trail)}CloudTrail/${trail.region}/`);
  const put = await decide(sctx, "s3:PutObject", s3Target(bucket, probe, { "s3:x-amz-acl": DELIVERY_ACL }));
  return put.decision.decision === "allow" ? { allowed: true } : { allowed: false, decisionId: put.decisionId };
}
