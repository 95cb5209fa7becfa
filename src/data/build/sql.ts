/**
 * SQL text helpers for generated seed migrations. Build-time only (Node), pure.
 *
 * D1 rejects statements over 100 KB, so `buildInserts` packs rows into multi-row
 * INSERTs under a byte budget, and splits a value that cannot fit even alone into
 * an INSERT of its head plus `UPDATE … SET col = col || '…'` statements for the rest.
 */

export type SqlValue = string | null;

const encoder = new TextEncoder();

/** UTF-8 length, which is what D1's statement limit counts. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** A SQL string literal: single quotes doubled, nothing else needs escaping in SQLite. */
export function sqlLiteral(value: SqlValue): string {
  return value === null ? "NULL" : `'${value.replaceAll("'", "''")}'`;
}

/**
 * Cuts `value` into pieces whose escaped literal bodies take at most `firstBudget`
 * bytes (first piece) and `restBudget` bytes (the others). Never cuts a surrogate pair.
 */
export function splitForLiterals(value: string, firstBudget: number, restBudget: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  let used = 0;
  let budget = firstBudget;
  for (let i = 0; i < value.length; ) {
    const cp = value.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    const bytes = cp === 0x27 ? 2 : cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (used + bytes > budget) {
      if (i === start) throw new Error(`budget ${budget} too small for one character`);
      pieces.push(value.slice(start, i));
      start = i;
      used = 0;
      budget = restBudget;
    }
    used += bytes;
    i += units;
  }
  pieces.push(value.slice(start));
  return pieces;
}

export interface InsertSpec {
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly SqlValue[])[];
  /** Every emitted statement, including its `;`, is at most this many UTF-8 bytes. */
  readonly maxStatementBytes: number;
  /** Column whose value may be split across an INSERT and UPDATEs when a row is too big. */
  readonly splittableColumn: string;
  /** Column identifying a row in those UPDATEs (a primary key). */
  readonly keyColumn: string;
}

function renderRow(row: readonly SqlValue[]): string {
  return `(${row.map(sqlLiteral).join(",")})`;
}

/** INSERT (and, for oversized rows, UPDATE) statements, each ending in `;`, in row order. */
export function buildInserts(spec: InsertSpec): string[] {
  const { table, columns, rows, maxStatementBytes: max } = spec;
  const splitIdx = columns.indexOf(spec.splittableColumn);
  const keyIdx = columns.indexOf(spec.keyColumn);
  if (splitIdx < 0 || keyIdx < 0) throw new Error("splittable/key column not in columns");

  const head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES\n`;
  const headBytes = utf8Length(head);
  const statements: string[] = [];
  let batch: string[] = [];
  let batchBytes = headBytes;

  const flush = (): void => {
    if (batch.length > 0) statements.push(`${head}${batch.join(",\n")};`);
    batch = [];
    batchBytes = headBytes;
  };

  for (const row of rows) {
    if (row.length !== columns.length) throw new Error("row width does not match columns");
    const rendered = renderRow(row);
    const bytes = utf8Length(rendered);
    // ",\n" before every row but the first, ";" after the last.
    if (headBytes + bytes + 1 <= max) {
      if (batchBytes + (batch.length > 0 ? 2 : 0) + bytes + 1 > max) flush();
      batchBytes += (batch.length > 0 ? 2 : 0) + bytes;
      batch.push(rendered);
      continue;
    }
    flush();
    statements.push(...oversizedRow(spec, row, head, splitIdx, keyIdx));
  }
  flush();
  return statements;
}

function oversizedRow(spec: InsertSpec, row: readonly SqlValue[], head: string, splitIdx: number, keyIdx: number): string[] {
  const value = row[splitIdx];
  const key = row[keyIdx];
  if (typeof value !== "string" || typeof key !== "string") {
    throw new Error("oversized row without a splittable string value and a key");
  }
  const col = spec.splittableColumn;
  const withEmpty = row.map((v, i) => (i === splitIdx ? "" : v));
  const insertOverhead = utf8Length(`${head}${renderRow(withEmpty)};`);
  const updateOverhead = utf8Length(`UPDATE ${spec.table} SET ${col} = ${col} || '' WHERE ${spec.keyColumn} = ${sqlLiteral(key)};`);
  const pieces = splitForLiterals(value, spec.maxStatementBytes - insertOverhead, spec.maxStatementBytes - updateOverhead);
  const [first = "", ...rest] = pieces;
  const firstRow = row.map((v, i) => (i === splitIdx ? first : v));
  return [
    `${head}${renderRow(firstRow)};`,
    ...rest.map(
      (piece) => `UPDATE ${spec.table} SET ${col} = ${col} || ${sqlLiteral(piece)} WHERE ${spec.keyColumn} = ${sqlLiteral(key)};`,
    ),
  ];
}

/**
 * Splits SQL text into statements (each ending in `;`, except unterminated trailing text) on `;`
 * outside '…', "…" and `…` quotes (a doubled quote stays inside), dropping `--` line comments and
 * blank text. Enough for the migrations this project has and generates (no `/* *\/` comments),
 * not a general SQL lexer. Used by the seed build's tests and by the local sandbox's migrator.
 */
export function splitSqlStatements(sql: string): string[] {
  const out: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      current += ch;
      if (ch === quote) {
        if (sql[i + 1] === quote) current += sql[++i];
        else quote = null;
      }
    } else if (ch === "'" || ch === '"' || ch === "`") {
      quote = ch;
      current += ch;
    } else if (ch === "-" && sql[i + 1] === "-") {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? sql.length : eol;
      current += "\n";
    } else if (ch === ";") {
      const stmt = current.trim();
      if (stmt) out.push(`${stmt};`);
      current = "";
    } else {
      current += ch;
    }
  }
  const tail = current.trim();
  if (tail) out.push(tail);
  return out;
}
