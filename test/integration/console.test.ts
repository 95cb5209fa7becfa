/**
 * The web console's security properties over plain HTTP (issue 20): sign-in (root and IAM user,
 * MFA, forced password change, throttling), cookie flags, session fixation and revocation, CSRF,
 * escaping of attacker-chosen names, tags and policy text, account isolation, and pages authorized
 * by the engine (a denied list shows AWS's panel with the explanation).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetUserCommand,
  PutUserPolicyCommand,
  UpdateAccountPasswordPolicyCommand,
} from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch, setClock, url } from "../helpers/sandbox";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ConsoleClient } from "../helpers/console-browser";
import { hotp, timeStep } from "../../src/lib/totp";

const ROOT_PW = "Root-Passw0rd!";
/** AWS's panel title, as the HTML escapes its apostrophe. */
const DENIED = "You don&#39;t have permission";
const USER_PW = "User-Passw0rd!";

let a: AccountFixture;
let b: AccountFixture;

async function userWithPassword(f: AccountFixture, name: string, opts: { reset?: boolean; policy?: object } = {}) {
  await f.iam.send(new CreateUserCommand({ UserName: name }));
  await f.iam.send(new CreateLoginProfileCommand({ UserName: name, Password: USER_PW, PasswordResetRequired: opts.reset ?? false }));
  if (opts.policy)
    await f.iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "console", PolicyDocument: JSON.stringify(opts.policy) }));
}

const ADMIN = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

beforeAll(async () => {
  a = await withAccount();
  b = await withAccount();
  for (const f of [a, b]) {
    const r = await adminFetch(`/accounts/${f.id}/root-password`, { method: "PUT", body: JSON.stringify({ password: ROOT_PW }) });
    expect(r.status).toBe(200);
  }
});

