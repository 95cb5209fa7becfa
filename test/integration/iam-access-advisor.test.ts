import { beforeAll, describe, expect, it } from "vitest";
import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsWithEntitiesCommand,
  ListUsersCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { iam, type NewAccount } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { TRUST, policyDoc, serviceTrust } from "../helpers/documents";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";

let account: NewAccount;
let client: IAMClient;

beforeAll(async () => {
  ({ account, iam: client } = await withAccount());
});

async function report(arn: string, granularity?: "SERVICE_LEVEL" | "ACTION_LEVEL") {
  const { JobId } = await client.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: granularity }));
  expect(JobId).toMatch(/^[0-9a-f-]{36}$/);
  return { JobId: JobId!, out: await client.send(new GetServiceLastAccessedDetailsCommand({ JobId })) };
}

describe("Access Advisor", () => {
  it("lists every service the user's own and group policies allow, none used yet", async () => {
    await client.send(new CreateUserCommand({ UserName: "reader" }));
    await client.send(
      new PutUserPolicyCommand({
        UserName: "reader",
        PolicyName: "p",
        PolicyDocument: policyDoc(
          { Effect: "Allow", Action: ["s3:Get*", "iam:List*"], Resource: "*" },
          { Effect: "Deny", Action: "kms:*", Resource: "*" },
        ),
      }),
    );
    await client.send(new CreateGroupCommand({ GroupName: "queues" }));
    await client.send(
      new PutGroupPolicyCommand({
        GroupName: "queues",
        PolicyName: "q",
        PolicyDocument: policyDoc({ Effect: "Allow", Action: "sqs:*", Resource: "*" }),
      }),
    );
    await client.send(new AddUserToGroupCommand({ GroupName: "queues", UserName: "reader" }));

    const { out } = await report(`arn:aws:iam::${account.accountId}:user/reader`);
    expect(out.JobStatus).toBe("COMPLETED");
    expect(out.JobType).toBe("SERVICE_LEVEL");
    expect(out.JobCreationDate).toBeInstanceOf(Date);
    expect(out.JobCompletionDate).toBeInstanceOf(Date);
    expect(out.IsTruncated).toBe(false);
    expect(out.ServicesLastAccessed).toEqual([
      { ServiceName: "AWS Identity and Access Management", ServiceNamespace: "iam", TotalAuthenticatedEntities: 0 },
      { ServiceName: "Amazon S3", ServiceNamespace: "s3", TotalAuthenticatedEntities: 0 },
      { ServiceName: "Amazon SQS", ServiceNamespace: "sqs", TotalAuthenticatedEntities: 0 },
    ]);

    const p1 = await client.send(
      new GetServiceLastAccessedDetailsCommand({
        JobId: (await report(`arn:aws:iam::${account.accountId}:user/reader`)).JobId,
        MaxItems: 2,
      }),
    );
    expect(p1.ServicesLastAccessed).toHaveLength(2);
    expect(p1.IsTruncated).toBe(true);
  });

  it("NotAction allows every catalogued service but the excluded ones; ACTION_LEVEL jobs say so", async () => {
    await client.send(new CreateRoleCommand({ RoleName: "broad", AssumeRolePolicyDocument: TRUST }));
    const pol = await client.send(
      new CreatePolicyCommand({
        PolicyName: "not-iam",
        PolicyDocument: policyDoc({ Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }),
      }),
    );
    await client.send(new AttachRolePolicyCommand({ RoleName: "broad", PolicyArn: pol.Policy!.Arn! }));
    const { out } = await report(`arn:aws:iam::${account.accountId}:role/broad`, "ACTION_LEVEL");
    expect(out.JobType).toBe("ACTION_LEVEL");
    const ns = out.ServicesLastAccessed!.map((x) => x.ServiceNamespace);
    expect(ns).toContain("s3");
    expect(ns).toContain("sts");
    expect(ns).not.toContain("iam");
    expect(ns).not.toContain("organizations");
    const names = out.ServicesLastAccessed!.map((x) => x.ServiceName!);
    expect(names).toEqual([...names].sort());
  });

  it("a policy's report lists the users (direct and through groups) and roles that could use it", async () => {
    const pol = await client.send(
      new CreatePolicyCommand({
        PolicyName: "sns-only",
        PolicyDocument: policyDoc({ Effect: "Allow", Action: "sns:Publish", Resource: "*" }),
      }),
    );
    const arn = pol.Policy!.Arn!;
    await client.send(new CreateUserCommand({ UserName: "direct" }));
    await client.send(new AttachUserPolicyCommand({ UserName: "direct", PolicyArn: arn }));
    await client.send(new CreateRoleCommand({ RoleName: "notifier", AssumeRolePolicyDocument: serviceTrust("lambda.amazonaws.com") }));
    await client.send(new AttachRolePolicyCommand({ RoleName: "notifier", PolicyArn: arn }));
    const { JobId, out } = await report(arn);
    expect(out.ServicesLastAccessed).toEqual([{ ServiceName: "Amazon SNS", ServiceNamespace: "sns", TotalAuthenticatedEntities: 0 }]);
    const ents = await client.send(new GetServiceLastAccessedDetailsWithEntitiesCommand({ JobId, ServiceNamespace: "sns" }));
    expect(ents.JobStatus).toBe("COMPLETED");
    expect(ents.EntityDetailsList!.map((e) => [e.EntityInfo!.Type, e.EntityInfo!.Name, e.LastAuthenticated]).sort()).toEqual([
      ["ROLE", "notifier", undefined],
      ["USER", "direct", undefined],
    ]);
    const first = await client.send(new GetServiceLastAccessedDetailsWithEntitiesCommand({ JobId, ServiceNamespace: "sns", MaxItems: 1 }));
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(
      new GetServiceLastAccessedDetailsWithEntitiesCommand({ JobId, ServiceNamespace: "sns", MaxItems: 1, Marker: first.Marker }),
    );
    expect(second.IsTruncated).toBe(false);
    expect(second.EntityDetailsList).toHaveLength(1);
  });

  it("errors: invalid ARN, missing entity, unknown job, bad granularity", async () => {
    await expectAwsError(
      client.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: "arn:aws:s3:::some-bucket-name" })),
      "InvalidInput",
      400,
    );
    await expectAwsError(
      client.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: `arn:aws:iam::${account.accountId}:user/nobody` })),
      "NoSuchEntity",
      404,
      "The user with name nobody cannot be found.",
    );
    await expectAwsError(
      client.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: `arn:aws:iam::${account.accountId}:group/nogroup` })),
      "NoSuchEntity",
      404,
    );
    await expectAwsError(
      client.send(new GetServiceLastAccessedDetailsCommand({ JobId: "00000000-0000-4000-8000-000000000000" })),
      "NoSuchEntity",
      404,
    );
    await expectAwsError(
      client.send(
        new GenerateServiceLastAccessedDetailsCommand({
          Arn: `arn:aws:iam::${account.accountId}:user/reader`,
          Granularity: "FINE" as "SERVICE_LEVEL",
        }),
      ),
      "ValidationError",
      400,
      /Member must satisfy enum value set: \[SERVICE_LEVEL, ACTION_LEVEL\]/,
    );
  });

  it("shows a service as used only after a real call, with the caller, region and date (ACTION_LEVEL: the action)", async () => {
    await client.send(new CreateUserCommand({ UserName: "worker" }));
    await client.send(
      new PutUserPolicyCommand({
        UserName: "worker",
        PolicyName: "w",
        PolicyDocument: policyDoc({ Effect: "Allow", Action: ["iam:ListUsers", "s3:ListAllMyBuckets"], Resource: "*" }),
      }),
    );
    const userArn = `arn:aws:iam::${account.accountId}:user/worker`;
    const before = (await report(userArn, "ACTION_LEVEL")).out;
    expect(before.ServicesLastAccessed!.find((x) => x.ServiceNamespace === "iam")!.LastAuthenticated).toBeUndefined();

    const key = (await client.send(new CreateAccessKeyCommand({ UserName: "worker" }))).AccessKey!;
    const t0 = Date.now();
    await iam(keyCreds(key), "eu-west-1").send(new ListUsersCommand({}));
    // Recorded after the response: a fresh report shows it once written.
    const after = await waitFor(
      async () => {
        const out = (await report(userArn, "ACTION_LEVEL")).out;
        return out.ServicesLastAccessed!.find((x) => x.ServiceNamespace === "iam")!.LastAuthenticated ? out : undefined;
      },
      { timeoutMs: 3_000, intervalMs: 50, what: "iam's LastAuthenticated in the report" },
    );
    const iamSvc = after.ServicesLastAccessed!.find((x) => x.ServiceNamespace === "iam")!;
    expect(iamSvc.LastAuthenticatedEntity).toBe(userArn);
    expect(iamSvc.LastAuthenticatedRegion).toBe("eu-west-1");
    expect(iamSvc.TotalAuthenticatedEntities).toBe(1);
    expect(Math.abs(iamSvc.LastAuthenticated!.getTime() - t0)).toBeLessThan(5000);
    expect(iamSvc.TrackedActionsLastAccessed).toEqual([
      { ActionName: "ListUsers", LastAccessedEntity: userArn, LastAccessedTime: iamSvc.LastAuthenticated, LastAccessedRegion: "eu-west-1" },
    ]);
    const s3 = after.ServicesLastAccessed!.find((x) => x.ServiceNamespace === "s3")!;
    expect(s3.LastAuthenticated).toBeUndefined();
    expect(s3.TotalAuthenticatedEntities).toBe(0);
  });
});
