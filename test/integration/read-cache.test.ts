/** The isolate read cache never serves a stale or unauthorized answer. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetAccessKeyLastUsedCommand,
  ListUsersCommand,
  TagUserCommand,
  ListUserTagsCommand,
  DetachUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { iam, sts } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";

let root: ReturnType<typeof iam>;
beforeAll(async () => {
  ({ iam: root } = await withAccount());
});

describe("isolate read cache", () => {
  it("a read right after a write shows the write", async () => {
    expect((await root.send(new ListUsersCommand({}))).Users).toEqual([]);
    await root.send(new CreateUserCommand({ UserName: "first" }));
    expect((await root.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toEqual(["first"]);
    expect((await root.send(new ListUserTagsCommand({ UserName: "first" }))).Tags).toEqual([]);
    await root.send(new TagUserCommand({ UserName: "first", Tags: [{ Key: "k", Value: "v" }] }));
    expect((await root.send(new ListUserTagsCommand({ UserName: "first" }))).Tags).toEqual([{ Key: "k", Value: "v" }]);
  });

  it("a cached answer is still authorized for each caller", async () => {
    await root.send(new CreateUserCommand({ UserName: "reader" }));
    await root.send(new AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
    await root.send(new CreateUserCommand({ UserName: "nobody" }));
    const rk = (await root.send(new CreateAccessKeyCommand({ UserName: "reader" }))).AccessKey!;
    const nk = (await root.send(new CreateAccessKeyCommand({ UserName: "nobody" }))).AccessKey!;
    const reader = iam(keyCreds(rk));
    await reader.send(new ListUsersCommand({}));
    await reader.send(new ListUsersCommand({}));
    await expectAwsError(iam(keyCreds(nk)).send(new ListUsersCommand({})), "AccessDenied", 403);
    await root.send(new DetachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
    await expectAwsError(reader.send(new ListUsersCommand({})), "AccessDenied", 403);
  });

  it("a root key cached across other writes is still dropped at once when root deactivates it", async () => {
    const { account: other, iam: r } = await withAccount();
    const second = (await r.send(new CreateAccessKeyCommand({}))).AccessKey!;
    const k2 = keyCreds(second);
    expect((await sts(k2).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${other.accountId}:root`);
    await r.send(new CreateUserCommand({ UserName: "unrelated-write" }));
    expect((await sts(k2).send(new GetCallerIdentityCommand({}))).Account).toBe(other.accountId);
    await r.send(new UpdateAccessKeyCommand({ AccessKeyId: k2.accessKeyId, Status: "Inactive" }));
    await expectAwsError(sts(k2).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  });

  it("last-used data written after a call reaches the next read", async () => {
    await root.send(new CreateUserCommand({ UserName: "user3" }));
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: "user3" }))).AccessKey!;
    const before = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId! }));
    expect(before.AccessKeyLastUsed!.ServiceName).toBe("N/A");
    await sts(keyCreds(k), "eu-west-1").send(new GetCallerIdentityCommand({}));
    // Written after the response (waitUntil).
    const after = await waitFor(
      async () => {
        const out = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId! }));
        return out.AccessKeyLastUsed!.ServiceName === "N/A" ? undefined : out;
      },
      { timeoutMs: 1_000, intervalMs: 20, what: "the key's last use" },
    );
    expect(after.AccessKeyLastUsed).toMatchObject({ ServiceName: "sts", Region: "eu-west-1" });
  });
});
