/**
 * SSH public keys with the real @aws-sdk/client-iam and the AWS CLI: OpenSSH and PEM bodies,
 * AWS's MD5 fingerprint (checked against ssh-keygen), encodings converted by GetSSHPublicKey,
 * AWS's errors (unrecognized / invalid / short / duplicate keys, the limit of 5), lists with
 * pagination, status updates, and DeleteUser's DeleteConflict while a key remains.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  GetSSHPublicKeyCommand,
  ListSSHPublicKeysCommand,
  UpdateSSHPublicKeyCommand,
  UploadSSHPublicKeyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { iam, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";
import { hasSshKeygen, rsaKey, sshKeygenMd5 } from "../helpers/keys";

let client: IAMClient;
let creds: Creds;

beforeAll(async () => {
  ({ iam: client, creds } = await withAccount());
  await client.send(new CreateUserCommand({ UserName: "dev" }));
});

const upload = (UserName: string, SSHPublicKeyBody: string) => client.send(new UploadSSHPublicKeyCommand({ UserName, SSHPublicKeyBody }));

describe("UploadSSHPublicKey", () => {
  it("takes an OpenSSH ssh-rsa key and answers AWS's members, with the MD5 fingerprint of the key blob", async () => {
    const key = rsaKey(2048);
    const k = (await upload("dev", key.ssh)).SSHPublicKey!;
    expect(k.UserName).toBe("dev");
    expect(k.SSHPublicKeyId).toMatch(/^APKA[A-Z2-7]{16}$/);
    expect(k.Fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(k.SSHPublicKeyBody).toBe(key.ssh);
    expect(k.Status).toBe("Active");
    expect(k.UploadDate).toBeInstanceOf(Date);
    if (hasSshKeygen) expect(k.Fingerprint).toBe(sshKeygenMd5(key.ssh));
    await client.send(new DeleteSSHPublicKeyCommand({ UserName: "dev", SSHPublicKeyId: k.SSHPublicKeyId }));
  });

  it("takes PEM (SubjectPublicKeyInfo and PKCS#1) with the same fingerprint as the OpenSSH form", async () => {
    await client.send(new CreateUserCommand({ UserName: "pem1" }));
    await client.send(new CreateUserCommand({ UserName: "pem2" }));
    const key = rsaKey(3072);
    const a = (await upload("pem1", key.spki)).SSHPublicKey!;
    const b = (await upload("pem2", key.pkcs1)).SSHPublicKey!;
    const c = (await upload("pem2", rsaKey(2048).ssh)).SSHPublicKey!;
    expect([a.UserName, b.UserName, c.UserName]).toEqual(["pem1", "pem2", "pem2"]);
    expect(a.Fingerprint).toBe(b.Fingerprint);
    expect(a.Fingerprint).not.toBe(c.Fingerprint);
    if (hasSshKeygen) expect(a.Fingerprint).toBe(sshKeygenMd5(key.ssh));
  });

  it("refuses other key types, garbage, short keys and the same key twice for a user with AWS's codes", async () => {
    await client.send(new CreateUserCommand({ UserName: "picky" }));
    await expectAwsError(
      upload("picky", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbT0wD7TQ5bT5gKx4Qz1Ztz4bYQ2j1l2i3k4l5m6n7o x@y"),
      "UnrecognizedPublicKeyEncoding",
      400,
    );
    await expectAwsError(upload("picky", "not a key at all"), "UnrecognizedPublicKeyEncoding", 400);
    await expectAwsError(upload("picky", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB"), "InvalidPublicKey", 400);
    await expectAwsError(upload("picky", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"), "InvalidPublicKey", 400);
    await expectAwsError(upload("picky", rsaKey(1024).ssh), "InvalidPublicKey", 400, /2048/);
    const key = rsaKey(2048);
    await upload("picky", key.ssh);
    await expectAwsError(upload("picky", key.spki), "DuplicateSSHPublicKey", 400);
    await expectAwsError(upload("nobody", key.ssh), "NoSuchEntity", 404, "The user with name nobody cannot be found.");
  });

  it("allows 5 keys per user, then LimitExceeded (parallel uploads cannot overshoot)", async () => {
    await client.send(new CreateUserCommand({ UserName: "many" }));
    const keys = Array.from({ length: 7 }, () => rsaKey(2048).ssh);
    const results = await Promise.allSettled(keys.map((k) => upload("many", k)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    await expectAwsError(upload("many", rsaKey(2048).ssh), "LimitExceeded", 409);
    const list = await client.send(new ListSSHPublicKeysCommand({ UserName: "many" }));
    expect(list.SSHPublicKeys).toHaveLength(5);
  });
});

describe("GetSSHPublicKey / ListSSHPublicKeys / UpdateSSHPublicKey / DeleteSSHPublicKey", () => {
  it("converts between the SSH and PEM encodings", async () => {
    await client.send(new CreateUserCommand({ UserName: "conv" }));
    const key = rsaKey(2048);
    const id = (await upload("conv", key.ssh)).SSHPublicKey!.SSHPublicKeyId!;
    const ssh = (await client.send(new GetSSHPublicKeyCommand({ UserName: "conv", SSHPublicKeyId: id, Encoding: "SSH" }))).SSHPublicKey!;
    expect(ssh.SSHPublicKeyBody).toBe(key.ssh);
    const pem = (await client.send(new GetSSHPublicKeyCommand({ UserName: "conv", SSHPublicKeyId: id, Encoding: "PEM" }))).SSHPublicKey!;
    expect(pem.SSHPublicKeyBody!.trim()).toBe(key.spki.trim());
    expect(pem.Fingerprint).toBe(ssh.Fingerprint);

    const id2 = (await upload("conv", rsaKey(2048).pkcs1)).SSHPublicKey!.SSHPublicKeyId!;
    const back = (await client.send(new GetSSHPublicKeyCommand({ UserName: "conv", SSHPublicKeyId: id2, Encoding: "SSH" }))).SSHPublicKey!;
    expect(back.SSHPublicKeyBody).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+$/);

    await expectAwsError(
      client.send(new GetSSHPublicKeyCommand({ UserName: "conv", SSHPublicKeyId: "APKAAAAAAAAAAAAAAAAA", Encoding: "SSH" })),
      "NoSuchEntity",
      404,
    );
    await expectAwsError(
      client.send(new GetSSHPublicKeyCommand({ UserName: "conv", SSHPublicKeyId: id, Encoding: "DER" as "SSH" })),
      "ValidationError",
      400,
    );
  });

  it("lists a user's keys in pages; without UserName an IAM user lists its own", async () => {
    await client.send(new CreateUserCommand({ UserName: "pager" }));
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push((await upload("pager", rsaKey(2048).ssh)).SSHPublicKey!.SSHPublicKeyId!);
    const p1 = await client.send(new ListSSHPublicKeysCommand({ UserName: "pager", MaxItems: 2 }));
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(new ListSSHPublicKeysCommand({ UserName: "pager", Marker: p1.Marker }));
    expect(p2.IsTruncated).toBe(false);
    const seen = [...p1.SSHPublicKeys!, ...p2.SSHPublicKeys!];
    expect(seen.map((k) => k.SSHPublicKeyId).sort()).toEqual([...ids].sort());
    expect(Object.keys(seen[0]!).sort()).toEqual(["SSHPublicKeyId", "Status", "UploadDate", "UserName"]);

    const ak = (await client.send(new CreateAccessKeyCommand({ UserName: "pager" }))).AccessKey!;
    // The user has no permissions: its own list is still denied by the policy engine, as in AWS.
    await expectAwsError(iam(keyCreds(ak)).send(new ListSSHPublicKeysCommand({})), "AccessDenied", 403, /user\/pager/);
    await expectAwsError(client.send(new ListSSHPublicKeysCommand({ UserName: "ghost" })), "NoSuchEntity", 404);
  });

  it("sets Active/Inactive and deletes; DeleteUser conflicts while a key remains", async () => {
    await client.send(new CreateUserCommand({ UserName: "leaver" }));
    const id = (await upload("leaver", rsaKey(2048).ssh)).SSHPublicKey!.SSHPublicKeyId!;
    await client.send(new UpdateSSHPublicKeyCommand({ UserName: "leaver", SSHPublicKeyId: id, Status: "Inactive" }));
    const list = await client.send(new ListSSHPublicKeysCommand({ UserName: "leaver" }));
    expect(list.SSHPublicKeys![0]!.Status).toBe("Inactive");
    await expectAwsError(client.send(new DeleteUserCommand({ UserName: "leaver" })), "DeleteConflict", 409, /SSH public keys/);
    await client.send(new DeleteSSHPublicKeyCommand({ UserName: "leaver", SSHPublicKeyId: id }));
    await expectAwsError(
      client.send(new DeleteSSHPublicKeyCommand({ UserName: "leaver", SSHPublicKeyId: id })),
      "NoSuchEntity",
      404,
      `The Public Key with id ${id} cannot be found.`,
    );
    await client.send(new DeleteUserCommand({ UserName: "leaver" }));
  });
});

describe.skipIf(!hasAwsCli)("the AWS CLI", () => {
  it("uploads a key from a file and reads it back as PEM", async () => {
    await client.send(new CreateUserCommand({ UserName: "cli-dev" }));
    const key = rsaKey(2048);
    const file = join(mkdtempSync(join(tmpdir(), "iamlab-cli-")), "id_rsa.pub");
    writeFileSync(file, `${key.ssh}\n`);
    const up = await awsCli<{ SSHPublicKey: { SSHPublicKeyId: string; Fingerprint: string } }>(
      creds,
      "iam",
      "upload-ssh-public-key",
      "--user-name",
      "cli-dev",
      "--ssh-public-key-body",
      `file://${file}`,
    );
    expect(up.SSHPublicKey.SSHPublicKeyId).toMatch(/^APKA/);
    const got = await awsCli<{ SSHPublicKey: { SSHPublicKeyBody: string; Fingerprint: string } }>(
      creds,
      "iam",
      "get-ssh-public-key",
      "--user-name",
      "cli-dev",
      "--ssh-public-key-id",
      up.SSHPublicKey.SSHPublicKeyId,
      "--encoding",
      "PEM",
    );
    expect(got.SSHPublicKey.SSHPublicKeyBody).toContain("-----BEGIN PUBLIC KEY-----");
    expect(got.SSHPublicKey.Fingerprint).toBe(up.SSHPublicKey.Fingerprint);
  });
});
