/**
 * Browser SSO into the console (issues 19/20) over plain HTTP with a cookie jar: SAML responses of
 * the built-in IdP posted to /console/saml (one role, AWS's role chooser, replay, tampering, a trust
 * denial), the federation endpoint (getSigninToken → login) for AssumeRole and web-identity
 * credentials, the built-in IdPs' "sign in as learner X" links, and SAML IdP key rotation.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateSAMLProviderCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, AssumeRoleWithSAMLCommand, STSClient } from "@aws-sdk/client-sts";
import { keyCreds, withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch, url } from "../helpers/sandbox";
import { ConsoleClient } from "../helpers/console-browser";
import { codeOf } from "../helpers/aws-errors";

const AWS_SAML = "https://signin.aws.amazon.com/saml";
let a: AccountFixture;
let providerArn: string;
const roleArn = (name: string) => `arn:aws:iam::${a.id}:role/${name}`;

function samlTrust(provider: string, sub = "*") {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: provider },
        Action: ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        Condition: { StringEquals: { "SAML:aud": AWS_SAML }, StringLike: { "SAML:sub": sub } },
      },
    ],
  });
}

const ALLOW_ALL_IAM = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] });

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await adminFetch(`/accounts/${a.id}/idp/saml/response`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { samlResponse: string }).samlResponse;
}

const pair = (role: string) => `${roleArn(role)},${providerArn}`;

beforeAll(async () => {
  a = await withAccount();
  const idp = (await (await adminFetch(`/accounts/${a.id}/idp/saml`)).json()) as { metadata: string };
  providerArn = (await a.iam.send(new CreateSAMLProviderCommand({ Name: "LabIdP", SAMLMetadataDocument: idp.metadata }))).SAMLProviderArn!;
  for (const [name, sub] of [
    ["sso-admins", "*"],
    ["sso-readers", "*"],
    ["only-carol", "carol@example.com"],
  ] as const) {
    await a.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: samlTrust(providerArn, sub) }));
    await a.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "iam", PolicyDocument: ALLOW_ALL_IAM }));
  }
});

describe("SAML into the console (POST /console/saml)", () => {
  it("signs in as the assumed role when the response names one role, landing on RelayState", async () => {
    const c = new ConsoleClient();
    const res = await c.post("/console/saml", {
      SAMLResponse: await mint({ subject: "alice@example.com", roles: [pair("sso-admins")] }),
      RelayState: "/console/users",
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/console/users");
    const home = await c.get("/console/home");
    expect(home.status).toBe(200);
    expect(home.text).toContain(`assumed-role/sso-admins/alice@example.com @ ${a.id}`);
    // Pages are authorized as the role: it may list users.
    expect((await c.get("/console/users")).status).toBe(200);
  });

  it("shows AWS's role chooser for several roles; the choice signs in as that role", async () => {
    const c = new ConsoleClient();
    const response = await mint({ subject: "bob@example.com", roles: [pair("sso-admins"), pair("sso-readers")] });
    const chooser = await c.post("/console/saml", { SAMLResponse: response });
    expect(chooser.status).toBe(200);
    expect(chooser.text).toContain("Select a role");
    expect(chooser.text).toContain(roleArn("sso-readers"));
    const csrf = ConsoleClient.csrfOf(chooser.text);
    // Without the chooser's CSRF token (a cross-site post of the choice) nothing happens.
    expect((await new ConsoleClient().post("/console/saml", { SAMLResponse: response, roleIndex: "1" })).status).toBe(403);
    const chosen = await c.post("/console/saml", { SAMLResponse: response, roleIndex: "1", _csrf: csrf });
    expect(chosen.status).toBe(303);
    expect((await c.get("/console/home")).text).toContain(`assumed-role/sso-readers/bob@example.com @ ${a.id}`);
  });

  it("refuses a replayed response, a tampered one and one the trust policy does not allow — with AWS's page, no session", async () => {
    const response = await mint({ subject: "alice@example.com", roles: [pair("sso-admins")] });
    expect((await new ConsoleClient().post("/console/saml", { SAMLResponse: response })).status).toBe(303);
    const replay = new ConsoleClient();
    const again = await replay.post("/console/saml", { SAMLResponse: response });
    expect(again.status).toBe(400);
    expect(again.text).toContain("Your request included an invalid SAML response. To logout, click here.");
    expect(replay.cookies.has("iamlab-console")).toBe(false);

    const fresh = await mint({ subject: "alice@example.com", roles: [pair("sso-admins")] });
    const tampered = Buffer.from(
      Buffer.from(fresh, "base64").toString("utf8").replace("alice@example.com", "mallory@example.com"),
    ).toString("base64");
    const bad = await new ConsoleClient().post("/console/saml", { SAMLResponse: tampered });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Response signature invalid");

    const denied = await new ConsoleClient().post("/console/saml", {
      SAMLResponse: await mint({ subject: "alice@example.com", roles: [pair("only-carol")] }),
    });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain("Not authorized to perform sts:AssumeRoleWithSAML");

    const garbage = await new ConsoleClient().post("/console/saml", { SAMLResponse: "not base64!" });
    expect(garbage.status).toBe(400);
  });

  it("never redirects outside the console (RelayState to another site lands on the dashboard)", async () => {
    const res = await new ConsoleClient().post("/console/saml", {
      SAMLResponse: await mint({ subject: "alice@example.com", roles: [pair("sso-admins")] }),
      RelayState: "https://evil.example/phish",
    });
    expect(res.location).toBe("/console/home");
  });

  it("the built-in IdP's console link posts a fresh response (the 'sign in as learner X' page)", async () => {
    const r = await adminFetch(`/accounts/${a.id}/idp/saml/console-link`, {
      method: "POST",
      body: JSON.stringify({ subject: "learner07", roles: [pair("sso-readers")] }),
    });
    expect(r.status).toBe(201);
    const link = new URL(((await r.json()) as { url: string }).url);
    const c = new ConsoleClient();
    const page = await c.get(`${link.pathname}${link.search}`);
    expect(page.text).toContain('data-autosubmit="1"');
    const form = Object.fromEntries(
      [...page.text.matchAll(/name="(SAMLResponse|RelayState)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const res = await c.post("/console/saml", form);
    expect(res.status).toBe(303);
    expect((await c.get("/console/home")).text).toContain("assumed-role/sso-readers/learner07");
  });
});

describe("the federation endpoint (custom identity broker)", () => {
  async function userAssuming(): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
    const name = `broker${Math.random().toString(36).slice(2, 8)}`;
    await a.iam.send(new CreateUserCommand({ UserName: name }));
    await a.iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: "assume",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
        }),
      }),
    );
    const key = keyCreds((await a.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
    await a.iam
      .send(
        new CreateRoleCommand({
          RoleName: "broker-target",
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${a.id}:root` }, Action: "sts:AssumeRole" }],
          }),
        }),
      )
      .catch(() => undefined); // created by the first test that needs it
    await a.iam.send(new PutRolePolicyCommand({ RoleName: "broker-target", PolicyName: "iam", PolicyDocument: ALLOW_ALL_IAM }));
    const sts = new STSClient({ endpoint: url(), region: "us-east-1", credentials: key, maxAttempts: 1 });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn("broker-target"), RoleSessionName: "broker-session" })))
      .Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  }

  const sessionParam = (c: { accessKeyId: string; secretAccessKey: string; sessionToken: string }) =>
    encodeURIComponent(JSON.stringify({ sessionId: c.accessKeyId, sessionKey: c.secretAccessKey, sessionToken: c.sessionToken }));

  it("exchanges AssumeRole credentials for a single-use sign-in token that opens the console as the role", async () => {
    const creds = await userAssuming();
    const r = await fetch(`${url()}/console/federation?Action=getSigninToken&SessionDuration=1800&Session=${sessionParam(creds)}`);
    expect(r.status).toBe(200);
    const { SigninToken } = (await r.json()) as { SigninToken: string };
    const c = new ConsoleClient();
    const login = await c.get(
      `/console/federation?Action=login&Issuer=${encodeURIComponent("https://broker.example")}&Destination=${encodeURIComponent(`${url()}/console/roles`)}&SigninToken=${SigninToken}`,
    );
    expect(login.status).toBe(303);
    expect(login.location).toBe("/console/roles");
    expect(login.setCookies.find((s) => s.startsWith("iamlab-console="))).toMatch(/Max-Age=1800/);
    expect((await c.get("/console/home")).text).toContain(`assumed-role/broker-target/broker-session @ ${a.id}`);
    // Single use: the same link again signs nobody in.
    const again = await new ConsoleClient().get(`/console/federation?Action=login&SigninToken=${SigninToken}`);
    expect(again.status).toBe(400);
    expect(again.text).toContain("invalid or has expired");
  });

  it("refuses long-term credentials, a wrong secret and a SessionDuration out of range", async () => {
    const creds = await userAssuming();
    const wrong = await fetch(
      `${url()}/console/federation?Action=getSigninToken&Session=${sessionParam({ ...creds, secretAccessKey: "x".repeat(40) })}`,
    );
    expect(wrong.status).toBe(400);
    const longTerm = await fetch(
      `${url()}/console/federation?Action=getSigninToken&Session=${sessionParam({ accessKeyId: a.creds.accessKeyId, secretAccessKey: a.creds.secretAccessKey, sessionToken: "x" })}`,
    );
    expect(longTerm.status).toBe(400);
    const tooLong = await fetch(`${url()}/console/federation?Action=getSigninToken&SessionDuration=50000&Session=${sessionParam(creds)}`);
    expect(tooLong.status).toBe(400);
    expect((await fetch(`${url()}/console/federation?Action=nope`)).status).toBe(400);
  });

  it("takes a web identity into the console: the built-in OIDC IdP's console link (AssumeRoleWithWebIdentity + login)", async () => {
    const idp = (await (await adminFetch(`/accounts/${a.id}/idp/oidc`)).json()) as { issuer: string; providerArn: string };
    await a.iam.send(new CreateOpenIDConnectProviderCommand({ Url: idp.issuer, ClientIDList: ["sts.amazonaws.com"] }));
    const host = idp.issuer.slice("https://".length);
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "web-learners",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: idp.providerArn },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: { StringEquals: { [`${host}:aud`]: "sts.amazonaws.com" }, StringLike: { [`${host}:sub`]: "learner-*" } },
            },
          ],
        }),
      }),
    );
    const ok = await adminFetch(`/accounts/${a.id}/idp/oidc/console-link`, {
      method: "POST",
      body: JSON.stringify({ sub: "learner-12", roleArn: roleArn("web-learners") }),
    });
    expect(ok.status).toBe(201);
    const link = new URL(((await ok.json()) as { url: string }).url);
    const c = new ConsoleClient();
    expect((await c.get(`${link.pathname}${link.search}`)).location).toBe("/console/home");
    expect((await c.get("/console/home")).text).toContain(`assumed-role/web-learners/learner-12 @ ${a.id}`);
    // The trust policy decides, as for any web identity.
    const refused = await adminFetch(`/accounts/${a.id}/idp/oidc/console-link`, {
      method: "POST",
      body: JSON.stringify({ sub: "teacher", roleArn: roleArn("web-learners") }),
    });
    expect(refused.status).toBe(403);
  });
});

describe("SAML IdP key rotation", () => {
  it("publishes both certificates while rotating; the provider must be updated; retire drops the old one", async () => {
    const b = await withAccount();
    const meta = async () => (await (await adminFetch(`/accounts/${b.id}/idp/saml`)).json()) as { metadata: string; rotating: boolean };
    const before = await meta();
    const provider = (await b.iam.send(new CreateSAMLProviderCommand({ Name: "Rotating", SAMLMetadataDocument: before.metadata })))
      .SAMLProviderArn!;
    await b.iam.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: samlTrust(provider) }));
    const assume = async () => {
      const res = await adminFetch(`/accounts/${b.id}/idp/saml/response`, {
        method: "POST",
        body: JSON.stringify({ subject: "alice", roles: [`arn:aws:iam::${b.id}:role/r,${provider}`] }),
      });
      const { samlResponse } = (await res.json()) as { samlResponse: string };
      return new STSClient({
        endpoint: url(),
        region: "us-east-1",
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
        maxAttempts: 1,
      })
        .send(
          new AssumeRoleWithSAMLCommand({ RoleArn: `arn:aws:iam::${b.id}:role/r`, PrincipalArn: provider, SAMLAssertion: samlResponse }),
        )
        .then(
          () => "OK",
          (e: unknown) => codeOf(e) ?? String(e),
        );
    };
    expect(await assume()).toBe("OK");
    expect((await adminFetch(`/accounts/${b.id}/idp/saml/rotate`, { method: "POST" })).status).toBe(200);
    const during = await meta();
    expect(during.rotating).toBe(true);
    expect(during.metadata.match(/<ds:X509Certificate>/g)).toHaveLength(2);
    // The provider still has only the old certificate: the new key's signatures are refused…
    expect(await assume()).toBe("InvalidIdentityToken");
    // …until IAM gets the rotated metadata (both certificates).
    await b.iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: provider, SAMLMetadataDocument: during.metadata }));
    expect(await assume()).toBe("OK");
    expect(
      ((await (await adminFetch(`/accounts/${b.id}/idp/saml/retire`, { method: "POST" })).json()) as { retired: boolean }).retired,
    ).toBe(true);
    const after = await meta();
    expect(after.rotating).toBe(false);
    expect(after.metadata.match(/<ds:X509Certificate>/g)).toHaveLength(1);
    await b.iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: provider, SAMLMetadataDocument: after.metadata }));
    expect(await assume()).toBe("OK");
  });
});
