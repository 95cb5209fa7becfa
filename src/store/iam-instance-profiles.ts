/**
 * Instance profiles in D1, in the store's one dialect (src/store/db.ts): drizzle `sql` templates
 * over the schema's tables and columns. A profile holds at most one role
 * (`instance_profiles.role_id`); adding a role is a conditional UPDATE so concurrent adds cannot
 * both win. Outcomes are plain values; the services turn them into AWS's errors.
 */
import { sql, type SQL } from "drizzle-orm";
import { all, bare, first, selectList, statement, type Db, type Row } from "./db";
import { instanceProfiles, roles } from "./schema";
import { writeBatch, type Write } from "./write";
import { overBudget } from "./iam-quotas";
import { runCreate, type CreateOutcome, type RoleRow } from "./iam-roles";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";

/** A profile as the store keeps it: every column of `instance_profiles` but name_lower. */
export type InstanceProfileRow = Row<typeof instanceProfiles, "nameLower">;

/** A profile with its role (if any), as the Get/List actions show it. */
export interface InstanceProfileView extends InstanceProfileRow {
  role: Pick<RoleRow, "roleId" | "roleName" | "path" | "arn" | "createDate" | "assumeRolePolicyDocument"> | null;
}

/** The columns of the profile's role, prefixed (the LEFT JOIN leaves them null for an empty profile). */
const roleColumns = (doc: SQL = sql`${roles.assumeRolePolicyDocument}`): SQL =>
  sql`${roles.roleName} AS "rRoleName", ${roles.path} AS "rPath", ${roles.arn} AS "rArn", ${roles.createDate} AS "rCreateDate", ${doc} AS "rDoc"`;

interface JoinedRow extends InstanceProfileRow {
  rRoleName: string | null;
  rPath: string | null;
  rArn: string | null;
  rCreateDate: string | null;
  rDoc: string | null;
}

function view(r: JoinedRow): InstanceProfileView {
  const { rRoleName, rPath, rArn, rCreateDate, rDoc, ...row } = r;
  return {
    ...row,
    role:
      row.roleId && rRoleName
        ? { roleId: row.roleId, roleName: rRoleName, path: rPath!, arn: rArn!, createDate: rCreateDate!, assumeRolePolicyDocument: rDoc! }
        : null,
  };
}

const FROM = sql`FROM ${instanceProfiles} LEFT JOIN ${roles}
  ON ${roles.roleId} = ${instanceProfiles.roleId} AND ${roles.accountId} = ${instanceProfiles.accountId}`;

export async function getInstanceProfileByName(db: Db, accountId: string, name: string): Promise<InstanceProfileView | undefined> {
  const ip = instanceProfiles;
  const row = await first<JoinedRow>(
    db,
    sql`SELECT ${selectList(ip, ["nameLower"])}, ${roleColumns()} ${FROM}
    WHERE ${ip.accountId} = ${accountId} AND ${ip.nameLower} = ${name.toLowerCase()}`,
  );
  return row ? view(row) : undefined;
}

export interface ProfileListOptions {
  pathPrefix?: string;
  after?: string;
  limit: number;
  /** only the profiles holding this role */
  roleId?: string;
}

/**
 * A page of instance profiles (with their role). Rows past LIST_DOCUMENT_BUDGET_CHARS of trust
 * policies come back with `overBudget` set and no document: the page ends before the first of them.
 */
export async function listInstanceProfiles(
  db: Db,
  accountId: string,
  o: ProfileListOptions,
): Promise<(InstanceProfileView & { nameLower: string; overBudget: number })[]> {
  const ip = instanceProfiles;
  const doc = roles.assumeRolePolicyDocument;
  const over = overBudget(doc, ip.nameLower);
  const after = o.after === undefined ? sql`` : sql`AND ${ip.nameLower} > ${o.after}`;
  const prefix = o.pathPrefix === undefined ? sql`` : sql`AND substr(${ip.path}, 1, length(${o.pathPrefix})) = ${o.pathPrefix}`;
  const role = o.roleId === undefined ? sql`` : sql`AND ${ip.roleId} = ${o.roleId}`;
  const rows = await all<JoinedRow & { nameLower: string; overBudget: number }>(
    db,
    sql`SELECT ${selectList(ip)}, ${roleColumns(sql`CASE WHEN ${over} THEN '' ELSE ${doc} END`)}, ${over} AS "overBudget"
       ${FROM} WHERE ${ip.accountId} = ${accountId} ${after} ${prefix} ${role}
       ORDER BY ${ip.nameLower} LIMIT ${o.limit}`,
  );
  return rows.map((r) => ({ ...view(r), nameLower: r.nameLower, overBudget: r.overBudget }));
}

