/** Roles and service-linked roles with the real @aws-sdk/client-iam against the sandbox. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  DeleteRoleCommand,
  DeleteServiceLinkedRoleCommand,
  GetRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
  type IAMClient,
  type Role,
} from "@aws-sdk/client-iam";
import { rawSigned, xmlValue, type Creds, type NewAccount } from "../helpers/sandbox";
import { codeOf, expectAwsError } from "../helpers/aws-errors";
import { TRUST, allowDoc } from "../helpers/documents";
import { withAccount } from "../helpers/fixtures";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";

const trustFor = (account: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Root",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": "a b%c" } },
      },
    ],
  });
const INLINE = allowDoc();

let account: NewAccount;
let creds: Creds;
let client: IAMClient;

beforeAll(async () => {
  ({ account, creds, iam: client } = await withAccount());
});

const create = (RoleName: string, extra: Partial<ConstructorParameters<typeof CreateRoleCommand>[0]> = {}) =>
  client.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: TRUST, ...extra }));

/** Runs a test body only when another family's action is registered (it may land later). */
async function unlessMissing(ctx: { skip: () => void }, p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (e instanceof IAMServiceException && codeOf(e) === "InvalidAction") ctx.skip();
    throw e;
  }
}

describe("CreateRole / GetRole", () => {
  it("creates a role and answers with AWS's create shape", async () => {
    const doc = trustFor(account.accountId);
    const out = await create("app-role", {
      Path: "/apps/",
      AssumeRolePolicyDocument: doc,
      Description: "my app",
      MaxSessionDuration: 7200,
      Tags: [
        { Key: "team", Value: "red" },
        { Key: "env", Value: "dev" },
      ],
    });
    const r = out.Role!;
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(r.RoleName).toBe("app-role");
    expect(r.Path).toBe("/apps/");
    expect(r.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(r.Arn).toBe(`arn:aws:iam::${account.accountId}:role/apps/app-role`);
    expect(r.CreateDate).toBeInstanceOf(Date);
    // Documents come back URL-encoded, exactly as stored.
    expect(r.AssumeRolePolicyDocument).toBe(encodeURIComponent(doc));
    expect(decodeURIComponent(r.AssumeRolePolicyDocument!)).toBe(doc);
    expect(r.Tags).toEqual([
      { Key: "team", Value: "red" },
      { Key: "env", Value: "dev" },
    ]);
    // AWS's CreateRole result leaves these out (GetRole has them).
    expect(r.MaxSessionDuration).toBeUndefined();
    expect(r.Description).toBeUndefined();
    expect(r.RoleLastUsed).toBeUndefined();
  });

  it("GetRole shows the whole role, with an empty RoleLastUsed when never used", async () => {
    const out = await client.send(new GetRoleCommand({ RoleName: "APP-ROLE" }));
    const r = out.Role!;
    expect(r.RoleName).toBe("app-role");
    expect(r.Description).toBe("my app");
    expect(r.MaxSessionDuration).toBe(7200);
    expect(r.Tags).toEqual([
      { Key: "team", Value: "red" },
      { Key: "env", Value: "dev" },
    ]);
    expect(r.RoleLastUsed).toEqual({});
    expect(r.PermissionsBoundary).toBeUndefined();
    expect(decodeURIComponent(r.AssumeRolePolicyDocument!)).toBe(trustFor(account.accountId));

    const raw = await rawSigned({ Action: "GetRole", Version: "2010-05-08", RoleName: "app-role" }, { service: "iam", creds });
    expect(raw.status).toBe(200);
    expect(raw.text).toMatch(/<RoleLastUsed(\/>|><\/RoleLastUsed>)/);
    expect(raw.text).toContain("<MaxSessionDuration>7200</MaxSessionDuration>");
    // Member order as AWS writes it.
    const order = [
      "Path",
      "RoleName",
      "RoleId",
      "Arn",
      "CreateDate",
      "AssumeRolePolicyDocument",
      "Description",
      "MaxSessionDuration",
      "Tags",
      "RoleLastUsed",
    ].map((t) => raw.text.indexOf(`<${t}>`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(xmlValue(raw.text, "AssumeRolePolicyDocument")).toBe(encodeURIComponent(trustFor(account.accountId)));
  });

  it("defaults: path /, MaxSessionDuration 3600, no description", async () => {
    await create("plain-role");
    const r = (await client.send(new GetRoleCommand({ RoleName: "plain-role" }))).Role!;
    expect(r.Path).toBe("/");
    expect(r.Arn).toBe(`arn:aws:iam::${account.accountId}:role/plain-role`);
    expect(r.MaxSessionDuration).toBe(3600);
    expect(r.Description).toBeUndefined();
    expect(r.Tags).toBeUndefined();
  });

  it("names are unique case-insensitively: EntityAlreadyExists 409", async () => {
    await expectAwsError(create("Plain-Role"), "EntityAlreadyExists", 409, "Role with name Plain-Role already exists.");
  });

  it("a missing role is NoSuchEntity 404", async () => {
    await expectAwsError(
      client.send(new GetRoleCommand({ RoleName: "nope" })),
      "NoSuchEntity",
      404,
      "The role with name nope cannot be found.",
    );
  });

  it("validates the role name", async () => {
    await expectAwsError(
      create("bad name!"),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await expectAwsError(
      create("x".repeat(65)),
      "ValidationError",
      400,
      /at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64/,
    );
  });

  it("validates the trust policy: MalformedPolicyDocument", async () => {
    await expectAwsError(
      create("bad-trust-1", { AssumeRolePolicyDocument: "{not json" }),
      "MalformedPolicyDocument",
      400,
      "This policy contains invalid Json",
    );
    const noPrincipal = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] });
    await expectAwsError(
      create("bad-trust-2", { AssumeRolePolicyDocument: noPrincipal }),
      "MalformedPolicyDocument",
      400,
      "Missing required field Principal",
    );
    const withResource = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Resource: "*" }],
    });
    await expectAwsError(
      create("bad-trust-3", { AssumeRolePolicyDocument: withResource }),
      "MalformedPolicyDocument",
      400,
      "Has prohibited field Resource",
    );
    await expectAwsError(client.send(new GetRoleCommand({ RoleName: "bad-trust-1" })), "NoSuchEntity", 404);
  });

  it("limits the trust policy to 2,048 characters without whitespace: LimitExceeded", async () => {
    const big = (n: number) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "A".repeat(n), Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
    const base = big(0).length;
    const exact = big(2048 - base);
    expect(exact.length).toBe(2048);
    // Whitespace does not count.
    const spaced = exact.replace(/,/g, ",   \n");
    await create("trust-2048", { AssumeRolePolicyDocument: spaced });
    const r = (await client.send(new GetRoleCommand({ RoleName: "trust-2048" }))).Role!;
    expect(decodeURIComponent(r.AssumeRolePolicyDocument!)).toBe(spaced);
    await expectAwsError(
      create("trust-2049", { AssumeRolePolicyDocument: big(2049 - base) }),
      "LimitExceeded",
      409,
      "Cannot exceed quota for ACLSizePerRole: 2048",
    );
  });

  it("MaxSessionDuration must be 3600..43200", async () => {
    await expectAwsError(
      create("msd-low", { MaxSessionDuration: 3599 }),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
    await expectAwsError(
      create("msd-high", { MaxSessionDuration: 43201 }),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
    await create("msd-max", { MaxSessionDuration: 43200 });
    expect((await client.send(new GetRoleCommand({ RoleName: "msd-max" }))).Role!.MaxSessionDuration).toBe(43200);
  });

  it("Description is at most 1000 characters", async () => {
    await expectAwsError(
      create("desc-long", { Description: "d".repeat(1001) }),
      "ValidationError",
      400,
      /at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000/,
    );
    await create("desc-1000", { Description: "d".repeat(1000) });
  });

  it("PermissionsBoundary must be an existing managed policy", async () => {
    const out = await create("bounded", { PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    expect(out.Role!.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: "Policy",
      PermissionsBoundaryArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    });
    const got = (await client.send(new GetRoleCommand({ RoleName: "bounded" }))).Role!;
    expect(got.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: "Policy",
      PermissionsBoundaryArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    });

    const missing = `arn:aws:iam::${account.accountId}:policy/nope`;
    await expectAwsError(
      create("bounded-2", { PermissionsBoundary: missing }),
      "NoSuchEntity",
      404,
      `Scope ARN: ${missing} does not exist or is not attachable.`,
    );
    await expectAwsError(create("bounded-3", { PermissionsBoundary: "arn:aws:iam::aws:policy/NoSuchAwsPolicyXyz" }), "NoSuchEntity", 404);
    await expectAwsError(
      create("bounded-4", { PermissionsBoundary: "arn:aws:s3:::my-bucket/key" }),
      "InvalidInput",
      400,
      "ARN arn:aws:s3:::my-bucket/key is not valid.",
    );
  });

  it("reserved paths are refused", async () => {
    await expectAwsError(
      create("sneaky", { Path: "/aws-service-role/ecs.amazonaws.com/" }),
      "InvalidInput",
      400,
      "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
    );
  });

  it("tags on create are validated", async () => {
    await expectAwsError(create("tag-bad", { Tags: [{ Key: "aws:x", Value: "1" }] }), "InvalidInput", 400);
    await expectAwsError(
      create("tag-dup", {
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "A", Value: "2" },
        ],
      }),
      "InvalidInput",
      400,
      "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
  });

  it("20 parallel creates of one name: exactly one wins", async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => create(i % 2 ? "race-role" : "RACE-ROLE")));
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") await expectAwsError(Promise.reject(r.reason), "EntityAlreadyExists", 409);
    }
    const list = await client.send(new ListRolesCommand({ PathPrefix: "/" }));
    expect(list.Roles!.filter((r) => r.RoleName!.toLowerCase() === "race-role")).toHaveLength(1);
  });
});

