/**
 * Issue 18's first lab, with the real SDK and CLI: an organization whose management account creates a
 * member account (a sandbox account with OrganizationAccountAccessRole), moves it into an OU and
 * attaches a deny-region SCP; the member's IAM user and root user are held by it, the management
 * account is not; a bucket policy with aws:PrincipalOrgID admits the org's members only; AWS's errors
 * for bad input.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DeleteOrganizationalUnitCommand,
  DeleteOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListAccountsCommand,
  ListChildrenCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  LeaveOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  RemoveAccountFromOrganizationCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  ListBucketsCommand,
} from "@aws-sdk/client-s3";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand, GetRoleCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { adminFetch, iam, sts, url, type Creds } from "../helpers/sandbox";
import { withAccount, keyCreds, type AccountFixture } from "../helpers/fixtures";
import { expectAwsError } from "../helpers/aws-errors";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";

const orgs = (creds: Creds) => new OrganizationsClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
const s3 = (creds: Creds, region = "us-east-1") =>
  new S3Client({ endpoint: url(), region, credentials: creds, maxAttempts: 1, forcePathStyle: true });
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const SCP = "SERVICE_CONTROL_POLICY";

/** An IAM user with AdministratorAccess in the account `root` signs for, and its key. */
async function adminUser(root: Creds, name: string): Promise<Creds> {
  const c = iam(root);
  await c.send(new CreateUserCommand({ UserName: name }));
  await c.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
  const k = await c.send(new CreateAccessKeyCommand({ UserName: name }));
  return keyCreds(k.AccessKey!);
}

let mgmt: AccountFixture;
let org: OrganizationsClient;
let orgId: string;
let rootId: string;
let member: string;
let memberRoot: Creds;
let memberUser: Creds;
let ouId: string;

beforeAll(async () => {
  mgmt = await withAccount();
  org = orgs(mgmt.creds);
});

