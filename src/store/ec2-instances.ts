/**
 * EC2 instances (D1 `ec2_instances`) and their IAM instance profile associations
 * (`ec2_iip_associations`). Instances are regional: every query names (account, region). EC2 writes
 * are data-plane writes of effect `none`: single statements or one `d1.batch` (one transaction),
 * so a launch of N instances with their associations lands whole or not at all.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db } from "./db";
import { ec2IipAssociations, ec2Instances, instanceProfiles, roles } from "./schema";

export interface Ec2Tag {
  Key: string;
  Value: string;
}

export type InstanceRow = Omit<typeof ec2Instances.$inferSelect, "tags"> & { tags: Ec2Tag[] };
export type AssociationRow = typeof ec2IipAssociations.$inferSelect;

/** An instance with its active association (if any). */
export interface InstanceView extends InstanceRow {
  association: AssociationRow | null;
}

const I = ec2Instances;
const A = ec2IipAssociations;

function tagsOf(json: string): Ec2Tag[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as Ec2Tag[]).filter((t) => typeof t?.Key === "string" && typeof t.Value === "string") : [];
  } catch {
    return [];
  }
}

type RawInstance = typeof ec2Instances.$inferSelect;
interface JoinedRow extends RawInstance {
  aId: string | null;
  aProfileId: string | null;
  aProfileArn: string | null;
  aCreatedAt: number | null;
}

function viewOf(r: JoinedRow): InstanceView {
  const { aId, aProfileId, aProfileArn, aCreatedAt, tags, ...row } = r;
  return {
    ...row,
    tags: tagsOf(tags),
    association:
      aId && aProfileId && aProfileArn && aCreatedAt !== null
        ? {
            associationId: aId,
            accountId: row.accountId,
            region: row.region,
            instanceId: row.instanceId,
            instanceProfileId: aProfileId,
            instanceProfileArn: aProfileArn,
            active: 1,
            createdAt: aCreatedAt,
            endedAt: null,
          }
        : null,
  };
}

const SELECT_VIEW = sql`SELECT ${selectList(I)}, ${A.associationId} AS "aId", ${A.instanceProfileId} AS "aProfileId",
  ${A.instanceProfileArn} AS "aProfileArn", ${A.createdAt} AS "aCreatedAt"
  FROM ${I} LEFT JOIN ${A} ON ${A.instanceId} = ${I.instanceId} AND ${A.active} = 1`;

/** How many instances one Describe looks at (filters and pages are applied in memory over these). */
export const MAX_LISTED_INSTANCES = 2000;

/** The account's instances in a region, oldest first; terminated ones only while still visible (after `visibleSince`). */
export async function listInstances(db: Db, account: string, region: string, terminatedVisibleSince: number): Promise<InstanceView[]> {
  const rows = await all<JoinedRow>(
    db,
    sql`${SELECT_VIEW} WHERE ${I.accountId} = ${account} AND ${I.region} = ${region}
      AND (${I.state} NOT IN ('terminated', 'shutting-down') OR ${I.stateChangedAt} >= ${terminatedVisibleSince})
      ORDER BY ${I.launchedAt}, ${I.instanceId} LIMIT ${MAX_LISTED_INSTANCES}`,
  );
  return rows.map(viewOf);
}

/** The instances among `ids` that exist in (account, region). */
export async function getInstances(
  db: Db,
  account: string,
  region: string,
  ids: readonly string[],
  terminatedVisibleSince: number,
): Promise<InstanceView[]> {
  if (!ids.length) return [];
  const rows = await all<JoinedRow>(
    db,
    sql`${SELECT_VIEW} WHERE ${I.accountId} = ${account} AND ${I.region} = ${region}
      AND ${I.instanceId} IN (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})
      AND (${I.state} NOT IN ('terminated', 'shutting-down') OR ${I.stateChangedAt} >= ${terminatedVisibleSince})`,
  );
  return rows.map(viewOf);
}

