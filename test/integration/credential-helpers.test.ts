/**
 * Role profiles on every installed client (issue 25): a plain role profile (role_arn +
 * source_profile + endpoint_url) works only where the client honours endpoint_url for its
 * AssumeRole; the iamlab-credentials `credential_process` helper works on all of them (CLI v1,
 * Debian's CLI v2 2.9, boto3), and so does the iamlab-aws wrapper. Real AWS is never reached: a
 * closed HTTPS_PROXY catches any call that leaves for amazonaws.com.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { detectClients } from "../../src/tools/detect-clients";
import { honoursEndpointEnv, describeClient, type ClientVersion } from "../../src/tools/clients";
import { parseIni, processCredentials, profileSettings, wrapAwsArgs } from "../../src/tools/aws-config";
import { url } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";

const ROOT = path.resolve(__dirname, "../..");
const clients = await detectClients();
const allow = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

let dir: string;
let accountId: string;
let env: NodeJS.ProcessEnv;

function run(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { env: { ...env, ...extra }, timeout: 40_000 }, (e, stdout, stderr) =>
      resolve({ ok: !e, out: stdout, err: stderr }),
    ),
  );
}

beforeAll(async () => {
  const a = await withAccount();
  accountId = a.id;
  await a.iam.send(new CreateUserCommand({ UserName: "learner" }));
  await a.iam.send(
    new PutUserPolicyCommand({
      UserName: "learner",
      PolicyName: "assume",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] }),
    }),
  );
  const k = (await a.iam.send(new CreateAccessKeyCommand({ UserName: "learner" }))).AccessKey!;
  await a.iam.send(
    new CreateRoleCommand({
      RoleName: "lab-admin",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${a.id}:root` }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
  await a.iam.send(new PutRolePolicyCommand({ RoleName: "lab-admin", PolicyName: "all", PolicyDocument: allow }));
  dir = await mkdtemp(path.join(tmpdir(), "iamlab-creds-"));
  const role = `arn:aws:iam::${a.id}:role/lab-admin`;
  await writeFile(
    path.join(dir, "credentials"),
    `[base]\naws_access_key_id = ${k.AccessKeyId}\naws_secret_access_key = ${k.SecretAccessKey}\n`,
  );
  await writeFile(
    path.join(dir, "config"),
    `[profile base]
region = us-east-1
endpoint_url = ${url()}

# what botocore >= 1.31 understands by itself
[profile lab-plain]
role_arn = ${role}
source_profile = base
region = us-east-1
endpoint_url = ${url()}

# what works everywhere: the helper assumes the role against the sandbox
[profile lab]
credential_process = ${ROOT}/bin/iamlab-credentials --profile lab
iamlab_role_arn = ${role}
iamlab_source_profile = base
region = us-east-1
endpoint_url = ${url()}
`,
  );
  env = {
    ...process.env,
    AWS_CONFIG_FILE: path.join(dir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"),
    AWS_PAGER: "",
    AWS_MAX_ATTEMPTS: "1",
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    HOME: dir,
  };
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"]) delete env[k];
}, 60_000);

let homes = 0;
/** Each call a HOME of its own: CLI v1 caches assumed-role credentials in ~/.aws/cli/cache, where CLI v2 would find them and seem to work. */
async function freshHome(): Promise<NodeJS.ProcessEnv> {
  const home = path.join(dir, `home-${homes++}`);
  await mkdir(home);
  return { HOME: home };
}

