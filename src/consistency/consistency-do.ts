/**
 * Per-account eventual-consistency simulation (one Durable Object per account, named by id).
 * It owns the pending-change log: each permission-relevant write creates a new account
 * generation that becomes visible to the data plane at `visibleAt` (FIFO, so a later change is
 * never visible before an earlier one). Before each write the DO captures the snapshot of the
 * generation being replaced, so the data plane can keep serving it until the change propagates.
 * With mode `off` (the default) nobody calls this object on the request path.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { delayFor, OFF, type ConsistencyConfig } from "./delay";
import { captureSnapshot, docRefs, packSnapshot, type PackedSnapshot, type WireSnapshot } from "./snapshot";
import { getDb } from "../store/db";
import { accountState } from "../store/credentials";

interface LogEntry {
  generation: number;
  writtenAt: number;
  visibleAt: number;
}

interface State {
  config: ConsistencyConfig;
  paused: boolean;
  /** number of changes recorded so far (drives the seeded random delays) */
  counter: number;
  log: LogEntry[];
}

export interface ConsistencyView {
  mode: ConsistencyConfig["mode"];
  /** the generation the data plane sees now */
  visibleGeneration: number;
  latestGeneration: number;
  pending: number;
  paused: boolean;
  /** present when visibleGeneration < latestGeneration and the caller does not hold it yet (unpack with unpackSnapshot) */
  snapshot?: WireSnapshot;
}

/** A write in progress on a lagging account (see prepareWrite). */
export interface WriteTicket {
  token: string;
  generation: number;
}

/** Storage calls take at most 128 keys each. */
function* storageChunks(keys: string[]): Generator<string[]> {
  for (let i = 0; i < keys.length; i += 128) yield keys.slice(i, i + 128);
}

/** How long a write may hold the account's write slot if its Worker never reports back. */
const WRITE_SLOT_MS = 10_000;

export interface PendingChange {
  generation: number;
  writtenAt: string;
  visibleAt: string;
  remainingMs: number;
}

export class ConsistencyDO extends DurableObject<Env> {
  private state: State | undefined;
  /** the write currently between prepareWrite and commitWrite (in memory: a lost slot only expires) */
  private slot: { token: string; until: number; released: Promise<void>; release: () => void; generation?: number } | undefined;

  async ping(): Promise<string> {
    return "ok";
  }

  private async load(): Promise<State> {
    if (!this.state) this.state = (await this.ctx.storage.get<State>("state")) ?? { config: OFF, paused: false, counter: 0, log: [] };
    return this.state;
  }

  private async save(): Promise<void> {
    await this.ctx.storage.put("state", this.state);
  }

  /** The first generation in the log that is not yet visible, or -1. */
  private firstPending(s: State, now: number): number {
    if (s.paused) return s.log.length ? 0 : -1;
    return s.log.findIndex((e) => e.visibleAt > now);
  }

  /** Drops log entries and snapshots that are now visible to everyone. */
  private async prune(s: State, now: number): Promise<void> {
    const i = this.firstPending(s, now);
    const done = i < 0 ? s.log.length : i;
    if (done === 0) return;
    const dropped = s.log.splice(0, done);
    const keep = s.log.length ? s.log[0]!.generation - 1 : Infinity;
    const stale = dropped.map((e) => e.generation - 1).filter((g) => g < keep);
    if (s.log.length === 0) stale.push(...dropped.map((e) => e.generation));
    await this.ctx.storage.delete(stale.map((g) => `snap:${g}`));
    // Nothing pending: no snapshot will be asked for again, nor the documents they share (unless a
    // write is between prepare and commit: its "before" snapshot is needed next).
    if (s.log.length === 0 && !this.heldSlot()) {
      await this.deletePrefix("snap:");
      await this.deletePrefix("doc:");
    }
    await this.save();
  }

  async configure(config: ConsistencyConfig): Promise<void> {
    const s = await this.load();
    s.config = config;
    if (config.mode === "off") {
      s.log = [];
      s.paused = false;
      await this.ctx.storage.deleteAll();
    }
    await this.save();
  }

