/**
 * KMS (issue 17, first slice), driven by aws-sdk v2's KMS client (@aws-sdk/client-kms is not
 * installed) and the AWS CLI where present: keys and their default key policy, aliases, real
 * encryption with the encryption context as authenticated data, bad input in KMS's own error codes,
 * and the key-policy delegation lab — IAM policies count only while the key policy names the
 * account; across accounts the key policy and the caller's identity policy must both allow.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import KMS from "aws-sdk/clients/kms";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, createAccount, iam, url, type Creds } from "../helpers/sandbox";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

const kms = (creds: Creds, region = "us-east-1"): KMS =>
  new KMS({
    endpoint: url(),
    region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    maxRetries: 0,
  });

type V2Error = { code: string; statusCode?: number; message: string };

/** The error of a rejected v2 call: the wire's code, its status and message. */
async function kmsError(p: Promise<unknown>): Promise<V2Error> {
  return p.then(
    () => {
      throw new Error("expected an error, got success");
    },
    (e: unknown) => e as V2Error,
  );
}

async function expectKmsError(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<V2Error> {
  const e = await kmsError(p);
  // KMS answers every one of these with 400.
  expect({ code: e.code, status: e.statusCode }).toEqual({ code, status: 400 });
  if (typeof message === "string") expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
  return e;
}

async function newUser(root: Creds, name: string, policy?: object): Promise<{ creds: Creds; arn: string }> {
  const u = await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  const k = await iam(root).send(new CreateAccessKeyCommand({ UserName: name }));
  return { creds: { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! }, arn: u.User!.Arn! };
}

const allowKms = (action: string | string[] = "kms:*") => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: "*" }],
});

let rootA: Creds;
let accountA: string;
let rootB: Creds;
let accountB: string;

beforeAll(async () => {
  const a = await createAccount();
  const b = await createAccount();
  rootA = accountCreds(a);
  accountA = a.accountId;
  rootB = accountCreds(b);
  accountB = b.accountId;
});

