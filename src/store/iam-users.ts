/**
 * IAM users and their tags in D1, in the store's one dialect (src/store/db.ts): drizzle `sql`
 * templates over the schema's tables and columns. Every query is scoped by account; every write is
 * one batch (src/store/write.ts: one transaction, with the generation bump the action's effect
 * asks for). Limits (users per account, tags per user) are enforced inside the SQL statements, so
 * concurrent requests cannot overshoot them. Outcomes are plain values; the services turn them
 * into AWS's errors.
 *
 * Tags of a user live in `tags` with resource_type 'user' and resource_id = the user id (AIDA…).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import {
  accessKeys,
  groupMembers,
  inlinePolicies,
  loginProfiles,
  mfaDevices,
  passwordHistory,
  policyAttachments,
  serviceSpecificCredentials,
  signingCertificates,
  sshPublicKeys,
  tags,
  users,
} from "./schema";
import { writeBatch, type Write } from "./write";
import { ACCOUNT_QUOTAS } from "./iam-quotas";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";

export const USERS_PER_ACCOUNT = ACCOUNT_QUOTAS.UsersPerAccount.max;

/** A user as the store returns it: every column of `users` but account_id and name_lower. */
export type UserRow = Row<typeof users, "accountId" | "nameLower">;
const USER = selectList(users, ["accountId", "nameLower"]);

export type { TagRow };

export async function getUserByName(db: Db, accountId: string, name: string): Promise<UserRow | undefined> {
  return first<UserRow>(
    db,
    sql`SELECT ${USER} FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.nameLower} = ${name.toLowerCase()}`,
  );
}

export async function getUserById(db: Db, accountId: string, userId: string): Promise<UserRow | undefined> {
  return first<UserRow>(db, sql`SELECT ${USER} FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.userId} = ${userId}`);
}

/** A user (by name, or by id when `byId`) with its tags, in one round trip. */
export async function getUserWithTags(
  db: Db,
  accountId: string,
  nameOrId: string,
  byId = false,
): Promise<{ user: UserRow; tags: TagRow[] } | undefined> {
  const which = () =>
    byId
      ? sql`${users.accountId} = ${accountId} AND ${users.userId} = ${nameOrId}`
      : sql`${users.accountId} = ${accountId} AND ${users.nameLower} = ${nameOrId.toLowerCase()}`;
  const [u, t] = await db.$client.batch([
    statement(db, sql`SELECT ${USER} FROM ${users} WHERE ${which()}`),
    statement(
      db,
      sql`SELECT ${tags.key} AS "Key", ${tags.value} AS "Value" FROM ${tags} JOIN ${users} ON ${users.userId} = ${tags.resourceId}
      WHERE ${which()} AND ${tags.accountId} = ${accountId} AND ${tags.resourceType} = 'user' ORDER BY ${tags.position}, ${tags.keyLower}`,
    ),
  ]);
  const user = (u?.results[0] as UserRow | undefined) ?? undefined;
  if (!user) return undefined;
  return { user, tags: (t?.results ?? []) as TagRow[] };
}

/** Users in name order after `afterNameLower`, at most `limit` rows, optionally under a path prefix. */
export async function listUsers(
  db: Db,
  accountId: string,
  o: { pathPrefix?: string; afterNameLower?: string; limit: number },
): Promise<Row<typeof users, "accountId">[]> {
  const prefix = o.pathPrefix ?? "/";
  return all(
    db,
    sql`SELECT ${selectList(users, ["accountId"])} FROM ${users}
      WHERE ${users.accountId} = ${accountId} AND substr(${users.path}, 1, length(${prefix})) = ${prefix} AND ${users.nameLower} > ${o.afterNameLower ?? ""}
      ORDER BY ${users.nameLower} LIMIT ${o.limit}`,
  );
}

export type CreateUserResult = { ok: true; user: UserRow; tags: TagRow[] } | { ok: false; reason: "exists" | "limit" };

/** A new user's row (unless the account is at USERS_PER_ACCOUNT: then the first statement changes nothing) and its tags. */
export function insertUserStmts(
  db: Db,
  accountId: string,
  u: {
    userId: string;
    userName: string;
    path: string;
    arn: string;
    createDate: string;
    permissionsBoundary: string | null;
    tags: TagRow[];
  },
): D1PreparedStatement[] {
  const t = users;
  return [
    statement(
      db,
      sql`INSERT INTO ${t} (${bare(t.userId)}, ${bare(t.accountId)}, ${bare(t.userName)}, ${bare(t.nameLower)}, ${bare(t.path)}, ${bare(t.arn)},
        ${bare(t.createDate)}, ${bare(t.permissionsBoundary)})
      SELECT ${u.userId}, ${accountId}, ${u.userName}, ${u.userName.toLowerCase()}, ${u.path}, ${u.arn}, ${u.createDate}, ${u.permissionsBoundary}
      WHERE (SELECT COUNT(*) FROM ${t} WHERE ${t.accountId} = ${accountId}) < ${USERS_PER_ACCOUNT}`,
    ),
    ...insertTagsStmts(db, accountId, "user", u.userId, u.tags),
  ];
}

