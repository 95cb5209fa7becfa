/**
 * `npm start`: the local sandbox. Flags: --port N (8787), --host H (127.0.0.1),
 * --local-protocol http|https, --persist-to DIR (.wrangler/state), --in-memory, --verbose (one log line
 * per request, src/lib/request-log.ts), --log-format text|json (json: JSON lines; implies the log).
 * Configuration: every IAMLAB_* variable from the environment, else .dev.vars, else the documented
 * local defaults (src/tools/local-config.ts). Exits 1 if the workerd runtime dies, so a supervisor
 * (systemd, docker --restart, a shell loop) can start it again.
 */
import { startSandbox, ROOT, type Sandbox } from "./sandbox";
import { checkExposure, configErrors, LOCAL_DEFAULTS, readDevVars, resolveLocalConfig, type ConfigSource } from "./local-config";
import path from "node:path";
import { endpointAdvice } from "./clients";
import { detectClients } from "./detect-clients";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(lines: string[], code = 1): never {
  for (const l of lines) console.error(`iamlab: ${l}`);
  process.exit(code);
}

const port = Number(flag("--port") ?? process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail([`--port must be a port number (got ${flag("--port") ?? process.env.PORT}).`], 2);
const host = flag("--host") ?? "127.0.0.1";
const https = (flag("--local-protocol") ?? "http") === "https";
const logFormat = flag("--log-format");
if (logFormat !== undefined && logFormat !== "text" && logFormat !== "json")
  fail([`--log-format must be text or json (got ${logFormat}).`], 2);
// --verbose: one line per request; --log-format json alone also turns it on.
const requestLog = logFormat ?? (process.argv.includes("--verbose") ? "text" : undefined);
const persistTo = process.argv.includes("--in-memory") ? false : path.resolve(ROOT, flag("--persist-to") ?? ".wrangler/state");

const config = resolveLocalConfig(process.env, await readDevVars(ROOT));
const errs = configErrors(config.vars);
if (errs.length) fail(errs, 2);
const exposure = checkExposure(host, config.vars);
if (exposure.refuse.length) fail(exposure.refuse);
for (const w of exposure.warn) console.error(`iamlab: warning: ${w}`);

// Probed while the Worker bundles: the banner says which installed clients honour AWS_ENDPOINT_URL.
const clients = detectClients();

let stopping = false;
let started: Sandbox | undefined; // the runtime may die before startSandbox returns
const sandbox = await startSandbox({
  port,
  host,
  https,
  persistTo,
  vars: config.vars,
  verbose: process.argv.includes("--verbose"),
  ...(requestLog ? { requestLog } : {}),
  onRuntimeExit: (reason) => {
    if (stopping) return;
    stopping = true;
    console.error(`iamlab: ${reason}: the sandbox is down. Exiting with status 1 (start it again with npm start).`);
    // Miniflare's dispose tidies its temp files; do not wait on it forever.
    setTimeout(() => process.exit(1), 3000).unref();
    void (started?.stop() ?? Promise.resolve()).catch(() => {}).finally(() => process.exit(1));
  },
});
started = sandbox;
const url = sandbox.url;
const v = sandbox.vars;
const from = (k: string): string => {
  const s: ConfigSource | undefined = config.sources[k];
  return s === "default" ? "local default" : s === "env" ? "from the environment" : s === ".dev.vars" ? "from .dev.vars" : "unset";
};
const noVerify = https ? " --no-verify-ssl" : "";
const rootOn = !!v.IAMLAB_ROOT_ACCESS_KEY_ID && !!v.IAMLAB_ROOT_SECRET_ACCESS_KEY;
const documentedRoot = v.IAMLAB_ROOT_SECRET_ACCESS_KEY === LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY;
const rootSection = rootOn
  ? `Default account ${v.IAMLAB_DEFAULT_ACCOUNT_ID}, root credentials (${documentedRoot ? "documented local defaults — never use them on a deploy" : `secret ${from("IAMLAB_ROOT_SECRET_ACCESS_KEY")}`}):
  export AWS_ACCESS_KEY_ID=${v.IAMLAB_ROOT_ACCESS_KEY_ID}
  export AWS_SECRET_ACCESS_KEY=${v.IAMLAB_ROOT_SECRET_ACCESS_KEY}
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_PAGER=""`
  : `No default account (IAMLAB_ROOT_ACCESS_KEY_ID and IAMLAB_ROOT_SECRET_ACCESS_KEY must both be set): create accounts with the admin API.`;
const adminSection = v.IAMLAB_ADMIN_TOKEN
  ? `Admin API (accounts), token ${from("IAMLAB_ADMIN_TOKEN")}:
  curl -s${https ? "k" : ""} -X POST -H "Authorization: Bearer ${v.IAMLAB_ADMIN_TOKEN}" ${url}/_iamlab/accounts`
  : `Admin API: off (IAMLAB_ADMIN_TOKEN is empty).`;
console.log(`
iamlab is listening on ${url}   (state: ${persistTo || "in memory"})

${rootSection}

${endpointAdvice(url, await clients, noVerify).join("\n")}

${adminSection}
Health: curl -s${https ? "k" : ""} ${url}/_iamlab/health   Request log: ${requestLog ? `on (${requestLog})` : "off (npm start -- --verbose, or --log-format json)"}.
Test clock (POST /_iamlab/clock): ${v.IAMLAB_TEST_CLOCK === "true" ? "on" : "off"} (IAMLAB_TEST_CLOCK, ${from("IAMLAB_TEST_CLOCK")}).

Ctrl-C stops the sandbox.`);

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await sandbox.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