describe("keys", () => {
  it("CreateKey answers KeyMetadata as AWS does and gives the default key policy", async () => {
    const { KeyMetadata: m } = await kms(rootA).createKey({ Description: "lab key" }).promise();
    expect(m!.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(m).toMatchObject({
      AWSAccountId: accountA,
      Arn: `arn:aws:kms:us-east-1:${accountA}:key/${m!.KeyId}`,
      Enabled: true,
      Description: "lab key",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    });
    expect(m!.CreationDate).toBeInstanceOf(Date);
    const p = await kms(rootA).getKeyPolicy({ KeyId: m!.KeyId, PolicyName: "default" }).promise();
    expect(JSON.parse(p.Policy!)).toEqual({
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountA}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    });
    expect((await kms(rootA).listKeyPolicies({ KeyId: m!.KeyId }).promise()).PolicyNames).toEqual(["default"]);
  });

  it("DescribeKey by id, ARN, alias name and alias ARN; ListKeys pages with Limit and Marker; aliases", async () => {
    const k = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    await kms(rootA).createAlias({ AliasName: "alias/lab-describe", TargetKeyId: k.KeyId }).promise();
    for (const id of [k.KeyId, k.Arn!, "alias/lab-describe", `arn:aws:kms:us-east-1:${accountA}:alias/lab-describe`])
      expect((await kms(rootA).describeKey({ KeyId: id }).promise()).KeyMetadata!.KeyId).toBe(k.KeyId);
    await expectKmsError(
      kms(rootA).createAlias({ AliasName: "alias/lab-describe", TargetKeyId: k.KeyId }).promise(),
      "AlreadyExistsException",
      `An alias with the name arn:aws:kms:us-east-1:${accountA}:alias/lab-describe already exists`,
    );
    await expectKmsError(kms(rootA).createAlias({ AliasName: "alias/aws/mine", TargetKeyId: k.KeyId }).promise(), "NotAuthorizedException");
    const aliases = await kms(rootA).listAliases({ KeyId: k.KeyId }).promise();
    expect(aliases.Aliases!.map((a) => [a.AliasName, a.TargetKeyId, a.AliasArn])).toEqual([
      ["alias/lab-describe", k.KeyId, `arn:aws:kms:us-east-1:${accountA}:alias/lab-describe`],
    ]);
    await kms(rootA).deleteAlias({ AliasName: "alias/lab-describe" }).promise();
    await expectKmsError(
      kms(rootA).describeKey({ KeyId: "alias/lab-describe" }).promise(),
      "NotFoundException",
      `Alias arn:aws:kms:us-east-1:${accountA}:alias/lab-describe is not found.`,
    );

    const all = new Set<string>();
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms(rootA)
        .listKeys({ Limit: 1, ...(marker ? { Marker: marker } : {}) })
        .promise();
      for (const key of page.Keys!) all.add(key.KeyId!);
      marker = page.Truncated ? page.NextMarker : undefined;
      pages++;
    } while (marker);
    expect(all.has(k.KeyId!)).toBe(true);
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it("a disabled key refuses to encrypt; deletion is scheduled for 7–30 days and can be cancelled", async () => {
    const k = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    await kms(rootA).disableKey({ KeyId: k.KeyId }).promise();
    await expectKmsError(kms(rootA).encrypt({ KeyId: k.KeyId, Plaintext: "x" }).promise(), "DisabledException", `${k.Arn} is disabled.`);
    await kms(rootA).enableKey({ KeyId: k.KeyId }).promise();
    await kms(rootA).encrypt({ KeyId: k.KeyId, Plaintext: "x" }).promise();

    await expectKmsError(kms(rootA).scheduleKeyDeletion({ KeyId: k.KeyId, PendingWindowInDays: 6 }).promise(), "ValidationException");
    const s = await kms(rootA).scheduleKeyDeletion({ KeyId: k.KeyId, PendingWindowInDays: 7 }).promise();
    expect(s).toMatchObject({ KeyId: k.Arn, KeyState: "PendingDeletion", PendingWindowInDays: 7 });
    expect(s.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    await expectKmsError(
      kms(rootA).encrypt({ KeyId: k.KeyId, Plaintext: "x" }).promise(),
      "KMSInvalidStateException",
      `${k.Arn} is pending deletion.`,
    );
    expect((await kms(rootA).describeKey({ KeyId: k.KeyId }).promise()).KeyMetadata).toMatchObject({
      KeyState: "PendingDeletion",
      Enabled: false,
    });
    expect((await kms(rootA).cancelKeyDeletion({ KeyId: k.KeyId }).promise()).KeyId).toBe(k.Arn);
    expect((await kms(rootA).describeKey({ KeyId: k.KeyId }).promise()).KeyMetadata!.KeyState).toBe("Disabled");
  });

  it("tags", async () => {
    const k = (
      await kms(rootA)
        .createKey({ Tags: [{ TagKey: "team", TagValue: "red" }] })
        .promise()
    ).KeyMetadata!;
    await kms(rootA)
      .tagResource({ KeyId: k.KeyId!, Tags: [{ TagKey: "env", TagValue: "lab" }] })
      .promise();
    await kms(rootA)
      .untagResource({ KeyId: k.KeyId!, TagKeys: ["team"] })
      .promise();
    expect((await kms(rootA).listResourceTags({ KeyId: k.KeyId! }).promise()).Tags).toEqual([{ TagKey: "env", TagValue: "lab" }]);
  });
});

describe("cryptography", () => {
  it("Encrypt → Decrypt without a KeyId; the encryption context is authenticated; ReEncrypt; data keys", async () => {
    const k1 = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const k2 = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const ec = { purpose: "lab", team: "red" };
    const e = await kms(rootA).encrypt({ KeyId: k1.KeyId, Plaintext: "secret text", EncryptionContext: ec }).promise();
    expect(e).toMatchObject({ KeyId: k1.Arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
    const blob = e.CiphertextBlob as Buffer;
    expect(blob.toString()).not.toContain("secret text");

    const d = await kms(rootA)
      .decrypt({ CiphertextBlob: blob, EncryptionContext: { team: "red", purpose: "lab" } })
      .promise();
    expect(Buffer.from(d.Plaintext as Uint8Array).toString()).toBe("secret text");
    expect(d.KeyId).toBe(k1.Arn);

    await expectKmsError(kms(rootA).decrypt({ CiphertextBlob: blob }).promise(), "InvalidCiphertextException");
    await expectKmsError(
      kms(rootA)
        .decrypt({ CiphertextBlob: blob, EncryptionContext: { purpose: "lab", team: "blue" } })
        .promise(),
      "InvalidCiphertextException",
    );
    await expectKmsError(
      kms(rootA).decrypt({ CiphertextBlob: blob, EncryptionContext: ec, KeyId: k2.KeyId }).promise(),
      "IncorrectKeyException",
    );
    const tampered = Buffer.from(blob);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
    await expectKmsError(kms(rootA).decrypt({ CiphertextBlob: tampered, EncryptionContext: ec }).promise(), "InvalidCiphertextException");
    await expectKmsError(
      kms(rootA)
        .decrypt({ CiphertextBlob: Buffer.from("not a ciphertext at all") })
        .promise(),
      "InvalidCiphertextException",
    );

    const r = await kms(rootA)
      .reEncrypt({
        CiphertextBlob: blob,
        SourceEncryptionContext: ec,
        DestinationKeyId: k2.KeyId!,
        DestinationEncryptionContext: { x: "y" },
      })
      .promise();
    expect(r).toMatchObject({ SourceKeyId: k1.Arn, KeyId: k2.Arn });
    const d2 = await kms(rootA)
      .decrypt({ CiphertextBlob: r.CiphertextBlob!, EncryptionContext: { x: "y" } })
      .promise();
    expect(Buffer.from(d2.Plaintext as Uint8Array).toString()).toBe("secret text");
    expect(d2.KeyId).toBe(k2.Arn);

    const dk = await kms(rootA).generateDataKey({ KeyId: k1.KeyId, KeySpec: "AES_256" }).promise();
    expect((dk.Plaintext as Uint8Array).length).toBe(32);
    const back = await kms(rootA).decrypt({ CiphertextBlob: dk.CiphertextBlob! }).promise();
    expect(Buffer.from(back.Plaintext as Uint8Array).equals(Buffer.from(dk.Plaintext as Uint8Array))).toBe(true);
    const wp = await kms(rootA).generateDataKeyWithoutPlaintext({ KeyId: k1.KeyId, NumberOfBytes: 16 }).promise();
    expect("Plaintext" in wp).toBe(false);
    expect((await kms(rootA).decrypt({ CiphertextBlob: wp.CiphertextBlob! }).promise()).Plaintext).toHaveLength(16);
  });

  it("bad input: oversize plaintext, unknown keys, oversize or malformed key policies — KMS's codes, never a 500", async () => {
    const k = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    await expectKmsError(
      kms(rootA)
        .encrypt({ KeyId: k.KeyId, Plaintext: Buffer.alloc(4097, 1) })
        .promise(),
      "ValidationException",
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    await kms(rootA)
      .encrypt({ KeyId: k.KeyId, Plaintext: Buffer.alloc(4096, 1) })
      .promise();
    const missing = "00000000-0000-4000-8000-000000000000";
    await expectKmsError(
      kms(rootA).encrypt({ KeyId: missing, Plaintext: "x" }).promise(),
      "NotFoundException",
      `Key 'arn:aws:kms:us-east-1:${accountA}:key/${missing}' does not exist`,
    );
    await expectKmsError(kms(rootA).describeKey({ KeyId: "alias/nope" }).promise(), "NotFoundException");
    await expectKmsError(kms(rootA).generateDataKey({ KeyId: k.KeyId }).promise(), "ValidationException");
    const big = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "x".repeat(33_000), Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountA}:root` }, Action: "kms:*", Resource: "*" },
      ],
    });
    await expectKmsError(
      kms(rootA).putKeyPolicy({ KeyId: k.KeyId!, PolicyName: "default", Policy: big }).promise(),
      "LimitExceededException",
    );
    await expectKmsError(
      kms(rootA).putKeyPolicy({ KeyId: k.KeyId!, PolicyName: "default", Policy: "{not json" }).promise(),
      "MalformedPolicyDocumentException",
    );
    await expectKmsError(
      kms(rootA)
        .putKeyPolicy({
          KeyId: k.KeyId!,
          PolicyName: "default",
          Policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }),
        })
        .promise(),
      "MalformedPolicyDocumentException",
    );
  });
});

describe("the key policy delegation lab", () => {
  it("(a) IAM policies count while the key policy names the account; without it the same user is denied", async () => {
    const k = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const alice = await newUser(rootA, "kms-alice", allowKms(["kms:Encrypt", "kms:Decrypt"]));
    const noPolicy = await newUser(rootA, "kms-nobody");
    await kms(alice.creds).encrypt({ KeyId: k.Arn!, Plaintext: "hello" }).promise();
    await expectKmsError(
      kms(noPolicy.creds).encrypt({ KeyId: k.Arn!, Plaintext: "hello" }).promise(),
      "AccessDeniedException",
      `User: ${noPolicy.arn} is not authorized to perform: kms:Encrypt on resource: ${k.Arn} because no identity-based policy allows the kms:Encrypt action`,
    );

    // The lockout safety check: a policy without the caller refused, unless bypassed.
    const other = await newUser(rootA, "kms-admin");
    const withoutAccount = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "Admin", Effect: "Allow", Principal: { AWS: other.arn }, Action: "kms:*", Resource: "*" }],
    });
    await expectKmsError(
      kms(rootA).putKeyPolicy({ KeyId: k.KeyId!, PolicyName: "default", Policy: withoutAccount }).promise(),
      "MalformedPolicyDocumentException",
      "The new key policy will not allow you to update the key policy in the future.",
    );
    await kms(rootA)
      .putKeyPolicy({ KeyId: k.KeyId!, PolicyName: "default", Policy: withoutAccount, BypassPolicyLockoutSafetyCheck: true })
      .promise();

    // The same user, the same identity policy: denied, because the key policy no longer delegates.
    await expectKmsError(
      kms(alice.creds).encrypt({ KeyId: k.Arn!, Plaintext: "hello" }).promise(),
      "AccessDeniedException",
      `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${k.Arn} because no resource-based policy allows the kms:Encrypt action`,
    );
    // Not even the account's root user: only the key policy's principal may use or manage the key.
    await expectKmsError(kms(rootA).describeKey({ KeyId: k.KeyId }).promise(), "AccessDeniedException");
    // The user the key policy names needs no identity policy.
    await kms(other.creds).encrypt({ KeyId: k.Arn!, Plaintext: "hello" }).promise();
  });

  it("(b) cross account: the key policy names account B; B's user decrypts with an identity policy, not without", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountA}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "Allow B",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountB}:root` },
          Action: ["kms:Decrypt", "kms:DescribeKey"],
          Resource: "*",
        },
      ],
    });
    const k = (await kms(rootA).createKey({ Policy: policy }).promise()).KeyMetadata!;
    const blob = (
      await kms(rootA)
        .encrypt({ KeyId: k.KeyId, Plaintext: "for B", EncryptionContext: { app: "lab" } })
        .promise()
    ).CiphertextBlob!;
    const bob = await newUser(rootB, "kms-bob", allowKms("kms:Decrypt"));
    const carol = await newUser(rootB, "kms-carol");
    const d = await kms(bob.creds)
      .decrypt({ CiphertextBlob: blob, EncryptionContext: { app: "lab" } })
      .promise();
    expect(Buffer.from(d.Plaintext as Uint8Array).toString()).toBe("for B");
    await expectKmsError(
      kms(carol.creds)
        .decrypt({ CiphertextBlob: blob, EncryptionContext: { app: "lab" } })
        .promise(),
      "AccessDeniedException",
      `User: ${carol.arn} is not authorized to perform: kms:Decrypt on resource: ${k.Arn} because no identity-based policy allows the kms:Decrypt action`,
    );
    // The key policy does not grant Encrypt to B: B's identity policy alone is not enough.
    const dave = await newUser(rootB, "kms-dave", allowKms());
    await expectKmsError(
      kms(dave.creds).encrypt({ KeyId: k.Arn!, Plaintext: "x" }).promise(),
      "AccessDeniedException",
      /because no resource-based policy allows the kms:Encrypt action$/,
    );
    // Another account's key is named by its ARN: its bare id is looked up in the caller's account.
    await expectKmsError(kms(bob.creds).describeKey({ KeyId: k.KeyId }).promise(), "NotFoundException");
  });

  it("condition keys: kms:EncryptionContext:<k>, kms:CallerAccount, kms:ViaService absent", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "Admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountA}:root` }, Action: "kms:*", Resource: "*" },
        {
          Sid: "Only with the lab context",
          Effect: "Deny",
          Principal: "*",
          Action: "kms:Encrypt",
          Resource: "*",
          Condition: { StringNotEquals: { "kms:EncryptionContext:app": "lab" } },
        },
        {
          Sid: "No service calls",
          Effect: "Deny",
          Principal: "*",
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { Null: { "kms:ViaService": "false" } },
        },
        {
          Sid: "B via CallerAccount",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": accountB } },
        },
      ],
    });
    const k = (await kms(rootA).createKey({ Policy: policy }).promise()).KeyMetadata!;
    await expectKmsError(
      kms(rootA)
        .encrypt({ KeyId: k.KeyId, Plaintext: "x", EncryptionContext: { app: "other" } })
        .promise(),
      "AccessDeniedException",
      /with an explicit deny in a resource-based policy/,
    );
    const blob = (
      await kms(rootA)
        .encrypt({ KeyId: k.KeyId, Plaintext: "x", EncryptionContext: { app: "lab" } })
        .promise()
    ).CiphertextBlob!;
    await kms(rootA)
      .decrypt({ CiphertextBlob: blob, EncryptionContext: { app: "lab" } })
      .promise();
    const erin = await newUser(rootB, "kms-erin", allowKms("kms:Decrypt"));
    await kms(erin.creds)
      .decrypt({ CiphertextBlob: blob, EncryptionContext: { app: "lab" } })
      .promise();
  });
});

