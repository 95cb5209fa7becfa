import { beforeAll, describe, expect, it } from "vitest";
import { inflateSync } from "node:zlib";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetMFADeviceCommand,
  ListMFADevicesCommand,
  ListMFADeviceTagsCommand,
  ListVirtualMFADevicesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  ResyncMFADeviceCommand,
  TagMFADeviceCommand,
  UntagMFADeviceCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { accountCreds, iam, rawSigned, sts, xmlValue, type NewAccount } from "../helpers/sandbox";
import { GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { codeOf, expectAwsError } from "../helpers/aws-errors";
import { keyCreds, withAccount } from "../helpers/fixtures";
import { hotp, timeStep } from "../../src/lib/totp";

let account: NewAccount;
let client: IAMClient;

beforeAll(async () => {
  ({ account, iam: client } = await withAccount());
});

const seedText = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** Two consecutive codes ending one step before now, so the current code stays unused. */
async function enableCodes(seed: string, offsetSteps = 0): Promise<{ AuthenticationCode1: string; AuthenticationCode2: string }> {
  const s = timeStep(Date.now()) + offsetSteps;
  return { AuthenticationCode1: await hotp(seed, s - 2), AuthenticationCode2: await hotp(seed, s - 1) };
}

async function newDevice(name: string, path?: string) {
  const out = await client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name, Path: path }));
  return { serial: out.VirtualMFADevice!.SerialNumber!, seed: seedText(out.VirtualMFADevice!.Base32StringSeed), out };
}

describe("CreateVirtualMFADevice", () => {
  it("returns the serial number, the base32 seed and a real PNG QR code", async () => {
    const { serial, seed, out } = await newDevice("dev-create", "/team/");
    expect(serial).toBe(`arn:aws:iam::${account.accountId}:mfa/team/dev-create`);
    expect(seed).toMatch(/^[A-Z2-7]{64}$/);
    const png = out.VirtualMFADevice!.QRCodePNG!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
    const width = dv.getUint32(16);
    expect(dv.getUint32(20)).toBe(width);
    expect(width).toBeGreaterThan(100);
    const idatLen = dv.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe((Math.ceil(width / 8) + 1) * width);
  });

  it("the raw XML carries the seed as base64 of the base32 text", async () => {
    const r = await rawSigned(
      { Action: "CreateVirtualMFADevice", Version: "2010-05-08", VirtualMFADeviceName: "dev-raw" },
      { service: "iam", creds: accountCreds(account) },
    );
    expect(r.status).toBe(200);
    expect(atob(xmlValue(r.text, "Base32StringSeed")!)).toMatch(/^[A-Z2-7]{64}$/);
    expect(r.text).toMatch(
      /<CreateVirtualMFADeviceResult><VirtualMFADevice><SerialNumber>arn:aws:iam::\d{12}:mfa\/dev-raw<\/SerialNumber><Base32StringSeed>/,
    );
  });

  it("refuses a duplicate (path + name) with EntityAlreadyExists 409; other paths are other devices", async () => {
    await newDevice("dev-dup");
    await expectAwsError(
      client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "dev-dup" })),
      "EntityAlreadyExists",
      409,
      "MFA device already exists.",
    );
    await newDevice("dev-dup", "/other/");
  });

  it("20 parallel creates of one name: exactly one wins", async () => {
    const res = await Promise.allSettled(
      Array.from({ length: 20 }, () => client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "dev-race" }))),
    );
    expect(res.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of res) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("EntityAlreadyExists");
  });

  it("validates the name and path", async () => {
    await expectAwsError(
      client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "bad name" })),
      "ValidationError",
      400,
      /Value at 'virtualMFADeviceName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\+/,
    );
    await expectAwsError(
      client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "ok", Path: "nopath" })),
      "ValidationError",
      400,
      "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
    );
  });
});