/** Labs (src/labs/): a user's path (with its ARN) and permissions boundary set in place. */
export function updateUserStmt(
  db: Db,
  accountId: string,
  userId: string,
  f: { path: string; arn: string; permissionsBoundary: string | null },
): D1PreparedStatement {
  return statement(
    db,
    sql`UPDATE ${users} SET ${bare(users.path)} = ${f.path}, ${bare(users.arn)} = ${f.arn}, ${bare(users.permissionsBoundary)} = ${f.permissionsBoundary}
    WHERE ${users.accountId} = ${accountId} AND ${users.userId} = ${userId}`,
  );
}

/**
 * Labs (src/labs/): a user and everything that hangs off it (the rows DeleteUser's clean-up steps
 * remove one by one: login profile, keys, certificates, SSH keys, service credentials, MFA devices,
 * policies, memberships), its tags and password history.
 */
export function deleteUserCascadeStmts(db: Db, accountId: string, userId: string): D1PreparedStatement[] {
  const own = (
    table: typeof accessKeys | typeof signingCertificates | typeof sshPublicKeys | typeof serviceSpecificCredentials | typeof mfaDevices,
  ) => statement(db, sql`DELETE FROM ${table} WHERE ${table.accountId} = ${accountId} AND ${table.userId} = ${userId}`);
  return [
    statement(
      db,
      sql`DELETE FROM ${loginProfiles} WHERE ${loginProfiles.accountId} = ${accountId} AND ${loginProfiles.userId} = ${userId}`,
    ),
    own(accessKeys),
    own(signingCertificates),
    own(sshPublicKeys),
    own(serviceSpecificCredentials),
    own(mfaDevices),
    statement(
      db,
      sql`DELETE FROM ${inlinePolicies} WHERE ${inlinePolicies.entityType} = 'user' AND ${inlinePolicies.entityId} = ${userId}`,
    ),
    statement(
      db,
      sql`DELETE FROM ${policyAttachments} WHERE ${policyAttachments.entityType} = 'user' AND ${policyAttachments.entityId} = ${userId}`,
    ),
    statement(db, sql`DELETE FROM ${groupMembers} WHERE ${groupMembers.accountId} = ${accountId} AND ${groupMembers.userId} = ${userId}`),
    statement(db, sql`DELETE FROM ${passwordHistory} WHERE ${passwordHistory.userId} = ${userId}`),
    deleteTagsStmt(db, accountId, "user", userId),
    statement(db, sql`DELETE FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.userId} = ${userId}`),
  ];
}

/**
 * Inserts a user (and its tags) unless the account already holds USERS_PER_ACCOUNT users.
 * A concurrent create of the same name (any case) hits the unique index: "exists".
 */