describe("ListRoles", () => {
  let c: IAMClient;
  beforeAll(async () => {
    ({ iam: c } = await withAccount());
    for (const [name, path] of [
      ["r-b", "/x/"],
      ["R-a", "/x/"],
      ["r-c", "/x/y/"],
      ["r-d", "/"],
      ["r-e", "/z/"],
    ] as const)
      await c.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: path,
          AssumeRolePolicyDocument: TRUST,
          Tags: [{ Key: "k", Value: "v" }],
          PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess",
          Description: `role ${name}`,
        }),
      );
  });

  it("lists all roles in name order without Tags, PermissionsBoundary or RoleLastUsed", async () => {
    const out = await c.send(new ListRolesCommand({}));
    expect(out.IsTruncated).toBe(false);
    expect(out.Marker).toBeUndefined();
    expect(out.Roles!.map((r) => r.RoleName)).toEqual(["R-a", "r-b", "r-c", "r-d", "r-e"]);
    for (const r of out.Roles!) {
      expect(r.Tags).toBeUndefined();
      expect(r.PermissionsBoundary).toBeUndefined();
      expect(r.RoleLastUsed).toBeUndefined();
      expect(r.MaxSessionDuration).toBe(3600);
      expect(r.Description).toBe(`role ${r.RoleName}`);
      expect(r.AssumeRolePolicyDocument).toBe(encodeURIComponent(TRUST));
    }
  });

  it("filters by PathPrefix", async () => {
    expect((await c.send(new ListRolesCommand({ PathPrefix: "/x/" }))).Roles!.map((r) => r.RoleName)).toEqual(["R-a", "r-b", "r-c"]);
    expect((await c.send(new ListRolesCommand({ PathPrefix: "/x/y" }))).Roles!.map((r) => r.RoleName)).toEqual(["r-c"]);
    expect((await c.send(new ListRolesCommand({ PathPrefix: "/none/" }))).Roles).toEqual([]);
  });

  it("paginates with MaxItems / Marker / IsTruncated", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await c.send(new ListRolesCommand({ MaxItems: 2, Marker: marker }));
      pages++;
      expect(out.Roles!.length).toBeLessThanOrEqual(2);
      seen.push(...out.Roles!.map((r: Role) => r.RoleName!));
      expect(out.IsTruncated).toBe(pages < 3);
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated) expect(out.Marker).toBeTruthy();
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(["R-a", "r-b", "r-c", "r-d", "r-e"]);
  });

  it("rejects MaxItems 0 and a garbage Marker", async () => {
    await expectAwsError(c.send(new ListRolesCommand({ MaxItems: 0 })), "ValidationError", 400, /maxItems/);
    await expectAwsError(c.send(new ListRolesCommand({ Marker: "%%%" })), "ValidationError", 400);
  });
});

