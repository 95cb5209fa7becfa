/**
 * CloudTrail trails in lab templates (issue 21): a bucket with AWS's documented trail policy and a
 * logging trail with event selectors; the learner's calls are delivered as log files; re-applying
 * writes nothing; export gives the trail back; a reset restarts logging the learner stopped and
 * deletes a trail the learner made; a bad trail section is refused with pointers.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import {
  CloudTrailClient,
  CreateTrailCommand,
  GetTrailStatusCommand,
  ListTrailsCommand,
  StopLoggingCommand,
} from "@aws-sdk/client-cloudtrail";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { adminFetch, url, type Creds } from "../helpers/sandbox";

const post = (path: string, body: unknown) => adminFetch(path, { method: "POST", body: JSON.stringify(body) });
const put = (path: string, body: unknown) => adminFetch(path, { method: "PUT", body: JSON.stringify(body) });
const opts = (c: Creds) => ({ endpoint: url(), region: "us-east-1", credentials: c, maxAttempts: 1 });

const trailPolicy = (bucket: string, trail: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AWSCloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: `arn:aws:s3:::${bucket}`,
      Condition: { StringEquals: { "aws:SourceArn": `arn:aws:cloudtrail:us-east-1:\${account}:trail/${trail}` } },
    },
    {
      Sid: "AWSCloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${bucket}/audit/AWSLogs/\${account}/*`,
      Condition: {
        StringEquals: {
          "s3:x-amz-acl": "bucket-owner-full-control",
          "aws:SourceArn": `arn:aws:cloudtrail:us-east-1:\${account}:trail/${trail}`,
        },
      },
    },
  ],
});

const TEMPLATE = {
  buckets: [{ name: "audit-${account}", policy: trailPolicy("audit-${account}", "lab-trail") }],
  trails: [
    {
      name: "lab-trail",
      bucket: "audit-${account}",
      prefix: "audit",
      eventSelectors: [{ ReadWriteType: "WriteOnly" }],
      tags: { course: "iam101" },
    },
  ],
};

interface Learner {
  accountId: string;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
}
let l: Learner;
const root = (): Creds => ({ accessKeyId: l.rootAccessKeyId, secretAccessKey: l.rootSecretAccessKey });

beforeAll(async () => {
  const r = await post("/labs", { template: TEMPLATE, learners: 1 });
  if (r.status !== 201) throw new Error(`POST /labs: ${r.status} ${await r.text()}`);
  l = ((await r.json()) as { learners: Learner[] }).learners[0]!;
});

describe("trails in a lab template", () => {
  it("the learner's writes are delivered to the template's bucket under its prefix", async () => {
    await new IAMClient(opts(root())).send(new CreateUserCommand({ UserName: "audited" }));
    const d = await post(`/accounts/${l.accountId}/cloudtrail/deliver`, {});
    const body = (await d.json()) as { trails: { files: string[]; error?: string }[] };
    expect(body.trails[0]!.error).toBeUndefined();
    const s3 = new S3Client({ ...opts(root()), forcePathStyle: true });
    const files = (
      (await s3.send(new ListObjectsV2Command({ Bucket: `audit-${l.accountId}`, Prefix: "audit/AWSLogs/" }))).Contents ?? []
    ).map((o) => o.Key!);
    expect(files.length).toBeGreaterThan(0);
    const obj = await s3.send(new GetObjectCommand({ Bucket: `audit-${l.accountId}`, Key: files[0]! }));
    const records = (JSON.parse(gunzipSync(await obj.Body!.transformToByteArray()).toString()) as { Records: { eventName: string }[] })
      .Records;
    expect(records.map((r) => r.eventName)).toContain("CreateUser");
  });

  it("re-applying writes nothing; export gives the trail back as written", async () => {
    const again = await put(`/accounts/${l.accountId}/lab`, { template: TEMPLATE });
    expect(again.status).toBe(200);
    const changes = ((await again.json()) as { changes: { created: string[]; updated: string[] } }).changes;
    expect(changes.created.filter((c) => c.startsWith("trail/"))).toEqual([]);
    expect(changes.updated.filter((c) => c.startsWith("trail/"))).toEqual([]);
    const exported = (await (await adminFetch(`/accounts/${l.accountId}/lab/export`)).json()) as { trails?: unknown };
    expect(exported.trails).toEqual([
      {
        name: "lab-trail",
        bucket: "audit-${account}",
        prefix: "audit",
        eventSelectors: [{ ReadWriteType: "WriteOnly" }],
        tags: { course: "iam101" },
      },
    ]);
  });

  it("a reset restarts logging the learner stopped and deletes the learner's own trail", async () => {
    const ct = new CloudTrailClient(opts(root()));
    await ct.send(new StopLoggingCommand({ Name: "lab-trail" }));
    const s3 = new S3Client({ ...opts(root()), forcePathStyle: true });
    const mine = `mine-${l.accountId}`;
    await s3.send(new CreateBucketCommand({ Bucket: mine }));
    // The same documented policy, for a trail without a prefix.
    const policy = JSON.stringify(trailPolicy(mine, "own")).replaceAll("${account}", l.accountId).replace("/audit/AWSLogs", "/AWSLogs");
    await s3.send(new PutBucketPolicyCommand({ Bucket: mine, Policy: policy }));
    await ct.send(new CreateTrailCommand({ Name: "own", S3BucketName: mine }));
    const r = await post(`/accounts/${l.accountId}/lab/reset`, {});
    expect(r.status).toBe(200);
    const changes = ((await r.json()) as { changes: { deleted: string[]; updated: string[] } }).changes;
    expect(changes.deleted).toEqual(expect.arrayContaining(["trail/own", `bucket/${mine}`]));
    expect(changes.updated).toContain("trail/lab-trail/logging");
    expect((await ct.send(new GetTrailStatusCommand({ Name: "lab-trail" }))).IsLogging).toBe(true);
    expect(((await ct.send(new ListTrailsCommand({}))).Trails ?? []).map((t) => t.Name)).toEqual(["lab-trail"]);
  });

  it("refuses a bad trail section with pointers", async () => {
    const bad = await post("/labs", {
      template: {
        trails: [
          { name: "-bad", bucket: "b-${account}" },
          { name: "ok-trail", bucket: "b-${account}", eventSelectors: [{ ReadWriteType: "Sometimes" }], logging: "yes" },
        ],
      },
      learners: 1,
    });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["/trails/0/name", "/trails/1/eventSelectors/0/ReadWriteType", "/trails/1/logging"]));
  });
});

describe("the cloudtrail-audit example lab", () => {
  it("applies, logs to its bucket, and grades: the auditor's LookupEvents turns the last check green", async () => {
    const { readFileSync } = await import("node:fs");
    const { parse } = await import("yaml");
    const { LookupEventsCommand } = await import("@aws-sdk/client-cloudtrail");
    const template = parse(readFileSync("labs/examples/cloudtrail-audit.yaml", "utf8")) as unknown;
    const r = await post("/labs", { template, learners: 1 });
    expect(r.status).toBe(201);
    const learner = ((await r.json()) as { learners: (Learner & { users: Record<string, { accessKeys?: Creds[] }> })[] }).learners[0]!;
    const k = learner.users.auditor!.accessKeys![0]! as unknown as { accessKeyId: string; secretAccessKey: string };
    const grade = async () =>
      Object.fromEntries(
        (
          (await (await adminFetch(`/accounts/${learner.accountId}/lab/results`)).json()) as { checks: { id: string; status: string }[] }
        ).checks.map((c) => [c.id, c.status]),
      );
    expect(await grade()).toEqual({
      "auditor-reads-logs": "pass",
      "intern-cannot-stop-trail": "pass",
      "intern-cannot-read-logs": "pass",
      "auditor-looked": "fail",
    });
    await new CloudTrailClient(opts(k)).send(new LookupEventsCommand({}));
    expect((await grade())["auditor-looked"]).toBe("pass");
    const d = (await (await post(`/accounts/${learner.accountId}/cloudtrail/deliver`, {})).json()) as {
      trails: { files: string[]; error?: string }[];
    };
    expect(d.trails[0]!.error).toBeUndefined();
    expect(d.trails[0]!.files.length).toBeGreaterThan(0);
  });
});