describe("EnableMFADevice / ListMFADevices / GetMFADevice / Deactivate / Delete", () => {
  it("enables a device with two consecutive codes from the returned seed", async () => {
    await client.send(new CreateUserCommand({ UserName: "alice" }));
    const { serial, seed } = await newDevice("alice-mfa");
    await client.send(new EnableMFADeviceCommand({ UserName: "alice", SerialNumber: serial, ...(await enableCodes(seed)) }));

    const list = await client.send(new ListMFADevicesCommand({ UserName: "alice" }));
    expect(list.MFADevices).toHaveLength(1);
    expect(list.MFADevices![0]).toMatchObject({ UserName: "alice", SerialNumber: serial });
    expect(Math.abs(list.MFADevices![0]!.EnableDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(list.IsTruncated).toBe(false);

    const got = await client.send(new GetMFADeviceCommand({ UserName: "alice", SerialNumber: serial }));
    expect(got).toMatchObject({ UserName: "alice", SerialNumber: serial });

    const assigned = await client.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Assigned" }));
    const mine = assigned.VirtualMFADevices!.find((d) => d.SerialNumber === serial)!;
    expect(mine.User).toMatchObject({ UserName: "alice", Path: "/", Arn: `arn:aws:iam::${account.accountId}:user/alice` });
    expect(mine.User!.UserId).toMatch(/^AIDA/);
    expect(mine.EnableDate).toBeInstanceOf(Date);
    expect(mine.Base32StringSeed).toBeUndefined();
    const unassigned = await client.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Unassigned" }));
    expect(unassigned.VirtualMFADevices!.some((d) => d.SerialNumber === serial)).toBe(false);
    expect(unassigned.VirtualMFADevices!.every((d) => d.User === undefined && d.EnableDate === undefined)).toBe(true);

    // In use: neither another user nor deletion.
    await client.send(new CreateUserCommand({ UserName: "bob" }));
    await expectAwsError(
      client.send(new EnableMFADeviceCommand({ UserName: "bob", SerialNumber: serial, ...(await enableCodes(seed)) })),
      "EntityAlreadyExists",
      409,
      "MFA Device is already in use.",
    );
    await expectAwsError(
      client.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })),
      "DeleteConflict",
      409,
      "MFA Device is already in use.",
    );

    await expectAwsError(
      client.send(new DeactivateMFADeviceCommand({ UserName: "bob", SerialNumber: serial })),
      "NoSuchEntity",
      404,
      "MFA Device invalid for user.",
    );
    await client.send(new DeactivateMFADeviceCommand({ UserName: "alice", SerialNumber: serial }));
    expect((await client.send(new ListMFADevicesCommand({ UserName: "alice" }))).MFADevices).toEqual([]);
    await client.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
    await expectAwsError(
      client.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })),
      "NoSuchEntity",
      404,
      `MFA Device with serial number ${serial} does not exist.`,
    );
  });

  it("rejects invalid, swapped and stale codes with InvalidAuthenticationCode 403", async () => {
    await client.send(new CreateUserCommand({ UserName: "carol" }));
    const { serial, seed } = await newDevice("carol-mfa");
    const msg = "Authentication code for device is not valid.";
    const good = await enableCodes(seed);
    await expectAwsError(
      client.send(
        new EnableMFADeviceCommand({
          UserName: "carol",
          SerialNumber: serial,
          AuthenticationCode1: "000000",
          AuthenticationCode2: "000000",
        }),
      ),
      "InvalidAuthenticationCode",
      403,
      msg,
    );
    await expectAwsError(
      client.send(
        new EnableMFADeviceCommand({
          UserName: "carol",
          SerialNumber: serial,
          AuthenticationCode1: good.AuthenticationCode2,
          AuthenticationCode2: good.AuthenticationCode1,
        }),
      ),
      "InvalidAuthenticationCode",
      403,
      msg,
    );
    await expectAwsError(
      client.send(new EnableMFADeviceCommand({ UserName: "carol", SerialNumber: serial, ...(await enableCodes(seed, -20)) })),
      "InvalidAuthenticationCode",
      403,
      msg,
    );
    await expectAwsError(
      client.send(
        new EnableMFADeviceCommand({
          UserName: "carol",
          SerialNumber: serial,
          AuthenticationCode1: "12345",
          AuthenticationCode2: "123456",
        }),
      ),
      "ValidationError",
      400,
      /at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6/,
    );
    // Still unassigned.
    const un = await client.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Unassigned" }));
    expect(un.VirtualMFADevices!.some((d) => d.SerialNumber === serial)).toBe(true);
  });

  it("reports NoSuchEntity for an unknown user or device", async () => {
    const { seed } = await newDevice("orphan");
    await expectAwsError(
      client.send(
        new EnableMFADeviceCommand({
          UserName: "nobody",
          SerialNumber: `arn:aws:iam::${account.accountId}:mfa/orphan`,
          ...(await enableCodes(seed)),
        }),
      ),
      "NoSuchEntity",
      404,
      "The user with name nobody cannot be found.",
    );
    await client.send(new CreateUserCommand({ UserName: "dave" }));
    const missing = `arn:aws:iam::${account.accountId}:mfa/missing`;
    await expectAwsError(
      client.send(
        new EnableMFADeviceCommand({
          UserName: "dave",
          SerialNumber: missing,
          AuthenticationCode1: "123456",
          AuthenticationCode2: "654321",
        }),
      ),
      "NoSuchEntity",
      404,
      `VirtualMFADevice with serial number ${missing} does not exist.`,
    );
    await expectAwsError(
      client.send(new ListMFADevicesCommand({ UserName: "nobody" })),
      "NoSuchEntity",
      404,
      "The user with name nobody cannot be found.",
    );
  });

  it("20 parallel enables of one device for 20 users: exactly one wins", async () => {
    const { serial, seed } = await newDevice("contested");
    const names = Array.from({ length: 20 }, (_, i) => `racer${i}`);
    await Promise.all(names.map((n) => client.send(new CreateUserCommand({ UserName: n }))));
    const codes = await enableCodes(seed);
    const res = await Promise.allSettled(
      names.map((n) => client.send(new EnableMFADeviceCommand({ UserName: n, SerialNumber: serial, ...codes }))),
    );
    expect(res.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of res) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("EntityAlreadyExists");
  });

  it("ResyncMFADevice accepts two consecutive codes from a drifted clock", async () => {
    await client.send(new CreateUserCommand({ UserName: "erin" }));
    const { serial, seed } = await newDevice("erin-mfa");
    await client.send(new EnableMFADeviceCommand({ UserName: "erin", SerialNumber: serial, ...(await enableCodes(seed)) }));
    await client.send(new ResyncMFADeviceCommand({ UserName: "erin", SerialNumber: serial, ...(await enableCodes(seed, 12)) }));
    await expectAwsError(
      client.send(
        new ResyncMFADeviceCommand({
          UserName: "erin",
          SerialNumber: serial,
          AuthenticationCode1: "000000",
          AuthenticationCode2: "000000",
        }),
      ),
      "InvalidAuthenticationCode",
      403,
      "Authentication code for device is not valid.",
    );
    await client.send(new CreateUserCommand({ UserName: "frank" }));
    await expectAwsError(
      client.send(new ResyncMFADeviceCommand({ UserName: "frank", SerialNumber: serial, ...(await enableCodes(seed)) })),
      "NoSuchEntity",
      404,
      "MFA Device invalid for user.",
    );
  });

  it("a user may hold at most 8 MFA devices (LimitExceeded)", async () => {
    await client.send(new CreateUserCommand({ UserName: "hoarder" }));
    for (let i = 0; i < 8; i++) {
      const { serial, seed } = await newDevice(`hoard${i}`);
      await client.send(new EnableMFADeviceCommand({ UserName: "hoarder", SerialNumber: serial, ...(await enableCodes(seed)) }));
    }
    const { serial, seed } = await newDevice("hoard8");
    await expectAwsError(
      client.send(new EnableMFADeviceCommand({ UserName: "hoarder", SerialNumber: serial, ...(await enableCodes(seed)) })),
      "LimitExceeded",
      409,
    );
    const p1 = await client.send(new ListMFADevicesCommand({ UserName: "hoarder", MaxItems: 5 }));
    expect(p1.MFADevices).toHaveLength(5);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(new ListMFADevicesCommand({ UserName: "hoarder", MaxItems: 5, Marker: p1.Marker }));
    expect(p2.MFADevices).toHaveLength(3);
    expect(p2.IsTruncated).toBe(false);
    expect(new Set([...p1.MFADevices!, ...p2.MFADevices!].map((d) => d.SerialNumber)).size).toBe(8);
  });

  it("root enables its own MFA device when no UserName is given", async () => {
    const { serial, seed } = await newDevice("root-mfa");
    await client.send(
      new EnableMFADeviceCommand({ UserName: undefined as unknown as string, SerialNumber: serial, ...(await enableCodes(seed)) }),
    );
    const mine = await client.send(new ListMFADevicesCommand({}));
    expect(mine.MFADevices!.map((d) => d.SerialNumber)).toEqual([serial]);
    const all = await client.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Assigned" }));
    const dev = all.VirtualMFADevices!.find((d) => d.SerialNumber === serial)!;
    expect(dev.User).toMatchObject({ UserId: account.accountId, Arn: `arn:aws:iam::${account.accountId}:root` });
    await client.send(new DeactivateMFADeviceCommand({ UserName: undefined as unknown as string, SerialNumber: serial }));
    expect((await client.send(new ListMFADevicesCommand({}))).MFADevices).toEqual([]);
  });

  it("a user's own keys enable and list its own devices without UserName", async (t) => {
    await client.send(new CreateUserCommand({ UserName: "self" }));
    try {
      await client.send(
        new PutUserPolicyCommand({
          UserName: "self",
          PolicyName: "all",
          PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] }),
        }),
      );
    } catch (e) {
      if (codeOf(e) === "InvalidAction") return t.skip(); // PutUserPolicy not implemented yet
      throw e;
    }
    const key = (await client.send(new CreateAccessKeyCommand({ UserName: "self" }))).AccessKey!;
    const self = iam(keyCreds(key));
    const { serial, seed } = await newDevice("self-mfa");
    await self.send(
      new EnableMFADeviceCommand({ UserName: undefined as unknown as string, SerialNumber: serial, ...(await enableCodes(seed)) }),
    );
    const mine = await self.send(new ListMFADevicesCommand({}));
    expect(mine.MFADevices!.map((d) => [d.UserName, d.SerialNumber])).toEqual([["self", serial]]);
  });
});

