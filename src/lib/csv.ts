/** CSV writing (RFC 4180): a cell is quoted only when it holds a quote, comma, CR or LF. */
export function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Rows joined with "\n" (as IAM's credential report), no trailing newline. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\n");
}
