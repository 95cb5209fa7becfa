/**
 * Instance profiles in D1. A profile holds at most one role (`instance_profiles.role_id`);
 * adding a role is a conditional UPDATE so concurrent adds cannot both win.
 */
import type { Db } from "./db";
import type { AwsError } from "../protocol/errors";
import { LIST_DOCUMENT_BUDGET_CHARS, overBudgetSql, quotaGuardStmt } from "./iam-quotas";
import { runCreateBatch, type RoleRow } from "./iam-roles";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";

export interface InstanceProfileRow {
  instanceProfileId: string;
  accountId: string;
  instanceProfileName: string;
  path: string;
  arn: string;
  createDate: string;
  roleId: string | null;
}

/** A profile with its role (if any), as the Get/List actions show it. */
export interface InstanceProfileView extends InstanceProfileRow {
  role: Pick<RoleRow, "roleId" | "roleName" | "path" | "arn" | "createDate" | "assumeRolePolicyDocument"> | null;
}

const PROFILE_COLUMNS = `ip.instance_profile_id AS instanceProfileId, ip.account_id AS accountId,
  ip.instance_profile_name AS instanceProfileName, ip.path AS path, ip.arn AS arn, ip.create_date AS createDate,
  ip.role_id AS roleId, r.role_name AS rRoleName, r.path AS rPath, r.arn AS rArn, r.create_date AS rCreateDate,
  r.assume_role_policy_document AS rDoc`;

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

const FROM = `FROM instance_profiles ip LEFT JOIN roles r ON r.role_id = ip.role_id AND r.account_id = ip.account_id`;

export async function getInstanceProfileByName(db: Db, accountId: string, name: string): Promise<InstanceProfileView | undefined> {
  const row = await db.$client
    .prepare(`SELECT ${PROFILE_COLUMNS} ${FROM} WHERE ip.account_id = ? AND ip.name_lower = ?`)
    .bind(accountId, name.toLowerCase())
    .first<JoinedRow>();
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
  const over = overBudgetSql("r.assume_role_policy_document", "ip.name_lower", "?6");
  const { results } = await db.$client
    .prepare(`SELECT ${PROFILE_COLUMNS.replace("r.assume_role_policy_document AS", `CASE WHEN ${over} THEN '' ELSE r.assume_role_policy_document END AS`)},
       ${over} AS overBudget, ip.name_lower AS nameLower ${FROM} WHERE ip.account_id = ?1
       AND (?2 IS NULL OR ip.name_lower > ?2) AND (?3 IS NULL OR substr(ip.path, 1, length(?3)) = ?3)
       AND (?4 IS NULL OR ip.role_id = ?4)
       ORDER BY ip.name_lower LIMIT ?5`)
    .bind(accountId, o.after ?? null, o.pathPrefix ?? null, o.roleId ?? null, o.limit, LIST_DOCUMENT_BUDGET_CHARS)
    .all<JoinedRow & { nameLower: string; overBudget: number }>();
  return results.map((r) => ({ ...view(r), nameLower: r.nameLower, overBudget: r.overBudget }));
}

export async function insertInstanceProfile(db: Db, p: InstanceProfileRow, tags: TagRow[], onDuplicate: () => AwsError): Promise<void> {
  const d1 = db.$client;
  await runCreateBatch(
    db,
    [
      d1
        .prepare(`INSERT INTO instance_profiles (instance_profile_id, account_id, instance_profile_name, name_lower, path, arn, create_date, role_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`)
        .bind(p.instanceProfileId, p.accountId, p.instanceProfileName, p.instanceProfileName.toLowerCase(), p.path, p.arn, p.createDate),
      ...insertTagsStmts(db, p.accountId, "instance-profile", p.instanceProfileId, tags),
      quotaGuardStmt(db, p.accountId, "InstanceProfilesPerAccount"),
    ],
    onDuplicate,
    "InstanceProfilesPerAccount",
  );
}

/** Deletes the profile only while it holds no role; false otherwise (or when already gone). */
export async function deleteInstanceProfileRow(db: Db, accountId: string, profileId: string): Promise<boolean> {
  const d1 = db.$client;
  const [del] = await d1.batch([
    d1
      .prepare(
        `DELETE FROM instance_profiles WHERE account_id = ?1 AND instance_profile_id = ?2 AND role_id IS NULL RETURNING instance_profile_id`,
      )
      .bind(accountId, profileId),
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
export async function addRoleToProfile(db: Db, accountId: string, profileId: string, roleId: string): Promise<AddRoleOutcome> {
  const d1 = db.$client;
  const [upd, state] = await d1.batch<{ id?: string; profile?: number; full?: number; role?: number }>([
    d1
      .prepare(`UPDATE instance_profiles SET role_id = ?3 WHERE account_id = ?1 AND instance_profile_id = ?2 AND role_id IS NULL
        AND EXISTS (SELECT 1 FROM roles WHERE account_id = ?1 AND role_id = ?3) RETURNING instance_profile_id AS id`)
      .bind(accountId, profileId, roleId),
    d1
      .prepare(`SELECT EXISTS (SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND instance_profile_id = ?2) AS profile,
        EXISTS (SELECT 1 FROM roles WHERE account_id = ?1 AND role_id = ?3) AS role`)
      .bind(accountId, profileId, roleId),
    d1
      .prepare(
        "UPDATE accounts SET generation = generation + 1 WHERE id = ?1 AND (SELECT role_id FROM instance_profiles WHERE instance_profile_id = ?2) = ?3",
      )
      .bind(accountId, profileId, roleId),
  ]);
  if ((upd?.results.length ?? 0) > 0) return "added";
  const s = state?.results[0];
  if (!s?.profile) return "noProfile";
  if (!s.role) return "noRole";
  return "full";
}

/** Takes the role out of the profile; false when the profile does not hold that role. */
export async function removeRoleFromProfile(db: Db, accountId: string, profileId: string, roleId: string): Promise<boolean> {
  const d1 = db.$client;
  const [upd] = await d1.batch([
    d1
      .prepare(`UPDATE instance_profiles SET role_id = NULL WHERE account_id = ?1 AND instance_profile_id = ?2 AND role_id = ?3
        RETURNING instance_profile_id`)
      .bind(accountId, profileId, roleId),
    d1.prepare("UPDATE accounts SET generation = generation + 1 WHERE id = ? AND changes() > 0").bind(accountId),
  ]);
  return (upd?.results.length ?? 0) > 0;
}