describe("ListVirtualMFADevices pagination and MFA device tags", () => {
  it("pages with MaxItems / Marker in serial-number order", async () => {
    const { iam: c } = await withAccount();
    for (let i = 0; i < 7; i++) await c.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `p${i}` }));
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await c.send(new ListVirtualMFADevicesCommand({ MaxItems: 3, Marker: marker }));
      seen.push(...out.VirtualMFADevices!.map((d) => d.SerialNumber!));
      marker = out.IsTruncated ? out.Marker : undefined;
      pages++;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toHaveLength(7);
    await expectAwsError(
      c.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Bogus" as "Any" })),
      "ValidationError",
      400,
      /Member must satisfy enum value set: \[Assigned, Unassigned, Any\]/,
    );
  });

  it("tags on create, Tag/Untag/ListMFADeviceTags, and the 50-tag limit", async () => {
    const out = await client.send(
      new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "tagged", Tags: [{ Key: "team", Value: "red" }] }),
    );
    const serial = out.VirtualMFADevice!.SerialNumber!;
    expect(out.VirtualMFADevice!.Tags).toEqual([{ Key: "team", Value: "red" }]);
    await client.send(
      new TagMFADeviceCommand({
        SerialNumber: serial,
        Tags: [
          { Key: "env", Value: "prod" },
          { Key: "TEAM", Value: "blue" },
        ],
      }),
    );
    const tags = await client.send(new ListMFADeviceTagsCommand({ SerialNumber: serial }));
    expect(tags.Tags).toEqual([
      { Key: "TEAM", Value: "blue" },
      { Key: "env", Value: "prod" },
    ]);
    await client.send(new UntagMFADeviceCommand({ SerialNumber: serial, TagKeys: ["team"] }));
    expect((await client.send(new ListMFADeviceTagsCommand({ SerialNumber: serial }))).Tags).toEqual([{ Key: "env", Value: "prod" }]);
    const p = await client.send(new ListMFADeviceTagsCommand({ SerialNumber: serial, MaxItems: 1 }));
    expect(p.IsTruncated).toBe(false);
    await expectAwsError(
      client.send(
        new TagMFADeviceCommand({ SerialNumber: serial, Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }),
      ),
      "LimitExceeded",
      409,
      "The number of tags has reached the maximum limit.",
    );
    const missing = `arn:aws:iam::${account.accountId}:mfa/none`;
    await expectAwsError(client.send(new ListMFADeviceTagsCommand({ SerialNumber: missing })), "NoSuchEntity", 404);
    await expectAwsError(
      client.send(new TagMFADeviceCommand({ SerialNumber: missing, Tags: [{ Key: "a", Value: "b" }] })),
      "NoSuchEntity",
      404,
    );
    await client.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
    const again = await client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "tagged" }));
    expect((await client.send(new ListMFADeviceTagsCommand({ SerialNumber: again.VirtualMFADevice!.SerialNumber! }))).Tags).toEqual([]);
  });
});

