/**
 * Issue 18, second slice, as labs with the real SDK and CLI: resource control policies keep a member's
 * bucket (and role) from principals outside the organization even where the bucket policy (trust
 * policy) lets them in; the org keys of the resource (aws:ResourceOrgID); an UpdatePolicy that flips a
 * decision; DisablePolicyType; ListTargetsForPolicy; tags; an invitation accepted by an existing
 * sandbox account, whose principals the organization's SCPs then hold; per-resource authorization.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AcceptHandshakeCommand,
  AttachPolicyCommand,
  CancelHandshakeCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DeclineHandshakeCommand,
  DescribeCreateAccountStatusCommand,
  DescribeHandshakeCommand,
  DescribeOrganizationCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  DisablePolicyTypeCommand,
  EnablePolicyTypeCommand,
  InviteAccountToOrganizationCommand,
  ListAccountsCommand,
  ListHandshakesForAccountCommand,
  ListHandshakesForOrganizationCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateOrganizationalUnitCommand,
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
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
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
const RCP = "RESOURCE_CONTROL_POLICY";
const reason = (e: unknown) => (e as { Reason?: string }).Reason;

/** An IAM user with AdministratorAccess in the account `root` signs for, and its key. */
async function adminUser(root: Creds, name: string): Promise<Creds> {
  const c = iam(root);
  await c.send(new CreateUserCommand({ UserName: name }));
  await c.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
  return keyCreds((await c.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
}

/** AWS's data-perimeter example RCP: only the organization's principals (and AWS services) reach its resources. */
const perimeter = (orgId: string, actions: string[]) =>
  doc({
    Sid: "EnforceOrgIdentities",
    Effect: "Deny",
    Principal: "*",
    Action: actions,
    Resource: "*",
    Condition: {
      StringNotEqualsIfExists: { "aws:PrincipalOrgID": orgId },
      BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
    },
  });

let mgmt: AccountFixture;
let outsider: AccountFixture;
let org: OrganizationsClient;
let orgId: string;
let rootId: string;
let member: string;
let memberRoot: Creds;
let memberUser: Creds;
let mgmtUser: Creds;
let rcpId: string;
const bucket = () => `rcp-lab-${member}`;

beforeAll(async () => {
  [mgmt, outsider] = await Promise.all([withAccount(), withAccount()]);
  org = orgs(mgmt.creds);
  orgId = (await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }))).Organization!.Id!;
  rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const started = await org.send(new CreateAccountCommand({ Email: "data@example.com", AccountName: "data" }));
  const done = await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id! }));
  member = done.CreateAccountStatus!.AccountId!;
  const k = (await (await adminFetch(`/accounts/${member}/root-access-key`, { method: "POST" })).json()) as {
    rootAccessKeyId: string;
    rootSecretAccessKey: string;
  };
  memberRoot = { accessKeyId: k.rootAccessKeyId, secretAccessKey: k.rootSecretAccessKey };
  [memberUser, mgmtUser] = await Promise.all([adminUser(memberRoot, "data-admin"), adminUser(mgmt.creds, "org-admin")]);
  // The member's bucket, shared by its bucket policy with the outsider account (the mistake the RCP guards against).
  await s3(memberRoot).send(new CreateBucketCommand({ Bucket: bucket() }));
  await s3(memberRoot).send(new PutObjectCommand({ Bucket: bucket(), Key: "k", Body: "data" }));
  await s3(memberRoot).send(
    new PutBucketPolicyCommand({
      Bucket: bucket(),
      Policy: doc({
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${outsider.id}:root`, `arn:aws:iam::${mgmt.id}:root`] },
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${bucket()}/*`,
      }),
    }),
  );
});

const read = (creds: Creds) => s3(creds).send(new GetObjectCommand({ Bucket: bucket(), Key: "k" }));