export async function createUser(
  w: Write,
  u: {
    userId: string;
    userName: string;
    path: string;
    arn: string;
    createDate: string;
    permissionsBoundary: string | null;
    tags: TagRow[];
  },
): Promise<CreateUserResult> {
  const stmts = insertUserStmts(w.db, w.account, u);
  try {
    const [ins] = await writeBatch(w, stmts);
    if ((ins?.meta.changes ?? 0) === 0) return { ok: false, reason: "limit" };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
  return {
    ok: true,
    user: {
      userId: u.userId,
      userName: u.userName,
      path: u.path,
      arn: u.arn,
      createDate: u.createDate,
      permissionsBoundary: u.permissionsBoundary,
      passwordLastUsed: null,
    },
    tags: u.tags,
  };
}

export type UpdateUserResult = { ok: true } | { ok: false; reason: "notFound" | "exists" };

/** Renames and/or moves a user; its ARN and the denormalized user_name of its keys follow. */
export async function updateUser(
  w: Write,
  name: string,
  change: { newName: string; newPath: string; newArn: string },
): Promise<UpdateUserResult> {
  const { db, account: accountId } = w;
  const newLower = change.newName.toLowerCase();
  try {
    const [upd] = await writeBatch(w, [
      statement(
        db,
        sql`UPDATE ${users} SET ${bare(users.userName)} = ${change.newName}, ${bare(users.nameLower)} = ${newLower},
          ${bare(users.path)} = ${change.newPath}, ${bare(users.arn)} = ${change.newArn}
        WHERE ${users.accountId} = ${accountId} AND ${users.nameLower} = ${name.toLowerCase()}`,
      ),
      statement(
        db,
        sql`UPDATE ${accessKeys} SET ${bare(accessKeys.userName)} = ${change.newName}
        WHERE ${accessKeys.accountId} = ${accountId}
          AND ${accessKeys.userId} = (SELECT ${users.userId} FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.nameLower} = ${newLower})`,
      ),
    ]);
    if ((upd?.meta.changes ?? 0) === 0) return { ok: false, reason: "notFound" };
    return { ok: true };
  } catch (e) {
    if (isUniqueViolation(e)) return { ok: false, reason: "exists" };
    throw e;
  }
}

export type DeleteBlocker =
  | "loginProfile"
  | "accessKeys"
  | "signingCertificates"
  | "sshPublicKeys"
  | "serviceSpecificCredentials"
  | "mfaDevices"
  | "inlinePolicies"
  | "attachedPolicies"
  | "groups";
export type DeleteUserResult = { ok: true } | { ok: false; reason: "notFound" } | { ok: false; reason: "conflict"; blocker: DeleteBlocker };

/** What hangs off the user row in scope (`users.user_id`), each an EXISTS, in AWS's order of DeleteUser's clean-up steps. */
function dependents(accountId: string) {
  const uid = users.userId;
  return {
    login: sql`EXISTS (SELECT 1 FROM ${loginProfiles} WHERE ${loginProfiles.userId} = ${uid})`,
    keys: sql`EXISTS (SELECT 1 FROM ${accessKeys} WHERE ${accessKeys.accountId} = ${accountId} AND ${accessKeys.userId} = ${uid})`,
    cert: sql`EXISTS (SELECT 1 FROM ${signingCertificates} WHERE ${signingCertificates.accountId} = ${accountId} AND ${signingCertificates.userId} = ${uid})`,
    ssh: sql`EXISTS (SELECT 1 FROM ${sshPublicKeys} WHERE ${sshPublicKeys.accountId} = ${accountId} AND ${sshPublicKeys.userId} = ${uid})`,
    ssc: sql`EXISTS (SELECT 1 FROM ${serviceSpecificCredentials} WHERE ${serviceSpecificCredentials.accountId} = ${accountId} AND ${serviceSpecificCredentials.userId} = ${uid})`,
    mfa: sql`EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.accountId} = ${accountId} AND ${mfaDevices.userId} = ${uid})`,
    inl: sql`EXISTS (SELECT 1 FROM ${inlinePolicies} WHERE ${inlinePolicies.entityType} = 'user' AND ${inlinePolicies.entityId} = ${uid})`,
    att: sql`EXISTS (SELECT 1 FROM ${policyAttachments} WHERE ${policyAttachments.entityType} = 'user' AND ${policyAttachments.entityId} = ${uid})`,
    grp: sql`EXISTS (SELECT 1 FROM ${groupMembers} WHERE ${groupMembers.userId} = ${uid})`,
  };
}

/**
 * Deletes a user only while nothing hangs off it (login profile, access keys, signing certificates,
 * SSH public keys, service-specific credentials, MFA devices, inline or attached policies, group memberships): the checks are part of the DELETE itself, so a concurrent AddUserToGroup or
 * CreateAccessKey either lands before (and blocks the delete) or finds no user.
 */
export async function deleteUser(w: Write, name: string, retry = true): Promise<DeleteUserResult> {
  const { db, account: accountId } = w;
  const lower = name.toLowerCase();
  // The id, to clear the user's tags and password history by key once the user row is gone.
  const id = (
    await first<{ id: string }>(
      db,
      sql`SELECT ${users.userId} AS id FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.nameLower} = ${lower}`,
    )
  )?.id;
  if (!id) return { ok: false, reason: "notFound" };
  const d = dependents(accountId);
  const [del] = await writeBatch(w, [
    statement(
      db,
      sql`DELETE FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.userId} = ${id}
      AND NOT ${d.login} AND NOT ${d.keys} AND NOT ${d.cert} AND NOT ${d.ssh} AND NOT ${d.ssc} AND NOT ${d.mfa} AND NOT ${d.inl} AND NOT ${d.att} AND NOT ${d.grp}
      RETURNING ${bare(users.userId)}`,
    ),
    // Only when the user row is really gone (deleted just now).
    deleteTagsStmt(db, accountId, "user", id),
    statement(
      db,
      sql`DELETE FROM ${passwordHistory} WHERE ${passwordHistory.userId} = ${id}
      AND NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.userId} = ${id})`,
    ),
  ]);
  if ((del?.results.length ?? 0) > 0) return { ok: true };
  const r = await first<{
    id: string;
    login: number;
    keys: number;
    cert: number;
    ssh: number;
    ssc: number;
    mfa: number;
    inl: number;
    att: number;
    grp: number;
  }>(
    db,
    sql`SELECT ${users.userId} AS id, ${d.login} AS login, ${d.keys} AS keys, ${d.cert} AS cert, ${d.ssh} AS ssh, ${d.ssc} AS ssc, ${d.mfa} AS mfa, ${d.inl} AS inl, ${d.att} AS att, ${d.grp} AS grp
      FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.nameLower} = ${lower}`,
  );
  if (!r) return { ok: false, reason: "notFound" };
  // The order of AWS's documented clean-up steps for DeleteUser.
  const blocker: DeleteBlocker | undefined = r.login
    ? "loginProfile"
    : r.keys
      ? "accessKeys"
      : r.cert
        ? "signingCertificates"
        : r.ssh
          ? "sshPublicKeys"
          : r.ssc
            ? "serviceSpecificCredentials"
            : r.mfa
              ? "mfaDevices"
              : r.inl
                ? "inlinePolicies"
                : r.att
                  ? "attachedPolicies"
                  : r.grp
                    ? "groups"
                    : undefined;
  if (!blocker) return retry ? deleteUser(w, name, false) : { ok: false, reason: "notFound" }; // freed meanwhile
  return { ok: false, reason: "conflict", blocker };
}