async function callerArn(c: ClientVersion, profile: string): Promise<{ ok: boolean; out: string; err: string }> {
  const home = await freshHome();
  return c.kind === "boto3"
    ? run(
        c.command,
        [
          "-c",
          `import boto3; print(boto3.Session(profile_name="${profile}").client("sts", endpoint_url="${url()}").get_caller_identity()["Arn"])`,
        ],
        home,
      )
    : run(
        c.command,
        ["--profile", profile, "--endpoint-url", url(), "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
        home,
      );
}

describe("pure helpers", () => {
  it("reads profiles of the config and credentials files", () => {
    const config = parseIni("[default]\nregion = eu-west-1\n[profile lab]\niamlab_role_arn = arn\ns3 =\n  addressing_style = path\n");
    const creds = parseIni("# c\n[lab]\naws_access_key_id = AKIA\n");
    expect(profileSettings(config, creds, "lab")).toEqual({ iamlab_role_arn: "arn", s3: "", aws_access_key_id: "AKIA" });
    expect(profileSettings(config, creds, "default")).toEqual({ region: "eu-west-1" });
    expect(profileSettings(config, creds, "none")).toBeUndefined();
  });

  it("prints AWS's process-credentials JSON", () => {
    expect(
      JSON.parse(
        processCredentials({ accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "t", expiration: new Date("2030-01-01T00:00:00Z") }),
      ),
    ).toEqual({ Version: 1, AccessKeyId: "ASIA", SecretAccessKey: "s", SessionToken: "t", Expiration: "2030-01-01T00:00:00.000Z" });
  });

  it("adds --endpoint-url to CLI arguments unless given or nothing is sent", () => {
    expect(wrapAwsArgs(["--iamlab-profile", "lab", "iam", "list-users"], "http://e")).toEqual({
      profile: "lab",
      cliArgs: ["iam", "list-users", "--endpoint-url", "http://e"],
    });
    expect(wrapAwsArgs(["s3", "ls", "--endpoint-url", "http://x"], "http://e").cliArgs).toEqual(["s3", "ls", "--endpoint-url", "http://x"]);
    expect(wrapAwsArgs(["--version"], "http://e").cliArgs).toEqual(["--version"]);
    expect(wrapAwsArgs(["iam", "help"], "http://e").cliArgs).toEqual(["iam", "help"]);
  });
});

describe("role profiles per installed client", () => {
  it("iamlab-credentials prints process credentials of the assumed role", async () => {
    const r = await run(path.join(ROOT, "bin/iamlab-credentials"), ["--profile", "lab"]);
    expect(r.ok, r.err).toBe(true);
    const c = JSON.parse(r.out) as Record<string, unknown>;
    expect(c).toMatchObject({ Version: 1 });
    expect(c.AccessKeyId).toMatch(/^ASIA/);
    expect(typeof c.SessionToken).toBe("string");
    expect(Date.parse(c.Expiration as string)).toBeGreaterThan(Date.now());
  });

  it.skipIf(clients.length === 0)(
    "a credential_process profile works on every client; a plain role profile only where endpoint_url is honoured",
    async () => {
      for (const c of clients) {
        const helped = await callerArn(c, "lab");
        expect(helped.ok, `${describeClient(c)} with credential_process: ${helped.err}`).toBe(true);
        expect(helped.out.trim()).toMatch(new RegExp(`^arn:aws:sts::${accountId}:assumed-role/lab-admin/iamlab-lab$`));
        const plain = await callerArn(c, "lab-plain");
        if (honoursEndpointEnv(c)) {
          expect(plain.ok, `${describeClient(c)} with a plain role profile: ${plain.err}`).toBe(true);
          expect(plain.out.trim()).toContain(`:assumed-role/lab-admin/`);
        } else {
          // Its AssumeRole went to sts.amazonaws.com (the closed proxy here).
          expect(plain.ok, `${describeClient(c)} should not reach the sandbox for its AssumeRole`).toBe(false);
          expect(plain.err).toMatch(/proxy|amazonaws\.com/i);
        }
      }
    },
    120_000,
  );

  const clis = clients.filter((c) => c.kind !== "boto3");
  it.skipIf(clis.length === 0)(
    "iamlab-aws runs each CLI with the endpoint and the profile's credentials",
    async () => {
      for (const c of clis) {
        const r = await run(
          path.join(ROOT, "bin/iamlab-aws"),
          ["--iamlab-profile", "lab", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
          {
            IAMLAB_AWS_CLI: c.command,
          },
        );
        expect(r.ok, `${describeClient(c)}: ${r.err}`).toBe(true);
        expect(r.out.trim()).toBe(`arn:aws:sts::${accountId}:assumed-role/lab-admin/iamlab-lab`);
        const users = await run(
          path.join(ROOT, "bin/iamlab-aws"),
          ["--iamlab-profile", "lab", "iam", "list-users", "--query", "Users[].UserName", "--output", "text"],
          {
            IAMLAB_AWS_CLI: c.command,
          },
        );
        expect(users.out.trim()).toBe("learner");
      }
    },
    120_000,
  );
});
