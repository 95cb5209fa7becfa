/**
 * CloudTrail (issue 21): every call is recorded behind the response, and LookupEvents (the real
 * @aws-sdk/client-cloudtrail and both AWS CLIs) reads the caller's own account's management events.
 * Records are checked field by field against AWS's documented examples ("CloudTrail record
 * contents", "CloudTrail userIdentity element", "sharedEventID example").
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CloudTrailClient, LookupEventsCommand, type Event, type LookupEventsCommandInput } from "@aws-sdk/client-cloudtrail";
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetRoleCommand,
  GetUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { adminFetch, iam, rawSigned, setClock, sts, url, type Creds } from "../helpers/sandbox";
import { keyCreds, withAccount, type AccountFixture } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";
import { waitFor } from "../helpers/wait";
import { awsCliAt, hasAwsCli } from "../helpers/aws-cli";
import { hotp, timeStep } from "../../src/lib/totp";
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { lambdaZip } from "../helpers/zip";
import { anonymousSts, idpInfo, mintToken, webIdentityTrust } from "../helpers/federation";

type Rec = Record<string, unknown> & { userIdentity: Record<string, unknown> };

function trail(creds: Creds, clockOffsetMs = 0): CloudTrailClient {
  return new CloudTrailClient({
    endpoint: url(),
    region: "us-east-1",
    credentials: creds,
    maxAttempts: 1,
    systemClockOffset: clockOffsetMs,
  });
}

const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
const READER = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["iam:GetUser", "cloudtrail:LookupEvents", "sts:AssumeRole"], Resource: "*" }],
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The events LookupEvents returns for `input`, once `ready` holds (events are written behind the response). */
async function lookup(
  creds: Creds,
  input: LookupEventsCommandInput,
  ready: (e: Event[]) => boolean = (e) => e.length > 0,
): Promise<Event[]> {
  return waitFor(
    async () => {
      const out = await trail(creds).send(new LookupEventsCommand(input));
      return ready(out.Events ?? []) ? (out.Events ?? []) : undefined;
    },
    { what: `LookupEvents ${JSON.stringify(input.LookupAttributes ?? [])}`, timeoutMs: 8000 },
  );
}

const byName = (name: string): LookupEventsCommandInput => ({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: name }] });
const recordOf = (e: Event): Rec => JSON.parse(e.CloudTrailEvent!) as Rec;

async function userWithKey(a: AccountFixture, name: string, policy = READER): Promise<{ creds: Creds; userId: string }> {
  const u = await a.iam.send(new CreateUserCommand({ UserName: name }));
  await a.iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: policy }));
  const k = await a.iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { creds: keyCreds(k.AccessKey!), userId: u.User!.UserId! };
}

let a: AccountFixture;
let alice: { creds: Creds; userId: string };

beforeAll(async () => {
  a = await withAccount();
  alice = await userWithKey(a, "alice");
});

afterEach(async () => {
  await setClock(0);
});

