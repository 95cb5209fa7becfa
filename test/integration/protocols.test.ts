/**
 * Every AWS wire protocol on one endpoint (issue 14), driven by the real v3 clients and the AWS CLI:
 * each codec proven with a real operation of its first service, an AccessDenied in each protocol's
 * own shape (EC2's encoded message decoded by STS), unknown services and bad input answered in the
 * request's protocol, never a 500 and never a Query-shaped error for a JSON or REST client.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { OrganizationsClient, DescribeOrganizationCommand } from "@aws-sdk/client-organizations";
import { S3Client, ListBucketsCommand, PutObjectCommand, GetBucketLifecycleConfigurationCommand } from "@aws-sdk/client-s3";
import { SQSClient, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { EC2Client, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateUserCommand, CreateAccessKeyCommand } from "@aws-sdk/client-iam";
import { DecodeAuthorizationMessageCommand } from "@aws-sdk/client-sts";
import { accountCreds, createAccount, iam, rawSigned, sts, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";

let root: Creds;
let account: string;
let nobody: Creds; // an IAM user without any policy

const opts = (creds: Creds) => ({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });

beforeAll(async () => {
  const a = await createAccount();
  account = a.accountId;
  root = accountCreds(a);
  await iam(root).send(new CreateUserCommand({ UserName: "nobody" }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: "nobody" }));
  nobody = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
});

const denial = (action: string) =>
  new RegExp(`^User: arn:aws:iam::\\d{12}:user/nobody is not authorized to perform: ${action} on resource: \\*`);

describe("JSON 1.1 — Organizations", () => {
  it("DescribeOrganization answers AWSOrganizationsNotInUseException once IAM allows it", async () => {
    const e = await expectAwsError(
      new OrganizationsClient(opts(root)).send(new DescribeOrganizationCommand({})),
      "AWSOrganizationsNotInUseException",
      400,
    );
    expect(e.message).toBe("Your account is not a member of an organization.");
  });

  it("a user without a policy gets AccessDeniedException", async () => {
    await expectAwsError(
      new OrganizationsClient(opts(nobody)).send(new DescribeOrganizationCommand({})),
      "AccessDeniedException",
      403,
      denial("organizations:DescribeOrganization"),
    );
  });
});

describe("JSON 1.0 — SQS", () => {
  it("ListQueues answers no queues", async () => {
    const out = await new SQSClient(opts(root)).send(new ListQueuesCommand({}));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.QueueUrls).toBeUndefined();
  });

  it("a user without a policy is denied in SQS's shape", async () => {
    const e = await new SQSClient(opts(nobody)).send(new ListQueuesCommand({})).then(
      () => {
        throw new Error("expected a denial");
      },
      (x: unknown) => x as { name: string; $metadata: { httpStatusCode: number }; message: string },
    );
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.name).toMatch(/^AccessDenied/);
    expect(e.message).toMatch(denial("sqs:listqueues")); // SQS writes the action in lower case
  });
});

describe("Query form of a JSON service — SQS as older CLIs (Debian's v2 2.9) send it", () => {
  it("ListQueues in the Query form answers Query XML in SQS's namespace", async () => {
    const r = await rawSigned({ Action: "ListQueues", Version: "2012-11-05" }, { service: "sqs", creds: root });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(
      /^<ListQueuesResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><ListQueuesResult><\/ListQueuesResult><ResponseMetadata>/,
    );
  });

  it("a denial and an operation iamlab does not serve keep Query's own words", async () => {
    const denied = await rawSigned({ Action: "ListQueues", Version: "2012-11-05" }, { service: "sqs", creds: nobody });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain("<Code>AccessDenied</Code>");
    const unknown = await rawSigned(
      { Action: "ListDeadLetterSourceQueues", Version: "2012-11-05", QueueUrl: "x" },
      { service: "sqs", creds: root },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("<Code>InvalidAction</Code>");
  });
});

describe("REST-XML — S3", () => {
  const s3 = (creds: Creds) => new S3Client({ ...opts(creds), forcePathStyle: true });

  it("ListBuckets answers the empty list of a new account with the account as owner", async () => {
    const out = await s3(root).send(new ListBucketsCommand({}));
    expect(out.Buckets ?? []).toEqual([]);
    expect(out.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    expect(out.Owner?.DisplayName).toBe(account);
  });

  it("a user without a policy gets S3's AccessDenied (s3:ListAllMyBuckets)", async () => {
    await expectAwsError(s3(nobody).send(new ListBucketsCommand({})), "AccessDenied", 403, denial("s3:ListAllMyBuckets"));
  });

  it("PutObject streams its body in aws-chunked frames (verified) and finds no bucket (test/integration/s3.test.ts has the rest)", async () => {
    await expectAwsError(
      s3(root).send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "a/b c.txt", Body: "hello world" })),
      "NoSuchBucket",
      404,
      "The specified bucket does not exist",
    );
  });

  it("an operation of S3's model that iamlab does not serve yet answers NotImplemented, in S3's shape", async () => {
    await expectAwsError(s3(root).send(new GetBucketLifecycleConfigurationCommand({ Bucket: "b" })), "NotImplemented", 501);
  });

  it("a presigned URL works for S3 too (the path signed once, UNSIGNED-PAYLOAD)", async () => {
    const u = new URL(url());
    const signer = new SignatureV4({
      credentials: root,
      region: "us-east-1",
      service: "s3",
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: false,
    });
    const req = await signer.presign(
      {
        method: "GET",
        protocol: u.protocol,
        hostname: u.hostname,
        port: Number(u.port),
        path: "/",
        // What S3's presigner does: a presigned URL signs UNSIGNED-PAYLOAD (S3 assumes it when the URL names no hash).
        headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
        query: {},
      },
      { expiresIn: 300 },
    );
    const res = await fetch(`${u.origin}/?${new URLSearchParams(req.query as Record<string, string>).toString()}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain("<ListAllMyBucketsResult");
    expect(text).toContain(`<DisplayName>${account}</DisplayName>`);
  });

  it("unsigned requests are anonymous: AccessDenied, as S3 answers (NoSuchBucket first: bucket names are public)", async () => {
    const r = await fetch(`${url()}/`);
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/^<\?xml[^>]*\?>\s*<Error><Code>AccessDenied<\/Code>/);
    const missing = await fetch(`${url()}/some-bucket-${Date.now()}/key`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/<Code>NoSuchBucket<\/Code>/);
  });
});

describe("REST-JSON — Lambda", () => {
  it("ListFunctions answers no functions", async () => {
    const out = await new LambdaClient(opts(root)).send(new ListFunctionsCommand({}));
    expect(out.Functions).toEqual([]);
  });

  it("a user without a policy gets AccessDeniedException", async () => {
    await expectAwsError(
      new LambdaClient(opts(nobody)).send(new ListFunctionsCommand({})),
      "AccessDeniedException",
      403,
      denial("lambda:ListFunctions"),
    );
  });
});

describe("EC2 Query — EC2", () => {
  it("DescribeInstances answers no reservations", async () => {
    const out = await new EC2Client(opts(root)).send(new DescribeInstancesCommand({ InstanceIds: [] }));
    expect(out.Reservations ?? []).toEqual([]);
  });

  it("a denial is UnauthorizedOperation with an encoded message that sts:DecodeAuthorizationMessage decodes", async () => {
    const e = await expectAwsError(new EC2Client(opts(nobody)).send(new DescribeInstancesCommand({})), "UnauthorizedOperation", 403);
    const encoded = /Encoded authorization failure message: (\S+)$/.exec(e.message)?.[1];
    expect(encoded).toBeTruthy();
    const decoded = await sts(root).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded }));
    const doc = JSON.parse(decoded.DecodedMessage!) as { allowed: boolean; context: { action: string } };
    expect(doc.allowed).toBe(false);
    expect(doc.context.action).toBe("ec2:DescribeInstances");
  });
});

describe("unknown services and bad input, each in its protocol's shape", () => {
  it("a signed JSON request for a service iamlab does not serve gets a JSON UnknownOperationException", async () => {
    const r = await rawSigned(
      {},
      {
        service: "dynamodb",
        creds: root,
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables" },
        body: "{}",
      },
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ __type: "UnknownOperationException" });
  });

  it("malformed JSON, an unknown target, and a wrong content type get JSON errors, never 500", async () => {
    const sqs = (headers: Record<string, string>, body: string) => rawSigned({}, { service: "sqs", creds: root, headers, body });
    const malformed = await sqs({ "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" }, "{");
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text).__type).toBe("SerializationException");
    const unknown = await sqs({ "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.NoSuchThing" }, "{}");
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).__type).toBe("UnknownOperationException");
    const wrongType = await sqs({ "content-type": "text/plain", "x-amz-target": "AmazonSQS.ListQueues" }, "{}");
    expect(wrongType.status).toBeLessThan(500);
    expect(() => JSON.parse(wrongType.text)).not.toThrow();
  });

  it("EC2 without an Action and with an unknown one gets EC2's error envelope", async () => {
    const missing = await rawSigned({ Version: "2016-11-15" }, { service: "ec2", creds: root });
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/<Response><Errors><Error><Code>MissingParameter<\/Code>/);
    const unknown = await rawSigned({ Action: "LaunchRockets", Version: "2016-11-15" }, { service: "ec2", creds: root });
    expect(unknown.text).toMatch(/<Code>InvalidAction<\/Code>/);
  });

  it("a Lambda path that names no operation gets REST-JSON's error, an oversized header no 500", async () => {
    const r = await rawSigned({}, { service: "lambda", creds: root, headers: { "content-type": "application/json" }, body: "" });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    const big = await fetch(`${url()}/2015-03-31/functions/`, { headers: { "x-junk": "x".repeat(60_000) } });
    expect(big.status).toBeLessThan(500);
  });

  it("IAM and STS still answer in Query XML on the same endpoint", async () => {
    const r = await rawSigned({ Action: "GetCallerIdentity", Version: "2011-06-15" }, { creds: root });
    expect(r.status).toBe(200);
    expect(r.text).toContain(`<Account>${account}</Account>`);
  });
});

/** The AWS CLIs here: the one on PATH (v1 here) and Debian's v2 at /usr/bin/aws when installed — each version once. */
async function installedClis(): Promise<{ bin: string; version: string }[]> {
  const out: { bin: string; version: string }[] = [];
  for (const bin of ["aws", "/usr/bin/aws"]) {
    const v = await promisify(execFile)(bin, ["--version"]).then(
      (r) => (r.stdout || r.stderr).trim().split(" ")[0] ?? "",
      () => "",
    );
    if (v && !out.some((c) => c.version === v)) out.push({ bin, version: v });
  }
  return out;
}
const clis = await installedClis();