describe("grants: the third authorization path", () => {
  it("a grant lets its grantee use the key without any policy, within its constraints, until it is revoked or retired", async () => {
    const k = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const grantee = await newUser(rootA, "kms-grantee");
    const retirer = await newUser(rootA, "kms-retirer");
    await expectKmsError(
      kms(grantee.creds)
        .encrypt({ KeyId: k.Arn!, Plaintext: "x", EncryptionContext: { app: "lab" } })
        .promise(),
      "AccessDeniedException",
    );

    const g = await kms(rootA)
      .createGrant({
        KeyId: k.KeyId!,
        GranteePrincipal: grantee.arn,
        Operations: ["Encrypt", "Decrypt"],
        Constraints: { EncryptionContextSubset: { app: "lab" } },
        Name: "lab-grant",
      })
      .promise();
    expect(g.GrantId).toMatch(/^[0-9a-f]{64}$/);
    const blob = (
      await kms(grantee.creds)
        .encrypt({ KeyId: k.Arn!, Plaintext: "x", EncryptionContext: { app: "lab", extra: "1" } })
        .promise()
    ).CiphertextBlob!;
    await expectKmsError(
      kms(grantee.creds).encrypt({ KeyId: k.Arn!, Plaintext: "x" }).promise(),
      "AccessDeniedException",
      // Outside the grant's constraint: the default key policy delegates to IAM, where the grantee has nothing.
      /because no identity-based policy allows the kms:Encrypt action$/,
    );
    await expectKmsError(
      kms(grantee.creds)
        .generateDataKey({ KeyId: k.Arn!, KeySpec: "AES_256", EncryptionContext: { app: "lab" } })
        .promise(),
      "AccessDeniedException",
    );
    await kms(grantee.creds)
      .decrypt({ CiphertextBlob: blob, EncryptionContext: { app: "lab", extra: "1" } })
      .promise();

    const listed = await kms(rootA).listGrants({ KeyId: k.KeyId! }).promise();
    expect(listed.Grants).toEqual([
      expect.objectContaining({
        KeyId: k.Arn,
        GrantId: g.GrantId,
        Name: "lab-grant",
        GranteePrincipal: grantee.arn,
        IssuingAccount: `arn:aws:iam::${accountA}:root`,
        Operations: ["Encrypt", "Decrypt"],
        Constraints: { EncryptionContextSubset: { app: "lab" } },
      }),
    ]);
    // Neither its retiring principal nor granted RetireGrant: the grantee cannot retire it.
    await expectKmsError(kms(grantee.creds).retireGrant({ GrantToken: g.GrantToken! }).promise(), "AccessDeniedException");
    await kms(rootA).revokeGrant({ KeyId: k.KeyId!, GrantId: g.GrantId! }).promise();
    await expectKmsError(
      kms(grantee.creds)
        .encrypt({ KeyId: k.Arn!, Plaintext: "x", EncryptionContext: { app: "lab" } })
        .promise(),
      "AccessDeniedException",
    );
    await expectKmsError(kms(rootA).revokeGrant({ KeyId: k.KeyId!, GrantId: g.GrantId! }).promise(), "NotFoundException");

    const g2 = await kms(rootA)
      .createGrant({ KeyId: k.KeyId!, GranteePrincipal: grantee.arn, RetiringPrincipal: retirer.arn, Operations: ["DescribeKey"] })
      .promise();
    await kms(grantee.creds).describeKey({ KeyId: k.Arn! }).promise();
    await kms(retirer.creds).retireGrant({ GrantToken: g2.GrantToken! }).promise();
    expect((await kms(rootA).listGrants({ KeyId: k.KeyId! }).promise()).Grants).toEqual([]);
    await expectKmsError(kms(grantee.creds).describeKey({ KeyId: k.Arn! }).promise(), "AccessDeniedException");
  });

  it("bad grants: no operations, an unknown operation, a grantee that is not a principal, a bad token", async () => {
    const k = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const grantee = `arn:aws:iam::${accountA}:user/someone`;
    await expectKmsError(
      kms(rootA).createGrant({ KeyId: k.KeyId!, GranteePrincipal: grantee, Operations: [] }).promise(),
      "ValidationException",
    );
    await expectKmsError(
      kms(rootA)
        .createGrant({ KeyId: k.KeyId!, GranteePrincipal: grantee, Operations: ["Fly"] })
        .promise(),
      "ValidationException",
    );
    await expectKmsError(
      kms(rootA)
        .createGrant({ KeyId: k.KeyId!, GranteePrincipal: "nobody", Operations: ["Encrypt"] })
        .promise(),
      "ValidationException",
    );
    await expectKmsError(kms(rootA).retireGrant({ GrantToken: "not-a-token" }).promise(), "InvalidGrantTokenException");
    // The key still works for its owner.
    await kms(rootA).encrypt({ KeyId: k.KeyId!, Plaintext: "x" }).promise();
  });
});

