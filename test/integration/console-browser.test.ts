/**
 * The console in a real browser (issue 20): Playwright (playwright-core) driving Debian's Chromium
 * against the shared sandbox — sign-in with password + TOTP, the forced password change, a denied
 * page with its explanation, creating a user and a policy in the editor (validated as you type),
 * and Switch Role. Screenshots go to test-artifacts/. Skipped, with a message, without /usr/bin/chromium
 * (install it with `apt-get install chromium`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import {
  AttachRolePolicyCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetUserCommand,
  ListPoliciesCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { url } from "../helpers/sandbox";
import { hotp, timeStep } from "../../src/lib/totp";
import { CHROMIUM } from "../helpers/chromium";

const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser)
  console.warn(`console-browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set IAMLAB_CHROMIUM).`);

const ARTIFACTS = "test-artifacts";
const PW = "Browser-Passw0rd!";
const ADMIN = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

let browser: Browser;
let a: AccountFixture;

async function user(name: string, policy?: object, reset = false) {
  await a.iam.send(new CreateUserCommand({ UserName: name }));
  await a.iam.send(new CreateLoginProfileCommand({ UserName: name, Password: PW, PasswordResetRequired: reset }));
  if (policy) await a.iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
}

async function signIn(page: Page, name: string, password = PW) {
  await page.goto(`${url()}/console/signin`);
  await page.fill("#account", a.id);
  await page.fill("#username", name);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });

describe.skipIf(!haveBrowser)("console in Chromium (Playwright)", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
    a = await withAccount();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("signs in with password + TOTP MFA", async () => {
    await user("pw-mfa", ADMIN);
    const dev = await a.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "pw-mfa" }));
    const seed = new TextDecoder().decode(dev.VirtualMFADevice!.Base32StringSeed);
    const s = timeStep(Date.now());
    await a.iam.send(
      new EnableMFADeviceCommand({
        UserName: "pw-mfa",
        SerialNumber: dev.VirtualMFADevice!.SerialNumber!,
        AuthenticationCode1: await hotp(seed, s - 2),
        AuthenticationCode2: await hotp(seed, s - 1),
      }),
    );
    const page = await browser.newPage();
    await signIn(page, "pw-mfa");
    await page.waitForURL(/\/console\/mfa$/);
    await page.fill("#code", await hotp(seed, timeStep(Date.now())));
    await page.click("button[type=submit]");
    await page.waitForURL(/\/console\/home$/);
    expect(await page.textContent("[data-testid=caller-arn]")).toBe(`arn:aws:iam::${a.id}:user/pw-mfa`);
    expect(await page.textContent("main")).toContain("with MFA");
    // The session cookie is not readable by scripts.
    expect(await page.evaluate<string>("document.cookie")).not.toContain("iamlab-console=");
    await shot(page, "console-dashboard");
    await page.close();
  }, 60_000);

  it("forces a password change", async () => {
    await user("forced", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:ChangePassword", Resource: "*" }] }, true);
    const page = await browser.newPage();
    await signIn(page, "forced");
    await page.waitForURL(/\/console\/change-password$/);
    await page.fill("#old", PW);
    await page.fill("#new", "short");
    await page.fill("#confirm", "short");
    await page.click("button[type=submit]");
    expect(await page.textContent("[role=alert]")).toContain("Password should");
    await page.fill("#old", PW);
    await page.fill("#new", "A-New-Browser-Passw0rd");
    await page.fill("#confirm", "A-New-Browser-Passw0rd");
    await page.click("button[type=submit]");
    await page.waitForURL(/\/console\/home$/);
    await page.close();
  }, 60_000);

  it("shows a denied page with its explanation", async () => {
    await user("limited", {
      Version: "2012-10-17",
      Statement: [{ Sid: "ReadRolesOnly", Effect: "Allow", Action: "iam:ListRoles", Resource: "*" }],
    });
    const page = await browser.newPage();
    await signIn(page, "limited");
    await page.waitForURL(/\/console\/home$/);
    await page.goto(`${url()}/console/users`);
    expect(await page.textContent("[data-testid=denied] h2")).toBe("You don't have permission");
    expect(await page.textContent("[data-testid=reason]")).toContain("allows iam:ListUsers");
    expect(await page.textContent("[data-testid=explanation]")).toContain('"ReadRolesOnly"');
    await shot(page, "console-denied");
    await page.close();
  }, 60_000);

  it("creates a user and a policy in the editor, validated as you type", async () => {
    await user("builder", ADMIN);
    const page = await browser.newPage();
    await signIn(page, "builder");
    await page.waitForURL(/\/console\/home$/);
    await page.goto(`${url()}/console/users/new`);
    await page.fill("#name", "from-browser");
    await page.fill("#tags", "team=blue");
    await page.click("main button[type=submit]");
    await page.waitForURL(/\/console\/users\/from-browser$/);
    expect((await a.iam.send(new GetUserCommand({ UserName: "from-browser" }))).User!.Tags).toEqual([{ Key: "team", Value: "blue" }]);

    await page.goto(`${url()}/console/policies/new`);
    await page.fill("#policy-name", "browser-policy");
    await page.fill("#policy-doc", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}');
    // Selectors, not waitForFunction: the console's CSP forbids the eval that polling a string needs.
    await page.waitForSelector("#findings .finding.ERROR");
    expect(await page.textContent("#findings")).toContain("Invalid action");
    await shot(page, "console-policy-editor");
    await page.fill("#policy-doc", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}');
    await page.waitForSelector("#findings .finding.ok");
    await page.click("main form.card button[type=submit]");
    await page.waitForURL(/\/console\/policy\?arn=/);
    const mine = await a.iam.send(new ListPoliciesCommand({ Scope: "Local" }));
    expect(mine.Policies!.map((p) => p.PolicyName)).toContain("browser-policy");
    await page.close();
  }, 60_000);

  it("switches role and back", async () => {
    await user("hopper", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "iam:GetAccountSummary"], Resource: "*" }],
    });
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "browser-admin",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${a.id}:user/hopper` }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const pol = await a.iam.send(new CreatePolicyCommand({ PolicyName: "browser-admin", PolicyDocument: JSON.stringify(ADMIN) }));
    await a.iam.send(new AttachRolePolicyCommand({ RoleName: "browser-admin", PolicyArn: pol.Policy!.Arn! }));
    const page = await browser.newPage();
    await signIn(page, "hopper");
    await page.waitForURL(/\/console\/home$/);
    await page.goto(`${url()}/console/switch-role`);
    await page.fill("#sr-role", "browser-admin");
    await page.fill("#sr-display", "Lab admin");
    await page.click("main button[type=submit]");
    await page.waitForURL(/\/console\/home$/);
    expect(await page.textContent("[data-testid=who]")).toBe(`Lab admin @ ${a.id}`);
    expect(await page.textContent("[data-testid=caller-arn]")).toBe(`arn:aws:sts::${a.id}:assumed-role/browser-admin/hopper`);
    await page.click("text=Back to user");
    await page.waitForURL(/\/console\/home$/);
    expect(await page.textContent("[data-testid=caller-arn]")).toBe(`arn:aws:iam::${a.id}:user/hopper`);
    await page.close();
  }, 60_000);
});
