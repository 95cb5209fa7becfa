/**
 * Lambda (issue 16) through @aws-sdk/client-lambda and the AWS CLIs: functions with packages in R2,
 * the PassRole contract, function policies (AddPermission's statements), tags, and Invoke running
 * the package's iamlab.json program as the execution role — seed 001's "a function in account A
 * reads a bucket in account B" end to end, with the failing call's explanation.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { adminFetch, accountCreds, createAccount, iam, url, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { serviceTrust } from "../helpers/documents";
import { lambdaZip, makeZip } from "../helpers/zip";

const lambda = (creds: Creds) => new LambdaClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;
let n = 0;
const uniq = (what: string) => `${what}-${Date.now().toString(36)}${(n++).toString(36)}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const payload = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

async function role(root: Creds, name: string, trustService: string, policy?: object): Promise<string> {
  const r = await iam(root).send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: serviceTrust(trustService) }));
  if (policy) await iam(root).send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  return r.Role!.Arn!;
}

async function user(root: Creds, name: string, policy?: object): Promise<Creds> {
  await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

function create(creds: Creds, name: string, roleArn: string, zip: Uint8Array = lambdaZip(), extra: object = {}) {
  return lambda(creds).send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: roleArn,
      Code: { ZipFile: zip },
      ...extra,
    }),
  );
}

let basicRole: string;

beforeAll(async () => {
  const a = await createAccount();
  rootA = accountCreds(a);
  accountA = a.accountId;
  const b = await createAccount();
  rootB = accountCreds(b);
  accountB = b.accountId;
  basicRole = await role(rootA, "basic-exec", "lambda.amazonaws.com");
});

describe("functions", () => {
  it("CreateFunction answers the configuration as AWS does; Get, List, Update, Delete", async () => {
    const name = uniq("fn");
    const zip = lambdaZip();
    const created = await create(rootA, name, basicRole, zip, { Environment: { Variables: { A: "1" } }, Tags: { team: "x" } });
    const { createHash } = await import("node:crypto");
    expect(created).toMatchObject({
      FunctionName: name,
      FunctionArn: `arn:aws:lambda:us-east-1:${accountA}:function:${name}`,
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: basicRole,
      CodeSize: zip.length,
      CodeSha256: createHash("sha256").update(zip).digest("base64"),
      Timeout: 3,
      MemorySize: 128,
      Version: "$LATEST",
      State: "Active",
      PackageType: "Zip",
      Environment: { Variables: { A: "1" } },
    });
    expect(created.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(created.$metadata.httpStatusCode).toBe(201);

    const got = await lambda(rootA).send(new GetFunctionCommand({ FunctionName: name }));
    expect(got.Configuration?.RevisionId).toBe(created.RevisionId);
    expect(got.Tags).toEqual({ team: "x" });
    expect(got.Code?.RepositoryType).toBe("S3");
    // Code.Location: a signed URL on the sandbox that serves the package, like AWS's presigned one.
    const dl = await fetch(got.Code!.Location!);
    expect(dl.status).toBe(200);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(zip);
    const forged = new URL(got.Code!.Location!);
    forged.searchParams.set("signature", "0".repeat(64));
    expect((await fetch(forged)).status).toBe(403);

    await expectAwsError(create(rootA, name, basicRole), "ResourceConflictException", 409, `Function already exist: ${name}`);

    const updated = await lambda(rootA).send(
      new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 30, Description: "d", Environment: { Variables: {} } }),
    );
    expect(updated).toMatchObject({ Timeout: 30, Description: "d" });
    expect(updated.Environment).toBeUndefined();
    expect(updated.RevisionId).not.toBe(created.RevisionId);
    await expectAwsError(
      lambda(rootA).send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 5, RevisionId: created.RevisionId })),
      "PreconditionFailedException",
      412,
    );

    const zip2 = lambdaZip({ calls: [{ service: "sts", action: "GetCallerIdentity" }] }, true);
    const code = await lambda(rootA).send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }));
    expect(code.CodeSize).toBe(zip2.length);
    expect(code.CodeSha256).toBe(createHash("sha256").update(zip2).digest("base64"));
    // The old package's URL no longer serves (its R2 object is dropped behind the response).
    const byArn = await lambda(rootA).send(new GetFunctionConfigurationCommand({ FunctionName: code.FunctionArn }));
    expect(byArn.CodeSha256).toBe(code.CodeSha256);

    await lambda(rootA).send(new DeleteFunctionCommand({ FunctionName: name }));
    await expectAwsError(
      lambda(rootA).send(new GetFunctionCommand({ FunctionName: name })),
      "ResourceNotFoundException",
      404,
      `Function not found: arn:aws:lambda:us-east-1:${accountA}:function:${name}`,
    );
    await expectAwsError(lambda(rootA).send(new DeleteFunctionCommand({ FunctionName: name })), "ResourceNotFoundException", 404);
  });

  it("ListFunctions pages with Marker / MaxItems", async () => {
    const acct = await createAccount();
    const root = accountCreds(acct);
    const r = await role(root, "exec", "lambda.amazonaws.com");
    for (const name of ["c", "a", "b"]) await create(root, `fn-${name}`, r);
    const p1 = await lambda(root).send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(p1.Functions?.map((f) => f.FunctionName)).toEqual(["fn-a", "fn-b"]);
    expect(p1.NextMarker).toBeTruthy();
    const p2 = await lambda(root).send(new ListFunctionsCommand({ MaxItems: 2, Marker: p1.NextMarker }));
    expect(p2.Functions?.map((f) => f.FunctionName)).toEqual(["fn-c"]);
    expect(p2.NextMarker).toBeUndefined();
  });

  it("tags: TagResource, UntagResource, ListTags by ARN", async () => {
    const f = await create(rootA, uniq("tags"), basicRole);
    await lambda(rootA).send(new TagResourceCommand({ Resource: f.FunctionArn, Tags: { a: "1", b: "2" } }));
    await lambda(rootA).send(new UntagResourceCommand({ Resource: f.FunctionArn, TagKeys: ["a"] }));
    expect((await lambda(rootA).send(new ListTagsCommand({ Resource: f.FunctionArn }))).Tags).toEqual({ b: "2" });
  });
});

describe("code from S3", () => {
  it("S3Bucket/S3Key is read as the caller (s3:GetObject); S3's error is reported as Lambda reports it", async () => {
    const bucket = uniq("code").toLowerCase();
    const zip = lambdaZip({ calls: [{ service: "sts", action: "GetCallerIdentity" }] });
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(rootA).send(new PutObjectCommand({ Bucket: bucket, Key: "fn.zip", Body: zip }));
    const fromS3 = (c: Creds, key = "fn.zip") =>
      lambda(c).send(
        new CreateFunctionCommand({
          FunctionName: uniq("s3code"),
          Runtime: "nodejs20.x",
          Handler: "index.handler",
          Role: basicRole,
          Code: { S3Bucket: bucket, S3Key: key },
        }),
      );
    const made = await fromS3(rootA);
    expect(made.CodeSize).toBe(zip.length);
    await expectAwsError(
      fromS3(rootA, "missing.zip"),
      "InvalidParameterValueException",
      400,
      "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
    );
    const dev = await user(rootA, uniq("nos3"), {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "lambda:*", Resource: "*" },
        { Effect: "Allow", Action: "iam:PassRole", Resource: basicRole },
      ],
    });
    await expectAwsError(
      fromS3(dev),
      "InvalidParameterValueException",
      400,
      /^Error occurred while GetObject\. S3 Error Code: AccessDenied\./,
    );
  });
});

describe("asynchronous invocation", () => {
  it("InvocationType Event answers 202 and runs the program behind the response", async () => {
    const bucket = uniq("event").toLowerCase();
    await s3(rootA).send(new CreateBucketCommand({ Bucket: bucket }));
    const writer = await role(rootA, uniq("writer"), "lambda.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/*` }],
    });
    const name = uniq("writer-fn");
    await create(
      rootA,
      name,
      writer,
      lambdaZip({
        calls: [{ service: "s3", action: "PutObject", params: { Bucket: bucket, Key: "${event.key}", Body: "${event.text}" } }],
      }),
    );
    const out = await lambda(rootA).send(
      new InvokeCommand({ FunctionName: name, InvocationType: "Event", Payload: payload({ key: "k", text: "written by the role" }) }),
    );
    expect(out.StatusCode).toBe(202);
    let body: string | undefined;
    for (let i = 0; i < 50 && body === undefined; i++) {
      body = await s3(rootA)
        .send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))
        .then((r) => r.Body!.transformToString())
        .catch(() => undefined);
      if (body === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe("written by the role");
  });
});

describe("bad input: AWS's errors, nothing stored", () => {
  it("a package over 50 MiB is RequestEntityTooLargeException (413)", async () => {
    const big = makeZip([{ name: "big.bin", data: new Uint8Array(51 * 1024 * 1024) }]);
    await expectAwsError(
      create(rootA, uniq("big"), basicRole, big),
      "RequestEntityTooLargeException",
      413,
      "Request must be smaller than 69905067 bytes for the CreateFunction operation",
    );
  });

  it("a malformed iamlab.json, or a package that is no zip, is InvalidParameterValueException; the function does not exist", async () => {
    for (const [zip, message] of [
      [lambdaZip("{ not json"), /^iamlab\.json is not valid JSON/],
      [lambdaZip({ calls: [{ service: "s3", action: "Nope" }] }), /iamlab does not serve s3:Nope/],
      [lambdaZip({ calls: [] }), /calls must be a non-empty list/],
      [new TextEncoder().encode("not a zip"), "Could not unzip uploaded file. Please check your file, then try to upload again."],
    ] as const) {
      const name = uniq("bad");
      await expectAwsError(create(rootA, name, basicRole, zip), "InvalidParameterValueException", 400, message);
      await expectAwsError(lambda(rootA).send(new GetFunctionCommand({ FunctionName: name })), "ResourceNotFoundException", 404);
    }
  });

  it("an unknown role, or one Lambda may not assume, cannot be used", async () => {
    const ec2Role = await role(rootA, uniq("ec2only"), "ec2.amazonaws.com");
    for (const r of [ec2Role, `arn:aws:iam::${accountA}:role/no-such-role`, `arn:aws:iam::${accountB}:role/basic-exec`]) {
      const name = uniq("role");
      await expectAwsError(
        create(rootA, name, r),
        "InvalidParameterValueException",
        400,
        "The role defined for the function cannot be assumed by Lambda.",
      );
      await expectAwsError(lambda(rootA).send(new GetFunctionCommand({ FunctionName: name })), "ResourceNotFoundException", 404);
    }
    await expectAwsError(create(rootA, uniq("role"), "not-an-arn"), "ValidationException", 400, /at 'role' failed to satisfy constraint/);
  });

  it("a malformed Invoke payload is InvalidRequestContentException", async () => {
    const f = await create(rootA, uniq("payload"), basicRole);
    await expectAwsError(
      lambda(rootA).send(new InvokeCommand({ FunctionName: f.FunctionName, Payload: new TextEncoder().encode("{nope") })),
      "InvalidRequestContentException",
      400,
      /^Could not parse request body into json: Could not parse payload into json/,
    );
  });
});

describe("the PassRole contract", () => {
  it("CreateFunction needs iam:PassRole on the role for lambda.amazonaws.com; UpdateFunctionConfiguration too", async () => {
    const admin = await role(rootA, uniq("admin-exec"), "lambda.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const lambdaOnly = { Effect: "Allow", Action: "lambda:*", Resource: "*" };
    const dev = await user(rootA, uniq("dev"), { Version: "2012-10-17", Statement: [lambdaOnly] });
    const name = uniq("pr");
    const denied = await expectAwsError(create(dev, name, admin), "AccessDeniedException", 403);
    expect(denied.message).toMatch(
      new RegExp(`is not authorized to perform: iam:PassRole on resource: ${admin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    await expectAwsError(lambda(rootA).send(new GetFunctionCommand({ FunctionName: name })), "ResourceNotFoundException", 404);

    // PassRole scoped to Lambda and to one role: that role passes, another does not, EC2 would not.
    const scoped = await user(rootA, uniq("dev2"), {
      Version: "2012-10-17",
      Statement: [
        lambdaOnly,
        {
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: basicRole,
          Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
        },
      ],
    });
    const ok = await create(scoped, name, basicRole);
    expect(ok.Role).toBe(basicRole);
    await expectAwsError(
      lambda(scoped).send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Role: admin })),
      "AccessDeniedException",
      403,
      /iam:PassRole/,
    );
    expect((await lambda(rootA).send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Role).toBe(basicRole);
  });
});

describe("Invoke runs as the execution role (seed 001)", () => {
  it("a function in A reads B's bucket only once B's bucket policy grants the role; the denial is explained", async () => {
    const bucket = uniq("seed001").toLowerCase();
    await s3(rootB).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(rootB).send(new PutObjectCommand({ Bucket: bucket, Key: "data.txt", Body: "hello from B" }));
    const reader = await role(rootA, uniq("reader"), "lambda.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }],
    });
    const program = { calls: [{ service: "s3", action: "GetObject", params: { Bucket: bucket, Key: "${event.key}" } }] };
    const name = uniq("reader-fn");
    await create(rootA, name, reader, lambdaZip(program));

    const invoke = () =>
      lambda(rootA).send(new InvokeCommand({ FunctionName: name, Payload: payload({ key: "data.txt" }), LogType: "Tail" }));
    const first = await invoke();
    expect(first.StatusCode).toBe(200);
    expect(first.FunctionError).toBeUndefined();
    const r1 = JSON.parse(text(first.Payload)) as {
      results: { action: string; ok: boolean; error?: { code: string; decisionId: string } }[];
    };
    expect(r1.results).toHaveLength(1);
    expect(r1.results[0]).toMatchObject({ action: "s3:GetObject", ok: false, error: { code: "AccessDenied" } });
    expect(Buffer.from(first.LogResult!, "base64").toString()).toMatch(/s3:GetObject AccessDenied/);
    // The explanation of the failing call: the role's identity policy allows, no bucket policy grants it.
    const decision = (await (await adminFetch(`/decisions/${encodeURIComponent(r1.results[0]!.error!.decisionId)}`)).json()) as Record<
      string,
      unknown
    >;
    const explained = JSON.stringify(decision.request);
    expect(explained).toContain(`assumed-role/${reader.split("/").pop()}/${name}`);
    expect(explained).toContain(`arn:aws:s3:::${bucket}/data.txt`);
    // The role's own policy allows; what is missing is B's grant (a bucket policy naming the role).
    expect(decision).toMatchObject({ decision: "implicitDeny", reason: "noResourceAllow" });
    expect((decision.explanation as { steps: string[] }).steps).toEqual(
      expect.arrayContaining(["identity side allows", "cross-account: no resource-based policy allows"]),
    );

    await s3(rootB).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: doc({ Effect: "Allow", Principal: { AWS: reader }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }),
      }),
    );
    const second = await invoke();
    const r2 = JSON.parse(text(second.Payload)) as { results: { ok: boolean; output?: { Body: string } }[] };
    expect(r2.results[0]).toMatchObject({ ok: true, output: { Body: "hello from B" } });
  });

  it("calls carry lambda:SourceFunctionArn; the caller is the role session named after the function", async () => {
    const r = await role(rootA, uniq("whoami"), "lambda.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "iam:GetRole",
          Resource: "*",
          Condition: { ArnLike: { "lambda:SourceFunctionArn": "arn:aws:lambda:*:*:function:only-*" } },
        },
      ],
    });
    const program = {
      calls: [
        { service: "sts", action: "GetCallerIdentity" },
        { service: "iam", action: "GetRole", params: { RoleName: r.split("/").pop() } },
      ],
    };
    for (const [name, allowed] of [
      [uniq("only-me"), true],
      [uniq("other"), false],
    ] as const) {
      await create(rootA, name, r, lambdaZip(program));
      const out = JSON.parse(text((await lambda(rootA).send(new InvokeCommand({ FunctionName: name }))).Payload)) as {
        results: { ok: boolean; output?: { Arn?: string } }[];
      };
      expect(out.results[0]!.output?.Arn).toBe(`arn:aws:sts::${accountA}:assumed-role/${r.split("/").pop()}/${name}`);
      expect(out.results[1]!.ok).toBe(allowed);
    }
  });

  it("failOnError makes a failed call a function error; no program echoes; Event 202, DryRun 204", async () => {
    const failing = uniq("fail");
    await create(rootA, failing, basicRole, lambdaZip({ failOnError: true, calls: [{ service: "iam", action: "ListUsers" }] }));
    const out = await lambda(rootA).send(new InvokeCommand({ FunctionName: failing }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe("Unhandled");
    expect(JSON.parse(text(out.Payload))).toMatchObject({ errorType: "AccessDenied" });

    const echo = uniq("echo");
    await create(rootA, echo, basicRole);
    expect(
      JSON.parse(text((await lambda(rootA).send(new InvokeCommand({ FunctionName: echo, Payload: payload({ a: 1 }) }))).Payload)),
    ).toEqual({
      a: 1,
    });
    expect((await lambda(rootA).send(new InvokeCommand({ FunctionName: echo, InvocationType: "Event" }))).StatusCode).toBe(202);
    expect((await lambda(rootA).send(new InvokeCommand({ FunctionName: echo, InvocationType: "DryRun" }))).StatusCode).toBe(204);
  });
});

describe("recursion", () => {
  it("a program that invokes its own function stops after 3 levels with RecursiveInvocationException", async () => {
    const name = uniq("loop");
    const r = await role(rootA, uniq("looper"), "lambda.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" }],
    });
    await create(rootA, name, r, lambdaZip({ calls: [{ service: "lambda", action: "Invoke", params: { FunctionName: name } }] }));
    const out = JSON.parse(text((await lambda(rootA).send(new InvokeCommand({ FunctionName: name }))).Payload)) as {
      results: { ok: boolean; output?: { Payload: string } }[];
    };
    // Depth 1 invokes depth 2, which invokes depth 3, whose Invoke is refused.
    const level2 = JSON.parse(out.results[0]!.output!.Payload) as { results: { output: { Payload: string } }[] };
    const level3 = JSON.parse(level2.results[0]!.output.Payload) as { results: { ok: boolean; error: { code: string } }[] };
    expect(level3.results[0]).toMatchObject({ ok: false, error: { code: "RecursiveInvocationException" } });
  });
});

describe("the function policy", () => {
  it("AddPermission writes AWS's statement; duplicates, revisions, GetPolicy, RemovePermission", async () => {
    const f = await create(rootA, uniq("policy"), basicRole);
    const added = await lambda(rootA).send(
      new AddPermissionCommand({
        FunctionName: f.FunctionName,
        StatementId: "s3-invoke",
        Action: "lambda:InvokeFunction",
        Principal: "s3.amazonaws.com",
        SourceArn: "arn:aws:s3:::my-bucket",
        SourceAccount: accountA,
      }),
    );
    expect(JSON.parse(added.Statement!)).toEqual({
      Sid: "s3-invoke",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "lambda:InvokeFunction",
      Resource: f.FunctionArn,
      Condition: { StringEquals: { "AWS:SourceAccount": accountA }, ArnLike: { "AWS:SourceArn": "arn:aws:s3:::my-bucket" } },
    });
    await expectAwsError(
      lambda(rootA).send(
        new AddPermissionCommand({
          FunctionName: f.FunctionName,
          StatementId: "s3-invoke",
          Action: "lambda:InvokeFunction",
          Principal: "s3.amazonaws.com",
        }),
      ),
      "ResourceConflictException",
      409,
      "The statement id (s3-invoke) provided already exists. Please provide a new statement id, or remove the existing statement.",
    );
    await expectAwsError(
      lambda(rootA).send(
        new AddPermissionCommand({
          FunctionName: f.FunctionName,
          StatementId: "x",
          Action: "lambda:InvokeFunction",
          Principal: accountB,
          RevisionId: f.RevisionId,
        }),
      ),
      "PreconditionFailedException",
      412,
    );
    const policy = await lambda(rootA).send(new GetPolicyCommand({ FunctionName: f.FunctionName }));
    expect(JSON.parse(policy.Policy!)).toMatchObject({ Version: "2012-10-17", Id: "default", Statement: [{ Sid: "s3-invoke" }] });
    await lambda(rootA).send(new RemovePermissionCommand({ FunctionName: f.FunctionName, StatementId: "s3-invoke" }));
    await expectAwsError(lambda(rootA).send(new GetPolicyCommand({ FunctionName: f.FunctionName })), "ResourceNotFoundException", 404);
    await expectAwsError(
      lambda(rootA).send(new RemovePermissionCommand({ FunctionName: f.FunctionName, StatementId: "s3-invoke" })),
      "ResourceNotFoundException",
      404,
    );
  });

  it("cross-account Invoke needs the function policy and the caller's identity policy", async () => {
    const f = await create(rootA, uniq("shared"), basicRole);
    const invoker = await user(rootB, uniq("invoker"), {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" }],
    });
    const nobody = await user(rootB, uniq("nobody"));
    const invoke = (c: Creds) => lambda(c).send(new InvokeCommand({ FunctionName: f.FunctionArn, Payload: payload({ hi: 1 }) }));
    await expectAwsError(invoke(invoker), "AccessDeniedException", 403, /lambda:InvokeFunction/);
    await lambda(rootA).send(
      new AddPermissionCommand({ FunctionName: f.FunctionName, StatementId: "b", Action: "lambda:InvokeFunction", Principal: accountB }),
    );
    expect(JSON.parse(text((await invoke(invoker)).Payload))).toEqual({ hi: 1 });
    await expectAwsError(invoke(nobody), "AccessDeniedException", 403);
    // The grant is for InvokeFunction only.
    await expectAwsError(lambda(invoker).send(new GetFunctionCommand({ FunctionName: f.FunctionArn })), "AccessDeniedException", 403);
  });
});

/** The AWS CLIs installed (the one on PATH and Debian's v2), each version once. */
async function installedClis(): Promise<{ bin: string; v2: boolean }[]> {
  const out: { bin: string; version: string }[] = [];
  for (const bin of ["aws", "/usr/bin/aws"]) {
    const v = await promisify(execFile)(bin, ["--version"]).then(
      (r) => (r.stdout || r.stderr).trim().split(" ")[0] ?? "",
      () => "",
    );
    if (v && !out.some((c) => c.version === v)) out.push({ bin, version: v });
  }
  return out.map((c) => ({ bin: c.bin, v2: c.version.startsWith("aws-cli/2") }));
}
const clis = await installedClis();

