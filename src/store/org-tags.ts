/**
 * Tags of an organization's accounts, OUs, root and customer policies (migrations/0021): kept under
 * the management account (account_id), so deleting it clears them. Tags grant nothing here
 * (aws:ResourceTag of Organizations resources is not evaluated), so writes bump no generation.
 */
import { sql } from "drizzle-orm";
import { all, statement, type Db } from "./db";
import type { OrgRow } from "./org-organizations";

export interface OrgTag {
  Key: string;
  Value: string;
}

export function listOrgTags(db: Db, orgId: string, resourceId: string): Promise<OrgTag[]> {
  return all<OrgTag>(
    db,
    sql`SELECT key AS Key, value AS Value FROM org_tags WHERE org_id = ${orgId} AND resource_id = ${resourceId} ORDER BY key`,
  );
}

/** Adds or overwrites tags unless the resource would then hold more than `max`; false then (nothing written). */
export async function putOrgTags(db: Db, org: OrgRow, resourceId: string, tags: OrgTag[], max: number): Promise<boolean> {
  if (tags.length === 0) return true;
  const keys = tags.map((t) => t.Key);
  const inList = sql.join(
    keys.map((k) => sql`${k}`),
    sql`, `,
  );
  // The count after the write: existing keys not overwritten plus the new ones; checked in the batch's first statement.
  const guard = sql`(SELECT count(*) FROM org_tags WHERE org_id = ${org.orgId} AND resource_id = ${resourceId} AND key NOT IN (${inList})) + ${keys.length} <= ${max}`;
  const res = await db.$client.batch(
    tags.map((t) =>
      statement(
        db,
        sql`INSERT INTO org_tags (account_id, org_id, resource_id, key, value) SELECT ${org.accountId}, ${org.orgId}, ${resourceId}, ${t.Key}, ${t.Value}
          WHERE ${guard} ON CONFLICT (org_id, resource_id, key) DO UPDATE SET value = excluded.value`,
      ),
    ),
  );
  return (res[0]?.meta.changes ?? 0) === 1;
}

export async function removeOrgTags(db: Db, orgId: string, resourceId: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await statement(
    db,
    sql`DELETE FROM org_tags WHERE org_id = ${orgId} AND resource_id = ${resourceId} AND key IN (${sql.join(
      keys.map((k) => sql`${k}`),
      sql`, `,
    )})`,
  ).run();
}
