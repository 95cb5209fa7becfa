/** Issuing temporary credentials: new ASIA key + secret + MAC'd token, stored in the account's DO. */
import type { Env } from "../env";
import { errors } from "../protocol/errors";
import { newAccessKeyId, newSecretAccessKey } from "../lib/ids";
import { assumedRoleArn } from "../lib/arn";
import { newSessionId, signToken } from "./token";
import type { SessionRecord } from "./types";

/** The key that makes tokens unforgeable (falls back to the root secret when IAMLAB_TOKEN_KEY is unset). */
export function tokenKey(env: Env): string | undefined {
  return env.IAMLAB_TOKEN_KEY || env.IAMLAB_ROOT_SECRET_ACCESS_KEY || undefined;
}

export function sessionsStub(env: Env, account: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(account));
}

export type Credentials = {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
};

export type NewSession = Omit<SessionRecord, "sessionId" | "accessKeyId" | "secretAccessKey">;

export async function issueSession(env: Env, now: number, s: NewSession): Promise<{ credentials: Credentials; record: SessionRecord }> {
  const key = tokenKey(env);
  if (!key) throw errors.serviceFailure();
  const record: SessionRecord = {
    ...s,
    sessionId: newSessionId(),
    accessKeyId: newAccessKeyId(s.account, true),
    secretAccessKey: newSecretAccessKey(),
  };
  const token = await signToken(key, record.accessKeyId, { sessionId: record.sessionId, account: record.account, expiresAt: record.expiresAt });
  await sessionsStub(env, record.account).issue(record, now);
  return {
    record,
    credentials: {
      AccessKeyId: record.accessKeyId,
      SecretAccessKey: record.secretAccessKey,
      SessionToken: token,
      Expiration: new Date(record.expiresAt),
    },
  };
}

/** What sets one role session apart from another; the rest follows from the role. */
export type RoleSessionOptions = Omit<NewSession, "account" | "kind" | "principal" | "entityId" | "entityKind" | "issuedAt" | "expiresAt">;

/**
 * A session of `role` (AssumeRole, or a service assuming its role): the assumed-role principal
 * `arn:aws:sts::A:assumed-role/ROLE/SESSION` with id `AROA…:SESSION`.
 */
export async function issueRoleSession(
  env: Env,
  now: number,
  account: string,
  role: { roleId: string; roleName: string; arn: string },
  sessionName: string,
  durationSeconds: number,
  options: RoleSessionOptions,
): Promise<{ credentials: Credentials; assumedRoleUser: { AssumedRoleId: string; Arn: string } }> {
  const assumedRoleId = `${role.roleId}:${sessionName}`;
  const arn = assumedRoleArn(account, role.roleName, sessionName);
  const { credentials } = await issueSession(env, now, {
    account,
    kind: "assumedRole",
    principal: { kind: "assumedRole", account, arn, userId: assumedRoleId, roleArn: role.arn },
    entityId: role.roleId,
    entityKind: "role",
    issuedAt: now,
    expiresAt: now + durationSeconds * 1000,
    ...options,
  });
  return { credentials, assumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: arn } };
}
