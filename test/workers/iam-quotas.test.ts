/**
 * Per-account entity quotas (issue 23): the accounts are filled up to one below the quota with
 * rows seeded directly in D1, then the real action handlers create the last entities — several in
 * parallel, so exactly the ones that fit succeed and the rest get AWS's LimitExceeded.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getTableName } from "drizzle-orm";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { ACCOUNT_QUOTAS, SUMMARY_QUOTAS, type AccountQuota } from "../../src/store/iam-quotas";
import type { ActionContext, RegisteredAction } from "../../src/services/action";
import { handlerContext } from "../../src/services/run-action";
import { AwsError } from "../../src/protocol/errors";
import { CreateRole } from "../../src/services/iam/roles";
import { createPolicyAction } from "../../src/services/iam/policies";
import { getAccountSummaryAction } from "../../src/services/iam/account";
import { mfaActions } from "../../src/services/iam/mfa";
import { instanceProfileActions } from "../../src/services/iam/instance-profiles";
import type { XmlMap } from "../../src/protocol/xml";
import { TRUST, allowDoc } from "../helpers/documents";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const DATE = "2026-11-23T12:00:00Z";
const DOC = allowDoc();

function ctxFor(account: string): ActionContext {
  return {
    env,
    db: getDb(env.DB),
    caller: { principal: { account, arn: `arn:aws:iam::${account}:root` }, accessKeyId: "AKIATEST", generation: 0 },
    request: { requestId: "r", now: T0, sourceIp: "127.0.0.1", region: "us-east-1", userAgent: "test", secureTransport: true },
    waitUntil: () => {},
  } as unknown as ActionContext;
}

/** Inserts `n` rows into the quota's table for the account, in one statement. */
async function seed(account: string, q: AccountQuota, n: number): Promise<void> {
  const N = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)`;
  const sql: Record<string, string> = {
    RolesPerAccount: `INSERT INTO roles (role_id, account_id, role_name, name_lower, path, arn, create_date, assume_role_policy_document)
      ${N} SELECT 'AROASEED' || ?1 || i, ?1, 'seed' || i, 'seed' || i, '/', 'arn:aws:iam::' || ?1 || ':role/seed' || i, '${DATE}', '{}' FROM n`,
    PoliciesPerAccount: `INSERT INTO policies (policy_id, account_id, policy_name, name_lower, path, arn, default_version_id, create_date, update_date)
      ${N} SELECT 'ANPASEED' || ?1 || i, ?1, 'seed' || i, 'seed' || i, '/', 'arn:aws:iam::' || ?1 || ':policy/seed' || i, 'v1', '${DATE}', '${DATE}' FROM n`,
    InstanceProfilesPerAccount: `INSERT INTO instance_profiles (instance_profile_id, account_id, instance_profile_name, name_lower, path, arn, create_date)
      ${N} SELECT 'AIPASEED' || ?1 || i, ?1, 'seed' || i, 'seed' || i, '/', 'arn:aws:iam::' || ?1 || ':instance-profile/seed' || i, '${DATE}' FROM n`,
    VirtualMFADevicesPerAccount: `INSERT INTO mfa_devices (serial_number, account_id, device_name, path, seed, create_date)
      ${N} SELECT 'arn:aws:iam::' || ?1 || ':mfa/seed' || i, ?1, 'seed' || i, '/', 'SEED', '${DATE}' FROM n`,
  };
  await env.DB.prepare(sql[q]!).bind(account, n).run();
}

const byName = (defs: readonly RegisteredAction[], name: string) => defs.find((d) => d.name === name)!;

/** The action's own steps after authorization: load, then the handler. */
async function run(action: RegisteredAction, input: object, ctx: ActionContext): Promise<unknown> {
  return action.handler(input, handlerContext(action, ctx), action.load ? await action.load(input, ctx) : undefined);
}

const CASES: Array<{
  quota: AccountQuota;
  summaryKey?: keyof typeof SUMMARY_QUOTAS;
  action: RegisteredAction;
  input: (k: number) => object;
}> = [
  {
    quota: "RolesPerAccount",
    summaryKey: "RolesQuota",
    action: CreateRole,
    input: (k) => ({ RoleName: `last${k}`, AssumeRolePolicyDocument: TRUST, Tags: [{ Key: "k", Value: "v" }] }),
  },
  {
    quota: "PoliciesPerAccount",
    summaryKey: "PoliciesQuota",
    action: createPolicyAction,
    input: (k) => ({ PolicyName: `last${k}`, PolicyDocument: DOC, Tags: [{ Key: "k", Value: "v" }] }),
  },
  {
    quota: "InstanceProfilesPerAccount",
    summaryKey: "InstanceProfilesQuota",
    action: byName(instanceProfileActions, "CreateInstanceProfile"),
    input: (k) => ({ InstanceProfileName: `last${k}`, Tags: [{ Key: "k", Value: "v" }] }),
  },
  {
    quota: "VirtualMFADevicesPerAccount",
    action: byName(mfaActions, "CreateVirtualMFADevice"),
    input: (k) => ({ VirtualMFADeviceName: `last${k}`, Tags: [{ Key: "k", Value: "v" }] }),
  },
];

describe("per-account quotas (seeded to the limit, enforced by the real handlers)", () => {
  CASES.forEach(({ quota, summaryKey, action, input }, n) => {
    it(`${quota}: parallel creates at the limit leave exactly the quota, the rest get LimitExceeded`, async () => {
      const account = `71000000000${n}`;
      const ctx = ctxFor(account);
      await createAccount(ctx.db, account, null, T0);
      const max = ACCOUNT_QUOTAS[quota].max;
      if (summaryKey) expect(max).toBe(SUMMARY_QUOTAS[summaryKey]);
      await seed(account, quota, max - 3);
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, k) => run(action, input(k), ctx)));
      const ok = results.filter((r) => r.status === "fulfilled");
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as AwsError);
      expect(ok).toHaveLength(3);
      expect(failed).toHaveLength(5);
      for (const e of failed) {
        expect(e).toBeInstanceOf(AwsError);
        expect({ code: e.code, status: e.status, message: e.message }).toEqual({
          code: "LimitExceeded",
          status: 409,
          message: `Cannot exceed quota for ${quota}: ${max}`,
        });
      }
      const table = getTableName(ACCOUNT_QUOTAS[quota].table);
      const count = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE account_id = ?`).bind(account).first<{ n: number }>();
      expect(count?.n).toBe(max);
      // The refused creates left no tags behind (the whole batch rolled back).
      const tags = await env.DB.prepare(`SELECT COUNT(*) AS n FROM tags WHERE account_id = ?`).bind(account).first<{ n: number }>();
      expect(tags?.n).toBe(3);
    });
  });

  it("GetAccountSummary advertises the numbers the stores enforce", async () => {
    const account = "710000000009";
    const ctx = ctxFor(account);
    await createAccount(ctx.db, account, null, T0);
    const out = (await run(getAccountSummaryAction, {}, ctx)) as { SummaryMap: XmlMap };
    const map = new Map(out.SummaryMap.entries);
    for (const [k, v] of Object.entries(SUMMARY_QUOTAS)) expect(map.get(k), k).toBe(v);
    expect(map.get("RolesQuota")).toBe(ACCOUNT_QUOTAS.RolesPerAccount.max);
  });
});