describe("UpdateRole / UpdateRoleDescription / UpdateAssumeRolePolicy", () => {
  beforeAll(async () => {
    await create("upd-role", { Description: "before" });
  });

  it("UpdateRole changes Description and MaxSessionDuration", async () => {
    const out = await client.send(new UpdateRoleCommand({ RoleName: "upd-role", Description: "after", MaxSessionDuration: 10800 }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const r = (await client.send(new GetRoleCommand({ RoleName: "upd-role" }))).Role!;
    expect(r.Description).toBe("after");
    expect(r.MaxSessionDuration).toBe(10800);
    // Only what is given changes.
    await client.send(new UpdateRoleCommand({ RoleName: "upd-role", MaxSessionDuration: 3600 }));
    const r2 = (await client.send(new GetRoleCommand({ RoleName: "upd-role" }))).Role!;
    expect(r2.Description).toBe("after");
    expect(r2.MaxSessionDuration).toBe(3600);
  });

  it("UpdateRole validates and needs an existing role", async () => {
    await expectAwsError(
      client.send(new UpdateRoleCommand({ RoleName: "upd-role", MaxSessionDuration: 50000 })),
      "ValidationError",
      400,
      /Member must have value less than or equal to 43200/,
    );
    await expectAwsError(
      client.send(new UpdateRoleCommand({ RoleName: "ghost", Description: "x" })),
      "NoSuchEntity",
      404,
      "The role with name ghost cannot be found.",
    );
  });

  it("UpdateRoleDescription answers with the updated role", async () => {
    const out = await client.send(new UpdateRoleDescriptionCommand({ RoleName: "upd-role", Description: "described" }));
    expect(out.Role!.RoleName).toBe("upd-role");
    expect(out.Role!.Description).toBe("described");
    // AWS's answer has no MaxSessionDuration (nor RoleLastUsed): LocalStack's AWS-recorded snapshot.
    expect(out.Role!.MaxSessionDuration).toBeUndefined();
    expect((await client.send(new GetRoleCommand({ RoleName: "upd-role" }))).Role!.Description).toBe("described");
    await expectAwsError(client.send(new UpdateRoleDescriptionCommand({ RoleName: "ghost", Description: "x" })), "NoSuchEntity", 404);
  });

  it("UpdateAssumeRolePolicy replaces the trust policy after validating it", async () => {
    const doc = trustFor(account.accountId);
    await client.send(new UpdateAssumeRolePolicyCommand({ RoleName: "upd-role", PolicyDocument: doc }));
    expect((await client.send(new GetRoleCommand({ RoleName: "upd-role" }))).Role!.AssumeRolePolicyDocument).toBe(encodeURIComponent(doc));
    await expectAwsError(
      client.send(new UpdateAssumeRolePolicyCommand({ RoleName: "upd-role", PolicyDocument: "[]" })),
      "MalformedPolicyDocument",
      400,
    );
    const identity = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] });
    await expectAwsError(
      client.send(new UpdateAssumeRolePolicyCommand({ RoleName: "upd-role", PolicyDocument: identity })),
      "MalformedPolicyDocument",
      400,
    );
    const huge = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "A".repeat(3000), Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    await expectAwsError(
      client.send(new UpdateAssumeRolePolicyCommand({ RoleName: "upd-role", PolicyDocument: huge })),
      "LimitExceeded",
      409,
      "Cannot exceed quota for ACLSizePerRole: 2048",
    );
    // Unchanged after the failures.
    expect((await client.send(new GetRoleCommand({ RoleName: "upd-role" }))).Role!.AssumeRolePolicyDocument).toBe(encodeURIComponent(doc));
    await expectAwsError(client.send(new UpdateAssumeRolePolicyCommand({ RoleName: "ghost", PolicyDocument: doc })), "NoSuchEntity", 404);
  });
});