describe("the record of an IAM user's call", () => {
  it("GetUser: every field as AWS's IAMUser example has it, and LookupEvents' own fields", async () => {
    const out = await iam(alice.creds).send(new GetUserCommand({ UserName: "alice" }));
    const requestId = out.$metadata.requestId!;
    const events = await lookup(alice.creds, { LookupAttributes: [{ AttributeKey: "Username", AttributeValue: "alice" }] }, (e) =>
      e.some((x) => recordOf(x).requestID === requestId),
    );
    const e = events.find((x) => recordOf(x).requestID === requestId)!;
    const r = recordOf(e);
    expect(r).toEqual({
      eventVersion: "1.11",
      userIdentity: {
        type: "IAMUser",
        principalId: alice.userId,
        arn: `arn:aws:iam::${a.id}:user/alice`,
        accountId: a.id,
        accessKeyId: alice.creds.accessKeyId,
        userName: "alice",
      },
      eventTime: expect.stringMatching(ISO),
      eventSource: "iam.amazonaws.com",
      eventName: "GetUser",
      awsRegion: "us-east-1",
      sourceIPAddress: expect.any(String),
      userAgent: expect.stringContaining("aws-sdk-js"),
      requestParameters: { userName: "alice" },
      responseElements: null,
      requestID: requestId,
      eventID: expect.stringMatching(UUID),
      readOnly: true,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: a.id,
      eventCategory: "Management",
    });
    expect(Math.abs(Date.parse(r.eventTime as string) - Date.now())).toBeLessThan(60_000);
    // LookupEvents' fields mirror the record.
    expect(e.EventId).toBe(r.eventID);
    expect(e.EventName).toBe("GetUser");
    expect(e.ReadOnly).toBe("true");
    expect(e.AccessKeyId).toBe(alice.creds.accessKeyId);
    expect(e.Username).toBe("alice");
    expect(e.EventSource).toBe("iam.amazonaws.com");
    expect(e.EventTime!.toISOString().replace(".000", "")).toBe(r.eventTime);
    expect(e.Resources).toEqual([{ ResourceType: "AWS::IAM::User", ResourceName: "alice" }]);
    // Each attribute finds it.
    for (const [key, value] of [
      ["EventId", e.EventId!],
      ["AccessKeyId", alice.creds.accessKeyId],
      ["ResourceType", "AWS::IAM::User"],
      ["ResourceName", "alice"],
      ["EventSource", "iam.amazonaws.com"],
      ["ReadOnly", "true"],
    ] as const) {
      const found = await trail(alice.creds).send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: key, AttributeValue: value }] }),
      );
      expect(
        found.Events!.map((x) => x.EventId),
        key,
      ).toContain(e.EventId);
    }
  });

  it("a denied call: errorCode AccessDenied and AWS's errorMessage, no responseElements", async () => {
    const err = await expectAwsError(iam(alice.creds).send(new CreateUserCommand({ UserName: "eve" })), "AccessDenied", 403);
    const events = await lookup(alice.creds, byName("CreateUser"), (e) => e.some((x) => recordOf(x).errorCode));
    const r = recordOf(events.find((x) => recordOf(x).errorCode)!);
    expect(r.errorCode).toBe("AccessDenied");
    expect(r.errorMessage).toBe(
      `User: arn:aws:iam::${a.id}:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${a.id}:user/eve because no identity-based policy allows the iam:CreateUser action`,
    );
    expect(r.errorMessage).toBe(err.message);
    expect(r.requestParameters).toEqual({ userName: "eve" });
    expect(r.responseElements).toBeNull();
    expect(r.readOnly).toBe(false);
    expect(r.requestID).toBe((err.$metadata as { requestId?: string } | undefined)?.requestId);
  });
});

describe("calls that fail before they are authenticated", () => {
  // AWS (IAM user guide, "Logging IAM and AWS STS API requests"): CloudTrail logs all *authenticated*
  // requests; of unauthenticated ones only AssumeRoleWithSAML / AssumeRoleWithWebIdentity. A bad
  // signature, an unknown key or an unknown action leaves no event; an authenticated call that fails
  // its validation is recorded with its errorCode.
  it("a wrong signature, an unknown key and an unknown action are not recorded; a validation error is", async () => {
    const bob = await userWithKey(a, "bob-pre");
    const marker = "pre-auth-marker";
    const bad = await rawSigned(
      { Action: "GetUser", Version: "2010-05-08", UserName: marker },
      { service: "iam", creds: { ...bob.creds, secretAccessKey: `${bob.creds.secretAccessKey}x` } },
    );
    expect(bad.status).toBe(403);
    expect(bad.text).toContain("SignatureDoesNotMatch");
    const unknownKey = await rawSigned(
      { Action: "GetUser", Version: "2010-05-08", UserName: marker },
      { service: "iam", creds: { accessKeyId: "AKIAXXXXXXXXXXXXXXXX", secretAccessKey: "x" } },
    );
    expect(unknownKey.text).toContain("InvalidClientTokenId");
    const unknownAction = await rawSigned(
      { Action: "GetUserz", Version: "2010-05-08", UserName: marker },
      { service: "iam", creds: bob.creds },
    );
    expect(unknownAction.text).toContain("InvalidAction");
    // An authenticated call whose input is refused: recorded, with its error.
    await expectAwsError(iam(bob.creds).send(new GetUserCommand({ UserName: "bad name!" })), "ValidationError", 400);
    const events = await lookup(bob.creds, { LookupAttributes: [{ AttributeKey: "Username", AttributeValue: "bob-pre" }] }, (e) =>
      e.some((x) => recordOf(x).errorCode === "ValidationError"),
    );
    const names = events.map((e) => e.EventName);
    expect(names).not.toContain("GetUserz");
    expect(events.filter((e) => e.CloudTrailEvent!.includes(marker))).toEqual([]);
    expect(recordOf(events.find((x) => recordOf(x).errorCode === "ValidationError")!).eventName).toBe("GetUser");
  });
});

