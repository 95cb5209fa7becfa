/**
 * Shared-sandbox safety (issue 23) end to end: a cross-account AssumeRole denial tells the caller
 * which side refused and nothing of the other account's trust policy (not its Sids, not its
 * sts:ExternalId); an account id deleted and created again revives none of the old account's
 * sessions nor its eventual-consistency state.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AssumeRoleCommand,
  DecodeAuthorizationMessageCommand,
  GetCallerIdentityCommand,
  GetFederationTokenCommand,
  GetSessionTokenCommand,
  STSServiceException,
} from "@aws-sdk/client-sts";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, rawSigned, sts, xmlValue, type Creds, type NewAccount } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";

const EXTERNAL_ID = "ext-Sup3rSecret-4711";
const allow = (action: string | string[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "BobsOwnGrant", Effect: "Allow", Action: action, Resource: "*" }] });

async function userWithKey(root: Creds, name: string, policy: string): Promise<Creds> {
  const c = iam(root);
  await c.send(new CreateUserCommand({ UserName: name }));
  await c.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: policy }));
  const k = (await c.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return keyCreds(k);
}

describe("a cross-account AssumeRole denial", () => {
  let A: NewAccount;
  let B: NewAccount;
  let bob: Creds;
  let roleArn: string;
  beforeAll(async () => {
    const a = await withAccount();
    const b = await withAccount();
    [A, B] = [a.account, b.account];
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PartnerTrustSid",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${B.accountId}:root` },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "sts:ExternalId": EXTERNAL_ID } },
        },
      ],
    });
    roleArn = (await a.iam.send(new CreateRoleCommand({ RoleName: "partner-access", AssumeRolePolicyDocument: trust }))).Role!.Arn!;
    bob = await userWithKey(b.creds, "bob", allow(["sts:AssumeRole", "sts:DecodeAuthorizationMessage"]));
  });

  it("says which side refused; neither the response nor the decoded message shows A's trust policy", async () => {
    const r = await rawSigned({ Action: "AssumeRole", Version: "2011-06-15", RoleArn: roleArn, RoleSessionName: "s1" }, { creds: bob });
    expect(r.status).toBe(403);
    expect(xmlValue(r.text, "Code")).toBe("AccessDenied");
    expect(xmlValue(r.text, "Message")).toMatch(
      new RegExp(`^User: arn:aws:iam::${B.accountId}:user/bob is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`),
    );
    const id = r.headers.get("x-iamlab-decision-id");
    expect(id).toBeTruthy();
    const everything = r.text + JSON.stringify([...r.headers]);
    for (const secret of [EXTERNAL_ID, "PartnerTrustSid"]) expect(everything).not.toContain(secret);

    const out = await sts(bob).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: id! }));
    const text = out.DecodedMessage!;
    expect(text).not.toContain(EXTERNAL_ID);
    expect(text).not.toContain("PartnerTrustSid");
    const doc = JSON.parse(text) as {
      allowed: boolean;
      matchedStatements: { items: { statementId: string }[] };
      iamlab: { reason: string; explanation: { note?: string; policies: { type: string; withheld?: string; statements?: unknown[] }[] } };
    };
    expect(doc.allowed).toBe(false);
    expect(doc.iamlab.reason).toBe("noResourceAllow");
    expect(doc.iamlab.explanation.note).toBe(
      `The trust policy of account ${A.accountId} does not allow this request; its content belongs to that account and is not shown.`,
    );
    const trustView = doc.iamlab.explanation.policies.find((p) => p.type === "resource")!;
    expect(trustView.withheld).toMatch(/belongs to account/);
    expect(trustView.statements).toBeUndefined();
    // B's own identity policy is explained in full.
    expect(doc.matchedStatements.items.map((s) => s.statementId)).toContain("BobsOwnGrant");

    // The lab author (admin token) sees everything.
    const full = await (await adminFetch(`/decisions/${encodeURIComponent(id!)}`)).text();
    expect(full).toContain(EXTERNAL_ID);
    expect(full).toContain("PartnerTrustSid");

    // Account A cannot decode B's decision id at all.
    const e = await expectAwsError(
      sts(accountCreds(A)).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: id! })),
      "InvalidAuthorizationMessageException",
      400,
    );
    expect(e).toBeInstanceOf(STSServiceException);
  });

  it("with the right ExternalId (learned elsewhere) the role can be assumed: the check is the trust policy's", async () => {
    const out = await sts(bob).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "s1", ExternalId: EXTERNAL_ID }));
    expect(out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${A.accountId}:assumed-role/partner-access/s1`);
  });
});

describe("an account id deleted and created again", () => {
  it("revives none of the old sessions (GetSessionToken, GetFederationToken, AssumeRole) nor the old consistency state", async () => {
    const id = `9${String(Date.now()).slice(-11)}`;
    const old = await createAccount({ accountId: id });
    const root = accountCreds(old);
    const roleArn = (
      await iam(root).send(
        new CreateRoleCommand({
          RoleName: "admin",
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${id}:root` }, Action: "sts:AssumeRole" }],
          }),
        }),
      )
    ).Role!.Arn!;
    await iam(root).send(
      new PutRolePolicyCommand({
        RoleName: "admin",
        PolicyName: "all",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      }),
    );
    const alice = await userWithKey(root, "alice", allow("*"));
    const creds = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Creds => ({
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken!,
    });
    const sessions = {
      sessionToken: creds((await sts(root).send(new GetSessionTokenCommand({}))).Credentials),
      federation: creds((await sts(alice).send(new GetFederationTokenCommand({ Name: "fed", Policy: allow("*") }))).Credentials),
      role: creds((await sts(alice).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "backdoor" }))).Credentials),
    };
    for (const c of Object.values(sessions)) await sts(c).send(new GetCallerIdentityCommand({}));
    await iam(sessions.role).send(new ListUsersCommand({}));
    // Eventual-consistency state that must not be inherited either.
    expect(
      (await adminFetch(`/accounts/${id}/consistency`, { method: "PUT", body: JSON.stringify({ mode: "fixed", delayMs: 3_600_000 }) }))
        .status,
    ).toBe(200);
    expect((await adminFetch(`/accounts/${id}/consistency/pause`, { method: "POST", body: JSON.stringify({ paused: true }) })).status).toBe(
      200,
    );

    expect((await adminFetch(`/accounts/${id}`, { method: "DELETE" })).status).toBe(200);
    const again = await createAccount({ accountId: id });
    expect(again.rootAccessKeyId).not.toBe(old.rootAccessKeyId);

    for (const c of Object.values(sessions))
      await expectAwsError(
        sts(c).send(new GetCallerIdentityCommand({})),
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
      );
    // The backdoor: the old role session creating a key in the new account.
    await expectAwsError(iam(sessions.role).send(new CreateAccessKeyCommand({})), "InvalidClientTokenId", 403);
    await expectAwsError(iam(alice).send(new ListUsersCommand({})), "InvalidClientTokenId", 403);

    const cfg = (await (await adminFetch(`/accounts/${id}/consistency`)).json()) as {
      mode: string;
      paused: boolean;
      pendingChanges: unknown[];
    };
    expect(cfg).toMatchObject({ mode: "off", paused: false, pendingChanges: [] });
    // The new account works as a fresh one.
    expect((await sts(accountCreds(again)).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${id}:root`);
    const users = await iam(accountCreds(again)).send(new ListUsersCommand({}));
    expect(users.Users ?? []).toEqual([]);
  });
});
