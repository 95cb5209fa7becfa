/**
 * Finds the AWS clients installed here (`aws` on PATH, Debian's /usr/bin/aws when it is another
 * one, boto3 for `python3`) and their versions, for the banner. Each probe has a short timeout and
 * a missing client is simply left out: the banner must never wait on, or fail because of, a client.
 */
import { execFile } from "node:child_process";
import { realpath } from "node:fs/promises";
import { parseAwsCliVersion, parseBoto3Version, type ClientVersion } from "./clients.ts";

function run(cmd: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: { ...process.env, AWS_PAGER: "" } }, (err, stdout, stderr) =>
      resolve(err ? undefined : `${stdout}${stderr}`),
    );
  });
}

async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (!dir) continue;
    try {
      return await realpath(`${dir}/${cmd}`);
    } catch {}
  }
  return undefined;
}

const BOTO3_VERSION = "import boto3, botocore; print(boto3.__version__, botocore.__version__)";

export async function detectClients(timeoutMs = 5000): Promise<ClientVersion[]> {
  const cli = (cmd: string) => run(cmd, ["--version"], timeoutMs).then((o) => (o ? parseAwsCliVersion(cmd, o) : undefined));
  const boto3 = (cmd: string) => run(cmd, ["-c", BOTO3_VERSION], timeoutMs).then((o) => (o ? parseBoto3Version(cmd, o) : undefined));
  const probes = [cli("aws"), boto3("python3")];
  // Debian's CLI and Python are often shadowed by a pyenv/pip one first on PATH: report both.
  const debianAws = await realpath("/usr/bin/aws").catch(() => undefined);
  if (debianAws && debianAws !== (await which("aws"))) probes.push(cli("/usr/bin/aws"));
  const debianPython = await realpath("/usr/bin/python3").catch(() => undefined);
  if (debianPython && debianPython !== (await which("python3"))) probes.push(boto3("/usr/bin/python3"));
  return (await Promise.all(probes)).filter((c): c is ClientVersion => c !== undefined);
}
