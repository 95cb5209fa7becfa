/**
 * Virtual MFA devices in D1 (mfa_devices) and their tags (tags.resource_type 'mfa', resource_id =
 * serial number). A device is assigned to an IAM user (user_id = AIDA…) or to the root user
 * (user_id 'root'); every assignment change is one conditional statement, so concurrent
 * EnableMFADevice calls cannot both win, and `last_time_step` makes every accepted TOTP code
 * single-use (a conditional UPDATE: the step must be newer than the last one accepted).
 */
import { sql } from "drizzle-orm";
import { all, bare, first, isUniqueViolation, selectList, statement, type Db, type Row } from "./db";
import { mfaDevices, tags, users } from "./schema";
import { writeBatch, type Write } from "./write";
import { matchingSteps, timeStep } from "../lib/totp";
import { isQuotaAbort, quotaGuardStmt } from "./iam-quotas";
import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";
export type { TagRow };

export const ROOT_USER_ID = "root";
/** AWS: up to 8 MFA devices of any type per user (and per root user). */
export const MFA_DEVICES_PER_USER = 8;

/** A device as the store returns it: every column of `mfa_devices` but account_id. */
export type MfaDeviceRow = Row<typeof mfaDevices, "accountId">;
const DEVICE = selectList(mfaDevices, ["accountId"]);

/** A device with the user it is assigned to (null fields when unassigned or the root user). */
export interface MfaDeviceWithUser extends MfaDeviceRow {
  userName: string | null;
  userPath: string | null;
  userArn: string | null;
  userCreateDate: string | null;
  userPasswordLastUsed: string | null;
}

/** The assigned user's columns of MfaDeviceWithUser (`users` LEFT JOINed on the device's user_id). */
const DEVICE_USER = sql`${users.userName} AS "userName", ${users.path} AS "userPath", ${users.arn} AS "userArn",
  ${users.createDate} AS "userCreateDate", ${users.passwordLastUsed} AS "userPasswordLastUsed"`;

/** The device row's tags in their order, as a JSON array of {Key, Value}. */
const DEVICE_TAGS = sql`(SELECT json_group_array(json_object('Key', k, 'Value', v)) FROM
  (SELECT ${tags.key} AS k, ${tags.value} AS v FROM ${tags}
   WHERE ${tags.accountId} = ${mfaDevices.accountId} AND ${tags.resourceType} = 'mfa' AND ${tags.resourceId} = ${mfaDevices.serialNumber}
   ORDER BY ${tags.position}, ${tags.keyLower}))`;

/** An IAM user as the MFA and password actions need it. */
export type UserRef = Row<typeof users, "accountId" | "nameLower" | "permissionsBoundary">;

/** The device `serial` of the account (WHERE fragment). */
const device = (accountId: string, serial: string) =>
  sql`${mfaDevices.accountId} = ${accountId} AND ${mfaDevices.serialNumber} = ${serial}`;

/** An IAM user by name (case-insensitive), as the MFA and password actions need it. */
export async function userByName(db: Db, accountId: string, name: string): Promise<UserRef | null> {
  return (
    (await first<UserRef>(
      db,
      sql`SELECT ${selectList(users, ["accountId", "nameLower", "permissionsBoundary"])} FROM ${users}
      WHERE ${users.accountId} = ${accountId} AND ${users.nameLower} = ${name.toLowerCase()}`,
    )) ?? null
  );
}

export async function getDevice(db: Db, accountId: string, serial: string): Promise<MfaDeviceWithUser | null> {
  return (
    (await first<MfaDeviceWithUser>(
      db,
      sql`SELECT ${DEVICE}, ${DEVICE_USER} FROM ${mfaDevices} LEFT JOIN ${users} ON ${users.userId} = ${mfaDevices.userId}
      WHERE ${device(accountId, serial)}`,
    )) ?? null
  );
}

/**
 * Creates a virtual device with its tags in one batch: "exists" when the serial number is taken,
 * "limit" when the account already holds VirtualMFADevicesPerAccount devices.
 */
export async function insertDevice(
  w: Write,
  d: Omit<MfaDeviceRow, "userId" | "enableDate" | "lastTimeStep">,
  tagList: TagRow[],
): Promise<"ok" | "exists" | "limit"> {
  const { db, account: accountId } = w;
  const t = mfaDevices;
  try {
    await writeBatch(w, [
      statement(
        db,
        sql`INSERT INTO ${t} (${bare(t.serialNumber)}, ${bare(t.accountId)}, ${bare(t.deviceName)}, ${bare(t.path)}, ${bare(t.seed)},
          ${bare(t.userId)}, ${bare(t.enableDate)}, ${bare(t.createDate)}, ${bare(t.lastTimeStep)})
        VALUES (${d.serialNumber}, ${accountId}, ${d.deviceName}, ${d.path}, ${d.seed}, NULL, NULL, ${d.createDate}, NULL)`,
      ),
      // Tags left behind by a device of the same serial number deleted concurrently.
      statement(
        db,
        sql`DELETE FROM ${tags} WHERE ${tags.accountId} = ${accountId} AND ${tags.resourceType} = 'mfa' AND ${tags.resourceId} = ${d.serialNumber}`,
      ),
      ...insertTagsStmts(db, accountId, "mfa", d.serialNumber, tagList),
      quotaGuardStmt(db, accountId, "VirtualMFADevicesPerAccount"),
    ]);
    return "ok";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    if (isQuotaAbort(e)) return "limit";
    throw e;
  }
}

