/**
 * SSO into the console in a real browser (issues 19/20): the built-in SAML IdP's "sign in as
 * learner X" link opens a page that posts the signed response to /console/saml by itself
 * (console.js, no inline script), and Chromium lands on the dashboard as the assumed role.
 * Skipped, with a message, without Chromium (test/helpers/chromium.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { CreateRoleCommand, CreateSAMLProviderCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch } from "../helpers/sandbox";
import { CHROMIUM } from "../helpers/chromium";

const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) console.warn(`console-sso-browser tests skipped: no Chromium at ${CHROMIUM}.`);
const ARTIFACTS = "test-artifacts";

let browser: Browser;
let a: AccountFixture;

describe.skipIf(!haveBrowser)("SSO into the console in Chromium (Playwright)", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
    a = await withAccount();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("a learner's SAML sign-in link lands on the dashboard as the assumed role", async () => {
    const idp = (await (await adminFetch(`/accounts/${a.id}/idp/saml`)).json()) as { metadata: string };
    const provider = (await a.iam.send(new CreateSAMLProviderCommand({ Name: "Classroom", SAMLMetadataDocument: idp.metadata })))
      .SAMLProviderArn!;
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "learners",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: provider }, Action: "sts:AssumeRoleWithSAML" }],
        }),
      }),
    );
    await a.iam.send(
      new PutRolePolicyCommand({
        RoleName: "learners",
        PolicyName: "read-iam",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:List*", Resource: "*" }] }),
      }),
    );
    const r = await adminFetch(`/accounts/${a.id}/idp/saml/console-link`, {
      method: "POST",
      body: JSON.stringify({ subject: "learner-07", roles: [`arn:aws:iam::${a.id}:role/learners,${provider}`] }),
    });
    expect(r.status).toBe(201);
    const { url: link } = (await r.json()) as { url: string };
    const page = await browser.newPage();
    await page.goto(link);
    await page.waitForURL(/\/console\/home$/);
    const body = await page.textContent("body");
    expect(body).toContain(`assumed-role/learners/learner-07 @ ${a.id}`);
    await page.goto(link.replace(/\/console\/saml\/post.*/, "/console/users"));
    expect(await page.textContent("body")).toContain("Users");
    await page.screenshot({ path: `${ARTIFACTS}/console-sso.png`, fullPage: true });
    await page.close();
  });
});
