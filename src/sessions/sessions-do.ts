/**
 * Per-account STS session state: one Durable Object per account (`idFromName(accountId)`), SQLite
 * storage. It holds every session the account issued (key, secret, principal, policies, tags …);
 * tokens are verified by MAC before anyone asks it (see token.ts), so it only answers lookups of
 * authentic tokens. An alarm removes expired sessions.
 *
 * Times: `expires_at` is on the sandbox clock (which tests may move), `gc_at` is the wall-clock
 * moment the row may be removed. The alarm only collects garbage; expiry itself is enforced by
 * the token (its MAC-protected expiry) against the request's sandbox time.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { SessionRecord } from "./types";

export class SessionsDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createSchema();
  }

  private createSchema(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS sessions (
      session_id TEXT PRIMARY KEY,
      access_key_id TEXT NOT NULL,
      entity_id TEXT,
      issued_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      gc_at INTEGER NOT NULL,
      data TEXT NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS sessions_gc ON sessions (gc_at)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS sessions_entity ON sessions (entity_id)");
  }

  async ping(): Promise<string> {
    return "ok";
  }

  /** Stores a new session; `now` is the issuer's sandbox time (to place the wall-clock alarm). */
  async issue(rec: SessionRecord, now: number): Promise<void> {
    const gcAt = Date.now() + Math.max(0, rec.expiresAt - now);
    this.sql.exec(
      "INSERT INTO sessions (session_id, access_key_id, entity_id, issued_at, expires_at, gc_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
      rec.sessionId,
      rec.accessKeyId,
      rec.entityId ?? null,
      rec.issuedAt,
      rec.expiresAt,
      gcAt,
      JSON.stringify(rec),
    );
    const current = await this.ctx.storage.getAlarm();
    if (current === null || gcAt < current) await this.ctx.storage.setAlarm(gcAt);
  }

  /** The session, or null when unknown, revoked or already collected. */
  async get(sessionId: string): Promise<SessionRecord | null> {
    const row = this.sql.exec<{ data: string }>("SELECT data FROM sessions WHERE session_id = ?", sessionId).toArray()[0];
    return row ? (JSON.parse(row.data) as SessionRecord) : null;
  }

  /** Forgets one session (isolates that cached it keep it until their cache entry expires). */
  async revoke(sessionId: string): Promise<boolean> {
    return this.sql.exec("DELETE FROM sessions WHERE session_id = ?", sessionId).rowsWritten > 0;
  }

  async count(): Promise<number> {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sessions").one().n;
  }

  /**
   * Forgets everything (the account was deleted): every session and the alarm. An account created
   * again with the same id starts from nothing (its tokens are also bound to its incarnation).
   */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.createSchema();
  }

  /** Removes sessions past their expiry and re-arms for the next one. */
  override async alarm(): Promise<void> {
    const t = Date.now();
    this.sql.exec("DELETE FROM sessions WHERE gc_at <= ?", t);
    const next = this.sql.exec<{ at: number | null }>("SELECT MIN(gc_at) AS at FROM sessions").one().at;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, t + 1000));
  }
}
