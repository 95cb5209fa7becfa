/**
 * `npm run deploy:check`, before `wrangler deploy --dry-run`: fails when the deploy configuration
 * would serve the documented local defaults or put a secret in plain-text [vars]
 * (src/limits/deploy-safety.ts). Usage: tsx src/tools/deploy-check.ts [--config wrangler.toml] [--env name]
 * The secrets themselves live in Cloudflare (`wrangler secret put`); the Worker checks them again
 * when it serves, and answers 503 with the reason when one is a documented default.
 */
import { unstable_readConfig } from "wrangler";
import { deployConfigProblems } from "../limits/deploy-safety.ts";
import { configErrors } from "./local-config.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const configPath = arg("--config") ?? "wrangler.toml";
const env = arg("--env");
const config = unstable_readConfig({ config: configPath, ...(env ? { env } : {}) }, {});
const vars = (config.vars ?? {}) as Record<string, unknown>;
const { errors, warnings } = deployConfigProblems(vars);
const strings = Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => typeof e[1] === "string"));
errors.push(...configErrors(strings));
for (const w of warnings) console.error(`deploy:check: warning: ${w}`);
if (errors.length) {
  console.error(`deploy:check: ${configPath}${env ? ` (env ${env})` : ""} would not be safe to deploy:`);
  for (const e of errors) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(
  `deploy:check: ${configPath}: no secret in [vars]. Set the secrets once with wrangler secret put IAMLAB_ADMIN_TOKEN / IAMLAB_TOKEN_KEY / IAMLAB_ROOT_SECRET_ACCESS_KEY; the Worker refuses to serve the documented local ones.`,
);
