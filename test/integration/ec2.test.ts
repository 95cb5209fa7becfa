/**
 * EC2 (issue 16) with the real @aws-sdk/client-ec2 and the AWS CLI: instances as records with AWS's
 * state machine, filters and pagination, tags, IAM instance profile associations, the iam:PassRole
 * contract (UnauthorizedOperation naming iam:PassRole), and credentials "on the instance" through the
 * SDKs' standard container-credentials provider — the unmodified CLI v1/v2 and SDK v3 calling STS and
 * S3 as the instance's role — including the privilege-escalation lab and refusals after launch.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EC2Client,
  RunInstancesCommand,
  DescribeInstancesCommand,
  StopInstancesCommand,
  StartInstancesCommand,
  TerminateInstancesCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  AssociateIamInstanceProfileCommand,
  ReplaceIamInstanceProfileAssociationCommand,
  DisassociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  GetConsoleOutputCommand,
  type Instance,
} from "@aws-sdk/client-ec2";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { DecodeAuthorizationMessageCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import { fromContainerMetadata } from "@smithy/credential-provider-imds";
import { adminFetch, iam, sts, url, type Creds } from "../helpers/sandbox";
import { withAccount, keyCreds, type AccountFixture } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";
import { hasAwsCli } from "../helpers/aws-cli";

const ec2 = (creds: Creds) => new EC2Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
type AnyCreds = Creds | ReturnType<typeof fromHttp>;
const s3 = (creds: AnyCreds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

const EC2_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const IMAGE = "ami-0abcdef1234567890";

let a: AccountFixture;
let bucket: string;

/** A role (trusting EC2 unless told otherwise) with an inline policy, in a profile of the same name. */
async function roleInProfile(client: IAMClient, name: string, inline: string, trust = EC2_TRUST): Promise<string> {
  await client.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  await client.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: inline }));
  const p = await client.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
  return p.InstanceProfile!.Arn!;
}

async function userWith(client: IAMClient, name: string, inline: string): Promise<Creds> {
  await client.send(new CreateUserCommand({ UserName: name }));
  await client.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: inline }));
  return keyCreds((await client.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
}

async function launch(creds: Creds, extra: Partial<ConstructorParameters<typeof RunInstancesCommand>[0]> = {}): Promise<Instance[]> {
  const r = await ec2(creds).send(
    new RunInstancesCommand({ ImageId: IMAGE, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, ...extra }),
  );
  return r.Instances!;
}

/** The two values GetConsoleOutput tells a learner to export. */
async function consoleEnv(creds: Creds, instanceId: string): Promise<{ uri: string; token: string; text: string }> {
  const out = await ec2(creds).send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
  const text = Buffer.from(out.Output!, "base64").toString("utf8");
  const uri = /^export AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)$/m.exec(text)?.[1];
  const token = /^export AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)$/m.exec(text)?.[1];
  if (!uri || !token) throw new Error(`no exports in console output:\n${text}`);
  return { uri, token, text };
}

const instanceCreds = (env: { uri: string; token: string }) =>
  fromHttp({ awsContainerCredentialsFullUri: env.uri, awsContainerAuthorizationToken: env.token, maxRetries: 0 });

