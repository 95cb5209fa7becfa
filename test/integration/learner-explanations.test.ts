/**
 * Why was I denied, for the learner (issue 25): the per-account opt-in that appends
 * "(iamlab decision <id>: <reason>)" to denial messages (AWS's words first, untouched), and
 * GET /_iamlab/my/decisions/<id> signed with the account's own credentials (another account's
 * decision answers as an unknown one).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { adminFetch, iam, rawSigned, signedGet, url, type Creds } from "../helpers/sandbox";
import { keyCreds, withAccount, type AccountFixture } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";

const setExplain = (id: string, on: boolean) =>
  adminFetch(`/accounts/${id}`, { method: "PATCH", body: JSON.stringify({ explainDenials: on }) });

let a: AccountFixture;
let bob: Creds;

beforeAll(async () => {
  a = await withAccount();
  await a.iam.send(new CreateUserCommand({ UserName: "bob" }));
  await a.iam.send(
    new PutUserPolicyCommand({
      UserName: "bob",
      PolicyName: "read-only",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:Get*", Resource: "*" }] }),
    }),
  );
  bob = keyCreds((await a.iam.send(new CreateAccessKeyCommand({ UserName: "bob" }))).AccessKey!);
});

const awsWords = (id: string) =>
  `User: arn:aws:iam::${id}:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${id}:user/eve because no identity-based policy allows the iam:CreateUser action`;

describe("explainDenials (admin API lab setting)", () => {
  it("is off by default: AWS's message alone", async () => {
    expect(((await (await adminFetch(`/accounts/${a.id}`)).json()) as { explainDenials: boolean }).explainDenials).toBe(false);
    await expectAwsError(iam(bob).send(new CreateUserCommand({ UserName: "eve" })), "AccessDenied", 403, awsWords(a.id));
  });

  it("appends the decision id and a one-line reason after AWS's message, for IAM and S3", async () => {
    const res = await setExplain(a.id, true);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accountId: a.id, explainDenials: true });
    const e = await expectAwsError(iam(bob).send(new CreateUserCommand({ UserName: "eve" })), "AccessDenied", 403);
    expect(e.message.startsWith(`${awsWords(a.id)} (iamlab decision `)).toBe(true);
    expect(e.message).toMatch(
      new RegExp(
        `\\(iamlab decision \\S+:\\S+: no statement of the caller's identity-based policies \\(inline policy read-only\\) allows iam:CreateUser on arn:aws:iam::${a.id}:user/eve\\)$`,
      ),
    );
    const s3 = new S3Client({ endpoint: url(), region: "us-east-1", credentials: bob, maxAttempts: 1, forcePathStyle: true });
    const denied = await expectAwsError(s3.send(new ListBucketsCommand({})), "AccessDenied", 403);
    expect(denied.message).toMatch(/\(iamlab decision \S+: .*s3:ListAllMyBuckets/);
  });

  it("off again: AWS's message alone", async () => {
    expect((await setExplain(a.id, false)).status).toBe(200);
    await expectAwsError(iam(bob).send(new CreateUserCommand({ UserName: "eve" })), "AccessDenied", 403, awsWords(a.id));
  });

  it("rejects bad settings and unknown accounts", async () => {
    expect((await adminFetch(`/accounts/${a.id}`, { method: "PATCH", body: '{"explainDenials":"yes"}' })).status).toBe(400);
    expect((await adminFetch(`/accounts/${a.id}`, { method: "PATCH", body: '{"explainDenials":true,"x":1}' })).status).toBe(400);
    expect((await setExplain("999999999991", true)).status).toBe(404);
  });
});

describe("GET /_iamlab/my/decisions/:id (SigV4, own account only)", () => {
  let decisionId: string;
  beforeAll(async () => {
    const res = await iam(bob)
      .send(new CreateUserCommand({ UserName: "mallory" }))
      .then(
        () => undefined,
        (e: { $response?: { headers?: Record<string, string> } }) => e.$response?.headers?.["x-iamlab-decision-id"],
      );
    decisionId = res!;
    expect(decisionId).toMatch(/\S+:\S+/);
  });

  it("answers the full explanation to any credentials of the account, without the admin token or an IAM permission", async () => {
    for (const creds of [bob, a.creds]) {
      const res = await signedGet(`/_iamlab/my/decisions/${decisionId}`, creds);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown> & { explanation: { policies: unknown[]; steps: string[] } };
      expect(body).toMatchObject({ decisionId, accountId: a.id, decision: "implicitDeny", reason: "noIdentityAllow" });
      expect(body.summary).toMatch(/allows iam:CreateUser on arn:aws:iam::\d{12}:user\/mallory$/);
      expect(body.explanation.policies.length).toBeGreaterThan(0);
      expect(body.explanation.steps.length).toBeGreaterThan(0);
    }
  });

  it("takes the id with its ':' as '/' (for curl 7.x's --aws-sigv4)", async () => {
    const res = await signedGet(`/_iamlab/my/decisions/${decisionId.replace(":", "/")}`, bob);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { decisionId: string }).decisionId).toBe(decisionId);
  });

  it("refuses another account's decision as it refuses an unknown one", async () => {
    const other = await withAccount();
    const res = await signedGet(`/_iamlab/my/decisions/${decisionId}`, other.creds);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe("NoSuchDecision");
    expect((await signedGet(`/_iamlab/my/decisions/nope:nope`, bob)).status).toBe(404);
  });

  it("needs a valid signature", async () => {
    const unsigned = await fetch(`${url()}/_iamlab/my/decisions/${decisionId}`);
    expect(unsigned.status).toBe(403);
    const forged = await signedGet(`/_iamlab/my/decisions/${decisionId}`, { ...bob, secretAccessKey: "wrong" });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: string }).error).toBe("SignatureDoesNotMatch");
  });
});

describe("an operation iamlab does not serve", () => {
  it("says so and how much of the service is served", async () => {
    // KMS ListKeys (no required input) while KMS has no actions; skipped once it is served.
    const { MODELS, findAction, ALL_ACTIONS } = await import("../../src/services/registry");
    const m = MODELS.kms;
    const op = "ListKeys";
    if (!m?.operations[op] || findAction("kms", op)) return;
    const r = await rawSigned(
      {},
      {
        service: m.metadata.signingName ?? m.metadata.service,
        creds: a.creds,
        headers: {
          "content-type": `application/x-amz-json-${m.metadata.jsonVersion ?? "1.0"}`,
          "x-amz-target": `${m.metadata.targetPrefix}.${op}`,
        },
        body: "{}",
      },
    );
    expect(r.status).toBe(400);
    const served = ALL_ACTIONS.filter((x) => x.service === m.metadata.service).length;
    expect(JSON.parse(r.text).message).toBe(
      `The operation ${op} is not available in iamlab, which serves ${served} ${m.metadata.service} operations (README: "What works").`,
    );
  });
});
