/**
 * Virtual MFA devices in D1 (mfa_devices) and their tags (tags.resource_type 'mfa', resource_id =
 * serial number). A device is assigned to an IAM user (user_id = AIDA…) or to the root user
 * (user_id 'root'); every assignment change is one conditional statement, so concurrent
 * EnableMFADevice calls cannot both win, and `last_time_step` makes every accepted TOTP code
 * single-use (a conditional UPDATE: the step must be newer than the last one accepted).
 */
import { isUniqueViolation, type Db } from "./db";
import { matchingSteps, timeStep } from "../lib/totp";
import { isQuotaAbort, quotaGuardStmt } from "./iam-quotas";

export const ROOT_USER_ID = "root";
/** AWS: up to 8 MFA devices of any type per user (and per root user). */
export const MFA_DEVICES_PER_USER = 8;

export interface MfaDeviceRow {
  serialNumber: string;
  deviceName: string;
  path: string;
  seed: string;
  userId: string | null;
  enableDate: string | null;
  createDate: string;
  lastTimeStep: number | null;
}

/** A device with the user it is assigned to (null fields when unassigned or the root user). */
export interface MfaDeviceWithUser extends MfaDeviceRow {
  userName: string | null;
  userPath: string | null;
  userArn: string | null;
  userCreateDate: string | null;
  userPasswordLastUsed: string | null;
}

export interface UserRef {
  userId: string;
  userName: string;
  path: string;
  arn: string;
  createDate: string;
  passwordLastUsed: string | null;
}

import { deleteTagsStmt, insertTagsStmts, type TagRow } from "./tags";
export type { TagRow };

const DEVICE_COLS = `d.serial_number AS serialNumber, d.device_name AS deviceName, d.path AS path, d.seed AS seed,
  d.user_id AS userId, d.enable_date AS enableDate, d.create_date AS createDate, d.last_time_step AS lastTimeStep`;
const USER_COLS = `u.user_name AS userName, u.path AS userPath, u.arn AS userArn, u.create_date AS userCreateDate,
  u.password_last_used AS userPasswordLastUsed`;

/** An IAM user by name (case-insensitive), as the MFA and password actions need it. */
export async function userByName(db: Db, accountId: string, name: string): Promise<UserRef | null> {
  return db.$client
    .prepare(`SELECT user_id AS userId, user_name AS userName, path, arn, create_date AS createDate, password_last_used AS passwordLastUsed
      FROM users WHERE account_id = ? AND name_lower = ?`)
    .bind(accountId, name.toLowerCase())
    .first<UserRef>();
}

export async function getDevice(db: Db, accountId: string, serial: string): Promise<MfaDeviceWithUser | null> {
  return db.$client
    .prepare(`SELECT ${DEVICE_COLS}, ${USER_COLS} FROM mfa_devices d LEFT JOIN users u ON u.user_id = d.user_id
      WHERE d.account_id = ? AND d.serial_number = ?`)
    .bind(accountId, serial)
    .first<MfaDeviceWithUser>();
}

/**
 * Creates a virtual device with its tags in one batch: "exists" when the serial number is taken,
 * "limit" when the account already holds VirtualMFADevicesPerAccount devices.
 */
export async function insertDevice(
  db: Db,
  accountId: string,
  d: Omit<MfaDeviceRow, "userId" | "enableDate" | "lastTimeStep">,
  tags: TagRow[],
): Promise<"ok" | "exists" | "limit"> {
  const d1 = db.$client;
  try {
    await d1.batch([
      d1
        .prepare(`INSERT INTO mfa_devices (serial_number, account_id, device_name, path, seed, user_id, enable_date, create_date, last_time_step)
        VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, NULL)`)
        .bind(d.serialNumber, accountId, d.deviceName, d.path, d.seed, d.createDate),
      // Tags left behind by a device of the same serial number deleted concurrently.
      d1.prepare(`DELETE FROM tags WHERE account_id = ? AND resource_type = 'mfa' AND resource_id = ?`).bind(accountId, d.serialNumber),
      ...insertTagsStmts(db, accountId, "mfa", d.serialNumber, tags),
      quotaGuardStmt(db, accountId, "VirtualMFADevicesPerAccount"),
    ]);
    return "ok";
  } catch (e) {
    if (isUniqueViolation(e)) return "exists";
    if (isQuotaAbort(e)) return "limit";
    throw e;
  }
}

export type EnableResult = { ok: true } | { ok: false; reason: "notFound" | "inUse" | "limit" };

/**
 * Assigns an unassigned device to a user (or 'root') in one statement: the device must still be
 * unassigned and the user must hold fewer than MFA_DEVICES_PER_USER devices. `lastTimeStep` is the
 * step of AuthenticationCode2, so neither code can be used again.
 */