/** The unmodified CLI "on the instance": only the two exports, a clean HOME, no keys anywhere. */
async function cliOnInstance(bin: string, env: { uri: string; token: string }, ...args: string[]): Promise<Record<string, unknown>> {
  const home = mkdtempSync(path.join(tmpdir(), "iamlab-ec2-"));
  const { stdout } = await promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json"], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: env.uri,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: env.token,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_PAGER: "",
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

beforeAll(async () => {
  a = await withAccount();
  bucket = `ec2-lab-${Date.now().toString(36)}`;
  await s3(a.creds).send(new CreateBucketCommand({ Bucket: bucket }));
  await s3(a.creds).send(new PutObjectCommand({ Bucket: bucket, Key: "data.txt", Body: "from the bucket" }));
  // The app role reads the bucket only from an instance (ec2:SourceInstanceARN is set on instance credentials).
  await roleInProfile(
    a.iam,
    "app",
    policy({
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
      Condition: { StringLike: { "ec2:SourceInstanceARN": `arn:aws:ec2:us-east-1:${a.id}:instance/i-*` } },
    }),
  );
});

describe("instances", () => {
  it("RunInstances with a profile: ids, pending, then running with the profile on the next read", async () => {
    const [i] = await launch(a.creds, {
      IamInstanceProfile: { Name: "app" },
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "web" }] }],
    });
    expect(i!.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(i!.State).toEqual({ Code: 0, Name: "pending" });
    expect(i!.IamInstanceProfile?.Arn).toBe(`arn:aws:iam::${a.id}:instance-profile/app`);
    expect(i!.IamInstanceProfile?.Id).toMatch(/^AIPA/);
    const d = await ec2(a.creds).send(new DescribeInstancesCommand({ InstanceIds: [i!.InstanceId!] }));
    expect(d.Reservations![0]!.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(d.Reservations![0]!.OwnerId).toBe(a.id);
    const got = d.Reservations![0]!.Instances![0]!;
    expect(got.State).toEqual({ Code: 16, Name: "running" });
    expect(got.Tags).toEqual([{ Key: "Name", Value: "web" }]);
    expect(got.ImageId).toBe(IMAGE);
    expect(got.InstanceType).toBe("t3.micro");
    expect(got.PrivateIpAddress).toMatch(/^172\.31\./);
  });

  it("DescribeInstances: filters, pagination, unknown and malformed ids", async () => {
    const b = await withAccount();
    const ids: string[] = [];
    for (let n = 0; n < 7; n++) {
      const [i] = await launch(b.creds, { TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "n", Value: String(n) }] }] });
      ids.push(i!.InstanceId!);
    }
    await ec2(b.creds).send(new StopInstancesCommand({ InstanceIds: [ids[0]!] }));
    const c = ec2(b.creds);
    const byFilter = async (Name: string, Values: string[]) =>
      (await c.send(new DescribeInstancesCommand({ Filters: [{ Name, Values }] }))).Reservations!.flatMap((r) =>
        r.Instances!.map((i) => i.InstanceId),
      );
    expect(await byFilter("tag:n", ["3", "5"])).toEqual([ids[3], ids[5]]);
    expect(await byFilter("instance-state-name", ["stopped"])).toEqual([ids[0]]);
    expect((await byFilter("tag-key", ["n"])).length).toBe(7);
    expect(await byFilter("instance-id", [ids[6]!])).toEqual([ids[6]]);
    expect(await byFilter("tag:n", ["?"])).toHaveLength(7);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await c.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: token }));
      seen.push(...p.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
      token = p.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen).toEqual(ids);
    await expectAwsError(
      c.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
      "InvalidInstanceID.NotFound",
      400,
      "The instance ID 'i-0123456789abcdef0' does not exist",
    );
    await expectAwsError(
      c.send(new DescribeInstancesCommand({ InstanceIds: ["web-1"] })),
      "InvalidInstanceID.Malformed",
      400,
      'Invalid id: "web-1"',
    );
    await expectAwsError(
      c.send(new DescribeInstancesCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })),
      "InvalidParameterValue",
      400,
      "The filter 'bogus' is invalid",
    );
    // Account reset forgets the instances.
    expect((await adminFetch(`/accounts/${b.id}/reset`, { method: "POST" })).status).toBe(200);
    expect((await c.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  });

  it("stop, start, terminate: previous and current states as AWS answers them", async () => {
    const [i] = await launch(a.creds);
    const id = i!.InstanceId!;
    const c = ec2(a.creds);
    const stop = await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances).toEqual([
      { InstanceId: id, PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 64, Name: "stopping" } },
    ]);
    const again = await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(again.StoppingInstances![0]!.CurrentState).toEqual({ Code: 80, Name: "stopped" });
    const start = await c.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(start.StartingInstances![0]).toMatchObject({
      PreviousState: { Code: 80, Name: "stopped" },
      CurrentState: { Code: 0, Name: "pending" },
    });
    const term = await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances![0]).toMatchObject({
      PreviousState: { Name: "running" },
      CurrentState: { Code: 32, Name: "shutting-down" },
    });
    const d = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(d.Reservations![0]!.Instances![0]!.State).toEqual({ Code: 48, Name: "terminated" });
    await expectAwsError(
      c.send(new StartInstancesCommand({ InstanceIds: [id] })),
      "IncorrectInstanceState",
      400,
      `The instance '${id}' is not in a state from which it can be started.`,
    );
  });

  it("CreateTags / DeleteTags", async () => {
    const [i] = await launch(a.creds);
    const id = i!.InstanceId!;
    const c = ec2(a.creds);
    await c.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: "env", Value: "dev" },
          { Key: "team", Value: "a" },
        ],
      }),
    );
    await c.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "env", Value: "prod" }] }));
    const tags = async () =>
      (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.Tags ?? [];
    expect(await tags()).toEqual([
      { Key: "team", Value: "a" },
      { Key: "env", Value: "prod" },
    ]);
    await c.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "env", Value: "dev" }] })); // value differs: kept
    await c.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "team" }] }));
    expect(await tags()).toEqual([{ Key: "env", Value: "prod" }]);
    await expectAwsError(
      c.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "aws:x", Value: "1" }] })),
      "InvalidParameterValue",
      400,
    );
  });

  it("a denial is UnauthorizedOperation with an encoded message sts:DecodeAuthorizationMessage decodes", async () => {
    const [i] = await launch(a.creds);
    const id = i!.InstanceId!;
    const u = await userWith(a.iam, "describer", policy({ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }));
    const e = await expectAwsError(
      ec2(u).send(new TerminateInstancesCommand({ InstanceIds: [id] })),
      "UnauthorizedOperation",
      403,
      new RegExp(
        `^You are not authorized to perform this operation\\. User: arn:aws:iam::${a.id}:user/describer is not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:${a.id}:instance/${id} because no identity-based policy allows the ec2:TerminateInstances action\\. Encoded authorization failure message: \\S+$`,
      ),
    );
    const encoded = /Encoded authorization failure message: (\S+)$/.exec(e.message)![1]!;
    const decoded = await a.sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded }));
    const doc = JSON.parse(decoded.DecodedMessage!) as { allowed: boolean; context: { action: string; resource: string } };
    expect(doc.allowed).toBe(false);
    expect(doc.context).toMatchObject({ action: "ec2:TerminateInstances", resource: `arn:aws:ec2:us-east-1:${a.id}:instance/${id}` });
  });
});

