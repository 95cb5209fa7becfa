/**
 * Lambda functions (D1 `lambda_functions`): regional, keyed (account, region, name). Writes are
 * data-plane writes of effect `none` — single statements; an update names the revision it read, so
 * two writers racing on one function cannot lose each other's change (the loser sees `conflict`).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, selectList, type Db } from "./db";
import { lambdaFunctions } from "./schema";

/** The configuration a function's API echoes, as CreateFunction / UpdateFunctionConfiguration set it. */
export interface FunctionConfig {
  Runtime?: string;
  Handler?: string;
  Role: string;
  Description: string;
  Timeout: number;
  MemorySize: number;
  Environment?: Record<string, string>;
}

export interface FunctionRow {
  accountId: string;
  region: string;
  name: string;
  config: FunctionConfig;
  codeKey: string;
  codeSha256: string;
  codeSize: number;
  /** the parsed iamlab.json program, as JSON text */
  program?: string;
  policy?: string;
  tags: Record<string, string>;
  revisionId: string;
  lastModified: number;
}

export interface FunctionId {
  accountId: string;
  region: string;
  name: string;
}

type Raw = typeof lambdaFunctions.$inferSelect;
const F = lambdaFunctions;
const COLS = selectList(F);

function rowOf(r: Raw): FunctionRow {
  const row: FunctionRow = {
    accountId: r.accountId,
    region: r.region,
    name: r.name,
    config: JSON.parse(r.config) as FunctionConfig,
    codeKey: r.codeKey,
    codeSha256: r.codeSha256,
    codeSize: r.codeSize,
    tags: JSON.parse(r.tags) as Record<string, string>,
    revisionId: r.revisionId,
    lastModified: r.lastModified,
  };
  if (r.program !== null) row.program = r.program;
  if (r.policy !== null) row.policy = r.policy;
  return row;
}

const isFunction = (id: FunctionId) => sql`${F.accountId} = ${id.accountId} AND ${F.region} = ${id.region} AND ${F.name} = ${id.name}`;

export async function getFunction(db: Db, id: FunctionId): Promise<FunctionRow | undefined> {
  const r = await first<Raw>(db, sql`SELECT ${COLS} FROM ${F} WHERE ${isFunction(id)}`);
  return r ? rowOf(r) : undefined;
}

/** Creates the function unless the name is taken in that account and region. */
export async function createFunction(db: Db, f: FunctionRow): Promise<"created" | "exists"> {
  const rows = await all<{ name: string }>(
    db,
    sql`INSERT INTO ${F} (${bare(F.accountId)}, ${bare(F.region)}, ${bare(F.name)}, ${bare(F.config)}, ${bare(F.codeKey)},
        ${bare(F.codeSha256)}, ${bare(F.codeSize)}, ${bare(F.program)}, ${bare(F.policy)}, ${bare(F.tags)}, ${bare(F.revisionId)},
        ${bare(F.lastModified)})
      VALUES (${f.accountId}, ${f.region}, ${f.name}, ${JSON.stringify(f.config)}, ${f.codeKey}, ${f.codeSha256}, ${f.codeSize},
        ${f.program ?? null}, ${f.policy ?? null}, ${JSON.stringify(f.tags)}, ${f.revisionId}, ${f.lastModified})
      ON CONFLICT DO NOTHING RETURNING ${bare(F.name)}`,
  );
  return rows.length ? "created" : "exists";
}

/** What an update may change; `code` replaces the package (and its program: undefined = none). */
export interface FunctionChange {
  config?: FunctionConfig;
  code?: { key: string; sha256: string; size: number; program: string | undefined };
  /** the new resource policy; null removes it */
  policy?: string | null;
  tags?: Record<string, string>;
  /** a change of configuration or code is a new revision and a new LastModified; policy and tags only a new revision */
  revisionId: string;
  lastModified?: number;
}

/**
 * Applies `change` if the function is still at `readRevision` (the revision the caller read):
 * `missing` when it is gone, `conflict` when someone else changed it meanwhile.
 */
export async function updateFunction(
  db: Db,
  id: FunctionId,
  readRevision: string,
  change: FunctionChange,
): Promise<"updated" | "missing" | "conflict"> {
  const sets = [sql`${bare(F.revisionId)} = ${change.revisionId}`];
  if (change.lastModified !== undefined) sets.push(sql`${bare(F.lastModified)} = ${change.lastModified}`);
  if (change.config) sets.push(sql`${bare(F.config)} = ${JSON.stringify(change.config)}`);
  if (change.code)
    sets.push(
      sql`${bare(F.codeKey)} = ${change.code.key}`,
      sql`${bare(F.codeSha256)} = ${change.code.sha256}`,
      sql`${bare(F.codeSize)} = ${change.code.size}`,
      sql`${bare(F.program)} = ${change.code.program ?? null}`,
    );
  if (change.policy !== undefined) sets.push(sql`${bare(F.policy)} = ${change.policy}`);
  if (change.tags) sets.push(sql`${bare(F.tags)} = ${JSON.stringify(change.tags)}`);
  const rows = await all<{ name: string }>(
    db,
    sql`UPDATE ${F} SET ${sql.join(sets, sql`, `)} WHERE ${isFunction(id)} AND ${F.revisionId} = ${readRevision} RETURNING ${bare(F.name)}`,
  );
  if (rows.length) return "updated";
  return (await getFunction(db, id)) ? "conflict" : "missing";
}

/** Deletes the function; its code key (for R2), or undefined when it did not exist. */
export async function deleteFunction(db: Db, id: FunctionId): Promise<string | undefined> {
  const r = await first<{ codeKey: string }>(db, sql`DELETE FROM ${F} WHERE ${isFunction(id)} RETURNING ${bare(F.codeKey)} AS "codeKey"`);
  return r?.codeKey;
}

/** One page of the region's functions in name order, after `after`; one more row than `limit` says there is more. */
export async function listFunctions(
  db: Db,
  accountId: string,
  region: string,
  after: string | undefined,
  limit: number,
): Promise<FunctionRow[]> {
  const rows = await all<Raw>(
    db,
    sql`SELECT ${COLS} FROM ${F} WHERE ${F.accountId} = ${accountId} AND ${F.region} = ${region}
      ${after !== undefined ? sql`AND ${F.name} > ${after}` : sql``} ORDER BY ${F.name} LIMIT ${limit + 1}`,
  );
  return rows.map(rowOf);
}
