import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { iam, rawSigned, xmlValue, type NewAccount } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount } from "../helpers/fixtures";
import { waitFor } from "../helpers/wait";
import { hotp, timeStep } from "../../src/lib/totp";

const HEADER =
  "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
  "access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
  "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
  "cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/** RFC 4180 parsing (quoted cells may hold commas). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  row.push(cell);
  rows.push(row);
  return rows;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;

/** Calls GenerateCredentialReport until it answers COMPLETE; the states it answered on the way. */
async function generateUntilComplete(c: IAMClient): Promise<string[]> {
  const states: string[] = [];
  await waitFor(
    async () => {
      const out = await c.send(new GenerateCredentialReportCommand({}));
      states.push(out.State!);
      return out.State === "COMPLETE";
    },
    { timeoutMs: 5_000, intervalMs: 100, what: "a COMPLETE credential report" },
  );
  return states;
}

let account: NewAccount;
let client: IAMClient;

beforeAll(async () => {
  ({ account, iam: client } = await withAccount());
});

describe("credential report", () => {
  it("GetCredentialReport before any generation: ReportNotPresent 410", async () => {
    await expectAwsError(client.send(new GetCredentialReportCommand({})), "ReportNotPresent", 410);
  });

  it("STARTED first, then COMPLETE; the CSV has AWS's columns, the root row first, N/A / no_information / not_supported", async () => {
    await client.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8, MaxPasswordAge: 90 }));
    await client.send(new CreateUserCommand({ UserName: "zed" })); // nothing at all
    await client.send(new CreateUserCommand({ UserName: "amy" })); // password, MFA, two keys (one inactive)
    await client.send(new CreateUserCommand({ UserName: "odd,name" })); // a comma: quoted cell
    await client.send(new CreateLoginProfileCommand({ UserName: "amy", Password: "Amy-Passw0rd!" }));
    const dev = await client.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "amy" }));
    const seed = new TextDecoder().decode(dev.VirtualMFADevice!.Base32StringSeed);
    const s = timeStep(Date.now());
    await client.send(
      new EnableMFADeviceCommand({
        UserName: "amy",
        SerialNumber: dev.VirtualMFADevice!.SerialNumber!,
        AuthenticationCode1: await hotp(seed, s - 2),
        AuthenticationCode2: await hotp(seed, s - 1),
      }),
    );
    const k1 = (await client.send(new CreateAccessKeyCommand({ UserName: "amy" }))).AccessKey!;
    // A fixed gap is the point: the report orders a user's keys by creation time, to the second.
    await new Promise((r) => setTimeout(r, 1100));
    const k2 = (await client.send(new CreateAccessKeyCommand({ UserName: "amy" }))).AccessKey!;
    await client.send(new UpdateAccessKeyCommand({ UserName: "amy", AccessKeyId: k2.AccessKeyId!, Status: "Inactive" }));

    const first = await client.send(new GenerateCredentialReportCommand({}));
    expect(first.State).toBe("STARTED");
    expect(first.Description).toBe("No report exists. Starting a new report generation task");
    const states = await generateUntilComplete(client);
    expect(states.every((st) => st === "INPROGRESS" || st === "COMPLETE")).toBe(true);

    const out = await client.send(new GetCredentialReportCommand({}));
    expect(out.ReportFormat).toBe("text/csv");
    expect(Math.abs(out.GeneratedTime!.getTime() - Date.now())).toBeLessThan(60_000);
    const text = new TextDecoder().decode(out.Content);
    const rows = parseCsv(text);
    expect(rows[0]!.join(",")).toBe(HEADER);
    expect(rows.every((r) => r.length === 22)).toBe(true);
    expect(rows.map((r) => r[0])).toEqual(["user", "<root_account>", "amy", "odd,name", "zed"]);
    expect(text).toContain('\n"odd,name",');

    const root = rows[1]!;
    expect(root[1]).toBe(`arn:aws:iam::${account.accountId}:root`);
    expect(root[2]).toMatch(TIME);
    expect(root.slice(3, 8)).toEqual(["not_supported", "no_information", "not_supported", "not_supported", "false"]);
    expect(root[8]).toBe("true"); // the account's root key
    expect(root[9]).toMatch(TIME);
    expect(root.slice(13)).toEqual(["false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"]);

    const amy = rows[2]!;
    expect(amy[1]).toBe(`arn:aws:iam::${account.accountId}:user/amy`);
    expect(amy[3]).toBe("true");
    expect(amy[4]).toBe("no_information");
    expect(amy[5]).toMatch(TIME);
    expect(Date.parse(amy[6]!) - Date.parse(amy[5]!)).toBe(90 * 86_400_000);
    expect(amy[7]).toBe("true");
    expect(amy[8]).toBe("true");
    expect(amy[9]).toMatch(TIME);
    expect(amy.slice(10, 13)).toEqual(["N/A", "N/A", "N/A"]);
    expect(amy[13]).toBe("false"); // second key inactive
    expect(amy[14]).toMatch(TIME);
    expect(amy.slice(18)).toEqual(["false", "N/A", "false", "N/A"]);
    expect(k1.AccessKeyId).toBeDefined();

    const zed = rows[4]!;
    expect(zed.slice(3)).toEqual([
      "false",
      "N/A",
      "N/A",
      "N/A",
      "false",
      "false",
      "N/A",
      "N/A",
      "N/A",
      "N/A",
      "false",
      "N/A",
      "N/A",
      "N/A",
      "N/A",
      "false",
      "N/A",
      "false",
      "N/A",
    ]);
  });

  it("regenerates at most once every 4 hours: later calls answer COMPLETE with the same report", async () => {
    await generateUntilComplete(client);
    const before = await client.send(new GetCredentialReportCommand({}));
    await client.send(new CreateUserCommand({ UserName: "late" }));
    expect((await client.send(new GenerateCredentialReportCommand({}))).State).toBe("COMPLETE");
    const after = await client.send(new GetCredentialReportCommand({}));
    expect(after.GeneratedTime).toEqual(before.GeneratedTime);
    expect(new TextDecoder().decode(after.Content)).not.toContain("\nlate,");
  });

  it("the wire: Content is base64 of the CSV; GenerateCredentialReport's XML", async () => {
    const { creds } = await withAccount();
    const gen = await rawSigned({ Action: "GenerateCredentialReport", Version: "2010-05-08" }, { service: "iam", creds });
    expect(gen.text).toContain(
      "<GenerateCredentialReportResult><State>STARTED</State><Description>No report exists. Starting a new report generation task</Description></GenerateCredentialReportResult>",
    );
    await generateUntilComplete(iam(creds));
    const r = await rawSigned({ Action: "GetCredentialReport", Version: "2010-05-08" }, { service: "iam", creds });
    expect(r.status).toBe(200);
    expect(atob(xmlValue(r.text, "Content")!)).toMatch(/^user,arn,user_creation_time,password_enabled,/);
    expect(xmlValue(r.text, "ReportFormat")).toBe("text/csv");
    expect(xmlValue(r.text, "GeneratedTime")).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("20 parallel GenerateCredentialReport calls start one generation", async () => {
    const { iam: c } = await withAccount();
    const outs = await Promise.all(Array.from({ length: 20 }, () => c.send(new GenerateCredentialReportCommand({}))));
    expect(outs.filter((o) => o.State === "STARTED")).toHaveLength(1);
  });
});
