/**
 * The one way an action writes its account's IAM state: `writeBatch`, one D1 batch (one
 * transaction). The generation bump is not written by the store functions: the batch adds it from
 * the running action's effect (src/services/action.ts), so a new permission-relevant write cannot
 * forget it (test/workers/generation.test.ts runs every action and checks).
 * - `permissions`, `rootKeys`: the batch bumps `accounts.generation` when it changed a row. Its
 *   first statement records SQLite's total_changes() in `accounts.write_mark`, its last bumps only
 *   when total_changes() moved past that mark (plus the mark's own change): a failed conditional
 *   write (limit, missing entity, idempotent no-op) changes nothing and bumps nothing.
 * - `write`: no bump (nothing it changes grants or denies anything);
 * - `read`, `none`: may not write IAM state at all (bookkeeping such as last-used data, decisions
 *   and reports is written by its own store functions with the plain `Db`).
 */
import type { ActionEffect } from "../cache/index";
import type { Db } from "./db";

/** Who writes: the D1 handle, the account written, and the effect of the action that writes. */
export interface Write {
  readonly db: Db;
  readonly account: string;
  readonly effect: ActionEffect;
}

/** True for the effects whose writes move the account's generation. */
export function bumpsGeneration(effect: ActionEffect): boolean {
  return effect === "permissions" || effect === "rootKeys";
}

/**
 * Runs `stmts` as one batch for `w` and returns their results (the bookkeeping statements added
 * around them are not among the results). A failing statement rolls the whole batch back, bump included.
 */
export async function writeBatch<T = Record<string, unknown>>(w: Write, stmts: D1PreparedStatement[]): Promise<D1Result<T>[]> {
  if (w.effect === "read" || w.effect === "none") throw new Error(`an action of effect "${w.effect}" may not write IAM state`);
  const d1 = w.db.$client;
  if (!bumpsGeneration(w.effect)) return d1.batch<T>(stmts);
  const res = await d1.batch<T>([
    d1.prepare("UPDATE accounts SET write_mark = total_changes() WHERE id = ?").bind(w.account),
    ...stmts,
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND total_changes() > write_mark + 1").bind(w.account),
  ]);
  return res.slice(1, -1);
}