describe("the CLI v1 and v2", () => {
  it.skipIf(!hasAwsCli)(
    "run-instances with a profile, describe-instances with a filter, associations, terminate",
    async () => {
      for (const bin of ["aws", "/usr/bin/aws"]) {
        const cli = async (...args: string[]) => {
          const { stdout } = await promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json"], {
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: mkdtempSync(path.join(tmpdir(), "iamlab-ec2-cli-")),
              AWS_ACCESS_KEY_ID: a.creds.accessKeyId,
              AWS_SECRET_ACCESS_KEY: a.creds.secretAccessKey,
              AWS_DEFAULT_REGION: "us-east-1",
              AWS_PAGER: "",
            },
          });
          return (stdout.trim() ? JSON.parse(stdout) : {}) as unknown;
        };
        const run = (await cli(
          "ec2",
          "run-instances",
          "--image-id",
          IMAGE,
          "--instance-type",
          "t3.nano",
          "--iam-instance-profile",
          "Name=app",
          "--tag-specifications",
          `ResourceType=instance,Tags=[{Key=cli,Value=${bin.length}}]`,
        )) as { Instances: { InstanceId: string; State: { Name: string } }[] };
        const id = run.Instances[0]!.InstanceId;
        expect(run.Instances[0]!.State.Name).toBe("pending");
        const d = (await cli(
          "ec2",
          "describe-instances",
          "--filters",
          `Name=tag:cli,Values=${bin.length}`,
          "Name=instance-state-name,Values=running",
        )) as {
          Reservations: { Instances: { InstanceId: string; IamInstanceProfile: { Arn: string } }[] }[];
        };
        expect(d.Reservations.flatMap((r) => r.Instances.map((i) => i.InstanceId))).toContain(id);
        const assoc = (await cli("ec2", "describe-iam-instance-profile-associations", "--filters", `Name=instance-id,Values=${id}`)) as {
          IamInstanceProfileAssociations: { AssociationId: string; State: string }[];
        };
        expect(assoc.IamInstanceProfileAssociations[0]!.State).toBe("associated");
        await cli("ec2", "disassociate-iam-instance-profile", "--association-id", assoc.IamInstanceProfileAssociations[0]!.AssociationId);
        const t = (await cli("ec2", "terminate-instances", "--instance-ids", id)) as {
          TerminatingInstances: { CurrentState: { Name: string } }[];
        };
        expect(t.TerminatingInstances[0]!.CurrentState.Name).toBe("shutting-down");
      }
    },
    90_000,
  );
});

