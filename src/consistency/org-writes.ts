/**
 * Organization changes under eventual consistency. An org write (attach, detach, policy update,
 * enabling a type, moving or adding an account …) bumps the generation of every member account
 * whose chain it changes. Each such account that lags logs those generations with its own
 * Durable Object, exactly like its own IAM writes: the change reaches that account's data plane
 * after that account's delay, and until then its requests see the snapshot of the generation before
 * (which holds the org chain as it was: src/consistency/snapshot.ts). The management account's own
 * mode plays no part; Organizations' reads (the control plane) see the change at once.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import { accountState } from "../store/credentials";
import { stub } from "./client";
import { afterLaggingWriteLogged } from "../cache/index";
import type { WriteTicket } from "./consistency-do";

/**
 * Runs `write` holding the write slot of every account in `lagging` (taken one by one in sorted
 * order, so two org writes never wait on each other crosswise), then logs what it created.
 */
export async function aroundLaggingWrite<T>(env: Env, db: Db, lagging: string[], now: number, write: () => Promise<T>): Promise<T> {
  const held: [string, WriteTicket][] = [];
  try {
    for (const account of lagging) {
      const t = await stub(env, account).prepareWrite(account);
      if (t) held.push([account, t]);
    }
    return await write();
  } finally {
    await Promise.all(
      held.map(async ([account, t]) => {
        try {
          const to = (await accountState(db, account))?.generation ?? t.generation;
          await stub(env, account).commitWrite(t.generation, to, now, t.token);
        } catch (e) {
          console.error(`eventual consistency: logging an org write for ${account} failed`, e instanceof Error ? e.message : e);
        }
        afterLaggingWriteLogged(account);
      }),
    );
  }
}