/** A new instance profile's row (holding `p.roleId`, normally none) and its tags. */
export function insertInstanceProfileStmts(db: Db, p: InstanceProfileRow, tags: TagRow[]): D1PreparedStatement[] {
  const t = instanceProfiles;
  return [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.instanceProfileId)}, ${bare(t.accountId)}, ${bare(t.instanceProfileName)}, ${bare(t.nameLower)},
        ${bare(t.path)}, ${bare(t.arn)}, ${bare(t.createDate)}, ${bare(t.roleId)})
      VALUES (${p.instanceProfileId}, ${p.accountId}, ${p.instanceProfileName}, ${p.instanceProfileName.toLowerCase()}, ${p.path}, ${p.arn},
        ${p.createDate}, ${p.roleId})`,
    ),
    ...insertTagsStmts(db, p.accountId, "instance-profile", p.instanceProfileId, tags),
  ];
}

export async function insertInstanceProfile(w: Write, p: InstanceProfileRow, tags: TagRow[]): Promise<CreateOutcome> {
  return runCreate(w, insertInstanceProfileStmts(w.db, { ...p, roleId: null }, tags), "InstanceProfilesPerAccount");
}

/** Labs (src/labs/): a profile's path (with its ARN) and role set in place. */
export function updateInstanceProfileStmt(
  db: Db,
  accountId: string,
  profileId: string,
  f: { path: string; arn: string; roleId: string | null },
): D1PreparedStatement {
  const t = instanceProfiles;
  return statement(
    db,
    sql`UPDATE ${t} SET ${bare(t.path)} = ${f.path}, ${bare(t.arn)} = ${f.arn}, ${bare(t.roleId)} = ${f.roleId}
    WHERE ${t.accountId} = ${accountId} AND ${t.instanceProfileId} = ${profileId}`,
  );
}

/** Labs: a profile and its tags, whatever role it holds. */
export function deleteInstanceProfileCascadeStmts(db: Db, accountId: string, profileId: string): D1PreparedStatement[] {
  const t = instanceProfiles;
  return [
    statement(db, sql`DELETE FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.instanceProfileId} = ${profileId}`),
    deleteTagsStmt(db, accountId, "instance-profile", profileId),
  ];
}

/** Deletes the profile only while it holds no role; false otherwise (or when already gone). */
export async function deleteInstanceProfileRow(w: Write, profileId: string): Promise<boolean> {
  const { db, account: accountId } = w;
  const t = instanceProfiles;
  const [del] = await writeBatch(w, [
    statement(
      db,
      sql`DELETE FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.instanceProfileId} = ${profileId} AND ${t.roleId} IS NULL
      RETURNING ${bare(t.instanceProfileId)}`,
    ),
    deleteTagsStmt(db, accountId, "instance-profile", profileId),
  ]);
  return (del?.results.length ?? 0) > 0;
}

export type AddRoleOutcome = "added" | "full" | "noProfile" | "noRole";

/**
 * Puts the role into an empty profile, atomically: the UPDATE only matches an empty profile
 * and an existing role, so of concurrent adds exactly one wins and a concurrent DeleteRole
 * (which refuses while a profile holds the role) cannot leave a dangling reference.
 */
export async function addRoleToProfile(w: Write, profileId: string, roleId: string): Promise<AddRoleOutcome> {
  const { db, account: accountId } = w;
  const t = instanceProfiles;
  const roleExists = sql`EXISTS (SELECT 1 FROM ${roles} WHERE ${roles.accountId} = ${accountId} AND ${roles.roleId} = ${roleId})`;
  const [upd, state] = await writeBatch<{ id?: string; profile?: number; full?: number; role?: number }>(w, [
    statement(
      db,
      sql`UPDATE ${t} SET ${bare(t.roleId)} = ${roleId}
      WHERE ${t.accountId} = ${accountId} AND ${t.instanceProfileId} = ${profileId} AND ${t.roleId} IS NULL AND ${roleExists}
      RETURNING ${bare(t.instanceProfileId)} AS id`,
    ),
    statement(
      db,
      sql`SELECT EXISTS (SELECT 1 FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.instanceProfileId} = ${profileId}) AS profile,
        ${roleExists} AS role`,
    ),
  ]);
  if ((upd?.results.length ?? 0) > 0) return "added";
  const s = state?.results[0];
  if (!s?.profile) return "noProfile";
  if (!s.role) return "noRole";
  return "full";
}

/** Takes the role out of the profile; false when the profile does not hold that role. */
export async function removeRoleFromProfile(w: Write, profileId: string, roleId: string): Promise<boolean> {
  const t = instanceProfiles;
  const [upd] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${t} SET ${bare(t.roleId)} = NULL
      WHERE ${t.accountId} = ${w.account} AND ${t.instanceProfileId} = ${profileId} AND ${t.roleId} = ${roleId}
      RETURNING ${bare(t.instanceProfileId)}`,
    ),
  ]);
  return (upd?.results.length ?? 0) > 0;
}
