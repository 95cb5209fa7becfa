/** Persisted decision explanations (see schema.ts `decisions`): one row per decision id, pruned after a day. */
import type { Db } from "./db";

export const DECISION_RETENTION_MS = 24 * 60 * 60 * 1000;

export async function saveDecision(
  db: Db,
  decisionId: string,
  accountId: string,
  createdAt: number,
  record: string,
  pruneBefore?: number,
): Promise<void> {
  const d1 = db.$client;
  const insert = d1
    .prepare("INSERT OR REPLACE INTO decisions (decision_id, account_id, created_at, record) VALUES (?, ?, ?, ?)")
    .bind(decisionId, accountId, createdAt, record);
  await (pruneBefore === undefined
    ? insert.run()
    : d1.batch([insert, d1.prepare("DELETE FROM decisions WHERE created_at < ?").bind(pruneBefore)]));
}

export async function loadDecision(db: Db, decisionId: string): Promise<string | undefined> {
  const row = await db.$client.prepare("SELECT record FROM decisions WHERE decision_id = ?").bind(decisionId).first<{ record: string }>();
  return row?.record;
}