describe("an organization of sandbox accounts", () => {
  it("a lone account is in no organization; CreateOrganization makes it the management account", async () => {
    await expectAwsError(org.send(new DescribeOrganizationCommand({})), "AWSOrganizationsNotInUseException", 400);
    const created = await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    orgId = created.Organization!.Id!;
    expect(orgId).toMatch(/^o-[a-z0-9]{10}$/);
    expect(created.Organization).toMatchObject({
      Arn: `arn:aws:organizations::${mgmt.id}:organization/${orgId}`,
      FeatureSet: "ALL",
      MasterAccountId: mgmt.id,
      MasterAccountArn: `arn:aws:organizations::${mgmt.id}:account/${orgId}/${mgmt.id}`,
    });
    await expectAwsError(org.send(new CreateOrganizationCommand({})), "AlreadyInOrganizationException", 400);
    const roots = await org.send(new ListRootsCommand({}));
    rootId = roots.Roots![0]!.Id!;
    expect(rootId).toMatch(/^r-[a-z0-9]{4}$/);
    expect(roots.Roots![0]!.Arn).toBe(`arn:aws:organizations::${mgmt.id}:root/${orgId}/${rootId}`);
  });

  it("CreateAccount: IN_PROGRESS, then SUCCEEDED; a sandbox account with OrganizationAccountAccessRole", async () => {
    const started = await org.send(new CreateAccountCommand({ Email: "dev@example.com", AccountName: "dev" }));
    expect(started.CreateAccountStatus).toMatchObject({ State: "IN_PROGRESS", AccountName: "dev" });
    expect(started.CreateAccountStatus!.Id).toMatch(/^car-[a-z0-9]{8,32}$/);
    const done = await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id! }));
    expect(done.CreateAccountStatus!.State).toBe("SUCCEEDED");
    member = done.CreateAccountStatus!.AccountId!;
    expect(member).toMatch(/^\d{12}$/);
    const accounts = await org.send(new ListAccountsCommand({}));
    expect(accounts.Accounts!.map((a) => a.Id).sort()).toEqual([mgmt.id, member].sort());
    expect(accounts.Accounts!.find((a) => a.Id === member)).toMatchObject({
      Name: "dev",
      Email: "dev@example.com",
      Status: "ACTIVE",
      JoinedMethod: "CREATED",
    });

    // The lab author's way in: a root key from the admin API.
    const res = await adminFetch(`/accounts/${member}/root-access-key`, { method: "POST" });
    expect(res.status).toBe(201);
    const k = (await res.json()) as { rootAccessKeyId: string; rootSecretAccessKey: string };
    memberRoot = { accessKeyId: k.rootAccessKeyId, secretAccessKey: k.rootSecretAccessKey };
    const role = await iam(memberRoot).send(new GetRoleCommand({ RoleName: "OrganizationAccountAccessRole" }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain(`arn:aws:iam::${mgmt.id}:root`);

    // The management account's administrator assumes it, as AWS's guide shows.
    const admin = await adminUser(mgmt.creds, "org-admin");
    const assumed = await sts(admin).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`, RoleSessionName: "lab" }),
    );
    expect(assumed.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${member}:assumed-role/OrganizationAccountAccessRole/lab`);
    memberUser = await adminUser(memberRoot, "dev-admin");
  });

  it("a member may not run the management account's calls", async () => {
    await expectAwsError(orgs(memberRoot).send(new ListAccountsCommand({})), "AccessDeniedException", 400);
    const described = await orgs(memberUser).send(new DescribeOrganizationCommand({}));
    expect(described.Organization!.Id).toBe(orgId);
  });

  it("an OU, the account moved into it, ListParents / ListChildren", async () => {
    const ou = await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Workloads" }));
    ouId = ou.OrganizationalUnit!.Id!;
    expect(ouId).toMatch(new RegExp(`^ou-${rootId.slice(2)}-[a-z0-9]{8}$`));
    await org.send(new MoveAccountCommand({ AccountId: member, SourceParentId: rootId, DestinationParentId: ouId }));
    await expectAwsError(
      org.send(new MoveAccountCommand({ AccountId: member, SourceParentId: rootId, DestinationParentId: ouId })),
      "DuplicateAccountException",
      400,
    );
    const parents = await org.send(new ListParentsCommand({ ChildId: member }));
    expect(parents.Parents).toEqual([{ Id: ouId, Type: "ORGANIZATIONAL_UNIT" }]);
    const children = await org.send(new ListChildrenCommand({ ParentId: ouId, ChildType: "ACCOUNT" }));
    expect(children.Children).toEqual([{ Id: member, Type: "ACCOUNT" }]);
    await expectAwsError(
      org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ouId })),
      "OrganizationalUnitNotEmptyException",
      400,
    );
    await expectAwsError(org.send(new DeleteOrganizationCommand({})), "OrganizationNotEmptyException", 400);
  });

  it("a bucket policy with aws:PrincipalOrgID admits the organization's accounts, not outsiders", async () => {
    const bucket = `org-shared-${mgmt.id}`;
    await s3(mgmt.creds).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(mgmt.creds).send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "org only" }));
    await s3(mgmt.creds).send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: doc({
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/*`,
          Condition: { StringEquals: { "aws:PrincipalOrgID": orgId } },
        }),
      }),
    );
    const got = await s3(memberUser).send(new GetObjectCommand({ Bucket: bucket, Key: "k" }));
    expect(await got.Body!.transformToString()).toBe("org only");
    const outsider = await withAccount();
    await expectAwsError(s3(outsider.creds).send(new GetObjectCommand({ Bucket: bucket, Key: "k" })), "AccessDenied", 403);
  });

  it("SCPs: PolicyTypeNotEnabled until enabled, then FullAWSAccess everywhere; a policy with Principal is refused", async () => {
    const denyRegions = await org.send(
      new CreatePolicyCommand({
        Name: "DenyOutsideEU",
        Description: "Deny every region but eu-west-1",
        Type: SCP,
        Content: doc({
          Sid: "DenyAllOutsideEU",
          Effect: "Deny",
          NotAction: ["iam:*", "organizations:*", "sts:*", "support:*", "route53:*", "cloudfront:*"],
          Resource: "*",
          Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1"] } },
        }),
      }),
    );
    const id = denyRegions.Policy!.PolicySummary!.Id!;
    expect(id).toMatch(/^p-[a-z0-9]{8}$/);
    await expectAwsError(org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ouId })), "PolicyTypeNotEnabledException", 400);
    const enabled = await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP }));
    expect(enabled.Root!.PolicyTypes).toEqual([{ Type: SCP, Status: "ENABLED" }]);
    for (const target of [rootId, ouId, member]) {
      const attached = await org.send(new ListPoliciesForTargetCommand({ TargetId: target, Filter: SCP }));
      expect(attached.Policies!.map((p) => p.Id)).toEqual(["p-FullAWSAccess"]);
    }
    const full = await org.send(new DescribePolicyCommand({ PolicyId: "p-FullAWSAccess" }));
    expect(full.Policy!.PolicySummary).toMatchObject({
      AwsManaged: true,
      Arn: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
    });
    await expectAwsError(
      org.send(
        new CreatePolicyCommand({
          Name: "WithPrincipal",
          Description: "x",
          Type: SCP,
          Content: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }),
        }),
      ),
      "MalformedPolicyDocumentException",
      400,
    );
    await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ouId }));
    await expectAwsError(org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ouId })), "DuplicatePolicyAttachmentException", 400);
  });

  it("the deny-region SCP holds the member's IAM user outside eu-west-1; the management account is unaffected", async () => {
    const denied = await expectAwsError(s3(memberUser, "us-east-1").send(new ListBucketsCommand({})), "AccessDenied", 403);
    // AWS's form, naming the SCP (the engine's messages, src/policy/messages.ts).
    expect(denied.message).toMatch(
      new RegExp(
        `^User: arn:aws:iam::${member}:user/dev-admin is not authorized to perform: s3:ListAllMyBuckets on resource: \\* with an explicit deny in a service control policy: arn:aws:organizations::${mgmt.id}:policy/${orgId}/service_control_policy/p-[a-z0-9]{8}$`,
      ),
    );
    await s3(memberUser, "eu-west-1").send(new ListBucketsCommand({}));
    // Global services the SCP exempts still answer.
    await iam(memberUser).send(new GetRoleCommand({ RoleName: "OrganizationAccountAccessRole" }));
    await s3(mgmt.creds, "us-east-1").send(new ListBucketsCommand({}));
  });

  it("an SCP denies the member's root user too", async () => {
    await s3(memberRoot, "eu-west-1").send(new ListBucketsCommand({}));
    const denyRoot = await org.send(
      new CreatePolicyCommand({
        Name: "DenyRootUser",
        Description: "No root user in member accounts",
        Type: SCP,
        Content: doc({
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringLike: { "aws:PrincipalArn": "arn:aws:iam::*:root" } },
        }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: denyRoot.Policy!.PolicySummary!.Id!, TargetId: member }));
    await expectAwsError(
      s3(memberRoot, "eu-west-1").send(new ListBucketsCommand({})),
      "AccessDenied",
      403,
      /explicit deny in a service control policy/,
    );
    await s3(memberUser, "eu-west-1").send(new ListBucketsCommand({}));
    // The management account's root user is never held by SCPs.
    await s3(mgmt.creds, "us-east-1").send(new ListBucketsCommand({}));
    await org.send(new DetachPolicyCommand({ PolicyId: denyRoot.Policy!.PolicySummary!.Id!, TargetId: member }));
    await s3(memberRoot, "eu-west-1").send(new ListBucketsCommand({}));
  });

  it("AWS's limits: at most 5 SCPs per target, at least 1", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await org.send(
        new CreatePolicyCommand({
          Name: `Extra${i}`,
          Description: "x",
          Type: SCP,
          Content: doc({ Effect: "Allow", Action: "*", Resource: "*" }),
        }),
      );
      ids.push(p.Policy!.PolicySummary!.Id!);
    }
    // The OU holds FullAWSAccess and DenyOutsideEU: three more make five, the sixth is refused.
    for (const id of ids.slice(0, 3)) await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ouId }));
    const e = await expectAwsError(
      org.send(new AttachPolicyCommand({ PolicyId: ids[3]!, TargetId: ouId })),
      "ConstraintViolationException",
      400,
    );
    expect((e as { Reason?: string }).Reason).toBe("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
    const last = await expectAwsError(
      org.send(new DetachPolicyCommand({ PolicyId: "p-FullAWSAccess", TargetId: rootId })),
      "ConstraintViolationException",
      400,
    );
    expect((last as { Reason?: string }).Reason).toBe("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
    await expectAwsError(org.send(new DetachPolicyCommand({ PolicyId: ids[3]!, TargetId: ouId })), "PolicyNotAttachedException", 400);
  });

  it.skipIf(!hasAwsCli)("the AWS CLI reads the organization", async () => {
    const d = await awsCli<{ Organization: { Id: string } }>(mgmt.creds, "organizations", "describe-organization");
    expect(d.Organization.Id).toBe(orgId);
    const p = await awsCli<{ Parents: { Id: string }[] }>(mgmt.creds, "organizations", "list-parents", "--child-id", member);
    expect(p.Parents[0]!.Id).toBe(ouId);
  });
  it("an SCP denies leaving the organization; removed, the account is free of SCPs; then the organization goes", async () => {
    const denyLeave = await org.send(
      new CreatePolicyCommand({
        Name: "DenyLeave",
        Description: "Members stay",
        Type: SCP,
        Content: doc({ Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: denyLeave.Policy!.PolicySummary!.Id!, TargetId: rootId }));
    await expectAwsError(
      orgs(memberUser).send(new LeaveOrganizationCommand({})),
      "AccessDeniedException",
      403, // the pipeline's status for every policy denial of a JSON service (AWS's for Organizations unconfirmed)
      /organizations:LeaveOrganization on resource: \* with an explicit deny in a service control policy/,
    );
    const mgmtLeaves = await expectAwsError(org.send(new LeaveOrganizationCommand({})), "ConstraintViolationException", 400);
    expect((mgmtLeaves as { Reason?: string }).Reason).toBe("ACCOUNT_CANNOT_LEAVE_ORGANIZATION");

    await org.send(new RemoveAccountFromOrganizationCommand({ AccountId: member }));
    await s3(memberUser, "us-east-1").send(new ListBucketsCommand({}));
    await expectAwsError(orgs(memberUser).send(new DescribeOrganizationCommand({})), "AWSOrganizationsNotInUseException", 400);
    expect((await org.send(new ListAccountsCommand({}))).Accounts!.map((a) => a.Id)).toEqual([mgmt.id]);
    await org.send(new MoveAccountCommand({ AccountId: mgmt.id, SourceParentId: rootId, DestinationParentId: ouId }));
    await org.send(new MoveAccountCommand({ AccountId: mgmt.id, SourceParentId: ouId, DestinationParentId: rootId }));
    await org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ouId }));
    await org.send(new DeleteOrganizationCommand({}));
    await expectAwsError(org.send(new DescribeOrganizationCommand({})), "AWSOrganizationsNotInUseException", 400);
  });
});

describe("deleting a management account through the admin API", () => {
  it("its members become standalone accounts (no membership of an organization that is gone)", async () => {
    const m = await withAccount();
    const o = orgs(m.creds);
    await o.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const started = await o.send(new CreateAccountCommand({ Email: "gone@example.com", AccountName: "gone" }));
    const done = await o.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id! }));
    const memberId = done.CreateAccountStatus!.AccountId!;
    const res = await adminFetch(`/accounts/${memberId}/root-access-key`, { method: "POST" });
    const k = (await res.json()) as { rootAccessKeyId: string; rootSecretAccessKey: string };
    const memberCreds = { accessKeyId: k.rootAccessKeyId, secretAccessKey: k.rootSecretAccessKey };
    expect((await orgs(memberCreds).send(new DescribeOrganizationCommand({}))).Organization!.MasterAccountId).toBe(m.id);
    expect((await adminFetch(`/accounts/${m.id}`, { method: "DELETE" })).status).toBe(200);
    await expectAwsError(orgs(memberCreds).send(new DescribeOrganizationCommand({})), "AWSOrganizationsNotInUseException", 400);
    // The member can start an organization of its own.
    await orgs(memberCreds).send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  });
});
