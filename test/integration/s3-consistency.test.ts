/**
 * Bucket policies follow the owner account's eventual-consistency mode (issue 15): after
 * PutBucketPolicy / DeleteBucketPolicy in a lagging account, the data plane keeps enforcing the
 * previous policy until the change propagates — for the owner's users and for other accounts alike —
 * while GetBucketPolicy (the control plane) answers the new one at once. Driven by the admin API's
 * flush (mode fixed, one hour: nothing propagates unless flushed), never by sleeps.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  DeleteBucketPolicyCommand,
} from "@aws-sdk/client-s3";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, url, type Creds, type NewAccount } from "../helpers/sandbox";
import { codeOf } from "../helpers/aws-errors";
import { keyCreds } from "../helpers/fixtures";

const HOUR = 3_600_000;
let owner: NewAccount;
let ownerRoot: Creds;
let n = 0;

/** An S3 client that keeps the last response's headers (errors included). */
function s3(creds: Creds): S3Client & { lastHeaders: () => Record<string, string> } {
  const c = new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });
  let last: Record<string, string> = {};
  c.middlewareStack.add(
    (next) => async (args) => {
      const r = await next(args);
      last = (r.response as { headers: Record<string, string> }).headers;
      return r;
    },
    { step: "deserialize", priority: "low", name: "keepHeaders" },
  );
  return Object.assign(c, { lastHeaders: () => last });
}

async function setMode(account: string, body: object): Promise<void> {
  const r = await adminFetch(`/accounts/${account}/consistency`, { method: "PUT", body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}
async function flush(account: string): Promise<void> {
  const r = await adminFetch(`/accounts/${account}/consistency/flush`, { method: "POST" });
  expect(r.status).toBe(200);
}
/** "OK" with the body, or the error code. */
async function get(c: S3Client, bucket: string): Promise<string> {
  return c.send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })).then(
    async (r) => `OK ${await r.Body!.transformToString()}`,
    (e: unknown) => codeOf(e) ?? String(e),
  );
}

async function user(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  return keyCreds((await iam(root).send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
}

const grant = (bucket: string, principal: string, effect: "Allow" | "Deny" = "Allow") =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: `${effect}Read`, Effect: effect, Principal: { AWS: principal }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
    ],
  });

/** A bucket of the owner holding data.txt. */
async function bucket(): Promise<string> {
  const b = `ec${Date.now().toString(36)}-${(n++).toString(36)}`;
  await s3(ownerRoot).send(new CreateBucketCommand({ Bucket: b }));
  await s3(ownerRoot).send(new PutObjectCommand({ Bucket: b, Key: "data.txt", Body: "owned" }));
  return b;
}

beforeEach(async () => {
  owner = await createAccount();
  ownerRoot = accountCreds(owner);
});

describe("bucket policies under eventual consistency (mode fixed, one hour)", () => {
  it("a grant by the bucket policy alone: denied until it propagates, GetBucketPolicy shows it at once", async () => {
    const b = await bucket();
    const reader = s3(await user(ownerRoot, "reader"));
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await get(reader, b)).toBe("AccessDenied");
    const policy = grant(b, `arn:aws:iam::${owner.accountId}:user/reader`);
    await s3(ownerRoot).send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy }));
    // Control plane: the new policy at once.
    expect((await s3(ownerRoot).send(new GetBucketPolicyCommand({ Bucket: b }))).Policy).toBe(policy);
    // Data plane: not yet; the response says a change is pending.
    expect(await get(reader, b)).toBe("AccessDenied");
    expect(Number(reader.lastHeaders()["x-iamlab-pending-changes"])).toBeGreaterThan(0);
    await flush(owner.accountId);
    expect(await get(reader, b)).toBe("OK owned");
    expect(reader.lastHeaders()["x-iamlab-pending-changes"]).toBe("0");
  });

  it("removing the grant: still allowed until the removal propagates, then denied", async () => {
    const b = await bucket();
    const reader = s3(await user(ownerRoot, "reader"));
    await s3(ownerRoot).send(new PutBucketPolicyCommand({ Bucket: b, Policy: grant(b, `arn:aws:iam::${owner.accountId}:user/reader`) }));
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await get(reader, b)).toBe("OK owned");
    await s3(ownerRoot).send(new DeleteBucketPolicyCommand({ Bucket: b }));
    await expect(s3(ownerRoot).send(new GetBucketPolicyCommand({ Bucket: b }))).rejects.toMatchObject({ name: "NoSuchBucketPolicy" });
    expect(await get(reader, b)).toBe("OK owned");
    expect(Number(reader.lastHeaders()["x-iamlab-pending-changes"])).toBeGreaterThan(0);
    await flush(owner.accountId);
    expect(await get(reader, b)).toBe("AccessDenied");
  });

  it("changes become visible in order: a grant then a deny, both pending, then both flushed", async () => {
    const b = await bucket();
    const reader = s3(await user(ownerRoot, "reader"));
    const arn = `arn:aws:iam::${owner.accountId}:user/reader`;
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    await flush(owner.accountId); // the user and its key reach the data plane
    await s3(ownerRoot).send(new PutBucketPolicyCommand({ Bucket: b, Policy: grant(b, arn) }));
    await s3(ownerRoot).send(new PutBucketPolicyCommand({ Bucket: b, Policy: grant(b, arn, "Deny") }));
    expect(await get(reader, b)).toBe("AccessDenied"); // the state before both: no policy
    expect(Number(reader.lastHeaders()["x-iamlab-pending-changes"])).toBe(2);
    await flush(owner.accountId);
    expect(await get(reader, b)).toBe("AccessDenied"); // the deny
    // Back to mode off: a change is in force at once.
    await setMode(owner.accountId, { mode: "off" });
    await s3(ownerRoot).send(new PutBucketPolicyCommand({ Bucket: b, Policy: grant(b, arn) }));
    expect(await get(reader, b)).toBe("OK owned");
    expect(reader.lastHeaders()["x-iamlab-pending-changes"]).toBeUndefined();
  });

  it("another account's caller sees the owner's lag (the identity side is already in force)", async () => {
    const other = await createAccount();
    const xreader = s3(
      await user(accountCreds(other), "xreader", {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
      }),
    );
    const b = await bucket();
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    await s3(ownerRoot).send(new PutBucketPolicyCommand({ Bucket: b, Policy: grant(b, other.accountId) }));
    expect(await get(xreader, b)).toBe("AccessDenied");
    expect(await get(xreader, b)).toBe("AccessDenied");
    await flush(owner.accountId);
    expect(await get(xreader, b)).toBe("OK owned");
    // The removal lags the same way for the other account.
    await s3(ownerRoot).send(new DeleteBucketPolicyCommand({ Bucket: b }));
    expect(await get(xreader, b)).toBe("OK owned");
    await flush(owner.accountId);
    expect(await get(xreader, b)).toBe("AccessDenied");
  });
});
