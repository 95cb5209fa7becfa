/**
 * Persisted decision explanations (see schema.ts `decisions`): one row per decision id, pruned after
 * a day. Bookkeeping of the authorization path, in the store's one dialect (src/store/db.ts) with the plain `Db`.
 */
import { sql } from "drizzle-orm";
import { all, bare, first, statement, type Db } from "./db";
import { decisions } from "./schema";

export const DECISION_RETENTION_MS = 24 * 60 * 60 * 1000;

export async function saveDecision(
  db: Db,
  decisionId: string,
  accountId: string,
  createdAt: number,
  record: string,
  pruneBefore?: number,
): Promise<void> {
  const t = decisions;
  const insert = statement(
    db,
    sql`INSERT OR REPLACE INTO ${t} (${bare(t.decisionId)}, ${bare(t.accountId)}, ${bare(t.createdAt)}, ${bare(t.record)})
      VALUES (${decisionId}, ${accountId}, ${createdAt}, ${record})`,
  );
  await (pruneBefore === undefined
    ? insert.run()
    : db.$client.batch([insert, statement(db, sql`DELETE FROM ${t} WHERE ${t.createdAt} < ${pruneBefore}`)]));
}

export async function loadDecision(db: Db, decisionId: string): Promise<string | undefined> {
  const row = await first<{ record: string }>(
    db,
    sql`SELECT ${decisions.record} AS "record" FROM ${decisions} WHERE ${decisions.decisionId} = ${decisionId}`,
  );
  return row?.record;
}

// --- console (issue 20): "Why was I denied?" lists the account's recent decisions ---
/** The account's most recent kept decisions (records as JSON), newest first. */
export async function recentDecisionRecords(db: Db, accountId: string, limit: number): Promise<string[]> {
  const t = decisions;
  const rows = await all<{ record: string }>(
    db,
    sql`SELECT ${t.record} AS "record" FROM ${t} WHERE ${t.accountId} = ${accountId} ORDER BY ${t.createdAt} DESC LIMIT ${limit}`,
  );
  return rows.map((r) => r.record);
}
