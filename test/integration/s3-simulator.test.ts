/**
 * The policy simulator with S3 bucket policies (issue 15), through the real @aws-sdk/client-iam:
 * `ResourcePolicy` (+ `ResourceOwner`, `CallerArn`, `ResourceArns` of buckets and objects, ContextEntries
 * for S3's keys) as AWS's simulator takes them — a same-account grant by the bucket policy alone, across
 * accounts both sides, an explicit deny in the bucket policy, MatchedStatements naming the resource
 * policy — and the simulator agreeing with the live S3 data plane on the same policy.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
} from "@aws-sdk/client-s3";
import { url, type Creds } from "../helpers/sandbox";
import { allow, policyDoc as doc } from "../helpers/documents";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { codeOf } from "../helpers/aws-errors";

let client: IAMClient;
let root: Creds;
let A: string;
const OTHER = "999988887777";

beforeAll(async () => {
  ({ creds: root, iam: client, id: A } = await withAccount());
});

const bucketPolicy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);
const grant = (principal: string, action: string | string[], resource: string | string[], extra: object = {}) => ({
  Effect: "Allow",
  Principal: { AWS: principal },
  Action: action,
  Resource: resource,
  ...extra,
});

describe("SimulateCustomPolicy with a bucket policy (ResourcePolicy)", () => {
  it("same account: the bucket policy grants alone; MatchedStatements names the resource policy with its position", async () => {
    const caller = `arn:aws:iam::${A}:user/alice`;
    const rp = bucketPolicy(grant(caller, "s3:GetObject", "arn:aws:s3:::lab-bucket/*"));
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("sqs:SendMessage", "*"))],
        ActionNames: ["s3:GetObject", "s3:PutObject"],
        ResourceArns: ["arn:aws:s3:::lab-bucket/report.csv"],
        ResourcePolicy: rp,
        CallerArn: caller,
      }),
    );
    const [get, put] = r.EvaluationResults!;
    expect(get).toMatchObject({
      EvalActionName: "s3:GetObject",
      EvalResourceName: "arn:aws:s3:::lab-bucket/report.csv",
      EvalDecision: "allowed",
      // A named resource in the caller's own account: present and empty (AWS).
      EvalDecisionDetails: {},
      MatchedStatements: [
        {
          SourcePolicyId: "ResourcePolicy",
          SourcePolicyType: "resource",
          StartPosition: { Line: 3, Column: 17 },
          EndPosition: { Line: 11, Column: 6 },
        },
      ],
    });
    expect(get!.ResourceSpecificResults).toEqual([
      expect.objectContaining({ EvalResourceName: "arn:aws:s3:::lab-bucket/report.csv", EvalResourceDecision: "allowed" }),
    ]);
    // The policy grants GetObject only.
    expect(put).toMatchObject({ EvalDecision: "implicitDeny", MatchedStatements: [] });
  });

  it("cross account (ResourceOwner): both the identity policy and the bucket policy must allow", async () => {
    const caller = `arn:aws:iam::${A}:user/alice`;
    const sim = (identity: string, rp: string) =>
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [identity],
          ActionNames: ["s3:GetObject"],
          ResourceArns: ["arn:aws:s3:::their-bucket/data.txt"],
          ResourcePolicy: rp,
          ResourceOwner: `arn:aws:iam::${OTHER}:root`,
          CallerArn: caller,
        }),
      );
    const toA = bucketPolicy(grant(A, "s3:GetObject", "arn:aws:s3:::their-bucket/*"));
    const both = (await sim(doc(allow("s3:GetObject", "*")), toA)).EvaluationResults![0]!;
    expect(both).toMatchObject({
      EvalDecision: "allowed",
      EvalDecisionDetails: { "IAM Policy": "allowed", "Resource Policy": "allowed" },
    });
    // Matched: the resource policy's statement and the identity policy's.
    expect(both.MatchedStatements!.map((s) => s.SourcePolicyId).sort()).toEqual(["PolicyInputList.1", "ResourcePolicy"]);
    const bucketOnly = (await sim(doc(allow("sqs:*", "*")), toA)).EvaluationResults![0]!;
    expect(bucketOnly).toMatchObject({
      EvalDecision: "implicitDeny",
      EvalDecisionDetails: { "IAM Policy": "implicitDeny", "Resource Policy": "allowed" },
    });
    const identityOnly = (
      await sim(
        doc(allow("s3:GetObject", "*")),
        bucketPolicy(grant("arn:aws:iam::111122223333:root", "s3:GetObject", "arn:aws:s3:::their-bucket/*")),
      )
    ).EvaluationResults![0]!;
    expect(identityOnly).toMatchObject({
      EvalDecision: "implicitDeny",
      EvalDecisionDetails: { "IAM Policy": "allowed", "Resource Policy": "implicitDeny" },
    });
    expect(identityOnly.ResourceSpecificResults![0]).toMatchObject({
      EvalResourceDecision: "implicitDeny",
      EvalDecisionDetails: { "IAM Policy": "allowed", "Resource Policy": "implicitDeny" },
    });
  });

  it("same account, a bucket policy naming the account delegates to the identity policies", async () => {
    const caller = `arn:aws:iam::${A}:user/alice`;
    const rp = bucketPolicy(grant(`arn:aws:iam::${A}:root`, "s3:GetObject", "arn:aws:s3:::delegated/*"));
    const sim = (identity: string) =>
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [identity],
          ActionNames: ["s3:GetObject"],
          ResourceArns: ["arn:aws:s3:::delegated/k"],
          ResourcePolicy: rp,
          CallerArn: caller,
        }),
      );
    expect((await sim(doc(allow("sqs:*", "*")))).EvaluationResults![0]!.EvalDecision).toBe("implicitDeny");
    expect((await sim(doc(allow("s3:GetObject", "*")))).EvaluationResults![0]!.EvalDecision).toBe("allowed");
  });

  it("an explicit deny in the bucket policy wins over an identity allow and is the only matched statement", async () => {
    const caller = `arn:aws:iam::${A}:user/alice`;
    const rp = bucketPolicy(grant(caller, "s3:*", ["arn:aws:s3:::locked", "arn:aws:s3:::locked/*"]), {
      Sid: "NoDeletes",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:DeleteObject",
      Resource: "arn:aws:s3:::locked/*",
    });
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("s3:*", "*"))],
        ActionNames: ["s3:DeleteObject"],
        ResourceArns: ["arn:aws:s3:::locked/x"],
        ResourcePolicy: rp,
        CallerArn: caller,
      }),
    );
    expect(r.EvaluationResults![0]).toMatchObject({
      EvalDecision: "explicitDeny",
      MatchedStatements: [{ SourcePolicyId: "ResourcePolicy", SourcePolicyType: "resource", StartPosition: { Line: 14 } }],
    });
  });

  it("S3 condition keys from ContextEntries: s3:prefix confines a listing; a missing key is reported", async () => {
    const caller = `arn:aws:iam::${A}:user/bob`;
    const rp = bucketPolicy(
      grant(caller, "s3:ListBucket", "arn:aws:s3:::homes", { Condition: { StringLike: { "s3:prefix": ["home/${aws:username}/*"] } } }),
    );
    const sim = (prefix?: string) =>
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [doc(allow("sqs:*", "*"))],
          ActionNames: ["s3:ListBucket"],
          ResourceArns: ["arn:aws:s3:::homes"],
          ResourcePolicy: rp,
          CallerArn: caller,
          ContextEntries: [
            { ContextKeyName: "aws:username", ContextKeyValues: ["bob"], ContextKeyType: "string" },
            ...(prefix !== undefined
              ? [{ ContextKeyName: "s3:prefix", ContextKeyValues: [prefix], ContextKeyType: "string" as const }]
              : []),
          ],
        }),
      );
    expect((await sim("home/bob/docs/")).EvaluationResults![0]!.EvalDecision).toBe("allowed");
    expect((await sim("home/eve/")).EvaluationResults![0]!.EvalDecision).toBe("implicitDeny");
    const missing = (await sim()).EvaluationResults![0]!;
    expect(missing.EvalDecision).toBe("implicitDeny");
    expect(missing.ResourceSpecificResults![0]!.MissingContextValues).toEqual(["s3:prefix"]);
  });

  it("a bucket and its objects as ResourceArns: one ResourceSpecificResult each, the most restrictive on top", async () => {
    const caller = `arn:aws:iam::${A}:user/alice`;
    const rp = bucketPolicy(grant(caller, "s3:GetObject", "arn:aws:s3:::mixed/public/*"));
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("sqs:*", "*"))],
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::mixed/public/a", "arn:aws:s3:::mixed/private/b"],
        ResourcePolicy: rp,
        CallerArn: caller,
      }),
    );
    const e = r.EvaluationResults![0]!;
    expect(e.EvalDecision).toBe("implicitDeny");
    // Over several ARNs, the resource type's ARN pattern names the aggregate (as the simulator's unit tests pin it).
    expect(e.EvalResourceName).toBe("arn:aws:s3:::${BucketName}/${ObjectName}");
    expect(e.ResourceSpecificResults!.map((x) => [x.EvalResourceName, x.EvalResourceDecision])).toEqual([
      ["arn:aws:s3:::mixed/public/a", "allowed"],
      ["arn:aws:s3:::mixed/private/b", "implicitDeny"],
    ]);
  });
});

describe("SimulatePrincipalPolicy with a live bucket's policy agrees with S3", () => {
  it("a user without identity policies, granted by the bucket policy: simulated allowed, and S3 serves it", async () => {
    await client.send(new CreateUserCommand({ UserName: "sim-reader" }));
    const key = keyCreds((await client.send(new CreateAccessKeyCommand({ UserName: "sim-reader" }))).AccessKey!);
    const userArn = `arn:aws:iam::${A}:user/sim-reader`;
    const s3 = (c: Creds) => new S3Client({ endpoint: url(), region: "us-east-1", credentials: c, maxAttempts: 1, forcePathStyle: true });
    const bucket = `sim${Date.now().toString(36)}`;
    await s3(root).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(root).send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    await s3(root).send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy(grant(userArn, "s3:GetObject", `arn:aws:s3:::${bucket}/*`)) }),
    );
    const policy = (await s3(root).send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!;
    const r = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: userArn,
        ActionNames: ["s3:GetObject", "s3:PutObject"],
        ResourceArns: [`arn:aws:s3:::${bucket}/k`],
        ResourcePolicy: policy,
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalActionName, e.EvalDecision])).toEqual([
      ["s3:GetObject", "allowed"],
      ["s3:PutObject", "implicitDeny"],
    ]);
    expect(r.EvaluationResults![0]!.MatchedStatements).toEqual([
      expect.objectContaining({ SourcePolicyId: "ResourcePolicy", SourcePolicyType: "resource" }),
    ]);
    // The live data plane decides the same.
    expect(await (await s3(key).send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))).Body!.transformToString()).toBe("v");
    const put = await s3(key)
      .send(new PutObjectCommand({ Bucket: bucket, Key: "k2", Body: "x" }))
      .then(
        () => "OK",
        (e: unknown) => codeOf(e),
      );
    expect(put).toBe("AccessDenied");
  });
});
