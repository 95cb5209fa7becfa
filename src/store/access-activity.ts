/**
 * Access Advisor data, in the store's one dialect (src/store/db.ts): the last authenticated use
 * per IAM entity (user / role ARN), service namespace and — for the services whose actions AWS
 * tracks — action (access_activity), and the jobs of GenerateServiceLastAccessedDetails
 * (access_advisor_jobs). All of it is bookkeeping (the request path, effect-`none` actions): the plain `Db`.
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import {
  accessActivity,
  accessAdvisorJobs,
  awsManagedPolicies,
  groupMembers,
  groups,
  inlinePolicies,
  policies,
  policyAttachments,
  policyVersions,
  roles,
  users,
} from "./schema";
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
  await db.$client.batch(activityStatements(db, a));
}

/** The upserts recordActivity runs, for callers batching them with other writes. */
export function activityStatements(db: Db, a: ActivityInput): D1PreparedStatement[] {
  const t = accessActivity;
  const when = isoSeconds(a.now);
  const upsert = (action: string) =>
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.accountId)}, ${bare(t.principalArn)}, ${bare(t.entityArn)}, ${bare(t.service)}, ${bare(t.action)},
          ${bare(t.lastAuthenticated)}, ${bare(t.region)})
        VALUES (${a.accountId}, ${a.principalArn}, ${a.entityArn}, ${a.service.toLowerCase()}, ${action}, ${when}, ${a.region})
        ON CONFLICT (${bare(t.accountId)}, ${bare(t.entityArn)}, ${bare(t.service)}, ${bare(t.action)}) DO UPDATE SET
          ${bare(t.principalArn)} = excluded.${bare(t.principalArn)}, ${bare(t.lastAuthenticated)} = excluded.${bare(t.lastAuthenticated)},
          ${bare(t.region)} = excluded.${bare(t.region)}
        WHERE excluded.${bare(t.lastAuthenticated)} >= ${t.lastAuthenticated}`,
    );
  const stmts = [upsert("")];
  if (TRACKED_SERVICES.has(a.service.toLowerCase()) && a.action) stmts.push(upsert(a.action));
  return stmts;
}

/** An activity row as the store returns it: every column of `access_activity` but account_id and principal_arn. */
export type ActivityRow = Row<typeof accessActivity, "accountId" | "principalArn">;

/** Activity of the given entities (service rows have action ""). */
export async function activityOf(db: Db, accountId: string, entityArns: string[]): Promise<ActivityRow[]> {
  if (entityArns.length === 0) return [];
  const t = accessActivity;
  return all<ActivityRow>(
    db,
    sql`SELECT ${selectList(t, ["accountId", "principalArn"])} FROM ${t}
      WHERE ${t.accountId} = ${accountId} AND ${t.entityArn} IN (SELECT value FROM json_each(${JSON.stringify(entityArns)}))`,
  );
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

/** The EntityInfo select list of a user row and of a role row. */
const ENTITY = {
  user: sql`${users.arn} AS "arn", ${users.userName} AS "name", 'USER' AS "type", ${users.userId} AS "id", ${users.path} AS "path"`,
  role: sql`${roles.arn} AS "arn", ${roles.roleName} AS "name", 'ROLE' AS "type", ${roles.roleId} AS "id", ${roles.path} AS "path"`,
};

/** Documents of the managed and inline policies of the (entity_type, entity_id) pairs `ents` selects. */
function documentsOf(db: Db, accountId: string, ents: SQL): D1PreparedStatement {
  const pa = policyAttachments;
  const ip = inlinePolicies;
  return statement(
    db,
    sql`WITH ents(t, id) AS (${ents})
      SELECT COALESCE(${policyVersions.document}, ${awsManagedPolicies.document}) AS doc
        FROM ${pa} JOIN ents ON ents.t = ${pa.entityType} AND ents.id = ${pa.entityId}
        LEFT JOIN ${policies} ON ${policies.accountId} = ${accountId} AND ${policies.arn} = ${pa.policyArn}
        LEFT JOIN ${policyVersions} ON ${policyVersions.policyId} = ${policies.policyId} AND ${policyVersions.versionId} = ${policies.defaultVersionId}
        LEFT JOIN ${awsManagedPolicies} ON ${awsManagedPolicies.arn} = ${pa.policyArn}
       WHERE ${pa.accountId} = ${accountId}
      UNION ALL
      SELECT ${ip.document} FROM ${ip} JOIN ents ON ents.t = ${ip.entityType} AND ents.id = ${ip.entityId} WHERE ${ip.accountId} = ${accountId}`,
  );
}

const docs = (rows: { doc: string | null }[]) => rows.map((r) => r.doc).filter((d): d is string => !!d);

/** The subject of a job on a user, group, role or policy ARN; null when the entity does not exist. */
export async function jobSubject(
  db: Db,
  accountId: string,
  kind: "user" | "group" | "role" | "policy",
  arn: string,
): Promise<JobSubject | null> {
  const d1 = db.$client;
  const gm = groupMembers;
  if (kind === "user" || kind === "role") {
    const ent = await first<EntityInfo>(
      db,
      kind === "user"
        ? sql`SELECT ${ENTITY.user} FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.arn} = ${arn}`
        : sql`SELECT ${ENTITY.role} FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.arn} = ${arn}`,
    );
    if (!ent) return null;
    const ents =
      kind === "user"
        ? sql`SELECT 'user', ${ent.id} UNION ALL SELECT 'group', ${gm.groupId} FROM ${gm} WHERE ${gm.accountId} = ${accountId} AND ${gm.userId} = ${ent.id}`
        : sql`SELECT 'role', ${ent.id}`;
    const { results } = await documentsOf(db, accountId, ents).all<{ doc: string | null }>();
    return { documents: docs(results), entities: [ent] };
  }
  if (kind === "group") {
    const g = await first<{ id: string }>(
      db,
      sql`SELECT ${groups.groupId} AS id FROM ${groups} WHERE ${groups.accountId} = ${accountId} AND ${groups.arn} = ${arn}`,
    );
    if (!g) return null;
    const [docRows, members] = await d1.batch([
      documentsOf(db, accountId, sql`SELECT 'group', ${g.id}`),
      statement(
        db,
        sql`SELECT ${ENTITY.user} FROM ${gm} JOIN ${users} ON ${users.userId} = ${gm.userId} WHERE ${gm.accountId} = ${accountId} AND ${gm.groupId} = ${g.id}`,
      ),
    ]);
    return {
      documents: docs((docRows?.results ?? []) as { doc: string | null }[]),
      entities: (members?.results ?? []) as EntityInfo[],
    };
  }
  const pa = policyAttachments;
  const [doc, userRows, roleRows] = await d1.batch([
    statement(
      db,
      sql`SELECT ${policyVersions.document} AS doc FROM ${policies}
          JOIN ${policyVersions} ON ${policyVersions.policyId} = ${policies.policyId} AND ${policyVersions.versionId} = ${policies.defaultVersionId}
        WHERE ${policies.accountId} = ${accountId} AND ${policies.arn} = ${arn}
      UNION ALL SELECT ${awsManagedPolicies.document} FROM ${awsManagedPolicies} WHERE ${awsManagedPolicies.arn} = ${arn}`,
    ),
    statement(
      db,
      sql`SELECT DISTINCT ${ENTITY.user} FROM ${users} WHERE ${users.accountId} = ${accountId} AND (
        EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.accountId} = ${accountId} AND ${pa.policyArn} = ${arn} AND ${pa.entityType} = 'user' AND ${pa.entityId} = ${users.userId})
        OR EXISTS (SELECT 1 FROM ${gm} JOIN ${pa} ON ${pa.entityType} = 'group' AND ${pa.entityId} = ${gm.groupId}
                   WHERE ${gm.accountId} = ${accountId} AND ${gm.userId} = ${users.userId} AND ${pa.accountId} = ${accountId} AND ${pa.policyArn} = ${arn}))`,
    ),
    statement(
      db,
      sql`SELECT ${ENTITY.role} FROM ${roles} JOIN ${pa} ON ${pa.entityType} = 'role' AND ${pa.entityId} = ${roles.roleId}
        WHERE ${roles.accountId} = ${accountId} AND ${pa.accountId} = ${accountId} AND ${pa.policyArn} = ${arn}`,
    ),
  ]);
  const d = (doc?.results[0] as { doc?: string } | undefined)?.doc;
  if (!d) return null;
  return { documents: [d], entities: [...((userRows?.results ?? []) as EntityInfo[]), ...((roleRows?.results ?? []) as EntityInfo[])] };
}

// ---------------------------------------------------------------- jobs

/** A job as the store returns it: every column of `access_advisor_jobs` but account_id. */
export type JobRow = Omit<Row<typeof accessAdvisorJobs, "accountId">, "granularity" | "status"> & {
  granularity: "SERVICE_LEVEL" | "ACTION_LEVEL";
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED";
};

export async function insertJob(db: Db, accountId: string, j: JobRow): Promise<void> {
  const t = accessAdvisorJobs;
  await statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.jobId)}, ${bare(t.accountId)}, ${bare(t.arn)}, ${bare(t.granularity)}, ${bare(t.status)},
        ${bare(t.creationDate)}, ${bare(t.completionDate)}, ${bare(t.result)})
      VALUES (${j.jobId}, ${accountId}, ${j.arn}, ${j.granularity}, ${j.status}, ${j.creationDate}, ${j.completionDate}, ${j.result})`,
  ).run();
}

export async function getJob(db: Db, accountId: string, jobId: string): Promise<JobRow | null> {
  const t = accessAdvisorJobs;
  return (
    (await first<JobRow>(
      db,
      sql`SELECT ${selectList(t, ["accountId"])} FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.jobId} = ${jobId}`,
    )) ?? null
  );
}
