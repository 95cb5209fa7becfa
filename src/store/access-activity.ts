/**
 * Access Advisor data: the last authenticated use per IAM entity (user / role ARN), service
 * namespace and — for the services whose actions AWS tracks — action (access_activity), and the
 * jobs of GenerateServiceLastAccessedDetails (access_advisor_jobs).
 */
import type { Db } from "./db";
import { isoSeconds } from "../lib/clock";

/** Services whose actions Access Advisor reports one by one (AWS: IAM, EC2, Lambda, S3 management actions). */
export const TRACKED_SERVICES: ReadonlySet<string> = new Set(["iam", "ec2", "lambda", "s3"]);

export interface ActivityInput {
  accountId: string;
  /** the caller: user ARN, assumed-role session ARN … */
  principalArn: string;
  /** the IAM entity the use counts for: the user ARN, or the role ARN (with path) behind a session */
  entityArn: string;
  /** service namespace, e.g. "iam" */
  service: string;
  /** action name, e.g. "ListUsers" (recorded per action only for tracked services) */
  action: string;
  region: string;
  /** epoch ms */
  now: number;
}

/**
 * Records one authenticated request, in one D1 batch (one round trip): the service-level row and,
 * for tracked services, the action row. Meant to run after the response (ctx.waitUntil).
 */
export async function recordActivity(db: Db, a: ActivityInput): Promise<void> {
  const d1 = db.$client;
  const when = isoSeconds(a.now);
  const upsert = (action: string) =>
    d1
      .prepare(`INSERT INTO access_activity (account_id, principal_arn, entity_arn, service, action, last_authenticated, region)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (account_id, entity_arn, service, action) DO UPDATE SET
          principal_arn = excluded.principal_arn, last_authenticated = excluded.last_authenticated, region = excluded.region
        WHERE excluded.last_authenticated >= access_activity.last_authenticated`)
      .bind(a.accountId, a.principalArn, a.entityArn, a.service.toLowerCase(), action, when, a.region);
  const stmts = [upsert("")];
  if (TRACKED_SERVICES.has(a.service.toLowerCase()) && a.action) stmts.push(upsert(a.action));
  await d1.batch(stmts);
}

export interface ActivityRow {
  entityArn: string;
  service: string;
  action: string;
  lastAuthenticated: string;
  region: string;
}

/** Activity of the given entities (service rows have action ""). */
export async function activityOf(db: Db, accountId: string, entityArns: string[]): Promise<ActivityRow[]> {
  if (entityArns.length === 0) return [];
  const { results } = await db.$client
    .prepare(`SELECT entity_arn AS entityArn, service, action, last_authenticated AS lastAuthenticated, region FROM access_activity
      WHERE account_id = ? AND entity_arn IN (SELECT value FROM json_each(?))`)
    .bind(accountId, JSON.stringify(entityArns))
    .all<ActivityRow>();
  return results;
}

// ---------------------------------------------------------------- the entity behind a job

export interface EntityInfo {
  arn: string;
  name: string;
  type: "USER" | "ROLE" | "GROUP";
  id: string;
  path: string;
}

export interface JobSubject {
  /** policy documents whose Allow statements decide which services are listed */
  documents: string[];
  /** the users / roles whose activity counts (the entity itself, a group's members, a policy's users and roles) */
  entities: EntityInfo[];
}

const ENTITY_COLS = {
  user: `u.arn AS arn, u.user_name AS name, 'USER' AS type, u.user_id AS id, u.path AS path`,
  role: `r.arn AS arn, r.role_name AS name, 'ROLE' AS type, r.role_id AS id, r.path AS path`,
};

/** Documents of the managed and inline policies of the given (entity_type, entity_id) pairs. */
function documentsOf(db: Db, accountId: string, ents: string, id: string): D1PreparedStatement {
  return db.$client
    .prepare(`WITH ents(t, id) AS (${ents})
      SELECT COALESCE(pv.document, am.document) AS doc FROM policy_attachments pa JOIN ents e ON e.t = pa.entity_type AND e.id = pa.entity_id
        LEFT JOIN policies p ON p.account_id = ?1 AND p.arn = pa.policy_arn
        LEFT JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
        LEFT JOIN aws_managed_policies am ON am.arn = pa.policy_arn
       WHERE pa.account_id = ?1
      UNION ALL
      SELECT ip.document FROM inline_policies ip JOIN ents e ON e.t = ip.entity_type AND e.id = ip.entity_id WHERE ip.account_id = ?1`)
    .bind(accountId, id);
}

