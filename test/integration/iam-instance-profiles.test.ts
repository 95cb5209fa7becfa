/** Instance profiles with the real @aws-sdk/client-iam against the sandbox. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  GetInstanceProfileCommand,
  ListInstanceProfileTagsCommand,
  ListInstanceProfilesCommand,
  ListInstanceProfilesForRoleCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagInstanceProfileCommand,
  UntagInstanceProfileCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { rawSigned, type Creds, type NewAccount } from "../helpers/sandbox";
import { codeOf, expectAwsError } from "../helpers/aws-errors";
import { TRUST } from "../helpers/documents";
import { withAccount } from "../helpers/fixtures";

let account: NewAccount;
let creds: Creds;
let c: IAMClient;

beforeAll(async () => {
  ({ account, creds, iam: c } = await withAccount());
});

const role = (RoleName: string, Path = "/") => c.send(new CreateRoleCommand({ RoleName, Path, AssumeRolePolicyDocument: TRUST }));
const profile = (InstanceProfileName: string, extra: { Path?: string; Tags?: { Key: string; Value: string }[] } = {}) =>
  c.send(new CreateInstanceProfileCommand({ InstanceProfileName, ...extra }));

describe("CreateInstanceProfile / GetInstanceProfile", () => {
  it("creates a profile with AWS's shape", async () => {
    const out = await profile("web", { Path: "/fleet/", Tags: [{ Key: "team", Value: "ops" }] });
    const p = out.InstanceProfile!;
    expect(p.InstanceProfileName).toBe("web");
    expect(p.Path).toBe("/fleet/");
    expect(p.InstanceProfileId).toMatch(/^AIPA[A-Z2-7]{17}$/);
    expect(p.Arn).toBe(`arn:aws:iam::${account.accountId}:instance-profile/fleet/web`);
    expect(p.CreateDate).toBeInstanceOf(Date);
    expect(p.Roles).toEqual([]);
    expect(p.Tags).toEqual([{ Key: "team", Value: "ops" }]);

    const raw = await rawSigned(
      { Action: "CreateInstanceProfile", Version: "2010-05-08", InstanceProfileName: "raw-one" },
      { service: "iam", creds },
    );
    expect(raw.status).toBe(200);
    expect(raw.text).toMatch(/<Roles(\/>|><\/Roles>)/);
  });

  it("GetInstanceProfile finds it case-insensitively, with its tags", async () => {
    const p = (await c.send(new GetInstanceProfileCommand({ InstanceProfileName: "WEB" }))).InstanceProfile!;
    expect(p.InstanceProfileName).toBe("web");
    expect(p.Roles).toEqual([]);
    expect(p.Tags).toEqual([{ Key: "team", Value: "ops" }]);
  });

  it("names are unique case-insensitively: EntityAlreadyExists 409", async () => {
    await expectAwsError(profile("Web"), "EntityAlreadyExists", 409, "Instance Profile Web already exists.");
  });

  it("a missing profile is NoSuchEntity 404", async () => {
    await expectAwsError(
      c.send(new GetInstanceProfileCommand({ InstanceProfileName: "nope" })),
      "NoSuchEntity",
      404,
      "Instance Profile nope cannot be found.",
    );
  });

  it("validates name, path and tags", async () => {
    await expectAwsError(
      profile("bad name"),
      "ValidationError",
      400,
      /at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    await expectAwsError(profile("x".repeat(129)), "ValidationError", 400, /Member must have length less than or equal to 128/);
    await expectAwsError(profile("tag-bad", { Tags: [{ Key: "aws:x", Value: "1" }] }), "InvalidInput", 400);
  });

  it("20 parallel creates of one name: exactly one wins", async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => profile("race-profile")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("EntityAlreadyExists");
  });
});

describe("roles in profiles", () => {
  beforeAll(async () => {
    await role("app", "/svc/");
    await role("other");
    await profile("app-profile");
  });

  it("AddRoleToInstanceProfile puts the role in; Get and ListInstanceProfilesForRole show it", async () => {
    const out = await c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "APP" }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const p = (await c.send(new GetInstanceProfileCommand({ InstanceProfileName: "app-profile" }))).InstanceProfile!;
    expect(p.Roles).toHaveLength(1);
    const r = p.Roles![0]!;
    expect(r.RoleName).toBe("app");
    expect(r.Path).toBe("/svc/");
    expect(r.Arn).toBe(`arn:aws:iam::${account.accountId}:role/svc/app`);
    expect(r.RoleId).toMatch(/^AROA/);
    expect(r.AssumeRolePolicyDocument).toBe(encodeURIComponent(TRUST));

    const forRole = await c.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app" }));
    expect(forRole.InstanceProfiles!.map((x) => x.InstanceProfileName)).toEqual(["app-profile"]);
    expect(forRole.IsTruncated).toBe(false);
    expect((await c.send(new ListInstanceProfilesForRoleCommand({ RoleName: "other" }))).InstanceProfiles).toEqual([]);
  });

  it("one role per profile: LimitExceeded 409", async () => {
    const msg = "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1";
    await expectAwsError(
      c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "other" })),
      "LimitExceeded",
      409,
      msg,
    );
    await expectAwsError(
      c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "app" })),
      "LimitExceeded",
      409,
      msg,
    );
  });

  it("a role may sit in several profiles", async () => {
    await profile("app-profile-2");
    await c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile-2", RoleName: "app" }));
    const forRole = await c.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app" }));
    expect(forRole.InstanceProfiles!.map((x) => x.InstanceProfileName)).toEqual(["app-profile", "app-profile-2"]);
    const p1 = await c.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app", MaxItems: 1 }));
    expect(p1.InstanceProfiles!.map((x) => x.InstanceProfileName)).toEqual(["app-profile"]);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await c.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app", MaxItems: 1, Marker: p1.Marker }));
    expect(p2.InstanceProfiles!.map((x) => x.InstanceProfileName)).toEqual(["app-profile-2"]);
    expect(p2.IsTruncated).toBe(false);
  });

  it("missing profile or role: NoSuchEntity", async () => {
    await expectAwsError(
      c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "ghost", RoleName: "app" })),
      "NoSuchEntity",
      404,
      "Instance Profile ghost cannot be found.",
    );
    await profile("empty");
    await expectAwsError(
      c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "empty", RoleName: "ghost" })),
      "NoSuchEntity",
      404,
      "The role with name ghost cannot be found.",
    );
    await expectAwsError(
      c.send(new ListInstanceProfilesForRoleCommand({ RoleName: "ghost" })),
      "NoSuchEntity",
      404,
      "The role with name ghost cannot be found.",
    );
    await expectAwsError(
      c.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "empty", RoleName: "app" })),
      "NoSuchEntity",
      404,
    );
    await expectAwsError(
      c.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "ghost", RoleName: "app" })),
      "NoSuchEntity",
      404,
      "Instance Profile ghost cannot be found.",
    );
  });

  it("DeleteInstanceProfile and DeleteRole: DeleteConflict while the role is in; fine after RemoveRoleFromInstanceProfile", async () => {
    await expectAwsError(
      c.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "app-profile-2" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must remove roles from instance profile first.",
    );
    await expectAwsError(
      c.send(new DeleteRoleCommand({ RoleName: "app" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must remove roles from instance profile first.",
    );
    await c.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "app-profile-2", RoleName: "app" }));
    expect((await c.send(new GetInstanceProfileCommand({ InstanceProfileName: "app-profile-2" }))).InstanceProfile!.Roles).toEqual([]);
    await c.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "app-profile-2" }));
    await expectAwsError(c.send(new GetInstanceProfileCommand({ InstanceProfileName: "app-profile-2" })), "NoSuchEntity", 404);
    await expectAwsError(c.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "app-profile-2" })), "NoSuchEntity", 404);
    // Still held by app-profile.
    await expectAwsError(c.send(new DeleteRoleCommand({ RoleName: "app" })), "DeleteConflict", 409);
    await c.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "app" }));
    await c.send(new DeleteRoleCommand({ RoleName: "app" }));
  });

  it("20 parallel adds of different roles to one profile: exactly one wins", async () => {
    await profile("contested");
    const names = Array.from({ length: 20 }, (_, i) => `contender-${i}`);
    for (const n of names) await role(n);
    const results = await Promise.allSettled(
      names.map((RoleName) => c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "contested", RoleName }))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("LimitExceeded");
    const p = (await c.send(new GetInstanceProfileCommand({ InstanceProfileName: "contested" }))).InstanceProfile!;
    expect(p.Roles).toHaveLength(1);
    const winner = names[results.findIndex((r) => r.status === "fulfilled")]!;
    expect(p.Roles![0]!.RoleName).toBe(winner);
  });

  it("racing DeleteRole against AddRoleToInstanceProfile leaves no dangling role", async () => {
    for (let i = 0; i < 5; i++) {
      await role(`flip-${i}`);
      await profile(`flip-p-${i}`);
      const [add, del] = await Promise.allSettled([
        c.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: `flip-p-${i}`, RoleName: `flip-${i}` })),
        c.send(new DeleteRoleCommand({ RoleName: `flip-${i}` })),
      ]);
      const roles = (await c.send(new GetInstanceProfileCommand({ InstanceProfileName: `flip-p-${i}` }))).InstanceProfile!.Roles!;
      if (add!.status === "fulfilled") {
        expect(del!.status).toBe("rejected");
        expect(codeOf((del as PromiseRejectedResult).reason)).toBe("DeleteConflict");
        expect(roles.map((r) => r.RoleName)).toEqual([`flip-${i}`]);
      } else {
        expect(del!.status).toBe("fulfilled");
        expect(codeOf(add!.reason)).toBe("NoSuchEntity");
        expect(roles).toEqual([]);
      }
    }
  });
});

describe("ListInstanceProfiles", () => {
  let c2: IAMClient;
  beforeAll(async () => {
    c2 = (await withAccount()).iam;
    for (const [name, path] of [
      ["p-b", "/a/"],
      ["P-a", "/a/"],
      ["p-c", "/a/b/"],
      ["p-d", "/"],
      ["p-e", "/z/"],
    ] as const)
      await c2.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: path, Tags: [{ Key: "k", Value: "v" }] }));
    await c2.send(new CreateRoleCommand({ RoleName: "member", AssumeRolePolicyDocument: TRUST }));
    await c2.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "p-d", RoleName: "member" }));
  });

  it("lists in name order with roles, without tags", async () => {
    const out = await c2.send(new ListInstanceProfilesCommand({}));
    expect(out.IsTruncated).toBe(false);
    expect(out.InstanceProfiles!.map((p) => p.InstanceProfileName)).toEqual(["P-a", "p-b", "p-c", "p-d", "p-e"]);
    for (const p of out.InstanceProfiles!) expect(p.Tags).toBeUndefined();
    expect(out.InstanceProfiles!.find((p) => p.InstanceProfileName === "p-d")!.Roles!.map((r) => r.RoleName)).toEqual(["member"]);
  });

  it("filters by PathPrefix", async () => {
    expect(
      (await c2.send(new ListInstanceProfilesCommand({ PathPrefix: "/a/" }))).InstanceProfiles!.map((p) => p.InstanceProfileName),
    ).toEqual(["P-a", "p-b", "p-c"]);
    expect(
      (await c2.send(new ListInstanceProfilesCommand({ PathPrefix: "/a/b/" }))).InstanceProfiles!.map((p) => p.InstanceProfileName),
    ).toEqual(["p-c"]);
  });

  it("paginates with MaxItems / Marker / IsTruncated", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await c2.send(new ListInstanceProfilesCommand({ MaxItems: 2, Marker: marker }));
      pages++;
      seen.push(...out.InstanceProfiles!.map((p) => p.InstanceProfileName!));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(["P-a", "p-b", "p-c", "p-d", "p-e"]);
  });
});

describe("instance profile tags", () => {
  beforeAll(async () => {
    await profile("tagged", { Tags: [{ Key: "a", Value: "1" }] });
  });

  it("Tag / List / Untag", async () => {
    await c.send(
      new TagInstanceProfileCommand({
        InstanceProfileName: "tagged",
        Tags: [
          { Key: "b", Value: "2" },
          { Key: "A", Value: "one" },
        ],
      }),
    );
    expect((await c.send(new ListInstanceProfileTagsCommand({ InstanceProfileName: "tagged" }))).Tags).toEqual([
      { Key: "A", Value: "one" },
      { Key: "b", Value: "2" },
    ]);
    const p1 = await c.send(new ListInstanceProfileTagsCommand({ InstanceProfileName: "tagged", MaxItems: 1 }));
    expect(p1.IsTruncated).toBe(true);
    const p2 = await c.send(new ListInstanceProfileTagsCommand({ InstanceProfileName: "tagged", MaxItems: 1, Marker: p1.Marker }));
    expect(p2.Tags).toEqual([{ Key: "b", Value: "2" }]);
    expect(p2.IsTruncated).toBe(false);
    await c.send(new UntagInstanceProfileCommand({ InstanceProfileName: "tagged", TagKeys: ["a"] }));
    expect((await c.send(new GetInstanceProfileCommand({ InstanceProfileName: "tagged" }))).InstanceProfile!.Tags).toEqual([
      { Key: "b", Value: "2" },
    ]);
  });

  it("errors", async () => {
    await expectAwsError(
      c.send(new TagInstanceProfileCommand({ InstanceProfileName: "ghost", Tags: [{ Key: "x", Value: "y" }] })),
      "NoSuchEntity",
      404,
      "Instance Profile ghost cannot be found.",
    );
    await expectAwsError(c.send(new ListInstanceProfileTagsCommand({ InstanceProfileName: "ghost" })), "NoSuchEntity", 404);
    await expectAwsError(c.send(new UntagInstanceProfileCommand({ InstanceProfileName: "ghost", TagKeys: ["x"] })), "NoSuchEntity", 404);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await expectAwsError(
      c.send(new TagInstanceProfileCommand({ InstanceProfileName: "tagged", Tags: many })),
      "LimitExceeded",
      409,
      "The number of tags has reached the maximum limit.",
    );
  });

  it("deleting a profile deletes its tags", async () => {
    await profile("short-lived", { Tags: [{ Key: "x", Value: "1" }] });
    await c.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "short-lived" }));
    await profile("short-lived");
    expect((await c.send(new ListInstanceProfileTagsCommand({ InstanceProfileName: "short-lived" }))).Tags).toEqual([]);
  });
});
