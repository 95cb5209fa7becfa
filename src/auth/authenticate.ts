/** Authentication: SigV4 → key (or session) lookup → clock → signature → typed Caller. */
import { errors } from "../protocol/errors";
import { checkTime, parseSignature, verifySignature, type RawRequest, type SignedRequestInfo } from "./sigv4";
import type { Caller } from "./caller";
import { lookupAccessKey } from "../store/credentials";
import type { Db } from "../store/db";
import { rootArn } from "../lib/arn";

/** Resolves temporary credentials (X-Amz-Security-Token); the STS layer provides it. */
export interface SessionResolver {
  resolve(accessKeyId: string, token: string, now: number): Promise<{ secret: string; caller: Caller }>;
}


export interface Authenticated {
  caller: Caller;
  signature: SignedRequestInfo;
}

export async function authenticate(raw: RawRequest, body: Uint8Array, db: Db, sessions: SessionResolver, now: number): Promise<Authenticated> {
  const info = parseSignature(raw);
  if (!info) throw errors.missingAuthenticationToken();
  let secret: string;
  let caller: Caller;
  if (info.securityToken !== undefined) {
    ({ secret, caller } = await sessions.resolve(info.accessKeyId, info.securityToken, now));
  } else {
    const key = info.accessKeyId.startsWith("ASIA") ? undefined : await lookupAccessKey(db, info.accessKeyId);
    if (!key || key.status !== "Active") throw errors.invalidClientTokenId();
    secret = key.secret;
    caller = key.userId
      ? {
          principal: { kind: "user", account: key.accountId, arn: key.userArn ?? "", userId: key.userId, username: key.userName ?? "" },
          accessKeyId: key.accessKeyId,
          generation: key.generation,
          entityId: key.userId,
        }
      : {
          principal: { kind: "root", account: key.accountId, arn: rootArn(key.accountId), userId: key.accountId },
          accessKeyId: key.accessKeyId,
          generation: key.generation,
        };
  }
  checkTime(info, now);
  await verifySignature(raw, body, info, secret);
  return { caller, signature: info };
}
