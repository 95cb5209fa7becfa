/**
 * Just enough of the AWS shared config and credentials files for the iamlab helpers (pure): INI
 * sections, `[profile x]` in config vs `[x]` in credentials, `key = value` lines, `#`/`;` comments.
 * Nested sections (`s3 =` + indented lines) are skipped: the helpers never need them.
 */

export type Ini = Record<string, Record<string, string>>;

export function parseIni(text: string): Ini {
  const out: Ini = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw) && section) continue; // a nested value's continuation
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (head) {
      out[head[1]!] ??= {};
      section = out[head[1]!];
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && section) section[kv[1]!.toLowerCase()] = kv[2]!;
  }
  return out;
}

/** A profile's settings: the config file's `[profile p]` (`[default]` for default) over the credentials file's `[p]`. */
export function profileSettings(config: Ini, credentials: Ini, profile: string): Record<string, string> | undefined {
  const fromConfig =
    config[profile === "default" ? "default" : `profile ${profile}`] ?? (profile === "default" ? undefined : config[profile]);
  const fromCreds = credentials[profile];
  if (!fromConfig && !fromCreds) return undefined;
  return { ...(fromConfig ?? {}), ...(fromCreds ?? {}) };
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function staticCredentials(settings: Record<string, string>): StaticCredentials | undefined {
  const id = settings.aws_access_key_id;
  const secret = settings.aws_secret_access_key;
  if (!id || !secret) return undefined;
  return { accessKeyId: id, secretAccessKey: secret, ...(settings.aws_session_token ? { sessionToken: settings.aws_session_token } : {}) };
}

/** What `credential_process` must print (AWS's process-credentials format, Version 1). */
export function processCredentials(c: StaticCredentials & { expiration?: Date }): string {
  return JSON.stringify({
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    ...(c.sessionToken ? { SessionToken: c.sessionToken } : {}),
    ...(c.expiration ? { Expiration: c.expiration.toISOString() } : {}),
  });
}

/**
 * `iamlab-aws` arguments: the helper's own options first (`--iamlab-profile P`), then the CLI's,
 * with `--endpoint-url` added unless the caller gave one or runs a command that sends nothing.
 */
export function wrapAwsArgs(args: readonly string[], endpoint: string): { profile?: string; cliArgs: string[] } {
  const rest = [...args];
  let profile: string | undefined;
  while (rest[0] === "--iamlab-profile") {
    rest.shift();
    profile = rest.shift();
  }
  const local = rest.length === 0 || ["configure", "help", "--version", "--help"].includes(rest[0]!) || rest.includes("help");
  const cliArgs = local || rest.includes("--endpoint-url") ? rest : [...rest, "--endpoint-url", endpoint];
  return { ...(profile ? { profile } : {}), cliArgs };
}
