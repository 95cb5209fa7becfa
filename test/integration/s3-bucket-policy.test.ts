/**
 * S3 bucket policies (issue 15, second slice), driven by @aws-sdk/client-s3: Put/Get/DeleteBucketPolicy,
 * S3's MalformedPolicy validation, and enforcement through the engine — cross-account needs both the
 * caller's identity policy and the bucket policy, a policy naming an account delegates to that account's
 * identity policies, same-account grants by the bucket policy alone, an explicit Deny anywhere wins.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  DeleteBucketPolicyCommand,
} from "@aws-sdk/client-s3";
import {
  CreateUserCommand,
  CreateAccessKeyCommand,
  PutUserPolicyCommand,
  DeleteUserPolicyCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { accountCreds, createAccount, iam, sts, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;
let n = 0;
const bucketName = (what: string) => `p${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

async function newUser(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

const allow = (action: string | string[], resource: string | string[]) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: resource }],
});

const bucketPolicy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

async function read(creds: Creds, bucket: string, key = "data.txt"): Promise<string> {
  const got = await s3(creds).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return got.Body!.transformToString();
}

beforeAll(async () => {
  const a = await createAccount();
  accountA = a.accountId;
  rootA = accountCreds(a);
  const b = await createAccount();
  accountB = b.accountId;
  rootB = accountCreds(b);
});

/** A bucket of account B holding data.txt. */
async function bucketOfB(what: string): Promise<string> {
  const bucket = bucketName(what);
  await s3(rootB).send(new CreateBucketCommand({ Bucket: bucket }));
  await s3(rootB).send(new PutObjectCommand({ Bucket: bucket, Key: "data.txt", Body: "B's data" }));
  return bucket;
}

