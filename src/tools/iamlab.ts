/**
 * Helpers for a learner's shell (bin/iamlab-credentials, bin/iamlab-aws, `npm run iamlab -- …`):
 *
 *   iamlab credentials --profile P   for `credential_process`: assumes the profile's iamlab_role_arn
 *       with its iamlab_source_profile's keys against the sandbox, prints process-credentials JSON.
 *       Role profiles then work on clients that would call real STS for the AssumeRole (CLI v2
 *       before 2.13, e.g. Debian's 2.9; boto3 before 1.28), and on every other client the same way.
 *   iamlab aws [--iamlab-profile P] <aws args>   runs the AWS CLI (IAMLAB_AWS_CLI, default `aws`)
 *       with --endpoint-url and P's credentials (else the environment's, else the default account's
 *       documented local root key).
 *   iamlab explain <decision id> [--iamlab-profile P]   the learner's own decision explanation
 *       (GET /_iamlab/my/decisions/<id>, SigV4-signed with the same credentials).
 *   iamlab lab apply|check|export|reset …   lab templates over the admin API (./lab-cli.ts).
 *
 * The endpoint: --endpoint-url, else the profile's iamlab_endpoint_url or endpoint_url, else
 * IAMLAB_ENDPOINT, else http://127.0.0.1:8787. Files: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE
 * (default ~/.aws/config, ~/.aws/credentials), as the CLI reads them.
 */
import { readFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { homedir } from "node:os";
import path from "node:path";
import { STSClient, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import {
  parseIni,
  processCredentials,
  profileSettings,
  staticCredentials,
  wrapAwsArgs,
  type Ini,
  type StaticCredentials,
} from "./aws-config.ts";
import { LOCAL_DEFAULTS } from "./local-config.ts";
import { labCommand } from "./lab-cli.ts";

const DEFAULT_ENDPOINT = "http://127.0.0.1:8787";

function die(message: string, code = 1): never {
  process.stderr.write(`iamlab: ${message}\n`);
  process.exit(code);
}

async function readIni(file: string): Promise<Ini> {
  try {
    return parseIni(await readFile(file, "utf8"));
  } catch {
    return {};
  }
}

async function files(): Promise<{ config: Ini; credentials: Ini }> {
  const aws = path.join(homedir(), ".aws");
  return {
    config: await readIni(process.env.AWS_CONFIG_FILE ?? path.join(aws, "config")),
    credentials: await readIni(process.env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(aws, "credentials")),
  };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

interface Resolved {
  creds: StaticCredentials & { expiration?: Date };
  endpoint: string;
  region: string;
}

/** A profile's credentials: static keys, or (iamlab_role_arn) a role assumed against the sandbox with its source profile's keys. */
async function resolveProfile(profile: string, endpointFlag?: string, depth = 0): Promise<Resolved> {
  if (depth > 4) die(`profile ${profile}: iamlab_source_profile chain too long.`);
  const { config, credentials } = await files();
  const s = profileSettings(config, credentials, profile);
  if (!s) die(`profile ${profile} not found in the AWS config or credentials file.`);
  const endpoint = endpointFlag ?? s.iamlab_endpoint_url ?? s.endpoint_url ?? process.env.IAMLAB_ENDPOINT ?? DEFAULT_ENDPOINT;
  const region = s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  const roleArn = s.iamlab_role_arn;
  if (!roleArn) {
    const creds = staticCredentials(s);
    if (!creds) die(`profile ${profile} has neither keys (aws_access_key_id, aws_secret_access_key) nor iamlab_role_arn.`);
    return { creds, endpoint, region };
  }
  const source = s.iamlab_source_profile;
  const sourceCreds = source ? (await resolveProfile(source, endpoint, depth + 1)).creds : envCredentials();
  if (!sourceCreds) die(`profile ${profile}: set iamlab_source_profile (a profile with an IAM user's keys).`);
  const sts = new STSClient({ endpoint, region, credentials: sourceCreds, maxAttempts: 1 });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: s.role_session_name ?? s.iamlab_role_session_name ?? `iamlab-${profile}`.slice(0, 64),
        ...(s.duration_seconds ? { DurationSeconds: Number(s.duration_seconds) } : {}),
        ...(s.external_id ? { ExternalId: s.external_id } : {}),
      }),
    );
    const c = out.Credentials!;
    return {
      creds: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, expiration: c.Expiration! },
      endpoint,
      region,
    };
  } catch (e) {
    die(`AssumeRole of ${roleArn} at ${endpoint} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function envCredentials(): StaticCredentials | undefined {
  const id = process.env.AWS_ACCESS_KEY_ID;
  const secret = process.env.AWS_SECRET_ACCESS_KEY;
  if (!id || !secret) return undefined;
  return {
    accessKeyId: id,
    secretAccessKey: secret,
    ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
  };
}

/** --iamlab-profile's credentials, else the environment's, else the default account's documented local root key. */
async function callerCredentials(profile: string | undefined, endpointFlag?: string): Promise<Resolved> {
  if (profile) return resolveProfile(profile, endpointFlag);
  const endpoint = endpointFlag ?? process.env.IAMLAB_ENDPOINT ?? DEFAULT_ENDPOINT;
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  const env = envCredentials();
  if (env) return { creds: env, endpoint, region };
  if (process.env.AWS_PROFILE) return resolveProfile(process.env.AWS_PROFILE, endpointFlag);
  return {
    creds: { accessKeyId: LOCAL_DEFAULTS.IAMLAB_ROOT_ACCESS_KEY_ID, secretAccessKey: LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY },
    endpoint,
    region,
  };
}

async function credentialsCommand(args: string[]): Promise<void> {
  const endpointFlag = option(args, "--endpoint-url");
  const profile = option(args, "--profile") ?? process.env.AWS_PROFILE;
  if (!profile) die("usage: iamlab-credentials --profile <profile with iamlab_role_arn and iamlab_source_profile> [--endpoint-url URL]", 2);
  const { creds } = await resolveProfile(profile, endpointFlag);
  process.stdout.write(`${processCredentials(creds)}\n`);
}

async function awsCommand(args: string[]): Promise<void> {
  const { profile } = wrapAwsArgs(args, "");
  const r = await callerCredentials(profile);
  const { cliArgs } = wrapAwsArgs(args, r.endpoint);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: r.creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: r.creds.secretAccessKey,
    AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION ?? r.region,
    AWS_PAGER: process.env.AWS_PAGER ?? "",
  };
  if (r.creds.sessionToken) env.AWS_SESSION_TOKEN = r.creds.sessionToken;
  else delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE; // the keys above are the ones meant
  const child = spawn(process.env.IAMLAB_AWS_CLI ?? "aws", cliArgs, { stdio: "inherit", env });
  child.on("error", (e) => die(`cannot run the AWS CLI (${process.env.IAMLAB_AWS_CLI ?? "aws"}): ${e.message}`, 127));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function explainCommand(args: string[]): Promise<void> {
  const profile = option(args, "--iamlab-profile");
  const endpointFlag = option(args, "--endpoint-url");
  const id = args[0];
  if (!id) die("usage: iamlab explain <decision id> [--iamlab-profile P] [--endpoint-url URL]", 2);
  const r = await callerCredentials(profile, endpointFlag);
  const u = new URL(r.endpoint);
  const p = `/_iamlab/my/decisions/${encodeURIComponent(id).replace(/%3A/gi, ":")}`;
  const signer = new SignatureV4({ credentials: r.creds, region: r.region, service: "sts", sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign({
    method: "GET",
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: p,
    headers: { host: u.host },
  });
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host;
  const res = await fetch(`${u.origin}${p}`, { headers });
  const text = await res.text();
  process.stdout.write(`${res.headers.get("content-type")?.includes("json") ? JSON.stringify(JSON.parse(text), null, 2) : text}\n`);
  if (!res.ok) process.exit(1);
}

const [command, ...rest] = process.argv.slice(2);
if (command === "credentials") await credentialsCommand(rest);
else if (command === "aws") await awsCommand(rest);
else if (command === "explain") await explainCommand(rest);
else if (command === "lab") await labCommand(rest);
else
  die(
    "usage: iamlab credentials --profile P | iamlab aws [--iamlab-profile P] <aws cli args> | iamlab explain <decision id> [--iamlab-profile P] | iamlab lab apply|check|export|reset …",
    2,
  );
