/**
 * CloudTrail trails delivering to S3 (issue 21), with the real @aws-sdk/client-cloudtrail and S3
 * clients: CreateTrail checks the bucket and its policy (evaluated by the engine as
 * cloudtrail.amazonaws.com with aws:SourceArn and s3:x-amz-acl), StartLogging → calls → delivery →
 * gzipped `{"Records":[…]}` log files under AWS's key layout; a broken bucket policy shows as
 * LatestDeliveryError and no new files; StopLogging stops delivery; a bucket of another account.
 */
import { afterAll, describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import {
  AddTagsCommand,
  CloudTrailClient,
  CreateTrailCommand,
  DeleteTrailCommand,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  ListTagsCommand,
  ListTrailsCommand,
  PutEventSelectorsCommand,
  RemoveTagsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from "@aws-sdk/client-cloudtrail";
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateUserCommand, GetUserCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { adminFetch, url, type Creds } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";
import { waitFor } from "../helpers/wait";
import { awsCliAt, hasAwsCli } from "../helpers/aws-cli";
import { existsSync } from "node:fs";
import { TEST_VARS } from "../../src/tools/local-config";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";

const ct = (creds: Creds, region = "us-east-1") => new CloudTrailClient({ endpoint: url(), region, credentials: creds, maxAttempts: 1 });
const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, forcePathStyle: true, maxAttempts: 1 });