/** Every installed CLI: the one on PATH (v1 here) and Debian's v2 at /usr/bin/aws, each once. */
const CLIS: string[] = [];
for (const bin of ["aws", "/usr/bin/aws"]) {
  if (bin.startsWith("/") && !existsSync(bin)) continue;
  const v = await promisify(execFile)(bin, ["--version"]).then(
    (r) => (r.stdout + r.stderr).split("/")[1]?.split(".")[0],
    () => undefined,
  );
  if (v && !CLIS.some((b) => b.endsWith(`#${v}`))) CLIS.push(`${bin}#${v}`);
}

/** `aws <args>` with credentials in the environment and no config files: the parsed JSON answer, or the error text. */
async function cli(
  bin: string,
  creds: Creds,
  args: string[],
): Promise<{ ok: true; out: Record<string, unknown> } | { ok: false; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_PAGER: "",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
  delete env.AWS_SESSION_TOKEN;
  return promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json"], { env }).then(
    (r) => ({ ok: true as const, out: (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as Record<string, unknown> }),
    (e: { stderr?: string }) => ({ ok: false as const, stderr: e.stderr ?? "" }),
  );
}

describe.each(CLIS.map((c) => [c.split("#")[0]!, `v${c.split("#")[1]}`] as const))("the AWS CLI %s (%s)", (bin) => {
  it("create-key, encrypt and decrypt (blobs through fileb://, as either CLI reads them), and a denial in KMS's words", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kms-cli-"));
    const created = await cli(bin, rootA, ["kms", "create-key", "--description", "cli"]);
    if (!created.ok) throw new Error(created.stderr);
    const meta = created.out.KeyMetadata as { KeyId: string; Arn: string };
    writeFileSync(join(dir, "plain"), "from the cli");
    const e = await cli(bin, rootA, [
      "kms",
      "encrypt",
      "--key-id",
      meta.KeyId,
      "--plaintext",
      `fileb://${join(dir, "plain")}`,
      "--encryption-context",
      "app=cli",
    ]);
    if (!e.ok) throw new Error(e.stderr);
    writeFileSync(join(dir, "blob"), Buffer.from(e.out.CiphertextBlob as string, "base64"));
    const d = await cli(bin, rootA, [
      "kms",
      "decrypt",
      "--ciphertext-blob",
      `fileb://${join(dir, "blob")}`,
      "--encryption-context",
      "app=cli",
    ]);
    if (!d.ok) throw new Error(d.stderr);
    expect(Buffer.from(d.out.Plaintext as string, "base64").toString()).toBe("from the cli");
    expect(d.out.KeyId).toBe(meta.Arn);
    const wrong = await cli(bin, rootA, ["kms", "decrypt", "--ciphertext-blob", `fileb://${join(dir, "blob")}`]);
    expect(wrong.ok ? "" : wrong.stderr).toContain("An error occurred (InvalidCiphertextException) when calling the Decrypt operation");

    const nobody = await newUser(rootA, `kms-cli-nobody-${bin.length}`);
    const denied = await cli(bin, nobody.creds, ["kms", "encrypt", "--key-id", meta.Arn, "--plaintext", `fileb://${join(dir, "plain")}`]);
    expect(denied.ok ? "" : denied.stderr.trim()).toBe(
      `An error occurred (AccessDeniedException) when calling the Encrypt operation: User: ${nobody.arn} is not authorized to perform: kms:Encrypt on resource: ${meta.Arn} because no identity-based policy allows the kms:Encrypt action`,
    );
  });
});

describe("region", () => {
  it("a key lives in the region it was created in", async () => {
    const k = (await kms(rootA, "eu-west-1").createKey({}).promise()).KeyMetadata!;
    expect(k.Arn).toBe(`arn:aws:kms:eu-west-1:${accountA}:key/${k.KeyId}`);
    await expectKmsError(kms(rootA).describeKey({ KeyId: k.KeyId }).promise(), "NotFoundException");
  });
});
