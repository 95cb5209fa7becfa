/**
 * Shared-sandbox safety (issue 23): an account id created again starts from nothing (tokens bound
 * to the account's incarnation, Durable Objects forgotten), the session-token key never falls back
 * to a root secret, one tenant's flood of denials never evicts another tenant's decisions, and a
 * caller never reads another account's policy text in an explanation.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount, deleteAccount } from "../../src/store/accounts";
import { issueSession, sessionsStub, tokenKey } from "../../src/sessions/issue";
import { resolveSession } from "../../src/sessions/resolver";
import { forgetAccountState } from "../../src/admin/account-lifecycle";
import { decisionForCaller, getDecision, recordDecision, type DecisionRecord } from "../../src/authz/decisions";
import { loadDecision } from "../../src/store/decisions";
import { evaluate, parsePolicy } from "../../src/policy/index";
import type { ActionContext } from "../../src/services/action";
import type { AuthzRequest, Decision } from "../../src/policy/index";
import type { Env } from "../../src/env";
import { afterAdminChange } from "../../src/cache/index";
import { rejects, rootSession } from "../helpers/worker-fixtures";

describe("an account id created again", () => {
  it("does not revive the old account's session tokens, even while its SessionsDO still holds them", async () => {
    const db = getDb(env.DB);
    const account = "710000000001";
    await createAccount(db, account, null, Date.now());
    const now = Date.now();
    const { credentials } = await issueSession(env, now, rootSession(account, now));
    expect((await resolveSession(env, credentials.AccessKeyId, credentials.SessionToken, now)).caller.principal.account).toBe(account);

    // D1 only (the DO is left as it was): the token's incarnation alone must end it. (The cache
    // drop is what the admin route does; another isolate gets there when its TTL ends.)
    expect(await deleteAccount(db, account)).toBe(true);
    afterAdminChange(account);
    await createAccount(db, account, null, Date.now());
    expect(await sessionsStub(env, account).count()).toBe(1);
    const e = await rejects(resolveSession(env, credentials.AccessKeyId, credentials.SessionToken, now));
    expect([e.code, e.status, e.message]).toEqual(["InvalidClientTokenId", 403, "The security token included in the request is invalid."]);

    // A session of the new incarnation works.
    const fresh = await issueSession(env, now, rootSession(account, now));
    expect((await resolveSession(env, fresh.credentials.AccessKeyId, fresh.credentials.SessionToken, now)).caller.principal.account).toBe(
      account,
    );
  });

  it("forgetAccountState empties the SessionsDO (sessions and alarm) and resets the ConsistencyDO (mode, pause, log)", async () => {
    const db = getDb(env.DB);
    const account = "710000000002";
    await createAccount(db, account, null, Date.now());
    const now = Date.now();
    await issueSession(env, now, rootSession(account, now));
    const sessions = env.SESSIONS.get(env.SESSIONS.idFromName(account)); // raw stubs: runInDurableObject needs them
    expect(await sessions.count()).toBe(1);
    expect(await runInDurableObject(sessions, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    const consistency = env.CONSISTENCY.get(env.CONSISTENCY.idFromName(account));
    await consistency.configure({ mode: "fixed", delayMs: 60_000 });
    await consistency.setPaused(true);
    expect(await consistency.getConfig()).toMatchObject({ config: { mode: "fixed" }, paused: true });

    await forgetAccountState(env, account);
    expect(await sessions.count()).toBe(0);
    expect(await runInDurableObject(sessions, (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(await consistency.getConfig()).toEqual({ config: { mode: "off" }, paused: false });
    expect(await consistency.pendingChanges(Date.now())).toEqual([]);
    // Still usable afterwards (the table is created again).
    await issueSession(env, now, rootSession(account, now));
    expect(await sessions.count()).toBe(1);
  });
});

describe("the session-token key", () => {
  it("never falls back to the root secret: without IAMLAB_TOKEN_KEY nothing is issued nor accepted", async () => {
    const db = getDb(env.DB);
    const account = "710000000003";
    await createAccount(db, account, null, Date.now());
    const now = Date.now();
    const issued = await issueSession(env, now, rootSession(account, now));
    const noKey = { ...env, IAMLAB_TOKEN_KEY: undefined } as unknown as Env;
    expect(noKey.IAMLAB_ROOT_SECRET_ACCESS_KEY).toBeTruthy();
    expect(tokenKey(noKey)).toBeUndefined();
    const e = await rejects(issueSession(noKey, now, rootSession(account, now)));
    expect([e.code, e.status]).toEqual(["ServiceFailure", 500]);
    expect((await rejects(resolveSession(noKey, issued.credentials.AccessKeyId, issued.credentials.SessionToken, now))).code).toBe(
      "InvalidClientTokenId",
    );
    // A token signed with the root secret (what the old fallback made) is not accepted by a deploy with a token key.
    const rootKeyed = { ...env, IAMLAB_TOKEN_KEY: env.IAMLAB_ROOT_SECRET_ACCESS_KEY } as unknown as Env;
    const forged = await issueSession(rootKeyed, now, rootSession(account, now));
    expect((await rejects(resolveSession(env, forged.credentials.AccessKeyId, forged.credentials.SessionToken, now))).code).toBe(
      "InvalidClientTokenId",
    );
  });
});

describe("decision explanations per tenant", () => {
  const request = (account: string) =>
    ({
      principal: { kind: "user", account, arn: `arn:aws:iam::${account}:user/u`, userId: "AIDAX" },
      action: "iam:ListUsers",
      resource: "*",
      resourceAccount: account,
      context: {},
    }) as unknown as AuthzRequest;
  const denied = { decision: "implicitDeny", reason: "noIdentityAllow", explanation: { policies: [], steps: [] } } as unknown as Decision;
  function ctxOf(account: string, n: number, pending: Promise<unknown>[]): ActionContext {
    return {
      db: getDb(env.DB),
      request: { requestId: `req-${account}-${n}`, now: Date.now() },
      caller: { principal: { account } },
      waitUntil: (p: Promise<unknown>) => pending.push(p),
      explain: false,
    } as unknown as ActionContext;
  }

  it("a flood of one account's denials neither evicts nor starves another account's", async () => {
    const pending: Promise<unknown>[] = [];
    const quiet = "720000000001";
    const loud = "720000000002";
    const quietIds = Array.from({ length: 5 }, (_, n) => recordDecision(ctxOf(quiet, n, pending), request(quiet), denied));
    const loudIds: string[] = [];
    for (let n = 0; n < 5000; n++) loudIds.push(recordDecision(ctxOf(loud, n, pending), request(loud), denied));
    // The quiet tenant decides again in the middle of the flood: still written to D1.
    const late = recordDecision(ctxOf(quiet, 99, pending), request(quiet), denied);
    await Promise.all(pending);

    for (const id of [...quietIds, late]) {
      expect((await getDecision(id, getDb(env.DB)))?.accountId).toBe(quiet);
      expect(await loadDecision(getDb(env.DB), id)).toBeDefined();
    }
    // The flood kept only its own latest share in the ring and wrote a bounded number of rows.
    expect(await getDecision(loudIds[loudIds.length - 1]!, getDb(env.DB))).toBeDefined();
    expect(await getDecision(loudIds[100]!, getDb(env.DB))).toBeUndefined();
    const written = await env.DB.prepare("SELECT COUNT(*) AS n FROM decisions WHERE account_id = ?").bind(loud).first<{ n: number }>();
    expect(written!.n).toBeLessThanOrEqual(30);
  });

  it("a caller's view of a cross-account denial withholds the other account's trust policy", () => {
    const A = "730000000001";
    const B = "730000000002";
    const roleArn = `arn:aws:iam::${A}:role/partner`;
    const trust = parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "TrustPartnerSecretSid",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${B}:root` },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": "ext-s3cr3t-value" } },
          },
        ],
      }),
      "trust",
    );
    const identity = parsePolicy(
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "MyOwnSid", Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] }),
      "identity",
    );
    if (!trust.ok || !identity.ok) throw new Error("bad policy");
    const req: AuthzRequest = {
      principal: { kind: "user", account: B, arn: `arn:aws:iam::${B}:user/bob`, userId: "AIDABOB" },
      action: "sts:AssumeRole",
      resource: roleArn,
      resourceAccount: A,
      context: { "sts:ExternalId": "a-guess" },
    };
    const d = evaluate(req, {
      identity: [{ id: "user/bob:inline/p", type: "identity", policy: identity.policy }],
      resource: [{ id: roleArn, type: "resource", policy: trust.policy }],
      requireResourceAllow: true,
    });
    expect(d.reason).toBe("noResourceAllow");
    const rec: DecisionRecord = {
      decisionId: "r:1",
      requestId: "r",
      time: "2026-01-01T00:00:00Z",
      accountId: B,
      request: req,
      decision: d.decision,
      reason: d.reason,
      explanation: d.explanation,
    };
    // The full record (admin API) has it; the caller's view does not.
    expect(JSON.stringify(rec)).toContain("ext-s3cr3t-value");
    const view = JSON.stringify(decisionForCaller(rec));
    expect(view).not.toContain("ext-s3cr3t-value");
    expect(view).not.toContain("TrustPartnerSecretSid");
    expect(view).not.toContain('sts:ExternalId","values'); // no condition explanation at all
    expect(view).toContain("MyOwnSid"); // the caller's own policy is shown
    expect(view).toContain(`trust policy of account ${A} does not allow`);
    expect(view).toContain("a-guess"); // the caller's own request context
  });
});
