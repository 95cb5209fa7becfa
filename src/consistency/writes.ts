/**
 * The write side of the eventual-consistency simulation, called around IAM write actions of
 * lagging accounts only: before the write the Durable Object keeps the snapshot of the generation
 * being replaced; after it, the new generation(s) are logged with their visibility times.
 */
import type { Env } from "../env";
import type { Caller } from "../auth/caller";
import type { Db } from "../store/db";
import { accountState } from "../store/credentials";
import { stub } from "./client";
import type { WriteTicket } from "./consistency-do";

/** Takes the account's write slot in its Durable Object (lagging accounts only). */
export async function beforeWrite(env: Env, caller: Caller): Promise<WriteTicket | undefined> {
  const c = caller.consistency;
  if (!c) return undefined;
  return stub(env, caller.principal.account).prepareWrite(caller.principal.account);
}

/** Logs the generations the write created (if any) and frees the slot; called whether the write succeeded or not. */
export async function afterWrite(env: Env, db: Db, caller: Caller, now: number, ticket: WriteTicket | undefined): Promise<void> {
  const c = caller.consistency;
  if (!c || !ticket) return;
  const state = await accountState(db, caller.principal.account).catch(() => undefined);
  const to = state?.generation ?? ticket.generation;
  await stub(env, caller.principal.account).commitWrite(ticket.generation, to, now, ticket.token);
  if (to > ticket.generation) c.pending += to - ticket.generation;
}
