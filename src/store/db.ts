/** The drizzle handle over D1. */
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { SQL } from "drizzle-orm";
import * as schema from "./schema";

export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

const cache = new WeakMap<D1Database, Db>();
export function getDb(d1: D1Database): Db {
  let db = cache.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    cache.set(d1, db);
  }
  return db;
}

const dialect = new SQLiteAsyncDialect();

/** A drizzle `sql` query as a D1 statement, for `d1.batch` (drizzle's raw queries cannot be batched on D1). */
export function statement(db: Db, query: SQL): D1PreparedStatement {
  const q = dialect.sqlToQuery(query);
  return db.$client.prepare(q.sql).bind(...q.params);
}

/** True when a D1 error is a UNIQUE / PRIMARY KEY violation (a concurrent create of the same name won the race). */
export function isUniqueViolation(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return m.includes("UNIQUE constraint failed") || m.includes("PRIMARY KEY");
}