function insertInstanceStmt(db: Db, r: InstanceRow): D1PreparedStatement {
  return statement(
    db,
    sql`INSERT INTO ${I} (${bare(I.instanceId)}, ${bare(I.accountId)}, ${bare(I.region)}, ${bare(I.reservationId)}, ${bare(I.launchIndex)},
        ${bare(I.imageId)}, ${bare(I.instanceType)}, ${bare(I.keyName)}, ${bare(I.state)}, ${bare(I.stateChangedAt)}, ${bare(I.stateReason)},
        ${bare(I.launchedAt)}, ${bare(I.privateIp)}, ${bare(I.subnetId)}, ${bare(I.vpcId)}, ${bare(I.availabilityZone)},
        ${bare(I.clientToken)}, ${bare(I.tags)})
      VALUES (${r.instanceId}, ${r.accountId}, ${r.region}, ${r.reservationId}, ${r.launchIndex}, ${r.imageId}, ${r.instanceType},
        ${r.keyName}, ${r.state}, ${r.stateChangedAt}, ${r.stateReason}, ${r.launchedAt}, ${r.privateIp}, ${r.subnetId}, ${r.vpcId},
        ${r.availabilityZone}, ${r.clientToken}, ${JSON.stringify(r.tags)})`,
  );
}

function insertAssociationStmt(db: Db, a: AssociationRow): D1PreparedStatement {
  return statement(
    db,
    sql`INSERT INTO ${A} (${bare(A.associationId)}, ${bare(A.accountId)}, ${bare(A.region)}, ${bare(A.instanceId)},
        ${bare(A.instanceProfileId)}, ${bare(A.instanceProfileArn)}, ${bare(A.active)}, ${bare(A.createdAt)}, ${bare(A.endedAt)})
      VALUES (${a.associationId}, ${a.accountId}, ${a.region}, ${a.instanceId}, ${a.instanceProfileId}, ${a.instanceProfileArn},
        ${a.active}, ${a.createdAt}, ${a.endedAt})`,
  );
}

/** A launch: the instances and their associations, in one transaction. */
export async function insertInstances(db: Db, rows: readonly InstanceRow[], associations: readonly AssociationRow[]): Promise<void> {
  await db.$client.batch([...rows.map((r) => insertInstanceStmt(db, r)), ...associations.map((a) => insertAssociationStmt(db, a))]);
}

export interface StateChange {
  instanceId: string;
  state: string;
  reason: string;
}

/**
 * New states, in one transaction. A terminated instance's association ends with it (AWS drops the
 * association of a terminated instance).
 */
export async function setInstanceStates(db: Db, account: string, changes: readonly StateChange[], now: number): Promise<void> {
  const stmts: D1PreparedStatement[] = [];
  for (const c of changes) {
    stmts.push(
      statement(
        db,
        sql`UPDATE ${I} SET ${bare(I.state)} = ${c.state}, ${bare(I.stateChangedAt)} = ${now}, ${bare(I.stateReason)} = ${c.reason}
          WHERE ${I.accountId} = ${account} AND ${I.instanceId} = ${c.instanceId}`,
      ),
    );
    if (c.state === "shutting-down" || c.state === "terminated")
      stmts.push(
        statement(
          db,
          sql`UPDATE ${A} SET ${bare(A.active)} = 0, ${bare(A.endedAt)} = ${now}
            WHERE ${A.accountId} = ${account} AND ${A.instanceId} = ${c.instanceId} AND ${A.active} = 1`,
        ),
      );
  }
  if (stmts.length) await db.$client.batch(stmts);
}

/** The instances' tags, one statement each, in one transaction. */
export async function setInstanceTags(db: Db, account: string, tags: ReadonlyMap<string, readonly Ec2Tag[]>): Promise<void> {
  const stmts = [...tags].map(([id, t]) =>
    statement(
      db,
      sql`UPDATE ${I} SET ${bare(I.tags)} = ${JSON.stringify(t)} WHERE ${I.accountId} = ${account} AND ${I.instanceId} = ${id}`,
    ),
  );
  if (stmts.length) await db.$client.batch(stmts);
}

export async function getAssociation(db: Db, account: string, region: string, associationId: string): Promise<AssociationRow | undefined> {
  return first<AssociationRow>(
    db,
    sql`SELECT ${selectList(A)} FROM ${A} WHERE ${A.accountId} = ${account} AND ${A.region} = ${region} AND ${A.associationId} = ${associationId}`,
  );
}