export async function enableDevice(
  db: Db,
  accountId: string,
  serial: string,
  userId: string,
  enableDate: string,
  lastTimeStep: number,
): Promise<EnableResult> {
  const d1 = db.$client;
  const res = await d1
    .prepare(`UPDATE mfa_devices SET user_id = ?3, enable_date = ?4, last_time_step = ?5
      WHERE account_id = ?1 AND serial_number = ?2 AND user_id IS NULL
        AND (SELECT COUNT(*) FROM mfa_devices x WHERE x.account_id = ?1 AND x.user_id = ?3) < ?6
        AND (?3 = 'root' OR EXISTS (SELECT 1 FROM users u WHERE u.account_id = ?1 AND u.user_id = ?3))`)
    .bind(accountId, serial, userId, enableDate, lastTimeStep, MFA_DEVICES_PER_USER)
    .run();
  if (res.meta.changes > 0) return { ok: true };
  const cur = await d1
    .prepare(`SELECT user_id AS userId FROM mfa_devices WHERE account_id = ? AND serial_number = ?`)
    .bind(accountId, serial)
    .first<{ userId: string | null }>();
  if (!cur) return { ok: false, reason: "notFound" };
  if (cur.userId !== null) return { ok: false, reason: "inUse" };
  return { ok: false, reason: "limit" };
}

/** Unassigns a device from the user; false when it is not assigned to that user. */
export async function deactivateDevice(db: Db, accountId: string, serial: string, userId: string): Promise<boolean> {
  const res = await db.$client
    .prepare(`UPDATE mfa_devices SET user_id = NULL, enable_date = NULL
      WHERE account_id = ? AND serial_number = ? AND user_id = ?`)
    .bind(accountId, serial, userId)
    .run();
  return res.meta.changes > 0;
}

export type DeleteDeviceResult = "deleted" | "notFound" | "inUse";

/** Deletes an unassigned device and its tags in one batch. */
export async function deleteDevice(db: Db, accountId: string, serial: string): Promise<DeleteDeviceResult> {
  const d1 = db.$client;
  const [del] = await d1.batch([
    d1
      .prepare(`DELETE FROM mfa_devices WHERE account_id = ? AND serial_number = ? AND user_id IS NULL RETURNING serial_number`)
      .bind(accountId, serial),
    deleteTagsStmt(db, accountId, "mfa", serial),
  ]);
  if ((del?.results.length ?? 0) > 0) return "deleted";
  const cur = await d1.prepare(`SELECT 1 AS x FROM mfa_devices WHERE account_id = ? AND serial_number = ?`).bind(accountId, serial).first();
  return cur ? "inUse" : "notFound";
}

/** Records the last accepted step after a resync (never moves it backwards). */
export async function setLastTimeStep(db: Db, accountId: string, serial: string, userId: string, step: number): Promise<boolean> {
  const res = await db.$client
    .prepare(`UPDATE mfa_devices SET last_time_step = ?4 WHERE account_id = ?1 AND serial_number = ?2 AND user_id = ?3
      AND (last_time_step IS NULL OR last_time_step < ?4)`)
    .bind(accountId, serial, userId, step)
    .run();
  return res.meta.changes > 0;
}

/** Devices assigned to a user (or 'root'), by serial number after `after`. */
export async function listUserDevices(
  db: Db,
  accountId: string,
  userId: string,
  after: string | undefined,
  limit: number,
): Promise<MfaDeviceRow[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${DEVICE_COLS} FROM mfa_devices d WHERE d.account_id = ?1 AND d.user_id = ?2 AND (?3 IS NULL OR d.serial_number > ?3)
      ORDER BY d.serial_number LIMIT ?4`)
    .bind(accountId, userId, after ?? null, limit)
    .all<MfaDeviceRow>();
  return results;
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
  const filter = status === "Assigned" ? "AND d.user_id IS NOT NULL" : status === "Unassigned" ? "AND d.user_id IS NULL" : "";
  const { results } = await db.$client
    .prepare(`SELECT ${DEVICE_COLS}, ${USER_COLS},
        (SELECT json_group_array(json_object('Key', t.key, 'Value', t.value)) FROM
          (SELECT key, value FROM tags t WHERE t.account_id = d.account_id AND t.resource_type = 'mfa' AND t.resource_id = d.serial_number
           ORDER BY t.position, t.key_lower) t) AS tagsJson
      FROM mfa_devices d LEFT JOIN users u ON u.user_id = d.user_id
      WHERE d.account_id = ?1 ${filter} AND (?2 IS NULL OR d.serial_number > ?2)
      ORDER BY d.serial_number LIMIT ?3`)
    .bind(accountId, after ?? null, limit)
    .all<MfaDeviceWithUser & { tagsJson: string }>();
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
  const d1 = db.$client;
  const dev = await d1
    .prepare(`SELECT seed, last_time_step AS lastTimeStep FROM mfa_devices WHERE account_id = ? AND serial_number = ? AND user_id = ?`)
    .bind(accountId, serialNumber, expectedUserId)
    .first<{ seed: string; lastTimeStep: number | null }>();
  if (!dev) return false;
  const current = timeStep(now);
  const steps = await matchingSteps(dev.seed, code, current - MFA_CODE_WINDOW_STEPS, current + MFA_CODE_WINDOW_STEPS);
  const step = steps.filter((s) => dev.lastTimeStep === null || s > dev.lastTimeStep).pop();
  if (step === undefined) return false;
  const res = await d1
    .prepare(`UPDATE mfa_devices SET last_time_step = ?4 WHERE account_id = ?1 AND serial_number = ?2 AND user_id = ?3
      AND (last_time_step IS NULL OR last_time_step < ?4)`)
    .bind(accountId, serialNumber, expectedUserId, step)
    .run();
  return res.meta.changes > 0;
}
