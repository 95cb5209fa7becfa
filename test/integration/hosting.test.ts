/**
 * Hosting a class (issue 22): rate limits per account and per access key with each protocol's own
 * throttling answer, the SDKs' retry backing off to success, other accounts unaffected; the admin
 * API for an account's limits; per-source-IP limits for requests without a valid identity and for
 * failed admin attempts; the sandbox-wide caps on accounts and S3 storage; and a "deploy" (no
 * IAMLAB_LOCAL marker) refusing to serve with the documented local secrets.
 *
 * The shared sandbox runs with limits no test reaches (TEST_VARS); throttling is tested here with
 * an account's own low limits, and with two sandboxes of this file's own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations"; // labsorg4
import { accountCreds, adminFetch, createAccount, iam, rawSigned, sts, url, type Creds } from "../helpers/sandbox";
import { codeOf, expectAwsError } from "../helpers/aws-errors";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";
import { TEST_VARS } from "../../src/tools/local-config";
import { LOCAL_DEFAULTS } from "../../src/lib/local-defaults";

const opts = (creds: Creds, endpoint = url()) => ({ endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1 });

async function setLimits(accountId: string, body: unknown): Promise<Response> {
  return adminFetch(`/accounts/${accountId}/limits`, { method: "PUT", body: JSON.stringify(body) });
}

/** An account whose own limit allows `burst` requests and then (practically) none. */
async function nearlyStoppedAccount(burst: number): Promise<{ accountId: string; creds: Creds }> {
  const a = await createAccount();
  const res = await setLimits(a.accountId, { account: { perSecond: 0.001, burst } });
  expect(res.status).toBe(200);
  return { accountId: a.accountId, creds: accountCreds(a) };
}

describe("per-account rate limits", () => {
  it("an account over its limit gets IAM's Throttling (400, Rate exceeded); another account is unaffected", async () => {
    const limited = await nearlyStoppedAccount(3);
    const other = accountCreds(await createAccount());
    for (let i = 0; i < 3; i++) await iam(limited.creds).send(new ListUsersCommand({}));
    await expectAwsError(iam(limited.creds).send(new ListUsersCommand({})), "Throttling", 400, "Rate exceeded");
    await expectAwsError(sts(limited.creds).send(new GetCallerIdentityCommand({})), "Throttling", 400, "Rate exceeded");
    // Meanwhile the other account works as usual, again and again.
    for (let i = 0; i < 20; i++) await iam(other).send(new ListUsersCommand({}));
  });

  it("each protocol answers in its service's words", async () => {
    const { creds } = await nearlyStoppedAccount(1);
    await iam(creds).send(new ListUsersCommand({})); // spends the only token
    await expectAwsError(new S3Client({ ...opts(creds), forcePathStyle: true }).send(new ListBucketsCommand({})), "SlowDown", 503);
    await expectAwsError(new SQSClient(opts(creds)).send(new ListQueuesCommand({})), "RequestThrottled", 403);
    const lambda = await expectAwsError(new LambdaClient(opts(creds)).send(new ListFunctionsCommand({})), "TooManyRequestsException", 429);
    expect((lambda as unknown as { Reason?: string }).Reason).toBe("CallerRateLimitExceeded");
    await expectAwsError(new EC2Client(opts(creds)).send(new DescribeInstancesCommand({})), "RequestLimitExceeded", 503);
    // JSON 1.1 (KMS) and SNS's Query, signed by hand (no SDK client installed for them).
    const kms = await rawSigned(
      {},
      {
        service: "kms",
        creds,
        body: "{}",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.ListKeys" },
      },
    );
    expect(kms.status).toBe(400);
    expect(JSON.parse(kms.text)).toMatchObject({ __type: "ThrottlingException", message: "Rate exceeded" });
    const sns = await rawSigned({ Action: "ListTopics", Version: "2010-03-31" }, { service: "sns", creds });
    expect(sns.status).toBe(400);
    expect(sns.text).toContain("<Code>Throttling</Code>");
  });

  it("the SDK's standard retry mode backs off and succeeds", async () => {
    const a = await createAccount();
    expect((await setLimits(a.accountId, { account: { perSecond: 10, burst: 5 } })).status).toBe(200);
    const creds = accountCreds(a);
    // Without retries a burst of 15 is partly throttled …
    const once = await Promise.allSettled(Array.from({ length: 15 }, () => iam(creds).send(new ListUsersCommand({}))));
    const throttled = once.filter((r) => r.status === "rejected");
    expect(throttled.length).toBeGreaterThan(0);
    for (const r of throttled) expect(codeOf((r as PromiseRejectedResult).reason)).toBe("Throttling");
    await new Promise((r) => setTimeout(r, 600)); // the bucket refills
    // … with them, every call of the same burst succeeds.
    const retrying = new IAMClient({ ...opts(creds), maxAttempts: 10, retryMode: "standard" });
    const all = await Promise.all(Array.from({ length: 15 }, () => retrying.send(new ListUsersCommand({}))));
    expect(all).toHaveLength(15);
  });
});