describe("resource control policies", () => {
  it("RCPs: not enabled until EnablePolicyType; then RCPFullAWSAccess is attached everywhere", async () => {
    await read(outsider.creds); // the bucket policy lets the outsider in
    const enabled = await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: RCP }));
    expect(enabled.Root!.PolicyTypes).toEqual([{ Type: RCP, Status: "ENABLED" }]);
    await expectAwsError(
      org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: RCP })),
      "PolicyTypeAlreadyEnabledException",
      400,
    );
    for (const target of [rootId, member, mgmt.id]) {
      const attached = await org.send(new ListPoliciesForTargetCommand({ TargetId: target, Filter: RCP }));
      expect(attached.Policies!.map((p) => p.Id)).toEqual(["p-RCPFullAWSAccess"]);
    }
    const full = await org.send(new DescribePolicyCommand({ PolicyId: "p-RCPFullAWSAccess" }));
    expect(full.Policy!.PolicySummary).toMatchObject({
      Name: "RCPFullAWSAccess",
      Type: RCP,
      AwsManaged: true,
      Arn: "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
    });
    expect(JSON.parse(full.Policy!.Content!).Statement[0]).toEqual({ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" });
    const listed = await org.send(new ListPoliciesCommand({ Filter: RCP }));
    expect(listed.Policies!.map((p) => p.Id)).toEqual(["p-RCPFullAWSAccess"]);
    expect((await org.send(new DescribeOrganizationCommand({}))).Organization!.AvailablePolicyTypes).toEqual([
      { Type: RCP, Status: "ENABLED" },
    ]);
    // With only RCPFullAWSAccess nothing changes.
    await read(outsider.creds);
  });

  it('AWS\'s RCP grammar: Deny only, Principal "*", no NotAction / NotPrincipal, the services RCPs support', async () => {
    const bad = [
      doc({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }),
      doc({ Effect: "Deny", Principal: { AWS: `arn:aws:iam::${outsider.id}:root` }, Action: "s3:*", Resource: "*" }),
      doc({ Effect: "Deny", Action: "s3:*", Resource: "*" }),
      doc({ Effect: "Deny", Principal: "*", NotAction: "s3:GetObject", Resource: "*" }),
      doc({ Effect: "Deny", NotPrincipal: { AWS: `arn:aws:iam::${outsider.id}:root` }, Action: "s3:*", Resource: "*" }),
      doc({ Effect: "Deny", Principal: "*", Action: "ec2:RunInstances", Resource: "*" }),
      "{not json",
    ];
    for (const Content of bad)
      await expectAwsError(
        org.send(new CreatePolicyCommand({ Name: "Bad", Description: "x", Type: RCP, Content })),
        "MalformedPolicyDocumentException",
        400,
      );
    const big = doc({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "*",
      Condition: { StringEquals: { "aws:UserAgent": "x".repeat(5200) } },
    });
    const e = await expectAwsError(
      org.send(new CreatePolicyCommand({ Name: "Big", Description: "x", Type: RCP, Content: big })),
      "ConstraintViolationException",
      400,
    );
    expect(reason(e)).toBe("POLICY_CONTENT_LIMIT_EXCEEDED");
    await expectAwsError(
      org.send(new CreatePolicyCommand({ Name: "Tag", Description: "x", Type: "TAG_POLICY", Content: "{}" })),
      "InvalidInputException",
      400,
    );
  });

  it("an RCP keeps the member's bucket from principals outside the organization, whatever the bucket policy says", async () => {
    const created = await org.send(
      new CreatePolicyCommand({
        Name: "OrgPerimeter",
        Description: "Org principals only",
        Type: RCP,
        Content: perimeter(orgId, ["s3:*", "sts:AssumeRole"]),
      }),
    );
    rcpId = created.Policy!.PolicySummary!.Id!;
    expect(created.Policy!.PolicySummary!.Arn).toBe(`arn:aws:organizations::${mgmt.id}:policy/${orgId}/resource_control_policy/${rcpId}`);
    await org.send(new AttachPolicyCommand({ PolicyId: rcpId, TargetId: member }));
    // Another account's caller is told no more than S3 tells any other account.
    await expectAwsError(read(outsider.creds), "AccessDenied", 403, "Access Denied");
    // The organization's principals: the member's own user, the management account's root.
    expect(await (await read(memberUser)).Body!.transformToString()).toBe("data");
    await read(mgmt.creds);
    // The member's own callers see the RCP named in the denial when it denies them: a same-account deny.
    const denyOwn = await org.send(
      new CreatePolicyCommand({
        Name: "NoDeletes",
        Description: "x",
        Type: RCP,
        Content: doc({ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: denyOwn.Policy!.PolicySummary!.Id!, TargetId: rootId }));
    const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
    await expectAwsError(
      s3(memberUser).send(new DeleteObjectCommand({ Bucket: bucket(), Key: "k" })),
      "AccessDenied",
      403,
      /with an explicit deny in a resource control policy: arn:aws:organizations::\d{12}:policy\/o-[a-z0-9]+\/resource_control_policy\/p-[a-z0-9]+$/,
    );
    // The management account's resources are never held by RCPs.
    const mgmtBucket = `rcp-mgmt-${mgmt.id}`;
    await s3(mgmt.creds).send(new CreateBucketCommand({ Bucket: mgmtBucket }));
    await s3(mgmt.creds).send(new PutObjectCommand({ Bucket: mgmtBucket, Key: "k", Body: "m" }));
    await s3(mgmt.creds).send(new DeleteObjectCommand({ Bucket: mgmtBucket, Key: "k" }));
    await org.send(new DetachPolicyCommand({ PolicyId: denyOwn.Policy!.PolicySummary!.Id!, TargetId: rootId }));
  });

  it("the same RCP stops an outsider's AssumeRole of a member role its trust policy allows", async () => {
    await iam(memberRoot).send(
      new CreateRoleCommand({
        RoleName: "partner",
        AssumeRolePolicyDocument: doc({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${outsider.id}:root` },
          Action: "sts:AssumeRole",
        }),
      }),
    );
    const arn = `arn:aws:iam::${member}:role/partner`;
    const partner = await adminUser(outsider.creds, "partner-admin"); // a root user cannot assume roles
    await expectAwsError(
      sts(partner).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "lab" })),
      "AccessDenied",
      403,
      // An outsider is not told which policy (AWS names it to the same account or organization only).
      new RegExp(
        `^User: arn:aws:iam::${outsider.id}:user/partner-admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${member}:role/partner with an explicit deny in a resource control policy$`,
      ),
    );
    await org.send(new DetachPolicyCommand({ PolicyId: rcpId, TargetId: member }));
    await sts(partner).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "lab" }));
    await read(outsider.creds);
    await org.send(new AttachPolicyCommand({ PolicyId: rcpId, TargetId: member }));
  });

  it("RCPFullAWSAccess cannot be detached; ListTargetsForPolicy names where a policy is attached", async () => {
    const e = await expectAwsError(
      org.send(new DetachPolicyCommand({ PolicyId: "p-RCPFullAWSAccess", TargetId: member })),
      "ConstraintViolationException",
      400,
    );
    expect(reason(e)).toBe("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
    const targets = await org.send(new ListTargetsForPolicyCommand({ PolicyId: rcpId }));
    expect(targets.Targets).toEqual([
      { TargetId: member, Arn: `arn:aws:organizations::${mgmt.id}:account/${orgId}/${member}`, Name: "data", Type: "ACCOUNT" },
    ]);
    const full = await org.send(new ListTargetsForPolicyCommand({ PolicyId: "p-RCPFullAWSAccess" }));
    expect(full.Targets!.map((t) => t.Type).sort()).toEqual(["ACCOUNT", "ACCOUNT", "ROOT"]);
    await expectAwsError(org.send(new ListTargetsForPolicyCommand({ PolicyId: "p-nosuchpolicy" })), "PolicyNotFoundException", 400);
  });

  it("aws:ResourceOrgID / aws:ResourceOrgPaths describe the resource's account", async () => {
    // The outsider's user may read only buckets of this organization: its own bucket is refused.
    const oi = iam(outsider.creds);
    await oi.send(new CreateUserCommand({ UserName: "reader" }));
    await oi.send(
      new PutUserPolicyCommand({
        UserName: "reader",
        PolicyName: "org-buckets-only",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "*",
          Condition: {
            StringEquals: { "aws:ResourceOrgID": orgId },
            "ForAnyValue:StringLike": { "aws:ResourceOrgPaths": [`${orgId}/${rootId}/*`] },
          },
        }),
      }),
    );
    const reader = keyCreds((await oi.send(new CreateAccessKeyCommand({ UserName: "reader" }))).AccessKey!);
    const own = `rcp-outsider-${outsider.id}`;
    await s3(outsider.creds).send(new CreateBucketCommand({ Bucket: own }));
    await s3(outsider.creds).send(new PutObjectCommand({ Bucket: own, Key: "k", Body: "o" }));
    await expectAwsError(s3(reader).send(new GetObjectCommand({ Bucket: own, Key: "k" })), "AccessDenied", 403);
    // The member's bucket qualifies by its org keys, but the perimeter RCP still stops the outsider's user.
    await expectAwsError(read(reader), "AccessDenied", 403);
    await org.send(new DetachPolicyCommand({ PolicyId: rcpId, TargetId: member }));
    // Without it: the bucket policy trusts the outsider's account, whose user's policy allows this organization's buckets.
    expect(await (await read(reader)).Body!.transformToString()).toBe("data");
  });

  it("DisablePolicyType detaches every RCP; the outsider is in again", async () => {
    await org.send(new AttachPolicyCommand({ PolicyId: rcpId, TargetId: member }));
    await expectAwsError(read(outsider.creds), "AccessDenied", 403);
    const disabled = await org.send(new DisablePolicyTypeCommand({ RootId: rootId, PolicyType: RCP }));
    expect(disabled.Root!.PolicyTypes).toEqual([]);
    await read(outsider.creds);
    expect((await org.send(new ListTargetsForPolicyCommand({ PolicyId: rcpId }))).Targets).toEqual([]);
    await expectAwsError(org.send(new DisablePolicyTypeCommand({ RootId: rootId, PolicyType: RCP })), "PolicyTypeNotEnabledException", 400);
    await expectAwsError(org.send(new AttachPolicyCommand({ PolicyId: rcpId, TargetId: member })), "PolicyTypeNotEnabledException", 400);
  });
});

describe("UpdatePolicy, tags, OUs", () => {
  let scpId: string;
  it("an UpdatePolicy that flips a decision at once", async () => {
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP }));
    const p = await org.send(
      new CreatePolicyCommand({
        Name: "DenyListBuckets",
        Description: "v1",
        Type: SCP,
        Content: doc({ Effect: "Deny", Action: "s3:ListAllMyBuckets", Resource: "*" }),
        Tags: [{ Key: "team", Value: "security" }],
      }),
    );
    scpId = p.Policy!.PolicySummary!.Id!;
    await org.send(new AttachPolicyCommand({ PolicyId: scpId, TargetId: member }));
    await expectAwsError(s3(memberUser).send(new ListBucketsCommand({})), "AccessDenied", 403, /explicit deny in a service control policy/);
    const updated = await org.send(
      new UpdatePolicyCommand({
        PolicyId: scpId,
        Name: "DenyDeleteBucket",
        Description: "v2",
        Content: doc({ Effect: "Deny", Action: "s3:DeleteBucket", Resource: "*" }),
      }),
    );
    expect(updated.Policy!.PolicySummary).toMatchObject({ Name: "DenyDeleteBucket", Description: "v2", Type: SCP });
    await s3(memberUser).send(new ListBucketsCommand({}));
    // Only the description: the content (and the decision) stay.
    await org.send(new UpdatePolicyCommand({ PolicyId: scpId, Description: "v3" }));
    expect((await org.send(new DescribePolicyCommand({ PolicyId: scpId }))).Policy!.Content).toContain("s3:DeleteBucket");
    await expectAwsError(
      org.send(
        new UpdatePolicyCommand({ PolicyId: scpId, Content: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }) }),
      ),
      "MalformedPolicyDocumentException",
      400,
    );
    await org.send(
      new CreatePolicyCommand({
        Name: "Other",
        Description: "x",
        Type: SCP,
        Content: doc({ Effect: "Allow", Action: "*", Resource: "*" }),
      }),
    );
    await expectAwsError(org.send(new UpdatePolicyCommand({ PolicyId: scpId, Name: "Other" })), "DuplicatePolicyException", 400);
    await expectAwsError(
      org.send(new UpdatePolicyCommand({ PolicyId: "p-FullAWSAccess", Description: "x" })),
      "AccessDeniedException",
      400,
    );
  });

  it("tags on policies, accounts, OUs and the root", async () => {
    expect((await org.send(new ListTagsForResourceCommand({ ResourceId: scpId }))).Tags).toEqual([{ Key: "team", Value: "security" }]);
    const ou = await org.send(
      new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Data", Tags: [{ Key: "env", Value: "prod" }] }),
    );
    const ouId = ou.OrganizationalUnit!.Id!;
    expect((await org.send(new ListTagsForResourceCommand({ ResourceId: ouId }))).Tags).toEqual([{ Key: "env", Value: "prod" }]);
    for (const id of [member, rootId]) {
      await org.send(
        new TagResourceCommand({
          ResourceId: id,
          Tags: [
            { Key: "cost-center", Value: "42" },
            { Key: "owner", Value: "ana" },
          ],
        }),
      );
      await org.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: "owner", Value: "bo" }] }));
      await org.send(new UntagResourceCommand({ ResourceId: id, TagKeys: ["cost-center"] }));
      expect((await org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags).toEqual([{ Key: "owner", Value: "bo" }]);
    }
    await expectAwsError(
      org.send(new TagResourceCommand({ ResourceId: "123456789012", Tags: [{ Key: "a", Value: "b" }] })),
      "TargetNotFoundException",
      400,
    );
    const tooMany = Array.from({ length: 51 }, (_, n) => ({ Key: `k${n}`, Value: "v" }));
    const e = await expectAwsError(
      org.send(new TagResourceCommand({ ResourceId: member, Tags: tooMany })),
      "ConstraintViolationException",
      400,
    );
    expect(reason(e)).toBe("TAG_LIMIT_EXCEEDED");
    await expectAwsError(
      org.send(new TagResourceCommand({ ResourceId: member, Tags: [{ Key: "aws:x", Value: "v" }] })),
      "InvalidInputException",
      400,
    );
    const renamed = await org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: ouId, Name: "Analytics" }));
    expect(renamed.OrganizationalUnit!.Name).toBe("Analytics");
  });

  it("per-resource authorization: an administrator limited to one OU's ARN", async () => {
    const mi = iam(mgmt.creds);
    await mi.send(new CreateUserCommand({ UserName: "ou-viewer" }));
    const a = await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Visible" }));
    const b = await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Hidden" }));
    await mi.send(
      new PutUserPolicyCommand({
        UserName: "ou-viewer",
        PolicyName: "one-ou",
        PolicyDocument: doc({ Effect: "Allow", Action: "organizations:DescribeOrganizationalUnit", Resource: a.OrganizationalUnit!.Arn }),
      }),
    );
    const viewer = orgs(keyCreds((await mi.send(new CreateAccessKeyCommand({ UserName: "ou-viewer" }))).AccessKey!));
    await viewer.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: a.OrganizationalUnit!.Id! }));
    await expectAwsError(
      viewer.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: b.OrganizationalUnit!.Id! })),
      "AccessDeniedException",
      403,
      new RegExp(`on resource: ${b.OrganizationalUnit!.Arn!.replace(/[/]/g, "\\/")} because no identity-based policy allows`),
    );
    // AttachPolicy needs the policy and the target: a user allowed on the policy only is refused on the target.
    await mi.send(
      new PutUserPolicyCommand({
        UserName: "ou-viewer",
        PolicyName: "attach-one-policy",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "organizations:AttachPolicy",
          Resource: `arn:aws:organizations::${mgmt.id}:policy/*`,
        }),
      }),
    );
    await expectAwsError(
      viewer.send(new AttachPolicyCommand({ PolicyId: scpId, TargetId: a.OrganizationalUnit!.Id! })),
      "AccessDeniedException",
      403,
      /organizations:AttachPolicy on resource: arn:aws:organizations::\d{12}:ou\//,
    );
    void mgmtUser;
  });
});

describe("invitations (handshakes)", () => {
  let guest: AccountFixture;
  let handshakeId: string;
  it("InviteAccountToOrganization → the invited sandbox account lists it; duplicates and bad targets refused", async () => {
    guest = await withAccount();
    const sent = await org.send(new InviteAccountToOrganizationCommand({ Target: { Id: guest.id, Type: "ACCOUNT" }, Notes: "join us" }));
    const h = sent.Handshake!;
    handshakeId = h.Id!;
    expect(handshakeId).toMatch(/^h-[a-z0-9]{8,32}$/);
    expect(h).toMatchObject({
      Arn: `arn:aws:organizations::${mgmt.id}:handshake/${orgId}/invite/${handshakeId}`,
      State: "OPEN",
      Action: "INVITE",
      Parties: [
        { Id: orgId, Type: "ORGANIZATION" },
        { Id: guest.id, Type: "ACCOUNT" },
      ],
    });
    expect(h.ExpirationTimestamp!.getTime() - h.RequestedTimestamp!.getTime()).toBe(15 * 24 * 3600 * 1000);
    const listed = await orgs(guest.creds).send(new ListHandshakesForAccountCommand({}));
    expect(listed.Handshakes!.map((x) => x.Id)).toEqual([handshakeId]);
    expect((await org.send(new ListHandshakesForOrganizationCommand({}))).Handshakes!.map((x) => x.Id)).toContain(handshakeId);
    await expectAwsError(
      org.send(new InviteAccountToOrganizationCommand({ Target: { Id: guest.id, Type: "ACCOUNT" } })),
      "DuplicateHandshakeException",
      400,
    );
    const inOrg = await expectAwsError(
      org.send(new InviteAccountToOrganizationCommand({ Target: { Id: member, Type: "ACCOUNT" } })),
      "HandshakeConstraintViolationException",
      400,
    );
    expect(reason(inOrg)).toBe("ALREADY_IN_AN_ORGANIZATION");
    await expectAwsError(
      org.send(new InviteAccountToOrganizationCommand({ Target: { Id: "not-an-account", Type: "ACCOUNT" } })),
      "InvalidInputException",
      400,
    );
    await expectAwsError(
      orgs(outsider.creds).send(new DescribeHandshakeCommand({ HandshakeId: handshakeId })),
      "HandshakeNotFoundException",
      400,
    );
    await expectAwsError(
      orgs(memberRoot).send(new InviteAccountToOrganizationCommand({ Target: { Id: outsider.id, Type: "ACCOUNT" } })),
      "AccessDeniedException",
      400,
    );
  });

  it("accepting needs organizations:AcceptHandshake; accepted, the account is a member whose principals the SCPs hold", async () => {
    const gi = iam(guest.creds);
    await gi.send(new CreateUserCommand({ UserName: "nobody" }));
    const nobody = keyCreds((await gi.send(new CreateAccessKeyCommand({ UserName: "nobody" }))).AccessKey!);
    await expectAwsError(
      orgs(nobody).send(new AcceptHandshakeCommand({ HandshakeId: handshakeId })),
      "AccessDeniedException",
      403,
      /organizations:AcceptHandshake on resource: arn:aws:organizations::\d{12}:handshake\//,
    );
    const guestAdmin = await adminUser(guest.creds, "guest-admin");
    await s3(guestAdmin).send(new ListBucketsCommand({}));
    const accepted = await orgs(guestAdmin).send(new AcceptHandshakeCommand({ HandshakeId: handshakeId }));
    expect(accepted.Handshake!.State).toBe("ACCEPTED");
    const accounts = await org.send(new ListAccountsCommand({}));
    expect(accounts.Accounts!.find((a) => a.Id === guest.id)).toMatchObject({ JoinedMethod: "INVITED", Status: "ACTIVE" });
    expect((await org.send(new ListPoliciesForTargetCommand({ TargetId: guest.id, Filter: SCP }))).Policies!.map((p) => p.Id)).toEqual([
      "p-FullAWSAccess",
    ]);
    expect((await orgs(guestAdmin).send(new DescribeOrganizationCommand({}))).Organization!.Id).toBe(orgId);
    // An SCP on the root now holds the invited account's administrator.
    const deny = await org.send(
      new CreatePolicyCommand({
        Name: "NoBucketListing",
        Description: "x",
        Type: SCP,
        Content: doc({ Effect: "Deny", Action: "s3:ListAllMyBuckets", Resource: "*" }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: deny.Policy!.PolicySummary!.Id!, TargetId: rootId }));
    await expectAwsError(s3(guestAdmin).send(new ListBucketsCommand({})), "AccessDenied", 403, /explicit deny in a service control policy/);
    await s3(mgmt.creds).send(new ListBucketsCommand({})); // never the management account
    await org.send(new DetachPolicyCommand({ PolicyId: deny.Policy!.PolicySummary!.Id!, TargetId: rootId }));
    await s3(guestAdmin).send(new ListBucketsCommand({}));

    await expectAwsError(
      orgs(guestAdmin).send(new AcceptHandshakeCommand({ HandshakeId: handshakeId })),
      "HandshakeAlreadyInStateException",
      400,
    );
    await expectAwsError(
      orgs(guestAdmin).send(new DeclineHandshakeCommand({ HandshakeId: handshakeId })),
      "InvalidHandshakeTransitionException",
      400,
    );
  });

  it("declined and canceled invitations cannot be accepted; an e-mail invitation is kept", async () => {
    const [c, d] = await Promise.all([withAccount(), withAccount()]);
    const toC = (await org.send(new InviteAccountToOrganizationCommand({ Target: { Id: c.id, Type: "ACCOUNT" } }))).Handshake!.Id!;
    const canceled = await org.send(new CancelHandshakeCommand({ HandshakeId: toC }));
    expect(canceled.Handshake!.State).toBe("CANCELED");
    await expectAwsError(orgs(c.creds).send(new AcceptHandshakeCommand({ HandshakeId: toC })), "InvalidHandshakeTransitionException", 400);
    await expectAwsError(org.send(new CancelHandshakeCommand({ HandshakeId: toC })), "HandshakeAlreadyInStateException", 400);

    const toD = (await org.send(new InviteAccountToOrganizationCommand({ Target: { Id: `${d.id}@iamlab.invalid`, Type: "EMAIL" } })))
      .Handshake!.Id!;
    expect((await orgs(d.creds).send(new DescribeHandshakeCommand({ HandshakeId: toD }))).Handshake!.State).toBe("OPEN");
    const declined = await orgs(d.creds).send(new DeclineHandshakeCommand({ HandshakeId: toD }));
    expect(declined.Handshake!.State).toBe("DECLINED");
    await expectAwsError(orgs(d.creds).send(new AcceptHandshakeCommand({ HandshakeId: toD })), "InvalidHandshakeTransitionException", 400);
    // The inviter cannot accept for the invitee.
    const again = (await org.send(new InviteAccountToOrganizationCommand({ Target: { Id: d.id, Type: "ACCOUNT" } }))).Handshake!.Id!;
    await expectAwsError(org.send(new AcceptHandshakeCommand({ HandshakeId: again })), "HandshakeNotFoundException", 400);
  });

  it.skipIf(!hasAwsCli)("the AWS CLI lists the organization's handshakes and an RCP's targets", async () => {
    const h = await awsCli<{ Handshakes: { Id: string }[] }>(mgmt.creds, "organizations", "list-handshakes-for-organization");
    expect(h.Handshakes.map((x) => x.Id)).toContain(handshakeId);
    const t = await awsCli<{ Targets: unknown[] }>(mgmt.creds, "organizations", "list-targets-for-policy", "--policy-id", rcpId);
    expect(t.Targets).toEqual([]);
  });
});
