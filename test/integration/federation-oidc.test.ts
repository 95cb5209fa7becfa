/**
 * OIDC federation end to end (issue 19): IAM OIDC providers with the real @aws-sdk/client-iam;
 * AssumeRoleWithWebIdentity with tokens of the accounts' built-in IdP through an STS client that has
 * no credentials, the SDK's web-identity credential provider (token file), the unmodified default
 * chain and both AWS CLIs; the refusals AWS makes (audience, expiry, tampering, forgery, unknown
 * issuer, trust conditions on sub/aud) and session tags from the token's claims used in a policy.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  UntagOpenIDConnectProviderCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromTokenFile } from "@aws-sdk/credential-provider-web-identity";
import { adminFetch, iam, rawSigned, url } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { hasAwsCli } from "../helpers/aws-cli";
import { anonymousSts, idpInfo, mintToken, unsignedSts, webIdentityTrust, type IdpInfo } from "../helpers/federation";

const run = promisify(execFile);
const hasV2 = spawnSync("/usr/bin/aws", ["--version"], { stdio: "ignore" }).status === 0;
const THUMB = "6938fd4d98bab03faadb97b34396831e3780aea1";
const GH_SUB = "repo:octo-org/app:ref:refs/heads/main";

describe("IAM OIDC providers", () => {
  let a: AccountFixture;
  beforeAll(async () => {
    a = await withAccount();
  });

  it("creates, reads, lists, changes, tags and deletes a provider", async () => {
    const created = await a.iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: "https://token.actions.githubusercontent.com",
        ClientIDList: ["sts.amazonaws.com"],
        Tags: [{ Key: "team", Value: "ci" }],
      }),
    );
    const arn = `arn:aws:iam::${a.id}:oidc-provider/token.actions.githubusercontent.com`;
    expect(created.OpenIDConnectProviderArn).toBe(arn);
    expect(created.Tags).toEqual([{ Key: "team", Value: "ci" }]);

    const got = await a.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(got.Url).toBe("token.actions.githubusercontent.com");
    expect(got.ClientIDList).toEqual(["sts.amazonaws.com"]);
    expect(got.ThumbprintList ?? []).toEqual([]);
    expect(got.CreateDate).toBeInstanceOf(Date);
    expect(got.Tags).toEqual([{ Key: "team", Value: "ci" }]);

    const listed = await a.iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(listed.OpenIDConnectProviderList).toEqual([{ Arn: arn }]);

    await expectAwsError(
      a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://token.actions.githubusercontent.com/", ClientIDList: ["x"] })),
      "EntityAlreadyExists",
      409,
      "Provider with url https://token.actions.githubusercontent.com/ already exists.",
    );

    await a.iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "my-app" }));
    await a.iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "my-app" }));
    await a.iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "sts.amazonaws.com" }));
    await a.iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "never-there" }));
    await a.iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: [THUMB] }));
    const changed = await a.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(changed.ClientIDList).toEqual(["my-app"]);
    expect(changed.ThumbprintList).toEqual([THUMB]);

    await a.iam.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags: [{ Key: "env", Value: "lab" }] }));
    await a.iam.send(new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, TagKeys: ["team"] }));
    const tags = await a.iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }));
    expect(tags.Tags).toEqual([{ Key: "env", Value: "lab" }]);

    await a.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    await expectAwsError(
      a.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
      "NoSuchEntity",
      404,
      `OpenIDConnect Provider not found for arn ${arn}`,
    );
    await expectAwsError(a.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })), "NoSuchEntity", 404);
  });

  it("refuses what AWS refuses", async () => {
    await expectAwsError(
      a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: "http://idp.example.com", ClientIDList: ["x"] })),
      "InvalidInput",
      400,
    );
    await expectAwsError(
      a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://idp.example.com?x=1", ClientIDList: ["x"] })),
      "InvalidInput",
      400,
    );
    await expectAwsError(
      a.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: "https://idp.example.com", ThumbprintList: Array.from({ length: 6 }, () => THUMB) }),
      ),
      "InvalidInput",
      400,
    );
    await expectAwsError(
      a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://idp.example.com", ThumbprintList: ["abc"] })),
      "ValidationError",
      400,
    );
    await expectAwsError(
      a.iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: "https://idp.example.com",
          ClientIDList: Array.from({ length: 101 }, (_, n) => `client-${n}`),
        }),
      ),
      "LimitExceeded",
      409,
    );
    // Another account's provider ARN names nothing in this account.
    await expectAwsError(
      a.iam.send(
        new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/idp.example.com" }),
      ),
      "NoSuchEntity",
      404,
    );
  });
});

describe("trust policies naming identity providers", () => {
  it("may name a provider of the account only once it exists (CreateRole and UpdateAssumeRolePolicy)", async () => {
    const a = await withAccount();
    const oidc = `arn:aws:iam::${a.id}:oidc-provider/idp.example.com`;
    const saml = `arn:aws:iam::${a.id}:saml-provider/Corp`;
    for (const provider of [oidc, saml])
      await expectAwsError(
        a.iam.send(new CreateRoleCommand({ RoleName: "early", AssumeRolePolicyDocument: webIdentityTrust(provider) })),
        "MalformedPolicyDocument",
        400,
        `Invalid principal in policy: "FEDERATED":"${provider}"`,
      );
    await a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://idp.example.com", ClientIDList: ["app"] }));
    await a.iam.send(new CreateRoleCommand({ RoleName: "late", AssumeRolePolicyDocument: webIdentityTrust(oidc) }));
    await expectAwsError(
      a.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "late", PolicyDocument: webIdentityTrust(saml) })),
      "MalformedPolicyDocument",
      400,
    );
    // Another account's provider, and the names of AWS's built-in web identity providers, are not looked up.
    await a.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "late",
        PolicyDocument: webIdentityTrust("arn:aws:iam::000000000000:oidc-provider/x.example"),
      }),
    );
    await a.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "late", PolicyDocument: webIdentityTrust("accounts.google.com") }));
  });
});

describe("the built-in OIDC identity provider", () => {
  it("serves its discovery document and JWKS without authentication", async () => {
    const a = await withAccount();
    const info = await idpInfo(a.id);
    expect(info.issuer).toBe(`https://${new URL(url()).host}/_iamlab/idp/${a.id}/oidc`);
    const base = `${url()}/_iamlab/idp/${a.id}/oidc`;
    const config = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(config.issuer).toBe(info.issuer);
    expect(config.jwks_uri).toBe(`${info.issuer}/jwks`);
    const jwks = (await (await fetch(`${base}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBe(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(jwks.keys[0]!.d).toBeUndefined(); // never the private key
    expect((await fetch(`${url()}/_iamlab/idp/000000000001/oidc/jwks`)).status).toBe(404);
    // Minting needs the admin token.
    const anon = await fetch(`${url()}/_iamlab/accounts/${a.id}/idp/oidc/token`, { method: "POST", body: '{"sub":"x"}' });
    expect(anon.status).toBe(401);
  });
});

/** An account with its built-in IdP registered as an IAM provider and a GitHub-Actions-like role. */
async function labAccount(): Promise<{ a: AccountFixture; idp: IdpInfo; roleArn: string; url: string }> {
  const a = await withAccount();
  const idp = await idpInfo(a.id);
  const created = await a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: idp.issuer, ClientIDList: ["sts.amazonaws.com"] }));
  expect(created.OpenIDConnectProviderArn).toBe(idp.providerArn);
  const providerUrl = idp.issuer.slice("https://".length);
  const role = await a.iam.send(
    new CreateRoleCommand({
      RoleName: "deploy",
      AssumeRolePolicyDocument: webIdentityTrust(
        idp.providerArn,
        {
          StringEquals: { [`${providerUrl}:aud`]: "sts.amazonaws.com" },
          StringLike: { [`${providerUrl}:sub`]: "repo:octo-org/app:*" },
        },
        ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
      ),
      MaxSessionDuration: 7200,
    }),
  );
  await a.iam.send(
    new PutRolePolicyCommand({
      RoleName: "deploy",
      PolicyName: "list-roles-for-blue",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "iam:ListRoles", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "blue" } } },
        ],
      }),
    }),
  );
  return { a, idp, roleArn: role.Role!.Arn!, url: providerUrl };
}