describe("per-access-key rate limits", () => {
  it("one key over its limit is throttled while another key of the same account works", async () => {
    const a = await createAccount();
    const root = accountCreds(a);
    await iam(root).send(new CreateUserCommand({ UserName: "loop" }));
    await iam(root).send(
      new PutUserPolicyCommand({
        UserName: "loop",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:Get*", Resource: "*" }] }),
      }),
    );
    const k = (await iam(root).send(new CreateAccessKeyCommand({ UserName: "loop" }))).AccessKey!;
    const loop: Creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    expect((await setLimits(a.accountId, { accessKey: { perSecond: 0.001, burst: 2 } })).status).toBe(200);
    await iam(loop).send(new GetUserCommand({}));
    await iam(loop).send(new GetUserCommand({}));
    await expectAwsError(iam(loop).send(new GetUserCommand({})), "Throttling", 400);
    // The root user's key has its own bucket (2 requests left of its own).
    await iam(root).send(new GetUserCommand({ UserName: "loop" }));
  });
});

describe("the admin API for an account's limits", () => {
  it("GET shows the sandbox's and the account's rules; PUT validates; DELETE restores the sandbox's", async () => {
    const a = await createAccount();
    const creds = accountCreds(a);
    const bad = await setLimits(a.accountId, { account: { perSecond: 0, burst: 1 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/perSecond/);
    expect((await setLimits(a.accountId, { everything: "off" })).status).toBe(400);
    expect((await setLimits("999999999911", { account: "off" })).status).toBe(404);

    expect((await setLimits(a.accountId, { account: { perSecond: 0.001, burst: 1 }, accessKey: "off" })).status).toBe(200);
    const got = (await (await adminFetch(`/accounts/${a.accountId}/limits`)).json()) as { account: unknown; sandbox: unknown };
    expect(got.account).toEqual({ account: { perSecond: 0.001, burst: 1 }, accessKey: "off" });
    expect(got.sandbox).toHaveProperty("account");
    await iam(creds).send(new ListUsersCommand({}));
    await expectAwsError(iam(creds).send(new ListUsersCommand({})), "Throttling", 400);
    expect((await adminFetch(`/accounts/${a.accountId}/limits`, { method: "DELETE" })).status).toBe(200);
    await iam(creds).send(new ListUsersCommand({})); // the sandbox's (unreachable) limits again
  });
});

describe("a sandbox with low per-IP limits and small caps", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      port: 0,
      persistTo: false,
      vars: {
        ...TEST_VARS,
        IAMLAB_RATE_LIMITS: JSON.stringify({
          sourceIp: { perSecond: 0.001, burst: 4 },
          adminFailures: { perSecond: 0.001, burst: 3 },
          consoleSignin: { perSecond: 0.001, burst: 3 },
        }),
        IAMLAB_MAX_ACCOUNTS: "3",
        IAMLAB_MAX_ACCOUNT_STORAGE_BYTES: "1000",
        IAMLAB_MAX_QUEUE_MESSAGES: "2",
      },
    });
  });
  afterAll(async () => {
    await sb?.stop();
  });
  const server = () => ({ url: sb.url, vars: sb.vars });

  it("caps S3 storage per account (IAMLAB_MAX_ACCOUNT_STORAGE_BYTES) and the number of accounts (IAMLAB_MAX_ACCOUNTS)", async () => {
    const a = await createAccount({}, server());
    const s3 = new S3Client({ ...opts(accountCreds(a), sb.url), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "capped" }));
    await s3.send(new PutObjectCommand({ Bucket: "capped", Key: "a", Body: "x".repeat(600) }));
    const e = await expectAwsError(
      s3.send(new PutObjectCommand({ Bucket: "capped", Key: "b", Body: "y".repeat(600) })),
      "InvalidRequest",
      400,
    );
    expect(e.message).toMatch(/IAMLAB_MAX_ACCOUNT_STORAGE_BYTES/);
    await s3.send(new PutObjectCommand({ Bucket: "capped", Key: "a", Body: "z".repeat(300) })).catch(() => undefined);

    // A queue holds at most IAMLAB_MAX_QUEUE_MESSAGES messages: SQS's OverLimit (403), room again once one is deleted.
    const sqs = new SQSClient(opts(accountCreds(a), sb.url));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "capped" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "1" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "2" }));
    const full = await expectAwsError(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "3" })), "OverLimit", 403);
    expect(full.message).toMatch(/IAMLAB_MAX_QUEUE_MESSAGES/);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "3" }));

    // The default account (created on the first request) and `a` count: one more fits, then 409.
    await createAccount({}, server());
    const over = await fetch(`${sb.url}/_iamlab/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${sb.vars.IAMLAB_ADMIN_TOKEN}` },
    });
    expect(over.status).toBe(409);
    expect(((await over.json()) as { error: string }).error).toBe("AccountLimitExceeded");
    // labsorg4 (issue 21): a lab refuses before making any account; Organizations' CreateAccount answers AWS's limit reason.
    const lab = await fetch(`${sb.url}/_iamlab/labs`, {
      method: "POST",
      headers: { authorization: `Bearer ${sb.vars.IAMLAB_ADMIN_TOKEN}` },
      body: JSON.stringify({ template: { organization: { accounts: [{ name: "m" }] } } }),
    });
    expect(lab.status).toBe(409);
    expect(((await lab.json()) as { error: string }).error).toBe("AccountLimitExceeded");
    const orgs = new OrganizationsClient(opts(accountCreds(a), sb.url));
    await orgs.send(new CreateOrganizationCommand({}));
    const limit = await expectAwsError(
      orgs.send(new CreateAccountCommand({ AccountName: "m", Email: "m@example.com" })),
      "ConstraintViolationException",
      400,
    );
    expect(limit.message).toMatch(/IAMLAB_MAX_ACCOUNTS/);
  });

  it("failed authentications are limited per source IP and claimed key: a classmate behind the same NAT is unaffected until the IP's ceiling", async () => {
    const unknown: Creds = { accessKeyId: "AKIAIOSFODNN7UNKNOWN", secretAccessKey: "x".repeat(40) };
    for (let i = 0; i < 4; i++)
      await expectAwsError(iam(unknown, "us-east-1", sb.url).send(new ListUsersCommand({})), "InvalidClientTokenId", 403);
    await expectAwsError(iam(unknown, "us-east-1", sb.url).send(new ListUsersCommand({})), "Throttling", 400);
    const root: Creds = {
      accessKeyId: LOCAL_DEFAULTS.IAMLAB_ROOT_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY,
    };
    await iam(root, "us-east-1", sb.url).send(new ListUsersCommand({})); // another key from the same address works
    // Rotating claimed key ids buys no more than the IP's ceiling (10 × the rule: 40 failures here).
    for (let i = 0; i < 36; i++) {
      const rotated: Creds = { accessKeyId: `AKIAIOSFODNN7ROT${String(i).padStart(4, "0")}`, secretAccessKey: "x".repeat(40) };
      await expectAwsError(iam(rotated, "us-east-1", sb.url).send(new ListUsersCommand({})), "InvalidClientTokenId", 403);
    }
    await expectAwsError(iam(root, "us-east-1", sb.url).send(new ListUsersCommand({})), "Throttling", 400);
  });

  it("console sign-in attempts are limited per source IP (name spraying), with the sign-in page's 429", async () => {
    const attempt = async (user: string) => {
      const page = await fetch(`${sb.url}/console/signin`);
      const cookie = (page.headers as unknown as { getSetCookie(): string[] }).getSetCookie()[0]!.split(";")[0]!;
      const csrf = /name="_csrf" value="([^"]*)"/.exec(await page.text())![1]!;
      const res = await fetch(`${sb.url}/console/signin`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, account: "123456789012", username: user, password: "Wrong-Passw0rd!" }).toString(),
      });
      return { status: res.status, text: await res.text() };
    };
    // Three different user names (each name's own lock would allow five each), then the address is out.
    for (const user of ["alice", "bob", "carol"]) expect((await attempt(user)).status).toBe(401);
    const fourth = await attempt("dave");
    expect(fourth.status).toBe(429);
    expect(fourth.text).toContain("Too many sign-in attempts from your network");
  });

  it("failed admin attempts are limited per source IP (429 with Retry-After), the right token included", async () => {
    for (let i = 0; i < 3; i++) expect((await adminFetch("/accounts", {}, "wrong-token", sb.url)).status).toBe(401);
    const locked = await adminFetch("/accounts", {}, "wrong-token", sb.url);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await adminFetch("/accounts", {}, sb.vars.IAMLAB_ADMIN_TOKEN, sb.url)).status).toBe(429);
  });
});

describe("a deploy with the documented local secrets", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    // No IAMLAB_LOCAL marker: the Worker takes itself for a deploy.
    sb = await startSandbox({ port: 0, persistTo: false, vars: { ...TEST_VARS, IAMLAB_LOCAL: "" } });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("refuses to serve anything, saying why", async () => {
    for (const path of ["/_iamlab/health", "/_iamlab/accounts", "/"]) {
      const res = await fetch(`${sb.url}${path}`, { headers: { authorization: `Bearer ${LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN}` } });
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toMatch(/refuses to serve/);
      expect(text).toContain("wrangler secret put IAMLAB_ADMIN_TOKEN");
      expect(text).toContain("wrangler secret put IAMLAB_TOKEN_KEY");
      expect(text).toContain("wrangler secret put IAMLAB_ROOT_SECRET_ACCESS_KEY");
    }
  });
});