describe("IAM instance profile associations", () => {
  it("associate, one at a time, replace, disassociate", async () => {
    await roleInProfile(a.iam, "other", policy({ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }));
    const [i] = await launch(a.creds);
    const id = i!.InstanceId!;
    const c = ec2(a.creds);
    const assoc = await c.send(new AssociateIamInstanceProfileCommand({ InstanceId: id, IamInstanceProfile: { Name: "app" } }));
    expect(assoc.IamInstanceProfileAssociation).toMatchObject({ InstanceId: id, State: "associating" });
    const assocId = assoc.IamInstanceProfileAssociation!.AssociationId!;
    expect(assocId).toMatch(/^iip-assoc-[0-9a-f]{17}$/);
    const listed = await c.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [id] }] }));
    expect(listed.IamInstanceProfileAssociations).toEqual([
      expect.objectContaining({
        AssociationId: assocId,
        State: "associated",
        IamInstanceProfile: expect.objectContaining({ Arn: `arn:aws:iam::${a.id}:instance-profile/app` }),
      }),
    ]);
    await expectAwsError(
      c.send(new AssociateIamInstanceProfileCommand({ InstanceId: id, IamInstanceProfile: { Name: "other" } })),
      "IncorrectState",
      400,
      `There is an existing association for instance ${id}`,
    );
    const rep = await c.send(
      new ReplaceIamInstanceProfileAssociationCommand({
        AssociationId: assocId,
        IamInstanceProfile: { Arn: `arn:aws:iam::${a.id}:instance-profile/other` },
      }),
    );
    const newId = rep.IamInstanceProfileAssociation!.AssociationId!;
    expect(newId).not.toBe(assocId);
    expect(rep.IamInstanceProfileAssociation!.State).toBe("associating");
    await expectAwsError(
      c.send(new ReplaceIamInstanceProfileAssociationCommand({ AssociationId: assocId, IamInstanceProfile: { Name: "app" } })),
      "IncorrectState",
      400,
      `The association ${assocId} is not the active association`,
    );
    const desc = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(desc.Reservations![0]!.Instances![0]!.IamInstanceProfile?.Arn).toBe(`arn:aws:iam::${a.id}:instance-profile/other`);
    const dis = await c.send(new DisassociateIamInstanceProfileCommand({ AssociationId: newId }));
    expect(dis.IamInstanceProfileAssociation!.State).toBe("disassociating");
    const after = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(after.Reservations![0]!.Instances![0]!.IamInstanceProfile).toBeUndefined();
    const ended = await c.send(new DescribeIamInstanceProfileAssociationsCommand({ AssociationIds: [newId] }));
    expect(ended.IamInstanceProfileAssociations![0]!.State).toBe("disassociated");
    await expectAwsError(
      c.send(new DisassociateIamInstanceProfileCommand({ AssociationId: "iip-assoc-0123456789abcdef0" })),
      "InvalidAssociationID.NotFound",
      400,
    );
  });

  it("an unknown profile is EC2's InvalidParameterValue, and nothing is launched", async () => {
    const b = await withAccount();
    await expectAwsError(
      launch(b.creds, { IamInstanceProfile: { Name: "nope" } }),
      "InvalidParameterValue",
      400,
      "Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
    );
    expect((await ec2(b.creds).send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  });
});

