/**
 * SQS's warm path (issue 17): a warm SendMessage or ReceiveMessage reads no D1 — the queue row comes
 * from the isolate's cache of data-plane rows (src/services/data-rows.ts) — and makes one call to the
 * queue's Durable Object. The cache stays correct in this isolate across SetQueueAttributes,
 * DeleteQueue + CreateQueue of the same name; and a queue deleted behind this isolate's back (another
 * isolate, within the TTL) answers QueueDoesNotExist through its Durable Object's tombstone instead of
 * taking messages into a queue that is gone. KMS's Encrypt reads no D1 warm either.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { ALL_ACTIONS } from "../../src/services/registry";
import { runAction } from "../../src/services/run-action";
import type { ActionContext } from "../../src/services/action";
import type { Caller } from "../../src/auth/caller";
import type { XmlValue } from "../../src/protocol/xml";
import type { AwsError } from "../../src/protocol/errors";

const NOW = Date.now();

/** A D1 binding that counts the statements prepared through it. */
function countingD1(): { d1: D1Database; count: () => number } {
  let n = 0;
  const d1 = new Proxy(env.DB, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (prop === "prepare" || prop === "exec") n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { d1, count: () => n };
}

const byKey = new Map(ALL_ACTIONS.map((a) => [`${a.service}:${a.name}`, a]));

function ctxFor(account: string, d1: D1Database): ActionContext {
  const caller: Caller = {
    principal: { kind: "root", account, arn: `arn:aws:iam::${account}:root`, userId: account },
    accessKeyId: "AKIATEST",
    generation: 0,
  };
  return {
    // A long TTL: nothing expires while the test runs.
    env: { ...env, IAMLAB_AUTH_CACHE_MS: "600000" },
    db: getDb(d1),
    caller,
    request: { requestId: "warm", now: NOW, sourceIp: "127.0.0.1", region: "us-east-1", userAgent: "test", secureTransport: true },
    waitUntil: () => {},
  };
}

async function run(ctx: ActionContext, key: string, input: object): Promise<Record<string, XmlValue>> {
  const def = byKey.get(key);
  if (!def) throw new Error(`no action ${key}`);
  return ((await runAction(def, input, ctx, (v) => v)) ?? {}) as Record<string, XmlValue>;
}

async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "OK",
    (e: unknown) => (e as AwsError).code,
  );
}

describe("SQS warm path", () => {
  it("a warm SendMessage and ReceiveMessage read no D1", async () => {
    const account = "830000000001";
    await createAccount(getDb(env.DB), account, null, NOW);
    const { d1, count } = countingD1();
    const ctx = ctxFor(account, d1);
    const url = (await run(ctx, "sqs:CreateQueue", { QueueName: "warm" })).QueueUrl as string;
    await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "one" });
    await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url, VisibilityTimeout: 0 });
    const before = count();
    for (let i = 0; i < 3; i++) {
      await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: `m${i}` });
      await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url, VisibilityTimeout: 0 });
    }
    expect(count() - before).toBe(0);
  });

  it("SetQueueAttributes is seen at once by the next receive (the row cache drops the queue's row)", async () => {
    const account = "830000000002";
    await createAccount(getDb(env.DB), account, null, NOW);
    const ctx = ctxFor(account, env.DB);
    const url = (await run(ctx, "sqs:CreateQueue", { QueueName: "vis", Attributes: { VisibilityTimeout: "300" } })).QueueUrl as string;
    await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "a" });
    const first = (await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url })).Messages as unknown[];
    expect(first).toHaveLength(1);
    // Hidden for 300 s: nothing to receive.
    expect((await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url })).Messages).toBeUndefined();
    await run(ctx, "sqs:SetQueueAttributes", { QueueUrl: url, Attributes: { VisibilityTimeout: "0" } });
    await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "b" });
    // Visibility 0 now: the same message comes back on every receive.
    const b1 = (await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url })).Messages as { Body: string }[];
    const b2 = (await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url })).Messages as { Body: string }[];
    expect(b1.map((m) => m.Body)).toEqual(["b"]);
    expect(b2.map((m) => m.Body)).toEqual(["b"]);
  });

  it("DeleteQueue, then CreateQueue of the same name: sends land in the new queue, none in between", async () => {
    const account = "830000000003";
    await createAccount(getDb(env.DB), account, null, NOW);
    const ctx = ctxFor(account, env.DB);
    const url = (await run(ctx, "sqs:CreateQueue", { QueueName: "again" })).QueueUrl as string;
    await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "old" });
    await run(ctx, "sqs:DeleteQueue", { QueueUrl: url });
    expect(await failure(run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "lost" }))).toBe("QueueDoesNotExist");
    expect(await run(ctx, "sqs:CreateQueue", { QueueName: "again" })).toEqual({ QueueUrl: url });
    await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "new" });
    const got = (await run(ctx, "sqs:ReceiveMessage", { QueueUrl: url, MaxNumberOfMessages: 10 })).Messages as { Body: string }[];
    expect(got.map((m) => m.Body)).toEqual(["new"]);
  });

  it("a queue deleted behind this isolate's back: QueueDoesNotExist from the tombstone, then from D1", async () => {
    const account = "830000000004";
    await createAccount(getDb(env.DB), account, null, NOW);
    const ctx = ctxFor(account, env.DB);
    const url = (await run(ctx, "sqs:CreateQueue", { QueueName: "ghost" })).QueueUrl as string;
    await run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "cached" });
    // Another isolate deletes it: the row and the messages go, this isolate's cache is not told.
    const row = await env.DB.prepare("SELECT queue_id FROM sqs_queues WHERE account_id = ? AND name = 'ghost'")
      .bind(account)
      .first<{ queue_id: string }>();
    await env.DB.prepare("DELETE FROM sqs_queues WHERE account_id = ? AND name = 'ghost'").bind(account).run();
    await env.SQS_QUEUES.get(env.SQS_QUEUES.idFromName(row!.queue_id)).forget();
    expect(await failure(run(ctx, "sqs:SendMessage", { QueueUrl: url, MessageBody: "late" }))).toBe("QueueDoesNotExist");
    expect(await failure(run(ctx, "sqs:ReceiveMessage", { QueueUrl: url }))).toBe("QueueDoesNotExist");
  });
});

describe("KMS warm path", () => {
  it("a warm Encrypt reads no D1; a DisableKey in this isolate is seen at once", async () => {
    const account = "830000000005";
    await createAccount(getDb(env.DB), account, null, NOW);
    const { d1, count } = countingD1();
    const ctx = ctxFor(account, d1);
    const keyId = ((await run(ctx, "kms:CreateKey", {})).KeyMetadata as Record<string, string>).KeyId!;
    const plaintext = new Uint8Array(1024).fill(7);
    await run(ctx, "kms:Encrypt", { KeyId: keyId, Plaintext: plaintext });
    const before = count();
    for (let i = 0; i < 3; i++) await run(ctx, "kms:Encrypt", { KeyId: keyId, Plaintext: plaintext });
    expect(count() - before).toBe(0);
    await run(ctx, "kms:DisableKey", { KeyId: keyId });
    expect(await failure(run(ctx, "kms:Encrypt", { KeyId: keyId, Plaintext: plaintext }))).toBe("DisabledException");
  });
});