describe("DeleteUser and MFA", () => {
  it("DeleteUser refuses a user with an MFA device until it is deactivated", async () => {
    await client.send(new CreateUserCommand({ UserName: "has-mfa" }));
    const { serial, seed } = await newDevice("dev-has-mfa");
    await client.send(new EnableMFADeviceCommand({ UserName: "has-mfa", SerialNumber: serial, ...(await enableCodes(seed)) }));
    await expectAwsError(
      client.send(new DeleteUserCommand({ UserName: "has-mfa" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete MFA device first.",
    );
    await client.send(new DeactivateMFADeviceCommand({ UserName: "has-mfa", SerialNumber: serial }));
    await client.send(new DeleteUserCommand({ UserName: "has-mfa" }));
  });
});

describe("MFA-authenticated sessions (the classic 'deny unless MFA' lab)", () => {
  it("denies the long-term key, allows an MFA session token, refuses a wrong or replayed code", async () => {
    await client.send(new CreateUserCommand({ UserName: "mfa-lab" }));
    await client.send(
      new PutUserPolicyCommand({
        UserName: "mfa-lab",
        PolicyName: "admin-with-mfa",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "*", Resource: "*" },
            {
              Effect: "Deny",
              NotAction: ["sts:GetSessionToken", "iam:ListMFADevices"],
              Resource: "*",
              Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } },
            },
          ],
        }),
      }),
    );
    const key = (await client.send(new CreateAccessKeyCommand({ UserName: "mfa-lab" }))).AccessKey!;
    const longTerm = keyCreds(key);
    const { serial, seed } = await newDevice("mfa-lab-device");
    await client.send(new EnableMFADeviceCommand({ UserName: "mfa-lab", SerialNumber: serial, ...(await enableCodes(seed)) }));

    await expectAwsError(
      iam(longTerm).send(new ListUsersCommand({})),
      "AccessDenied",
      403,
      /with an explicit deny in an identity-based policy$/,
    );

    const wrong = await hotp(seed, timeStep(Date.now()) + 5);
    await expectAwsError(
      sts(longTerm).send(new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: wrong })),
      "AccessDenied",
      403,
      "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
    );

    const code = await hotp(seed, timeStep(Date.now()));
    const out = await sts(longTerm).send(new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: code }));
    const c = out.Credentials!;
    const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const users = await iam(session).send(new ListUsersCommand({}));
    expect(users.Users!.some((u) => u.UserName === "mfa-lab")).toBe(true);

    // the same code cannot be used twice
    await expectAwsError(sts(longTerm).send(new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: code })), "AccessDenied", 403);
  });
});
