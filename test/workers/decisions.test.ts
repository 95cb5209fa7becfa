/** Decision explanations kept in D1, so an id resolves in any isolate (the in-isolate ring only holds this isolate's). */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { loadDecision, saveDecision } from "../../src/store/decisions";
import { getDecision, recordDecision } from "../../src/authz/decisions";
import type { ActionContext } from "../../src/services/action";
import type { AuthzRequest, Decision } from "../../src/policy/index";

describe("persisted decisions", () => {
  it("an id decided elsewhere resolves from D1; old rows are pruned", async () => {
    const db = getDb(env.DB);
    const rec = {
      decisionId: "req-1:0abc",
      requestId: "req-1",
      time: "2026-11-23T00:00:00Z",
      accountId: "616161616161",
      decision: "implicitDeny",
    };
    await saveDecision(db, rec.decisionId, rec.accountId, 1_000, JSON.stringify(rec));
    expect(await getDecision(rec.decisionId, db)).toEqual(rec);
    expect(await getDecision("req-404:0", db)).toBeUndefined();
    await saveDecision(db, "req-2:0", rec.accountId, 5_000, "{}", 2_000); // prunes rows older than 2 s
    expect(await loadDecision(db, rec.decisionId)).toBeUndefined();
    expect(await loadDecision(db, "req-2:0")).toBe("{}");
  });

  it("recordDecision writes denials behind the response (waitUntil); allows only when explained", async () => {
    const db = getDb(env.DB);
    const pending: Promise<unknown>[] = [];
    const ctx = {
      db,
      request: { requestId: "req-9", now: Date.now() },
      caller: { principal: { account: "626262626262" } },
      waitUntil: (p: Promise<unknown>) => pending.push(p),
      explain: false,
    } as unknown as ActionContext;
    const request = {
      principal: { kind: "user", account: "626262626262", arn: "arn:aws:iam::626262626262:user/u", userId: "AIDAX" },
      action: "iam:ListUsers",
      resource: "*",
      resourceAccount: "626262626262",
      context: {},
    } as unknown as AuthzRequest;
    const denied = { decision: "implicitDeny", reason: "noAllow", explanation: { policies: [] } } as unknown as Decision;
    const id = recordDecision(ctx, request, denied);
    await Promise.all(pending);
    expect(JSON.parse((await loadDecision(db, id))!)).toMatchObject({
      decisionId: id,
      accountId: "626262626262",
      decision: "implicitDeny",
    });
    const allowedId = recordDecision(ctx, request, { ...denied, decision: "allow" } as Decision);
    await Promise.all(pending);
    expect(await loadDecision(db, allowedId)).toBeUndefined();
  });
});
