/**
 * The request path's side of the eventual-consistency simulation. The account's mode is read
 * with the access key (accounts.consistency_mode), so mode `off` costs no Durable Object call.
 */
import { eq } from "drizzle-orm";
import type { Env } from "../env";
import type { Db } from "../store/db";
import * as t from "../store/schema";
import type { ConsistencyConfig } from "./delay";
import { unpackSnapshot, type AccountSnapshot, type RoleView } from "./snapshot";
import { accountState } from "../store/credentials";
import type { ConsistencyView } from "./consistency-do";
import type { DataPlane } from "../auth/authenticate";
import type { CallerConsistency } from "../auth/caller";
import { authCacheTtl, peek, readTicket, remember, scopes } from "../cache/index";
import { BoundedMap, estimateBytes } from "../lib/bounded";
import { durableStub } from "../lib/durable";

export async function setConsistency(env: Env, db: Db, accountId: string, cfg: ConsistencyConfig): Promise<void> {
  const stub = durableStub(env.CONSISTENCY, accountId, "CONSISTENCY");
  await stub.configure(cfg);
  await db
    .update(t.accounts)
    .set({ consistencyMode: cfg.mode, consistencyConfig: JSON.stringify(cfg) })
    .where(eq(t.accounts.id, accountId));
}

// Snapshots by (account, generation): immutable, so an isolate may keep them (bounded in bytes:
// a big lagging account's snapshot is megabytes).
const snapshots = new BoundedMap<string, AccountSnapshot>(256, 24 * 1024 * 1024, (s) => estimateBytes(s, 2_000_000));

/** The data plane's view for a lagging account: the visible generation and, if it is not the latest, its snapshot. */
export async function dataPlaneView(
  env: Env,
  accountId: string,
  latestGeneration: number,
  now: number,
): Promise<{ view: ConsistencyView; snapshot?: AccountSnapshot }> {
  const stub = durableStub(env.CONSISTENCY, accountId, "CONSISTENCY");
  const view = await stub.view(now, latestGeneration, haveGeneration(accountId));
  if (view.visibleGeneration >= latestGeneration) return { view };
  const key = `${accountId}/${view.visibleGeneration}`;
  const sent = view.snapshot ? unpackSnapshot(view.snapshot) : undefined;
  const snap = sent ?? snapshots.get(key);
  if (sent) {
    snapshots.set(key, sent);
    lastHeld.set(accountId, view.visibleGeneration);
  }
  return snap ? { view, snapshot: snap } : { view };
}

const lastHeld = new Map<string, number>();
function haveGeneration(accountId: string): number | undefined {
  const g = lastHeld.get(accountId);
  return g !== undefined && snapshots.has(`${accountId}/${g}`) ? g : undefined;
}

export function stub(env: Env, accountId: string) {
  return durableStub(env.CONSISTENCY, accountId, "CONSISTENCY");
}

/**
 * The DataPlane the request path hands to authenticate(). A quiet account (nothing pending, the
 * latest generation visible) stays quiet until its next write, and every write in this isolate
 * drops the account's cache scope: so "quiet at generation G" is remembered and the Durable Object
 * is asked again only when the caller's generation moves or the TTL ends. A write made in another
 * isolate shows up as a new generation on the caller's key row within the TTL, and is then asked
 * about as usual (until then its pending count reads 0 here).
 */
export function dataPlaneFor(env: Env): DataPlane {
  return {
    async view(accountId, mode, latestGeneration, now) {
      const quietKey = `quiet:${accountId}`;
      if (peek<number>(quietKey, scopes.account(accountId))?.value === latestGeneration)
        return { mode, latestGeneration, visibleGeneration: latestGeneration, pending: 0 };
      const ticket = readTicket(quietKey, scopes.account(accountId));
      const { view, snapshot } = await dataPlaneView(env, accountId, latestGeneration, now);
      if (view.pending === 0 && view.visibleGeneration >= latestGeneration && !snapshot)
        remember(quietKey, scopes.account(accountId), latestGeneration, authCacheTtl(env), ticket);
      const out: CallerConsistency = { mode, latestGeneration, visibleGeneration: view.visibleGeneration, pending: view.pending };
      if (snapshot) out.snapshot = snapshot;
      return out;
    },
  };
}

/**
 * The role sts:AssumeRole sees: from the visible snapshot when the role's account lags (a new role
 * is not assumable yet, a trust-policy edit has not arrived), else undefined = read D1 as usual.
 */
export async function laggingRole(
  env: Env,
  db: Db,
  caller: { principal: { account: string }; consistency?: CallerConsistency },
  accountId: string,
  name: string,
  now: number,
): Promise<{ found: boolean; role?: RoleView } | undefined> {
  let snap: AccountSnapshot | undefined;
  if (accountId === caller.principal.account) {
    snap = caller.consistency?.snapshot;
  } else {
    const st = await accountState(db, accountId);
    if (!st || st.consistencyMode === "off") return undefined;
    snap = (await dataPlaneView(env, accountId, st.generation, now)).snapshot;
  }
  if (!snap) return undefined;
  const role = snap.roles[name.toLowerCase()];
  return role ? { found: true, role } : { found: false };
}
