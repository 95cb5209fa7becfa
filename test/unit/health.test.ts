/** The health probe's answer when a dependency fails (src/admin/health.ts; the happy path: test/integration/health-reset.test.ts). */
import { describe, expect, it } from "vitest";
import { health } from "../../src/admin/health";
import type { Env } from "../../src/env";

function fakeEnv(o: { d1?: boolean; sessions?: boolean; consistency?: boolean }): Env {
  const ns = (ok: boolean | undefined) => ({
    idFromName: (n: string) => n,
    get: () => ({ ping: async () => (ok === false ? Promise.reject(new Error("DO down")) : "ok") }),
  });
  return {
    DB: { prepare: () => ({ first: async () => (o.d1 === false ? Promise.reject(new Error("no such table: accounts")) : {}) }) },
    SESSIONS: ns(o.sessions),
    CONSISTENCY: ns(o.consistency),
  } as unknown as Env;
}

describe("GET /_iamlab/health", () => {
  it("200 and ready when D1 and both Durable Objects answer", async () => {
    const res = await health(fakeEnv({}), async () => {});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ready: true, d1: "ok", durableObjects: "ok" });
  });

  it("503 naming the failing dependency", async () => {
    const d1 = await health(fakeEnv({ d1: false }), async () => {});
    expect(d1.status).toBe(503);
    expect(await d1.json()).toMatchObject({ ready: false, d1: "error: no such table: accounts", durableObjects: "ok" });
    const dos = await health(fakeEnv({ consistency: false }), async () => {});
    expect(dos.status).toBe(503);
    expect(await dos.json()).toMatchObject({ ready: false, d1: "ok", durableObjects: "consistency error: DO down" });
  });

  it("503 when the default account cannot be bootstrapped", async () => {
    const env = { ...fakeEnv({}), IAMLAB_ROOT_ACCESS_KEY_ID: "AKIA", IAMLAB_ROOT_SECRET_ACCESS_KEY: "s" } as Env;
    const res = await health(env, () => Promise.reject(new Error("UNIQUE constraint failed")));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, defaultAccount: "error: UNIQUE constraint failed" });
  });
});
