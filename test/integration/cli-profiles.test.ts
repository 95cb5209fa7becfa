/**
 * The AWS CLI's own role profiles (`role_arn` + `source_profile`, with `endpoint_url` in the
 * config): the CLI calls sts:AssumeRole itself and then uses the session. Skips without `aws`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { url, type NewAccount } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";
import { hasAwsCli } from "../helpers/aws-cli";

const run = promisify(execFile);
describe.skipIf(!hasAwsCli)("AWS CLI profiles with role_arn / source_profile", () => {
  let acct: NewAccount;
  let dir: string;
  beforeAll(async () => {
    const { account, iam: root } = await withAccount();
    acct = account;
    await root.send(new CreateUserCommand({ UserName: "dev" }));
    await root.send(new AttachUserPolicyCommand({ UserName: "dev", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: "dev" }))).AccessKey!;
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${acct.accountId}:user/dev` }, Action: "sts:AssumeRole" }],
    });
    await root.send(new CreateRoleCommand({ RoleName: "lab-admin", AssumeRolePolicyDocument: trust }));
    dir = mkdtempSync(path.join(tmpdir(), "iamlab-cli-"));
    writeFileSync(
      path.join(dir, "config"),
      [
        "[profile base]",
        "region = us-east-1",
        `endpoint_url = ${url()}`,
        "[profile lab]",
        `role_arn = arn:aws:iam::${acct.accountId}:role/lab-admin`,
        "source_profile = base",
        "role_session_name = cli-session",
        "region = us-east-1",
        `endpoint_url = ${url()}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(dir, "credentials"),
      ["[base]", `aws_access_key_id = ${k.AccessKeyId}`, `aws_secret_access_key = ${k.SecretAccessKey}`, ""].join("\n"),
    );
  });

  it("`aws --profile lab sts get-caller-identity` assumes the role through the sandbox", async () => {
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      AWS_CONFIG_FILE: path.join(dir, "config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"),
      AWS_PAGER: "",
    };
    const { stdout } = await run("aws", ["--profile", "lab", "sts", "get-caller-identity", "--output", "json"], { env, timeout: 60_000 });
    const out = JSON.parse(stdout) as { Arn: string; Account: string };
    expect(out).toMatchObject({ Account: acct.accountId, Arn: `arn:aws:sts::${acct.accountId}:assumed-role/lab-admin/cli-session` });
  }, 90_000);
});
