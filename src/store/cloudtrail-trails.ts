/**
 * CloudTrail trails (D1 `cloudtrail_trails`, migration 0033): their settings, logging state and
 * delivery status. A trail is unique per account and home region; at most MAX_TRAILS per region
 * (AWS's quota), checked in the INSERT itself so two concurrent creates cannot both pass.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, selectList, type Db } from "./db";
import { cloudtrailTrails } from "./schema";

/** AWS: five trails per region. */
export const MAX_TRAILS = 5;

export type TrailRow = typeof cloudtrailTrails.$inferSelect;

const T = cloudtrailTrails;
const COLS = selectList(T);

export async function getTrail(db: Db, accountId: string, region: string, name: string): Promise<TrailRow | undefined> {
  return first<TrailRow>(
    db,
    sql`SELECT ${COLS} FROM ${T} WHERE ${T.accountId} = ${accountId} AND ${T.region} = ${region} AND ${T.name} = ${name}`,
  );
}

/** The account's trails (all regions), by home region and name. */
export async function listTrails(db: Db, accountId: string): Promise<TrailRow[]> {
  return all<TrailRow>(db, sql`SELECT ${COLS} FROM ${T} WHERE ${T.accountId} = ${accountId} ORDER BY ${T.region}, ${T.name}`);
}

/**
 * The trails a delivery run serves (of every account, or of one): those logging, and those stopped
 * since their last delivery attempt (their events up to StopLogging still go out, once).
 */
export async function loggingTrails(db: Db, accountId?: string): Promise<TrailRow[]> {
  return all<TrailRow>(
    db,
    sql`SELECT ${COLS} FROM ${T}
      WHERE (${T.isLogging} = 1 OR (${T.stopLoggingTime} IS NOT NULL
        AND (${T.latestDeliveryAttemptTime} IS NULL OR ${T.latestDeliveryAttemptTime} < ${T.stopLoggingTime})))
      ${accountId !== undefined ? sql`AND ${T.accountId} = ${accountId}` : sql``}
      ORDER BY ${T.accountId}, ${T.region}, ${T.name}`,
  );
}

export type NewTrail = Pick<
  TrailRow,
  | "accountId"
  | "region"
  | "name"
  | "s3Bucket"
  | "s3KeyPrefix"
  | "snsTopicName"
  | "includeGlobal"
  | "multiRegion"
  | "logValidation"
  | "kmsKeyId"
  | "cwLogGroupArn"
  | "cwRoleArn"
  | "tags"
  | "createdAt"
>;

/** Creates the trail unless its name is taken in that region or the region already has MAX_TRAILS. */
export async function createTrail(db: Db, t: NewTrail): Promise<"created" | "exists" | "limit"> {
  const rows = await all<{ name: string }>(
    db,
    sql`INSERT INTO ${T} (${bare(T.accountId)}, ${bare(T.region)}, ${bare(T.name)}, ${bare(T.s3Bucket)}, ${bare(T.s3KeyPrefix)},
        ${bare(T.snsTopicName)}, ${bare(T.includeGlobal)}, ${bare(T.multiRegion)}, ${bare(T.logValidation)}, ${bare(T.kmsKeyId)},
        ${bare(T.cwLogGroupArn)}, ${bare(T.cwRoleArn)}, ${bare(T.tags)}, ${bare(T.createdAt)})
      SELECT ${t.accountId}, ${t.region}, ${t.name}, ${t.s3Bucket}, ${t.s3KeyPrefix}, ${t.snsTopicName}, ${t.includeGlobal},
        ${t.multiRegion}, ${t.logValidation}, ${t.kmsKeyId}, ${t.cwLogGroupArn}, ${t.cwRoleArn}, ${t.tags}, ${t.createdAt}
      WHERE (SELECT count(*) FROM ${T} WHERE ${T.accountId} = ${t.accountId} AND ${T.region} = ${t.region}) < ${MAX_TRAILS}
      ON CONFLICT DO NOTHING RETURNING ${bare(T.name)}`,
  );
  if (rows.length) return "created";
  return (await getTrail(db, t.accountId, t.region, t.name)) ? "exists" : "limit";
}

export type TrailChanges = Partial<Omit<TrailRow, "accountId" | "region" | "name" | "createdAt">>;

const COLUMN_OF: { [K in keyof TrailChanges]-?: (typeof T)[K] } = {
  s3Bucket: T.s3Bucket,
  s3KeyPrefix: T.s3KeyPrefix,
  snsTopicName: T.snsTopicName,
  includeGlobal: T.includeGlobal,
  multiRegion: T.multiRegion,
  logValidation: T.logValidation,
  kmsKeyId: T.kmsKeyId,
  cwLogGroupArn: T.cwLogGroupArn,
  cwRoleArn: T.cwRoleArn,
  eventSelectors: T.eventSelectors,
  advancedEventSelectors: T.advancedEventSelectors,
  tags: T.tags,
  isLogging: T.isLogging,
  startLoggingTime: T.startLoggingTime,
  stopLoggingTime: T.stopLoggingTime,
  deliveredSeq: T.deliveredSeq,
  latestDeliveryTime: T.latestDeliveryTime,
  latestDeliveryError: T.latestDeliveryError,
  latestDeliveryAttemptTime: T.latestDeliveryAttemptTime,
  latestDeliveryAttemptOk: T.latestDeliveryAttemptOk,
};

/**
 * Updates the trail's columns in `changes`; with `ifDeliveredSeq`, only while the delivery cursor
 * still has that value (a delivery run that lost a race writes nothing). False when no row changed.
 */
export async function updateTrail(
  db: Db,
  key: Pick<TrailRow, "accountId" | "region" | "name">,
  changes: TrailChanges,
  ifDeliveredSeq?: number,
): Promise<boolean> {
  const sets = Object.entries(changes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => sql`${bare(COLUMN_OF[k as keyof TrailChanges])} = ${v}`);
  if (!sets.length) return true;
  const rows = await all<{ name: string }>(
    db,
    sql`UPDATE ${T} SET ${sql.join(sets, sql`, `)}
      WHERE ${T.accountId} = ${key.accountId} AND ${T.region} = ${key.region} AND ${T.name} = ${key.name}
      ${ifDeliveredSeq !== undefined ? sql`AND ${T.deliveredSeq} = ${ifDeliveredSeq}` : sql``}
      RETURNING ${bare(T.name)}`,
  );
  return rows.length > 0;
}

export async function deleteTrail(db: Db, key: Pick<TrailRow, "accountId" | "region" | "name">): Promise<boolean> {
  const rows = await all<{ name: string }>(
    db,
    sql`DELETE FROM ${T} WHERE ${T.accountId} = ${key.accountId} AND ${T.region} = ${key.region} AND ${T.name} = ${key.name}
      RETURNING ${bare(T.name)}`,
  );
  return rows.length > 0;
}