describe("AssumeRoleWithWebIdentity", () => {
  let lab: Awaited<ReturnType<typeof labAccount>>;
  beforeAll(async () => {
    lab = await labAccount();
  });

  it("assumes the role with a token of the built-in IdP, unsigned, and answers AWS's fields", async () => {
    const token = await mintToken(lab.a.id, { sub: GH_SUB, aud: "sts.amazonaws.com" });
    const out = await anonymousSts().send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: lab.roleArn,
        RoleSessionName: "gha-run-1",
        WebIdentityToken: token,
        DurationSeconds: 7200,
      }),
    );
    expect(out.SubjectFromWebIdentityToken).toBe(GH_SUB);
    expect(out.Provider).toBe(lab.idp.issuer);
    expect(out.Audience).toBe("sts.amazonaws.com");
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/deploy/gha-run-1`);
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]+:gha-run-1$/);
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    const exp = out.Credentials!.Expiration!.getTime();
    expect(Math.abs(exp - Date.now() - 7200_000)).toBeLessThan(120_000);
    const me = await new STSClient({
      endpoint: url(),
      region: "us-east-1",
      credentials: {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      },
    }).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/deploy/gha-run-1`);
  });

  it("refuses a subject the trust policy does not allow with AccessDenied", async () => {
    const token = await mintToken(lab.a.id, { sub: "repo:evil-org/app:ref:refs/heads/main" });
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: lab.roleArn, RoleSessionName: "sess", WebIdentityToken: token })),
      "AccessDenied",
      403,
      "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    // A role that does not exist answers the same (existence is never revealed).
    const ok = await mintToken(lab.a.id, { sub: GH_SUB });
    await expectAwsError(
      anonymousSts().send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: `arn:aws:iam::${lab.a.id}:role/nope`,
          RoleSessionName: "sess",
          WebIdentityToken: ok,
        }),
      ),
      "AccessDenied",
      403,
      "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
  });

  it("refuses a wrong audience, an expired, tampered, forged or malformed token, and an unknown issuer", async () => {
    const send = (t: string) =>
      anonymousSts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: lab.roleArn, RoleSessionName: "sess", WebIdentityToken: t }));
    await expectAwsError(
      send(await mintToken(lab.a.id, { sub: GH_SUB, aud: "someone-else" })),
      "InvalidIdentityToken",
      400,
      "Incorrect token audience",
    );

    const nowS = Math.floor(Date.now() / 1000);
    const expired = await mintToken(lab.a.id, { sub: GH_SUB, claims: { iat: nowS - 7200, nbf: nowS - 7200, exp: nowS - 3600 } });
    await expectAwsError(
      send(expired),
      "ExpiredTokenException",
      400,
      /^Token expired: current date\/time \d+ must be before the expiration date\/time\d+$/,
    );

    const good = await mintToken(lab.a.id, { sub: GH_SUB });
    const [h, p, sig] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "repo:octo-org/app:ref:refs/heads/prod" })).toString("base64url")}.${sig}`;
    await expectAwsError(send(tampered), "InvalidIdentityToken", 400);

    // Signed with a key of our own, under the IdP's key id: the signature does not verify.
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign"],
    )) as CryptoKeyPair;
    const input = `${h}.${p}`;
    const forgedSig = Buffer.from(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, new TextEncoder().encode(input))).toString(
      "base64url",
    );
    await expectAwsError(send(`${input}.${forgedSig}`), "InvalidIdentityToken", 400);
    // alg "none" is no signature at all.
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${p}.`;
    await expectAwsError(send(none), "InvalidIdentityToken", 400);
    await expectAwsError(send("not-a-jwt"), "InvalidIdentityToken", 400);

    // Another account's IdP: this account registered no provider for that issuer.
    const other = await withAccount();
    const foreign = await mintToken(other.id, { sub: GH_SUB });
    const otherIssuer = (await idpInfo(other.id)).issuer;
    await expectAwsError(send(foreign), "InvalidIdentityToken", 400, `No OpenIDConnect provider found in your account for ${otherIssuer}`);
  });

  it("accepts another account's IdP once this account registered it and the trust names it", async () => {
    const other = await withAccount();
    const otherIdp = await idpInfo(other.id);
    const created = await lab.a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: otherIdp.issuer, ClientIDList: ["partner-app"] }));
    await lab.a.iam.send(
      new CreateRoleCommand({ RoleName: "partner", AssumeRolePolicyDocument: webIdentityTrust(created.OpenIDConnectProviderArn!) }),
    );
    const token = await mintToken(other.id, { sub: "partner-user", aud: "partner-app" });
    const out = await anonymousSts().send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: `arn:aws:iam::${lab.a.id}:role/partner`,
        RoleSessionName: "pp",
        WebIdentityToken: token,
      }),
    );
    expect(out.Provider).toBe(otherIdp.issuer);
    // The same token means nothing for the lab's own role, whose trust names the lab's own provider.
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: lab.roleArn, RoleSessionName: "pp", WebIdentityToken: token })),
      "AccessDenied",
      403,
    );
  });

  it("takes session tags from the token's https://aws.amazon.com/tags claim, and policies see them", async () => {
    const tagged = async (team: string) => {
      const token = await mintToken(lab.a.id, {
        sub: GH_SUB,
        claims: { "https://aws.amazon.com/tags": { principal_tags: { team: [team] }, transitive_tag_keys: ["team"] } },
      });
      const out = await anonymousSts().send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn: lab.roleArn, RoleSessionName: `t-${team}`, WebIdentityToken: token }),
      );
      expect(out.PackedPolicySize).toBeGreaterThan(0);
      return iam({
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      });
    };
    const blue = await tagged("blue");
    expect((await blue.send(new ListRolesCommand({}))).Roles?.length).toBeGreaterThan(0);
    const red = await tagged("red");
    await expectAwsError(red.send(new ListRolesCommand({})), "AccessDenied", 403);
  });

  it("needs sts:TagSession in the trust policy for tags from the token", async () => {
    const a = await withAccount();
    const idp = await idpInfo(a.id);
    await a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: idp.issuer, ClientIDList: ["sts.amazonaws.com"] }));
    await a.iam.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: webIdentityTrust(idp.providerArn) }));
    const token = await mintToken(a.id, { sub: "u", claims: { "https://aws.amazon.com/tags": { principal_tags: { team: ["blue"] } } } });
    await expectAwsError(
      anonymousSts().send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${a.id}:role/r`, RoleSessionName: "sess", WebIdentityToken: token }),
      ),
      "AccessDenied",
      403,
      "Not authorized to perform sts:TagSession",
    );
  });

  it("the session's requests carry aws:FederatedProvider and the provider's keys, usable as policy variables", async () => {
    const a = await withAccount();
    const idp = await idpInfo(a.id);
    const providerUrl = idp.issuer.slice("https://".length);
    await a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: idp.issuer, ClientIDList: ["sts.amazonaws.com"] }));
    for (const name of ["alice", "bob"])
      await a.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: webIdentityTrust(idp.providerArn) }));
    await a.iam.send(
      new PutRolePolicyCommand({
        RoleName: "alice",
        PolicyName: "own-role-only",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "iam:GetRole", Resource: `arn:aws:iam::${a.id}:role/\${${providerUrl}:sub}` },
            {
              Effect: "Allow",
              Action: "iam:ListRoles",
              Resource: "*",
              Condition: { StringEquals: { "aws:FederatedProvider": idp.providerArn } },
            },
          ],
        }),
      }),
    );
    const token = await mintToken(a.id, { sub: "alice" });
    const out = await anonymousSts().send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: `arn:aws:iam::${a.id}:role/alice`,
        RoleSessionName: "alice",
        WebIdentityToken: token,
      }),
    );
    const session = iam({
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    });
    await session.send(new GetRoleCommand({ RoleName: "alice" }));
    await expectAwsError(session.send(new GetRoleCommand({ RoleName: "bob" })), "AccessDenied", 403);
    await session.send(new ListRolesCommand({}));
  });

  it("is served unsigned over the raw Query protocol, with STS's error shape", async () => {
    const res = await unsignedSts({
      Action: "AssumeRoleWithWebIdentity",
      RoleArn: lab.roleArn,
      RoleSessionName: "raw",
      WebIdentityToken: "abcd",
    });
    expect(res.status).toBe(400);
    expect(res.body).toContain("<Code>InvalidIdentityToken</Code>");
    expect(res.body).toContain('xmlns="https://sts.amazonaws.com/doc/2011-06-15/"');
    // Signed works too (the signer plays no part), and a bad signature is still refused.
    const token = await mintToken(lab.a.id, { sub: GH_SUB });
    const params = {
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: lab.roleArn,
      RoleSessionName: "signed",
      WebIdentityToken: token,
    };
    const signed = await rawSigned(params, { creds: lab.a.creds });
    expect(signed.status).toBe(200);
    expect(signed.text).toContain(`<Arn>arn:aws:sts::${lab.a.id}:assumed-role/deploy/signed</Arn>`);
    const forged = await rawSigned(params, { creds: { ...lab.a.creds, secretAccessKey: "wrong" } });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    // Other STS actions still need a signature.
    const gci = await unsignedSts({ Action: "GetCallerIdentity" });
    expect(gci.status).toBe(403);
    expect(gci.body).toContain("<Code>MissingAuthenticationToken</Code>");
  });

  it("an issuer that cannot be reached is IDPCommunicationError", async () => {
    const a = await withAccount();
    const created = await a.iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: "https://127.0.0.1:9/unreachable", ClientIDList: ["app"] }),
    );
    await a.iam.send(
      new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: webIdentityTrust(created.OpenIDConnectProviderArn!) }),
    );
    const header = Buffer.from('{"alg":"RS256","typ":"JWT","kid":"k1"}').toString("base64url");
    const body = Buffer.from(JSON.stringify({ iss: "https://127.0.0.1:9/unreachable", sub: "u", aud: "app", exp: 9999999999 })).toString(
      "base64url",
    );
    await expectAwsError(
      anonymousSts().send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: `arn:aws:iam::${a.id}:role/r`,
          RoleSessionName: "sess",
          WebIdentityToken: `${header}.${body}.c2ln`,
        }),
      ),
      "IDPCommunicationError",
      400,
    );
  });

  it("forgets the IdP's keys and providers with the account (reset)", async () => {
    const l = await labAccount();
    const before = await mintToken(l.a.id, { sub: GH_SUB });
    const reset = await adminFetch(`/accounts/${l.a.id}/reset`, { method: "POST" });
    expect(reset.status).toBe(200);
    const providers = await l.a.iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(providers.OpenIDConnectProviderList ?? []).toEqual([]);
    // Register the provider and role again: the old token was signed with a key that is gone.
    await l.a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: l.idp.issuer, ClientIDList: ["sts.amazonaws.com"] }));
    await l.a.iam.send(new CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: webIdentityTrust(l.idp.providerArn) }));
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: l.roleArn, RoleSessionName: "sess", WebIdentityToken: before })),
      "InvalidIdentityToken",
      400,
    );
    const after = await mintToken(l.a.id, { sub: GH_SUB });
    const out = await anonymousSts().send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: l.roleArn, RoleSessionName: "sess", WebIdentityToken: after }),
    );
    expect(out.AssumedRoleUser?.Arn).toContain(":assumed-role/deploy/sess");
  });

  it("keeps verifying tokens of a rotated-out key", async () => {
    const token = await mintToken(lab.a.id, { sub: GH_SUB });
    const rotated = await adminFetch(`/accounts/${lab.a.id}/idp/oidc/rotate`, { method: "POST" });
    expect(rotated.status).toBe(200);
    const fresh = await mintToken(lab.a.id, { sub: GH_SUB });
    expect(JSON.parse(Buffer.from(fresh.split(".")[0]!, "base64url").toString()).kid).toBe(((await rotated.json()) as { kid: string }).kid);
    for (const t of [token, fresh])
      await anonymousSts().send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn: lab.roleArn, RoleSessionName: "rot", WebIdentityToken: t }),
      );
  });
});

describe("the SDK's web-identity credential provider and the CLIs", () => {
  let lab: Awaited<ReturnType<typeof labAccount>>;
  let tokenFile: string;
  beforeAll(async () => {
    lab = await labAccount();
    tokenFile = join(mkdtempSync(join(tmpdir(), "iamlab-wi-")), "token");
    // With the trailing newline `jq -r .token > file` leaves (the CLI sends it along).
    writeFileSync(tokenFile, `${await mintToken(lab.a.id, { sub: GH_SUB })}\n`);
  });

  it("fromTokenFile obtains the role's credentials", async () => {
    const creds = fromTokenFile({
      webIdentityTokenFile: tokenFile,
      roleArn: lab.roleArn,
      roleSessionName: "sdk-file",
      clientConfig: { endpoint: url(), region: "us-east-1" },
    });
    const me = await new STSClient({ endpoint: url(), region: "us-east-1", credentials: creds }).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/deploy/sdk-file`);
  });

  it("the unmodified default credential chain (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) works", async () => {
    const script = `
      const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
      new STSClient({}).send(new GetCallerIdentityCommand({})).then((r) => console.log(r.Arn), (e) => { console.error(e.name, e.message); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ["-e", script], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? "",
        HOME: tmpdir(),
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_ARN: lab.roleArn,
        AWS_ROLE_SESSION_NAME: "default-chain",
        AWS_ENDPOINT_URL: url(),
        AWS_REGION: "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    });
    expect(stdout.trim()).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/deploy/default-chain`);
  });

  const cliEnv = () => ({
    PATH: process.env.PATH ?? "",
    HOME: tmpdir(),
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_PAGER: "",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  });

  for (const [name, bin, present] of [
    ["v1", "aws", hasAwsCli],
    ["v2", "/usr/bin/aws", hasV2],
  ] as const) {
    it.skipIf(!present)(`aws ${name}: sts assume-role-with-web-identity, and a web-identity profile from the environment`, async () => {
      const token = await mintToken(lab.a.id, { sub: GH_SUB });
      const { stdout } = await run(
        bin,
        [
          "sts",
          "assume-role-with-web-identity",
          "--role-arn",
          lab.roleArn,
          "--role-session-name",
          `cli-${name}`,
          "--web-identity-token",
          token,
          "--endpoint-url",
          url(),
          "--output",
          "json",
        ],
        { env: cliEnv() },
      );
      const out = JSON.parse(stdout) as { AssumedRoleUser: { Arn: string }; SubjectFromWebIdentityToken: string };
      expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/deploy/cli-${name}`);
      expect(out.SubjectFromWebIdentityToken).toBe(GH_SUB);
      // The CLI's own credential chain: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, endpoint from AWS_ENDPOINT_URL
      // (v2 reads AWS_ENDPOINT_URL from 2.13 on; the v2 installed here is older).
      if (name === "v2") return;
      const who = await run(bin, ["sts", "get-caller-identity", "--output", "json"], {
        env: {
          ...cliEnv(),
          AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
          AWS_ROLE_ARN: lab.roleArn,
          AWS_ROLE_SESSION_NAME: `chain-${name}`,
          AWS_ENDPOINT_URL: url(),
        },
      });
      expect((JSON.parse(who.stdout) as { Arn: string }).Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/deploy/chain-${name}`);
    });
  }
});