describe("Tags", () => {
  beforeAll(async () => {
    await create("tagged", { Tags: [{ Key: "a", Value: "1" }] });
  });

  it("TagRole adds and overwrites (keys case-insensitive), ListRoleTags lists, UntagRole removes", async () => {
    await client.send(
      new TagRoleCommand({
        RoleName: "tagged",
        Tags: [
          { Key: "b", Value: "2" },
          { Key: "A", Value: "one" },
          { Key: "c", Value: "" },
        ],
      }),
    );
    const list = await client.send(new ListRoleTagsCommand({ RoleName: "tagged" }));
    expect(list.IsTruncated).toBe(false);
    expect(list.Tags).toEqual([
      { Key: "A", Value: "one" },
      { Key: "b", Value: "2" },
      { Key: "c", Value: "" },
    ]);
    await client.send(new UntagRoleCommand({ RoleName: "tagged", TagKeys: ["B", "missing"] }));
    expect((await client.send(new ListRoleTagsCommand({ RoleName: "tagged" }))).Tags!.map((t) => t.Key)).toEqual(["A", "c"]);
    expect((await client.send(new GetRoleCommand({ RoleName: "tagged" }))).Role!.Tags).toEqual([
      { Key: "A", Value: "one" },
      { Key: "c", Value: "" },
    ]);
  });

  it("ListRoleTags paginates", async () => {
    await client.send(
      new TagRoleCommand({
        RoleName: "tagged",
        Tags: [
          { Key: "d", Value: "4" },
          { Key: "e", Value: "5" },
        ],
      }),
    );
    const p1 = await client.send(new ListRoleTagsCommand({ RoleName: "tagged", MaxItems: 3 }));
    expect(p1.Tags!.map((t) => t.Key)).toEqual(["A", "c", "d"]);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(new ListRoleTagsCommand({ RoleName: "tagged", MaxItems: 3, Marker: p1.Marker }));
    expect(p2.Tags!.map((t) => t.Key)).toEqual(["e"]);
    expect(p2.IsTruncated).toBe(false);
  });

  it("errors: missing role, reserved prefix, more than 50 tags", async () => {
    await expectAwsError(client.send(new TagRoleCommand({ RoleName: "ghost", Tags: [{ Key: "x", Value: "y" }] })), "NoSuchEntity", 404);
    await expectAwsError(client.send(new UntagRoleCommand({ RoleName: "ghost", TagKeys: ["x"] })), "NoSuchEntity", 404);
    await expectAwsError(client.send(new ListRoleTagsCommand({ RoleName: "ghost" })), "NoSuchEntity", 404);
    await expectAwsError(
      client.send(new TagRoleCommand({ RoleName: "tagged", Tags: [{ Key: "aws:cost", Value: "y" }] })),
      "InvalidInput",
      400,
      "User-defined tag keys can't start with 'aws:', as this prefix is reserved for AWS-defined tags.",
    );
    const many = Array.from({ length: 47 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await expectAwsError(
      client.send(new TagRoleCommand({ RoleName: "tagged", Tags: many })),
      "LimitExceeded",
      409,
      "The number of tags has reached the maximum limit.",
    );
    expect((await client.send(new ListRoleTagsCommand({ RoleName: "tagged" }))).Tags).toHaveLength(4);
  });

  it("parallel TagRole calls cannot push a role past 50 tags", async () => {
    await create("tag-race");
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 10 }, (_, i) => ({ Key: `b${b}-k${i}`, Value: "v" })));
    const results = await Promise.allSettled(batches.map((Tags) => client.send(new TagRoleCommand({ RoleName: "tag-race", Tags }))));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("LimitExceeded");
    const tags = (await client.send(new ListRoleTagsCommand({ RoleName: "tag-race" }))).Tags!;
    expect(tags.length).toBe(ok * 10);
    expect(tags.length).toBeLessThanOrEqual(50);
  });
});

