import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signToken, verifyToken, newSessionId } from "../../src/sessions/token";
import { issueSession, sessionsStub } from "../../src/sessions/issue";
import { resolveSession } from "../../src/sessions/resolver";
import { sessionApiRestriction } from "../../src/sessions/restrictions";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { newAccessKeyId } from "../../src/lib/ids";
import type { Caller } from "../../src/auth/caller";
import { rejects, rootSession } from "../helpers/worker-fixtures";

const KEY = "test-key";

describe("session tokens", () => {
  it("round-trips and rejects tampering, another key id and another secret", async () => {
    const claims = { sessionId: newSessionId(), account: "123456789012", expiresAt: 1_900_000_000_123, incarnation: "0123456789abcdef" };
    const ak = newAccessKeyId("123456789012", true);
    const t = await signToken(KEY, ak, claims);
    expect(await verifyToken(KEY, ak, t)).toEqual(claims);
    expect(await verifyToken("other-key", ak, t)).toBeNull();
    expect(await verifyToken(KEY, newAccessKeyId("123456789012", true), t)).toBeNull();
    const bytes = atob(t);
    for (const i of [0, 5, 20, 30, bytes.length - 1]) {
      const flipped = bytes.slice(0, i) + String.fromCharCode(bytes.charCodeAt(i) ^ 1) + bytes.slice(i + 1);
      expect(await verifyToken(KEY, ak, btoa(flipped))).toBeNull();
    }
    expect(await verifyToken(KEY, ak, "not base64!")).toBeNull();
    expect(await verifyToken(KEY, ak, t.slice(0, -4))).toBeNull();
  });
});

describe("SessionsDO", () => {
  it("stores, resolves and revokes sessions; the alarm removes only expired ones", async () => {
    const account = "210987654321";
    await createAccount(getDb(env.DB), account, null, Date.now());
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName(account)); // the raw stub: runInDurableObject needs it
    const now = Date.now();
    // 15 minutes and one hour
    const old = await issueSession(env, now, rootSession(account, now, 900_000));
    const live = await issueSession(env, now, rootSession(account, now, 3_600_000));
    expect(await stub.count()).toBe(2);
    expect((await stub.get(live.record.sessionId))?.accessKeyId).toBe(live.credentials.AccessKeyId);
    // armed for the first expiry
    const armed = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(armed).toBeGreaterThan(now + 899_000);
    expect(armed).toBeLessThan(Date.now() + 901_000);

    // 20 minutes pass (wall clock, as the alarm sees it)
    await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("UPDATE sessions SET gc_at = gc_at - 1200000"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.get(old.record.sessionId)).toBeNull();
    expect(await stub.get(live.record.sessionId)).not.toBeNull();
    // re-armed for the remaining session
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThan(now + 2_500_000);

    expect(await stub.revoke(live.record.sessionId)).toBe(true);
    expect(await stub.count()).toBe(0);
    expect(await stub.revoke(live.record.sessionId)).toBe(false);
  });
});

