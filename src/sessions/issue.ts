/** Issuing temporary credentials: new ASIA key + secret + MAC'd token, stored in the account's DO. */
import type { Env } from "../env";
import { errors } from "../protocol/errors";
import { durableStub } from "../lib/durable";
import { newAccessKeyId, newSecretAccessKey } from "../lib/ids";
import { assumedRoleArn } from "../lib/arn";
import { newSessionId, signToken } from "./token";
import type { SessionRecord } from "./types";
import { accountIncarnation } from "./store";
import { getDb } from "../store/db";
import { authCacheTtl, cachedLookup, scopes } from "../cache/index";

/**
 * The key that makes tokens unforgeable: IAMLAB_TOKEN_KEY, and nothing else. It never falls back to
 * a root secret (an account's secret must not be what guards every account's sessions): without
 * it STS issues no tokens (ServiceFailure, logged) and accepts none (InvalidClientTokenId).
 */
export function tokenKey(env: Env): string | undefined {
  return env.IAMLAB_TOKEN_KEY || undefined;
}

let missingKeyLogged = false;
function requireTokenKey(env: Env): string {
  const key = tokenKey(env);
  if (key) return key;
  if (!missingKeyLogged) {
    missingKeyLogged = true;
    console.error(
      "IAMLAB_TOKEN_KEY is not set: STS refuses to issue temporary credentials (set it with `wrangler secret put IAMLAB_TOKEN_KEY`).",
    );
  }
  throw errors.serviceFailure();
}

/** The incarnation tokens of `account` carry, cached like the other account reads of authentication (dropped when the account is deleted). */
async function incarnationOf(env: Env, account: string): Promise<string> {
  const inc = await cachedLookup(
    `incarnation:${account}`,
    authCacheTtl(env),
    () => scopes.account(account),
    () => accountIncarnation(getDb(env.DB), account),
  );
  // The account was deleted while the request was on its way: nothing to issue for.
  if (!inc) throw errors.invalidClientTokenId();
  return inc;
}

export function sessionsStub(env: Env, account: string) {
  return durableStub(env.SESSIONS, account, "SESSIONS");
}

export type Credentials = {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
};

export type NewSession = Omit<SessionRecord, "sessionId" | "accessKeyId" | "secretAccessKey">;

export async function issueSession(env: Env, now: number, s: NewSession): Promise<{ credentials: Credentials; record: SessionRecord }> {
  const key = requireTokenKey(env);
  const incarnation = await incarnationOf(env, s.account);
  const record: SessionRecord = {
    ...s,
    sessionId: newSessionId(),
    accessKeyId: newAccessKeyId(s.account, true),
    secretAccessKey: newSecretAccessKey(),
  };
  const token = await signToken(key, record.accessKeyId, {
    sessionId: record.sessionId,
    account: record.account,
    expiresAt: record.expiresAt,
    incarnation,
  });
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