describe("credentials on the instance", () => {
  it("SDK v3: fromHttp and fromContainerMetadata get the role's session named after the instance, with ec2:SourceInstanceARN", async () => {
    const [i] = await launch(a.creds, { IamInstanceProfile: { Name: "app" } });
    const id = i!.InstanceId!;
    const env = await consoleEnv(a.creds, id);
    expect(env.uri).toBe(`${url()}/_iamlab/workloads/credentials`);
    const creds = await instanceCreds(env)();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    const who = await new STSClient({ endpoint: url(), region: "us-east-1", credentials: instanceCreds(env), maxAttempts: 1 }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(who.Arn).toBe(`arn:aws:sts::${a.id}:assumed-role/app/${id}`);
    // The role's policy needs ec2:SourceInstanceARN: only instance credentials carry it.
    const got = await s3(instanceCreds(env)).send(new GetObjectCommand({ Bucket: bucket, Key: "data.txt" }));
    expect(await got.Body!.transformToString()).toBe("from the bucket");
    // Warm fetches reuse the session until shortly before it expires.
    expect((await instanceCreds(env)()).accessKeyId).toBe(creds.accessKeyId);
    // The other provider of the default chain, from the environment.
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = env.uri;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = env.token;
    try {
      const viaImds = await fromContainerMetadata({ maxRetries: 0 })();
      expect(viaImds.accessKeyId).toBe(creds.accessKeyId);
    } finally {
      delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
      delete process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    }
  });

  it.skipIf(!hasAwsCli)(
    "the unmodified CLI v1 and v2 on the instance: sts get-caller-identity and an S3 read as the role",
    async () => {
      const [i] = await launch(a.creds, { IamInstanceProfile: { Name: "app" } });
      const id = i!.InstanceId!;
      const env = await consoleEnv(a.creds, id);
      for (const bin of ["aws", "/usr/bin/aws"]) {
        const who = await cliOnInstance(bin, env, "sts", "get-caller-identity");
        expect(who.Arn).toBe(`arn:aws:sts::${a.id}:assumed-role/app/${id}`);
        const obj = await cliOnInstance(bin, env, "s3api", "head-object", "--bucket", bucket, "--key", "data.txt");
        expect(obj.ContentLength).toBe(15);
      }
    },
    90_000,
  );

  it("a removed role, a trust policy without EC2, a stopped or terminated instance: the endpoint refuses, the SDK surfaces it", async () => {
    await roleInProfile(a.iam, "fragile", policy({ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }));
    const [i] = await launch(a.creds, { IamInstanceProfile: { Name: "fragile" } });
    const id = i!.InstanceId!;
    const env = await consoleEnv(a.creds, id);
    await instanceCreds(env)();
    const refusal = async () => {
      const r = await fetch(env.uri, { headers: { authorization: env.token } });
      return { status: r.status, body: (await r.json()) as { Code: string; Message: string } };
    };
    // The trust policy no longer lets EC2 assume the role: honoured on the next fetch (the launch itself succeeded).
    await a.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "fragile",
        PolicyDocument: policy({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }),
      }),
    );
    expect(await refusal()).toMatchObject({ status: 403, body: { Code: "AssumeRoleUnauthorizedAccess" } });
    await expect(instanceCreds(env)()).rejects.toMatchObject({ Code: "AssumeRoleUnauthorizedAccess" });
    await a.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "fragile", PolicyDocument: EC2_TRUST }));
    expect((await instanceCreds(env)()).accessKeyId).toMatch(/^ASIA/);
    // The role removed from the profile.
    await a.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "fragile", RoleName: "fragile" }));
    expect(await refusal()).toMatchObject({ status: 404, body: { Code: "NotFound" } });
    await a.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "fragile", RoleName: "fragile" }));
    await ec2(a.creds).send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(await refusal()).toMatchObject({ status: 409, body: { Code: "IncorrectInstanceState" } });
    await ec2(a.creds).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(await refusal()).toMatchObject({ status: 404, body: { Code: "InvalidInstanceID.NotFound" } });
    // A forged or missing token.
    const forged = await fetch(env.uri, { headers: { authorization: `${env.token.slice(0, -2)}AA` } });
    expect(forged.status).toBe(403);
    expect((await fetch(env.uri)).status).toBe(403);
  });
});