/** The subject of a job on a user, group, role or policy ARN; null when the entity does not exist. */
export async function jobSubject(
  db: Db,
  accountId: string,
  kind: "user" | "group" | "role" | "policy",
  arn: string,
): Promise<JobSubject | null> {
  const d1 = db.$client;
  if (kind === "user" || kind === "role") {
    const table = kind === "user" ? "users u" : "roles r";
    const ent = await d1
      .prepare(
        `SELECT ${ENTITY_COLS[kind]} FROM ${table} WHERE ${kind === "user" ? "u" : "r"}.account_id = ? AND ${kind === "user" ? "u" : "r"}.arn = ?`,
      )
      .bind(accountId, arn)
      .first<EntityInfo>();
    if (!ent) return null;
    const ents =
      kind === "user"
        ? `SELECT 'user', ?2 UNION ALL SELECT 'group', gm.group_id FROM group_members gm WHERE gm.account_id = ?1 AND gm.user_id = ?2`
        : `SELECT 'role', ?2`;
    const { results } = await documentsOf(db, accountId, ents, ent.id).all<{ doc: string | null }>();
    return { documents: results.map((r) => r.doc).filter((d): d is string => !!d), entities: [ent] };
  }
  if (kind === "group") {
    const g = await d1
      .prepare(`SELECT group_id AS id FROM groups WHERE account_id = ? AND arn = ?`)
      .bind(accountId, arn)
      .first<{ id: string }>();
    if (!g) return null;
    const [docs, members] = await d1.batch([
      documentsOf(db, accountId, `SELECT 'group', ?2`, g.id),
      d1
        .prepare(
          `SELECT ${ENTITY_COLS.user} FROM group_members gm JOIN users u ON u.user_id = gm.user_id WHERE gm.account_id = ? AND gm.group_id = ?`,
        )
        .bind(accountId, g.id),
    ]);
    return {
      documents: ((docs?.results ?? []) as { doc: string | null }[]).map((r) => r.doc).filter((d): d is string => !!d),
      entities: (members?.results ?? []) as EntityInfo[],
    };
  }
  const [doc, users, roles] = await d1.batch([
    d1
      .prepare(`SELECT pv.document AS doc FROM policies p JOIN policy_versions pv ON pv.policy_id = p.policy_id AND pv.version_id = p.default_version_id
        WHERE p.account_id = ?1 AND p.arn = ?2
      UNION ALL SELECT document FROM aws_managed_policies WHERE arn = ?2`)
      .bind(accountId, arn),
    d1
      .prepare(`SELECT DISTINCT ${ENTITY_COLS.user} FROM users u WHERE u.account_id = ?1 AND (
        EXISTS (SELECT 1 FROM policy_attachments pa WHERE pa.account_id = ?1 AND pa.policy_arn = ?2 AND pa.entity_type = 'user' AND pa.entity_id = u.user_id)
        OR EXISTS (SELECT 1 FROM group_members gm JOIN policy_attachments pa ON pa.entity_type = 'group' AND pa.entity_id = gm.group_id
                   WHERE gm.account_id = ?1 AND gm.user_id = u.user_id AND pa.account_id = ?1 AND pa.policy_arn = ?2))`)
      .bind(accountId, arn),
    d1
      .prepare(`SELECT ${ENTITY_COLS.role} FROM roles r JOIN policy_attachments pa ON pa.entity_type = 'role' AND pa.entity_id = r.role_id
        WHERE r.account_id = ?1 AND pa.account_id = ?1 AND pa.policy_arn = ?2`)
      .bind(accountId, arn),
  ]);
  const d = (doc?.results[0] as { doc?: string } | undefined)?.doc;
  if (!d) return null;
  return { documents: [d], entities: [...((users?.results ?? []) as EntityInfo[]), ...((roles?.results ?? []) as EntityInfo[])] };
}

// ---------------------------------------------------------------- jobs

export interface JobRow {
  jobId: string;
  arn: string;
  granularity: "SERVICE_LEVEL" | "ACTION_LEVEL";
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  creationDate: string;
  completionDate: string | null;
  result: string | null;
}

export async function insertJob(db: Db, accountId: string, j: JobRow): Promise<void> {
  await db.$client
    .prepare(`INSERT INTO access_advisor_jobs (job_id, account_id, arn, granularity, status, creation_date, completion_date, result)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(j.jobId, accountId, j.arn, j.granularity, j.status, j.creationDate, j.completionDate, j.result)
    .run();
}

export async function getJob(db: Db, accountId: string, jobId: string): Promise<JobRow | null> {
  return db.$client
    .prepare(`SELECT job_id AS jobId, arn, granularity, status, creation_date AS creationDate, completion_date AS completionDate, result
      FROM access_advisor_jobs WHERE account_id = ? AND job_id = ?`)
    .bind(accountId, jobId)
    .first<JobRow>();
}