/** AWS's documented bucket policy for a trail (CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail"). */
function trailBucketPolicy(bucket: string, account: string, trailName: string, prefix = "", region = "us-east-1"): string {
  const sourceArn = `arn:aws:cloudtrail:${region}:${account}:trail/${trailName}`;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AWSCloudTrailAclCheck20150319",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:GetBucketAcl",
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { StringEquals: { "aws:SourceArn": sourceArn } },
      },
      {
        Sid: "AWSCloudTrailWrite20150319",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ""}AWSLogs/${account}/*`,
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": sourceArn } },
      },
    ],
  });
}

interface Delivered {
  trails: { trail: string; files: string[]; records: number; error?: string }[];
}

async function deliver(account: string): Promise<Delivered> {
  const res = await adminFetch(`/accounts/${account}/cloudtrail/deliver`, { method: "POST" });
  expect(res.status).toBe(200);
  return (await res.json()) as Delivered;
}

async function logFiles(client: S3Client, bucket: string): Promise<string[]> {
  const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith(".json.gz"));
}

async function records(client: S3Client, bucket: string, key: string): Promise<Record<string, unknown>[]> {
  const obj = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await obj.Body!.transformToByteArray();
  return (JSON.parse(gunzipSync(bytes).toString("utf8")) as { Records: Record<string, unknown>[] }).Records;
}

describe("CloudTrail trails", () => {
  it("CreateTrail needs the bucket and AWS's bucket policy; logging delivers gzipped records under AWS's key layout", async () => {
    const a = await withAccount();
    const bucket = `trail-logs-${a.id}`;
    const c = ct(a.creds);
    const b = s3(a.creds);
    await expectAwsError(c.send(new CreateTrailCommand({ Name: "lab", S3BucketName: bucket })), "S3BucketDoesNotExistException", 404);
    await b.send(new CreateBucketCommand({ Bucket: bucket }));
    // No policy: CloudTrail may not write (even in the bucket owner's own account).
    await expectAwsError(
      c.send(new CreateTrailCommand({ Name: "lab", S3BucketName: bucket })),
      "InsufficientS3BucketPolicyException",
      403,
      `Incorrect S3 bucket policy is detected for bucket: ${bucket}`,
    );
    // A policy for another trail's ARN is not enough (aws:SourceArn).
    await b.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, a.id, "other") }));
    await expectAwsError(c.send(new CreateTrailCommand({ Name: "lab", S3BucketName: bucket })), "InsufficientS3BucketPolicyException", 403);
    await b.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, a.id, "lab") }));
    await expectAwsError(c.send(new CreateTrailCommand({ Name: "l", S3BucketName: bucket })), "InvalidTrailNameException", 400);
    await expectAwsError(c.send(new CreateTrailCommand({ Name: "-lab", S3BucketName: bucket })), "InvalidTrailNameException", 400);

    const created = await c.send(
      new CreateTrailCommand({ Name: "lab", S3BucketName: bucket, TagsList: [{ Key: "course", Value: "iam101" }] }),
    );
    expect(created).toMatchObject({
      Name: "lab",
      S3BucketName: bucket,
      IncludeGlobalServiceEvents: true,
      IsMultiRegionTrail: false,
      TrailARN: `arn:aws:cloudtrail:us-east-1:${a.id}:trail/lab`,
      LogFileValidationEnabled: false,
      IsOrganizationTrail: false,
    });
    await expectAwsError(
      c.send(new CreateTrailCommand({ Name: "lab", S3BucketName: bucket })),
      "TrailAlreadyExistsException",
      400,
      `Trail lab already exists for customer: ${a.id}`,
    );
    expect((await c.send(new GetTrailCommand({ Name: "lab" }))).Trail).toMatchObject({
      HomeRegion: "us-east-1",
      HasCustomEventSelectors: false,
    });
    expect((await c.send(new DescribeTrailsCommand({}))).trailList?.map((t) => t.Name)).toEqual(["lab"]);
    expect((await c.send(new ListTrailsCommand({}))).Trails).toEqual([
      { TrailARN: `arn:aws:cloudtrail:us-east-1:${a.id}:trail/lab`, Name: "lab", HomeRegion: "us-east-1" },
    ]);
    expect((await c.send(new GetTrailStatusCommand({ Name: "lab" }))).IsLogging).toBe(false);
    await expectAwsError(
      c.send(new GetTrailCommand({ Name: "nope" })),
      "TrailNotFoundException",
      404,
      `Unknown trail: arn:aws:cloudtrail:us-east-1:${a.id}:trail/nope for the user: ${a.id}`,
    );
    // Tags by ARN.
    const arn = created.TrailARN!;
    await c.send(new AddTagsCommand({ ResourceId: arn, TagsList: [{ Key: "team", Value: "blue" }] }));
    await c.send(new RemoveTagsCommand({ ResourceId: arn, TagsList: [{ Key: "course" }] }));
    expect((await c.send(new ListTagsCommand({ ResourceIdList: [arn] }))).ResourceTagList).toEqual([
      { ResourceId: arn, TagsList: [{ Key: "team", Value: "blue" }] },
    ]);

    // Nothing is delivered before logging starts.
    await a.iam.send(new ListUsersCommand({}));
    expect((await deliver(a.id)).trails).toEqual([]);
    await c.send(new StartLoggingCommand({ Name: "lab" }));
    await a.iam.send(new CreateUserCommand({ UserName: "alice" }));
    await a.iam.send(new GetUserCommand({ UserName: "alice" }));
    const run = await deliver(a.id);
    expect(run.trails).toHaveLength(1);
    expect(run.trails[0]!.error).toBeUndefined();
    const files = await logFiles(b, bucket);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(
      new RegExp(
        `^AWSLogs/${a.id}/CloudTrail/us-east-1/\\d{4}/\\d\\d/\\d\\d/${a.id}_CloudTrail_us-east-1_\\d{8}T\\d{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$`,
      ),
    );
    const recs = await records(b, bucket, files[0]!);
    const names = recs.map((r) => r.eventName);
    expect(names).toEqual(expect.arrayContaining(["StartLogging", "CreateUser", "GetUser"]));
    expect(names).not.toContain("ListUsers"); // before StartLogging
    const createUser = recs.find((r) => r.eventName === "CreateUser")!;
    expect(createUser).toMatchObject({ eventSource: "iam.amazonaws.com", recipientAccountId: a.id, eventType: "AwsApiCall" });
    const status = await c.send(new GetTrailStatusCommand({ Name: "lab" }));
    expect(status.IsLogging).toBe(true);
    expect(status.LatestDeliveryTime).toBeInstanceOf(Date);
    expect(status.LatestDeliveryError).toBeUndefined();
    expect(status.StartLoggingTime).toBeInstanceOf(Date);

    // A second run with nothing new writes no file.
    const before = await logFiles(b, bucket);
    await deliver(a.id);
    const between = await logFiles(b, bucket);
    // (the deliver call's own admin request is not an AWS call: nothing new but GetTrailStatus / ListObjects above)
    expect(between.length).toBeGreaterThanOrEqual(before.length);

    // The learner breaks the bucket policy: the next delivery fails and says why; no new file.
    await b.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    const count = (await logFiles(b, bucket)).length;
    await a.iam.send(new GetUserCommand({ UserName: "alice" }));
    const failed = await deliver(a.id);
    expect(failed.trails[0]!.error).toBe("AccessDenied");
    expect((await c.send(new GetTrailStatusCommand({ Name: "lab" }))).LatestDeliveryError).toBe("AccessDenied");
    expect((await logFiles(b, bucket)).length).toBe(count);
    // Fixed: the waiting events arrive.
    await b.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, a.id, "lab") }));
    const fixed = await deliver(a.id);
    expect(fixed.trails[0]!.error).toBeUndefined();
    expect(fixed.trails[0]!.records).toBeGreaterThan(0);
    expect((await c.send(new GetTrailStatusCommand({ Name: "lab" }))).LatestDeliveryError).toBeUndefined();

    // StopLogging: no more deliveries.
    await c.send(new StopLoggingCommand({ Name: "lab" }));
    const stopped = await c.send(new GetTrailStatusCommand({ Name: "lab" }));
    expect(stopped.IsLogging).toBe(false);
    expect(stopped.StopLoggingTime).toBeInstanceOf(Date);
    // Records carry whole seconds: a call in StopLogging's own second cannot be told apart from it.
    await new Promise((r) => setTimeout(r, 1100));
    await a.iam.send(new CreateUserCommand({ UserName: "after-stop" }));
    // One last delivery takes the events up to StopLogging (StopLogging itself included), not the ones after.
    const last = await deliver(a.id);
    expect(last.trails).toHaveLength(1);
    const lastRecords = (await Promise.all(last.trails[0]!.files.map((f) => records(b, bucket, f)))).flat();
    expect(lastRecords.map((r) => r.eventName)).toContain("StopLogging");
    expect(lastRecords.some((r) => JSON.stringify(r.requestParameters ?? {}).includes("after-stop"))).toBe(false);
    expect((await deliver(a.id)).trails).toEqual([]);

    await c.send(new DeleteTrailCommand({ Name: "lab" }));
    expect((await c.send(new DescribeTrailsCommand({}))).trailList).toEqual([]);
  });

  it("event selectors: data events for one bucket's objects, write-only management events", async () => {
    const a = await withAccount();
    const bucket = `trail-sel-${a.id}`;
    const data = `trail-data-${a.id}`;
    const c = ct(a.creds);
    const b = s3(a.creds);
    await b.send(new CreateBucketCommand({ Bucket: bucket }));
    await b.send(new CreateBucketCommand({ Bucket: data }));
    await b.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, a.id, "sel", "logs") }));
    await c.send(new CreateTrailCommand({ Name: "sel", S3BucketName: bucket, S3KeyPrefix: "logs" }));
    expect((await c.send(new GetEventSelectorsCommand({ TrailName: "sel" }))).EventSelectors).toEqual([
      { ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
    ]);
    await expectAwsError(
      c.send(
        new PutEventSelectorsCommand({ TrailName: "sel", EventSelectors: [{ DataResources: [{ Type: "AWS::Nope", Values: ["x"] }] }] }),
      ),
      "InvalidEventSelectorsException",
      400,
    );
    await c.send(
      new PutEventSelectorsCommand({
        TrailName: "sel",
        EventSelectors: [
          {
            ReadWriteType: "WriteOnly",
            IncludeManagementEvents: true,
            DataResources: [{ Type: "AWS::S3::Object", Values: [`arn:aws:s3:::${data}/`] }],
          },
        ],
      }),
    );
    expect((await c.send(new GetTrailCommand({ Name: "sel" }))).Trail?.HasCustomEventSelectors).toBe(true);
    await c.send(new StartLoggingCommand({ Name: "sel" }));
    await a.iam.send(new CreateUserCommand({ UserName: "bob" }));
    await a.iam.send(new GetUserCommand({ UserName: "bob" })); // read: not selected
    await b.send(new PutObjectCommand({ Bucket: data, Key: "doc.txt", Body: "hello" })); // data event, selected
    const run = await deliver(a.id);
    expect(run.trails[0]!.error).toBeUndefined();
    const files = (await b.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `logs/AWSLogs/${a.id}/CloudTrail/` }))).Contents ?? [];
    expect(files.length).toBe(1);
    const recs = await records(b, bucket, files[0]!.Key!);
    const names = recs.map((r) => `${r.eventSource}:${r.eventName}`);
    expect(names).toContain("iam.amazonaws.com:CreateUser");
    expect(names).toContain("s3.amazonaws.com:PutObject");
    expect(names).not.toContain("iam.amazonaws.com:GetUser");
    const put = recs.find((r) => r.eventName === "PutObject")!;
    expect(put).toMatchObject({ eventCategory: "Data", managementEvent: false });
  });

  it("a trail delivers into another account's bucket when that bucket's policy allows it", async () => {
    const owner = await withAccount();
    const learner = await withAccount();
    const bucket = `central-logs-${owner.id}`;
    const ob = s3(owner.creds);
    await ob.send(new CreateBucketCommand({ Bucket: bucket }));
    const c = ct(learner.creds);
    await expectAwsError(
      c.send(new CreateTrailCommand({ Name: "x-acct", S3BucketName: bucket })),
      "InsufficientS3BucketPolicyException",
      403,
    );
    await ob.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, learner.id, "x-acct") }));
    await c.send(new CreateTrailCommand({ Name: "x-acct", S3BucketName: bucket }));
    await c.send(new StartLoggingCommand({ Name: "x-acct" }));
    await learner.iam.send(new CreateUserCommand({ UserName: "carol" }));
    const run = await deliver(learner.id);
    expect(run.trails[0]!.error).toBeUndefined();
    const files = await logFiles(ob, bucket);
    expect(files.length).toBe(1);
    expect(files[0]!.startsWith(`AWSLogs/${learner.id}/CloudTrail/us-east-1/`)).toBe(true);
    const recs = await records(ob, bucket, files[0]!);
    expect(recs.some((r) => r.eventName === "CreateUser" && r.recipientAccountId === learner.id)).toBe(true);
    // UpdateTrail to a bucket whose policy does not name this trail is refused, and the trail keeps its bucket.
    const other = `other-logs-${owner.id}`;
    await ob.send(new CreateBucketCommand({ Bucket: other }));
    await expectAwsError(
      c.send(new UpdateTrailCommand({ Name: "x-acct", S3BucketName: other })),
      "InsufficientS3BucketPolicyException",
      403,
    );
    expect((await c.send(new GetTrailCommand({ Name: "x-acct" }))).Trail?.S3BucketName).toBe(bucket);
  });

  it("at most five trails per region; a caller without cloudtrail:CreateTrail is denied", async () => {
    const a = await withAccount();
    const bucket = `trail-quota-${a.id}`;
    const b = s3(a.creds);
    await b.send(new CreateBucketCommand({ Bucket: bucket }));
    // One policy for any trail of the account (aws:SourceArn with a wildcard).
    await b.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: trailBucketPolicy(bucket, a.id, "t")
          .replaceAll(`trail/t"`, `trail/*"`)
          .replaceAll("cloudtrail:us-east-1:", "cloudtrail:*:")
          .replaceAll('"StringEquals"', '"StringLike"'),
      }),
    );
    const c = ct(a.creds);
    for (let i = 1; i <= 5; i++) await c.send(new CreateTrailCommand({ Name: `t${i}x`, S3BucketName: bucket }));
    await expectAwsError(
      c.send(new CreateTrailCommand({ Name: "t6x", S3BucketName: bucket })),
      "MaximumNumberOfTrailsExceededException",
      403,
    );
    // Another region has its own five.
    await ct(a.creds, "eu-west-1").send(new CreateTrailCommand({ Name: "t6x", S3BucketName: bucket }));
    await a.iam.send(new CreateUserCommand({ UserName: "nobody" }));
    const { CreateAccessKeyCommand } = await import("@aws-sdk/client-iam");
    const k = (await a.iam.send(new CreateAccessKeyCommand({ UserName: "nobody" }))).AccessKey!;
    await expectAwsError(
      ct({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }).send(
        new CreateTrailCommand({ Name: "denied", S3BucketName: bucket }),
      ),
      "AccessDeniedException",
      403,
    );
  });
});

describe("CloudTrail delivery on its own clock", () => {
  let sandbox: Sandbox | undefined;
  afterAll(async () => sandbox?.stop());

  it("a logging trail's Durable Object alarm delivers without being asked (IAMLAB_TRAIL_DELIVERY_SECONDS)", async () => {
    const vars = { ...TEST_VARS, IAMLAB_TRAIL_DELIVERY_SECONDS: "1" };
    sandbox = await startSandbox({ port: 0, persistTo: false, vars });
    const a = await withAccount({}, { url: sandbox.url, vars });
    const at = sandbox.url;
    const b = new S3Client({ endpoint: at, region: "us-east-1", credentials: a.creds, forcePathStyle: true, maxAttempts: 1 });
    const c = new CloudTrailClient({ endpoint: at, region: "us-east-1", credentials: a.creds, maxAttempts: 1 });
    const bucket = `alarm-logs-${a.id}`;
    await b.send(new CreateBucketCommand({ Bucket: bucket }));
    await b.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, a.id, "tick") }));
    await c.send(new CreateTrailCommand({ Name: "tick", S3BucketName: bucket }));
    await c.send(new StartLoggingCommand({ Name: "tick" }));
    await a.iam.send(new CreateUserCommand({ UserName: "dave" }));
    const files = await waitFor(
      async () => {
        const f = await logFiles(b, bucket);
        return f.length > 0 && f;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "a log file delivered by the alarm" },
    );
    const recs = await records(b, bucket, files[0]!);
    expect(recs.map((r) => r.eventName)).toContain("CreateUser");
    expect((await c.send(new GetTrailStatusCommand({ Name: "tick" }))).LatestDeliveryTime).toBeInstanceOf(Date);
  });
});

describe("aws cloudtrail (CLI v1 and v2)", () => {
  it.skipIf(!hasAwsCli)(
    "create-trail, start-logging, get-trail-status, describe-trails and the refusal without a bucket policy",
    async () => {
      for (const bin of ["aws", "/usr/bin/aws"]) {
        if (!existsSync(bin) && bin !== "aws") continue;
        const a = await withAccount();
        const bucket = `cli-logs-${a.id}`;
        await s3(a.creds).send(new CreateBucketCommand({ Bucket: bucket }));
        const refused = await awsCliAt(bin, a.creds, "cloudtrail", "create-trail", "--name", "cli", "--s3-bucket-name", bucket).then(
          () => "",
          (e: unknown) => String(e),
        );
        expect(refused).toContain("InsufficientS3BucketPolicyException");
        await s3(a.creds).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: trailBucketPolicy(bucket, a.id, "cli") }));
        const made = await awsCliAt<{ TrailARN: string }>(
          bin,
          a.creds,
          "cloudtrail",
          "create-trail",
          "--name",
          "cli",
          "--s3-bucket-name",
          bucket,
        );
        expect(made.TrailARN).toBe(`arn:aws:cloudtrail:us-east-1:${a.id}:trail/cli`);
        await awsCliAt(bin, a.creds, "cloudtrail", "start-logging", "--name", "cli");
        const status = await awsCliAt<{ IsLogging: boolean }>(bin, a.creds, "cloudtrail", "get-trail-status", "--name", "cli");
        expect(status.IsLogging).toBe(true);
        const described = await awsCliAt<{ trailList: { Name: string; HomeRegion: string }[] }>(
          bin,
          a.creds,
          "cloudtrail",
          "describe-trails",
        );
        expect(described.trailList.map((t) => [t.Name, t.HomeRegion])).toEqual([["cli", "us-east-1"]]);
      }
    },
  );
});
