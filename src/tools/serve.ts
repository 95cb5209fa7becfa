/**
 * `npm start`: the local sandbox. Flags: --port N (8787), --host H (127.0.0.1),
 * --local-protocol http|https, --persist-to DIR (.wrangler/state), --in-memory, --verbose.
 */
import { startSandbox, LOCAL_DEFAULTS, ROOT } from "./sandbox";
import path from "node:path";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(flag("--port") ?? process.env.PORT ?? 8787);
const host = flag("--host") ?? "127.0.0.1";
const https = (flag("--local-protocol") ?? "http") === "https";
const persistTo = process.argv.includes("--in-memory") ? false : path.resolve(ROOT, flag("--persist-to") ?? ".wrangler/state");

const sandbox = await startSandbox({ port, host, https, persistTo, verbose: process.argv.includes("--verbose") });
const url = sandbox.url;
const v = LOCAL_DEFAULTS;
const noVerify = https ? " --no-verify-ssl" : "";
console.log(`
iamlab is listening on ${url}   (state: ${persistTo || "in memory"})

Default account ${v.IAMLAB_DEFAULT_ACCOUNT_ID}, root credentials (local defaults — never use them on a deploy):
  export AWS_ACCESS_KEY_ID=${v.IAMLAB_ROOT_ACCESS_KEY_ID}
  export AWS_SECRET_ACCESS_KEY=${v.IAMLAB_ROOT_SECRET_ACCESS_KEY}
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_ENDPOINT_URL=${url}
  export AWS_PAGER=""

Try:
  aws --endpoint-url ${url}${noVerify} sts get-caller-identity
  aws --endpoint-url ${url}${noVerify} iam list-users

Admin API (accounts):
  curl -s${https ? "k" : ""} -X POST -H "Authorization: Bearer ${v.IAMLAB_ADMIN_TOKEN}" ${url}/_iamlab/accounts

Ctrl-C stops the sandbox.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await sandbox.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
