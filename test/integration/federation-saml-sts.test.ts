/**
 * SAML federation end to end (issue 19): the account's built-in SAML IdP (metadata, minted
 * responses) registered with the real @aws-sdk/client-iam, AssumeRoleWithSAML through an STS client
 * without credentials and through both AWS CLIs; AWS's answer fields; the refusals (tampered,
 * re-wrapped, expired and replayed assertions, another account's IdP, the Role pair, a trust
 * condition on SAML:sub) and PrincipalTag attributes as session tags used in a policy.
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  GetRoleCommand,
  IAMClient,
  ListRolesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleWithSAMLCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { adminFetch, url } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { hasAwsCli } from "../helpers/aws-cli";
import { anonymousSts } from "../helpers/federation";
import corpus from "../fixtures/saml-attacks.json";

const run = promisify(execFile);
const hasV2 = spawnSync("/usr/bin/aws", ["--version"], { stdio: "ignore" }).status === 0;
const AWS_SAML = "https://signin.aws.amazon.com/saml";

interface SamlIdpInfo {
  entityId: string;
  metadataUrl: string;
  metadata: string;
}

async function samlIdp(account: string): Promise<SamlIdpInfo> {
  const res = await adminFetch(`/accounts/${account}/idp/saml`);
  if (res.status !== 200) throw new Error(`samlIdp: ${res.status} ${await res.text()}`);
  return (await res.json()) as SamlIdpInfo;
}

/** A base64 SAML response from `account`'s built-in IdP. */
async function mint(account: string, body: Record<string, unknown>): Promise<string> {
  const res = await adminFetch(`/accounts/${account}/idp/saml/response`, { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { samlResponse: string }).samlResponse;
}

const xmlOf = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
const b64Of = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

function samlTrust(providerArn: string, conditions?: Record<string, Record<string, string | string[]>>, actions?: string[]) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: actions ?? "sts:AssumeRoleWithSAML",
        Condition: { StringEquals: { "SAML:aud": AWS_SAML }, ...(conditions ?? {}) },
      },
    ],
  });
}

interface Lab {
  a: AccountFixture;
  idp: SamlIdpInfo;
  providerArn: string;
  roleArn: string;
  taggedRoleArn: string;
}

async function labAccount(): Promise<Lab> {
  const a = await withAccount();
  const idp = await samlIdp(a.id);
  const created = await a.iam.send(new CreateSAMLProviderCommand({ Name: "Lab", SAMLMetadataDocument: idp.metadata }));
  const providerArn = created.SAMLProviderArn!;
  const role = await a.iam.send(
    new CreateRoleCommand({
      RoleName: "saml-readers",
      AssumeRolePolicyDocument: samlTrust(providerArn, { StringLike: { "SAML:sub": ["alice@example.com", "carol@*"] } }),
      MaxSessionDuration: 7200,
    }),
  );
  // The session carries the SAML keys: a condition on saml:sub, and ${saml:sub} as a policy variable.
  await a.iam.send(
    new PutRolePolicyCommand({
      RoleName: "saml-readers",
      PolicyName: "alice-reads-roles",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "iam:GetRole",
            Resource: "*",
            Condition: {
              StringEquals: { "saml:sub": "alice@example.com", "aws:FederatedProvider": providerArn },
              StringLike: { "aws:userid": "*:${saml:sub}" },
            },
          },
        ],
      }),
    }),
  );
  const tagged = await a.iam.send(
    new CreateRoleCommand({
      RoleName: "saml-teams",
      AssumeRolePolicyDocument: samlTrust(providerArn, undefined, ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"]),
    }),
  );
  await a.iam.send(
    new PutRolePolicyCommand({
      RoleName: "saml-teams",
      PolicyName: "list-roles-for-blue",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "iam:ListRoles", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "blue" } } },
        ],
      }),
    }),
  );
  return { a, idp, providerArn, roleArn: role.Role!.Arn!, taggedRoleArn: tagged.Role!.Arn! };
}