describe.skipIf(clis.length === 0).each(clis)("the AWS CLI ($version) speaks every protocol", ({ bin }) => {
  const aws = async (creds: Creds, ...args: string[]) => {
    const r = await promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json", "--region", "us-east-1"], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_PAGER: "",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    }).then(
      (x) => ({ code: 0, stdout: x.stdout, stderr: "" }),
      (x: { code: number; stdout: string; stderr: string }) => x,
    );
    return r;
  };

  it("s3api, sqs, lambda, ec2, organizations: answers and denials", async () => {
    expect(JSON.parse((await aws(root, "s3api", "list-buckets")).stdout).Owner.DisplayName).toBe(account);
    expect((await aws(root, "sqs", "list-queues")).code).toBe(0);
    expect(JSON.parse((await aws(root, "lambda", "list-functions")).stdout).Functions).toEqual([]);
    expect(JSON.parse((await aws(root, "ec2", "describe-instances")).stdout).Reservations).toEqual([]);
    const org = await aws(root, "organizations", "describe-organization");
    expect(org.stderr).toMatch(/AWSOrganizationsNotInUseException/);
    const denied = await aws(nobody, "ec2", "describe-instances");
    expect(denied.stderr).toMatch(/UnauthorizedOperation/);
    const deniedS3 = await aws(nobody, "s3api", "list-buckets");
    expect(deniedS3.stderr).toMatch(/AccessDenied/);
    const put = await aws(root, "s3api", "put-object", "--bucket", "no-such-bucket", "--key", "k", "--body", "package.json");
    expect(put.stderr).toMatch(/NoSuchBucket/);
  }, 60_000);
});