  /**
   * Forgets everything (the account was deleted): mode, paused state, pending log, snapshots, and
   * any alarm. An account created again with the same id starts in the default state.
   */
  async forget(): Promise<void> {
    this.state = undefined;
    this.slot?.release();
    this.slot = undefined;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  async getConfig(): Promise<{ config: ConsistencyConfig; paused: boolean }> {
    const s = await this.load();
    return { config: s.config, paused: s.paused };
  }

  /** What the data plane sees now; the snapshot is sent only if `have` is not that generation. */
  async view(now: number, latestGeneration: number, have?: number): Promise<ConsistencyView> {
    const s = await this.load();
    await this.prune(s, now);
    const i = this.firstPending(s, now);
    const base = { mode: s.config.mode, latestGeneration, paused: s.paused };
    let visible = i < 0 ? latestGeneration : s.log[i]!.generation - 1;
    let pending = i < 0 ? 0 : s.log.length - i;
    // A write between D1 and its commitWrite: its generation is in D1 but not in the log yet. It
    // must not show early: the data plane keeps the generation the write started from.
    const slot = this.heldSlot();
    if (slot?.generation !== undefined) {
      const lastLogged = s.log.length ? s.log[s.log.length - 1]!.generation : -1;
      if (latestGeneration > Math.max(slot.generation, lastLogged)) {
        visible = Math.min(visible, slot.generation);
        pending += 1;
      }
    }
    if (visible >= latestGeneration) return { ...base, visibleGeneration: latestGeneration, pending: 0 };
    const out: ConsistencyView = { ...base, visibleGeneration: visible, pending };
    if (have !== visible) {
      const snap = await this.ctx.storage.get<PackedSnapshot>(`snap:${visible}`);
      if (snap) out.snapshot = { ...snap, docs: await this.getDocs(docRefs(snap)) };
    }
    return out;
  }

  private async getDocs(refs: string[]): Promise<Record<string, string>> {
    const docs: Record<string, string> = {};
    for (const chunk of storageChunks(refs.map((r) => `doc:${r}`))) {
      for (const [k, v] of await this.ctx.storage.get<string>(chunk)) docs[k.slice(4)] = v;
    }
    return docs;
  }

  private async putDocs(docs: Map<string, string>): Promise<void> {
    for (const chunk of storageChunks([...docs.keys()].map((r) => `doc:${r}`))) {
      const have = await this.ctx.storage.get(chunk);
      const missing: Record<string, string> = {};
      for (const k of chunk) if (!have.has(k)) missing[k] = docs.get(k.slice(4))!;
      if (Object.keys(missing).length) await this.ctx.storage.put(missing);
    }
  }

  private async deletePrefix(prefix: string): Promise<void> {
    for (;;) {
      const keys = [...(await this.ctx.storage.list({ prefix, limit: 128 })).keys()];
      if (!keys.length) return;
      await this.ctx.storage.delete(keys);
    }
  }

  /**
   * Before a write: wait for the account's write slot (one write at a time, so every generation a
   * write replaces gets its snapshot and two writes never share a "before"), then keep the snapshot
   * of the generation D1 holds now (captured once per generation). Returns the slot's ticket with
   * that generation; commitWrite must follow, whether the write succeeded or not.
   */
  async prepareWrite(accountId: string): Promise<WriteTicket | undefined> {
    const s = await this.load();
    if (s.config.mode === "off") return undefined;
    for (let slot = this.heldSlot(); slot; slot = this.heldSlot()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const until = slot.until;
      const expired = new Promise<void>((r) => (timer = setTimeout(r, Math.max(1, until - Date.now()))));
      await Promise.race([slot.released, expired]);
      clearTimeout(timer);
    }
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const token = crypto.randomUUID();
    this.slot = { token, until: Date.now() + WRITE_SLOT_MS, released, release };
    try {
      const db = getDb(this.env.DB);
      let generation = (await accountState(db, accountId))?.generation ?? 0;
      if ((await this.ctx.storage.get(`snap:${generation}`)) === undefined) {
        // No other write of this account runs while we hold the slot: the capture is consistent.
        const snap = await captureSnapshot(db, accountId);
        const { packed, docs } = await packSnapshot(snap);
        await this.putDocs(docs);
        await this.ctx.storage.put(`snap:${snap.generation}`, packed);
        generation = snap.generation;
      }
      if (this.slot?.token === token) this.slot.generation = generation;
      return { token, generation };
    } catch (e) {
      this.releaseSlot(token);
      throw e;
    }
  }

  /** The write slot if a write holds it (an abandoned one counts as free once it expires). */
  private heldSlot() {
    return this.slot && this.slot.until > Date.now() ? this.slot : undefined;
  }

  private releaseSlot(token: string | undefined): void {
    const slot = this.slot;
    if (!slot || slot.token !== token) return;
    this.slot = undefined;
    slot.release();
  }

  /** After a write that moved the account from `from` to `to` (possibly not at all): log when it becomes visible, free the slot. */
  async commitWrite(from: number, to: number, now: number, token?: string): Promise<void> {
    try {
      const s = await this.load();
      if (s.config.mode === "off" || to <= from) return;
      let prevVisible = s.log.length ? s.log[s.log.length - 1]!.visibleAt : 0;
      // Writes of callers without a slot (mode switched meanwhile) may report overlapping ranges: log each generation once.
      const lastLogged = s.log.length ? s.log[s.log.length - 1]!.generation : from;
      for (let g = Math.max(from, lastLogged) + 1; g <= to; g++) {
        const visibleAt = Math.max(now + delayFor(s.config, s.counter++), prevVisible);
        prevVisible = visibleAt;
        s.log.push({ generation: g, writtenAt: now, visibleAt });
      }
      await this.save();
    } finally {
      this.releaseSlot(token);
    }
  }

  async pendingChanges(now: number): Promise<PendingChange[]> {
    const s = await this.load();
    await this.prune(s, now);
    const i = this.firstPending(s, now);
    if (i < 0) return [];
    return s.log.slice(i).map((e) => ({
      generation: e.generation,
      writtenAt: new Date(e.writtenAt).toISOString(),
      visibleAt: new Date(e.visibleAt).toISOString(),
      remainingMs: s.paused ? -1 : Math.max(0, e.visibleAt - now),
    }));
  }

  /** Makes every pending change visible now. */
  async flush(now: number): Promise<number> {
    const s = await this.load();
    const n = s.log.length;
    s.paused = false;
    for (const e of s.log) e.visibleAt = Math.min(e.visibleAt, now);
    await this.prune(s, now);
    return n;
  }

  async setPaused(paused: boolean): Promise<void> {
    const s = await this.load();
    s.paused = paused;
    await this.save();
  }
}