describe("secrets never reach the trail", () => {
  it("CreateAccessKey keeps the key id, not the secret; CreateLoginProfile drops the password", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "bob" }));
    const k = await a.iam.send(new CreateAccessKeyCommand({ UserName: "bob" }));
    await a.iam.send(new CreateLoginProfileCommand({ UserName: "bob", Password: "Sup3r-secret-pw!", PasswordResetRequired: true }));
    const created = await lookup(a.creds, byName("CreateAccessKey"), (e) =>
      e.some((x) => x.Resources?.some((r) => r.ResourceName === k.AccessKey!.AccessKeyId)),
    );
    const ck = recordOf(created.find((x) => x.Resources?.some((r) => r.ResourceName === k.AccessKey!.AccessKeyId))!);
    expect(ck.userIdentity).toEqual({
      type: "Root",
      principalId: a.id,
      arn: `arn:aws:iam::${a.id}:root`,
      accountId: a.id,
      accessKeyId: a.creds.accessKeyId,
    });
    expect(ck.requestParameters).toEqual({ userName: "bob" });
    expect(ck.responseElements).toEqual({
      accessKey: {
        userName: "bob",
        accessKeyId: k.AccessKey!.AccessKeyId,
        status: "Active",
        createDate: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d [AP]M$/),
      },
    });
    expect(JSON.stringify(ck)).not.toContain(k.AccessKey!.SecretAccessKey!);
    const lp = await lookup(a.creds, byName("CreateLoginProfile"));
    const rp = recordOf(lp[0]!);
    expect(rp.requestParameters).toEqual({ userName: "bob", passwordResetRequired: true });
    expect(JSON.stringify(rp)).not.toContain("Sup3r-secret-pw!");
  });
});