/** Labs (src/labs/): a virtual MFA device created already enabled for a user, as a statement of a batch. */
export function insertEnabledDeviceStmt(
  db: Db,
  accountId: string,
  d: { serialNumber: string; deviceName: string; seed: string; userId: string; createDate: string },
): D1PreparedStatement {
  const t = mfaDevices;
  return statement(
    db,
    sql`INSERT INTO ${t} (${bare(t.serialNumber)}, ${bare(t.accountId)}, ${bare(t.deviceName)}, ${bare(t.path)}, ${bare(t.seed)},
      ${bare(t.userId)}, ${bare(t.enableDate)}, ${bare(t.createDate)}, ${bare(t.lastTimeStep)})
    VALUES (${d.serialNumber}, ${accountId}, ${d.deviceName}, '/', ${d.seed}, ${d.userId}, ${d.createDate}, ${d.createDate}, NULL)`,
  );
}

/** Labs: one of a user's MFA devices removed (a template with fewer devices). */
export function deleteDeviceStmt(db: Db, accountId: string, serialNumber: string): D1PreparedStatement {
  const t = mfaDevices;
  return statement(db, sql`DELETE FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.serialNumber} = ${serialNumber}`);
}

/** Labs: every MFA device of a user removed (a template's `mfa: false`). */
export function deleteUserDevicesStmt(db: Db, accountId: string, userId: string): D1PreparedStatement {
  const t = mfaDevices;
  return statement(db, sql`DELETE FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.userId} = ${userId}`);
}

export type EnableResult = { ok: true } | { ok: false; reason: "notFound" | "inUse" | "limit" };

/**
 * Assigns an unassigned device to a user (or 'root') in one statement: the device must still be
 * unassigned and the user must hold fewer than MFA_DEVICES_PER_USER devices. `lastTimeStep` is the
 * step of AuthenticationCode2, so neither code can be used again.
 */
export async function enableDevice(
  w: Write,
  serial: string,
  userId: string,
  enableDate: string,
  lastTimeStep: number,
): Promise<EnableResult> {
  const { db, account: accountId } = w;
  const t = mfaDevices;
  const [res] = await writeBatch(w, [
    statement(
      db,
      sql`UPDATE ${t} SET ${bare(t.userId)} = ${userId}, ${bare(t.enableDate)} = ${enableDate}, ${bare(t.lastTimeStep)} = ${lastTimeStep}
      WHERE ${device(accountId, serial)} AND ${t.userId} IS NULL
        AND (SELECT COUNT(*) FROM ${t} x WHERE x.${bare(t.accountId)} = ${accountId} AND x.${bare(t.userId)} = ${userId}) < ${MFA_DEVICES_PER_USER}
        AND (${userId} = ${ROOT_USER_ID} OR EXISTS (SELECT 1 FROM ${users} WHERE ${users.accountId} = ${accountId} AND ${users.userId} = ${userId}))`,
    ),
  ]);
  if ((res?.meta.changes ?? 0) > 0) return { ok: true };
  const cur = await first<{ userId: string | null }>(db, sql`SELECT ${t.userId} AS "userId" FROM ${t} WHERE ${device(accountId, serial)}`);
  if (!cur) return { ok: false, reason: "notFound" };
  if (cur.userId !== null) return { ok: false, reason: "inUse" };
  return { ok: false, reason: "limit" };
}

/** Unassigns a device from the user; false when it is not assigned to that user. */
export async function deactivateDevice(w: Write, serial: string, userId: string): Promise<boolean> {
  const t = mfaDevices;
  const [res] = await writeBatch(w, [
    statement(
      w.db,
      sql`UPDATE ${t} SET ${bare(t.userId)} = NULL, ${bare(t.enableDate)} = NULL
      WHERE ${device(w.account, serial)} AND ${t.userId} = ${userId}`,
    ),
  ]);
  return (res?.meta.changes ?? 0) > 0;
}

export type DeleteDeviceResult = "deleted" | "notFound" | "inUse";

/** Deletes an unassigned device and its tags in one batch. */
export async function deleteDevice(w: Write, serial: string): Promise<DeleteDeviceResult> {
  const { db, account: accountId } = w;
  const t = mfaDevices;
  const [del] = await writeBatch(w, [
    statement(db, sql`DELETE FROM ${t} WHERE ${device(accountId, serial)} AND ${t.userId} IS NULL RETURNING ${bare(t.serialNumber)}`),
    deleteTagsStmt(db, accountId, "mfa", serial),
  ]);
  if ((del?.results.length ?? 0) > 0) return "deleted";
  const cur = await first(db, sql`SELECT 1 AS x FROM ${t} WHERE ${device(accountId, serial)}`);
  return cur ? "inUse" : "notFound";
}

