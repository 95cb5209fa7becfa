/**
 * S3 tagging, S3's condition keys, server-side encryption headers and Object Ownership, driven by
 * @aws-sdk/client-s3: bucket and object tags with AWS's limits and errors, x-amz-tagging on PutObject
 * and CopyObject, s3:ExistingObjectTag / s3:RequestObjectTag / aws:ResourceTag /
 * s3:x-amz-server-side-encryption in bucket and identity policies, ownership controls and ACL headers.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  CopyObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  GetBucketTaggingCommand,
  DeleteBucketTaggingCommand,
  PutObjectTaggingCommand,
  GetObjectTaggingCommand,
  DeleteObjectTaggingCommand,
  GetBucketOwnershipControlsCommand,
  PutBucketOwnershipControlsCommand,
  DeleteBucketOwnershipControlsCommand,
} from "@aws-sdk/client-s3";
import { CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, type Tag } from "@aws-sdk/client-iam";
import { accountCreds, createAccount, iam, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

let root: Creds;
let account: string;
let n = 0;
const bucketName = (what: string) => `t${Date.now().toString(36)}-${(n++).toString(36)}-${what}`;

async function newUser(name: string, policy?: object, tags?: Tag[]): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name, ...(tags ? { Tags: tags } : {}) }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

const policy = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });

async function newBucket(what: string): Promise<string> {
  const b = bucketName(what);
  await s3(root).send(new CreateBucketCommand({ Bucket: b }));
  return b;
}

beforeAll(async () => {
  const a = await createAccount();
  account = a.accountId;
  root = accountCreds(a);
});

describe("bucket tagging", () => {
  it("NoSuchTagSet until tagged; put, get, replace, delete", async () => {
    const b = await newBucket("btags");
    await expectAwsError(s3(root).send(new GetBucketTaggingCommand({ Bucket: b })), "NoSuchTagSet", 404, "The TagSet does not exist");
    await s3(root).send(
      new PutBucketTaggingCommand({
        Bucket: b,
        Tagging: {
          TagSet: [
            { Key: "env", Value: "dev" },
            { Key: "team", Value: "" },
          ],
        },
      }),
    );
    const got = await s3(root).send(new GetBucketTaggingCommand({ Bucket: b }));
    expect(got.TagSet).toEqual([
      { Key: "env", Value: "dev" },
      { Key: "team", Value: "" },
    ]);
    await s3(root).send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "env", Value: "prod" }] } }));
    expect((await s3(root).send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet).toEqual([{ Key: "env", Value: "prod" }]);
    const del = await s3(root).send(new DeleteBucketTaggingCommand({ Bucket: b }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectAwsError(s3(root).send(new GetBucketTaggingCommand({ Bucket: b })), "NoSuchTagSet", 404);
  });

  it("AWS's limits: 50 tags, key 1–128 and value ≤ 256 characters, no duplicates, no aws: keys", async () => {
    const b = await newBucket("blimits");
    const put = (TagSet: { Key: string; Value: string }[]) =>
      s3(root).send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet } }));
    const many = (k: number) => Array.from({ length: k }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await put(many(50));
    await expectAwsError(put(many(51)), "BadRequest", 400, "Bucket tag count cannot be greater than 50");
    await expectAwsError(
      put([
        { Key: "a", Value: "1" },
        { Key: "a", Value: "2" },
      ]),
      "InvalidTag",
      400,
      "Cannot provide multiple Tags with the same key",
    );
    await put([{ Key: "k".repeat(128), Value: "v".repeat(256) }]);
    await expectAwsError(put([{ Key: "k".repeat(129), Value: "v" }]), "InvalidTag", 400, "The TagKey you have provided is invalid");
    await expectAwsError(put([{ Key: "k", Value: "v".repeat(257) }]), "InvalidTag", 400, "The TagValue you have provided is invalid");
    await expectAwsError(put([{ Key: "aws:x", Value: "v" }]), "InvalidTag", 400);
    // Nothing half-written: the last good tag set is still there.
    expect((await s3(root).send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet).toEqual([
      { Key: "k".repeat(128), Value: "v".repeat(256) },
    ]);
  });
});

describe("object tagging", () => {
  it("x-amz-tagging on PutObject, the tagging-count header, Put/Get/DeleteObjectTagging", async () => {
    const b = await newBucket("otags");
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "o", Body: "x", Tagging: "a=1&b=two%20words" }));
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "o" }))).TagSet).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "two words" },
    ]);
    expect((await s3(root).send(new GetObjectCommand({ Bucket: b, Key: "o" }))).TagCount).toBe(2);
    await s3(root).send(new PutObjectTaggingCommand({ Bucket: b, Key: "o", Tagging: { TagSet: [{ Key: "c", Value: "3" }] } }));
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "o" }))).TagSet).toEqual([{ Key: "c", Value: "3" }]);
    const del = await s3(root).send(new DeleteObjectTaggingCommand({ Bucket: b, Key: "o" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "o" }))).TagSet ?? []).toEqual([]);
    expect((await s3(root).send(new GetObjectCommand({ Bucket: b, Key: "o" }))).TagCount).toBeUndefined();
    // Overwriting an object replaces its tags too.
    await s3(root).send(new PutObjectTaggingCommand({ Bucket: b, Key: "o", Tagging: { TagSet: [{ Key: "c", Value: "3" }] } }));
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "o", Body: "y" }));
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "o" }))).TagSet ?? []).toEqual([]);
    await expectAwsError(s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "missing" })), "NoSuchKey", 404);
  });

  it("AWS's limits: 10 tags; a duplicate name in x-amz-tagging is InvalidArgument; nothing written on failure", async () => {
    const b = await newBucket("olimits");
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "o", Body: "x" }));
    const tags = (k: number) => Array.from({ length: k }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await s3(root).send(new PutObjectTaggingCommand({ Bucket: b, Key: "o", Tagging: { TagSet: tags(10) } }));
    await expectAwsError(
      s3(root).send(new PutObjectTaggingCommand({ Bucket: b, Key: "o", Tagging: { TagSet: tags(11) } })),
      "BadRequest",
      400,
      "Object tags cannot be greater than 10",
    );
    await expectAwsError(
      s3(root).send(
        new PutObjectCommand({
          Bucket: b,
          Key: "n",
          Body: "x",
          Tagging: tags(11)
            .map((t) => `${t.Key}=${t.Value}`)
            .join("&"),
        }),
      ),
      "BadRequest",
      400,
      "Object tags cannot be greater than 10",
    );
    await expectAwsError(
      s3(root).send(new PutObjectCommand({ Bucket: b, Key: "n", Body: "x", Tagging: "a=1&a=2" })),
      "InvalidArgument",
      400,
      "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
    );
    await expectAwsError(s3(root).send(new HeadObjectCommand({ Bucket: b, Key: "n" })), "NotFound", 404);
  });

  it("CopyObject copies the tags by default and replaces them with x-amz-tagging-directive REPLACE", async () => {
    const b = await newBucket("ocopy");
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "src", Body: "x", Tagging: "k=v" }));
    await s3(root).send(new CopyObjectCommand({ Bucket: b, Key: "copy", CopySource: `${b}/src` }));
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "copy" }))).TagSet).toEqual([{ Key: "k", Value: "v" }]);
    await s3(root).send(
      new CopyObjectCommand({ Bucket: b, Key: "copy2", CopySource: `${b}/src`, TaggingDirective: "REPLACE", Tagging: "n=m" }),
    );
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "copy2" }))).TagSet).toEqual([{ Key: "n", Value: "m" }]);
    await s3(root).send(new CopyObjectCommand({ Bucket: b, Key: "copy3", CopySource: `${b}/src`, TaggingDirective: "REPLACE" }));
    expect((await s3(root).send(new GetObjectTaggingCommand({ Bucket: b, Key: "copy3" }))).TagSet ?? []).toEqual([]);
  });
});

describe("S3's condition keys in policies", () => {
  it("a bucket policy grants GetObject only on objects tagged classification=public (s3:ExistingObjectTag)", async () => {
    const b = await newBucket("existing");
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "open", Body: "open", Tagging: "classification=public" }));
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "closed", Body: "closed", Tagging: "classification=secret" }));
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "untagged", Body: "untagged" }));
    const readerName = `tagreader-${n++}`;
    const reader = await newUser(readerName);
    await s3(root).send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: JSON.stringify(
          policy({
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${account}:user/${readerName}` },
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${b}/*`,
            Condition: { StringEquals: { "s3:ExistingObjectTag/classification": "public" } },
          }),
        ),
      }),
    );
    // Same account: the bucket policy naming the user grants on its own (the user has no identity policy).
    const got = await s3(reader).send(new GetObjectCommand({ Bucket: b, Key: "open" }));
    expect(await got.Body!.transformToString()).toBe("open");
    await expectAwsError(s3(reader).send(new GetObjectCommand({ Bucket: b, Key: "closed" })), "AccessDenied", 403);
    await expectAwsError(s3(reader).send(new GetObjectCommand({ Bucket: b, Key: "untagged" })), "AccessDenied", 403);
    // Retagging the object changes the answer.
    await s3(root).send(
      new PutObjectTaggingCommand({ Bucket: b, Key: "closed", Tagging: { TagSet: [{ Key: "classification", Value: "public" }] } }),
    );
    expect(await (await s3(reader).send(new GetObjectCommand({ Bucket: b, Key: "closed" }))).Body!.transformToString()).toBe("closed");
  });

  it("an identity policy requires s3:RequestObjectTag/team = ${aws:PrincipalTag/team}; tags on PutObject also need s3:PutObjectTagging", async () => {
    const b = await newBucket("request");
    const onlyOwnTeam = {
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:PutObjectTagging"],
      Resource: `arn:aws:s3:::${b}/*`,
      Condition: { StringEquals: { "s3:RequestObjectTag/team": "${aws:PrincipalTag/team}" } },
    };
    const blue = await newUser(`blue-${n++}`, policy(onlyOwnTeam), [{ Key: "team", Value: "blue" }]);
    await s3(blue).send(new PutObjectCommand({ Bucket: b, Key: "mine", Body: "x", Tagging: "team=blue" }));
    await expectAwsError(
      s3(blue).send(new PutObjectCommand({ Bucket: b, Key: "theirs", Body: "x", Tagging: "team=red" })),
      "AccessDenied",
      403,
    );
    // No tags, no s3:RequestObjectTag/team: StringEquals does not match.
    await expectAwsError(s3(blue).send(new PutObjectCommand({ Bucket: b, Key: "none", Body: "x" })), "AccessDenied", 403);
    await s3(blue).send(new PutObjectTaggingCommand({ Bucket: b, Key: "mine", Tagging: { TagSet: [{ Key: "team", Value: "blue" }] } }));
    await expectAwsError(
      s3(blue).send(new PutObjectTaggingCommand({ Bucket: b, Key: "mine", Tagging: { TagSet: [{ Key: "team", Value: "red" }] } })),
      "AccessDenied",
      403,
    );
    // s3:PutObject alone does not let a write carry tags.
    const putOnly = await newUser(`putonly-${n++}`, policy({ Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${b}/*` }));
    await s3(putOnly).send(new PutObjectCommand({ Bucket: b, Key: "plain", Body: "x" }));
    await expectAwsError(
      s3(putOnly).send(new PutObjectCommand({ Bucket: b, Key: "tagged", Body: "x", Tagging: "a=b" })),
      "AccessDenied",
      403,
    );
    await expectAwsError(s3(root).send(new HeadObjectCommand({ Bucket: b, Key: "tagged" })), "NotFound", 404);
  });

  it("a Deny unless s3:x-amz-server-side-encryption is AES256; the encryption is stored and echoed", async () => {
    const b = await newBucket("sse");
    await s3(root).send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: JSON.stringify(
          policy({
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::${b}/*`,
            Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } },
          }),
        ),
      }),
    );
    const put = await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "enc", Body: "x", ServerSideEncryption: "AES256" }));
    expect(put.ServerSideEncryption).toBe("AES256");
    await expectAwsError(
      s3(root).send(new PutObjectCommand({ Bucket: b, Key: "kms", Body: "x", ServerSideEncryption: "aws:kms" })),
      "AccessDenied",
      403,
    );
    // A missing key matches a negated operator: the Deny applies to a write without the header too.
    await expectAwsError(s3(root).send(new PutObjectCommand({ Bucket: b, Key: "none", Body: "x" })), "AccessDenied", 403);
    expect((await s3(root).send(new HeadObjectCommand({ Bucket: b, Key: "enc" }))).ServerSideEncryption).toBe("AES256");
  });

  it("SSE-S3 by default, aws:kms with a key stored and echoed as its ARN; a bad algorithm is InvalidArgument", async () => {
    const b = await newBucket("ssekms");
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "default", Body: "x" }));
    const head = await s3(root).send(new HeadObjectCommand({ Bucket: b, Key: "default" }));
    expect(head.ServerSideEncryption).toBe("AES256");
    const keyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const put = await s3(root).send(
      new PutObjectCommand({ Bucket: b, Key: "kms", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSKeyId: keyId }),
    );
    expect(put.ServerSideEncryption).toBe("aws:kms");
    expect(put.SSEKMSKeyId).toBe(`arn:aws:kms:us-east-1:${account}:key/${keyId}`);
    const got = await s3(root).send(new GetObjectCommand({ Bucket: b, Key: "kms" }));
    expect([got.ServerSideEncryption, got.SSEKMSKeyId]).toEqual(["aws:kms", `arn:aws:kms:us-east-1:${account}:key/${keyId}`]);
    // A copy is encrypted as its request says (SSE-S3 here), not as its source.
    const copy = await s3(root).send(new CopyObjectCommand({ Bucket: b, Key: "copy", CopySource: `${b}/kms` }));
    expect(copy.ServerSideEncryption).toBe("AES256");
    await expectAwsError(
      s3(root).send(new PutObjectCommand({ Bucket: b, Key: "bad", Body: "x", ServerSideEncryption: "ROT13" as "AES256" })),
      "InvalidArgument",
      400,
      "The encryption method specified is not supported",
    );
  });

  it("aws:ResourceTag from the bucket's tags on a bucket action (ListBucket)", async () => {
    const b = await newBucket("restag");
    const lister = await newUser(
      `lister-${n++}`,
      policy({
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "*",
        Condition: { StringEquals: { "aws:ResourceTag/env": "dev" } },
      }),
    );
    await expectAwsError(s3(lister).send(new ListObjectsV2Command({ Bucket: b })), "AccessDenied", 403);
    await s3(root).send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "env", Value: "dev" }] } }));
    expect((await s3(lister).send(new ListObjectsV2Command({ Bucket: b }))).KeyCount).toBe(0);
    await s3(root).send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "env", Value: "prod" }] } }));
    await expectAwsError(s3(lister).send(new ListObjectsV2Command({ Bucket: b })), "AccessDenied", 403);
  });
});

describe("Object Ownership", () => {
  it("BucketOwnerEnforced by default: ACLs refused; ObjectWriter takes them; delete leaves no controls", async () => {
    const b = await newBucket("own");
    const got = await s3(root).send(new GetBucketOwnershipControlsCommand({ Bucket: b }));
    expect(got.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    await expectAwsError(
      s3(root).send(new PutObjectCommand({ Bucket: b, Key: "o", Body: "x", ACL: "public-read" })),
      "AccessControlListNotSupported",
      400,
      "The bucket does not allow ACLs",
    );
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "o", Body: "x", ACL: "bucket-owner-full-control" }));
    await s3(root).send(
      new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] } }),
    );
    expect((await s3(root).send(new GetBucketOwnershipControlsCommand({ Bucket: b }))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: "ObjectWriter" },
    ]);
    await s3(root).send(new PutObjectCommand({ Bucket: b, Key: "o2", Body: "x", ACL: "public-read" }));
    const del = await s3(root).send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectAwsError(
      s3(root).send(new GetBucketOwnershipControlsCommand({ Bucket: b })),
      "OwnershipControlsNotFoundError",
      404,
      "The bucket ownership controls were not found",
    );
  });

  it("CreateBucket: an ACL with BucketOwnerEnforced is refused; with ObjectOwnership ObjectWriter it is taken", async () => {
    await expectAwsError(
      s3(root).send(new CreateBucketCommand({ Bucket: bucketName("aclb"), ACL: "public-read" })),
      "InvalidBucketAclWithObjectOwnership",
      400,
    );
    const b = bucketName("aclw");
    await s3(root).send(new CreateBucketCommand({ Bucket: b, ACL: "public-read", ObjectOwnership: "ObjectWriter" }));
    expect((await s3(root).send(new GetBucketOwnershipControlsCommand({ Bucket: b }))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: "ObjectWriter" },
    ]);
  });
});
