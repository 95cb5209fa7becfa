/**
 * A trail's delivery to S3, as CloudTrail does it: the account's recorded events the trail selects
 * (./selectors.ts) go as gzipped `{"Records":[…]}` log files to
 * `<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz`,
 * written by the service principal `cloudtrail.amazonaws.com` through S3's own PutObject (callAs):
 * the bucket policy decides at every delivery, with `aws:SourceArn` = the trail's ARN,
 * `aws:SourceAccount` = its account and `s3:x-amz-acl` = `bucket-owner-full-control` (the ACL
 * CloudTrail writes with). A learner who breaks the policy sees GetTrailStatus's
 * LatestDeliveryError (`AccessDenied`, or `NoSuchBucket`) and no new files; the events wait (the
 * cursor does not move) and are delivered once the policy is fixed.
 *
 * Who runs it: TrailDeliveryDO (./delivery-do.ts), one per account with a logging trail, on an
 * alarm every IAMLAB_TRAIL_DELIVERY_SECONDS (default 300: AWS delivers "within an average of about
 * 5 minutes"), and the admin API's "deliver now" for labs and tests. The Durable Object serializes
 * an account's deliveries, so a cursor never moves twice over the same events.
 */
import type { Env } from "../../env";
import { getDb } from "../../store/db";
import { getBucket } from "../../store/s3-buckets";
import { segmentsAfter } from "../../store/cloudtrail-events";
import { updateTrail, type TrailRow } from "../../store/cloudtrail-trails";
import { callAs } from "../dispatch";
import { gzip } from "../../lib/gzip";
import { now } from "../../lib/time";
import { selects, type TrailRecord } from "./selectors";
import { DELIVERY_ACL, logFileKey, serviceContext, trailArn } from "./trail-bucket";

/** Segments read per delivery run (and per trail): a backlog goes over several runs. */
const SEGMENTS_PER_RUN = 200;
/** Records per log file (AWS's files hold one account's and region's events of a few minutes). */
const RECORDS_PER_FILE = 2000;

export interface DeliveryReport {
  trail: string;
  files: string[];
  records: number;
  error?: string;
}

/** Delivers what the trail has not looked at yet; records the outcome in the trail's status. Never throws for S3's answers. */
export async function deliverTrail(env: Env, waitUntil: (p: Promise<unknown>) => void, trail: TrailRow): Promise<DeliveryReport> {
  const db = getDb(env.DB);
  const at = now();
  const report: DeliveryReport = { trail: trailArn(trail), files: [], records: 0 };
  const segments = await segmentsAfter(db, trail.accountId, trail.deliveredSeq, SEGMENTS_PER_RUN);
  const last = segments[segments.length - 1];
  if (!last) return report;
  const byRegion = new Map<string, TrailRecord[]>();
  for (const s of segments)
    for (const text of s.records) {
      let r: TrailRecord;
      try {
        r = JSON.parse(text) as TrailRecord;
      } catch {
        continue;
      }
      if (!selects(trail, r)) continue;
      const region = typeof r.awsRegion === "string" ? r.awsRegion : trail.region;
      const list = byRegion.get(region);
      if (list) list.push(r);
      else byRegion.set(region, [r]);
    }
  let error: string | undefined;
  if (byRegion.size) {
    const bucket = await getBucket(db, trail.s3Bucket);
    if (!bucket) error = "NoSuchBucket";
    else {
      const sctx = serviceContext({ env, db, waitUntil }, trail, at);
      outer: for (const [region, records] of byRegion)
        for (let i = 0; i < records.length; i += RECORDS_PER_FILE) {
          const chunk = records.slice(i, i + RECORDS_PER_FILE);
          const key = logFileKey(trail, region, at);
          const body = await gzip(JSON.stringify({ Records: chunk }));
          const put = await callAs(sctx, "s3", "PutObject", {
            Bucket: bucket.name,
            Key: key,
            Body: body,
            ACL: DELIVERY_ACL,
            ContentType: "application/json",
            ContentEncoding: "gzip",
          });
          if (!put.ok) {
            error = put.error.code;
            break outer;
          }
          report.files.push(key);
          report.records += chunk.length;
        }
    }
  }
  // A failed run leaves the cursor (the events wait for the next run); files already written stay
  // written, and the next run writes the rest again from the cursor — as CloudTrail may redeliver.
  const ok = error === undefined;
  await updateTrail(
    db,
    trail,
    {
      ...(ok ? { deliveredSeq: last.seq } : {}),
      latestDeliveryAttemptTime: at,
      latestDeliveryAttemptOk: ok ? 1 : 0,
      ...(ok && report.files.length ? { latestDeliveryTime: at, latestDeliveryError: null } : {}),
      ...(!ok ? { latestDeliveryError: error } : {}),
    },
    trail.deliveredSeq,
  );
  if (error !== undefined) report.error = error;
  return report;
}
