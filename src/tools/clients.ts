/**
 * Which AWS clients honour what, by version — pure, so the banner and the helpers can be tested for
 * every client without installing it. `detectClients` (tools/detect-clients.ts) feeds it.
 *
 * `AWS_ENDPOINT_URL` and the config file's `endpoint_url` (AWS's "service-specific endpoints") arrived
 * with botocore 1.31.0 / boto3 1.28.0 / CLI v1 1.29.0 and CLI v2 2.13.0 (their changelogs). Checked on
 * this machine against a bogus endpoint: CLI v1 1.45.11 and boto3 1.43.11 honour the variable,
 * Debian's CLI v2 2.9.19 ignores it and calls https://sts.amazonaws.com. The thresholds for the
 * versions in between come from the changelogs, not from a test.
 */

export type ClientKind = "aws-cli-v1" | "aws-cli-v2" | "boto3";

export interface ClientVersion {
  kind: ClientKind;
  /** the command that runs it: `aws`, `/usr/bin/aws`, `python3` */
  command: string;
  version: string;
  /** botocore's version where it is separate (CLI v1, boto3); CLI v2 bundles its own */
  botocore?: string;
}

/** `1.2.3` ≥ `1.2.0`: dotted numeric comparison (missing parts count as 0). */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const b = min.split(".").map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Parses `aws --version` output: `aws-cli/2.9.19 Python/3.11.2 Linux/… source/…` (v2) or
 * `aws-cli/1.45.11 Python/3.11.7 Linux/… botocore/1.43.11` (v1).
 */
export function parseAwsCliVersion(command: string, output: string): ClientVersion | undefined {
  const m = /aws-cli\/(\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!m) return undefined;
  const version = `${m[1]}.${m[2]}.${m[3]}`;
  const botocore = /botocore\/(\d+\.\d+\.\d+)/.exec(output)?.[1];
  if (m[1] === "2") return { kind: "aws-cli-v2", command, version };
  return { kind: "aws-cli-v1", command, version, ...(botocore ? { botocore } : {}) };
}

/** Parses `python3 -c 'import boto3, botocore; print(boto3.__version__, botocore.__version__)'`. */
export function parseBoto3Version(command: string, output: string): ClientVersion | undefined {
  const m = /^(\d+\.\d+\.\d+)\s+(\d+\.\d+\.\d+)\s*$/.exec(output.trim());
  return m ? { kind: "boto3", command, version: m[1]!, botocore: m[2]! } : undefined;
}

/** The minimum versions that honour AWS_ENDPOINT_URL and a profile's endpoint_url (incl. for a role profile's AssumeRole). */
export const ENDPOINT_ENV_SINCE = { "aws-cli-v1": "1.29.0", "aws-cli-v2": "2.13.0", boto3: "1.28.0", botocore: "1.31.0" } as const;

/** Whether the client sends to AWS_ENDPOINT_URL / a profile's endpoint_url (else it calls real AWS). */
export function honoursEndpointEnv(c: ClientVersion): boolean {
  if (c.kind === "aws-cli-v2") return versionAtLeast(c.version, ENDPOINT_ENV_SINCE["aws-cli-v2"]);
  // botocore decides for CLI v1 and boto3; fall back to the package's own version.
  if (c.botocore) return versionAtLeast(c.botocore, ENDPOINT_ENV_SINCE.botocore);
  return versionAtLeast(c.version, ENDPOINT_ENV_SINCE[c.kind]);
}

export function describeClient(c: ClientVersion): string {
  const name = c.kind === "boto3" ? `boto3 ${c.version}` : `aws-cli/${c.version}`;
  return `${c.command} (${name}${c.botocore && c.kind !== "boto3" ? `, botocore ${c.botocore}` : ""})`;
}

/** What the banner says about endpoints: the `--endpoint-url` form first, then who honours AWS_ENDPOINT_URL. */
export function endpointAdvice(url: string, clients: readonly ClientVersion[], noVerify = ""): string[] {
  const lines = [
    `Pass --endpoint-url on every command (works with every CLI and SDK version):`,
    `  aws --endpoint-url ${url}${noVerify} sts get-caller-identity`,
    `  aws --endpoint-url ${url}${noVerify} iam list-users`,
    `  boto3.client("iam", endpoint_url="${url}")`,
    ``,
    `AWS_ENDPOINT_URL and a profile's endpoint_url are honoured only by CLI v2 >= ${ENDPOINT_ENV_SINCE["aws-cli-v2"]}, CLI v1 >= ${ENDPOINT_ENV_SINCE["aws-cli-v1"]}`,
    `and boto3 >= ${ENDPOINT_ENV_SINCE.boto3} (botocore >= ${ENDPOINT_ENV_SINCE.botocore}); older clients ignore them and send your calls to real AWS.`,
  ];
  if (clients.length) {
    lines.push(`Clients on this machine:`);
    for (const c of clients)
      lines.push(
        honoursEndpointEnv(c)
          ? `  ${describeClient(c)}: honours AWS_ENDPOINT_URL`
          : `  ${describeClient(c)}: IGNORES AWS_ENDPOINT_URL: always pass --endpoint-url (role profiles: see iamlab-credentials in the README)`,
      );
  }
  return lines;
}