describe("DeleteRole", () => {
  it("deletes a role and its tags", async () => {
    await create("doomed", { Tags: [{ Key: "t", Value: "1" }] });
    const out = await client.send(new DeleteRoleCommand({ RoleName: "DOOMED" }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    await expectAwsError(client.send(new GetRoleCommand({ RoleName: "doomed" })), "NoSuchEntity", 404);
    await expectAwsError(
      client.send(new DeleteRoleCommand({ RoleName: "doomed" })),
      "NoSuchEntity",
      404,
      "The role with name doomed cannot be found.",
    );
    // Recreating starts clean.
    await create("doomed");
    expect((await client.send(new GetRoleCommand({ RoleName: "doomed" }))).Role!.Tags).toBeUndefined();
  });

  it("DeleteConflict while an instance profile holds the role", async () => {
    await create("in-profile");
    await client.send(new CreateInstanceProfileCommand({ InstanceProfileName: "holder" }));
    await client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "holder", RoleName: "in-profile" }));
    await expectAwsError(
      client.send(new DeleteRoleCommand({ RoleName: "in-profile" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must remove roles from instance profile first.",
    );
  });

  it("DeleteConflict while a managed policy is attached", async (ctx) => {
    await create("with-managed");
    await unlessMissing(
      ctx,
      client.send(new AttachRolePolicyCommand({ RoleName: "with-managed", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })),
    );
    await expectAwsError(
      client.send(new DeleteRoleCommand({ RoleName: "with-managed" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must detach all policies first.",
    );
  });

  it("DeleteConflict while an inline policy exists", async (ctx) => {
    await create("with-inline");
    await unlessMissing(ctx, client.send(new PutRolePolicyCommand({ RoleName: "with-inline", PolicyName: "p", PolicyDocument: INLINE })));
    await expectAwsError(
      client.send(new DeleteRoleCommand({ RoleName: "with-inline" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete policies first.",
    );
  });

  it("parallel deletes: exactly one succeeds", async () => {
    await create("del-race");
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => client.send(new DeleteRoleCommand({ RoleName: "del-race" }))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("NoSuchEntity");
  });
});

describe("service-linked roles", () => {
  let acct: NewAccount;
  let c: IAMClient;
  beforeAll(async () => {
    ({ account: acct, iam: c } = await withAccount());
  });

  it("CreateServiceLinkedRole names, places and trusts the role as AWS does", async () => {
    const out = await c.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: "elasticbeanstalk.amazonaws.com", Description: "for EB" }),
    );
    const r = out.Role!;
    expect(r.RoleName).toBe("AWSServiceRoleForElasticBeanstalk");
    expect(r.Path).toBe("/aws-service-role/elasticbeanstalk.amazonaws.com/");
    expect(r.Arn).toBe(
      `arn:aws:iam::${acct.accountId}:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk`,
    );
    expect(r.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    const trust = JSON.parse(decodeURIComponent(r.AssumeRolePolicyDocument!));
    expect(trust.Statement[0]).toEqual({
      Effect: "Allow",
      Principal: { Service: "elasticbeanstalk.amazonaws.com" },
      Action: "sts:AssumeRole",
    });
    const got = (await c.send(new GetRoleCommand({ RoleName: "AWSServiceRoleForElasticBeanstalk" }))).Role!;
    expect(got.Description).toBe("for EB");
    expect(got.MaxSessionDuration).toBe(3600);
  });

  it("carries the service's AWS-managed policy", async (ctx) => {
    let attached: { AttachedPolicies?: unknown[] } = {};
    await unlessMissing(
      ctx,
      c.send(new ListAttachedRolePoliciesCommand({ RoleName: "AWSServiceRoleForElasticBeanstalk" })).then((o) => {
        attached = o;
      }),
    );
    expect(attached.AttachedPolicies).toEqual([
      {
        PolicyName: "AWSElasticBeanstalkServiceRolePolicy",
        PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/AWSElasticBeanstalkServiceRolePolicy",
      },
    ]);
  });

  it("a second create is InvalidInput (name taken)", async () => {
    await expectAwsError(
      c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "elasticbeanstalk.amazonaws.com" })),
      "InvalidInput",
      400,
      "Service role name AWSServiceRoleForElasticBeanstalk has been taken in this account, please try a different suffix.",
    );
  });

  it("CustomSuffix where the service allows it, InvalidInput where not", async () => {
    const out = await c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "autoscaling.amazonaws.com", CustomSuffix: "web" }));
    expect(out.Role!.RoleName).toBe("AWSServiceRoleForAutoScaling_web");
    expect(out.Role!.Path).toBe("/aws-service-role/autoscaling.amazonaws.com/");
    await c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "autoscaling.amazonaws.com" }));
    await expectAwsError(
      c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "ecs.amazonaws.com", CustomSuffix: "x" })),
      "InvalidInput",
      400,
      "Custom suffix is not allowed for ecs.amazonaws.com",
    );
  });

  it("an unknown service is InvalidInput", async () => {
    await expectAwsError(
      c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "nosuchservice.amazonaws.com" })),
      "InvalidInput",
      400,
      /nosuchservice\.amazonaws\.com/,
    );
  });

  it("parallel creates for one service: exactly one wins", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "spot.amazonaws.com" }))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("InvalidInput");
  });

  it("is protected from edits: UnmodifiableEntity", async () => {
    const name = "AWSServiceRoleForElasticBeanstalk";
    const msg = `Cannot perform the operation on the protected role '${name}' - this role is only modifiable by AWS`;
    await expectAwsError(
      c.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: TRUST })),
      "UnmodifiableEntity",
      400,
      msg,
    );
    await expectAwsError(c.send(new DeleteRoleCommand({ RoleName: name })), "UnmodifiableEntity", 400, msg);
    await expectAwsError(
      c.send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 7200 })),
      "UnmodifiableEntity",
      400,
      `${name} is an AWS service linked role, max session duration cannot be changed.`,
    );
    await c.send(new CreateInstanceProfileCommand({ InstanceProfileName: "slr-holder" }));
    await expectAwsError(
      c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "slr-holder", RoleName: name })),
      "UnmodifiableEntity",
      400,
      msg,
    );
    // What AWS lets through: descriptions and tags.
    await c.send(new UpdateRoleCommand({ RoleName: name, Description: "edited" }));
    expect((await c.send(new UpdateRoleDescriptionCommand({ RoleName: name, Description: "edited again" }))).Role!.Description).toBe(
      "edited again",
    );
    await c.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: "k", Value: "v" }] }));
    // The trust policy is unchanged.
    const trust = JSON.parse(decodeURIComponent((await c.send(new GetRoleCommand({ RoleName: name }))).Role!.AssumeRolePolicyDocument!));
    expect(trust.Statement[0].Principal).toEqual({ Service: "elasticbeanstalk.amazonaws.com" });
  });

  it("policy changes on it are UnmodifiableEntity too", async () => {
    const name = "AWSServiceRoleForElasticBeanstalk";
    await expectAwsError(
      c.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: INLINE })),
      "UnmodifiableEntity",
      400,
    );
    await expectAwsError(
      c.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })),
      "UnmodifiableEntity",
      400,
    );
  });

  it("DeleteServiceLinkedRole returns a task that completes, and the role is gone", async () => {
    const out = await c.send(new DeleteServiceLinkedRoleCommand({ RoleName: "AWSServiceRoleForElasticBeanstalk" }));
    expect(out.DeletionTaskId).toMatch(
      /^task\/aws-service-role\/elasticbeanstalk\.amazonaws\.com\/AWSServiceRoleForElasticBeanstalk\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const st = await c.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: out.DeletionTaskId }));
    expect(st.Status).toBe("SUCCEEDED");
    expect(st.Reason).toBeUndefined();
    await expectAwsError(c.send(new GetRoleCommand({ RoleName: "AWSServiceRoleForElasticBeanstalk" })), "NoSuchEntity", 404);
    // The service can link a new role afterwards.
    await c.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "elasticbeanstalk.amazonaws.com" }));
  });

  it("DeleteServiceLinkedRole errors, unknown deletion task", async () => {
    await expectAwsError(
      c.send(new DeleteServiceLinkedRoleCommand({ RoleName: "ghost" })),
      "NoSuchEntity",
      404,
      "The role with name ghost cannot be found.",
    );
    await c.send(new CreateRoleCommand({ RoleName: "ordinary", AssumeRolePolicyDocument: TRUST }));
    await expectAwsError(c.send(new DeleteServiceLinkedRoleCommand({ RoleName: "ordinary" })), "NoSuchEntity", 404);
    await expectAwsError(
      c.send(
        new GetServiceLinkedRoleDeletionStatusCommand({
          DeletionTaskId: "task/aws-service-role/x.amazonaws.com/AWSServiceRoleForX/00000000-0000-0000-0000-000000000000",
        }),
      ),
      "NoSuchEntity",
      404,
    );
    // Another account cannot read this account's tasks.
    const del = await c.send(new DeleteServiceLinkedRoleCommand({ RoleName: "AWSServiceRoleForAutoScaling_web" }));
    await expectAwsError(
      client.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: del.DeletionTaskId })),
      "NoSuchEntity",
      404,
    );
  });
});