/** The UPDATE that records `step` as the device's last accepted step (never moving it backwards), while assigned to `userId`. */
function lastStepStmt(db: Db, accountId: string, serial: string, userId: string, step: number): D1PreparedStatement {
  const t = mfaDevices;
  return statement(
    db,
    sql`UPDATE ${t} SET ${bare(t.lastTimeStep)} = ${step} WHERE ${device(accountId, serial)} AND ${t.userId} = ${userId}
      AND (${t.lastTimeStep} IS NULL OR ${t.lastTimeStep} < ${step})`,
  );
}

/** Records the last accepted step after a resync (never moves it backwards). */
export async function setLastTimeStep(w: Write, serial: string, userId: string, step: number): Promise<boolean> {
  const [res] = await writeBatch(w, [lastStepStmt(w.db, w.account, serial, userId, step)]);
  return (res?.meta.changes ?? 0) > 0;
}

/** Devices assigned to a user (or 'root'), by serial number after `after`. */
export async function listUserDevices(
  db: Db,
  accountId: string,
  userId: string,
  after: string | undefined,
  limit: number,
): Promise<MfaDeviceRow[]> {
  const t = mfaDevices;
  return all<MfaDeviceRow>(
    db,
    sql`SELECT ${DEVICE} FROM ${t} WHERE ${t.accountId} = ${accountId} AND ${t.userId} = ${userId}
      ${after === undefined ? sql`` : sql`AND ${t.serialNumber} > ${after}`}
      ORDER BY ${t.serialNumber} LIMIT ${limit}`,
  );
}

export type AssignmentStatus = "Assigned" | "Unassigned" | "Any";

/** Virtual devices of the account with their users and tags, by serial number after `after`. */
export async function listVirtualDevices(
  db: Db,
  accountId: string,
  status: AssignmentStatus,
  after: string | undefined,
  limit: number,
): Promise<(MfaDeviceWithUser & { tags: TagRow[] })[]> {
  const t = mfaDevices;
  const filter = status === "Assigned" ? sql`AND ${t.userId} IS NOT NULL` : status === "Unassigned" ? sql`AND ${t.userId} IS NULL` : sql``;
  const results = await all<MfaDeviceWithUser & { tagsJson: string }>(
    db,
    sql`SELECT ${DEVICE}, ${DEVICE_USER}, ${DEVICE_TAGS} AS "tagsJson"
      FROM ${t} LEFT JOIN ${users} ON ${users.userId} = ${t.userId}
      WHERE ${t.accountId} = ${accountId} ${filter} ${after === undefined ? sql`` : sql`AND ${t.serialNumber} > ${after}`}
      ORDER BY ${t.serialNumber} LIMIT ${limit}`,
  );
  return results.map(({ tagsJson, ...r }) => ({ ...r, tags: JSON.parse(tagsJson) as TagRow[] }));
}

// ---------------------------------------------------------------- STS

/** Accepted clock skew for sign-in codes: the previous, current and next 30-second step. */
export const MFA_CODE_WINDOW_STEPS = 1;

/**
 * For STS (GetSessionToken / AssumeRole with SerialNumber + TokenCode): true when the device is
 * assigned to `expectedUserId` (an IAM user id, or 'root'), the code is valid within ±1 step of
 * `now` (epoch ms), and its step is newer than the last code accepted for the device. The step is
 * recorded with a conditional UPDATE, so a code — or an older one — can never be used twice, even
 * by concurrent requests.
 */
export async function verifyMfaCode(
  db: Db,
  accountId: string,
  serialNumber: string,
  code: string,
  now: number,
  expectedUserId: string,
): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false;
  const t = mfaDevices;
  const dev = await first<{ seed: string; lastTimeStep: number | null }>(
    db,
    sql`SELECT ${t.seed} AS "seed", ${t.lastTimeStep} AS "lastTimeStep" FROM ${t}
      WHERE ${device(accountId, serialNumber)} AND ${t.userId} = ${expectedUserId}`,
  );
  if (!dev) return false;
  const current = timeStep(now);
  const steps = await matchingSteps(dev.seed, code, current - MFA_CODE_WINDOW_STEPS, current + MFA_CODE_WINDOW_STEPS);
  const step = steps.filter((s) => dev.lastTimeStep === null || s > dev.lastTimeStep).pop();
  if (step === undefined) return false;
  // Bookkeeping of a sign-in (STS, effect none): the plain Db, not an action's write.
  const res = await lastStepStmt(db, accountId, serialNumber, expectedUserId, step).run();
  return res.meta.changes > 0;
}
