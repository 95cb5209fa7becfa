/** IAM groups with the real @aws-sdk/client-iam: lifecycle, membership, pagination, conflicts, limits, races. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteUserCommand,
  GetGroupCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  RemoveUserFromGroupCommand,
  UpdateGroupCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { rawSigned, type Creds } from "../helpers/sandbox";
import { codeOf, expectAwsError as expectErr } from "../helpers/aws-errors";
import { withAccount } from "../helpers/fixtures";

let client: IAMClient;
let creds: Creds;
let A: string;

beforeAll(async () => {
  ({ creds, iam: client, id: A } = await withAccount());
});

describe("CreateGroup / GetGroup / ListGroups", () => {
  it("creates a group with AWS's id and ARN shapes; GetGroup shows it with no users", async () => {
    const g = (await client.send(new CreateGroupCommand({ GroupName: "admins" }))).Group!;
    expect(g).toMatchObject({ Path: "/", GroupName: "admins", Arn: `arn:aws:iam::${A}:group/admins` });
    expect(g.GroupId).toMatch(/^AGPA[A-Z2-7]{17}$/);
    expect(g.CreateDate).toBeInstanceOf(Date);
    const got = await client.send(new GetGroupCommand({ GroupName: "ADMINS" }));
    expect(got.Group).toEqual(g);
    expect(got.Users).toEqual([]);
    expect(got.IsTruncated).toBe(false);

    const p = (await client.send(new CreateGroupCommand({ GroupName: "ops", Path: "/some/location/" }))).Group!;
    expect(p.Arn).toBe(`arn:aws:iam::${A}:group/some/location/ops`);
  });

  it("writes Group in AWS's element order", async () => {
    const r = await rawSigned({ Action: "GetGroup", Version: "2010-05-08", GroupName: "admins" }, { service: "iam", creds });
    expect(r.text).toMatch(
      new RegExp(
        `<GetGroupResult><Group><Path>/</Path><GroupName>admins</GroupName><GroupId>AGPA[A-Z2-7]{17}</GroupId>` +
          `<Arn>arn:aws:iam::${A}:group/admins</Arn><CreateDate>[0-9T:-]+Z</CreateDate></Group><Users/?>(</Users>)?<IsTruncated>false</IsTruncated></GetGroupResult>`,
      ),
    );
  });

  it("duplicate names (any case) are EntityAlreadyExists; missing groups NoSuchEntity; bad names ValidationError", async () => {
    await expectErr(
      client.send(new CreateGroupCommand({ GroupName: "Admins" })),
      "EntityAlreadyExists",
      409,
      "Group with name Admins already exists.",
    );
    await expectErr(
      client.send(new GetGroupCommand({ GroupName: "nope" })),
      "NoSuchEntity",
      404,
      "The group with name nope cannot be found.",
    );
    await expectErr(
      client.send(new CreateGroupCommand({ GroupName: "a b" })),
      "ValidationError",
      400,
      "1 validation error detected: Value at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await expectErr(
      client.send(new CreateGroupCommand({ GroupName: "g".repeat(129) })),
      "ValidationError",
      400,
      /Member must have length less than or equal to 128/,
    );
  });

  it("ListGroups paginates in name order and filters by PathPrefix", async () => {
    const c = (await withAccount()).iam;
    for (const [n, p] of [
      ["g3", "/"],
      ["G1", "/x/"],
      ["g2", "/x/y/"],
      ["g4", "/"],
    ] as const)
      await c.send(new CreateGroupCommand({ GroupName: n, Path: p }));
    const p1 = await c.send(new ListGroupsCommand({ MaxItems: 3 }));
    expect(p1.Groups!.map((g) => g.GroupName)).toEqual(["G1", "g2", "g3"]);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await c.send(new ListGroupsCommand({ MaxItems: 3, Marker: p1.Marker }));
    expect(p2.Groups!.map((g) => g.GroupName)).toEqual(["g4"]);
    expect(p2.IsTruncated).toBe(false);
    expect(p2.Marker).toBeUndefined();
    expect((await c.send(new ListGroupsCommand({ PathPrefix: "/x/" }))).Groups!.map((g) => g.GroupName)).toEqual(["G1", "g2"]);
  });

  it("20 parallel CreateGroup of one name: exactly one wins", async () => {
    const res = await Promise.allSettled(Array.from({ length: 20 }, () => client.send(new CreateGroupCommand({ GroupName: "race" }))));
    expect(res.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of res) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("EntityAlreadyExists");
  });
});

describe("UpdateGroup", () => {
  it("renames and moves a group, keeping its id and members", async () => {
    const g = (await client.send(new CreateGroupCommand({ GroupName: "devs" }))).Group!;
    await client.send(new CreateUserCommand({ UserName: "dev1" }));
    await client.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "dev1" }));
    await client.send(new UpdateGroupCommand({ GroupName: "devs", NewGroupName: "developers", NewPath: "/eng/" }));
    const got = await client.send(new GetGroupCommand({ GroupName: "developers" }));
    expect(got.Group).toMatchObject({
      GroupId: g.GroupId,
      GroupName: "developers",
      Path: "/eng/",
      Arn: `arn:aws:iam::${A}:group/eng/developers`,
    });
    expect(got.Users!.map((u) => u.UserName)).toEqual(["dev1"]);
    await expectErr(
      client.send(new GetGroupCommand({ GroupName: "devs" })),
      "NoSuchEntity",
      404,
      "The group with name devs cannot be found.",
    );
    expect((await client.send(new ListGroupsForUserCommand({ UserName: "dev1" }))).Groups!.map((x) => x.Arn)).toEqual([
      `arn:aws:iam::${A}:group/eng/developers`,
    ]);
  });

  it("a taken new name is EntityAlreadyExists; a missing group NoSuchEntity", async () => {
    await expectErr(
      client.send(new UpdateGroupCommand({ GroupName: "developers", NewGroupName: "ADMINS" })),
      "EntityAlreadyExists",
      409,
      "Group with name ADMINS already exists.",
    );
    await expectErr(
      client.send(new UpdateGroupCommand({ GroupName: "nonexisting", NewGroupName: "x" })),
      "NoSuchEntity",
      404,
      "The group with name nonexisting cannot be found.",
    );
  });
});

describe("membership", () => {
  it("adds (idempotently), lists both ways with pagination, and removes users", async () => {
    await client.send(new CreateGroupCommand({ GroupName: "team" }));
    for (const n of ["m3", "M1", "m2"]) await client.send(new CreateUserCommand({ UserName: n }));
    for (const n of ["m3", "M1", "m2", "m2"]) await client.send(new AddUserToGroupCommand({ GroupName: "team", UserName: n }));

    const p1 = await client.send(new GetGroupCommand({ GroupName: "team", MaxItems: 2 }));
    expect(p1.Users!.map((u) => u.UserName)).toEqual(["M1", "m2"]);
    expect(p1.IsTruncated).toBe(true);
    expect(p1.Users![0]).toEqual({
      Path: "/",
      UserName: "M1",
      UserId: expect.stringMatching(/^AIDA/),
      Arn: `arn:aws:iam::${A}:user/M1`,
      CreateDate: expect.any(Date),
    });
    const p2 = await client.send(new GetGroupCommand({ GroupName: "team", MaxItems: 2, Marker: p1.Marker }));
    expect(p2.Users!.map((u) => u.UserName)).toEqual(["m3"]);
    expect(p2.IsTruncated).toBe(false);
    expect(p2.Group!.GroupName).toBe("team");

    await client.send(new AddUserToGroupCommand({ GroupName: "admins", UserName: "m2" }));
    const lg = await client.send(new ListGroupsForUserCommand({ UserName: "m2", MaxItems: 1 }));
    expect(lg.Groups!.map((g) => g.GroupName)).toEqual(["admins"]);
    expect(lg.IsTruncated).toBe(true);
    const lg2 = await client.send(new ListGroupsForUserCommand({ UserName: "m2", MaxItems: 1, Marker: lg.Marker }));
    expect(lg2.Groups!.map((g) => g.GroupName)).toEqual(["team"]);
    expect(lg2.IsTruncated).toBe(false);

    await client.send(new RemoveUserFromGroupCommand({ GroupName: "team", UserName: "m2" }));
    // Removing a user who is not a member succeeds, as in AWS.
    await client.send(new RemoveUserFromGroupCommand({ GroupName: "team", UserName: "m2" }));
    expect((await client.send(new ListGroupsForUserCommand({ UserName: "m2" }))).Groups!.map((g) => g.GroupName)).toEqual(["admins"]);
    expect((await client.send(new GetGroupCommand({ GroupName: "team" }))).Users!.map((u) => u.UserName)).toEqual(["M1", "m3"]);
  });

  it("missing users and groups are NoSuchEntity (the user is checked first)", async () => {
    await expectErr(
      client.send(new AddUserToGroupCommand({ GroupName: "team", UserName: "non-existent-user" })),
      "NoSuchEntity",
      404,
      "The user with name non-existent-user cannot be found.",
    );
    await expectErr(
      client.send(new AddUserToGroupCommand({ GroupName: "non-existent-group", UserName: "M1" })),
      "NoSuchEntity",
      404,
      "The group with name non-existent-group cannot be found.",
    );
    await expectErr(
      client.send(new RemoveUserFromGroupCommand({ GroupName: "nonexistent-group", UserName: "M1" })),
      "NoSuchEntity",
      404,
      "The group with name nonexistent-group cannot be found.",
    );
    await expectErr(
      client.send(new RemoveUserFromGroupCommand({ GroupName: "unknown", UserName: "any-user" })),
      "NoSuchEntity",
      404,
      "The user with name any-user cannot be found.",
    );
    await expectErr(
      client.send(new ListGroupsForUserCommand({ UserName: "ghost" })),
      "NoSuchEntity",
      404,
      "The user with name ghost cannot be found.",
    );
  });

  it("a user joins at most 10 groups: 12 parallel adds leave exactly 10 (LimitExceeded for the rest)", async () => {
    const c = (await withAccount()).iam;
    await c.send(new CreateUserCommand({ UserName: "joiner" }));
    for (let i = 0; i < 12; i++) await c.send(new CreateGroupCommand({ GroupName: `grp${i}` }));
    const res = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => c.send(new AddUserToGroupCommand({ GroupName: `grp${i}`, UserName: "joiner" }))),
    );
    expect(res.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    for (const r of res)
      if (r.status === "rejected")
        await expectErr(Promise.reject(r.reason), "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10");
    const groups = (await c.send(new ListGroupsForUserCommand({ UserName: "joiner" }))).Groups!;
    expect(groups).toHaveLength(10);
    // Re-adding to a group it is already in is still fine at the limit.
    await c.send(new AddUserToGroupCommand({ GroupName: groups[0]!.GroupName!, UserName: "joiner" }));
  });
});

describe("DeleteGroup", () => {
  it("refuses while the group has members (DeleteConflict 409), then deletes", async () => {
    await client.send(new CreateGroupCommand({ GroupName: "doomed" }));
    await client.send(new CreateUserCommand({ UserName: "d1" }));
    await client.send(new AddUserToGroupCommand({ GroupName: "doomed", UserName: "d1" }));
    await expectErr(
      client.send(new DeleteGroupCommand({ GroupName: "doomed" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must remove users from group first.",
    );
    // Deleting the member user is blocked too, by the membership.
    await expectErr(
      client.send(new DeleteUserCommand({ UserName: "d1" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must remove users from group first.",
    );
    await client.send(new RemoveUserFromGroupCommand({ GroupName: "doomed", UserName: "d1" }));
    await client.send(new DeleteGroupCommand({ GroupName: "doomed" }));
    await expectErr(client.send(new GetGroupCommand({ GroupName: "doomed" })), "NoSuchEntity", 404);
    await expectErr(
      client.send(new DeleteGroupCommand({ GroupName: "unknown-group" })),
      "NoSuchEntity",
      404,
      "The group with name unknown-group cannot be found.",
    );
    await client.send(new DeleteUserCommand({ UserName: "d1" }));
  });

  it("refuses while managed or inline policies remain", async (t) => {
    const { AttachGroupPolicyCommand, DetachGroupPolicyCommand, PutGroupPolicyCommand, DeleteGroupPolicyCommand } = await import(
      "@aws-sdk/client-iam"
    );
    await client.send(new CreateGroupCommand({ GroupName: "withpol" }));
    try {
      await client.send(new AttachGroupPolicyCommand({ GroupName: "withpol", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    } catch (e) {
      if (codeOf(e) === "InvalidAction") return t.skip(); // attachments not served yet
      throw e;
    }
    await expectErr(
      client.send(new DeleteGroupCommand({ GroupName: "withpol" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must detach all policies first.",
    );
    await client.send(new DetachGroupPolicyCommand({ GroupName: "withpol", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    await client.send(
      new PutGroupPolicyCommand({
        GroupName: "withpol",
        PolicyName: "p",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] }),
      }),
    );
    await expectErr(
      client.send(new DeleteGroupCommand({ GroupName: "withpol" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete policies first.",
    );
    await client.send(new DeleteGroupPolicyCommand({ GroupName: "withpol", PolicyName: "p" }));
    await client.send(new DeleteGroupCommand({ GroupName: "withpol" }));
  });

  it("a delete racing with adds leaves either the group with members or no group and no memberships", async () => {
    const c = (await withAccount()).iam;
    await c.send(new CreateGroupCommand({ GroupName: "racy" }));
    for (let i = 0; i < 5; i++) await c.send(new CreateUserCommand({ UserName: `r${i}` }));
    const ops = [
      c.send(new DeleteGroupCommand({ GroupName: "racy" })),
      ...Array.from({ length: 5 }, (_, i) => c.send(new AddUserToGroupCommand({ GroupName: "racy", UserName: `r${i}` }))),
    ];
    const [del] = await Promise.allSettled(ops);
    if (del!.status === "fulfilled") {
      await expectErr(c.send(new GetGroupCommand({ GroupName: "racy" })), "NoSuchEntity", 404);
      for (let i = 0; i < 5; i++) expect((await c.send(new ListGroupsForUserCommand({ UserName: `r${i}` }))).Groups).toEqual([]);
    } else {
      expect(codeOf(del!.reason)).toBe("DeleteConflict");
      expect((await c.send(new GetGroupCommand({ GroupName: "racy" }))).Users!.length).toBeGreaterThan(0);
    }
  });
});