describe("root sign-in and the session cookie", () => {
  it("signs in with the root password: a new HMAC'd id in an HttpOnly SameSite=Strict cookie, the dashboard as root", async () => {
    const c = new ConsoleClient();
    const res = await c.signIn(a.id, "root", ROOT_PW);
    expect(res.status).toBe(303);
    expect(res.location).toBe("/console/home");
    const session = res.setCookies.find((s) => s.startsWith("iamlab-console="))!;
    expect(session).toMatch(/; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=43200$/); // 12 h; no Secure over http
    const home = await c.get("/console/home");
    expect(home.status).toBe(200);
    expect(home.text).toContain(`arn:aws:iam::${a.id}:root`);
    expect(home.text).toMatch(/<td>Users<\/td><td>\d+<\/td>/);
    expect(home.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(home.headers.get("x-frame-options")).toBe("DENY");
    expect(home.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses a wrong password with AWS's words, and a forged or altered cookie", async () => {
    const c = new ConsoleClient();
    const bad = await c.signIn(a.id, "root", "Wrong-Passw0rd!");
    expect(bad.status).toBe(401);
    expect(bad.text).toContain("Your authentication information is incorrect. Please try again.");
    const forged = new ConsoleClient();
    forged.cookies.set("iamlab-console", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.bm90LWEtbWFj");
    expect((await forged.get("/console/home")).location).toBe("/console/signin");
  });

  it("issues a new session id at sign-in (fixation) and sign-out revokes the session server-side", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    const first = c.cookies.get("iamlab-console")!;
    // Signing in again in the same browser: a fresh id, and the old one is dead.
    await c.signIn(a.id, "root", ROOT_PW);
    const second = c.cookies.get("iamlab-console")!;
    expect(second).not.toBe(first);
    const stale = new ConsoleClient();
    stale.cookies.set("iamlab-console", first);
    expect((await stale.get("/console/home")).location).toBe("/console/signin");
    // Sign-out needs the CSRF token; afterwards the copied cookie is refused too.
    const copy = new ConsoleClient();
    copy.cookies.set("iamlab-console", second);
    expect((await c.post("/console/signout", {})).status).toBe(403);
    expect((await c.post("/console/signout", { _csrf: await c.csrf() })).location).toBe("/console/signin");
    expect((await copy.get("/console/home")).location).toBe("/console/signin");
  });
});

describe("CSRF", () => {
  it("refuses a POST without the token, with a wrong token, or from another origin, and changes nothing", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    const token = await c.csrf();
    expect((await c.post("/console/users", { name: "csrf-1" })).status).toBe(403);
    expect((await c.post("/console/users", { name: "csrf-2", _csrf: `${token}x` })).status).toBe(403);
    expect((await c.post("/console/users", { name: "csrf-3", _csrf: token }, { origin: "https://evil.example" })).status).toBe(403);
    for (const n of ["csrf-1", "csrf-2", "csrf-3"]) await expect(a.iam.send(new GetUserCommand({ UserName: n }))).rejects.toThrow();
    // The sign-in form too: no token of the sign-in cookie, no sign-in (login CSRF).
    const fresh = new ConsoleClient();
    expect((await fresh.post("/console/signin", { account: a.id, root: "1", password: ROOT_PW, _csrf: "x" })).status).toBe(403);
    // And with it, the write happens.
    const ok = await c.post("/console/users", { name: "csrf-ok", _csrf: token });
    expect(ok.status).toBe(303);
    await a.iam.send(new GetUserCommand({ UserName: "csrf-ok" }));
  });
});

describe("IAM users", () => {
  it("a user without iam:ListUsers sees AWS's panel with the decision's explanation, not an empty list", async () => {
    await userWithPassword(a, "reader", {
      policy: { Version: "2012-10-17", Statement: [{ Sid: "OnlyGetUser", Effect: "Allow", Action: "iam:GetUser", Resource: "*" }] },
    });
    const c = new ConsoleClient();
    const res = await c.signIn(a.id, "reader", USER_PW);
    expect(res.location).toBe("/console/home");
    const users = await c.get("/console/users");
    expect(users.text).toContain(DENIED);
    expect(users.text).toContain(
      `User: arn:aws:iam::${a.id}:user/reader is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${a.id}:user/`,
    );
    expect(users.text).toContain('data-testid="explanation"');
    expect(users.text).toMatch(/no statement of the caller&#39;s identity-based policies \(inline policy console\) allows iam:ListUsers/);
    expect(users.text).toContain("OnlyGetUser");
    // The denial is listed in "Why was I denied?" and opens by id.
    const id = /Decision <code>([^<]+)<\/code>/.exec(users.text)![1]!;
    const why = await c.get(`/console/why-denied?id=${encodeURIComponent(id)}`);
    expect(why.text).toContain("iam:ListUsers");
    expect(why.text).toContain("What would change the decision");
    // Another principal's decision is read as AWS reads it: sts:DecodeAuthorizationMessage, authorized by the engine.
    await userWithPassword(a, "nosy");
    const nosy = new ConsoleClient();
    await nosy.signIn(a.id, "nosy", USER_PW);
    const refused = await nosy.get(`/console/why-denied?id=${encodeURIComponent(id)}`);
    expect(refused.text).toContain("sts:DecodeAuthorizationMessage");
    expect(refused.text).toContain(DENIED);
    expect(refused.text).not.toContain("OnlyGetUser");
    expect((await nosy.get("/console/why-denied")).text).not.toContain("user/reader");
    const root = new ConsoleClient();
    await root.signIn(a.id, "root", ROOT_PW);
    expect((await root.get("/console/why-denied")).text).toContain("user/reader");
    // PasswordLastUsed records the console sign-in.
    const u = await a.iam.send(new GetUserCommand({ UserName: "reader" }));
    expect(u.User!.PasswordLastUsed).toBeInstanceOf(Date);
  });

  it("creates a user with tags and an access key whose secret is shown once", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    const csrf = await c.csrf();
    const made = await c.post("/console/users", { _csrf: csrf, name: "made-in-console", tags: "team=blue" });
    expect(made.location).toBe("/console/users/made-in-console");
    const key = await c.post("/console/users/made-in-console/access-keys", { _csrf: csrf });
    const secret = /data-testid="new-key-secret">([^<]+)</.exec(key.text)![1]!;
    expect(secret).toMatch(/^[A-Za-z0-9/+]{40}$/);
    expect((await c.get("/console/users/made-in-console")).text).not.toContain(secret);
  });
});

describe("escaping (names, tags and policies are attacker-chosen)", () => {
  it("renders XSS payloads in tags, descriptions and policy text as text", async () => {
    const payload = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    await a.iam.send(new CreateUserCommand({ UserName: "xss-user", Tags: [{ Key: "k", Value: "a=b:c@d" }] }));
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "xss-role",
        Description: payload.replace(/[^\u0020-\u007e]/g, ""),
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${a.id}:root` },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "sts:ExternalId": payload } },
            },
          ],
        }),
      }),
    );
    const pol = await a.iam.send(
      new CreatePolicyCommand({
        PolicyName: "xss-policy",
        Description: payload,
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::b/${payload}` }],
        }),
      }),
    );
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    for (const path of [
      "/console/roles/xss-role",
      "/console/roles",
      "/console/policies",
      `/console/policy?arn=${encodeURIComponent(pol.Policy!.Arn!)}`,
    ]) {
      const page = await c.get(path);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain("<script>alert(1)");
      expect(page.text).not.toContain("<img src=x");
    }
    expect((await c.get("/console/roles/xss-role")).text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    // The policy editor's rejected document comes back escaped too.
    const csrf = await c.csrf();
    const back = await c.post("/console/policies", { _csrf: csrf, name: "bad", document: `{"Statement": "</textarea>${payload}"}` });
    expect(back.status).toBe(400);
    expect(back.text).not.toContain("</textarea><script>");
  });
});