describe("cross-account: the identity policy and the bucket policy must both allow", () => {
  it("a user of A reads B's bucket only while B's policy names the user and A's policy allows", async () => {
    const bucket = await bucketOfB("xacct");
    const user = await newUser(rootA, "xreader", allow(["s3:GetObject", "s3:ListBucket"], ["*"]));
    const userArn = `arn:aws:iam::${accountA}:user/xreader`;
    // No bucket policy: denied with S3's bare cross-account message.
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({
          Sid: "ReadByA",
          Effect: "Allow",
          Principal: { AWS: userArn },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/*`,
        }),
      }),
    );
    expect(await read(user, bucket)).toBe("B's data");
    // The bucket policy grants GetObject only: listing stays denied.
    await expectAwsError(s3(user).send(new ListObjectsV2Command({ Bucket: bucket })), "AccessDenied", 403, "Access Denied");
    // A removes the identity policy: denied again (across accounts the bucket policy alone is not enough).
    await iam(rootA).send(new DeleteUserPolicyCommand({ UserName: "xreader", PolicyName: "p" }));
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
    // Identity policy back, bucket policy removed: denied.
    await iam(rootA).send(
      new PutUserPolicyCommand({ UserName: "xreader", PolicyName: "p", PolicyDocument: JSON.stringify(allow("s3:GetObject", "*")) }),
    );
    expect(await read(user, bucket)).toBe("B's data");
    await s3(rootB).send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    await expectAwsError(s3(user).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
  });

  it("a role of A (an assumed-role session) reads B's bucket when B's policy names the role", async () => {
    const bucket = await bucketOfB("xrole");
    await iam(rootA).send(
      new CreateRoleCommand({
        RoleName: "Reader",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountA}:root` }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    await iam(rootA).send(
      new PutRolePolicyCommand({
        RoleName: "Reader",
        PolicyName: "read",
        PolicyDocument: JSON.stringify(allow("s3:GetObject", `arn:aws:s3:::${bucket}/*`)),
      }),
    );
    const assumer = await newUser(rootA, "assumer", allow("sts:AssumeRole", `arn:aws:iam::${accountA}:role/Reader`));
    const r = await sts(assumer).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountA}:role/Reader`, RoleSessionName: "s1" }));
    const session: Creds = {
      accessKeyId: r.Credentials!.AccessKeyId!,
      secretAccessKey: r.Credentials!.SecretAccessKey!,
      sessionToken: r.Credentials!.SessionToken!,
    };
    await expectAwsError(s3(session).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountA}:role/Reader` },
          Action: ["s3:GetObject"],
          Resource: [`arn:aws:s3:::${bucket}/*`],
        }),
      }),
    );
    expect(await read(session, bucket)).toBe("B's data");
  });

  it("B's policy naming account A (bare id or A's root) delegates to A's identity policies", async () => {
    const bucket = await bucketOfB("deleg");
    const bob = await newUser(rootA, "delegbob");
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({
          Effect: "Allow",
          Principal: { AWS: accountA },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/*`,
        }),
      }),
    );
    // Delegated, but A's admin has granted bob nothing yet.
    await expectAwsError(s3(bob).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
    // An identity policy confined to B's resources (aws:ResourceAccount names the bucket owner) …
    const inB = (account: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:ResourceAccount": account } } },
        ],
      });
    await iam(rootA).send(new PutUserPolicyCommand({ UserName: "delegbob", PolicyName: "p", PolicyDocument: inB("999999999999") }));
    await expectAwsError(s3(bob).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403, "Access Denied");
    // … allows once it names B.
    await iam(rootA).send(new PutUserPolicyCommand({ UserName: "delegbob", PolicyName: "p", PolicyDocument: inB(accountB) }));
    expect(await read(bob, bucket)).toBe("B's data");
    // A's root holds every permission of A: allowed too.
    expect(await read(rootA, bucket)).toBe("B's data");
    // The same with A's root ARN as the principal.
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountA}:root` },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/*`,
        }),
      }),
    );
    expect(await read(bob, bucket)).toBe("B's data");
    // A third account is not delegated to.
    const c = await createAccount();
    await expectAwsError(s3(accountCreds(c)).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })), "AccessDenied", 403);
  });
});

describe("same account", () => {
  it("the bucket policy alone grants a user it names; others are denied in S3's words", async () => {
    const bucket = await bucketOfB("same");
    const carol = await newUser(rootB, "carol");
    const dave = await newUser(rootB, "dave");
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountB}:user/carol` },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/data.txt`,
        }),
      }),
    );
    expect(await read(carol, bucket)).toBe("B's data");
    await expectAwsError(
      s3(dave).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${accountB}:user/dave is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/data.txt" because no identity-based policy allows the s3:GetObject action`,
    );
  });

  it("an explicit Deny in the bucket policy beats an identity Allow, the owner's root included", async () => {
    const bucket = await bucketOfB("deny");
    await s3(rootB).send(new PutObjectCommand({ Bucket: bucket, Key: "secret.txt", Body: "s" }));
    const erin = await newUser(rootB, "erin", allow("s3:*", "*"));
    expect(await read(erin, bucket, "secret.txt")).toBe("s");
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/secret.txt` }),
      }),
    );
    await expectAwsError(
      s3(erin).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${accountB}:user/erin is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/secret.txt" with an explicit deny in a resource-based policy`,
    );
    await expectAwsError(s3(rootB).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })), "AccessDenied", 403);
    // Other keys are untouched.
    expect(await read(erin, bucket)).toBe("B's data");
  });
});

describe("Put/Get/DeleteBucketPolicy", () => {
  it("round trip; NoSuchBucketPolicy when none; the owner's root is never locked out; other accounts get 405", async () => {
    const bucket = await bucketOfB("crud");
    await expectAwsError(
      s3(rootB).send(new GetBucketPolicyCommand({ Bucket: bucket })),
      "NoSuchBucketPolicy",
      404,
      "The bucket policy does not exist",
    );
    const policy = bucketPolicy({
      Sid: "Lockout",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:ListBucket"],
      Resource: `arn:aws:s3:::${bucket}`,
    });
    await s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
    // Denied to everyone, yet the owner's root still manages the policy (AWS's lockout protection)…
    const got = await s3(rootB).send(new GetBucketPolicyCommand({ Bucket: bucket }));
    expect(got.Policy).toBe(policy);
    // … but not the bucket: ListBucket is denied to root as well.
    await expectAwsError(s3(rootB).send(new ListObjectsV2Command({ Bucket: bucket })), "AccessDenied", 403);
    // An admin user of the owner is denied by the policy.
    const admin = await newUser(rootB, "poladmin", allow("s3:*", "*"));
    await expectAwsError(
      s3(admin).send(new GetBucketPolicyCommand({ Bucket: bucket })),
      "AccessDenied",
      403,
      /explicit deny in a resource-based policy/,
    );
    await s3(rootB).send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    await expectAwsError(s3(rootB).send(new GetBucketPolicyCommand({ Bucket: bucket })), "NoSuchBucketPolicy", 404);
    // Deleting again is fine (204).
    await s3(rootB).send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    // Another account allowed by the policy still cannot manage it: 405.
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy({
          Effect: "Allow",
          Principal: { AWS: accountA },
          Action: "s3:GetBucketPolicy",
          Resource: `arn:aws:s3:::${bucket}`,
        }),
      }),
    );
    await expectAwsError(s3(rootA).send(new GetBucketPolicyCommand({ Bucket: bucket })), "MethodNotAllowed", 405);
    // Without a grant: AccessDenied first.
    await expectAwsError(s3(rootA).send(new DeleteBucketPolicyCommand({ Bucket: bucket })), "AccessDenied", 403, "Access Denied");
    // A bucket that does not exist.
    await expectAwsError(s3(rootB).send(new GetBucketPolicyCommand({ Bucket: bucketName("none") })), "NoSuchBucket", 404);
  });

  it("malformed policies are refused with S3's MalformedPolicy messages, and nothing is stored", async () => {
    const bucket = await bucketOfB("bad");
    const arn = `arn:aws:s3:::${bucket}`;
    const stmt = { Effect: "Allow", Principal: { AWS: accountA }, Action: "s3:GetObject", Resource: `${arn}/*` };
    const cases: [string, string][] = [
      ["not json", "Policies must be valid JSON and the first byte must be '{'"],
      ['{"Statement": [', "This policy contains invalid Json"],
      [JSON.stringify({ Version: "2012-10-17" }), "Missing required field Statement"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [] }), "Could not parse the policy: Statement is empty!"],
      [JSON.stringify({ Version: "2020-01-01", Statement: [stmt] }), "The policy must contain a valid version string"],
      [bucketPolicy({ ...stmt, Principal: undefined }), "Missing required field Principal"],
      [bucketPolicy({ ...stmt, Principal: { AWS: "arn:aws:iam::12345:user/x" } }), "Invalid principal in policy"],
      [bucketPolicy({ ...stmt, Principal: { AWS: "not-a-principal" } }), "Invalid principal in policy"],
      // A user or role that does not exist (S3 resolves them when it stores the policy).
      [bucketPolicy({ ...stmt, Principal: { AWS: `arn:aws:iam::${accountA}:user/nobody` } }), "Invalid principal in policy"],
      [
        bucketPolicy({ ...stmt, Principal: { AWS: [accountA, `arn:aws:iam::${accountB}:role/NoSuchRole`] } }),
        "Invalid principal in policy",
      ],
      [bucketPolicy({ ...stmt, Action: "ec2:RunInstances" }), "Policy has invalid action"],
      [bucketPolicy({ ...stmt, Action: "s3:NoSuchAction" }), "Policy has invalid action"],
      [bucketPolicy({ ...stmt, Action: "s3:ListAllMyBuckets" }), "Policy has invalid action"],
      [bucketPolicy({ ...stmt, Resource: "arn:aws:s3:::another-bucket/*" }), "Policy has invalid resource"],
      [bucketPolicy({ ...stmt, Resource: "*" }), "Policy has invalid resource"],
      [bucketPolicy({ ...stmt, Resource: `arn:aws:iam::${accountB}:root` }), "Policy has invalid resource"],
      [bucketPolicy({ ...stmt, Action: "s3:PutObject", Resource: arn }), "Action does not apply to any resource(s) in statement"],
      [
        bucketPolicy({ ...stmt, Action: ["s3:GetObject", "s3:ListBucket"], Resource: `${arn}/*` }),
        "Action does not apply to any resource(s) in statement",
      ],
      [bucketPolicy({ ...stmt, Resource: undefined }), "Statement is missing required element"],
    ];
    for (const [policy, message] of cases) {
      await expectAwsError(s3(rootB).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy })), "MalformedPolicy", 400, message);
    }
    await expectAwsError(s3(rootB).send(new GetBucketPolicyCommand({ Bucket: bucket })), "NoSuchBucketPolicy", 404);
    // Accepted: wildcards that can name this bucket, both kinds of resource, a Deny to everyone.
    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: bucketPolicy(
          { ...stmt, Action: ["s3:GetObject", "s3:ListBucket"], Resource: [arn, `${arn}/*`] },
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: `arn:aws:s3:::${bucket.slice(0, 4)}*`,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ),
      }),
    );
  });
});
