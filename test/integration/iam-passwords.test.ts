import { beforeAll, describe, expect, it } from "vitest";
import {
  ChangePasswordCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  PutUserPolicyCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateLoginProfileCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { iam } from "../helpers/sandbox";
import { codeOf, expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";

let client: IAMClient;

beforeAll(async () => {
  ({ iam: client } = await withAccount());
});

describe("account password policy", () => {
  it("GetAccountPasswordPolicy / Delete without a policy: NoSuchEntity 404", async () => {
    const { account: fresh, iam: c } = await withAccount();
    await expectAwsError(
      c.send(new GetAccountPasswordPolicyCommand({})),
      "NoSuchEntity",
      404,
      `The Password Policy with domain name ${fresh.accountId} cannot be found.`,
    );
    await expectAwsError(
      c.send(new DeleteAccountPasswordPolicyCommand({})),
      "NoSuchEntity",
      404,
      "The account policy with name PasswordPolicy cannot be found.",
    );
  });

  it("stores every field; parameters left out revert to their defaults", async () => {
    const { iam: c } = await withAccount();
    await c.send(
      new UpdateAccountPasswordPolicyCommand({
        MinimumPasswordLength: 14,
        RequireSymbols: true,
        RequireNumbers: true,
        RequireUppercaseCharacters: true,
        RequireLowercaseCharacters: true,
        AllowUsersToChangePassword: true,
        MaxPasswordAge: 90,
        PasswordReusePrevention: 24,
        HardExpiry: true,
      }),
    );
    expect((await c.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toEqual({
      MinimumPasswordLength: 14,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      AllowUsersToChangePassword: true,
      ExpirePasswords: true,
      MaxPasswordAge: 90,
      PasswordReusePrevention: 24,
      HardExpiry: true,
    });
    await c.send(new UpdateAccountPasswordPolicyCommand({ RequireNumbers: true }));
    expect((await c.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toEqual({
      MinimumPasswordLength: 6,
      RequireSymbols: false,
      RequireNumbers: true,
      RequireUppercaseCharacters: false,
      RequireLowercaseCharacters: false,
      AllowUsersToChangePassword: false,
      ExpirePasswords: false,
    });
    await c.send(new DeleteAccountPasswordPolicyCommand({}));
    await expectAwsError(c.send(new GetAccountPasswordPolicyCommand({})), "NoSuchEntity", 404);
  });

  it("enforces AWS's bounds", async () => {
    const cases: [Record<string, number>, RegExp][] = [
      [
        { MinimumPasswordLength: 5 },
        /Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6/,
      ],
      [
        { MinimumPasswordLength: 129 },
        /Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128/,
      ],
      [{ MaxPasswordAge: 0 }, /at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1/],
      [{ MaxPasswordAge: 1096 }, /at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095/],
      [
        { PasswordReusePrevention: 0 },
        /at 'passwordReusePrevention' failed to satisfy constraint: Member must have value greater than or equal to 1/,
      ],
      [
        { PasswordReusePrevention: 25 },
        /at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24/,
      ],
    ];
    for (const [input, msg] of cases)
      await expectAwsError(client.send(new UpdateAccountPasswordPolicyCommand(input)), "ValidationError", 400, msg);
  });
});

describe("login profiles", () => {
  it("AWS's default policy applies when the account has none", async () => {
    const { iam: c } = await withAccount();
    await c.send(new CreateUserCommand({ UserName: "dflt" }));
    await expectAwsError(
      c.send(new CreateLoginProfileCommand({ UserName: "dflt", Password: "Ab1!" })),
      "PasswordPolicyViolation",
      400,
      "Password should have a minimum length of 8",
    );
    await expectAwsError(
      c.send(new CreateLoginProfileCommand({ UserName: "dflt", Password: "abcdefgh1" })),
      "PasswordPolicyViolation",
      400,
      "Password should meet 1 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one symbol",
    );
    const out = await c.send(new CreateLoginProfileCommand({ UserName: "dflt", Password: "abcdefgH1" }));
    expect(out.LoginProfile).toMatchObject({ UserName: "dflt", PasswordResetRequired: false });
  });

  it("create / get / update / delete, with the account policy's wording for each rule", async () => {
    const { iam: c } = await withAccount();
    await c.send(
      new UpdateAccountPasswordPolicyCommand({
        MinimumPasswordLength: 12,
        RequireSymbols: true,
        RequireNumbers: true,
        RequireUppercaseCharacters: true,
        RequireLowercaseCharacters: true,
      }),
    );
    await c.send(new CreateUserCommand({ UserName: "pat" }));
    const violations: [string, string][] = [
      ["Sh0rt!", "Password should have a minimum length of 12"],
      ["ALLUPPERCASE1!", "Password should have at least one lowercase letter"],
      ["alllowercase1!", "Password should have at least one uppercase letter"],
      ["NoNumbersHere!", "Password should have at least one number"],
      ["NoSymbolsHere1", "Password should have at least one symbol"],
    ];
    for (const [pw, msg] of violations)
      await expectAwsError(c.send(new CreateLoginProfileCommand({ UserName: "pat", Password: pw })), "PasswordPolicyViolation", 400, msg);
    await expectAwsError(
      c.send(new GetLoginProfileCommand({ UserName: "pat" })),
      "NoSuchEntity",
      404,
      "Login Profile for User pat cannot be found.",
    );

    const before = Date.now();
    const created = await c.send(
      new CreateLoginProfileCommand({ UserName: "pat", Password: "Good-Password-1", PasswordResetRequired: true }),
    );
    expect(created.LoginProfile).toMatchObject({ UserName: "pat", PasswordResetRequired: true });
    expect(created.LoginProfile!.CreateDate!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    await expectAwsError(
      c.send(new CreateLoginProfileCommand({ UserName: "pat", Password: "Good-Password-2" })),
      "EntityAlreadyExists",
      409,
      "Login Profile for user pat already exists.",
    );
    expect((await c.send(new GetLoginProfileCommand({ UserName: "PAT" }))).LoginProfile).toMatchObject({
      UserName: "pat",
      PasswordResetRequired: true,
    });

    await c.send(new UpdateLoginProfileCommand({ UserName: "pat", PasswordResetRequired: false }));
    expect((await c.send(new GetLoginProfileCommand({ UserName: "pat" }))).LoginProfile!.PasswordResetRequired).toBe(false);
    await expectAwsError(
      c.send(new UpdateLoginProfileCommand({ UserName: "pat", Password: "weak" })),
      "PasswordPolicyViolation",
      400,
      "Password should have a minimum length of 12",
    );
    await c.send(new UpdateLoginProfileCommand({ UserName: "pat", Password: "Another-Good-2" }));

    await c.send(new DeleteLoginProfileCommand({ UserName: "pat" }));
    await expectAwsError(
      c.send(new DeleteLoginProfileCommand({ UserName: "pat" })),
      "NoSuchEntity",
      404,
      "Login Profile for User pat cannot be found.",
    );
    await expectAwsError(
      c.send(new UpdateLoginProfileCommand({ UserName: "pat", PasswordResetRequired: true })),
      "NoSuchEntity",
      404,
      "Login Profile for User pat cannot be found.",
    );
    await expectAwsError(
      c.send(new CreateLoginProfileCommand({ UserName: "ghost", Password: "Good-Password-1" })),
      "NoSuchEntity",
      404,
      "The user with name ghost cannot be found.",
    );
    await expectAwsError(
      c.send(new GetLoginProfileCommand({})),
      "ValidationError",
      400,
      "Must specify userName when calling with non-User credentials",
    );
  });

  it("20 parallel CreateLoginProfile for one user: exactly one wins", async () => {
    await client.send(new CreateUserCommand({ UserName: "racer" }));
    const res = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        client.send(new CreateLoginProfileCommand({ UserName: "racer", Password: `Parallel-Pass-${i}` })),
      ),
    );
    expect(res.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of res) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("EntityAlreadyExists");
  });
});

describe("ChangePassword", () => {
  it("changes the caller's own password: old must match, policy and reuse prevention apply, reset flag clears", async () => {
    const { iam: c } = await withAccount();
    await c.send(
      new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8, PasswordReusePrevention: 2, AllowUsersToChangePassword: true }),
    );
    await c.send(new CreateUserCommand({ UserName: "chris" }));
    await c.send(
      new PutUserPolicyCommand({
        UserName: "chris",
        PolicyName: "self",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["iam:ChangePassword", "iam:GetLoginProfile"], Resource: "arn:aws:iam::*:user/${aws:username}" },
          ],
        }),
      }),
    );
    await c.send(new CreateLoginProfileCommand({ UserName: "chris", Password: "first-pass", PasswordResetRequired: true }));
    const key = (await c.send(new CreateAccessKeyCommand({ UserName: "chris" }))).AccessKey!;
    const me = iam(keyCreds(key));

    await expectAwsError(
      me.send(new ChangePasswordCommand({ OldPassword: "wrong-pass", NewPassword: "second-pass" })),
      "AccessDenied",
      403,
    );
    await expectAwsError(
      me.send(new ChangePasswordCommand({ OldPassword: "first-pass", NewPassword: "short" })),
      "PasswordPolicyViolation",
      400,
      "Password should have a minimum length of 8",
    );
    await expectAwsError(
      me.send(new ChangePasswordCommand({ OldPassword: "first-pass", NewPassword: "first-pass" })),
      "PasswordPolicyViolation",
      400,
      "Password should not be one of your last 2 passwords",
    );
    await me.send(new ChangePasswordCommand({ OldPassword: "first-pass", NewPassword: "second-pass" }));
    expect((await me.send(new GetLoginProfileCommand({}))).LoginProfile).toMatchObject({ UserName: "chris", PasswordResetRequired: false });
    await me.send(new ChangePasswordCommand({ OldPassword: "second-pass", NewPassword: "third-pass" }));
    // Only the last 2 are remembered: the first one may come back.
    await expectAwsError(
      me.send(new ChangePasswordCommand({ OldPassword: "third-pass", NewPassword: "second-pass" })),
      "PasswordPolicyViolation",
      400,
    );
    await me.send(new ChangePasswordCommand({ OldPassword: "third-pass", NewPassword: "first-pass" }));
    await expectAwsError(
      me.send(new ChangePasswordCommand({ OldPassword: "third-pass", NewPassword: "fourth-pass" })),
      "AccessDenied",
      403,
    );
  });

  it("is for IAM users only: the root user gets InvalidUserType", async () => {
    await expectAwsError(client.send(new ChangePasswordCommand({ OldPassword: "a", NewPassword: "b" })), "InvalidUserType", 400);
  });
});

describe("DeleteUser and login profiles", () => {
  it("DeleteUser refuses a user with a login profile until it is deleted", async () => {
    await client.send(new CreateUserCommand({ UserName: "has-console" }));
    await client.send(new CreateLoginProfileCommand({ UserName: "has-console", Password: "Correct-Horse-9" }));
    await expectAwsError(
      client.send(new DeleteUserCommand({ UserName: "has-console" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete login profile first.",
    );
    await client.send(new DeleteLoginProfileCommand({ UserName: "has-console" }));
    await client.send(new DeleteUserCommand({ UserName: "has-console" }));
  });
});