describe("account isolation", () => {
  it("account B's console never shows account A's users or decisions", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "only-in-a" }));
    const cb = new ConsoleClient();
    await cb.signIn(b.id, "root", ROOT_PW);
    expect((await cb.get("/console/users")).text).not.toContain("only-in-a");
    expect((await cb.get("/console/users/only-in-a")).text).toContain("NoSuchEntity");
    // A denial of account A, looked up from B's console: unknown.
    await userWithPassword(a, "denied-a", {
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "iam:*", Resource: "*" }] },
    });
    const ca = new ConsoleClient();
    await ca.signIn(a.id, "denied-a", USER_PW);
    const denied = await ca.get("/console/users");
    const id = /Decision <code>([^<]+)<\/code>/.exec(denied.text)![1]!;
    const fromB = await cb.get(`/console/why-denied?id=${encodeURIComponent(id)}`);
    expect(fromB.text).toContain(`No decision ${id} of account ${b.id}`);
    expect(fromB.text).not.toContain("denied-a");
    // A's root password does not open B (nor the other way round with the wrong account).
    const cross = new ConsoleClient();
    expect((await cross.signIn(b.id, "denied-a", USER_PW)).status).toBe(401);
  });
});

describe("sign-in throttling", () => {
  it("locks a user name after 5 failures: the right password is refused while locked", async () => {
    await userWithPassword(b, "guessme");
    const c = new ConsoleClient();
    for (let i = 0; i < 5; i++) expect((await c.signIn(b.id, "guessme", `Wrong-${i}-Passw0rd!`)).status).toBe(401);
    const locked = await c.signIn(b.id, "guessme", USER_PW);
    expect(locked.status).toBe(401);
    expect(locked.text).toContain("Too many failed sign-in attempts for this user.");
    // Another user of the account is not affected.
    await userWithPassword(b, "bystander");
    expect((await c.signIn(b.id, "bystander", USER_PW)).status).toBe(303);
  });
});