describe("accounts are isolated", () => {
  it("a role of one account is invisible to another", async () => {
    const other = (await withAccount()).iam;
    await expectAwsError(other.send(new GetRoleCommand({ RoleName: "app-role" })), "NoSuchEntity", 404);
    expect((await other.send(new ListRolesCommand({}))).Roles).toEqual([]);
    // Same name is free there.
    await other.send(new CreateRoleCommand({ RoleName: "app-role", AssumeRolePolicyDocument: TRUST }));
  });
});

describe.skipIf(!hasAwsCli)("AWS CLI round trip", () => {
  /** What the CLI prints, as far as these tests read it. */
  interface CliRole {
    Arn: string;
    RoleName: string;
    AssumeRolePolicyDocument: unknown;
    MaxSessionDuration: number;
    RoleLastUsed: unknown;
  }
  interface CliOut {
    Role: CliRole;
    Roles: CliRole[];
    InstanceProfile: { Roles: CliRole[] };
  }
  const run = (creds: Creds, ...args: string[]) => awsCli<CliOut>(creds, "iam", ...args);

  it("create-role / get-role / list-roles: botocore decodes the URL-encoded trust policy (even with %)", async () => {
    const { account: a, creds: cr } = await withAccount();
    const doc = trustFor(a.accountId);
    const created = await run(
      cr,
      "create-role",
      "--role-name",
      "cli-role",
      "--path",
      "/cli/",
      "--assume-role-policy-document",
      doc,
      "--max-session-duration",
      "7200",
    );
    expect(created.Role.Arn).toBe(`arn:aws:iam::${a.accountId}:role/cli/cli-role`);
    expect(created.Role.AssumeRolePolicyDocument).toEqual(JSON.parse(doc));
    const got = await run(cr, "get-role", "--role-name", "cli-role");
    expect(got.Role.AssumeRolePolicyDocument).toEqual(JSON.parse(doc));
    expect(got.Role.MaxSessionDuration).toBe(7200);
    expect(got.Role.RoleLastUsed).toEqual({});
    await run(cr, "create-role", "--role-name", "cli-role-2", "--assume-role-policy-document", TRUST);
    const listed = await run(cr, "list-roles", "--page-size", "1");
    expect(listed.Roles.map((r) => r.RoleName)).toEqual(["cli-role", "cli-role-2"]);
    await run(cr, "create-instance-profile", "--instance-profile-name", "cli-ip");
    await run(cr, "add-role-to-instance-profile", "--instance-profile-name", "cli-ip", "--role-name", "cli-role");
    const ip = await run(cr, "get-instance-profile", "--instance-profile-name", "cli-ip");
    expect(ip.InstanceProfile.Roles[0]!.AssumeRolePolicyDocument).toEqual(JSON.parse(doc));
  }, 30_000);
});
