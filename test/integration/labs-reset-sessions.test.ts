/**
 * A lab reset revokes the sessions the learner's account issued before it (issue 21, src/labs/revoke.ts):
 * a user's GetSessionToken session and a role session fail afterwards with InvalidClientTokenId, while the
 * template's permanent key keeps working and new sessions are issued as before.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { adminFetch, sts, type Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const template = {
  users: [
    {
      name: "dev",
      accessKeys: 1,
      inlinePolicies: {
        Assume: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] },
      },
    },
  ],
  roles: [
    {
      name: "Ops",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::${account}:root" }, Action: "sts:AssumeRole" }],
      },
    },
  ],
};

interface Learner {
  accountId: string;
  users: Record<string, { accessKeys?: { accessKeyId: string; secretAccessKey: string }[] }>;
}

let learner: Learner;
let key: Creds;

const sessionCreds = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Creds => ({
  accessKeyId: c!.AccessKeyId!,
  secretAccessKey: c!.SecretAccessKey!,
  sessionToken: c!.SessionToken!,
});

beforeAll(async () => {
  const res = await adminFetch("/labs", { method: "POST", body: JSON.stringify({ template, learners: 1, namePrefix: "revoke" }) });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  learner = (JSON.parse(text) as { learners: Learner[] }).learners[0]!;
  const k = learner.users.dev!.accessKeys![0]!;
  key = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
}, 60_000);

describe("POST /_iamlab/accounts/:id/lab/reset revokes earlier sessions", () => {
  it("old STS sessions fail with InvalidClientTokenId; the template's key and new sessions work", async () => {
    const userSession = sessionCreds((await sts(key).send(new GetSessionTokenCommand({}))).Credentials);
    const roleArn = `arn:aws:iam::${learner.accountId}:role/Ops`;
    const roleSession = sessionCreds(
      (await sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "before" }))).Credentials,
    );
    // Both work before the reset (and are now cached in the isolate that serves them).
    expect((await sts(userSession).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${learner.accountId}:user/dev`);
    expect((await sts(roleSession).send(new GetCallerIdentityCommand({}))).Arn).toContain(":assumed-role/Ops/before");

    const res = await adminFetch(`/accounts/${learner.accountId}/lab/reset`, { method: "POST", body: "{}" });
    const body = (await res.json()) as { sessionsRevoked?: boolean };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.sessionsRevoked).toBe(true);

    const invalid = "The security token included in the request is invalid.";
    await expectAwsError(sts(userSession).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403, invalid);
    await expectAwsError(sts(roleSession).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403, invalid);

    // The template's permanent key survives the reset; sessions issued after it work.
    expect((await sts(key).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${learner.accountId}:user/dev`);
    const fresh = sessionCreds((await sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "after" }))).Credentials);
    expect((await sts(fresh).send(new GetCallerIdentityCommand({}))).Arn).toContain(":assumed-role/Ops/after");
  });

  it("a reset that fails validation revokes nothing", async () => {
    const s = sessionCreds((await sts(key).send(new GetSessionTokenCommand({}))).Credentials);
    const res = await adminFetch(`/accounts/${learner.accountId}/lab/reset`, { method: "POST", body: JSON.stringify({ to: "snapshot" }) });
    expect(res.status).toBe(404);
    expect((await sts(s).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${learner.accountId}:user/dev`);
  });
});

describe("a reset gives back the console password the lab printed", () => {
  it("a password the learner changed works no more; after the reset the printed one does again", async () => {
    const { url } = await import("../helpers/sandbox");
    const { IAMClient, UpdateLoginProfileCommand } = await import("@aws-sdk/client-iam");
    const made = await adminFetch("/labs", {
      method: "POST",
      body: JSON.stringify({ template: { users: [{ name: "pw-user", password: true }] }, learners: 1 }),
    });
    expect(made.status).toBe(201);
    const l = (
      (await made.json()) as {
        learners: {
          accountId: string;
          rootAccessKeyId: string;
          rootSecretAccessKey: string;
          users: Record<string, { password?: string }>;
        }[];
      }
    ).learners[0]!;
    const printed = l.users["pw-user"]!.password!;
    const signIn = async (password: string) => {
      const page = await fetch(`${url()}/console/signin`);
      const cookie = (page.headers as unknown as { getSetCookie(): string[] }).getSetCookie()[0]!.split(";")[0]!;
      const csrf = /name="_csrf" value="([^"]*)"/.exec(await page.text())![1]!;
      const res = await fetch(`${url()}/console/signin`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, account: l.accountId, username: "pw-user", password }).toString(),
      });
      return res.status;
    };
    expect(await signIn(printed)).toBe(303);
    const root = new IAMClient({
      endpoint: url(),
      region: "us-east-1",
      credentials: { accessKeyId: l.rootAccessKeyId, secretAccessKey: l.rootSecretAccessKey },
      maxAttempts: 1,
    });
    await root.send(new UpdateLoginProfileCommand({ UserName: "pw-user", Password: "Learner-Changed-1!" }));
    expect(await signIn(printed)).toBe(401);
    expect((await adminFetch(`/accounts/${l.accountId}/lab/reset`, { method: "POST", body: "{}" })).status).toBe(200);
    expect(await signIn(printed)).toBe(303);
    expect(await signIn("Learner-Changed-1!")).toBe(401);
  });
});