describe("resolveSession", () => {
  it("authenticates a live session, rejects tampered/expired/unknown/orphaned ones", async () => {
    const db = getDb(env.DB);
    const account = "410987654321";
    await createAccount(db, account, null, Date.now());
    const now = Date.now();
    const { credentials, record } = await issueSession(env, now, rootSession(account, now, 900_000));
    const ok = await resolveSession(env, credentials.AccessKeyId, credentials.SessionToken, now + 1000);
    expect(ok.secret).toBe(credentials.SecretAccessKey);
    expect(ok.caller.principal.arn).toBe(`arn:aws:iam::${account}:root`);
    expect(ok.caller.session).toMatchObject({
      kind: "sessionToken",
      tokenIssueTime: now,
      expiration: now + 900_000,
      sessionId: record.sessionId,
    });
    expect(ok.caller.generation).toBe(0);

    const expired = await rejects(resolveSession(env, credentials.AccessKeyId, credentials.SessionToken, now + 900_000));
    expect([expired.code, expired.status, expired.message]).toEqual([
      "ExpiredToken",
      403,
      "The security token included in the request is expired",
    ]);

    const tampered =
      credentials.SessionToken.slice(0, 10) + (credentials.SessionToken[10] === "A" ? "B" : "A") + credentials.SessionToken.slice(11);
    expect((await rejects(resolveSession(env, credentials.AccessKeyId, tampered, now))).code).toBe("InvalidClientTokenId");
    expect((await rejects(resolveSession(env, newAccessKeyId(account, true), credentials.SessionToken, now))).code).toBe(
      "InvalidClientTokenId",
    );

    // a token re-signed with the (known) token key and a later expiry does not outlive its session
    const claims = (await verifyToken(env.IAMLAB_TOKEN_KEY!, credentials.AccessKeyId, credentials.SessionToken))!;
    const extended = await signToken(env.IAMLAB_TOKEN_KEY!, credentials.AccessKeyId, {
      ...claims,
      expiresAt: claims.expiresAt + 3_600_000,
    });
    expect((await rejects(resolveSession(env, credentials.AccessKeyId, extended, now + 1000))).code).toBe("InvalidClientTokenId");

    // an authentic token whose session the DO no longer knows
    const other = await issueSession(env, now, rootSession(account, now, 900_000));
    await sessionsStub(env, account).revoke(other.record.sessionId);
    expect((await rejects(resolveSession(env, other.credentials.AccessKeyId, other.credentials.SessionToken, now))).code).toBe(
      "InvalidClientTokenId",
    );

    // a role session whose role does not exist (deleted)
    const role = await issueSession(env, now, {
      ...rootSession(account, now, 900_000),
      kind: "assumedRole",
      entityKind: "role",
      entityId: "AROAGONE",
    });
    expect((await rejects(resolveSession(env, role.credentials.AccessKeyId, role.credentials.SessionToken, now))).code).toBe(
      "InvalidClientTokenId",
    );
  });
});

describe("sessionApiRestriction", () => {
  const base: Caller = {
    principal: { kind: "user", account: "123456789012", arn: "arn:aws:iam::123456789012:user/bob", userId: "AIDAEXAMPLE" },
    accessKeyId: "ASIAEXAMPLE",
    generation: 0,
  };
  const withSession = (kind: "assumedRole" | "sessionToken" | "federation", mfa = false): Caller => ({
    ...base,
    session: { kind, tokenIssueTime: 0, expiration: 1, mfaAuthenticated: mfa },
  });
  const r = (c: Caller, svc: string, a: string) => sessionApiRestriction(c, svc, a)?.code ?? null;

  it("lets long-term credentials and role sessions through", () => {
    expect(r(base, "iam", "CreateUser")).toBeNull();
    expect(r(base, "sts", "GetSessionToken")).toBeNull();
    expect(r(withSession("assumedRole"), "iam", "CreateUser")).toBeNull();
    expect(r(withSession("assumedRole"), "sts", "AssumeRole")).toBeNull();
  });
  it("no session may call GetSessionToken / GetFederationToken", () => {
    const e = sessionApiRestriction(withSession("assumedRole"), "sts", "GetSessionToken");
    expect([e?.code, e?.message]).toEqual(["AccessDenied", "Cannot call GetSessionToken with session credentials"]);
    expect(sessionApiRestriction(withSession("sessionToken"), "sts", "GetFederationToken")?.message).toBe(
      "Cannot call GetFederationToken with session credentials",
    );
  });
  it("GetSessionToken credentials: IAM only with MFA, STS only AssumeRole/GetCallerIdentity", () => {
    expect(r(withSession("sessionToken"), "iam", "ListUsers")).toBe("InvalidClientTokenId");
    expect(r(withSession("sessionToken", true), "iam", "ListUsers")).toBeNull();
    expect(r(withSession("sessionToken"), "sts", "AssumeRole")).toBeNull();
    expect(r(withSession("sessionToken"), "sts", "GetCallerIdentity")).toBeNull();
    expect(r(withSession("sessionToken", true), "sts", "GetAccessKeyInfo")).toBe("AccessDenied");
  });
  it("GetFederationToken credentials: no IAM, STS only GetCallerIdentity", () => {
    expect(r(withSession("federation"), "iam", "ListUsers")).toBe("InvalidClientTokenId");
    expect(r(withSession("federation"), "sts", "GetCallerIdentity")).toBeNull();
    expect(r(withSession("federation"), "sts", "AssumeRole")).toBe("AccessDenied");
  });
});