describe("assumed-role sessions", () => {
  it("a session assumed with MFA: AssumeRole's record and the session's calls carry sessionContext", async () => {
    const v = await a.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "alice-mfa" }));
    const serial = v.VirtualMFADevice!.SerialNumber!;
    const seed = new TextDecoder().decode(v.VirtualMFADevice!.Base32StringSeed);
    const step = timeStep(Date.now());
    await a.iam.send(
      new EnableMFADeviceCommand({
        UserName: "alice",
        SerialNumber: serial,
        AuthenticationCode1: await hotp(seed, step - 2),
        AuthenticationCode2: await hotp(seed, step - 1),
      }),
    );
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${a.id}:user/alice` },
          Action: ["sts:AssumeRole", "sts:SetSourceIdentity"],
          Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
        },
      ],
    });
    const role = await a.iam.send(new CreateRoleCommand({ RoleName: "auditor", AssumeRolePolicyDocument: trust }));
    await a.iam.send(new PutRolePolicyCommand({ RoleName: "auditor", PolicyName: "all", PolicyDocument: ALLOW_ALL }));
    const assumed = await sts(alice.creds).send(
      new AssumeRoleCommand({
        RoleArn: role.Role!.Arn,
        RoleSessionName: "audit-1",
        SerialNumber: serial,
        TokenCode: await hotp(seed, step),
        SourceIdentity: "alice-src",
      }),
    );
    const c = assumed.Credentials!;
    const session: Creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    await iam(session).send(new GetRoleCommand({ RoleName: "auditor" }));

    // AssumeRole, as alice: the credentials without their secret, the role as a resource.
    const ar = recordOf((await lookup(alice.creds, byName("AssumeRole")))[0]!);
    expect(ar.eventSource).toBe("sts.amazonaws.com");
    expect(ar.userIdentity.type).toBe("IAMUser");
    expect(ar.requestParameters).toEqual({
      roleArn: role.Role!.Arn,
      roleSessionName: "audit-1",
      serialNumber: serial,
      sourceIdentity: "alice-src",
    });
    const resp = ar.responseElements as {
      credentials: Record<string, string>;
      assumedRoleUser: Record<string, string>;
      sourceIdentity: string;
    };
    expect(resp.credentials.accessKeyId).toBe(c.AccessKeyId);
    expect(resp.credentials.sessionToken).toBe(c.SessionToken);
    expect(resp.credentials.expiration).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d [AP]M$/);
    expect(resp.credentials).not.toHaveProperty("secretAccessKey");
    expect(JSON.stringify(ar)).not.toContain(c.SecretAccessKey!);
    expect(resp.assumedRoleUser).toEqual({
      assumedRoleId: `${role.Role!.RoleId}:audit-1`,
      arn: `arn:aws:sts::${a.id}:assumed-role/auditor/audit-1`,
    });
    expect(ar.resources).toEqual([{ accountId: a.id, type: "AWS::IAM::Role", ARN: role.Role!.Arn }]);
    expect(ar.readOnly).toBe(false);
    expect(ar).not.toHaveProperty("sharedEventID");

    // The session's own call: AWS's AssumedRole example, with MFA and the source identity.
    const events = await lookup(alice.creds, { LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: c.AccessKeyId! }] });
    const e = events.find((x) => x.EventName === "GetRole")!;
    expect(e.Username).toBe("audit-1");
    const r = recordOf(e);
    expect(r.userIdentity).toEqual({
      type: "AssumedRole",
      principalId: `${role.Role!.RoleId}:audit-1`,
      arn: `arn:aws:sts::${a.id}:assumed-role/auditor/audit-1`,
      accountId: a.id,
      accessKeyId: c.AccessKeyId,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: role.Role!.RoleId, arn: role.Role!.Arn, accountId: a.id, userName: "auditor" },
        webIdFederationData: {},
        attributes: { creationDate: expect.stringMatching(ISO), mfaAuthenticated: "true" },
        sourceIdentity: "alice-src",
      },
    });
    const created = Date.parse((r.userIdentity.sessionContext as { attributes: { creationDate: string } }).attributes.creationDate);
    expect(Math.abs(created - Date.now())).toBeLessThan(60_000);
  });

  it("a cross-account AssumeRole is in both accounts, with one sharedEventID", async () => {
    const b = await withAccount();
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${a.id}:root` }, Action: "sts:AssumeRole" }],
    });
    const role = await b.iam.send(new CreateRoleCommand({ RoleName: "partner", AssumeRolePolicyDocument: trust }));
    await sts(alice.creds).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: "x-acct" }));

    const mine = (await lookup(alice.creds, byName("AssumeRole"), (e) => e.some((x) => recordOf(x).sharedEventID)))
      .map(recordOf)
      .find((r) => r.sharedEventID)!;
    const theirs = recordOf((await lookup(b.creds, byName("AssumeRole")))[0]!);
    expect(mine.sharedEventID).toMatch(UUID);
    expect(theirs.sharedEventID).toBe(mine.sharedEventID);
    expect(theirs.eventID).not.toBe(mine.eventID);
    expect(theirs.requestID).toBe(mine.requestID);
    expect(mine.recipientAccountId).toBe(a.id);
    expect(theirs.recipientAccountId).toBe(b.id);
    expect(mine.userIdentity).toMatchObject({ type: "IAMUser", accountId: a.id, userName: "alice" });
    // The role owner's copy names the caller by its account (AWS's cross-account examples).
    expect(theirs.userIdentity).toEqual({ type: "AWSAccount", principalId: alice.userId, accountId: a.id });
    expect(theirs.resources).toEqual([{ accountId: b.id, type: "AWS::IAM::Role", ARN: role.Role!.Arn }]);
    expect(theirs.requestParameters).toEqual(mine.requestParameters);
  });
});

