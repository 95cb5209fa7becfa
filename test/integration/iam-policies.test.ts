/** Managed policies and their versions with the real @aws-sdk/client-iam: lifecycle, AWS-managed policies, pagination, limits, races. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyTagsCommand,
  ListPolicyVersionsCommand,
  PutUserPermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  SetDefaultPolicyVersionCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
  type IAMClient,
  type Policy,
} from "@aws-sdk/client-iam";
import { rawSigned, xmlValue, type Creds } from "../helpers/sandbox";
import { codeOf, expectAwsError as expectErr } from "../helpers/aws-errors";
import { ADMIN, READONLY, TRUST, allowDoc as doc } from "../helpers/documents";
import { withAccount } from "../helpers/fixtures";

let creds: Creds;
let client: IAMClient;
let A: string;

beforeAll(async () => {
  ({ creds, iam: client, id: A } = await withAccount());
});

async function newPolicy(
  name: string,
  extra: Partial<{ Path: string; Description: string; PolicyDocument: string }> = {},
): Promise<Policy> {
  const out = await client.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: doc(), ...extra }));
  return out.Policy!;
}

describe("CreatePolicy", () => {
  it("creates a policy with AWS's shape: ANPA id, v1, path in the ARN, tags, description", async () => {
    const p = await newPolicy("create-1", { Path: "/team/a/", Description: "first policy" });
    expect(p.PolicyName).toBe("create-1");
    expect(p.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
    expect(p.Arn).toBe(`arn:aws:iam::${A}:policy/team/a/create-1`);
    expect(p.Path).toBe("/team/a/");
    expect(p.DefaultVersionId).toBe("v1");
    expect(p.AttachmentCount).toBe(0);
    expect(p.PermissionsBoundaryUsageCount).toBe(0);
    expect(p.IsAttachable).toBe(true);
    expect(p.CreateDate).toBeInstanceOf(Date);
    expect(p.UpdateDate!.getTime()).toBe(p.CreateDate!.getTime());

    const tagged = await client.send(
      new CreatePolicyCommand({
        PolicyName: "create-tagged",
        PolicyDocument: doc(),
        Tags: [
          { Key: "team", Value: "red" },
          { Key: "env", Value: "" },
        ],
      }),
    );
    expect(tagged.Policy!.Tags).toEqual([
      { Key: "team", Value: "red" },
      { Key: "env", Value: "" },
    ]);
    const got = await client.send(new GetPolicyCommand({ PolicyArn: tagged.Policy!.Arn }));
    expect(got.Policy!.Tags).toEqual([
      { Key: "team", Value: "red" },
      { Key: "env", Value: "" },
    ]);
    const withDesc = await client.send(new GetPolicyCommand({ PolicyArn: p.Arn }));
    expect(withDesc.Policy!.Description).toBe("first policy");
  });

  it("refuses a duplicate name case-insensitively with EntityAlreadyExists 409", async () => {
    await newPolicy("Dup-Policy");
    await expectErr(
      newPolicy("dup-policy"),
      "EntityAlreadyExists",
      409,
      "A policy called dup-policy already exists. Duplicate names are not allowed.",
    );
    await expectErr(newPolicy("DUP-POLICY", { Path: "/other/" }), "EntityAlreadyExists", 409);
  });

  it("lets exactly one of 20 parallel creates of one name win", async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => newPolicy("race-policy")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("EntityAlreadyExists");
    const list = await client.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/" }));
    expect(list.Policies!.filter((p) => p.PolicyName === "race-policy")).toHaveLength(1);
  });

  it("validates the document: syntax, managed-policy Version, Principal", async () => {
    await expectErr(newPolicy("bad-1", { PolicyDocument: "{not json" }), "MalformedPolicyDocument", 400);
    await expectErr(
      newPolicy("bad-2", { PolicyDocument: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) }),
      "MalformedPolicyDocument",
      400,
    );
    await expectErr(
      newPolicy("bad-3", {
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }],
        }),
      }),
      "MalformedPolicyDocument",
      400,
    );
  });

  it("refuses a document over 6,144 characters without whitespace with LimitExceeded", async () => {
    const actions = Array.from({ length: 400 }, (_, n) => `s3:GetObject${n}`);
    const big = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
    expect(big.length).toBeGreaterThan(6144);
    await expectErr(newPolicy("too-big", { PolicyDocument: big }), "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144");
    // Whitespace does not count.
    const padded = JSON.stringify(
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions.slice(0, 200), Resource: "*" }] },
      null,
      10,
    );
    expect(padded.length).toBeGreaterThan(6144);
    await newPolicy("padded", { PolicyDocument: padded });
  });

  it("validates names and paths with AWS's ValidationError wording", async () => {
    await expectErr(
      newPolicy("bad name"),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await expectErr(newPolicy("p", { Path: "nope" }), "ValidationError", 400, /at 'path' failed to satisfy constraint/);
  });
});

describe("GetPolicy", () => {
  it("answers for AWS-managed policies with the account's counts", async () => {
    const out = await client.send(new GetPolicyCommand({ PolicyArn: READONLY }));
    expect(out.Policy).toMatchObject({
      PolicyName: "ReadOnlyAccess",
      Arn: READONLY,
      Path: "/",
      IsAttachable: true,
      AttachmentCount: 0,
      PermissionsBoundaryUsageCount: 0,
    });
    expect(out.Policy!.PolicyId).toMatch(/^ANPA/);
    expect(out.Policy!.DefaultVersionId).toMatch(/^v\d+$/);
  });

  it("answers NoSuchEntity 404 for an unknown policy and InvalidInput for a malformed ARN", async () => {
    const arn = `arn:aws:iam::${A}:policy/nope`;
    await expectErr(client.send(new GetPolicyCommand({ PolicyArn: arn })), "NoSuchEntity", 404, `Policy ${arn} was not found.`);
    await expectErr(client.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/NoSuchAwsPolicy" })), "NoSuchEntity", 404);
    await expectErr(
      client.send(new GetPolicyCommand({ PolicyArn: "not-an-arn-at-all-xxxxx" })),
      "InvalidInput",
      400,
      "ARN not-an-arn-at-all-xxxxx is not valid.",
    );
    await expectErr(
      client.send(new GetPolicyCommand({ PolicyArn: "short" })),
      "ValidationError",
      400,
      /Member must have length greater than or equal to 20/,
    );
  });

  it("does not show another account's policy", async () => {
    const other = await withAccount();
    const theirs = await other.iam.send(new CreatePolicyCommand({ PolicyName: "theirs", PolicyDocument: doc() }));
    await expectErr(client.send(new GetPolicyCommand({ PolicyArn: theirs.Policy!.Arn })), "NoSuchEntity", 404);
  });
});

describe("ListPolicies", () => {
  it("lists every AWS-managed policy (Scope=AWS) page by page, in order, without duplicates", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    const t0 = Date.now();
    do {
      const out = await client.send(new ListPoliciesCommand({ Scope: "AWS", MaxItems: 1000, Marker: marker }));
      for (const p of out.Policies!) {
        expect(p.Arn!.startsWith("arn:aws:iam::aws:policy/")).toBe(true);
        expect(p.Description).toBeUndefined();
        seen.push(p.PolicyName!);
      }
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated) expect(out.Marker).toBeTruthy();
      pages++;
    } while (marker);
    expect(pages).toBe(2);
    expect(seen.length).toBeGreaterThan(1500);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(seen);
    expect(seen).toContain("AdministratorAccess");
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("lists Local policies only with Scope=Local, PathPrefix filters, and All merges both", async () => {
    const local = await client.send(new ListPoliciesCommand({ Scope: "Local" }));
    expect(local.Policies!.every((p) => p.Arn!.startsWith(`arn:aws:iam::${A}:policy/`))).toBe(true);
    expect(local.Policies!.map((p) => p.PolicyName)).toContain("create-1");
    const team = await client.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/team/" }));
    expect(team.Policies!.map((p) => p.PolicyName)).toEqual(["create-1"]);
    const awsRoles = await client.send(new ListPoliciesCommand({ Scope: "AWS", PathPrefix: "/service-role/", MaxItems: 5 }));
    expect(awsRoles.Policies).toHaveLength(5);
    expect(awsRoles.Policies!.every((p) => p.Path === "/service-role/")).toBe(true);
    const all = await client.send(new ListPoliciesCommand({ MaxItems: 1000 }));
    expect(all.IsTruncated).toBe(true);
  });

  it("paginates with MaxItems/Marker (small pages, Scope=Local)", async () => {
    for (const n of ["pg-a", "pg-b", "pg-c", "pg-d", "pg-e"]) await newPolicy(n, { Path: "/paging/" });
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const out = await client.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/paging/", MaxItems: 2, Marker: marker }));
      expect(out.Policies!.length).toBeLessThanOrEqual(2);
      names.push(...out.Policies!.map((p) => p.PolicyName!));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    expect(names).toEqual(["pg-a", "pg-b", "pg-c", "pg-d", "pg-e"]);
    await expectErr(client.send(new ListPoliciesCommand({ Marker: "!!!not-base64" })), "ValidationError", 400);
    await expectErr(
      client.send(new ListPoliciesCommand({ Scope: "Nope" as "All" })),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]",
    );
  });

  it("OnlyAttached and PolicyUsageFilter follow attachments and boundaries", async () => {
    const { iam: c2 } = await withAccount();
    const p = (await c2.send(new CreatePolicyCommand({ PolicyName: "bound", PolicyDocument: doc() }))).Policy!;
    await c2.send(new CreateUserCommand({ UserName: "u1" }));
    await c2.send(new AttachUserPolicyCommand({ UserName: "u1", PolicyArn: READONLY }));
    await c2.send(new PutUserPermissionsBoundaryCommand({ UserName: "u1", PermissionsBoundary: p.Arn }));
    const attached = await c2.send(new ListPoliciesCommand({ OnlyAttached: true }));
    expect(attached.Policies!.map((x) => x.PolicyName).sort()).toEqual(["ReadOnlyAccess", "bound"]);
    const perm = await c2.send(new ListPoliciesCommand({ OnlyAttached: true, PolicyUsageFilter: "PermissionsPolicy" }));
    expect(perm.Policies!.map((x) => x.PolicyName)).toEqual(["ReadOnlyAccess"]);
    expect(perm.Policies![0]!.AttachmentCount).toBe(1);
    const bnd = await c2.send(new ListPoliciesCommand({ OnlyAttached: true, PolicyUsageFilter: "PermissionsBoundary" }));
    expect(bnd.Policies!.map((x) => x.PolicyName)).toEqual(["bound"]);
    expect(bnd.Policies![0]!.PermissionsBoundaryUsageCount).toBe(1);
    const awsOnly = await c2.send(new ListPoliciesCommand({ OnlyAttached: true, Scope: "AWS" }));
    expect(awsOnly.Policies!.map((x) => x.PolicyName)).toEqual(["ReadOnlyAccess"]);
    // Another account's attachments do not count here.
    const here = await client.send(new GetPolicyCommand({ PolicyArn: READONLY }));
    expect(here.Policy!.AttachmentCount).toBe(0);
  });
});

describe("DeletePolicy", () => {
  it("deletes an unused policy; NoSuchEntity afterwards", async () => {
    const p = await newPolicy("del-1");
    await client.send(new DeletePolicyCommand({ PolicyArn: p.Arn }));
    await expectErr(client.send(new GetPolicyCommand({ PolicyArn: p.Arn })), "NoSuchEntity", 404);
    await expectErr(client.send(new DeletePolicyCommand({ PolicyArn: p.Arn })), "NoSuchEntity", 404, `Policy ${p.Arn} was not found.`);
    // The name is free again.
    await newPolicy("del-1");
  });

  it("refuses while attached, while used as a boundary, and while other versions exist (DeleteConflict 409)", async () => {
    const p = await newPolicy("del-2");
    await client.send(new CreateUserCommand({ UserName: "del-user" }));
    await client.send(new AttachUserPolicyCommand({ UserName: "del-user", PolicyArn: p.Arn }));
    await expectErr(
      client.send(new DeletePolicyCommand({ PolicyArn: p.Arn })),
      "DeleteConflict",
      409,
      "Cannot delete a policy attached to entities.",
    );
    await client.send(new DetachUserPolicyCommand({ UserName: "del-user", PolicyArn: p.Arn }));
    await client.send(new PutUserPermissionsBoundaryCommand({ UserName: "del-user", PermissionsBoundary: p.Arn }));
    await expectErr(
      client.send(new DeletePolicyCommand({ PolicyArn: p.Arn })),
      "DeleteConflict",
      409,
      "Cannot delete a policy attached to entities.",
    );
    await client.send(new DeleteUserPermissionsBoundaryCommand({ UserName: "del-user" }));
    await client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:PutObject") }));
    await expectErr(
      client.send(new DeletePolicyCommand({ PolicyArn: p.Arn })),
      "DeleteConflict",
      409,
      "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    );
    await client.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v2" }));
    await client.send(new DeletePolicyCommand({ PolicyArn: p.Arn }));
  });

  it("AWS-managed policies are read-only: AccessDenied 403 on every write", async () => {
    const me = `arn:aws:iam::${A}:root`;
    const denied = (action: string, arn = ADMIN) =>
      `User: ${me} is not authorized to perform: iam:${action} on resource: policy ${arn} because no resource-based policy allows the iam:${action} action`;
    await expectErr(client.send(new DeletePolicyCommand({ PolicyArn: ADMIN })), "AccessDenied", 403, denied("DeletePolicy"));
    await expectErr(
      client.send(new CreatePolicyVersionCommand({ PolicyArn: ADMIN, PolicyDocument: doc() })),
      "AccessDenied",
      403,
      denied("CreatePolicyVersion"),
    );
    await expectErr(
      client.send(new DeletePolicyVersionCommand({ PolicyArn: ADMIN, VersionId: "v1" })),
      "AccessDenied",
      403,
      denied("DeletePolicyVersion"),
    );
    await expectErr(
      client.send(new SetDefaultPolicyVersionCommand({ PolicyArn: ADMIN, VersionId: "v1" })),
      "AccessDenied",
      403,
      denied("SetDefaultPolicyVersion"),
    );
    await expectErr(
      client.send(new TagPolicyCommand({ PolicyArn: ADMIN, Tags: [{ Key: "a", Value: "b" }] })),
      "AccessDenied",
      403,
      denied("TagPolicy"),
    );
    await expectErr(client.send(new UntagPolicyCommand({ PolicyArn: ADMIN, TagKeys: ["a"] })), "AccessDenied", 403, denied("UntagPolicy"));
    // Reads work.
    const v = await client.send(new ListPolicyVersionsCommand({ PolicyArn: ADMIN }));
    expect(v.Versions).toHaveLength(1);
    expect(v.Versions![0]!.IsDefaultVersion).toBe(true);
    const g = await client.send(new GetPolicyVersionCommand({ PolicyArn: ADMIN, VersionId: v.Versions![0]!.VersionId }));
    expect(JSON.parse(decodeURIComponent(g.PolicyVersion!.Document!))).toMatchObject({
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    expect((await client.send(new ListPolicyTagsCommand({ PolicyArn: ADMIN }))).Tags).toEqual([]);
  });
});

describe("policy versions", () => {
  it("creates up to five versions, numbers them without reuse, and sets the default", async () => {
    const p = await newPolicy("ver-1");
    const v2 = await client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:PutObject") }));
    expect(v2.PolicyVersion).toMatchObject({ VersionId: "v2", IsDefaultVersion: false });
    const v3 = await client.send(
      new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:DeleteObject"), SetAsDefault: true }),
    );
    expect(v3.PolicyVersion).toMatchObject({ VersionId: "v3", IsDefaultVersion: true });
    expect((await client.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy!.DefaultVersionId).toBe("v3");
    await client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:A") }));
    await client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:B") }));
    await expectErr(
      client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:C") })),
      "LimitExceeded",
      409,
      "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    );

    const list = await client.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn }));
    expect(list.Versions!.map((v) => v.VersionId)).toEqual(["v5", "v4", "v3", "v2", "v1"]);
    expect(list.Versions!.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId)).toEqual(["v3"]);
    expect(list.Versions![0]!.Document).toBeUndefined();
    const page1 = await client.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn, MaxItems: 2 }));
    expect(page1.Versions!.map((v) => v.VersionId)).toEqual(["v5", "v4"]);
    const page2 = await client.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn, MaxItems: 2, Marker: page1.Marker }));
    expect(page2.Versions!.map((v) => v.VersionId)).toEqual(["v3", "v2"]);

    await expectErr(
      client.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v3" })),
      "DeleteConflict",
      409,
      "Cannot delete the default version of a policy.",
    );
    await client.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v2" }));
    const v6 = await client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc("s3:C") }));
    expect(v6.PolicyVersion!.VersionId).toBe("v6");
    await expectErr(
      client.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v2" })),
      "NoSuchEntity",
      404,
      `Policy ${p.Arn} version v2 does not exist or is not attachable.`,
    );
    await expectErr(client.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v2" })), "NoSuchEntity", 404);

    await client.send(new SetDefaultPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v6" }));
    const after = await client.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn }));
    expect(after.Versions!.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId)).toEqual(["v6"]);
    await expectErr(
      client.send(new SetDefaultPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v2" })),
      "NoSuchEntity",
      404,
      `Policy ${p.Arn} version v2 does not exist or is not attachable.`,
    );
    await expectErr(
      client.send(new SetDefaultPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "x1" })),
      "ValidationError",
      400,
      /at 'versionId'/,
    );
  });

  it("returns documents URL-encoded, exactly as stored (GetPolicyVersion)", async () => {
    const stored =
      '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/100%/*"}]\n}';
    const p = await newPolicy("ver-enc", { PolicyDocument: stored });
    const out = await client.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v1" }));
    expect(out.PolicyVersion!.Document).toBe(encodeURIComponent(stored));
    expect(decodeURIComponent(out.PolicyVersion!.Document!)).toBe(stored);
    expect(out.PolicyVersion).toMatchObject({ VersionId: "v1", IsDefaultVersion: true });
    const raw = await rawSigned(
      { Action: "GetPolicyVersion", Version: "2010-05-08", PolicyArn: p.Arn!, VersionId: "v1" },
      { service: "iam", creds },
    );
    expect(raw.status).toBe(200);
    expect(xmlValue(raw.text, "Document")).toBe(encodeURIComponent(stored));
  });

  it("keeps the five-version limit under 20 parallel CreatePolicyVersion calls", async () => {
    const p = await newPolicy("ver-race");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        client.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: doc(`s3:X${n}`) })),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    const list = await client.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn }));
    expect(list.Versions!.map((v) => v.VersionId).sort()).toEqual(["v1", "v2", "v3", "v4", "v5"]);
  });

  it("answers NoSuchEntity for versions of an unknown policy", async () => {
    const arn = `arn:aws:iam::${A}:policy/ghost`;
    await expectErr(
      client.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc() })),
      "NoSuchEntity",
      404,
      `Policy ${arn} was not found.`,
    );
    await expectErr(
      client.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" })),
      "NoSuchEntity",
      404,
      `Policy ${arn} was not found.`,
    );
    await expectErr(client.send(new ListPolicyVersionsCommand({ PolicyArn: arn })), "NoSuchEntity", 404);
    await expectErr(client.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" })), "NoSuchEntity", 404);
    await expectErr(client.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: "{" })), "MalformedPolicyDocument", 400);
  });
});

describe("policy tags", () => {
  it("tags, overwrites case-insensitively, untags, lists with pagination", async () => {
    const p = await newPolicy("tags-1");
    await client.send(
      new TagPolicyCommand({
        PolicyArn: p.Arn,
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "b", Value: "2" },
          { Key: "c", Value: "3" },
        ],
      }),
    );
    await client.send(new TagPolicyCommand({ PolicyArn: p.Arn, Tags: [{ Key: "A", Value: "one" }] }));
    const all = await client.send(new ListPolicyTagsCommand({ PolicyArn: p.Arn }));
    expect(all.Tags).toEqual([
      { Key: "A", Value: "one" },
      { Key: "b", Value: "2" },
      { Key: "c", Value: "3" },
    ]);
    expect(all.IsTruncated).toBe(false);
    const p1 = await client.send(new ListPolicyTagsCommand({ PolicyArn: p.Arn, MaxItems: 2 }));
    expect(p1.Tags).toHaveLength(2);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(new ListPolicyTagsCommand({ PolicyArn: p.Arn, MaxItems: 2, Marker: p1.Marker }));
    expect(p2.Tags).toEqual([{ Key: "c", Value: "3" }]);
    await client.send(new UntagPolicyCommand({ PolicyArn: p.Arn, TagKeys: ["a", "zzz"] }));
    expect((await client.send(new ListPolicyTagsCommand({ PolicyArn: p.Arn }))).Tags!.map((t) => t.Key)).toEqual(["b", "c"]);
  });

  it("refuses aws: keys, duplicates and more than 50 tags", async () => {
    const p = await newPolicy("tags-2");
    await expectErr(client.send(new TagPolicyCommand({ PolicyArn: p.Arn, Tags: [{ Key: "aws:x", Value: "1" }] })), "InvalidInput", 400);
    await expectErr(
      client.send(
        new TagPolicyCommand({
          PolicyArn: p.Arn,
          Tags: [
            { Key: "k", Value: "1" },
            { Key: "K", Value: "2" },
          ],
        }),
      ),
      "InvalidInput",
      400,
    );
    await client.send(
      new TagPolicyCommand({ PolicyArn: p.Arn, Tags: Array.from({ length: 50 }, (_, n) => ({ Key: `k${n}`, Value: "v" })) }),
    );
    await expectErr(client.send(new TagPolicyCommand({ PolicyArn: p.Arn, Tags: [{ Key: "one-more", Value: "v" }] })), "LimitExceeded", 409);
    await client.send(new TagPolicyCommand({ PolicyArn: p.Arn, Tags: [{ Key: "K0", Value: "replaced" }] }));
    await expectErr(
      client.send(new TagPolicyCommand({ PolicyArn: `arn:aws:iam::${A}:policy/ghost`, Tags: [{ Key: "a", Value: "b" }] })),
      "NoSuchEntity",
      404,
    );
  });
});

describe("ListEntitiesForPolicy", () => {
  it("lists groups, users and roles using a policy, by EntityFilter, PolicyUsageFilter and PathPrefix, with pagination", async () => {
    const p = await newPolicy("ents-1");
    await client.send(new CreateUserCommand({ UserName: "ent-u1", Path: "/eng/" }));
    await client.send(new CreateUserCommand({ UserName: "ent-u2" }));
    await client.send(new CreateGroupCommand({ GroupName: "ent-g1" }));
    await client.send(new CreateRoleCommand({ RoleName: "ent-r1", AssumeRolePolicyDocument: TRUST }));
    await client.send(new AttachUserPolicyCommand({ UserName: "ent-u1", PolicyArn: p.Arn }));
    await client.send(new AttachGroupPolicyCommand({ GroupName: "ent-g1", PolicyArn: p.Arn }));
    await client.send(new AttachRolePolicyCommand({ RoleName: "ent-r1", PolicyArn: p.Arn }));
    await client.send(new PutUserPermissionsBoundaryCommand({ UserName: "ent-u2", PermissionsBoundary: p.Arn }));

    const all = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn }));
    expect(all.PolicyGroups!.map((g) => g.GroupName)).toEqual(["ent-g1"]);
    expect(all.PolicyUsers!.map((u) => u.UserName)).toEqual(["ent-u1", "ent-u2"]);
    expect(all.PolicyRoles!.map((r) => r.RoleName)).toEqual(["ent-r1"]);
    expect(all.PolicyUsers![0]!.UserId).toMatch(/^AIDA/);
    expect(all.PolicyGroups![0]!.GroupId).toMatch(/^AGPA/);
    expect(all.PolicyRoles![0]!.RoleId).toMatch(/^AROA/);

    const perm = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn, PolicyUsageFilter: "PermissionsPolicy" }));
    expect(perm.PolicyUsers!.map((u) => u.UserName)).toEqual(["ent-u1"]);
    const bnd = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn, PolicyUsageFilter: "PermissionsBoundary" }));
    expect(bnd.PolicyUsers!.map((u) => u.UserName)).toEqual(["ent-u2"]);
    expect(bnd.PolicyGroups).toEqual([]);
    const roles = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn, EntityFilter: "Role" }));
    expect(roles.PolicyUsers).toEqual([]);
    expect(roles.PolicyRoles!.map((r) => r.RoleName)).toEqual(["ent-r1"]);
    const eng = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn, PathPrefix: "/eng/" }));
    expect(eng.PolicyUsers!.map((u) => u.UserName)).toEqual(["ent-u1"]);
    expect(eng.PolicyGroups).toEqual([]);

    const names: string[] = [];
    let marker: string | undefined;
    do {
      const out = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: p.Arn, MaxItems: 1, Marker: marker }));
      names.push(
        ...out.PolicyGroups!.map((g) => g.GroupName!),
        ...out.PolicyUsers!.map((u) => u.UserName!),
        ...out.PolicyRoles!.map((r) => r.RoleName!),
      );
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    expect(names).toEqual(["ent-g1", "ent-u1", "ent-u2", "ent-r1"]);

    const pol = await client.send(new GetPolicyCommand({ PolicyArn: p.Arn }));
    expect(pol.Policy).toMatchObject({ AttachmentCount: 3, PermissionsBoundaryUsageCount: 1 });
    await expectErr(client.send(new ListEntitiesForPolicyCommand({ PolicyArn: `arn:aws:iam::${A}:policy/ghost` })), "NoSuchEntity", 404);
  });
});
