/** A service assuming its role (admin API), and sts:DecodeAuthorizationMessage on a denial's decision id. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMServiceException,
  ListUsersCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { DecodeAuthorizationMessageCommand, GetCallerIdentityCommand, STSServiceException } from "@aws-sdk/client-sts";
import { adminFetch, iam, sts, type NewAccount } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { serviceTrust } from "../helpers/documents";
import { keyCreds, withAccount } from "../helpers/fixtures";

let acct: NewAccount;
let root: IAMClient;
beforeAll(async () => {
  ({ account: acct, iam: root } = await withAccount());
  await root.send(new CreateRoleCommand({ RoleName: "web-server", AssumeRolePolicyDocument: serviceTrust("ec2.amazonaws.com") }));
  await root.send(new CreateRoleCommand({ RoleName: "fn", AssumeRolePolicyDocument: serviceTrust("lambda.amazonaws.com") }));
});

describe("a service assumes its role", () => {
  it("ec2.amazonaws.com assumes a role that trusts it, and the credentials work", async () => {
    const r = await adminFetch(`/accounts/${acct.accountId}/service-sessions`, {
      method: "POST",
      body: JSON.stringify({ service: "ec2.amazonaws.com", roleName: "web-server", sessionName: "i-0abc123" }),
    });
    expect(r.status).toBe(201);
    const out = (await r.json()) as {
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
      AssumedRoleUser: { Arn: string };
    };
    expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${acct.accountId}:assumed-role/web-server/i-0abc123`);
    const who = await sts({
      accessKeyId: out.Credentials.AccessKeyId,
      secretAccessKey: out.Credentials.SecretAccessKey,
      sessionToken: out.Credentials.SessionToken,
    }).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(out.AssumedRoleUser.Arn);
  });

  it("a service the trust policy does not name is denied", async () => {
    const r = await adminFetch(`/accounts/${acct.accountId}/service-sessions`, {
      method: "POST",
      body: JSON.stringify({ service: "ec2.amazonaws.com", roleName: "fn" }),
    });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toBe("AccessDenied");
  });
});

describe("sts:DecodeAuthorizationMessage", () => {
  it("decodes a denial's decision id for the same account, and refuses others", async () => {
    await root.send(new CreateUserCommand({ UserName: "nobody" }));
    await root.send(new CreateUserCommand({ UserName: "auditor" }));
    await root.send(
      new PutUserPolicyCommand({
        UserName: "auditor",
        PolicyName: "decode",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:DecodeAuthorizationMessage", Resource: "*" }],
        }),
      }),
    );
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: "nobody" }))).AccessKey!;
    let id: string | undefined;
    try {
      await iam(keyCreds(k)).send(new ListUsersCommand({}));
    } catch (e) {
      id = ((e as IAMServiceException).$response as { headers: Record<string, string> }).headers["x-iamlab-decision-id"];
    }
    expect(id).toBeTruthy();
    const a = (await root.send(new CreateAccessKeyCommand({ UserName: "auditor" }))).AccessKey!;
    const out = await sts(keyCreds(a)).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: id! }));
    const doc = JSON.parse(out.DecodedMessage!) as {
      allowed: boolean;
      explicitDeny: boolean;
      context: { action: string; principal: { arn: string } };
      iamlab: { reason: string };
    };
    expect(doc).toMatchObject({
      allowed: false,
      explicitDeny: false,
      context: { action: "iam:ListUsers", principal: { arn: `arn:aws:iam::${acct.accountId}:user/nobody` } },
      iamlab: { reason: "noIdentityAllow" },
    });

    const other = await withAccount();
    const e = await expectAwsError(
      other.sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: id! })),
      "InvalidAuthorizationMessageException",
      400,
    );
    expect(e).toBeInstanceOf(STSServiceException);
  });
});