describe("unsigned federation", () => {
  it("AssumeRoleWithWebIdentity is recorded in the role's account as a WebIdentityUser, without the token", async () => {
    const c = await withAccount();
    const idp = await idpInfo(c.id);
    await c.iam.send(new CreateOpenIDConnectProviderCommand({ Url: idp.issuer, ClientIDList: ["sts.amazonaws.com"] }));
    const role = await c.iam.send(new CreateRoleCommand({ RoleName: "ci", AssumeRolePolicyDocument: webIdentityTrust(idp.providerArn) }));
    const token = await mintToken(c.id, { sub: "repo:octo/app", aud: "sts.amazonaws.com" });
    const out = await anonymousSts().send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: role.Role!.Arn, RoleSessionName: "run-1", WebIdentityToken: token }),
    );
    const host = idp.issuer.replace(/^https:\/\//, "");
    const r = recordOf((await lookup(c.creds, byName("AssumeRoleWithWebIdentity")))[0]!);
    expect(r.userIdentity).toEqual({
      type: "WebIdentityUser",
      principalId: `${host}:sts.amazonaws.com:repo:octo/app`,
      userName: "repo:octo/app",
      identityProvider: host,
    });
    expect(r.recipientAccountId).toBe(c.id);
    expect(r.requestParameters).toEqual({ roleArn: role.Role!.Arn, roleSessionName: "run-1" });
    expect(JSON.stringify(r)).not.toContain(token);
    expect(JSON.stringify(r)).not.toContain(out.Credentials!.SecretAccessKey!);
    expect(r.responseElements).toMatchObject({ subjectFromWebIdentityToken: "repo:octo/app", audience: "sts.amazonaws.com" });
    // The session's calls name the provider in webIdFederationData.
    const session: Creds = {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    };
    await sts(session).send(new GetCallerIdentityCommand({}));
    const gci = recordOf((await lookup(c.creds, byName("GetCallerIdentity")))[0]!);
    expect(gci.userIdentity).toMatchObject({
      type: "AssumedRole",
      arn: `arn:aws:sts::${c.id}:assumed-role/ci/run-1`,
      sessionContext: { webIdFederationData: { federatedProvider: idp.providerArn, attributes: {} } },
    });
  });
});

describe("a service assuming a role", () => {
  it("Lambda's AssumeRole of its execution role: AWSService with invokedBy; the workload's calls are the role's session", async () => {
    const c = await withAccount();
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const role = await c.iam.send(new CreateRoleCommand({ RoleName: "fn-role", AssumeRolePolicyDocument: trust }));
    const res = await adminFetch(`/accounts/${c.id}/service-sessions`, {
      method: "POST",
      body: JSON.stringify({ service: "lambda.amazonaws.com", roleName: "fn-role", sessionName: "my-function" }),
    });
    expect(res.status).toBe(201);
    const out = (await res.json()) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
    const r = recordOf((await lookup(c.creds, byName("AssumeRole")))[0]!);
    expect(r.userIdentity).toEqual({ type: "AWSService", invokedBy: "lambda.amazonaws.com" });
    expect(r.sourceIPAddress).toBe("lambda.amazonaws.com");
    expect(r.userAgent).toBe("lambda.amazonaws.com");
    expect(r.recipientAccountId).toBe(c.id);
    expect(r.requestParameters).toEqual({ roleArn: role.Role!.Arn, roleSessionName: "my-function", durationSeconds: 3600 });
    expect(r.resources).toEqual([{ accountId: c.id, type: "AWS::IAM::Role", ARN: role.Role!.Arn }]);
    expect(JSON.stringify(r)).not.toContain(out.Credentials.SecretAccessKey);
    // The function's own calls: the role's session (AWS records no invokedBy on them).
    const session: Creds = {
      accessKeyId: out.Credentials.AccessKeyId,
      secretAccessKey: out.Credentials.SecretAccessKey,
      sessionToken: out.Credentials.SessionToken,
    };
    await sts(session).send(new GetCallerIdentityCommand({}));
    const gci = recordOf((await lookup(c.creds, byName("GetCallerIdentity")))[0]!);
    expect(gci.userIdentity).toMatchObject({ type: "AssumedRole", arn: `arn:aws:sts::${c.id}:assumed-role/fn-role/my-function` });
    expect(gci.userIdentity).not.toHaveProperty("invokedBy");
  });
});