const sessionClients = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) => {
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  return {
    iam: new IAMClient({ endpoint: url(), region: "us-east-1", credentials, maxAttempts: 1 }),
    sts: new STSClient({ endpoint: url(), region: "us-east-1", credentials, maxAttempts: 1 }),
  };
};

describe("the built-in SAML IdP", () => {
  it("publishes metadata IAM accepts, the same on the public route", async () => {
    const a = await withAccount();
    const info = await samlIdp(a.id);
    expect(info.entityId).toMatch(new RegExp(`^https://[^/]+/_iamlab/idp/${a.id}/saml$`));
    const pub = await fetch(`${url()}/_iamlab/idp/${a.id}/saml/metadata`);
    expect(pub.status).toBe(200);
    expect(pub.headers.get("content-type")).toBe("application/samlmetadata+xml");
    expect(await pub.text()).toBe(info.metadata);
    expect((await fetch(`${url()}/_iamlab/idp/999999999999/saml/metadata`)).status).toBe(404);
    const bad = await adminFetch(`/accounts/${a.id}/idp/saml/response`, { method: "POST", body: JSON.stringify({ subject: "x" }) });
    expect(bad.status).toBe(400);
  });
});

describe("AssumeRoleWithSAML", () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await labAccount();
  });

  it("assumes the role with the built-in IdP's response, unsigned, and answers AWS's fields", async () => {
    const assertion = await mint(lab.a.id, { subject: "alice@example.com", roles: [`${lab.roleArn},${lab.providerArn}`] });
    const out = await anonymousSts().send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: lab.roleArn,
        PrincipalArn: lab.providerArn,
        SAMLAssertion: assertion,
        DurationSeconds: 5400,
      }),
    );
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/saml-readers/alice@example.com`);
    expect(out.Subject).toBe("alice@example.com");
    expect(out.SubjectType).toBe("persistent");
    expect(out.Issuer).toBe(lab.idp.entityId);
    expect(out.Audience).toBe(AWS_SAML);
    const qualifier = createHash("sha1").update(`${lab.idp.entityId}${lab.a.id}/Lab`).digest("base64");
    expect(out.NameQualifier).toBe(qualifier);
    expect(out.PackedPolicySize).toBeUndefined();
    const exp = out.Credentials!.Expiration!.getTime();
    expect(Math.abs(exp - Date.now() - 5400_000)).toBeLessThan(60_000);
    const who = await sessionClients(out.Credentials!).sts.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(out.AssumedRoleUser?.Arn);
    await sessionClients(out.Credentials!).iam.send(new GetRoleCommand({ RoleName: "saml-readers" }));
  });

  it("takes RoleSessionName and SessionDuration from the assertion; DurationSeconds wins", async () => {
    const assertion = await mint(lab.a.id, {
      subject: "carol@example.com",
      sessionName: "carol",
      sessionDuration: 1800,
      nameIdFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
      roles: [`${lab.providerArn},${lab.roleArn}`], // either order, as IdPs write it
    });
    const out = await anonymousSts().send(
      new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: assertion }),
    );
    expect(out.AssumedRoleUser?.Arn).toMatch(/assumed-role\/saml-readers\/carol$/);
    expect(out.SubjectType).toBe("transient");
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - Date.now() - 1800_000)).toBeLessThan(60_000);
    const longer = await anonymousSts().send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: lab.roleArn,
        PrincipalArn: lab.providerArn,
        SAMLAssertion: assertion,
        DurationSeconds: 3600,
      }),
    );
    expect(Math.abs(longer.Credentials!.Expiration!.getTime() - Date.now() - 3600_000)).toBeLessThan(60_000);
    // Not alice: the role's policy, conditioned on saml:sub, does not apply.
    await expectAwsError(sessionClients(out.Credentials!).iam.send(new GetRoleCommand({ RoleName: "saml-readers" })), "AccessDenied", 403);
  });

  it("refuses a subject the trust policy's SAML:sub condition does not name", async () => {
    const assertion = await mint(lab.a.id, { subject: "bob@example.com", roles: [`${lab.roleArn},${lab.providerArn}`] });
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: assertion })),
      "AccessDenied",
      403,
      "Not authorized to perform sts:AssumeRoleWithSAML",
    );
  });

  it("refuses a role the Role attribute does not pair with the provider", async () => {
    const assertion = await mint(lab.a.id, { subject: "alice@example.com", roles: [`${lab.taggedRoleArn},${lab.providerArn}`] });
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: assertion })),
      "AccessDenied",
      403,
      "Not authorized to perform sts:AssumeRoleWithSAML",
    );
  });

  it("refuses tampered and re-wrapped assertions with InvalidIdentityToken", async () => {
    const assertion = await mint(lab.a.id, { subject: "alice@example.com", roles: [`${lab.roleArn},${lab.providerArn}`] });
    const xml = xmlOf(assertion);
    const names = [
      "modified NameID",
      "stripped signatures (both signed)",
      "signed assertion moved into Extensions, evil assertion in its place (XSW)",
      "signed response wrapped in an evil response's Extensions (XSW)",
      "duplicate ID on another element",
      "comment injected in NameID (signature still valid)",
      "DOCTYPE with an internal entity",
    ];
    const cases = corpus.cases.filter((c) => names.includes(c.name));
    expect(cases).toHaveLength(names.length);
    for (const c of cases) {
      let forged = xml;
      for (const e of c.edits) forged = forged.replace(new RegExp(e.pattern, (e as { flags?: string }).flags ?? ""), e.replacement);
      expect(forged, c.name).not.toBe(xml);
      await expectAwsError(
        anonymousSts().send(
          new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: b64Of(forged) }),
        ),
        "InvalidIdentityToken",
        400,
        c.expect === "signature" ? "Response signature invalid" : "Invalid SAML response",
      );
    }
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: "%%%%" })),
      "InvalidIdentityToken",
      400,
    );
  });

  it("refuses expired and replayed assertions with ExpiredTokenException", async () => {
    const short = await mint(lab.a.id, { subject: "alice@example.com", roles: [`${lab.roleArn},${lab.providerArn}`], expiresIn: 1 });
    const send = (a: string) =>
      anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: a }));
    await new Promise((r) => setTimeout(r, 1200));
    await expectAwsError(send(short), "ExpiredTokenException", 400);
    // A response reused well after it was issued, even within its NotOnOrAfter.
    const stale = await mint(lab.a.id, {
      subject: "alice@example.com",
      roles: [`${lab.roleArn},${lab.providerArn}`],
      issuedAt: new Date(Date.now() - 10 * 60_000).toISOString(),
      expiresIn: 3600,
    });
    await expectAwsError(send(stale), "ExpiredTokenException", 400, "Token must be redeemed within 5 minutes of issuance");
  });

  it("needs RoleSessionName in the assertion, an existing provider, and the sign-in audience", async () => {
    const send = (a: string, principal = lab.providerArn) =>
      anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: principal, SAMLAssertion: a }));
    const roles = [`${lab.roleArn},${lab.providerArn}`];
    await expectAwsError(
      send(await mint(lab.a.id, { subject: "alice@example.com", roles, sessionName: null })),
      "InvalidIdentityToken",
      400,
      "RoleSessionName is required in AuthnResponse",
    );
    await expectAwsError(
      send(await mint(lab.a.id, { subject: "alice@example.com", roles, sessionName: "a b" })),
      "InvalidIdentityToken",
      400,
      "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    );
    await expectAwsError(
      send(await mint(lab.a.id, { subject: "alice@example.com", roles, audience: "https://app.example.com" })),
      "InvalidIdentityToken",
      400,
    );
    await expectAwsError(
      send(await mint(lab.a.id, { subject: "alice@example.com", roles }), `arn:aws:iam::${lab.a.id}:saml-provider/Nope`),
      "InvalidIdentityToken",
      400,
    );
  });

  it("makes PrincipalTag attributes session tags a policy can use, with sts:TagSession in the trust policy", async () => {
    const send = async (team: string) => {
      const assertion = await mint(lab.a.id, {
        subject: "dave@example.com",
        roles: [`${lab.taggedRoleArn},${lab.providerArn}`],
        principalTags: { team },
        sourceIdentity: "dave",
      });
      return anonymousSts().send(
        new AssumeRoleWithSAMLCommand({ RoleArn: lab.taggedRoleArn, PrincipalArn: lab.providerArn, SAMLAssertion: assertion }),
      );
    };
    const blue = await send("blue");
    expect(blue.SourceIdentity).toBe("dave");
    expect(blue.PackedPolicySize).toBeGreaterThan(0);
    await sessionClients(blue.Credentials!).iam.send(new ListRolesCommand({}));
    const red = await send("red");
    await expectAwsError(sessionClients(red.Credentials!).iam.send(new ListRolesCommand({})), "AccessDenied", 403);
    // Without sts:TagSession in its trust policy, the role cannot be assumed with tags.
    const tagsRefused = await mint(lab.a.id, {
      subject: "alice@example.com",
      roles: [`${lab.roleArn},${lab.providerArn}`],
      principalTags: { team: "blue" },
    });
    await expectAwsError(
      anonymousSts().send(
        new AssumeRoleWithSAMLCommand({ RoleArn: lab.roleArn, PrincipalArn: lab.providerArn, SAMLAssertion: tagsRefused }),
      ),
      "AccessDenied",
      403,
      "Not authorized to perform sts:TagSession",
    );
  });

  it("gives account A's IdP no say over account B's provider", async () => {
    const b = await withAccount();
    const bIdp = await samlIdp(b.id);
    const provider = (await b.iam.send(new CreateSAMLProviderCommand({ Name: "Lab", SAMLMetadataDocument: bIdp.metadata })))
      .SAMLProviderArn!;
    const role = (await b.iam.send(new CreateRoleCommand({ RoleName: "saml-b", AssumeRolePolicyDocument: samlTrust(provider) }))).Role!
      .Arn!;
    const fromA = await mint(lab.a.id, { subject: "alice@example.com", roles: [`${role},${provider}`] });
    await expectAwsError(
      anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: role, PrincipalArn: provider, SAMLAssertion: fromA })),
      "InvalidIdentityToken",
      400,
      "Response signature invalid",
    );
    const fromB = await mint(b.id, { subject: "alice@example.com", roles: [`${role},${provider}`] });
    const ok = await anonymousSts().send(new AssumeRoleWithSAMLCommand({ RoleArn: role, PrincipalArn: provider, SAMLAssertion: fromB }));
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${b.id}:assumed-role/saml-b/alice@example.com`);
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
    it.skipIf(!present)(`aws ${name}: sts assume-role-with-saml with the built-in IdP's output; a tampered one refused`, async () => {
      const assertion = await mint(lab.a.id, {
        subject: "alice@example.com",
        sessionName: `cli-${name}`,
        roles: [`${lab.roleArn},${lab.providerArn}`],
      });
      const args = (a: string) => [
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        lab.roleArn,
        "--principal-arn",
        lab.providerArn,
        "--saml-assertion",
        a,
        "--endpoint-url",
        url(),
        "--output",
        "json",
      ];
      const { stdout } = await run(bin, args(assertion), { env: cliEnv() });
      const out = JSON.parse(stdout) as { AssumedRoleUser: { Arn: string }; Subject: string; Issuer: string };
      expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${lab.a.id}:assumed-role/saml-readers/cli-${name}`);
      expect(out.Subject).toBe("alice@example.com");
      expect(out.Issuer).toBe(lab.idp.entityId);
      const tampered = b64Of(xmlOf(assertion).replace(">alice@example.com<", ">carol@example.com<"));
      const err = await run(bin, args(tampered), { env: cliEnv() }).then(
        () => "",
        (e: { stderr?: string }) => e.stderr ?? "",
      );
      expect(err).toContain("InvalidIdentityToken");
      expect(err).toContain("Response signature invalid");
    });
  }
});