describe("MFA and the forced password change", () => {
  it("asks for the TOTP code, rotates the id after it, and carries aws:MultiFactorAuthPresent", async () => {
    await userWithPassword(a, "mfa-user", {
      policy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }],
      },
    });
    const dev = await a.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "mfa-user" }));
    const seed = new TextDecoder().decode(dev.VirtualMFADevice!.Base32StringSeed);
    const s = timeStep(Date.now());
    await a.iam.send(
      new EnableMFADeviceCommand({
        UserName: "mfa-user",
        SerialNumber: dev.VirtualMFADevice!.SerialNumber!,
        AuthenticationCode1: await hotp(seed, s - 2),
        AuthenticationCode2: await hotp(seed, s - 1),
      }),
    );
    const c = new ConsoleClient();
    const step1 = await c.signIn(a.id, "mfa-user", USER_PW);
    expect(step1.location).toBe("/console/mfa");
    const pending = c.cookies.get("iamlab-console")!;
    // Half-signed-in: no page yet.
    expect((await c.get("/console/users")).location).toBe("/console/mfa");
    const mfaPage = await c.get("/console/mfa");
    const wrong = await c.post("/console/mfa", { _csrf: ConsoleClient.csrfOf(mfaPage.text), code: await hotp(seed, s + 7) });
    expect(wrong.status).toBe(401);
    const ok = await c.post("/console/mfa", { _csrf: ConsoleClient.csrfOf(mfaPage.text), code: await hotp(seed, timeStep(Date.now())) });
    expect(ok.location).toBe("/console/home");
    expect(c.cookies.get("iamlab-console")).not.toBe(pending);
    const users = await c.get("/console/users");
    expect(users.text).toContain("mfa-user");
    expect(users.text).not.toContain(DENIED);
    // The pre-MFA id never became a session.
    const planted = new ConsoleClient();
    planted.cookies.set("iamlab-console", pending);
    expect((await planted.get("/console/home")).location).toBe("/console/signin");
  });

  it("forces a change when PasswordResetRequired, honouring the policy and PasswordReusePrevention", async () => {
    await a.iam.send(
      new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 12, PasswordReusePrevention: 3, AllowUsersToChangePassword: true }),
    );
    await userWithPassword(a, "must-change", {
      reset: true,
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["iam:ChangePassword", "iam:GetUser"], Resource: "*" }] },
    });
    const c = new ConsoleClient();
    const res = await c.signIn(a.id, "must-change", USER_PW);
    expect(res.location).toBe("/console/change-password");
    expect((await c.get("/console/home")).location).toBe("/console/change-password");
    const csrf = ConsoleClient.csrfOf((await c.get("/console/change-password")).text);
    const reuse = await c.post("/console/change-password", { _csrf: csrf, old: USER_PW, new: USER_PW, confirm: USER_PW });
    expect(reuse.text).toContain("Password should not be one of your last 3 passwords");
    const short = await c.post("/console/change-password", { _csrf: csrf, old: USER_PW, new: "Short1!", confirm: "Short1!" });
    expect(short.text).toContain("Password should have a minimum length of 12");
    const done = await c.post("/console/change-password", {
      _csrf: csrf,
      old: USER_PW,
      new: "A-Much-Longer-Passw0rd",
      confirm: "A-Much-Longer-Passw0rd",
    });
    expect(done.location).toBe("/console/home");
    expect((await c.get("/console/home")).status).toBe(200);
    // The new password signs in without a forced change.
    expect((await new ConsoleClient().signIn(a.id, "must-change", "A-Much-Longer-Passw0rd")).location).toBe("/console/home");
  });
});