describe("a Lambda function's program", () => {
  it("its calls are recorded as the execution role's session, after Lambda's AssumeRole as AWSService", async () => {
    const c = await withAccount();
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const role = await c.iam.send(new CreateRoleCommand({ RoleName: "exec", AssumeRolePolicyDocument: trust }));
    const lambda = new LambdaClient({ endpoint: url(), region: "us-east-1", credentials: c.creds, maxAttempts: 1 });
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "whoami",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: role.Role!.Arn,
        Code: { ZipFile: lambdaZip({ calls: [{ service: "sts", action: "GetCallerIdentity" }] }) },
      }),
    );
    const out = await lambda.send(new InvokeCommand({ FunctionName: "whoami", Payload: new TextEncoder().encode("{}") }));
    expect(out.FunctionError).toBeUndefined();
    const gci = recordOf((await lookup(c.creds, byName("GetCallerIdentity")))[0]!);
    expect(gci.userIdentity).toMatchObject({
      type: "AssumedRole",
      arn: `arn:aws:sts::${c.id}:assumed-role/exec/whoami`,
      sessionContext: { sessionIssuer: { type: "Role", arn: role.Role!.Arn, userName: "exec" } },
    });
    expect(gci.userIdentity).not.toHaveProperty("invokedBy");
    const ar = recordOf((await lookup(c.creds, byName("AssumeRole")))[0]!);
    expect(ar.userIdentity).toEqual({ type: "AWSService", invokedBy: "lambda.amazonaws.com" });
    expect(ar.requestParameters).toMatchObject({ roleArn: role.Role!.Arn, roleSessionName: "whoami" });
  });
});

describe("LookupEvents", () => {
  it("pages newest first with NextToken, bound to its parameters", async () => {
    const c = await withAccount();
    for (let i = 0; i < 7; i++) await sts(c.creds).send(new GetCallerIdentityCommand({}));
    await lookup(c.creds, byName("GetCallerIdentity"), (e) => e.length === 7);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await trail(c.creds).send(new LookupEventsCommand({ ...byName("GetCallerIdentity"), MaxResults: 3, NextToken: token }));
      seen.push(...out.Events!.map((e) => e.EventId!));
      const times = out.Events!.map((e) => e.EventTime!.getTime());
      expect([...times].sort((x, y) => y - x)).toEqual(times);
      token = out.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const first = await trail(c.creds).send(new LookupEventsCommand({ ...byName("GetCallerIdentity"), MaxResults: 3 }));
    await expectAwsError(
      trail(c.creds).send(new LookupEventsCommand({ ...byName("GetCallerIdentity"), MaxResults: 4, NextToken: first.NextToken })),
      "InvalidNextTokenException",
      400,
    );
    await expectAwsError(trail(c.creds).send(new LookupEventsCommand({ NextToken: "bm90IGEgdG9rZW4=" })), "InvalidNextTokenException", 400);
  });

  it("time range, and AWS's errors for bad input", async () => {
    const since = new Date(Date.now() - 60_000);
    await lookup(alice.creds, { ...byName("GetUser"), StartTime: since });
    const future = await trail(alice.creds).send(new LookupEventsCommand({ StartTime: new Date(Date.now() + 3600_000) }));
    expect(future.Events).toEqual([]);
    const past = await trail(alice.creds).send(new LookupEventsCommand({ EndTime: new Date(Date.now() - 86_400_000) }));
    expect(past.Events).toEqual([]);
    await expectAwsError(
      trail(alice.creds).send(new LookupEventsCommand({ StartTime: new Date(), EndTime: since })),
      "InvalidTimeRangeException",
      400,
    );
    await expectAwsError(trail(alice.creds).send(new LookupEventsCommand({ MaxResults: 51 })), "InvalidMaxResultsException", 400);
    await expectAwsError(trail(alice.creds).send(new LookupEventsCommand({ MaxResults: 0 })), "InvalidMaxResultsException", 400);
    await expectAwsError(
      trail(alice.creds).send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: "EventName", AttributeValue: "GetUser" },
            { AttributeKey: "Username", AttributeValue: "alice" },
          ],
        }),
      ),
      "InvalidLookupAttributesException",
      400,
    );
    await expectAwsError(
      trail(alice.creds).send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "Colour" as "EventName", AttributeValue: "x" }] }),
      ),
      "InvalidLookupAttributesException",
      400,
    );
    // CloudTrail Insights is not served: no Insights events.
    expect((await trail(alice.creds).send(new LookupEventsCommand({ EventCategory: "insight" }))).Events).toEqual([]);
  });

  it("another account's events are invisible, and LookupEvents itself is authorized", async () => {
    const other = await withAccount();
    const mine = await lookup(alice.creds, byName("GetUser"));
    const id = mine[0]!.EventId!;
    const out = await trail(other.creds).send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventId", AttributeValue: id }] }),
    );
    expect(out.Events).toEqual([]);
    const all = await trail(other.creds).send(new LookupEventsCommand({}));
    expect(all.Events!.every((e) => recordOf(e).recipientAccountId === other.id)).toBe(true);
    // A user without cloudtrail:LookupEvents is denied, in CloudTrail's JSON error.
    const nobody = await userWithKey(
      a,
      "nobody",
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }] }),
    );
    await expectAwsError(
      trail(nobody.creds).send(new LookupEventsCommand({})),
      "AccessDeniedException",
      403,
      `User: arn:aws:iam::${a.id}:user/nobody is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action`,
    );
  });

  it("S3 object calls are data events, not returned; the bucket's management call is", async () => {
    const c = await withAccount();
    const s3 = new S3Client({ endpoint: url(), region: "us-east-1", credentials: c.creds, forcePathStyle: true, maxAttempts: 1 });
    const bucket = `trail-${c.id}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k.txt", Body: "secret body" }));
    await sts(c.creds).send(new GetCallerIdentityCommand({})); // recorded after PutObject
    const events = await lookup(c.creds, {}, (e) => e.some((x) => x.EventName === "GetCallerIdentity"));
    const names = events.map((e) => e.EventName);
    expect(names).toContain("CreateBucket");
    expect(names).not.toContain("PutObject");
    const cb = recordOf(events.find((e) => e.EventName === "CreateBucket")!);
    expect(cb.eventSource).toBe("s3.amazonaws.com");
    expect(cb.requestParameters).toMatchObject({ bucketName: bucket });
    expect(cb.resources).toEqual([{ accountId: c.id, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${bucket}` }]);
    expect(events.find((e) => e.EventName === "CreateBucket")!.Resources).toEqual([
      { ResourceType: "AWS::S3::Bucket", ResourceName: bucket },
    ]);
  });

  it("keeps 90 days: on the sandbox clock, older events are gone", async () => {
    const c = await withAccount();
    await sts(c.creds).send(new GetCallerIdentityCommand({}));
    await lookup(c.creds, byName("GetCallerIdentity"));
    const day = 86_400_000;
    await setClock(89 * day);
    const at89 = await trail(c.creds, 89 * day).send(new LookupEventsCommand(byName("GetCallerIdentity")));
    expect(at89.Events).toHaveLength(1);
    await setClock(91 * day);
    const at91 = await trail(c.creds, 91 * day).send(new LookupEventsCommand(byName("GetCallerIdentity")));
    expect(at91.Events).toEqual([]);
  });
});

