/**
 * The lab author's view of the console (issue 20): signed in with the admin token (constant-time
 * check, failures limited per IP), the accounts, one account's consistency simulation with a flush,
 * its recent requests and denials with their explanations, and a "sign in as learner X" link of the
 * account's built-in SAML IdP that signs a browser in as the role. Learners' console sessions do not
 * open it; its POSTs need its own CSRF token; a crafted ?link= never becomes a script URL.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
} from "@aws-sdk/client-iam";
import { keyCreds, withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch, url, vars } from "../helpers/sandbox";
import { ConsoleClient } from "../helpers/console-browser";

let a: AccountFixture;

async function author(): Promise<ConsoleClient> {
  const c = new ConsoleClient();
  const r = await c.post("/console/author/signin", { token: vars().IAMLAB_ADMIN_TOKEN! });
  expect(r.status).toBe(303);
  expect(r.setCookies[0]).toMatch(/^iamlab-author=.*; Path=\/console\/author; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  return c;
}

beforeAll(async () => {
  a = await withAccount();
});

describe("the lab author's view", () => {
  it("needs the admin token: the form first, a wrong token refused", async () => {
    const anon = new ConsoleClient();
    const form = await anon.get("/console/author");
    expect(form.text).toContain("Admin token");
    expect(form.text).not.toContain(a.id);
    expect((await anon.post("/console/author/signin", { token: "wrong" })).status).toBe(401);
    expect((await anon.get(`/console/author/accounts/${a.id}`)).text).not.toContain("Recent requests");
  });

  it("lists accounts and shows one account's requests, denials (explained) and consistency controls", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "learner" }));
    // A denied call of the account: a user without policies reading another user.
    const key = (await a.iam.send(new CreateAccessKeyCommand({ UserName: "learner" }))).AccessKey!;
    const learner = new IAMClient({ endpoint: url(), region: "us-east-1", credentials: keyCreds(key), maxAttempts: 1 });
    await expect(learner.send(new ListUsersCommand({}))).rejects.toThrow(/not authorized/);
    await a.iam.send(new GetUserCommand({ UserName: "learner" }));
    const c = await author();
    const list = await c.get(`/console/author?find=${a.id}`);
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/console/author/accounts/${a.id}`);
    expect(list.text).toContain("Accounts (1)");
    // The recorder writes behind responses (about 50 ms).
    await new Promise((r) => setTimeout(r, 300));
    const page = await c.get(`/console/author/accounts/${a.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("iam:GetUser");
    expect(page.text).toContain("iam:CreateUser");
    expect(page.text).toContain("pending change");
    expect(page.text).toContain("iam:ListUsers");
    expect(page.text).toContain("Implicitly denied");
    const csrf = ConsoleClient.csrfOf(page.text);
    expect((await c.post(`/console/author/accounts/${a.id}/flush`, { _csrf: csrf })).status).toBe(303);
    expect((await c.post(`/console/author/accounts/${a.id}/flush`, { _csrf: "forged" })).status).toBe(403);
    // A crafted link parameter is not rendered as a link.
    expect((await c.get(`/console/author/accounts/${a.id}?link=javascript:alert(1)`)).text).not.toContain("javascript:alert");
  });

  it("makes a 'sign in as learner X' link that signs a browser in as the role", async () => {
    const idp = (await (await adminFetch(`/accounts/${a.id}/idp/saml`)).json()) as { metadata: string };
    const provider = (await a.iam.send(new CreateSAMLProviderCommand({ Name: "AuthorIdP", SAMLMetadataDocument: idp.metadata })))
      .SAMLProviderArn!;
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "class",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: provider }, Action: "sts:AssumeRoleWithSAML" }],
        }),
      }),
    );
    const c = await author();
    const csrf = ConsoleClient.csrfOf((await c.get(`/console/author/accounts/${a.id}`)).text);
    const made = await c.post(`/console/author/accounts/${a.id}/learner-link`, {
      _csrf: csrf,
      subject: "learner-21",
      role: "class",
      provider: "AuthorIdP",
    });
    expect(made.status).toBe(303);
    const shown = await c.get(made.location!);
    const link = new URL(/href="([^"]*\/console\/saml\/post\?[^"]*)"/.exec(shown.text)![1]!.replace(/&amp;/g, "&"));
    const learner = new ConsoleClient();
    const post = await learner.get(`${link.pathname}${link.search}`);
    const form = Object.fromEntries(
      [...post.text.matchAll(/name="(SAMLResponse|RelayState)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    expect((await learner.post("/console/saml", form)).status).toBe(303);
    expect((await learner.get("/console/home")).text).toContain("assumed-role/class/learner-21");
    // The learner's console cookie does not open the author view.
    expect((await learner.get("/console/author")).text).toContain("Admin token");
  });
});
