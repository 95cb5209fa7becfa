/**
 * /console/graph in a real browser (playwright-core driving Debian's Chromium): the lab author's page
 * finds the PassRole escalation path of an account built with @aws-sdk/client-iam, and renders a
 * hostile user name as text. Skipped, with the reason, where Chromium is not installed. The screenshot
 * goes to .tmp/artifacts/graph-page.png.
 */
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { CreateUserCommand } from "@aws-sdk/client-iam";
import { url, vars } from "../helpers/sandbox";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { passRoleLab } from "../helpers/graph-lab";
import { CHROMIUM } from "../helpers/chromium";

const available = existsSync(CHROMIUM);
if (!available) console.warn(`graph-page.test.ts: skipped — no Chromium at ${CHROMIUM} (apt-get install chromium, or set IAMLAB_CHROMIUM)`);

const HOSTILE = "x<img src=x onerror=alert(1)>";

describe.skipIf(!available)("/console/graph", () => {
  let a: AccountFixture;
  let browser: Browser;

  beforeAll(async () => {
    a = await withAccount();
    await passRoleLab(a.iam);
    // IAM names allow only + = , . @ _ - besides letters and digits: the odd characters a name can carry.
    await a.iam.send(new CreateUserCommand({ UserName: "name+with=odd,chars@x" }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("shows the PassRole + RunInstances escalation path, names as text, under a CSP", async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const res = await page.goto(`${url()}/console/graph`);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.fill("#token", vars().IAMLAB_ADMIN_TOKEN!);
    await page.fill("#accounts", a.id);
    await page.click("#esc");
    const path = page.locator(".path", { hasText: `arn:aws:iam::${a.id}:user/dev` });
    await path.waitFor({ timeout: 15_000 });
    expect(await path.textContent()).toContain("iam:PassRole+ec2:RunInstances");
    expect(await path.textContent()).toContain(`arn:aws:iam::${a.id}:role/AdminRole`);

    await page.click("button[data-view=graph]");
    await page.locator("svg text", { hasText: "name+with=odd,chars@x" }).first().waitFor({ timeout: 15_000 });
    // A hostile string typed into a filter comes back only as text (the API rejects it; nothing runs).
    await page.fill("#principal", HOSTILE);
    await page.click("button[data-view=graph]");
    await page.locator("#status", { hasText: "InvalidRequest" }).waitFor({ timeout: 15_000 });
    expect(dialogs).toEqual([]);
    mkdirSync(".tmp/artifacts", { recursive: true });
    await page.fill("#principal", "");
    await page.click("#esc");
    await path.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: ".tmp/artifacts/graph-page.png", fullPage: true });
  }, 60_000);
});