describe("aws cloudtrail lookup-events (CLI v1 and v2)", () => {
  for (const bin of ["aws", "/usr/bin/aws"]) {
    it.skipIf(!hasAwsCli)(`${bin}: attributes, time range and the CloudTrailEvent string`, async () => {
      const call = await iam(alice.creds).send(new GetUserCommand({}));
      await lookup(alice.creds, byName("GetUser"), (e) => e.some((x) => recordOf(x).requestID === call.$metadata.requestId));
      const out = await awsCliAt<{
        Events: { EventName: string; Username: string; CloudTrailEvent: string; EventTime: string | number }[];
      }>(
        bin,
        alice.creds,
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=GetUser",
        "--start-time",
        new Date(Date.now() - 3600_000).toISOString(),
        "--max-items",
        "2",
      ).catch((e: unknown) => {
        if (bin === "/usr/bin/aws" && e instanceof Error && /ENOENT/.test(e.message)) return undefined;
        throw e;
      });
      if (!out) return; // CLI v2 not installed here
      expect(out.Events.length).toBeGreaterThan(0);
      expect(out.Events.length).toBeLessThanOrEqual(2);
      for (const e of out.Events) {
        expect(e.EventName).toBe("GetUser");
        expect(e.Username).toBe("alice");
        expect(JSON.parse(e.CloudTrailEvent).eventName).toBe("GetUser");
      }
    });
  }
});