function cli(bin: string, creds: Creds, ...args: string[]) {
  return promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json", "--region", "us-east-1"], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_PAGER: "",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  });
}

describe.skipIf(clis.length === 0)("the AWS CLIs", () => {
  it("create-function --zip-file fileb://…, invoke with a payload, get-policy errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iamlab-lambda-"));
    const zipPath = join(dir, "fn.zip");
    writeFileSync(zipPath, lambdaZip({ calls: [{ service: "sts", action: "GetCallerIdentity" }] }, true));
    for (const { bin, v2 } of clis) {
      const name = uniq("cli");
      const created = JSON.parse(
        (
          await cli(
            bin,
            rootA,
            "lambda",
            "create-function",
            "--function-name",
            name,
            "--runtime",
            "python3.12",
            "--handler",
            "app.handler",
            "--role",
            basicRole,
            "--zip-file",
            `fileb://${zipPath}`,
          )
        ).stdout,
      ) as { FunctionArn: string; State: string };
      expect(created.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${accountA}:function:${name}`);
      const outFile = join(dir, `${name}.json`);
      const args = ["lambda", "invoke", "--function-name", name, "--payload", '{"k":"v"}', outFile];
      if (v2) args.splice(2, 0, "--cli-binary-format", "raw-in-base64-out");
      const meta = JSON.parse((await cli(bin, rootA, ...args)).stdout) as { StatusCode: number; ExecutedVersion: string };
      expect(meta).toMatchObject({ StatusCode: 200, ExecutedVersion: "$LATEST" });
      const result = JSON.parse(readFileSync(outFile, "utf8")) as { results: { ok: boolean; output: { Arn: string } }[] };
      expect(result.results[0]!.output.Arn).toBe(`arn:aws:sts::${accountA}:assumed-role/basic-exec/${name}`);
      const err = await cli(bin, rootA, "lambda", "get-policy", "--function-name", name).then(
        () => "",
        (e: { stderr: string }) => e.stderr,
      );
      expect(err).toMatch(/ResourceNotFoundException/);
    }
  });
});

describe("account deletion", () => {
  it("forgets functions and their packages", async () => {
    const acct = await createAccount();
    const root = accountCreds(acct);
    const r = await role(root, "exec", "lambda.amazonaws.com");
    await create(root, "doomed", r);
    const location = (await lambda(root).send(new GetFunctionCommand({ FunctionName: "doomed" }))).Code!.Location!;
    expect((await fetch(location)).status).toBe(200);
    expect((await adminFetch(`/accounts/${acct.accountId}`, { method: "DELETE" })).status).toBeLessThan(300);
    expect((await fetch(location)).status).toBe(404);
  });
});
