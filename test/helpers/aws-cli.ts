/** The AWS CLI (botocore) against the shared sandbox, for tests that check another client decodes our answers. */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { url, type Creds } from "./sandbox";

/** Whether `aws` is installed; CLI tests skip without it. */
export const hasAwsCli: boolean = spawnSync("aws", ["--version"], { stdio: "ignore" }).status === 0;

/** Runs `aws <args>` signed with `creds`, no config or credentials files, JSON output; the parsed answer ({} when empty). */
export function awsCli<T = Record<string, unknown>>(creds: Creds, ...args: string[]): Promise<T> {
  return awsCliAt<T>("aws", creds, ...args);
}

/** The same with a given CLI binary (`/usr/bin/aws` is Debian's CLI v2, `aws` on PATH the pyenv v1). */
export async function awsCliAt<T = Record<string, unknown>>(bin: string, creds: Creds, ...args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(bin, [...args, "--endpoint-url", url(), "--output", "json"], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_PAGER: "",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  });
  return (stdout.trim() ? JSON.parse(stdout) : {}) as T;
}