describe("the PassRole contract: the privilege-escalation lab", () => {
  it("ec2:RunInstances + iam:PassRole on * launches with an admin role and gets admin credentials; PassRole scoped to one role stops it", async () => {
    const lab = await withAccount();
    await roleInProfile(lab.iam, "admin", policy({ Effect: "Allow", Action: "*", Resource: "*" }));
    await roleInProfile(lab.iam, "worker", policy({ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }));
    const launcher = policy(
      { Effect: "Allow", Action: ["ec2:RunInstances", "ec2:GetConsoleOutput", "ec2:Describe*"], Resource: "*" },
      { Effect: "Allow", Action: "iam:PassRole", Resource: "*" },
    );
    const dev = await userWith(lab.iam, "dev", launcher);
    // dev cannot create users…
    await expectAwsError(iam(dev).send(new CreateUserCommand({ UserName: "backdoor" })), "AccessDenied", 403);
    // …but can launch an instance with the admin role and act as it.
    const [i] = await launch(dev, { IamInstanceProfile: { Name: "admin" } });
    const env = await consoleEnv(dev, i!.InstanceId!);
    const asInstance = new IAMClient({ endpoint: url(), region: "us-east-1", credentials: instanceCreds(env), maxAttempts: 1 });
    const made = await asInstance.send(new CreateUserCommand({ UserName: "backdoor" }));
    expect(made.User!.UserName).toBe("backdoor");

    const scoped = await userWith(
      lab.iam,
      "dev2",
      policy(
        { Effect: "Allow", Action: ["ec2:RunInstances", "ec2:Describe*"], Resource: "*" },
        { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${lab.id}:role/worker` },
      ),
    );
    const before = (await ec2(lab.creds).send(new DescribeInstancesCommand({}))).Reservations!.length;
    const e = await expectAwsError(
      launch(scoped, { IamInstanceProfile: { Name: "admin" } }),
      "UnauthorizedOperation",
      403,
      new RegExp(
        `^You are not authorized to perform this operation\\. User: arn:aws:iam::${lab.id}:user/dev2 is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${lab.id}:role/admin because no identity-based policy allows the iam:PassRole action\\. Encoded authorization failure message: \\S+$`,
      ),
    );
    const encoded = /Encoded authorization failure message: (\S+)$/.exec(e.message)![1]!;
    const decoded = JSON.parse(
      (await sts(lab.creds).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded }))).DecodedMessage!,
    ) as { context: { action: string; conditions: { items: { key: string; values: { items: { value: string }[] } }[] } } };
    expect(decoded.context.action).toBe("iam:PassRole");
    expect(JSON.stringify(decoded.context)).toContain("ec2.amazonaws.com");
    // Nothing was launched; the role it may pass works.
    expect((await ec2(lab.creds).send(new DescribeInstancesCommand({}))).Reservations!.length).toBe(before);
    const [w] = await launch(scoped, { IamInstanceProfile: { Name: "worker" } });
    expect(w!.IamInstanceProfile?.Arn).toBe(`arn:aws:iam::${lab.id}:instance-profile/worker`);
    // Associating the admin profile later is the same PassRole check.
    const assocUser = await userWith(
      lab.iam,
      "dev3",
      policy(
        { Effect: "Allow", Action: ["ec2:AssociateIamInstanceProfile", "ec2:Describe*"], Resource: "*" },
        { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${lab.id}:role/worker` },
      ),
    );
    const [bare] = await launch(lab.creds);
    await expectAwsError(
      ec2(assocUser).send(new AssociateIamInstanceProfileCommand({ InstanceId: bare!.InstanceId!, IamInstanceProfile: { Name: "admin" } })),
      "UnauthorizedOperation",
      403,
      /iam:PassRole on resource: arn:aws:iam::\d{12}:role\/admin/,
    );
  });
});
