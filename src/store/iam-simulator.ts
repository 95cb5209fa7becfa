/** What the policy simulator needs beyond the policy loader (store/authz.ts): the names of the groups whose inline policies appear (SourcePolicyId names them). */
import { sql } from "drizzle-orm";
import type { Db } from "./db";

/** group id → group name for the groups a user belongs to. */
export async function groupNamesOfUser(db: Db, accountId: string, userId: string): Promise<Map<string, string>> {
  const rows = await db.all<{ id: string; name: string }>(sql`
    SELECT g.group_id AS id, g.group_name AS name
      FROM group_members gm JOIN groups g ON g.account_id = gm.account_id AND g.group_id = gm.group_id
     WHERE gm.account_id = ${accountId} AND gm.user_id = ${userId}`);
  return new Map(rows.map((r) => [r.id, r.name]));
}
