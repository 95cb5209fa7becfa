/**
 * The drizzle handle over D1, and the one dialect the store speaks: drizzle `sql` templates whose
 * tables and columns come from ./schema (a rename there type-checks every query), rendered by
 * `statement` and run with `first` / `all` / `run`, or batched (`writeBatch`, `d1.batch` of
 * `statement`s) when several must be one round trip or one transaction.
 */
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { SQLiteAsyncDialect, type AnySQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { getTableColumns, sql, type SQL } from "drizzle-orm";
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

/** One row, or undefined. */
export async function first<T>(db: Db, query: SQL): Promise<T | undefined> {
  return (await statement(db, query).first<T>()) ?? undefined;
}

export async function all<T>(db: Db, query: SQL): Promise<T[]> {
  return (await statement(db, query).all<T>()).results;
}

/** A row of `table` as the store returns it: the schema's keys and types, without `E`. */
export type Row<T extends SQLiteTable, E extends keyof T["$inferSelect"] = never> = Omit<T["$inferSelect"], E>;

type ColumnKey<T extends SQLiteTable> = keyof T["_"]["columns"] & string;

/**
 * The select list `table.column AS "key", …` of `table`'s columns but `except`, so rows come back
 * under the schema's keys (Row<T, E>); `replace` gives a key another expression.
 */
export function selectList<T extends SQLiteTable>(
  table: T,
  except: readonly ColumnKey<T>[] = [],
  replace: Partial<Record<ColumnKey<T>, SQL>> = {},
): SQL {
  const cols = Object.entries(getTableColumns(table)).filter(([k]) => !except.includes(k as ColumnKey<T>));
  return sql.join(
    cols.map(([k, c]) => sql`${replace[k as ColumnKey<T>] ?? c} AS ${sql.identifier(k)}`),
    sql`, `,
  );
}

/** A column's bare name, where SQLite refuses a table-qualified one (INSERT column lists, UPDATE … SET). */
export function bare(column: AnySQLiteColumn): SQL {
  return sql`${sql.identifier(column.name)}`;
}

/** True when a D1 error is a UNIQUE / PRIMARY KEY violation (a concurrent create of the same name won the race). */
export function isUniqueViolation(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return m.includes("UNIQUE constraint failed") || m.includes("PRIMARY KEY");
}
