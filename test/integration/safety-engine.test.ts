/**
 * Shared-sandbox safety (issue 23), the policy engine and the simulator: requests that used to run for
 * seconds or kill workerd ("JavaScript heap out of memory") are sent to a server this file starts for
 * itself; each gets AWS's error or a bounded answer, and then another tenant of the same server still
 * gets correct answers. Assertions are on outcomes, never on timings.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../../src/tools/local-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  GetUserCommand,
  SimulateCustomPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";
import { rawSigned, xmlValue, type Creds, type NewAccount } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { policyDoc as doc } from "../helpers/documents";
import { keyCreds, withAccount } from "../helpers/fixtures";

let server: Sandbox;
let victim: NewAccount;
let attackerIam: IAMClient;
let victimIam: IAMClient;
let victimSts: STSClient;

beforeAll(async () => {
  server = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
  ({ iam: attackerIam } = await withAccount({}, server));
  ({ account: victim, iam: victimIam, sts: victimSts } = await withAccount({}, server));
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** Another tenant of the same server still gets correct answers. */
async function victimStillServed(tag: string): Promise<void> {
  const who = await victimSts.send(new GetCallerIdentityCommand({}));
  expect(who.Account).toBe(victim.accountId);
  await victimIam.send(new CreateUserCommand({ UserName: `after-${tag}` }));
  const u = await victimIam.send(new GetUserCommand({ UserName: `after-${tag}` }));
  expect(u.User?.Arn).toBe(`arn:aws:iam::${victim.accountId}:user/after-${tag}`);
  const sim = await victimIam.send(
    new SimulateCustomPolicyCommand({
      PolicyInputList: [doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::v/*" })],
      ActionNames: ["s3:GetObject", "s3:PutObject"],
      ResourceArns: ["arn:aws:s3:::v/k"],
    }),
  );
  expect(sim.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
    ["s3:GetObject", "allowed"],
    ["s3:PutObject", "implicitDeny"],
  ]);
}

describe("simulator amplification", () => {
  // 1,200 statements (12 documents of 100) × 1,000 action names × 30 resource ARNs: the request that ran
  // 30 s and ended in "JavaScript heap out of memory".
  const documents = (condition: object) => {
    const stmts = Array.from({ length: 1200 }, (_, i) => ({
      Effect: "Allow",
      Action: ["s3:*", `ec2:Describe${i}*`],
      Resource: "*",
      Condition: condition,
    }));
    return Array.from({ length: 12 }, (_, i) => doc(...stmts.slice(i * 100, i * 100 + 100)));
  };
  const ActionNames = Array.from({ length: 1000 }, (_, i) => `s3:GetObject${i}`);
  const ResourceArns = Array.from({ length: 30 }, (_, i) => `arn:aws:s3:::bucket/key${i}`);

  it("every statement matching: InvalidInput (one result alone is more than a request may build)", async () => {
    await expectAwsError(
      attackerIam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: documents({ StringLike: { "aws:UserAgent": "*x*" } }),
          ActionNames,
          ResourceArns,
          ContextEntries: [{ ContextKeyName: "aws:UserAgent", ContextKeyValues: ["x"], ContextKeyType: "string" }],
          MaxItems: 1000,
        }),
      ),
      "InvalidInput",
      400,
      /exceeds the work one request may do/,
    );
    await victimStillServed("simulate-output");
  });

  it("no statement matching: a short page (IsTruncated, Marker) that resumes where it stopped", async () => {
    const input = {
      PolicyInputList: documents({ StringEquals: { "aws:UserAgent": "never" } }),
      ActionNames,
      ResourceArns,
      MaxItems: 1000,
    };
    const first = await attackerIam.send(new SimulateCustomPolicyCommand(input));
    expect(first.IsTruncated).toBe(true);
    const n = first.EvaluationResults!.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(1000);
    expect(first.EvaluationResults!.map((r) => r.EvalActionName)).toEqual(ActionNames.slice(0, n));
    expect(new Set(first.EvaluationResults!.map((r) => r.EvalDecision))).toEqual(new Set(["implicitDeny"]));
    const second = await attackerIam.send(new SimulateCustomPolicyCommand({ ...input, Marker: first.Marker }));
    expect(second.EvaluationResults![0]!.EvalActionName).toBe(ActionNames[n]);
    await victimStillServed("simulate-pages");
  });

  it("a 100k-character StringLike pattern against a 60 KiB context value: a bounded, correct answer", async () => {
    const r = await attackerIam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [
          doc({
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: "*",
            Condition: { StringLike: { "aws:UserAgent": `*${"a".repeat(100_000)}*b` } },
          }),
        ],
        ActionNames: ["s3:GetObject"],
        ContextEntries: [{ ContextKeyName: "aws:UserAgent", ContextKeyValues: ["a".repeat(60 * 1024)], ContextKeyType: "string" }],
      }),
    );
    expect(r.EvaluationResults?.map((x) => x.EvalDecision)).toEqual(["implicitDeny"]);
    await victimStillServed("simulate-glob");
  });

  it("two permissions boundaries: ValidationError (AWS takes one)", async () => {
    await expectAwsError(
      attackerIam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [doc({ Effect: "Allow", Action: "*", Resource: "*" })],
          PermissionsBoundaryPolicyInputList: [
            doc({ Effect: "Allow", Action: "*", Resource: "*" }),
            doc({ Effect: "Allow", Action: "*", Resource: "*" }),
          ],
          ActionNames: ["s3:GetObject"],
        }),
      ),
      "ValidationError",
      400,
      /at 'permissionsBoundaryPolicyInputList' failed to satisfy constraint: Member must have length less than or equal to 1/,
    );
  });
});

describe("pathological wildcard conditions on live requests", () => {
  let userCreds: Creds;

  beforeAll(async () => {
    await attackerIam.send(new CreateUserCommand({ UserName: "ua-matcher" }));
    // Managed policies hold up to 6,144 characters: the longest patterns a live request can meet.
    const star = await attackerIam.send(
      new CreatePolicyCommand({
        PolicyName: "ua-star",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "iam:GetUser",
          Resource: "*",
          Condition: { StringLike: { "aws:UserAgent": `*${"a".repeat(5900)}*b` } },
        }),
      }),
    );
    const qmark = await attackerIam.send(
      new CreatePolicyCommand({
        PolicyName: "ua-qmark",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "iam:ListUsers",
          Resource: "*",
          Condition: { StringLike: { "aws:UserAgent": `*${"a?".repeat(900)}b*` } },
        }),
      }),
    );
    const fits = await attackerIam.send(
      new CreatePolicyCommand({
        PolicyName: "ua-fits",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "iam:ListGroups",
          Resource: "*",
          Condition: { StringLike: { "aws:UserAgent": `*${"a".repeat(1000)}*b` } },
        }),
      }),
    );
    for (const p of [star, qmark, fits])
      await attackerIam.send(new AttachUserPolicyCommand({ UserName: "ua-matcher", PolicyArn: p.Policy!.Arn! }));
    const key = await attackerIam.send(new CreateAccessKeyCommand({ UserName: "ua-matcher" }));
    userCreds = keyCreds(key.AccessKey!);
  });

  const call = (Action: string, userAgent: string) =>
    rawSigned(
      { Action, Version: "2010-05-08" },
      { service: "iam", creds: userCreds, baseUrl: server.url, headers: { "user-agent": userAgent } },
    );

  it("`*a…a*b` (5,900 characters) against a 60 KiB User-Agent: AccessDenied, and the other tenant is served", async () => {
    const r = await call("GetUser", "a".repeat(60 * 1024));
    expect(r.status).toBe(403);
    expect(xmlValue(r.text, "Code")).toBe("AccessDenied");
    await victimStillServed("ua-star");
  });

  it("`*a?a?…b*` against a 60 KiB User-Agent: AccessDenied, and the other tenant is served", async () => {
    const r = await call("ListUsers", "a".repeat(60 * 1024));
    expect(r.status).toBe(403);
    expect(xmlValue(r.text, "Code")).toBe("AccessDenied");
    await victimStillServed("ua-qmark");
  });

  it("a long pattern that fits the capped User-Agent still matches (the engine answers, not a blanket deny)", async () => {
    const ok = await call("ListGroups", `${"a".repeat(1500)}b`);
    expect(ok.status).toBe(200);
    // Beyond the 2,048-character cap the `b` is not seen.
    const cut = await call("ListGroups", `${"a".repeat(3000)}b`);
    expect(cut.status).toBe(403);
  });
});
