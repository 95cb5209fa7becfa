/**
 * sts:GetSessionToken — needs no permission (AWS: an authentication operation, not controlled by
 * policies). IAM users 900…129,600 s (default 43,200); root at most 3,600 (longer requests get
 * one hour). The credentials act as the user (or root), restricted by sessionApiRestriction().
 */
import { defineAction } from "../action";
import { issueSession } from "../../sessions/issue";
import { requestMfa, requireLongTermCredentials, stsShapes } from "./common";

export const GetSessionToken = defineAction({
  service: "sts",
  name: "GetSessionToken",
  effect: "none",
  input: {
    DurationSeconds: stsShapes.durationSeconds(),
    SerialNumber: stsShapes.serialNumber(),
    TokenCode: stsShapes.tokenCode(),
  },
  async handler(i, ctx) {
    const caller = ctx.caller;
    requireLongTermCredentials(caller, "GetSessionToken");
    const mfa = await requestMfa(ctx, i);
    const isRoot = caller.principal.kind === "root";
    const duration = isRoot ? Math.min(i.DurationSeconds ?? 3600, 3600) : (i.DurationSeconds ?? 43200);
    const now = ctx.request.now;
    const { credentials } = await issueSession(ctx.env, now, {
      account: caller.principal.account,
      kind: "sessionToken",
      principal: caller.principal,
      ...(caller.entityId ? { entityId: caller.entityId } : {}),
      entityKind: isRoot ? "root" : "user",
      issuedAt: now,
      expiresAt: now + duration * 1000,
      mfaAuthenticated: mfa,
      ...(mfa ? { mfaAuthTime: now } : {}),
      chainDepth: 0,
    });
    return { Credentials: credentials };
  },
});
