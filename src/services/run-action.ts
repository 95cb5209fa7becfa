/**
 * Authorizes and runs one decoded action, with the isolate caches and the eventual-consistency
 * bookkeeping around it (app.ts does the protocol and authentication, this the rest):
 * - IAM reads go through the isolate's read cache: a hit reuses the authorization target and the
 *   serialized result, but the caller is still authorized on every call; past half its life an entry
 *   is redone behind the response; a miss is cached only if no write to the account landed meanwhile;
 * - writes drop the account's caches and, on a lagging account, take the account's write slot and
 *   log their change with its Durable Object (even when they fail, so the slot is freed);
 * - the handler writes through `ctx.write`, which carries the action's effect to the store
 *   (src/store/write.ts adds the generation bump to `permissions` / `rootKeys` writes).
 */
import type { WriteCredential } from "../store/write"; // hosted (issue 22)
import { changesState, type ActionContext, type AuthzTarget, type HandlerContext, type RegisteredAction } from "./action";
import type { XmlValue } from "../protocol/xml";
import { authorizeCall } from "../authz/authorize";
import {
  afterAction,
  afterLaggingWriteLogged,
  authCacheTtl,
  forget,
  peek,
  readTicket,
  remember,
  scopes,
  type RefreshTicket,
} from "../cache/index";
import type { CachedRead } from "./read-cache";
import { afterWrite, beforeWrite } from "../consistency/writes";

/**
 * Runs `def` for a decoded input and returns its result through `encode` (Query: the `<XResult>`
 * element; the model protocols: the plain value). With a `readKey`, the encoded result of a read is
 * cached per account (the caller is still authorized on every call).
 */
export async function runAction<R>(
  def: RegisteredAction,
  input: object,
  ctx: ActionContext,
  encode: (value: XmlValue | undefined) => R,
  readKey?: string,
): Promise<R> {
  const action = def.permission ?? `${def.service}:${def.name}`;
  const account = ctx.caller.principal.account;
  const ttl = authCacheTtl(ctx.env);
  const peeked = readKey ? peek<CachedRead<R>>(readKey, scopes.reads(account), ttl) : undefined;
  if (peeked) {
    if (peeked.value.target) await authorizeCall(ctx, action, peeked.value.target);
    const refresh = peeked.refresh;
    if (refresh)
      ctx.waitUntil(
        refreshRead(
          encode,
          async () => {
            const loaded = def.load ? await def.load(input, ctx) : undefined;
            return [
              def.target ? await def.target(input, ctx, loaded) : undefined,
              await def.handler(input, handlerContext(def, ctx), loaded),
            ];
          },
          refresh,
          ttl,
        ),
      );
    return peeked.value.result;
  }
  const ticket = readKey ? readTicket(readKey, scopes.reads(account)) : undefined;
  const loaded = def.load ? await def.load(input, ctx) : undefined;
  const target = def.target ? await def.target(input, ctx, loaded) : undefined;
  if (target) await authorizeCall(ctx, action, target);
  const result = encode((await handle(def, input, ctx, loaded)) ?? undefined);
  if (ticket) remember<CachedRead<R>>(ticket.key, ticket.scope, { target, result }, ttl, ticket);
  return result;
}

async function handle(def: RegisteredAction, input: object, ctx: ActionContext, loaded: unknown): Promise<XmlValue | undefined> {
  const caller = ctx.caller;
  const account = caller.principal.account;
  const writes = changesState(def.effect);
  const lagging = caller.consistency !== undefined && writes;
  const slot = lagging ? await beforeWrite(ctx.env, caller) : undefined;
  try {
    const result = await def.handler(input, handlerContext(def, ctx), loaded);
    if (ctx.trail) ctx.trail.output = result;
    return result;
  } finally {
    // Whatever this write changed, this isolate's cached keys, sessions and reads of the account are stale.
    afterAction(account, def.effect);
    if (lagging) {
      try {
        await afterWrite(ctx.env, ctx.db, caller, ctx.request.now, slot);
      } catch (e) {
        console.error(`[${ctx.request.requestId}] eventual consistency: logging the write failed`, e instanceof Error ? e.message : e);
      }
      // Now the Durable Object knows the write is pending: drop anything cached in between
      // (e.g. the data plane's "quiet at this generation").
      afterLaggingWriteLogged(account);
    }
  }
}

/** The context `def`'s handler runs with: `ctx` (the same object) and its write, carrying `def`'s effect. */
export function handlerContext(def: RegisteredAction, ctx: ActionContext): HandlerContext {
  const credential = writeCredentialOf(ctx.caller);
  return Object.assign(ctx, {
    write: { db: ctx.db, account: ctx.caller.principal.account, effect: def.effect, ...(credential ? { credential } : {}) },
  });
}

/**
 * hosted (issue 22): what a write re-checks in D1 (src/store/write.ts). Accounts simulating eventual
 * consistency are left out on purpose: there a deleted key keeps working while the change propagates.
 */
function writeCredentialOf(caller: ActionContext["caller"]): WriteCredential | undefined {
  if (caller.consistency) return undefined;
  // A key row this request read from D1 itself is as fresh as the write; one from the cache is re-checked.
  if (!caller.session) return caller.keyFromCache ? { accessKeyId: caller.accessKeyId } : undefined;
  if (!caller.entityId) return undefined;
  return caller.principal.kind === "assumedRole"
    ? { roleId: caller.entityId }
    : caller.principal.kind === "user"
      ? { userId: caller.entityId }
      : undefined;
}

/** Re-runs a cached read (its load, target and handler: reads only) and caches the fresh result. */
async function refreshRead<R>(
  encode: (value: XmlValue | undefined) => R,
  read: () => Promise<[AuthzTarget | undefined, XmlValue | undefined]>,
  ticket: RefreshTicket,
  ttl: number,
): Promise<void> {
  try {
    const [target, value] = await read();
    remember<CachedRead<R>>(ticket.key, ticket.scope, { target, result: encode(value ?? undefined) }, ttl, ticket);
  } catch {
    forget(ticket.key); // e.g. the entity is gone: the next request answers for itself
  }
}
