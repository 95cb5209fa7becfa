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
import { errors } from "../protocol/errors";

/** Who writes: the D1 handle, the account written, and the effect of the action that writes. */
export interface Write {
  readonly db: Db;
  readonly account: string;
  readonly effect: ActionEffect;
  /**
   * hosted (issue 22): the credential the write is made with, re-checked inside the batch. Another
   * isolate may still serve a deleted or deactivated key (or a deleted role's session) from its
   * cache for up to IAMLAB_AUTH_CACHE_MS; reads may be that stale, writes never are.
   */
  readonly credential?: WriteCredential;
}

/** What must still exist, in D1, for a write to run: the caller's permanent key (active), or the role / user behind its session. */
export interface WriteCredential {
  accessKeyId?: string;
  roleId?: string;
  userId?: string;
}

// `abs(-9223372036854775808)` raises "integer overflow": a guard's way to abort the batch that
// cannot be mistaken for the quota guards' "malformed JSON" (src/store/iam-quotas.ts).
const STALE = "integer overflow";

function credentialGuards(d1: D1Database, c: WriteCredential): D1PreparedStatement[] {
  const abort = (exists: string) => `SELECT CASE WHEN ${exists} THEN 0 ELSE abs(-9223372036854775808) END AS stale`;
  const out: D1PreparedStatement[] = [];
  if (c.accessKeyId)
    out.push(d1.prepare(abort("EXISTS (SELECT 1 FROM access_keys WHERE access_key_id = ? AND status = 'Active')")).bind(c.accessKeyId));
  if (c.roleId) out.push(d1.prepare(abort("EXISTS (SELECT 1 FROM roles WHERE role_id = ?)")).bind(c.roleId));
  if (c.userId) out.push(d1.prepare(abort("EXISTS (SELECT 1 FROM users WHERE user_id = ?)")).bind(c.userId));
  return out;
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
  const guards = w.credential ? credentialGuards(d1, w.credential) : [];
  try {
    if (!bumpsGeneration(w.effect)) return (await d1.batch<T>([...guards, ...stmts])).slice(guards.length);
    const res = await d1.batch<T>([
      ...guards,
      d1.prepare("UPDATE accounts SET write_mark = total_changes() WHERE id = ?").bind(w.account),
      ...stmts,
      d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND total_changes() > write_mark + 1").bind(w.account),
    ]);
    return res.slice(guards.length + 1, -1);
  } catch (e) {
    // The caller's key was deleted or deactivated (or its session's role or user deleted) meanwhile.
    if (guards.length && (e instanceof Error ? e.message : String(e)).includes(STALE)) throw errors.invalidClientTokenId();
    throw e;
  }
}
