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
