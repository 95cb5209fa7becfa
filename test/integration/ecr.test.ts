/**
 * ECR (issue 17, first slice): repositories, repository policies, images as data, authorization
 * tokens — driven by aws-sdk v2's ECR client (@aws-sdk/client-ecr is not installed), the AWS CLI
 * (v1 on PATH, v2 at /usr/bin/aws) and hand-signed JSON requests; and seed 004's lab: a repository of
 * account A shared with accounts B and C through `arn:aws:iam::B:root`, B's identity policies then
 * deciding which of B's users and roles may pull.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import AWS from "aws-sdk";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { accountCreds, createAccount, iam, rawSigned, sts, url, type Creds } from "../helpers/sandbox";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";

const ecr = (creds: Creds, region = "us-east-1") =>
  new AWS.ECR({ endpoint: url(), region, credentials: new AWS.Credentials(creds), maxRetries: 0 });

type V2Error = { code: string; statusCode: number; message: string };
async function expectEcrError(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<V2Error> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${code}, got success`);
    },
    (err: unknown) => err as V2Error,
  );
  expect({ code: e.code, status: e.statusCode }).toEqual({ code, status: code === "AccessDeniedException" ? 403 : 400 });
  if (typeof message === "string") expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
  return e;
}

let n = 0;
const repoName = (what: string) => `t${Date.now().toString(36)}-${(n++).toString(36)}/${what}`;

const manifest = (layer: string, size = 1234) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 100, digest: `sha256:${"c".repeat(64)}` },
    layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size, digest: `sha256:${layer.repeat(64)}` }],
  });

const sha256 = async (s: string) =>
  `sha256:${Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))).toString("hex")}`;

async function newUser(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

const allowAll = (action: string | string[]) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: "*" }],
});

/** A hand-signed ECR call (JSON 1.1), for the response headers the SDK hides. */
const ecrRaw = (creds: Creds, op: string, body: object) =>
  rawSigned(
    {},
    {
      service: "ecr",
      creds,
      body: JSON.stringify(body),
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AmazonEC2ContainerRegistry_V20150921.${op}` },
    },
  );

let rootA: Creds;
let A: string;

beforeAll(async () => {
  const a = await createAccount();
  rootA = accountCreds(a);
  A = a.accountId;
});

describe("repositories", () => {
  it("creates, describes (by name, paged), refuses a second of the same name, deletes", async () => {
    const name = repoName("app");
    const created = await ecr(rootA)
      .createRepository({ repositoryName: name, imageTagMutability: "IMMUTABLE", tags: [{ Key: "team", Value: "a" }] })
      .promise();
    expect(created.repository).toMatchObject({
      repositoryArn: `arn:aws:ecr:us-east-1:${A}:repository/${name}`,
      registryId: A,
      repositoryName: name,
      repositoryUri: `${A}.dkr.ecr.us-east-1.amazonaws.com/${name}`,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: "AES256" },
    });
    expect(created.repository!.createdAt).toBeInstanceOf(Date);
    await expectEcrError(
      ecr(rootA).createRepository({ repositoryName: name }).promise(),
      "RepositoryAlreadyExistsException",
      `The repository with name '${name}' already exists in the registry with id '${A}'`,
    );
    const byName = await ecr(rootA)
      .describeRepositories({ repositoryNames: [name] })
      .promise();
    expect(byName.repositories!.map((r) => r.repositoryName)).toEqual([name]);
    const tags = await ecr(rootA).listTagsForResource({ resourceArn: created.repository!.repositoryArn! }).promise();
    expect(tags.tags).toEqual([{ Key: "team", Value: "a" }]);

    // A region of its own: repositories are regional.
    const other = await ecr(rootA, "eu-west-3").describeRepositories({}).promise();
    expect(other.repositories!.map((r) => r.repositoryName)).not.toContain(name);

    await ecr(rootA).deleteRepository({ repositoryName: name }).promise();
    await expectEcrError(
      ecr(rootA)
        .describeRepositories({ repositoryNames: [name] })
        .promise(),
      "RepositoryNotFoundException",
      `The repository with name '${name}' does not exist in the registry with id '${A}'`,
    );
  });

  it("pages DescribeRepositories with maxResults and nextToken", async () => {
    const acct = await createAccount();
    const c = ecr(accountCreds(acct));
    for (const x of ["r-a", "r-b", "r-c"]) await c.createRepository({ repositoryName: x }).promise();
    const p1 = await c.describeRepositories({ maxResults: 2 }).promise();
    expect(p1.repositories!.map((r) => r.repositoryName)).toEqual(["r-a", "r-b"]);
    const p2 = await c.describeRepositories({ maxResults: 2, nextToken: p1.nextToken! }).promise();
    expect(p2.repositories!.map((r) => r.repositoryName)).toEqual(["r-c"]);
    expect(p2.nextToken).toBeUndefined();
  });

  it("refuses invalid names with AWS's pattern message, and unknown repositories", async () => {
    await expectEcrError(
      ecr(rootA).createRepository({ repositoryName: "Upper/Case" }).promise(),
      "InvalidParameterException",
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
    );
    await expectEcrError(
      ecr(rootA).createRepository({ repositoryName: "a" }).promise(),
      "InvalidParameterException",
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'",
    );
    await expectEcrError(ecr(rootA).deleteRepository({ repositoryName: "no-such-repo" }).promise(), "RepositoryNotFoundException");
    await expectEcrError(ecr(rootA).getRepositoryPolicy({ repositoryName: "no-such-repo" }).promise(), "RepositoryNotFoundException");
    await expectEcrError(ecr(rootA).listImages({ repositoryName: "no-such-repo" }).promise(), "RepositoryNotFoundException");
  });

  it("keeps a repository with images unless forced", async () => {
    const name = repoName("full");
    await ecr(rootA).createRepository({ repositoryName: name }).promise();
    await ecr(rootA)
      .putImage({ repositoryName: name, imageManifest: manifest("a"), imageTag: "v1" })
      .promise();
    await expectEcrError(
      ecr(rootA).deleteRepository({ repositoryName: name }).promise(),
      "RepositoryNotEmptyException",
      `The repository with name '${name}' in registry with id '${A}' cannot be deleted because it still contains images`,
    );
    await ecr(rootA).deleteRepository({ repositoryName: name, force: true }).promise();
    // Recreated, it starts empty.
    await ecr(rootA).createRepository({ repositoryName: name }).promise();
    expect((await ecr(rootA).listImages({ repositoryName: name }).promise()).imageIds).toEqual([]);
  });
});

describe("images", () => {
  it("puts a manifest, digests it, gets it by tag and digest, lists, describes and deletes", async () => {
    const name = repoName("img");
    const c = ecr(rootA);
    await c.createRepository({ repositoryName: name }).promise();
    const m = manifest("a", 5000);
    const digest = await sha256(m);
    const put = await c.putImage({ repositoryName: name, imageManifest: m, imageTag: "v1" }).promise();
    expect(put.image).toEqual({
      registryId: A,
      repositoryName: name,
      imageId: { imageDigest: digest, imageTag: "v1" },
      imageManifest: m,
      imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
    });
    await expectEcrError(
      c.putImage({ repositoryName: name, imageManifest: m, imageTag: "v1" }).promise(),
      "ImageAlreadyExistsException",
      `Image with digest '${digest}' and tag 'v1' already exists in the repository with name '${name}' in registry with id '${A}'`,
    );
    // Mutable: a tag moves; a second tag of the same image.
    const m2 = manifest("b");
    const d2 = await sha256(m2);
    await c.putImage({ repositoryName: name, imageManifest: m2, imageTag: "latest" }).promise();
    await c.putImage({ repositoryName: name, imageManifest: m, imageTag: "latest" }).promise();

    const got = await c
      .batchGetImage({ repositoryName: name, imageIds: [{ imageTag: "v1" }, { imageDigest: d2 }, { imageTag: "nope" }] })
      .promise();
    expect(got.images!.map((x) => x.imageId)).toEqual([{ imageDigest: digest, imageTag: "v1" }, { imageDigest: d2 }]);
    expect(got.images![0]!.imageManifest).toBe(m);
    expect(got.failures).toEqual([
      { imageId: { imageTag: "nope" }, failureCode: "ImageNotFound", failureReason: "Requested image not found" },
    ]);

    const listed = await c.listImages({ repositoryName: name }).promise();
    expect(listed.imageIds).toEqual([
      { imageDigest: digest, imageTag: "latest" },
      { imageDigest: digest, imageTag: "v1" },
      { imageDigest: d2 },
    ]);
    const untagged = await c.listImages({ repositoryName: name, filter: { tagStatus: "UNTAGGED" } }).promise();
    expect(untagged.imageIds).toEqual([{ imageDigest: d2 }]);
    const described = await c.describeImages({ repositoryName: name, imageIds: [{ imageTag: "v1" }] }).promise();
    expect(described.imageDetails![0]).toMatchObject({ imageDigest: digest, imageTags: ["latest", "v1"], imageSizeInBytes: 5100 });

    const layers = await c
      .batchCheckLayerAvailability({ repositoryName: name, layerDigests: [`sha256:${"a".repeat(64)}`, `sha256:${"9".repeat(64)}`] })
      .promise();
    expect(layers.layers).toEqual([
      {
        layerDigest: `sha256:${"a".repeat(64)}`,
        layerAvailability: "AVAILABLE",
        layerSize: 5000,
        mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
      },
    ]);
    expect(layers.failures![0]).toMatchObject({ layerDigest: `sha256:${"9".repeat(64)}`, failureCode: "MissingLayerDigest" });

    // Removing one tag keeps the image; removing the last one deletes it.
    const del1 = await c.batchDeleteImage({ repositoryName: name, imageIds: [{ imageTag: "latest" }] }).promise();
    expect(del1.imageIds).toEqual([{ imageDigest: digest, imageTag: "latest" }]);
    await c.batchDeleteImage({ repositoryName: name, imageIds: [{ imageTag: "v1" }, { imageDigest: d2 }] }).promise();
    expect((await c.listImages({ repositoryName: name }).promise()).imageIds).toEqual([]);
  });

  it("keeps immutable tags, refuses oversize manifests and wrong digests", async () => {
    const name = repoName("immutable");
    const c = ecr(rootA);
    await c.createRepository({ repositoryName: name, imageTagMutability: "IMMUTABLE" }).promise();
    await c.putImage({ repositoryName: name, imageManifest: manifest("a"), imageTag: "v1" }).promise();
    await expectEcrError(
      c.putImage({ repositoryName: name, imageManifest: manifest("b"), imageTag: "v1" }).promise(),
      "ImageTagAlreadyExistsException",
    );
    await expectEcrError(
      c.putImage({ repositoryName: name, imageManifest: manifest("b"), imageDigest: `sha256:${"0".repeat(64)}` }).promise(),
      "ImageDigestDoesNotMatchException",
    );
    const big = JSON.stringify({ schemaVersion: 2, pad: "x".repeat(4 * 1024 * 1024) });
    await expectEcrError(
      c.putImage({ repositoryName: name, imageManifest: big }).promise(),
      "InvalidParameterException",
      "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'must have length less than or equal to 4194304'",
    );
    await expectEcrError(c.putImage({ repositoryName: name, imageManifest: "not json" }).promise(), "InvalidParameterException");
  });
});

describe("repository policies", () => {
  it("sets, gets and deletes a policy; validates it with AWS's messages", async () => {
    const name = repoName("policy");
    const c = ecr(rootA);
    await c.createRepository({ repositoryName: name }).promise();
    await expectEcrError(
      c.getRepositoryPolicy({ repositoryName: name }).promise(),
      "RepositoryPolicyNotFoundException",
      `Repository policy does not exist for the repository with name '${name}' in the registry with id '${A}'`,
    );
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "pull", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: ["ecr:BatchGetImage"] }],
    });
    const set = await c.setRepositoryPolicy({ repositoryName: name, policyText: policy }).promise();
    expect(set).toEqual({ registryId: A, repositoryName: name, policyText: policy });
    expect((await c.getRepositoryPolicy({ repositoryName: name }).promise()).policyText).toBe(policy);

    const invalid = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
    const withResource = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "ecr:BatchGetImage", Resource: "*" }],
    });
    await expectEcrError(
      c.setRepositoryPolicy({ repositoryName: name, policyText: withResource }).promise(),
      "InvalidParameterException",
      invalid,
    );
    await expectEcrError(c.setRepositoryPolicy({ repositoryName: name, policyText: "{" }).promise(), "InvalidParameterException", invalid);
    const ghost = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:user/ghost` }, Action: "ecr:BatchGetImage" }],
    });
    await expectEcrError(
      c.setRepositoryPolicy({ repositoryName: name, policyText: ghost }).promise(),
      "InvalidParameterException",
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'",
    );
    const huge = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "x".repeat(10300), Effect: "Allow", Principal: "*", Action: "ecr:BatchGetImage" }],
    });
    await expectEcrError(c.setRepositoryPolicy({ repositoryName: name, policyText: huge }).promise(), "InvalidParameterException", /10240/);
    // The stored policy is unchanged by the refused ones.
    expect((await c.getRepositoryPolicy({ repositoryName: name }).promise()).policyText).toBe(policy);

    const deleted = await c.deleteRepositoryPolicy({ repositoryName: name }).promise();
    expect(deleted.policyText).toBe(policy);
    await expectEcrError(c.deleteRepositoryPolicy({ repositoryName: name }).promise(), "RepositoryPolicyNotFoundException");
  });

  it("same account: identity ecr:* is stopped by the repository policy's explicit Deny", async () => {
    const name = repoName("deny");
    await ecr(rootA).createRepository({ repositoryName: name }).promise();
    const dev = await newUser(rootA, `dev-${Date.now().toString(36)}`, allowAll("ecr:*"));
    await ecr(dev)
      .putImage({ repositoryName: name, imageManifest: manifest("a"), imageTag: "v1" })
      .promise();
    await ecr(rootA)
      .setRepositoryPolicy({
        repositoryName: name,
        policyText: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "NoPush", Effect: "Deny", Principal: "*", Action: "ecr:PutImage" }],
        }),
      })
      .promise();
    const e = await expectEcrError(
      ecr(dev)
        .putImage({ repositoryName: name, imageManifest: manifest("b"), imageTag: "v2" })
        .promise(),
      "AccessDeniedException",
    );
    expect(e.message).toContain("with an explicit deny in a resource-based policy");
    // Pulls are untouched.
    expect(
      (
        await ecr(dev)
          .batchGetImage({ repositoryName: name, imageIds: [{ imageTag: "v1" }] })
          .promise()
      ).images,
    ).toHaveLength(1);
  });

  it("gives an authorization token: base64 of AWS:<password>, 12 hours, the registry's endpoint", async () => {
    const t = await ecr(rootA).getAuthorizationToken({}).promise();
    const d = t.authorizationData![0]!;
    expect(Buffer.from(d.authorizationToken!, "base64").toString()).toMatch(/^AWS:.+/);
    expect(d.proxyEndpoint).toBe(`https://${A}.dkr.ecr.us-east-1.amazonaws.com`);
    expect(Math.abs(d.expiresAt!.getTime() - Date.now() - 12 * 3600_000)).toBeLessThan(10 * 60_000);
  });
});

