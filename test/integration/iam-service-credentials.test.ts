/**
 * Service-specific credentials with the real @aws-sdk/client-iam and the AWS CLI: CodeCommit /
 * Keyspaces passwords and Bedrock API keys (with CredentialAgeDays), AWS's NotSupportedService,
 * 2 per user per service, lists (per user, AllUsers, ServiceName filter, pages), reset, status,
 * delete, DeleteUser's DeleteConflict, and the service-name condition key in a policy.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteUserCommand,
  ListServiceSpecificCredentialsCommand,
  PutUserPolicyCommand,
  ResetServiceSpecificCredentialCommand,
  UpdateServiceSpecificCredentialCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { iam, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";
import { waitFor } from "../helpers/wait";

let client: IAMClient;
let creds: Creds;
let A: string;

beforeAll(async () => {
  ({ iam: client, creds, id: A } = await withAccount());
});

const create = (UserName: string, ServiceName: string, CredentialAgeDays?: number) =>
  client.send(new CreateServiceSpecificCredentialCommand({ UserName, ServiceName, CredentialAgeDays }));

describe("CreateServiceSpecificCredential", () => {
  it("CodeCommit: a <user>-at-<account> user name and a password shown once", async () => {
    await client.send(new CreateUserCommand({ UserName: "Coder" }));
    const c = (await create("coder", "codecommit.amazonaws.com")).ServiceSpecificCredential!;
    expect(c.UserName).toBe("Coder");
    expect(c.ServiceName).toBe("codecommit.amazonaws.com");
    expect(c.ServiceUserName).toBe(`Coder-at-${A}`);
    expect(c.ServicePassword).toMatch(/^[A-Za-z0-9+/]{44}$/);
    expect(c.ServiceSpecificCredentialId).toMatch(/^ACCA[A-Z2-7]{17}$/);
    expect(c.Status).toBe("Active");
    expect(c.CreateDate).toBeInstanceOf(Date);
    expect(c.ServiceCredentialSecret).toBeUndefined();
    const list = await client.send(new ListServiceSpecificCredentialsCommand({ UserName: "Coder" }));
    expect(list.ServiceSpecificCredentials).toHaveLength(1);
    expect(list.ServiceSpecificCredentials![0]).toEqual({
      UserName: "Coder",
      Status: "Active",
      ServiceUserName: `Coder-at-${A}`,
      CreateDate: c.CreateDate,
      ServiceSpecificCredentialId: c.ServiceSpecificCredentialId,
      ServiceName: "codecommit.amazonaws.com",
    });
    expect(JSON.stringify(list)).not.toContain(c.ServicePassword!);
  });

  it("Bedrock: an API key (alias and secret) that expires after CredentialAgeDays", async () => {
    await client.send(new CreateUserCommand({ UserName: "llm" }));
    const c = (await create("llm", "bedrock.amazonaws.com", 30)).ServiceSpecificCredential!;
    expect(c.ServiceCredentialAlias).toBe(`llm-at-${A}`);
    expect(c.ServiceCredentialSecret).toMatch(/^ABSK[A-Za-z0-9+/=]+$/);
    expect(c.ServicePassword).toBeUndefined();
    expect(c.ExpirationDate!.getTime() - c.CreateDate!.getTime()).toBe(30 * 86_400_000);
    await expectAwsError(create("llm", "codecommit.amazonaws.com", 30), "InvalidInput", 400);
    await expectAwsError(create("llm", "bedrock.amazonaws.com", 0), "ValidationError", 400);
  });

  it("refuses other services (NotSupportedService), missing users, and a third credential per service", async () => {
    await client.send(new CreateUserCommand({ UserName: "cass" }));
    await expectAwsError(create("cass", "s3.amazonaws.com"), "NotSupportedService", 404);
    await expectAwsError(create("nobody", "cassandra.amazonaws.com"), "NoSuchEntity", 404, "The user with name nobody cannot be found.");
    const outs = await Promise.allSettled([1, 2, 3, 4].map(() => create("cass", "cassandra.amazonaws.com")));
    expect(outs.filter((o) => o.status === "fulfilled")).toHaveLength(2);
    await expectAwsError(create("cass", "cassandra.amazonaws.com"), "LimitExceeded", 409);
    // The limit is per service: CodeCommit still has room.
    await create("cass", "codecommit.amazonaws.com");
  });
});

describe("List / Reset / Update / Delete", () => {
  it("lists per user, for all users, by service, in pages", async () => {
    const { iam: c } = await withAccount();
    await c.send(new CreateUserCommand({ UserName: "u1" }));
    await c.send(new CreateUserCommand({ UserName: "u2" }));
    await c.send(new CreateServiceSpecificCredentialCommand({ UserName: "u1", ServiceName: "codecommit.amazonaws.com" }));
    await c.send(new CreateServiceSpecificCredentialCommand({ UserName: "u1", ServiceName: "cassandra.amazonaws.com" }));
    await c.send(new CreateServiceSpecificCredentialCommand({ UserName: "u2", ServiceName: "codecommit.amazonaws.com" }));
    const all = await c.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true }));
    expect(all.ServiceSpecificCredentials!.map((x) => x.UserName).sort()).toEqual(["u1", "u1", "u2"]);
    const cc = await c.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true, ServiceName: "codecommit.amazonaws.com" }));
    expect(cc.ServiceSpecificCredentials).toHaveLength(2);
    const p1 = await c.send(new ListServiceSpecificCredentialsCommand({ UserName: "u1", MaxItems: 1 }));
    expect(p1.IsTruncated).toBe(true);
    const p2 = await c.send(new ListServiceSpecificCredentialsCommand({ UserName: "u1", Marker: p1.Marker }));
    expect(p2.IsTruncated).toBe(false);
    expect(p2.ServiceSpecificCredentials).toHaveLength(1);
    await expectAwsError(c.send(new ListServiceSpecificCredentialsCommand({ UserName: "ghost" })), "NoSuchEntity", 404);
  });

  it("resets to a new password, sets Inactive, deletes; DeleteUser conflicts meanwhile", async () => {
    await client.send(new CreateUserCommand({ UserName: "rotator" }));
    const c = (await create("rotator", "codecommit.amazonaws.com")).ServiceSpecificCredential!;
    const id = c.ServiceSpecificCredentialId!;
    const reset = (await client.send(new ResetServiceSpecificCredentialCommand({ UserName: "rotator", ServiceSpecificCredentialId: id })))
      .ServiceSpecificCredential!;
    expect(reset.ServicePassword).toMatch(/^[A-Za-z0-9+/]{44}$/);
    expect(reset.ServicePassword).not.toBe(c.ServicePassword);
    expect(reset.ServiceUserName).toBe(c.ServiceUserName);
    await client.send(
      new UpdateServiceSpecificCredentialCommand({ UserName: "rotator", ServiceSpecificCredentialId: id, Status: "Inactive" }),
    );
    expect(
      (await client.send(new ListServiceSpecificCredentialsCommand({ UserName: "rotator" }))).ServiceSpecificCredentials![0]!.Status,
    ).toBe("Inactive");
    await expectAwsError(
      client.send(new DeleteUserCommand({ UserName: "rotator" })),
      "DeleteConflict",
      409,
      /service specific credentials/,
    );
    await client.send(new DeleteServiceSpecificCredentialCommand({ UserName: "rotator", ServiceSpecificCredentialId: id }));
    await expectAwsError(
      client.send(new DeleteServiceSpecificCredentialCommand({ UserName: "rotator", ServiceSpecificCredentialId: id })),
      "NoSuchEntity",
      404,
    );
    await expectAwsError(
      client.send(new ResetServiceSpecificCredentialCommand({ UserName: "rotator", ServiceSpecificCredentialId: id })),
      "NoSuchEntity",
      404,
    );
    await client.send(new DeleteUserCommand({ UserName: "rotator" }));
  });

  it("iam:ServiceSpecificCredentialServiceName reaches the policy engine", async () => {
    await client.send(new CreateUserCommand({ UserName: "self-service" }));
    await client.send(
      new PutUserPolicyCommand({
        UserName: "self-service",
        PolicyName: "codecommit-only",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: "iam:CreateServiceSpecificCredential",
              Resource: "*",
              Condition: { StringEquals: { "iam:ServiceSpecificCredentialServiceName": "codecommit.amazonaws.com" } },
            },
          ],
        }),
      }),
    );
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "self-service" }))).AccessKey!;
    const as = iam(keyCreds(k));
    const ok = await waitFor(
      () =>
        as
          .send(new CreateServiceSpecificCredentialCommand({ UserName: "self-service", ServiceName: "codecommit.amazonaws.com" }))
          .then((r) => r.ServiceSpecificCredential)
          .catch(() => undefined),
      { timeoutMs: 10_000, what: "the new key and policy" },
    );
    expect(ok?.ServiceName).toBe("codecommit.amazonaws.com");
    await expectAwsError(
      as.send(new CreateServiceSpecificCredentialCommand({ UserName: "self-service", ServiceName: "bedrock.amazonaws.com" })),
      "AccessDenied",
      403,
    );
  });
});

describe.skipIf(!hasAwsCli)("the AWS CLI", () => {
  it("creates a Keyspaces credential and lists it", async () => {
    await client.send(new CreateUserCommand({ UserName: "cli-cass" }));
    const out = await awsCli<{ ServiceSpecificCredential: { ServiceUserName: string; ServicePassword: string } }>(
      creds,
      "iam",
      "create-service-specific-credential",
      "--user-name",
      "cli-cass",
      "--service-name",
      "cassandra.amazonaws.com",
    );
    expect(out.ServiceSpecificCredential.ServiceUserName).toBe(`cli-cass-at-${A}`);
    const list = await awsCli<{ ServiceSpecificCredentials: { ServiceName: string }[] }>(
      creds,
      "iam",
      "list-service-specific-credentials",
      "--user-name",
      "cli-cass",
    );
    expect(list.ServiceSpecificCredentials.map((x) => x.ServiceName)).toEqual(["cassandra.amazonaws.com"]);
  });
});