describe("policy editor and Switch Role", () => {
  it("validates as you type (errors and warnings) and creates the policy", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    const csrf = await c.csrf();
    const check = async (doc: string) => {
      const r = await fetch(`${c.base}/console/policies/validate`, {
        method: "POST",
        headers: { cookie: c.cookieHeader(), "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ document: doc }),
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { findings: { findingType: string; issueCode: string }[] }).findings;
    };
    expect(await check('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}')).toEqual([]);
    expect(
      (await check('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}')).map(
        (f) => f.issueCode,
      ),
    ).toEqual(["INVALID_ACTION"]);
    expect((await check('{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}')).map((f) => f.issueCode)).toEqual(
      expect.arrayContaining(["MALFORMED_POLICY_DOCUMENT", "MISSING_VERSION", "ALLOW_WITH_NOT_ACTION"]),
    );
    expect((await check("{")).map((f) => f.findingType)).toEqual(["ERROR"]);
    // Without the CSRF header: refused.
    const noCsrf = await fetch(`${c.base}/console/policies/validate`, {
      method: "POST",
      headers: { cookie: c.cookieHeader(), "content-type": "application/json" },
      body: "{}",
    });
    expect(noCsrf.status).toBe(403);
    const made = await c.post("/console/policies", { _csrf: csrf, name: "from-editor", document: JSON.stringify(ADMIN) });
    expect(made.status).toBe(303);
    expect((await c.get(made.location!)).text).toContain("from-editor");
  });

  it("switches into a role the user may assume (AssumeRole as the user), and back", async () => {
    await userWithPassword(a, "switcher", {
      policy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "iam:GetAccountSummary", "iam:ListAccountAliases"], Resource: "*" }],
      },
    });
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "console-admin",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${a.id}:user/switcher` }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const admin = await a.iam.send(new CreatePolicyCommand({ PolicyName: "console-admin", PolicyDocument: JSON.stringify(ADMIN) }));
    const { AttachRolePolicyCommand } = await import("@aws-sdk/client-iam");
    await a.iam.send(new AttachRolePolicyCommand({ RoleName: "console-admin", PolicyArn: admin.Policy!.Arn! }));
    const c = new ConsoleClient();
    await c.signIn(a.id, "switcher", USER_PW);
    expect((await c.get("/console/users")).text).toContain(DENIED);
    const csrf = await c.csrf();
    const denied = await c.post("/console/switch-role", { _csrf: csrf, account: a.id, role: "no-such-role", display: "x" });
    expect(denied.status).toBe(403);
    const sw = await c.post("/console/switch-role", { _csrf: csrf, account: a.id, role: "console-admin", display: "Admin <b>" });
    expect(sw.location).toBe("/console/home");
    const home = await c.get("/console/home");
    expect(home.text).toContain(`arn:aws:sts::${a.id}:assumed-role/console-admin/switcher`);
    expect(home.text).toContain("Admin &lt;b&gt;");
    expect((await c.get("/console/users")).text).toContain("switcher");
    await c.post("/console/switch-back", { _csrf: csrf });
    expect((await c.get("/console/home")).text).toContain(`arn:aws:iam::${a.id}:user/switcher`);
  });

  it("a user's access keys still work beside the console (nothing else changed)", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "keys-only" }));
    await a.iam.send(new AttachUserPolicyCommand({ UserName: "keys-only", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }));
    const k = await a.iam.send(new CreateAccessKeyCommand({ UserName: "keys-only" }));
    expect(k.AccessKey!.AccessKeyId).toMatch(/^AKIA/);
  });
});

describe("routing", () => {
  it("/console redirects to sign-in; signed S3 path-style requests for a bucket named console still reach S3", async () => {
    const r = await fetch(`${url()}/console`, { redirect: "manual" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/console/signin");
    const s3 = new S3Client({ endpoint: url(), region: "us-east-1", forcePathStyle: true, credentials: a.creds, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: "console" }));
    await s3.send(new PutObjectCommand({ Bucket: "console", Key: "signin", Body: "an object" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "console", Key: "signin" }));
    expect(await got.Body!.transformToString()).toBe("an object");
  });
});

describe("more IAM pages", () => {
  it("attaches and detaches a managed policy, assigns a virtual MFA device from its QR page, and shows the credential report, Access Advisor and the simulator", async () => {
    await a.iam.send(new CreateUserCommand({ UserName: "pages-user" }));
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    const csrf = await c.csrf();
    const arn = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
    expect((await c.post("/console/users/pages-user/attach", { _csrf: csrf, arn })).location).toBe("/console/users/pages-user");
    const { ListAttachedUserPoliciesCommand, ListMFADevicesCommand } = await import("@aws-sdk/client-iam");
    const attached = async () =>
      (await a.iam.send(new ListAttachedUserPoliciesCommand({ UserName: "pages-user" }))).AttachedPolicies!.map((p) => p.PolicyArn);
    expect(await attached()).toEqual([arn]);
    expect((await c.get("/console/users/pages-user")).text).toContain("IAMReadOnlyAccess");
    await c.post("/console/users/pages-user/detach", { _csrf: csrf, arn });
    expect(await attached()).toEqual([]);
    // A policy that does not exist: IAM's error, nothing attached.
    const bad = await c.post("/console/users/pages-user/attach", { _csrf: csrf, arn: "arn:aws:iam::aws:policy/NoSuchPolicy" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("NoSuchEntity");

    const mfa = await c.post("/console/users/pages-user/mfa", { _csrf: csrf });
    expect(mfa.text).toContain('src="data:image/png;base64,iVBORw0KGgo');
    const serial = /data-testid="mfa-serial">([^<]+)</.exec(mfa.text)![1]!;
    const seed = /data-testid="mfa-seed">([^<]+)</.exec(mfa.text)![1]!;
    const s = timeStep(Date.now());
    const enabled = await c.post("/console/users/pages-user/mfa/enable", {
      _csrf: csrf,
      serial,
      code1: await hotp(seed, s - 2),
      code2: await hotp(seed, s - 1),
    });
    expect(enabled.location).toBe("/console/users/pages-user");
    expect((await a.iam.send(new ListMFADevicesCommand({ UserName: "pages-user" }))).MFADevices!.map((d) => d.SerialNumber)).toEqual([
      serial,
    ]);

    let report = await c.get("/console/credential-report");
    for (let i = 0; i < 20 && report.text.includes("being generated"); i++) {
      await new Promise((r) => setTimeout(r, 200));
      report = await c.get("/console/credential-report");
    }
    expect(report.text).toContain("password_enabled");
    expect(report.text).toContain("pages-user");

    const advisor = await c.get(`/console/access-advisor?arn=${encodeURIComponent(`arn:aws:iam::${a.id}:user/pages-user`)}`);
    expect(advisor.status).toBe(200);
    expect(advisor.text).toContain("Last accessed services of");

    const sim = await c.get(
      `/console/simulator?principal=${encodeURIComponent(`arn:aws:iam::${a.id}:user/pages-user`)}&actions=iam:ListUsers&resource=*`,
    );
    expect(sim.text).toContain("implicitDeny");
  });
});

describe("root password through the admin API", () => {
  it("is set at account creation or later, checked like AWS's root password, and removable", async () => {
    const weak = await adminFetch("/accounts", { method: "POST", body: JSON.stringify({ rootPassword: "short" }) });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { error: string }).error).toBe("InvalidRootPassword");
    const made = await adminFetch("/accounts", { method: "POST", body: JSON.stringify({ rootPassword: ROOT_PW }) });
    expect(made.status).toBe(201);
    const id = ((await made.json()) as { accountId: string }).accountId;
    expect((await new ConsoleClient().signIn(id, "root", ROOT_PW)).location).toBe("/console/home");
    // The password is never echoed, and removing it closes root sign-in.
    const row = await (await adminFetch(`/accounts/${id}`)).text();
    expect(row).not.toMatch(/pbkdf2|password/i);
    expect((await adminFetch(`/accounts/${id}/root-password`, { method: "PUT", body: JSON.stringify({ password: null }) })).status).toBe(
      200,
    );
    expect((await new ConsoleClient().signIn(id, "root", ROOT_PW)).status).toBe(401);
    expect(
      (await adminFetch("/accounts/000000000000/root-password", { method: "PUT", body: JSON.stringify({ password: ROOT_PW }) })).status,
    ).toBe(404);
  });
});

describe("session expiry", () => {
  it("ends a console session after 12 hours (the sandbox clock moves)", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    expect((await c.get("/console/home")).status).toBe(200);
    try {
      await setClock(11 * 3600 * 1000);
      expect((await c.get("/console/home")).status).toBe(200);
      await setClock(12 * 3600 * 1000 + 60_000);
      expect((await c.get("/console/home")).location).toBe("/console/signin");
    } finally {
      await setClock(0);
    }
  });
});