describe("seed 004: a repository of A shared with B and C through B.root, B's identity policies delegate", () => {
  let B: string;
  let C: string;
  let rootB: Creds;
  let rootC: Creds;
  let puller: Creds;
  let nobody: Creds;
  let outsider: Creds;
  const name = `shared-${Date.now().toString(36)}/app`;

  beforeAll(async () => {
    const [b, cc, d] = await Promise.all([createAccount(), createAccount(), createAccount()]);
    B = b.accountId;
    C = cc.accountId;
    rootB = accountCreds(b);
    rootC = accountCreds(cc);
    await ecr(rootA).createRepository({ repositoryName: name }).promise();
    await ecr(rootA)
      .putImage({ repositoryName: name, imageManifest: manifest("e"), imageTag: "v1" })
      .promise();
    await ecr(rootA)
      .setRepositoryPolicy({
        repositoryName: name,
        policyText: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CrossAccountPull",
              Effect: "Allow",
              // By using root, the IAM policies of these two accounts delegate further to their roles.
              Principal: { AWS: [`arn:aws:iam::${B}:root`, `arn:aws:iam::${C}:root`] },
              Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            },
          ],
        }),
      })
      .promise();
    const pull = allowAll(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]);
    puller = await newUser(rootB, "puller", pull);
    nobody = await newUser(rootB, "nobody");
    outsider = await newUser(accountCreds(d), "outsider", allowAll("ecr:*"));
  });

  const pullV1 = (creds: Creds) =>
    ecr(creds)
      .batchGetImage({ registryId: A, repositoryName: name, imageIds: [{ imageTag: "v1" }] })
      .promise();

  it("a user of B with an identity policy pulls; so does C's root", async () => {
    expect((await pullV1(puller)).images![0]!.imageId!.imageTag).toBe("v1");
    expect((await pullV1(rootC)).images).toHaveLength(1);
  });

  it("a role of B with the identity policy pulls", async () => {
    await iam(rootB).send(
      new CreateRoleCommand({
        RoleName: "ecs-task",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    await iam(rootB).send(
      new PutRolePolicyCommand({ RoleName: "ecs-task", PolicyName: "pull", PolicyDocument: JSON.stringify(allowAll("ecr:BatchGetImage")) }),
    );
    // Roles are not assumed by a root user: a user of B assumes it.
    const deployer = await newUser(rootB, "deployer", allowAll("sts:AssumeRole"));
    const s = await sts(deployer).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${B}:role/ecs-task`, RoleSessionName: "task" }));
    const role = {
      accessKeyId: s.Credentials!.AccessKeyId!,
      secretAccessKey: s.Credentials!.SecretAccessKey!,
      sessionToken: s.Credentials!.SessionToken!,
    };
    expect((await pullV1(role)).images).toHaveLength(1);
    // The repository policy grants pulls only: pushing stays A's.
    await expectEcrError(
      ecr(role)
        .putImage({ registryId: A, repositoryName: name, imageManifest: manifest("f") })
        .promise(),
      "AccessDeniedException",
    );
  });

  it("a user of B without an identity policy is denied, with the explanation's decision id", async () => {
    await expectEcrError(
      pullV1(nobody),
      "AccessDeniedException",
      `User: arn:aws:iam::${B}:user/nobody is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:${A}:repository/${name} because no identity-based policy allows the ecr:BatchGetImage action`,
    );
    const raw = await ecrRaw(nobody, "BatchGetImage", { registryId: A, repositoryName: name, imageIds: [{ imageTag: "v1" }] });
    expect(raw.status).toBe(403);
    expect(JSON.parse(raw.text).__type).toMatch(/AccessDeniedException/);
    expect(raw.headers.get("x-iamlab-decision-id")).toBeTruthy();
  });

  it("account D, which the policy does not name, is denied even with an identity policy", async () => {
    const e = await expectEcrError(pullV1(outsider), "AccessDeniedException");
    expect(e.message).toContain("because no resource-based policy allows the ecr:BatchGetImage action");
  });

  it("C's root cannot describe A's repository: the policy grants pulls only", async () => {
    await expectEcrError(
      ecr(rootC)
        .describeRepositories({ registryId: A, repositoryNames: [name] })
        .promise(),
      "AccessDeniedException",
    );
  });

  it("B cannot list A's images: the policy does not grant ecr:ListImages", async () => {
    await expectEcrError(ecr(puller).listImages({ registryId: A, repositoryName: name }).promise(), "AccessDeniedException");
  });
});

const hasV2 = spawnSync("/usr/bin/aws", ["--version"], { stdio: "ignore" }).status === 0;

describe.skipIf(!hasAwsCli)("the AWS CLI", () => {
  it("v1: create-repository, put-image, batch-get-image", async () => {
    const name = repoName("cli");
    const created = await awsCli<{ repository: { repositoryUri: string } }>(rootA, "ecr", "create-repository", "--repository-name", name);
    expect(created.repository.repositoryUri).toBe(`${A}.dkr.ecr.us-east-1.amazonaws.com/${name}`);
    const m = manifest("d");
    await awsCli(rootA, "ecr", "put-image", "--repository-name", name, "--image-tag", "v1", "--image-manifest", m);
    const got = await awsCli<{ images: { imageManifest: string }[] }>(
      rootA,
      "ecr",
      "batch-get-image",
      "--repository-name",
      name,
      "--image-ids",
      "imageTag=v1",
    );
    expect(got.images[0]!.imageManifest).toBe(m);
  });

  it.skipIf(!hasV2)("v2: get-login-password prints the password of the token", async () => {
    const { stdout } = await promisify(execFile)(
      "/usr/bin/aws",
      ["ecr", "get-login-password", "--endpoint-url", url(), "--region", "us-east-1"],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: rootA.accessKeyId,
          AWS_SECRET_ACCESS_KEY: rootA.secretAccessKey,
          AWS_PAGER: "",
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        },
      },
    );
    expect(stdout.trim().length).toBeGreaterThan(20);
  });
});
