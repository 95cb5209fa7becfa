/**
 * Template extras (issue 21): access-key status — one entry per key with Active/Inactive — applied,
 * enforced (an Inactive key is refused), idempotent on re-apply, changed in place by converge, and
 * round-tripped through export.
 */
import { describe, expect, it } from "vitest";
import { ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { adminFetch, sts } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";

interface Applied {
  changes: { created: string[]; updated: string[]; deleted: string[] };
  users: Record<string, { accessKeys?: { accessKeyId: string; secretAccessKey: string }[] }>;
}

const put = async (id: string, template: unknown): Promise<Applied> => {
  const r = await adminFetch(`/accounts/${id}/lab`, { method: "PUT", body: JSON.stringify({ template }) });
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return JSON.parse(text) as Applied;
};
const generation = async (id: string) => ((await (await adminFetch(`/accounts/${id}`)).json()) as { generation: number }).generation;

describe("access-key status in templates", () => {
  it("applies Active/Inactive per key, enforces it, re-applies as a no-op, converges a change and round-trips export", async () => {
    const a = await withAccount();
    const template = { users: [{ name: "kim", accessKeys: [{ status: "Active" }, { status: "Inactive" }] }] };
    const first = await put(a.id, template);
    const keys = first.users.kim!.accessKeys!;
    expect(keys).toHaveLength(2);
    const listed = (await a.iam.send(new ListAccessKeysCommand({ UserName: "kim" }))).AccessKeyMetadata!;
    const status = new Map(listed.map((k) => [k.AccessKeyId, k.Status]));
    expect(keys.map((k) => status.get(k.accessKeyId))).toEqual(["Active", "Inactive"]);

    const creds = (i: number) => ({ accessKeyId: keys[i]!.accessKeyId, secretAccessKey: keys[i]!.secretAccessKey });
    expect((await sts(creds(0)).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${a.id}:user/kim`);
    await expectAwsError(sts(creds(1)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);

    // Re-apply: nothing written.
    const g = await generation(a.id);
    const again = await put(a.id, template);
    expect(again.users).toEqual({});
    expect(await generation(a.id)).toBe(g);

    // Export: the statuses come back in the same order.
    const exported = (await (await adminFetch(`/accounts/${a.id}/lab/export`)).json()) as { users: unknown[] };
    expect(exported.users).toEqual([{ name: "kim", accessKeys: [{ status: "Active" }, { status: "Inactive" }] }]);

    // Converge: the second key is activated in place (same id), no new secret.
    const flipped = await put(a.id, { users: [{ name: "kim", accessKeys: 2 }] });
    expect(flipped.users).toEqual({});
    const after = (await a.iam.send(new ListAccessKeysCommand({ UserName: "kim" }))).AccessKeyMetadata!;
    expect(after.map((k) => k.Status)).toEqual(["Active", "Active"]);
    expect((await sts(creds(1)).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${a.id}:user/kim`);
    const exported2 = (await (await adminFetch(`/accounts/${a.id}/lab/export`)).json()) as { users: unknown[] };
    expect(exported2.users).toEqual([{ name: "kim", accessKeys: 2 }]);
  });

  it("rejects a bad status with its pointer", async () => {
    const a = await withAccount();
    const r = await adminFetch(`/accounts/${a.id}/lab`, {
      method: "PUT",
      body: JSON.stringify({ template: { users: [{ name: "kim", accessKeys: [{ status: "Disabled" }, {}, {}] }] } }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { errors: unknown[] }).errors).toEqual([
      { path: "/users/0/accessKeys", message: "At most 2 items." },
      { path: "/users/0/accessKeys/0/status", message: 'Must be "Active" or "Inactive".' },
    ]);
  });
});

describe("several MFA devices per user in templates", () => {
  it("makes each device with its seed, each usable; converges down; round-trips export; refuses more than 8", async () => {
    const { ListMFADevicesCommand } = await import("@aws-sdk/client-iam");
    const { hotp, timeStep } = await import("../../src/lib/totp");
    const { GetSessionTokenCommand } = await import("@aws-sdk/client-sts");
    const a = await withAccount();
    const first = (await put(a.id, { users: [{ name: "mo", accessKeys: 1, mfa: 3 }] })) as Applied & {
      users: Record<string, { mfa?: { serialNumber: string; seed: string }; mfaDevices?: { serialNumber: string; seed: string }[] }>;
    };
    const devices = first.users.mo!.mfaDevices!;
    expect(devices.map((d) => d.serialNumber)).toEqual([
      `arn:aws:iam::${a.id}:mfa/mo`,
      `arn:aws:iam::${a.id}:mfa/mo-2`,
      `arn:aws:iam::${a.id}:mfa/mo-3`,
    ]);
    expect(first.users.mo!.mfa).toEqual(devices[0]);
    const listed = await a.iam.send(new ListMFADevicesCommand({ UserName: "mo" }));
    expect((listed.MFADevices ?? []).map((d) => d.SerialNumber).sort()).toEqual(devices.map((d) => d.serialNumber).sort());
    // The third device's seed works for GetSessionToken (each device is the user's own).
    const key = first.users.mo!.accessKeys![0]!;
    const third = devices[2]!;
    const code = await hotp(third.seed, timeStep(Date.now()));
    const session = await sts({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }).send(
      new GetSessionTokenCommand({ SerialNumber: third.serialNumber, TokenCode: code }),
    );
    expect(session.Credentials?.SessionToken).toBeTruthy();
    const exported = (await (await adminFetch(`/accounts/${a.id}/lab/export`)).json()) as { users: { name: string; mfa?: unknown }[] };
    expect(exported.users.find((u) => u.name === "mo")!.mfa).toBe(3);
    // Down to one: the later devices go, the first (and its seed) stays.
    const down = await put(a.id, { users: [{ name: "mo", accessKeys: 1, mfa: true }] });
    expect(down.users.mo).toBeUndefined();
    const left = await a.iam.send(new ListMFADevicesCommand({ UserName: "mo" }));
    expect((left.MFADevices ?? []).map((d) => d.SerialNumber)).toEqual([`arn:aws:iam::${a.id}:mfa/mo`]);
    const bad = await adminFetch(`/accounts/${a.id}/lab`, {
      method: "PUT",
      body: JSON.stringify({ template: { users: [{ name: "mo", mfa: 9 }] } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("/users/0/mfa");
  });
});
