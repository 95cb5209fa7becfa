/** An account's own rate limits (accounts.rate_limits, JSON; issue 22). */
import { sql } from "drizzle-orm";
import { bare, first, type Db } from "./db";
import { accounts } from "./schema";

/** The stored JSON (null = the sandbox's rules); undefined when there is no such account. */
export async function getAccountRateLimits(db: Db, id: string): Promise<{ json: string | null } | undefined> {
  return first<{ json: string | null }>(db, sql`SELECT ${accounts.rateLimits} AS "json" FROM ${accounts} WHERE ${accounts.id} = ${id}`);
}

/** Replaces them (null clears); false when there is no such account. */
export async function setAccountRateLimits(db: Db, id: string, json: string | null): Promise<boolean> {
  const row = await first<{ id: string }>(
    db,
    sql`UPDATE ${accounts} SET ${bare(accounts.rateLimits)} = ${json} WHERE ${accounts.id} = ${id} RETURNING ${bare(accounts.id)} AS id`,
  );
  return row !== undefined;
}
