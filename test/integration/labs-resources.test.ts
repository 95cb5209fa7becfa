/**
 * Service resources in lab templates (issue 21): a template with a bucket (policy, public access
 * block, a seed object), queues (policy), a topic subscribed to a queue, a KMS key found by alias and
 * an ECR repository, applied to two learners; the learners' real SDK clients see them and their
 * resource policies are enforced; re-applying writes nothing; export round-trips; a reset restores
 * what a learner changed; bad templates are refused with pointers before anything is applied.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import KMS from "aws-sdk/clients/kms";
import ECR from "aws-sdk/clients/ecr";
import SNS from "aws-sdk/clients/sns";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { adminFetch, url, type Creds } from "../helpers/sandbox";
import { codeOf } from "../helpers/aws-errors";

const post = (path: string, body: unknown) => adminFetch(path, { method: "POST", body: JSON.stringify(body) });
const put = (path: string, body: unknown) => adminFetch(path, { method: "PUT", body: JSON.stringify(body) });
const opts = (c: Creds) => ({ endpoint: url(), region: "us-east-1", credentials: c, maxAttempts: 1 });

const readerDoc = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Reader",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::${account}:user/reader" },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::data-${account}/*",
    },
  ],
};
const TEMPLATE = {
  users: [
    { name: "reader", accessKeys: 1 },
    { name: "outsider", accessKeys: 1 },
  ],
  roles: [
    {
      name: "fn",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      },
      inlinePolicies: {
        read: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::data-${account}/*" }],
        },
      },
    },
    {
      name: "app",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      },
    },
  ],
  instanceProfiles: [{ name: "app", role: "app" }],
  functions: [
    {
      name: "reporter",
      role: "fn",
      program: [{ service: "s3", action: "GetObject", params: { Bucket: "data-${account}", Key: "hello.txt" } }],
      permissions: [{ sid: "FromS3", principal: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::data-${account}" }],
    },
  ],
  instances: [{ name: "web", instanceProfile: "app", tags: { team: "blue" } }],
  buckets: [
    {
      name: "data-${account}",
      policy: readerDoc,
      publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      objects: [{ key: "hello.txt", body: "hello learner" }],
      tags: { course: "iam101" },
    },
  ],
  queues: [
    {
      name: "jobs",
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: "arn:aws:sqs:us-east-1:${account}:jobs",
            Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:sns:us-east-1:${account}:alerts" } },
          },
          {
            Sid: "ReaderSends",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::${account}:user/reader" },
            Action: "sqs:SendMessage",
            Resource: "arn:aws:sqs:us-east-1:${account}:jobs",
          },
        ],
      },
    },
  ],
  topics: [{ name: "alerts", subscriptions: [{ queue: "jobs", rawMessageDelivery: true }], tags: { team: "ops" } }],
  keys: [{ alias: "lab/data", description: "the lab's key", tags: { data: "pii" } }],
  checks: [
    { id: "reader-reads", can: { principal: "reader", action: "s3:GetObject", resource: "arn:aws:s3:::data-${account}/hello.txt" } },
    {
      id: "outsider-cannot",
      cannot: { principal: "outsider", action: "s3:GetObject", resource: "arn:aws:s3:::data-${account}/hello.txt" },
    },
    { id: "reader-sends", can: { principal: "reader", action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:${account}:jobs" } },
    { id: "outsider-sends", can: { principal: "outsider", action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:${account}:jobs" } },
  ],
  repositories: [
    {
      name: "team/app",
      policy: {
        Version: "2012-10-17",
        Statement: [{ Sid: "Pull", Effect: "Allow", Principal: { AWS: "arn:aws:iam::${account}:root" }, Action: "ecr:BatchGetImage" }],
      },
    },
  ],
};

interface Learner {
  accountId: string;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  users: Record<string, { accessKeys?: { accessKeyId: string; secretAccessKey: string }[] }>;
}
let learners: Learner[];
const root = (l: Learner): Creds => ({ accessKeyId: l.rootAccessKeyId, secretAccessKey: l.rootSecretAccessKey });
const userKey = (l: Learner, name: string): Creds => l.users[name]!.accessKeys![0]!;

beforeAll(async () => {
  const r = await post("/labs", { template: TEMPLATE, learners: 2 });
  if (r.status !== 201) throw new Error(`POST /labs: ${r.status} ${await r.text()}`);
  learners = ((await r.json()) as { learners: Learner[] }).learners;
}, 60_000);

describe("resources in a lab template", () => {
  it("creates each learner's resources, seen by the real clients, with their policies enforced", async () => {
    for (const l of learners) {
      const bucket = `data-${l.accountId}`;
      const s3 = (c: Creds) => new S3Client({ ...opts(c), forcePathStyle: true });
      const policy = JSON.parse((await s3(root(l)).send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!);
      expect(policy.Statement[0].Principal.AWS).toBe(`arn:aws:iam::${l.accountId}:user/reader`);
      // The reader has no identity policy: the bucket policy alone lets it read; the outsider is refused.
      const body = await (
        await s3(userKey(l, "reader")).send(new GetObjectCommand({ Bucket: bucket, Key: "hello.txt" }))
      ).Body!.transformToString();
      expect(body).toBe("hello learner");
      expect(
        codeOf(
          await s3(userKey(l, "outsider"))
            .send(new GetObjectCommand({ Bucket: bucket, Key: "hello.txt" }))
            .catch((e) => e),
        ),
      ).toBe("AccessDenied");
      const sqs = new SQSClient(opts(root(l)));
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "jobs" }));
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Policy"] }));
      expect(attrs.Attributes?.Policy).toContain(`arn:aws:sns:us-east-1:${l.accountId}:alerts`);
      // KMS and ECR through the v2 SDK (the v3 clients are not installed here).
      const v2 = { endpoint: url(), region: "us-east-1", credentials: root(l), maxRetries: 0 };
      const kms = new KMS(v2);
      const key = await kms.describeKey({ KeyId: "alias/lab/data" }).promise();
      expect(key.KeyMetadata?.Description).toBe("the lab's key");
      expect((await kms.getKeyPolicy({ KeyId: key.KeyMetadata!.KeyId, PolicyName: "default" }).promise()).Policy).toContain(
        `arn:aws:iam::${l.accountId}:root`,
      );
      const ecr = new ECR(v2);
      expect((await ecr.getRepositoryPolicy({ repositoryName: "team/app" }).promise()).policyText).toContain("ecr:BatchGetImage");
    }
    for (const l of learners) {
      const described = await new EC2Client(opts(root(l))).send(
        new DescribeInstancesCommand({ Filters: [{ Name: "tag:iamlab:lab-instance", Values: ["web"] }] }),
      );
      const inst = described.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
      expect(inst).toHaveLength(1);
      expect(inst[0]!.IamInstanceProfile?.Arn).toBe(`arn:aws:iam::${l.accountId}:instance-profile/app`);
    }
    // The function runs its program as its execution role: the role's own policy lets it read the object.
    for (const l of learners) {
      const out = await new LambdaClient(opts(root(l))).send(
        new InvokeCommand({ FunctionName: "reporter", Payload: new TextEncoder().encode("{}") }),
      );
      expect(out.StatusCode).toBe(200);
      expect(out.FunctionError).toBeUndefined();
      expect(new TextDecoder().decode(out.Payload)).toContain("hello learner");
    }
    // The two learners' queues are their own (the same name in two accounts).
    expect(learners[0]!.accountId).not.toBe(learners[1]!.accountId);
  });

  it("re-applying the same template changes nothing; export round-trips through a new account", async () => {
    const l = learners[0]!;
    const again = await put(`/accounts/${l.accountId}/lab`, { template: TEMPLATE });
    expect(again.status).toBe(200);
    const changes = ((await again.json()) as { changes: { created: string[]; updated: string[]; deleted: string[] } }).changes;
    expect(changes).toEqual({ created: [], updated: [], deleted: [] });

    const exported = (await (await adminFetch(`/accounts/${l.accountId}/lab/export`)).json()) as Record<string, unknown>;
    expect((exported.buckets as { name: string }[]).map((b) => b.name)).toEqual(["data-${account}"]);
    expect((exported.topics as { subscriptions?: unknown }[])[0]!.subscriptions).toEqual([{ queue: "jobs" }]);
    // Tags come back too (bucket, topic, key …).
    expect((exported.buckets as { tags?: unknown }[])[0]!.tags).toEqual({ course: "iam101" });
    expect((exported.topics as { tags?: unknown }[])[0]!.tags).toEqual({ team: "ops" });
    expect((exported.keys as { tags?: unknown }[])[0]!.tags).toEqual({ data: "pii" });
    const fresh = await post("/labs", { template: exported, learners: 1 });
    expect(fresh.status).toBe(201);
    const other = ((await fresh.json()) as { learners: Learner[] }).learners[0]!;
    const reexported = (await (await adminFetch(`/accounts/${other.accountId}/lab/export`)).json()) as Record<string, unknown>;
    expect(exported.instances).toEqual([{ name: "web", instanceProfile: "app", tags: { team: "blue" } }]);
    expect(exported.functions).toEqual([
      {
        name: "reporter",
        role: "fn",
        // The program is read back from the function (as its package's iamlab.json holds it).
        program: [{ service: "s3", action: "GetObject", params: { Bucket: "data-${account}", Key: "hello.txt" } }],
        permissions: [{ sid: "FromS3", principal: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::data-${account}" }],
      },
    ]);
    for (const k of ["buckets", "queues", "topics", "keys", "repositories", "instances", "functions", "trails"])
      expect(reexported[k]).toEqual(exported[k]);
  });

  it("a reset restores a bucket policy the learner deleted", async () => {
    const l = learners[1]!;
    const s3 = new S3Client({ ...opts(root(l)), forcePathStyle: true });
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: `data-${l.accountId}` }));
    expect(codeOf(await s3.send(new GetBucketPolicyCommand({ Bucket: `data-${l.accountId}` })).catch((e) => e))).toBe("NoSuchBucketPolicy");
    expect((await post(`/accounts/${l.accountId}/lab/reset`, {})).status).toBe(200);
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: `data-${l.accountId}` }))).Policy).toContain("Reader");
  });

  it("a reset removes what the learner made: buckets, extra objects, queues, topics, keys, repositories, instances, functions, trails", async () => {
    const l = learners[1]!;
    const c = root(l);
    const s3 = new S3Client({ ...opts(c), forcePathStyle: true });
    const sqs = new SQSClient(opts(c));
    const { CreateBucketCommand, PutObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketPolicyCommand } = await import(
      "@aws-sdk/client-s3"
    );
    const { CreateQueueCommand, ListQueuesCommand } = await import("@aws-sdk/client-sqs");
    const { RunInstancesCommand } = await import("@aws-sdk/client-ec2");
    const { CloudTrailClient, CreateTrailCommand, ListTrailsCommand } = await import("@aws-sdk/client-cloudtrail");
    const kms = new KMS({ ...opts(c), credentials: c });
    const ecr = new ECR({ ...opts(c), credentials: c });
    const mine = `mine-${l.accountId}`;
    await s3.send(new CreateBucketCommand({ Bucket: mine }));
    await s3.send(new PutObjectCommand({ Bucket: mine, Key: "a.txt", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: `data-${l.accountId}`, Key: "learner.txt", Body: "x" }));
    await sqs.send(new CreateQueueCommand({ QueueName: "learner-queue" }));
    const sns = new SNS({ ...opts(c), credentials: c });
    await sns.createTopic({ Name: "learner-topic" }).promise();
    const alerts = `arn:aws:sns:us-east-1:${l.accountId}:alerts`;
    await sns.subscribe({ TopicArn: alerts, Protocol: "sqs", Endpoint: `arn:aws:sqs:us-east-1:${l.accountId}:learner-queue` }).promise();
    const key = await kms.createKey({}).promise();
    await kms.createAlias({ AliasName: "alias/learner", TargetKeyId: key.KeyMetadata!.KeyId }).promise();
    await ecr.createRepository({ repositoryName: "learner-repo" }).promise();
    const ec2 = new EC2Client(opts(c));
    await ec2.send(new RunInstancesCommand({ ImageId: "ami-0abcdef1234567890", InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: mine,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "cloudtrail.amazonaws.com" },
              Action: ["s3:GetBucketAcl", "s3:PutObject"],
              Resource: [`arn:aws:s3:::${mine}`, `arn:aws:s3:::${mine}/*`],
            },
          ],
        }),
      }),
    );
    const ct = new CloudTrailClient(opts(c));
    await ct.send(new CreateTrailCommand({ Name: "learner-trail", S3BucketName: mine }));

    const r = await post(`/accounts/${l.accountId}/lab/reset`, {});
    expect(r.status).toBe(200);
    const body = (await r.json()) as { changes: { deleted: string[]; notDeleted?: string[] } };
    expect(body.changes.notDeleted).toBeUndefined();
    expect(body.changes.deleted).toEqual(
      expect.arrayContaining([
        `bucket/${mine}`,
        `bucket/data-${l.accountId}/learner.txt`,
        "queue/learner-queue",
        "topic/learner-topic",
        `subscription/alerts/arn:aws:sqs:us-east-1:${l.accountId}:learner-queue`,
        "alias/learner",
        `key/${key.KeyMetadata!.KeyId}`,
        "repository/learner-repo",
        "trail/learner-trail",
      ]),
    );
    expect(body.changes.deleted.some((d) => d.startsWith("instance/i-"))).toBe(true);
    const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
    expect(buckets).toEqual([`data-${l.accountId}`]);
    const objects = ((await s3.send(new ListObjectsV2Command({ Bucket: `data-${l.accountId}` }))).Contents ?? []).map((o) => o.Key);
    expect(objects).toEqual(["hello.txt"]);
    expect(((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).some((u) => u.endsWith("/learner-queue"))).toBe(false);
    expect(((await sns.listTopics({}).promise()).Topics ?? []).some((x) => x.TopicArn?.endsWith(":learner-topic"))).toBe(false);
    const left = (await sns.listSubscriptionsByTopic({ TopicArn: alerts }).promise()).Subscriptions ?? [];
    expect(left.map((x) => x.Endpoint)).toEqual([`arn:aws:sqs:us-east-1:${l.accountId}:jobs`]);
    expect((await kms.describeKey({ KeyId: key.KeyMetadata!.KeyId }).promise()).KeyMetadata?.KeyState).toBe("PendingDeletion");
    expect((await kms.describeKey({ KeyId: "alias/lab/data" }).promise()).KeyMetadata?.KeyState).toBe("Enabled");
    expect(((await ecr.describeRepositories({}).promise()).repositories ?? []).map((x) => x.repositoryName)).not.toContain("learner-repo");
    expect((await ct.send(new ListTrailsCommand({}))).Trails).toEqual([]);
    const running = (
      (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running", "pending"] }] })))
        .Reservations ?? []
    )
      .flatMap((x) => x.Instances ?? [])
      .map((i) => i.Tags?.find((t) => t.Key === "iamlab:lab-instance")?.Value);
    expect(running).toEqual(["web"]);
    // The template's function is still there.
    expect((await new LambdaClient(opts(c)).send(new InvokeCommand({ FunctionName: "reporter" }))).StatusCode).toBe(200);
  });

  it("re-applying converges tags a learner changed (set back, extras removed)", async () => {
    const l = learners[0]!;
    const c = root(l);
    const kms = new KMS({ ...opts(c), credentials: c });
    const sns = new SNS({ ...opts(c), credentials: c });
    const keyId = (await kms.describeKey({ KeyId: "alias/lab/data" }).promise()).KeyMetadata!.KeyId;
    await kms
      .tagResource({
        KeyId: keyId,
        Tags: [
          { TagKey: "data", TagValue: "public" },
          { TagKey: "extra", TagValue: "x" },
        ],
      })
      .promise();
    const topic = `arn:aws:sns:us-east-1:${l.accountId}:alerts`;
    await sns.untagResource({ ResourceArn: topic, TagKeys: ["team"] }).promise();
    const r = await put(`/accounts/${l.accountId}/lab`, { template: TEMPLATE });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    const changes = (JSON.parse(text) as { changes: { updated: string[] } }).changes;
    expect(changes.updated).toEqual(expect.arrayContaining(["key/lab/data/tags", "topic/alerts/tags"]));
    const tags = (await kms.listResourceTags({ KeyId: keyId }).promise()).Tags ?? [];
    expect(tags.map((t) => [t.TagKey, t.TagValue])).toEqual([["data", "pii"]]);
    expect(((await sns.listTagsForResource({ ResourceArn: topic }).promise()).Tags ?? []).map((t) => [t.Key, t.Value])).toEqual([
      ["team", "ops"],
    ]);
    // And once converged, nothing more to do.
    const again = ((await (await put(`/accounts/${l.accountId}/lab`, { template: TEMPLATE })).json()) as { changes: { updated: string[] } })
      .changes;
    expect(again.updated.filter((u) => u.endsWith("/tags"))).toEqual([]);
  });

  it("grades with the resources' own policies (bucket and queue policies grant the reader, not the outsider)", async () => {
    const l = learners[0]!;
    const r = (await (await adminFetch(`/accounts/${l.accountId}/lab/results`)).json()) as {
      checks: { id: string; status: string; detail?: string }[];
    };
    const status = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    expect(status).toEqual({ "reader-reads": "pass", "outsider-cannot": "pass", "reader-sends": "pass", "outsider-sends": "fail" });
  });

  it("refuses bad resource sections with pointers, applying nothing", async () => {
    const bad = await post("/labs", {
      template: { buckets: [{ name: "shared-name" }], topics: [{ name: "t", subscriptions: [{ queue: "nope" }] }] },
      learners: 3,
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["/topics/0/subscriptions/0/queue"]));
    const collide = await post("/labs", { template: { buckets: [{ name: "shared-name" }] }, learners: 3 });
    expect(((await collide.json()) as { errors: { path: string; message: string }[] }).errors[0]).toMatchObject({
      path: "/buckets/0/name",
    });
  });
});
