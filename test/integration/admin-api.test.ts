/**
 * The admin API never answers 500 to client input: bodies that are not JSON objects, wrong types,
 * huge bodies, clock moves out of range, and unknown accounts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { adminFetch, createAccount, setClock, sts, url, vars } from "../helpers/sandbox";

let account: string;
beforeAll(async () => {
  account = (await createAccount()).accountId;
});
afterAll(async () => {
  await setClock(0);
});

/** A 12-digit id no account has (checked). */
async function unknownAccountId(): Promise<string> {
  for (;;) {
    const id = `9${String(Math.floor(Math.random() * 1e11)).padStart(11, "0")}`;
    if ((await adminFetch(`/accounts/${id}`)).status === 404) return id;
  }
}

const bodyRoutes = (): { method: string; path: string }[] => [
  { method: "POST", path: "/accounts" },
  { method: "PUT", path: `/accounts/${account}/consistency` },
  { method: "POST", path: `/accounts/${account}/consistency/pause` },
  { method: "POST", path: `/accounts/${account}/service-sessions` },
  { method: "POST", path: "/clock" },
];

describe("admin API bodies", () => {
  it("answers 400 to JSON that is not an object, and to text that is not JSON", async () => {
    for (const r of bodyRoutes())
      for (const body of ["null", "[]", "[1,2]", '"x"', "42", "true", "{", '{"a":', "\u0000"]) {
        const res = await adminFetch(r.path, { method: r.method, body });
        expect({ ...r, body, status: res.status }).toEqual({ ...r, body, status: 400 });
        const err = (await res.json()) as { error: string; message: string };
        expect(err.error).toBe("InvalidRequest");
        expect(err.message).toMatch(/Body must be (JSON|a JSON object)/);
      }
  });

  it("answers 413 to bodies over 64 KiB, with or without a content-length", async () => {
    const big = JSON.stringify({ pad: "x".repeat(70 * 1024) });
    for (const r of bodyRoutes()) {
      const res = await adminFetch(r.path, { method: r.method, body: big });
      expect({ ...r, status: res.status }).toEqual({ ...r, status: 413 });
    }
    // Chunked: no content-length header, the size is counted as it arrives.
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 8) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const res = await fetch(`${url()}/_iamlab/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${vars().IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("answers 400 to members of the wrong type", async () => {
    const cases: [string, string, unknown][] = [
      ["POST", "/accounts", { accountId: 123456789012 }],
      ["POST", "/accounts", { alias: ["lab"] }],
      ["PUT", `/accounts/${account}/consistency`, { mode: "fixed", delayMs: "5" }],
      ["PUT", `/accounts/${account}/consistency`, { mode: 7 }],
      ["POST", `/accounts/${account}/consistency/pause`, { paused: "false" }],
      ["POST", `/accounts/${account}/consistency/pause`, { paused: 0 }],
      ["POST", `/accounts/${account}/service-sessions`, { service: 7, roleName: "r" }],
      ["POST", `/accounts/${account}/service-sessions`, { service: "ec2.amazonaws.com", roleName: "r", durationSeconds: "3600" }],
      ["POST", `/accounts/${account}/service-sessions`, { service: "ec2.amazonaws.com", roleName: "r", sessionName: 5 }],
      ["POST", "/clock", { offsetMs: "1000" }],
      ["POST", "/clock", { setTo: 1000 }],
      ["POST", "/clock", {}],
    ];
    for (const [method, path, body] of cases) {
      const res = await adminFetch(path, { method, body: JSON.stringify(body) });
      expect({ method, path, body, status: res.status }).toEqual({ method, path, body, status: 400 });
    }
  });

  it("still accepts an empty body where one is optional", async () => {
    const pause = await adminFetch(`/accounts/${account}/consistency/pause`, { method: "POST" });
    expect(pause.status).toBe(200);
    expect(await pause.json()).toEqual({ accountId: account, paused: true });
    const resume = await adminFetch(`/accounts/${account}/consistency/pause`, { method: "POST", body: '{"paused":false}' });
    expect(await resume.json()).toEqual({ accountId: account, paused: false });
    const created = await adminFetch("/accounts", { method: "POST" });
    expect(created.status).toBe(201);
  });
});

describe("admin API clock", () => {
  it("refuses offsets beyond ten years either way, and keeps serving", async () => {
    for (const body of [
      { offsetMs: 1e308 },
      { offsetMs: -1e308 },
      { offsetMs: 11 * 366 * 86_400_000 },
      { setTo: "+275760-09-13T00:00:00.000Z" },
      { setTo: "1900-01-01T00:00:00Z" },
      { setTo: "not a date" },
    ]) {
      const res = await adminFetch("/clock", { method: "POST", body: JSON.stringify(body) });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    const clock = await adminFetch("/clock");
    expect(clock.status).toBe(200);
    expect(((await clock.json()) as { offsetMs: number }).offsetMs).toBe(0);
    expect((await sts().send(new GetCallerIdentityCommand({}))).Account).toBe("123456789012");
  });

  it("moves within the range", async () => {
    const inFiveYears = new Date(Date.now() + 5 * 365 * 86_400_000).toISOString();
    const res = await adminFetch("/clock", { method: "POST", body: JSON.stringify({ setTo: inFiveYears }) });
    expect(res.status).toBe(200);
    const { now } = (await res.json()) as { now: string };
    expect(Math.abs(Date.parse(now) - Date.parse(inFiveYears))).toBeLessThan(60_000);
    await setClock(-3 * 365 * 86_400_000);
    await setClock(0);
  });
});

describe("admin API unknown accounts", () => {
  it("answers 404 NoSuchAccount on every account route, and leaves no consistency state behind", async () => {
    const id = await unknownAccountId();
    const routes: [string, string, string?][] = [
      ["GET", `/accounts/${id}`],
      ["GET", `/accounts/${id}/consistency`],
      ["PUT", `/accounts/${id}/consistency`, '{"mode":"fixed","delayMs":60000}'],
      ["POST", `/accounts/${id}/consistency/flush`],
      ["POST", `/accounts/${id}/consistency/pause`, '{"paused":true}'],
      ["POST", `/accounts/${id}/service-sessions`, '{"service":"ec2.amazonaws.com","roleName":"r"}'],
      ["DELETE", `/accounts/${id}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await adminFetch(path, { method, ...(body ? { body } : {}) });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      expect(((await res.json()) as { error: string }).error).toBe("NoSuchAccount");
    }
    // Had pause reached the Durable Object, the account created now would start paused.
    await createAccount({ accountId: id });
    const c = await adminFetch(`/accounts/${id}/consistency`);
    expect(await c.json()).toMatchObject({ accountId: id, mode: "off", paused: false, pendingChanges: [] });
    expect((await adminFetch(`/accounts/${id}`, { method: "DELETE" })).status).toBe(200);
  });
});
