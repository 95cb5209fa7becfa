/**
 * Issue 18: organization changes under eventual consistency. An SCP attached to a lagging member
 * (mode `fixed`, a long delay) holds its principals only once the member's delay has passed (here:
 * once the lab flushes the pending changes), while Organizations' own reads show the attachment at
 * once; an RCP on a lagging member's bucket likewise reaches other accounts' requests after the
 * member's delay. The management account's mode plays no part.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DescribeCreateAccountStatusCommand,
  EnablePolicyTypeCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  OrganizationsClient,
  UpdatePolicyCommand,
} from "@aws-sdk/client-organizations";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  ListBucketsCommand,
} from "@aws-sdk/client-s3";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { adminFetch, iam, url, type Creds } from "../helpers/sandbox";
import { withAccount, keyCreds, type AccountFixture } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";

const orgs = (creds: Creds) => new OrganizationsClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
const s3 = (creds: Creds) =>
  new S3Client({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1, forcePathStyle: true });
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

async function adminUser(root: Creds, name: string): Promise<Creds> {
  const c = iam(root);
  await c.send(new CreateUserCommand({ UserName: name }));
  await c.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
  return keyCreds((await c.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
}

async function admin(path: string, method: string, body?: object): Promise<Record<string, unknown>> {
  const res = await adminFetch(path, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

let mgmt: AccountFixture;
let outsider: AccountFixture;
let org: OrganizationsClient;
let orgId: string;
let rootId: string;
let member: string;
let memberUser: Creds;
const bucket = () => `ec-org-${member}`;

beforeAll(async () => {
  [mgmt, outsider] = await Promise.all([withAccount(), withAccount()]);
  org = orgs(mgmt.creds);
  orgId = (await org.send(new CreateOrganizationCommand({}))).Organization!.Id!;
  rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: "SERVICE_CONTROL_POLICY" }));
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: "RESOURCE_CONTROL_POLICY" }));
  const started = await org.send(new CreateAccountCommand({ Email: "lag@example.com", AccountName: "lagging" }));
  member = (await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id! })))
    .CreateAccountStatus!.AccountId!;
  const k = (await (await adminFetch(`/accounts/${member}/root-access-key`, { method: "POST" })).json()) as {
    rootAccessKeyId: string;
    rootSecretAccessKey: string;
  };
  const memberRoot = { accessKeyId: k.rootAccessKeyId, secretAccessKey: k.rootSecretAccessKey };
  memberUser = await adminUser(memberRoot, "lag-admin");
  await s3(memberRoot).send(new CreateBucketCommand({ Bucket: bucket() }));
  await s3(memberRoot).send(new PutObjectCommand({ Bucket: bucket(), Key: "k", Body: "v" }));
  await s3(memberRoot).send(
    new PutBucketPolicyCommand({
      Bucket: bucket(),
      Policy: doc({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${outsider.id}:root` },
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${bucket()}/*`,
      }),
    }),
  );
  // From here on the member lags by ten minutes; the management account does not.
  await admin(`/accounts/${member}/consistency`, "PUT", { mode: "fixed", delayMs: 600_000 });
});

describe("organization changes under eventual consistency", () => {
  it("an SCP attached to a lagging member holds its principals after the member's delay; Organizations shows it at once", async () => {
    await s3(memberUser).send(new ListBucketsCommand({}));
    const p = await org.send(
      new CreatePolicyCommand({
        Name: "NoListing",
        Description: "x",
        Type: "SERVICE_CONTROL_POLICY",
        Content: doc({ Effect: "Deny", Action: "s3:ListAllMyBuckets", Resource: "*" }),
      }),
    );
    const id = p.Policy!.PolicySummary!.Id!;
    await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member }));
    const attached = await org.send(new ListPoliciesForTargetCommand({ TargetId: member, Filter: "SERVICE_CONTROL_POLICY" }));
    expect(attached.Policies!.map((x) => x.Id)).toContain(id);
    // Not yet: the change is pending in the member's log.
    await s3(memberUser).send(new ListBucketsCommand({}));
    const pending = await admin(`/accounts/${member}/consistency`, "GET");
    expect((pending.pendingChanges as unknown[]).length).toBeGreaterThan(0);
    await admin(`/accounts/${member}/consistency/flush`, "POST");
    await expectAwsError(s3(memberUser).send(new ListBucketsCommand({})), "AccessDenied", 403, /explicit deny in a service control policy/);

    // UpdatePolicy too: the new content reaches the member after its delay.
    await org.send(new UpdatePolicyCommand({ PolicyId: id, Content: doc({ Effect: "Deny", Action: "s3:DeleteBucket", Resource: "*" }) }));
    await expectAwsError(s3(memberUser).send(new ListBucketsCommand({})), "AccessDenied", 403);
    await admin(`/accounts/${member}/consistency/flush`, "POST");
    await s3(memberUser).send(new ListBucketsCommand({}));
  });

  it("an RCP on a lagging member's bucket reaches another account's requests after the member's delay", async () => {
    const read = () => s3(outsider.creds).send(new GetObjectCommand({ Bucket: bucket(), Key: "k" }));
    await read();
    const p = await org.send(
      new CreatePolicyCommand({
        Name: "Perimeter",
        Description: "x",
        Type: "RESOURCE_CONTROL_POLICY",
        Content: doc({
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "*",
          Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": orgId }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } },
        }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: p.Policy!.PolicySummary!.Id!, TargetId: member }));
    await read();
    await admin(`/accounts/${member}/consistency/flush`, "POST");
    await expectAwsError(read(), "AccessDenied", 403);
  });
});
