/**
 * KMS grants (issue 17): a grant alone authorizes its grantee, also in another account — no identity
 * policy there, no key-policy statement for it (AWS KMS Developer Guide, "Grants in AWS KMS") — while
 * explicit denies still win and a grant naming an account delegates to that account's IAM policies.
 * Concurrent CreateGrant calls all land (each one appends in one statement), and concurrent
 * retire/revoke calls remove exactly their own grant. Driven by aws-sdk v2's KMS client.
 */
import { beforeAll, describe, expect, it } from "vitest";
import AWS from "aws-sdk";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, createAccount, iam, url, type Creds } from "../helpers/sandbox";
import { keyCreds } from "../helpers/fixtures";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

const kms = (creds: Creds) => new AWS.KMS({ endpoint: url(), region: "us-east-1", maxRetries: 0, credentials: new AWS.Credentials(creds) });

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "OK",
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );
}

async function user(root: Creds, name: string, policy?: object): Promise<{ creds: Creds; arn: string }> {
  const u = await iam(root).send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam(root).send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
  return { creds: keyCreds((await iam(root).send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!), arn: u.User!.Arn! };
}

let rootA: Creds;
let accountB: string;
let rootB: Creds;

beforeAll(async () => {
  const a = await createAccount();
  const b = await createAccount();
  rootA = accountCreds(a);
  rootB = accountCreds(b);
  accountB = b.accountId;
});

describe("KMS grants across accounts", () => {
  it("a grant alone lets a user of another account encrypt and decrypt: no identity policy, no key-policy statement", async () => {
    const key = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const carol = await user(rootB, "carol");
    const dave = await user(rootB, "dave");
    const encrypt = (c: Creds) => kms(c).encrypt({ KeyId: key.Arn!, Plaintext: "for carol" }).promise();
    expect(await outcome(encrypt(carol.creds))).toBe("AccessDeniedException");
    await kms(rootA)
      .createGrant({ KeyId: key.KeyId!, GranteePrincipal: carol.arn, Operations: ["Encrypt", "Decrypt"] })
      .promise();
    const blob = (await encrypt(carol.creds)).CiphertextBlob!;
    const plain = await kms(carol.creds).decrypt({ CiphertextBlob: blob, KeyId: key.Arn! }).promise();
    expect(Buffer.from(plain.Plaintext as Uint8Array).toString()).toBe("for carol");
    // Only the grantee, only the grant's operations.
    expect(await outcome(encrypt(dave.creds))).toBe("AccessDeniedException");
    expect(await outcome(kms(carol.creds).generateDataKey({ KeyId: key.Arn!, KeySpec: "AES_256" }).promise())).toBe(
      "AccessDeniedException",
    );
  });

  it("an explicit Deny in the grantee's own identity policy still wins over the grant", async () => {
    const key = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const erin = await user(rootB, "erin", { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:*", Resource: "*" }] });
    await kms(rootA)
      .createGrant({ KeyId: key.KeyId!, GranteePrincipal: erin.arn, Operations: ["Encrypt"] })
      .promise();
    expect(await outcome(kms(erin.creds).encrypt({ KeyId: key.Arn!, Plaintext: "x" }).promise())).toBe("AccessDeniedException");
  });

  it("a grant naming the other account delegates to its IAM policies", async () => {
    const key = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    await kms(rootA)
      .createGrant({ KeyId: key.KeyId!, GranteePrincipal: `arn:aws:iam::${accountB}:root`, Operations: ["Encrypt"] })
      .promise();
    const plain = await user(rootB, "frank");
    const allowed = await user(rootB, "grace", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: key.Arn }],
    });
    expect(await outcome(kms(plain.creds).encrypt({ KeyId: key.Arn!, Plaintext: "x" }).promise())).toBe("AccessDeniedException");
    expect(await outcome(kms(allowed.creds).encrypt({ KeyId: key.Arn!, Plaintext: "x" }).promise())).toBe("OK");
    expect(await outcome(kms(rootB).encrypt({ KeyId: key.Arn!, Plaintext: "x" }).promise())).toBe("OK");
  });
});

describe("concurrent grant writes", () => {
  it("20 CreateGrant calls at once: every grant is kept", async () => {
    const key = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        kms(rootA)
          .createGrant({ KeyId: key.KeyId!, GranteePrincipal: `arn:aws:iam::${accountB}:root`, Operations: ["Decrypt"], Name: `g${i}` })
          .promise()
          .then((r) => r.GrantId!),
      ),
    );
    const listed = await kms(rootA).listGrants({ KeyId: key.KeyId!, Limit: 100 }).promise();
    expect(new Set(listed.Grants!.map((g) => g.GrantId))).toEqual(new Set(ids));
    expect(listed.Grants!.map((g) => g.Name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `g${i}`).sort());
  });

  it("revoking ten grants at once while creating ten more: exactly the revoked ones go", async () => {
    const key = (await kms(rootA).createKey({}).promise()).KeyMetadata!;
    const create = (name: string) =>
      kms(rootA)
        .createGrant({ KeyId: key.KeyId!, GranteePrincipal: `arn:aws:iam::${accountB}:root`, Operations: ["Encrypt"], Name: name })
        .promise()
        .then((r) => r.GrantId!);
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => create(`old${i}`)));
    const [, second] = await Promise.all([
      Promise.all(first.map((id) => kms(rootA).revokeGrant({ KeyId: key.KeyId!, GrantId: id }).promise())),
      Promise.all(Array.from({ length: 10 }, (_, i) => create(`new${i}`))),
    ]);
    const listed = await kms(rootA).listGrants({ KeyId: key.KeyId!, Limit: 100 }).promise();
    expect(new Set(listed.Grants!.map((g) => g.GrantId))).toEqual(new Set(second));
    // Revoked already: NotFoundException, as for an id that never was.
    expect(await outcome(kms(rootA).revokeGrant({ KeyId: key.KeyId!, GrantId: first[0]! }).promise())).toBe("NotFoundException");
  });
});
