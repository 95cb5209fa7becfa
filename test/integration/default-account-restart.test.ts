/**
 * The default account is bootstrapped once: its root key (AKIAIOSFODNN7EXAMPLE), deleted by its
 * owner, stays deleted when the sandbox restarts on the same persisted state. Its own sandbox
 * (a temporary persist directory), not the shared one.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../../src/tools/local-config";
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startSandbox, LOCAL_DEFAULTS, type Sandbox } from "../../src/tools/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import type { Creds } from "../helpers/sandbox";

const DEFAULT_KEY: Creds = {
  accessKeyId: LOCAL_DEFAULTS.IAMLAB_ROOT_ACCESS_KEY_ID,
  secretAccessKey: LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY,
};
const clients = (s: Sandbox, credentials: Creds) => ({
  iam: new IAMClient({ endpoint: s.url, region: "us-east-1", credentials, maxAttempts: 1 }),
  sts: new STSClient({ endpoint: s.url, region: "us-east-1", credentials, maxAttempts: 1 }),
});

let dir: string | undefined;
let sandbox: Sandbox | undefined;
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the default account across restarts (persisted state)", () => {
  it("a deleted default root key is not re-created, a deactivated one not re-activated", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "iamlab-restart-"));
    sandbox = await startSandbox({ persistTo: dir, port: 0, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
    const first = clients(sandbox, DEFAULT_KEY);
    expect((await first.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:iam::123456789012:root");
    // A second root key of the owner's own; the documented example key is deactivated, then deleted.
    const k = (await first.iam.send(new CreateAccessKeyCommand({}))).AccessKey!;
    const own: Creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    await first.iam.send(new UpdateAccessKeyCommand({ AccessKeyId: DEFAULT_KEY.accessKeyId, Status: "Inactive" }));
    const restart = async () => {
      await sandbox!.stop();
      sandbox = await startSandbox({ persistTo: dir, port: 0, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
      return clients(sandbox, own);
    };
    const rootKeys = async (c: ReturnType<typeof clients>) =>
      ((await c.iam.send(new ListAccessKeysCommand({}))).AccessKeyMetadata ?? []).map((m) => [m.AccessKeyId, m.Status]).sort();

    let mine = await restart();
    expect(await rootKeys(mine)).toEqual(
      [
        [DEFAULT_KEY.accessKeyId, "Inactive"],
        [own.accessKeyId, "Active"],
      ].sort(),
    );
    await expectAwsError(clients(sandbox, DEFAULT_KEY).sts.send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);

    await mine.iam.send(new DeleteAccessKeyCommand({ AccessKeyId: DEFAULT_KEY.accessKeyId }));
    mine = await restart();
    expect(await rootKeys(mine)).toEqual([[own.accessKeyId, "Active"]]);
    await expectAwsError(clients(sandbox, DEFAULT_KEY).sts.send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  }, 120_000);
});

describe("the default account on a fresh sandbox", () => {
  it("exists for the admin API from the first request (no AWS request needed to bootstrap it)", async () => {
    const fresh = await startSandbox({ persistTo: false, port: 0, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
    try {
      const res = await fetch(`${fresh.url}/_iamlab/accounts/123456789012`, {
        headers: { authorization: `Bearer ${LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { accountId?: string }).accountId).toBe("123456789012");
    } finally {
      await fresh.stop();
    }
  });
});
