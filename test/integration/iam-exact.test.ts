/**
 * IAM answers as AWS gives them (issue 13, "Answers that differ from AWS"): member sets of Create/Get
 * answers, service-linked roles for every principal AWS's managed policies name, password policy
 * defaults, membership and MFA messages. AWS's answers as recorded by LocalStack's AWS snapshot suite.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreatePolicyCommand,
  CreateServiceLinkedRoleCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateGroupCommand,
  CreateVirtualMFADeviceCommand,
  GetAccountPasswordPolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  RemoveUserFromGroupCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateRoleDescriptionCommand,
  UntagRoleCommand,
} from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";
import { rawSigned } from "../helpers/sandbox";
import { SERVICE_LINKED_ROLE_PRINCIPALS } from "../../src/data/generated/service-linked-roles";

const DOC = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] });
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

let fx: AccountFixture;
beforeAll(async () => {
  fx = await withAccount();
});

describe("policies", () => {
  it("CreatePolicy answers without Description; GetPolicy shows it, and Tags even when empty", async () => {
    const created = await fx.iam.send(
      new CreatePolicyCommand({ PolicyName: "described", PolicyDocument: DOC, Description: "what it does" }),
    );
    expect(created.Policy?.Description).toBeUndefined();
    expect(created.Policy?.Tags).toBeUndefined();
    const got = await fx.iam.send(new GetPolicyCommand({ PolicyArn: created.Policy!.Arn }));
    expect(got.Policy?.Description).toBe("what it does");
    expect(got.Policy?.Tags).toEqual([]);
    const raw = await rawSigned(
      { Action: "GetPolicy", Version: "2010-05-08", PolicyArn: created.Policy!.Arn! },
      { creds: fx.creds, service: "iam" },
    );
    expect(raw.text).toMatch(/<Tags><\/Tags>|<Tags\/>/);
  });

  it("GetPolicy of an AWS-managed policy: Tags empty", async () => {
    const got = await fx.iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/IAMUserChangePassword" }));
    expect(got.Policy?.Tags).toEqual([]);
  });

  it.skipIf(!hasAwsCli)("the CLI shows GetPolicy's empty Tags as [] and CreatePolicy without Description", async () => {
    const created = await awsCli<{ Policy: Record<string, unknown> }>(
      fx.creds,
      "iam",
      "create-policy",
      "--policy-name",
      "cli-described",
      "--policy-document",
      DOC,
      "--description",
      "d",
    );
    expect(created.Policy).not.toHaveProperty("Description");
    const got = await awsCli<{ Policy: Record<string, unknown> }>(
      fx.creds,
      "iam",
      "get-policy",
      "--policy-arn",
      String(created.Policy.Arn),
    );
    expect(got.Policy.Tags).toEqual([]);
    expect(got.Policy.Description).toBe("d");
  });
});

describe("users and roles", () => {
  it("GetUser and GetRole leave Tags out when there are none (AWS does)", async () => {
    await fx.iam.send(new CreateUserCommand({ UserName: "untagged" }));
    expect((await fx.iam.send(new GetUserCommand({ UserName: "untagged" }))).User).not.toHaveProperty("Tags");
    await fx.iam.send(new CreateRoleCommand({ RoleName: "untagged", AssumeRolePolicyDocument: TRUST }));
    const role = (await fx.iam.send(new GetRoleCommand({ RoleName: "untagged" }))).Role;
    expect(role?.Tags).toBeUndefined();
    expect(role?.RoleLastUsed).toEqual({});
    expect(role?.MaxSessionDuration).toBe(3600);
  });

  it("UpdateRoleDescription answers the role without MaxSessionDuration and RoleLastUsed", async () => {
    await fx.iam.send(new CreateRoleCommand({ RoleName: "described", AssumeRolePolicyDocument: TRUST }));
    const out = await fx.iam.send(new UpdateRoleDescriptionCommand({ RoleName: "described", Description: "new words" }));
    expect(out.Role?.Description).toBe("new words");
    expect(out.Role?.MaxSessionDuration).toBeUndefined();
    expect(out.Role?.RoleLastUsed).toBeUndefined();
  });

  it("RemoveUserFromGroup: an unknown user is reported before an unknown group; a non-member is a no-op", async () => {
    await expectAwsError(
      fx.iam.send(new RemoveUserFromGroupCommand({ GroupName: "no-group", UserName: "any-user" })),
      "NoSuchEntity",
      404,
      "The user with name any-user cannot be found.",
    );
    await fx.iam.send(new CreateUserCommand({ UserName: "outsider" }));
    await fx.iam.send(new CreateGroupCommand({ GroupName: "club" }));
    // AWS's answer for a user who is not a member is not recorded anywhere we could check (moto answers
    // NoSuchEntity, unverified); removal is idempotent here, as the API reference describes no error for it.
    await fx.iam.send(new RemoveUserFromGroupCommand({ GroupName: "club", UserName: "outsider" }));
  });
});

describe("service-linked roles", () => {
  it("the generated list has the principals AWS's managed policies name (well over a hundred)", () => {
    expect(SERVICE_LINKED_ROLE_PRINCIPALS.length).toBeGreaterThan(120);
    const names = new Map(SERVICE_LINKED_ROLE_PRINCIPALS.map(([p, n]) => [p, n]));
    expect(names.get("cassandra.application-autoscaling.amazonaws.com")).toBe("AWSServiceRoleForApplicationAutoScaling_CassandraTable");
  });

  it("custom-resource.application-autoscaling.amazonaws.com is accepted", async () => {
    const out = await fx.iam.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: "custom-resource.application-autoscaling.amazonaws.com" }),
    );
    expect(out.Role?.RoleName).toBe("AWSServiceRoleForApplicationAutoScaling_CustomResource");
    expect(out.Role?.Path).toBe("/aws-service-role/custom-resource.application-autoscaling.amazonaws.com/");
  });

  it("a principal known only from the generated data is accepted", async () => {
    const out = await fx.iam.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: "cassandra.application-autoscaling.amazonaws.com" }),
    );
    expect(out.Role?.RoleName).toBe("AWSServiceRoleForApplicationAutoScaling_CassandraTable");
  });

  it("with a CustomSuffix and a Description: the answer carries the Description", async () => {
    const out = await fx.iam.send(
      new CreateServiceLinkedRoleCommand({
        AWSServiceName: "autoscaling.amazonaws.com",
        CustomSuffix: "fleet",
        Description: "for the fleet",
      }),
    );
    expect(out.Role?.RoleName).toBe("AWSServiceRoleForAutoScaling_fleet");
    expect(out.Role?.Description).toBe("for the fleet");
  });

  it("an unknown principal is still refused", async () => {
    await expectAwsError(
      fx.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "not-a-service.amazonaws.com" })),
      "InvalidInput",
      400,
      "Service name not-a-service.amazonaws.com is not eligible for service-linked role creation.",
    );
  });
});

describe("password policy", () => {
  it("unset MaxPasswordAge, PasswordReusePrevention and HardExpiry are absent; ExpirePasswords false", async () => {
    await fx.iam.send(new UpdateAccountPasswordPolicyCommand({}));
    const p = (await fx.iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
    expect(p).toEqual({
      AllowUsersToChangePassword: false,
      ExpirePasswords: false,
      MinimumPasswordLength: 6,
      RequireLowercaseCharacters: false,
      RequireNumbers: false,
      RequireSymbols: false,
      RequireUppercaseCharacters: false,
    });
    await fx.iam.send(new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 60, HardExpiry: true, PasswordReusePrevention: 3 }));
    const q = (await fx.iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
    expect(q).toMatchObject({ ExpirePasswords: true, MaxPasswordAge: 60, HardExpiry: true, PasswordReusePrevention: 3 });
  });
});

describe("virtual MFA devices", () => {
  const PATH_MESSAGE =
    "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.";

  it("a bad path gets IAM's path message; a long one the length constraint", async () => {
    for (const Path of ["nope/", "/nope", "/a b/"]) {
      await expectAwsError(
        fx.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "m", Path })),
        "ValidationError",
        400,
        PATH_MESSAGE,
      );
    }
    await expectAwsError(
      fx.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "m", Path: `/${"a".repeat(511)}/` })),
      "ValidationError",
      400,
      /at 'path' failed to satisfy constraint: Member must have length less than or equal to 512/,
    );
  });

  it("a duplicate device: MFA device already exists.", async () => {
    await fx.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "dup" }));
    await expectAwsError(
      fx.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "dup" })),
      "EntityAlreadyExists",
      409,
      "MFA device already exists.",
    );
  });
});

describe("validation messages", () => {
  it("a list of strings is judged as a whole: UntagRole with a bad key (AWS's wording)", async () => {
    await fx.iam.send(new CreateRoleCommand({ RoleName: "untag-me", AssumeRolePolicyDocument: TRUST }));
    const all =
      "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]";
    await expectAwsError(
      fx.iam.send(new UntagRoleCommand({ RoleName: "untag-me", TagKeys: ["k".repeat(129)] })),
      "ValidationError",
      400,
      all,
    );
    await expectAwsError(fx.iam.send(new UntagRoleCommand({ RoleName: "untag-me", TagKeys: ["ok", "bad!"] })), "ValidationError", 400, all);
    await expectAwsError(
      fx.iam.send(new UntagRoleCommand({ RoleName: "untag-me", TagKeys: Array.from({ length: 51 }, (_, i) => `k${i}`) })),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
  });

  it("UpdateAccountPasswordPolicy: values are not echoed, and the problems come in AWS's order", async () => {
    await expectAwsError(
      fx.iam.send(
        new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 129, PasswordReusePrevention: 25, MaxPasswordAge: 1096 }),
      ),
      "ValidationError",
      400,
      "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095",
    );
  });
});
