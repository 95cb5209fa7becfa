/** Account-level reads and aliases with the real @aws-sdk/client-iam and the AWS CLI. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccountAliasCommand,
  AddRoleToInstanceProfileCommand,
  CreateVirtualMFADeviceCommand,
  CreateGroupCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccountAliasCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  ListAccountAliasesCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { adminFetch, iam, rawSigned, type Creds } from "../helpers/sandbox";
import { expectAwsError as expectErr } from "../helpers/aws-errors";
import { ADMIN, READONLY, TRUST, allowDoc as doc } from "../helpers/documents";
import { withAccount } from "../helpers/fixtures";
import { awsCli as cli, hasAwsCli } from "../helpers/aws-cli";

let creds: Creds;
let client: IAMClient;
let A: string;
let localArn: string;

beforeAll(async () => {
  ({ creds, iam: client, id: A } = await withAccount());
  // A small but complete setup.
  localArn = (
    await client.send(new CreatePolicyCommand({ PolicyName: "local-1", Path: "/lab/", PolicyDocument: doc(), Description: "d1" }))
  ).Policy!.Arn!;
  await client.send(
    new CreatePolicyVersionCommand({ PolicyArn: localArn, PolicyDocument: doc("s3:PutObject", "arn:aws:s3:::b/100%"), SetAsDefault: true }),
  );
  await client.send(new CreateUserCommand({ UserName: "alice", Tags: [{ Key: "team", Value: "red" }] }));
  await client.send(new CreateUserCommand({ UserName: "bob", Path: "/ops/" }));
  await client.send(new CreateGroupCommand({ GroupName: "devs" }));
  await client.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "alice" }));
  await client.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: localArn }));
  await client.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: READONLY }));
  await client.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: "inline-a", PolicyDocument: doc("s3:ListBucket") }));
  await client.send(new PutUserPermissionsBoundaryCommand({ UserName: "alice", PermissionsBoundary: ADMIN }));
  await client.send(new AttachGroupPolicyCommand({ GroupName: "devs", PolicyArn: READONLY }));
  await client.send(new PutGroupPolicyCommand({ GroupName: "devs", PolicyName: "inline-g", PolicyDocument: doc("ec2:Describe*") }));
  await client.send(new CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: TRUST, Tags: [{ Key: "k", Value: "v" }] }));
  await client.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: localArn }));
  await client.send(new PutRolePolicyCommand({ RoleName: "app", PolicyName: "inline-r", PolicyDocument: doc("sqs:*") }));
  await client.send(new PutRolePermissionsBoundaryCommand({ RoleName: "app", PermissionsBoundary: localArn }));
  await client.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
  await client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "app" }));
});

describe("GetAccountAuthorizationDetails", () => {
  it("returns users, groups, roles and policies with their details and URL-encoded documents", async () => {
    const out = await client.send(new GetAccountAuthorizationDetailsCommand({}));
    expect(out.IsTruncated).toBe(false);
    expect(out.UserDetailList!.map((u) => u.UserName)).toEqual(["alice", "bob"]);
    const alice = out.UserDetailList![0]!;
    expect(alice).toMatchObject({
      Path: "/",
      UserName: "alice",
      Arn: `arn:aws:iam::${A}:user/alice`,
      GroupList: ["devs"],
      UserPolicyList: [{ PolicyName: "inline-a", PolicyDocument: encodeURIComponent(doc("s3:ListBucket")) }],
      PermissionsBoundary: { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: ADMIN },
      Tags: [{ Key: "team", Value: "red" }],
    });
    expect(alice.UserId).toMatch(/^AIDA/);
    expect(alice.AttachedManagedPolicies).toEqual([
      { PolicyName: "ReadOnlyAccess", PolicyArn: READONLY },
      { PolicyName: "local-1", PolicyArn: localArn },
    ]);
    expect(out.UserDetailList![1]).toMatchObject({
      UserName: "bob",
      Path: "/ops/",
      GroupList: [],
      AttachedManagedPolicies: [],
      UserPolicyList: [],
    });

    expect(out.GroupDetailList).toHaveLength(1);
    expect(out.GroupDetailList![0]).toMatchObject({
      GroupName: "devs",
      AttachedManagedPolicies: [{ PolicyName: "ReadOnlyAccess", PolicyArn: READONLY }],
      GroupPolicyList: [{ PolicyName: "inline-g", PolicyDocument: encodeURIComponent(doc("ec2:Describe*")) }],
    });

    expect(out.RoleDetailList).toHaveLength(1);
    const role = out.RoleDetailList![0]!;
    expect(role).toMatchObject({
      RoleName: "app",
      AssumeRolePolicyDocument: encodeURIComponent(TRUST),
      RolePolicyList: [{ PolicyName: "inline-r", PolicyDocument: encodeURIComponent(doc("sqs:*")) }],
      AttachedManagedPolicies: [{ PolicyName: "local-1", PolicyArn: localArn }],
      PermissionsBoundary: { PermissionsBoundaryArn: localArn },
      Tags: [{ Key: "k", Value: "v" }],
    });
    expect(role.InstanceProfileList).toHaveLength(1);
    expect(role.InstanceProfileList![0]).toMatchObject({
      InstanceProfileName: "app-profile",
      Roles: [{ RoleName: "app", RoleId: role.RoleId }],
    });
    expect(role.RoleLastUsed).toEqual({});

    // Customer policies and the AWS-managed ones in use (attached or as a boundary), not all 1,600.
    const names = out.Policies!.map((p) => p.PolicyName);
    expect(names).toEqual(["AdministratorAccess", "ReadOnlyAccess", "local-1"]);
    const local = out.Policies!.find((p) => p.PolicyName === "local-1")!;
    expect(local).toMatchObject({
      Arn: localArn,
      Path: "/lab/",
      DefaultVersionId: "v2",
      AttachmentCount: 2,
      PermissionsBoundaryUsageCount: 1,
      IsAttachable: true,
      Description: "d1",
    });
    expect(local.PolicyVersionList!.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ["v2", true],
      ["v1", false],
    ]);
    expect(local.PolicyVersionList![0]!.Document).toBe(encodeURIComponent(doc("s3:PutObject", "arn:aws:s3:::b/100%")));
    const ro = out.Policies!.find((p) => p.PolicyName === "ReadOnlyAccess")!;
    expect(ro.AttachmentCount).toBe(2);
    expect(ro.PolicyVersionList).toHaveLength(1);
    expect(JSON.parse(decodeURIComponent(ro.PolicyVersionList![0]!.Document!)).Statement).toBeDefined();
    expect(out.Policies!.find((p) => p.PolicyName === "AdministratorAccess")!.PermissionsBoundaryUsageCount).toBe(1);
  });

  it("filters by entity type", async () => {
    const users = await client.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["User"] }));
    expect(users.UserDetailList).toHaveLength(2);
    expect(users.GroupDetailList).toEqual([]);
    expect(users.RoleDetailList).toEqual([]);
    expect(users.Policies).toEqual([]);
    const local = await client.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["LocalManagedPolicy"] }));
    expect(local.Policies!.map((p) => p.PolicyName)).toEqual(["local-1"]);
    const aws = await client.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["AWSManagedPolicy"] }));
    expect(aws.Policies!.map((p) => p.PolicyName)).toEqual(["AdministratorAccess", "ReadOnlyAccess"]);
    const rg = await client.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role", "Group"] }));
    expect(rg.RoleDetailList).toHaveLength(1);
    expect(rg.GroupDetailList).toHaveLength(1);
    expect(rg.UserDetailList).toEqual([]);
    await expectErr(
      client.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Nope" as "User"] })),
      "ValidationError",
      400,
      /^1 validation error detected: Value at 'filter' failed to satisfy constraint: Member must satisfy constraint: \[Member must satisfy enum value set: \[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy\], Member must not be null\]$/,
    );
  });

  it("paginates across all sections with MaxItems/Marker", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await client.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 2, Marker: marker }));
      const items = [
        ...out.UserDetailList!.map((u) => `user:${u.UserName}`),
        ...out.GroupDetailList!.map((g) => `group:${g.GroupName}`),
        ...out.RoleDetailList!.map((r) => `role:${r.RoleName}`),
        ...out.Policies!.map((p) => `policy:${p.PolicyName}`),
      ];
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items);
      marker = out.IsTruncated ? out.Marker : undefined;
      pages++;
    } while (marker);
    expect(seen).toEqual([
      "user:alice",
      "user:bob",
      "group:devs",
      "role:app",
      "policy:AdministratorAccess",
      "policy:ReadOnlyAccess",
      "policy:local-1",
    ]);
    expect(pages).toBe(4);
  });

  it("is empty for a fresh account", async () => {
    const fresh = (await withAccount()).iam;
    const out = await fresh.send(new GetAccountAuthorizationDetailsCommand({}));
    expect(out).toMatchObject({ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [], IsTruncated: false });
  });
});

describe("GetAccountSummary", () => {
  it("returns every key of AWS's SummaryMap with the account's counts and AWS's quotas", async () => {
    const out = await client.send(new GetAccountSummaryCommand({}));
    const m = out.SummaryMap!;
    expect(m).toMatchObject({
      Users: 2,
      Groups: 1,
      Roles: 1,
      Policies: 1,
      InstanceProfiles: 1,
      UsersQuota: 5000,
      GroupsQuota: 300,
      RolesQuota: 1000,
      PoliciesQuota: 1500,
      InstanceProfilesQuota: 1000,
      AccessKeysPerUserQuota: 2,
      AttachedPoliciesPerUserQuota: 10,
      AttachedPoliciesPerGroupQuota: 10,
      AttachedPoliciesPerRoleQuota: 10,
      GroupsPerUserQuota: 10,
      PolicySizeQuota: 6144,
      UserPolicySizeQuota: 2048,
      GroupPolicySizeQuota: 5120,
      RolePolicySizeQuota: 10240,
      AssumeRolePolicySizeQuota: 2048,
      VersionsPerPolicyQuota: 5,
      PolicyVersionsInUseQuota: 10000,
      ServerCertificatesQuota: 20,
      SigningCertificatesPerUserQuota: 2,
      AccountAccessKeysPresent: 1,
      AccountMFAEnabled: 0,
      GlobalEndpointTokenVersion: 1,
    });
    expect(m.PolicyVersionsInUse).toBe(4);
    expect(m).toMatchObject({ MFADevices: 0, MFADevicesInUse: 0 });
    const mfa = await client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "summary-mfa" }));
    expect(mfa.VirtualMFADevice!.SerialNumber).toBeTruthy();
    expect((await client.send(new GetAccountSummaryCommand({}))).SummaryMap).toMatchObject({
      MFADevices: 1,
      MFADevicesInUse: 0,
      AccountMFAEnabled: 0,
    });
    expect(Object.keys(m)).toHaveLength(33);
    const raw = await rawSigned({ Action: "GetAccountSummary", Version: "2010-05-08" }, { service: "iam", creds });
    expect(raw.text).toContain("<SummaryMap><entry><key>");
    expect(raw.text).toContain("<entry><key>Users</key><value>2</value></entry>");
  });
});

describe("account aliases", () => {
  it("creates, replaces, lists and deletes the one alias of an account", async () => {
    const c = (await withAccount()).iam;
    expect((await c.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
    await c.send(new CreateAccountAliasCommand({ AccountAlias: `first-${A}` }));
    expect(await c.send(new ListAccountAliasesCommand({}))).toMatchObject({ AccountAliases: [`first-${A}`], IsTruncated: false });
    await c.send(new CreateAccountAliasCommand({ AccountAlias: `first-${A}` }));
    await c.send(new CreateAccountAliasCommand({ AccountAlias: `second-${A}` }));
    expect((await c.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([`second-${A}`]);
    await expectErr(
      c.send(new DeleteAccountAliasCommand({ AccountAlias: `first-${A}` })),
      "NoSuchEntity",
      404,
      `The account alias first-${A} cannot be found.`,
    );
    await c.send(new DeleteAccountAliasCommand({ AccountAlias: `second-${A}` }));
    expect((await c.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
    // The freed alias can be taken by anyone.
    await client.send(new CreateAccountAliasCommand({ AccountAlias: `first-${A}` }));
    await client.send(new DeleteAccountAliasCommand({ AccountAlias: `first-${A}` }));
  });

  it("keeps aliases unique across accounts (EntityAlreadyExists) and shows them in the admin API", async () => {
    const other = (await withAccount()).iam;
    await client.send(new CreateAccountAliasCommand({ AccountAlias: `taken-${A}` }));
    await expectErr(
      other.send(new CreateAccountAliasCommand({ AccountAlias: `taken-${A}` })),
      "EntityAlreadyExists",
      409,
      `The account alias taken-${A} already exists.`,
    );
    const res = await adminFetch(`/accounts/${A}`);
    expect(((await res.json()) as { alias: string | null }).alias).toBe(`taken-${A}`);
    // A failed claim leaves the other account's own alias alone.
    await other.send(new CreateAccountAliasCommand({ AccountAlias: `mine-${A}` }));
    await expectErr(other.send(new CreateAccountAliasCommand({ AccountAlias: `taken-${A}` })), "EntityAlreadyExists", 409);
    expect((await other.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([`mine-${A}`]);
    await client.send(new DeleteAccountAliasCommand({ AccountAlias: `taken-${A}` }));
  });

  it("lets exactly one of 20 accounts racing for one alias win", async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, async () => (await withAccount()).iam));
    const alias = `race-${A}`;
    const results = await Promise.allSettled(clients.map((c) => c.send(new CreateAccountAliasCommand({ AccountAlias: alias }))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const owners = await Promise.all(clients.map((c) => c.send(new ListAccountAliasesCommand({}))));
    expect(owners.filter((o) => o.AccountAliases!.length === 1)).toHaveLength(1);
  });

  it("validates the alias pattern", async () => {
    await expectErr(
      client.send(new CreateAccountAliasCommand({ AccountAlias: "Bad_Alias" })),
      "ValidationError",
      400,
      /at 'accountAlias' failed to satisfy constraint/,
    );
    await expectErr(
      client.send(new CreateAccountAliasCommand({ AccountAlias: "ab" })),
      "ValidationError",
      400,
      /Member must have length greater than or equal to 3/,
    );
    await expectErr(client.send(new CreateAccountAliasCommand({ AccountAlias: "a--b" })), "ValidationError", 400);
  });
});

// The AWS CLI (pyenv's v1 honours --endpoint-url everywhere; see WIRE.md). Skipped when `aws` is not installed.
describe.skipIf(!hasAwsCli)("AWS CLI round trip", () => {
  it("create-policy / attach-user-policy / get-account-authorization-details (documents decoded by botocore)", async () => {
    const c = (await withAccount()).creds;
    const policyDoc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/100%/*" }],
    };
    const created = (await cli(c, "iam", "create-policy", "--policy-name", "cli-policy", "--policy-document", JSON.stringify(policyDoc)))
      .Policy as Record<string, unknown>;
    expect(created).toMatchObject({
      PolicyName: "cli-policy",
      DefaultVersionId: "v1",
      Arn: `arn:aws:iam::${(created.Arn as string).split(":")[4]}:policy/cli-policy`,
    });
    await iam(c).send(new CreateUserCommand({ UserName: "cli-user" }));
    await cli(c, "iam", "attach-user-policy", "--user-name", "cli-user", "--policy-arn", created.Arn as string);
    await iam(c).send(new PutUserPolicyCommand({ UserName: "cli-user", PolicyName: "inline", PolicyDocument: JSON.stringify(policyDoc) }));
    // --page-size sends MaxItems and makes the CLI follow Markers across the merged sections.
    const details = await cli(c, "iam", "get-account-authorization-details", "--page-size", "1");
    const users = details.UserDetailList as Array<Record<string, unknown>>;
    expect(users.map((u) => u.UserName)).toEqual(["cli-user"]);
    expect(users[0]!.AttachedManagedPolicies).toEqual([{ PolicyName: "cli-policy", PolicyArn: created.Arn }]);
    expect(users[0]!.UserPolicyList).toEqual([{ PolicyName: "inline", PolicyDocument: policyDoc }]);
    const policies = details.Policies as Array<Record<string, unknown>>;
    expect(policies.map((p) => p.PolicyName)).toEqual(["cli-policy"]);
    expect((policies[0]!.PolicyVersionList as Array<Record<string, unknown>>)[0]).toMatchObject({
      Document: policyDoc,
      VersionId: "v1",
      IsDefaultVersion: true,
    });
  }, 90_000);
});
