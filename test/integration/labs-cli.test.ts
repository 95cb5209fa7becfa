/**
 * `iamlab lab …` end to end (issue 21): the shipped CLI (bin/iamlab, a child process) applies the
 * YAML example to two learner accounts and writes their credentials as CSV, grades them (table and
 * JSON), exports one as YAML and resets it; an invalid YAML template is reported with its line.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CreateUserCommand, GetUserCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { iam, sts, url, vars } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";

const ROOT = path.resolve(__dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "iamlab-lab-cli-"));

function lab(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, "bin/iamlab"),
      ["lab", ...args, "--endpoint", url(), "--admin-token", vars().IAMLAB_ADMIN_TOKEN!],
      { timeout: 90_000, env: { ...process.env, IAMLAB_ADMIN_TOKEN: "" } },
      (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: String(stdout), err: String(stderr) }),
    );
  });
}

describe("iamlab lab (CLI)", () => {
  it("apply → check → export → reset", async () => {
    const csv = path.join(dir, "class.csv");
    const applied = await lab([
      "apply",
      path.join(ROOT, "labs/examples/least-privilege.yaml"),
      "--learners",
      "2",
      "--csv",
      csv,
      "--name-prefix",
      "cli",
    ]);
    expect(applied.code, applied.err).toBe(0);
    const labId = /^lab (lab-[0-9a-f]+): 2 learner accounts/.exec(applied.out)?.[1];
    expect(labId, applied.out).toBeDefined();
    const rows = readFileSync(csv, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(","));
    expect(rows[0]).toEqual([
      "learner",
      "account_id",
      "alias",
      "console_url",
      "user",
      "access_key_id",
      "secret_access_key",
      "password",
      "mfa_serial",
      "mfa_seed",
      "member",
    ]);
    const root = rows.find((r) => r[0] === "cli-1" && r[4] === "root")!;
    const accountId = root[1]!;
    const alice = rows.find((r) => r[0] === "cli-1" && r[4] === "alice")!;
    expect(alice[7]!.length).toBeGreaterThanOrEqual(20);
    expect(alice[8]).toBe(`arn:aws:iam::${accountId}:mfa/alice`);
    expect(rows.filter((r) => r[0] === "cli-2" && r[4] === "bob")).toHaveLength(2); // two keys, two rows

    const table = await lab(["check", labId!]);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/ACCOUNT\s+SCORE\s+alice-reads-reports/);
    expect(table.out).toContain(`${accountId}  7/14`);
    expect(table.out).toContain("hint: Detach AdministratorAccess from bob");
    const json = await lab(["check", accountId, "--json"]);
    expect(JSON.parse(json.out)).toMatchObject({ accountId, score: 7, maxScore: 14 });

    const exported = await lab(["export", accountId]);
    expect(exported.code, exported.err).toBe(0);
    const t = parse(exported.out) as { users: { name: string }[]; account: { alias: string } };
    expect(t.users.map((u) => u.name)).toEqual(["alice", "bob"]);
    expect(t.account.alias).toBe("lp-lab-${account}");

    const c = iam({ accessKeyId: root[5]!, secretAccessKey: root[6]! });
    await c.send(new CreateUserCommand({ UserName: "stray" }));
    const reset = await lab(["reset", accountId]);
    expect(reset.code, reset.err).toBe(0);
    expect(reset.out).toContain("deleted user/stray");
    await expectAwsError(c.send(new GetUserCommand({ UserName: "stray" })), "NoSuchEntity", 404);
  }, 120_000);

  // labsorg4 (issue 21): member accounts' credentials in the table and the CSV, like the learner's own.
  it("apply of an organization template lists each learner's member accounts and their root keys", async () => {
    const csv = path.join(dir, "org.csv");
    const applied = await lab(["apply", path.join(ROOT, "labs/examples/organization.yaml"), "--csv", csv, "--name-prefix", "org"]);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toMatch(/MEMBER ACCOUNTS/);
    expect(applied.out).toMatch(/prod=\d{12},sandbox=\d{12}/);
    const rows = readFileSync(csv, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(","));
    const own = rows.find((r) => r[4] === "root" && r[10] === "")!;
    const prod = rows.find((r) => r[4] === "root" && r[10] === "prod")!;
    expect(prod[1]).toMatch(/^\d{12}$/);
    expect(prod[1]).not.toBe(own[1]);
    expect(prod[3]).toContain(`account=${prod[1]}`);
    const who = await sts({ accessKeyId: prod[5]!, secretAccessKey: prod[6]! }).send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(prod[1]);
    expect(rows.filter((r) => r[4] === "root" && r[10] === "sandbox")).toHaveLength(1);
    const check = await lab(["check", own[1]!]);
    expect(check.code, check.err).toBe(0);
    expect(check.out).toContain(`${own[1]}  3/3`);
  }, 120_000);

  it("reports an invalid template with the file's line and column, and applies nothing", async () => {
    const file = path.join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "users:",
        "  - name: alice",
        "    accessKeys: 5",
        "roles:",
        "  - name: Admin",
        "    maxSessionDuration: 10",
        "    trustPolicy: {}",
        "",
      ].join("\n"),
    );
    const r = await lab(["apply", file, "--learners", "2"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:3:17: /users/0/accessKeys: Must be 0, 1 or 2`);
    expect(r.err).toContain(`${file}:6:25: /roles/0/maxSessionDuration:`);
    expect(r.err).toContain(`${file}:7:18: /roles/0/trustPolicy:`);
    expect(r.err).toContain("nothing was applied");
  }, 60_000);
});