/** The account's associations in a region: the active ones, and the ended ones since `endedSince`. */
export async function listAssociations(db: Db, account: string, region: string, endedSince: number): Promise<AssociationRow[]> {
  return all<AssociationRow>(
    db,
    sql`SELECT ${selectList(A)} FROM ${A} WHERE ${A.accountId} = ${account} AND ${A.region} = ${region}
      AND (${A.active} = 1 OR ${A.endedAt} >= ${endedSince}) ORDER BY ${A.createdAt}, ${A.associationId} LIMIT ${MAX_LISTED_INSTANCES}`,
  );
}

/** A new active association; "exists" when the instance already has one (the unique index decides races). */
export async function insertAssociation(db: Db, a: AssociationRow): Promise<"created" | "exists"> {
  try {
    await insertAssociationStmt(db, a).run();
    return "created";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    throw e;
  }
}

/** Ends `old` (if still active) and makes `next` the instance's association, in one transaction; false when `old` was no longer active. */
export async function replaceAssociation(db: Db, old: AssociationRow, next: AssociationRow, now: number): Promise<boolean> {
  const end = statement(
    db,
    sql`UPDATE ${A} SET ${bare(A.active)} = 0, ${bare(A.endedAt)} = ${now}
      WHERE ${A.associationId} = ${old.associationId} AND ${A.active} = 1 RETURNING ${bare(A.associationId)}`,
  );
  // Inserted only when the old one was ended by this very batch (else nothing is written).
  const insert = statement(
    db,
    sql`INSERT INTO ${A} (${bare(A.associationId)}, ${bare(A.accountId)}, ${bare(A.region)}, ${bare(A.instanceId)},
        ${bare(A.instanceProfileId)}, ${bare(A.instanceProfileArn)}, ${bare(A.active)}, ${bare(A.createdAt)}, ${bare(A.endedAt)})
      SELECT ${next.associationId}, ${next.accountId}, ${next.region}, ${next.instanceId}, ${next.instanceProfileId},
        ${next.instanceProfileArn}, 1, ${next.createdAt}, NULL
      WHERE EXISTS (SELECT 1 FROM ${A} WHERE ${A.associationId} = ${old.associationId} AND ${A.endedAt} = ${now})
        AND NOT EXISTS (SELECT 1 FROM ${A} WHERE ${A.instanceId} = ${next.instanceId} AND ${A.active} = 1)`,
  );
  const [ended] = await db.$client.batch<{ association_id?: string }>([end, insert]);
  return (ended?.results.length ?? 0) > 0;
}

/** Ends an active association; false when it was not active. */
export async function endAssociation(db: Db, associationId: string, now: number): Promise<boolean> {
  const rows = await all<{ association_id: string }>(
    db,
    sql`UPDATE ${A} SET ${bare(A.active)} = 0, ${bare(A.endedAt)} = ${now}
      WHERE ${A.associationId} = ${associationId} AND ${A.active} = 1 RETURNING ${bare(A.associationId)}`,
  );
  return rows.length > 0;
}

/** What an instance's credentials come from, read fresh on every fetch: the instance, its active association, the profile's role. */
export interface InstanceRoleSource {
  accountId: string;
  region: string;
  state: string;
  vpcId: string;
  privateIp: string;
  associationId: string | null;
  profileName: string | null;
  roleId: string | null;
  roleName: string | null;
  trustPolicy: string | null;
}

export async function instanceRoleSource(db: Db, account: string, instanceId: string): Promise<InstanceRoleSource | undefined> {
  const P = instanceProfiles;
  const R = roles;
  return first<InstanceRoleSource>(
    db,
    sql`SELECT ${I.accountId} AS "accountId", ${I.region} AS "region", ${I.state} AS "state", ${I.vpcId} AS "vpcId",
        ${I.privateIp} AS "privateIp", ${A.associationId} AS "associationId", ${P.instanceProfileName} AS "profileName",
        ${R.roleId} AS "roleId", ${R.roleName} AS "roleName", ${R.assumeRolePolicyDocument} AS "trustPolicy"
      FROM ${I}
      LEFT JOIN ${A} ON ${A.instanceId} = ${I.instanceId} AND ${A.active} = 1
      LEFT JOIN ${P} ON ${P.instanceProfileId} = ${A.instanceProfileId} AND ${P.accountId} = ${I.accountId}
      LEFT JOIN ${R} ON ${R.roleId} = ${P.roleId} AND ${R.accountId} = ${I.accountId}
      WHERE ${I.accountId} = ${account} AND ${I.instanceId} = ${instanceId}`,
  );
}
