/**
 * A deploy never serves the documented local secrets (pure). `npm start` and the tests run the
 * Worker through startSandbox, which sets IAMLAB_LOCAL=true; anything else (`wrangler deploy`,
 * `wrangler dev` without it in .dev.vars) is treated as a deploy, where the admin token, the
 * session-token key and the default account's root secret must be secrets of its own
 * (`wrangler secret put …`): with a documented value the Worker answers every request 503 with the
 * reason instead of running with a public token. `npm run deploy:check` fails on the same values
 * in the deploy configuration (src/tools/deploy-check.ts).
 */
import { LOCAL_DEFAULTS } from "../lib/local-defaults";

export interface DeployEnv {
  IAMLAB_LOCAL?: string;
  IAMLAB_ADMIN_TOKEN?: string;
  IAMLAB_TOKEN_KEY?: string;
  IAMLAB_ROOT_ACCESS_KEY_ID?: string;
  IAMLAB_ROOT_SECRET_ACCESS_KEY?: string;
  IAMLAB_TEST_CLOCK?: string;
}

export const SECRET_VARS = ["IAMLAB_ADMIN_TOKEN", "IAMLAB_TOKEN_KEY", "IAMLAB_ROOT_SECRET_ACCESS_KEY"] as const;

/** What is wrong with serving `env` as a deploy; empty when it may serve (or runs locally). */
export function deployProblems(env: DeployEnv): string[] {
  if (env.IAMLAB_LOCAL === "true") return [];
  const out: string[] = [];
  for (const name of SECRET_VARS)
    if (env[name] && env[name] === LOCAL_DEFAULTS[name])
      out.push(`${name} is the documented local default; set a secret of your own: wrangler secret put ${name}`);
  if (env.IAMLAB_TEST_CLOCK === "true")
    out.push("IAMLAB_TEST_CLOCK is true: whoever holds the admin token could move every account's clock; remove it from the deploy's vars");
  return out;
}

let checkedFor: DeployEnv | undefined;
let refusal: string | undefined;

/** The 503 body a misconfigured deploy answers with (memoized per env object: once per isolate). */
export function deployRefusal(env: DeployEnv): string | undefined {
  if (env !== checkedFor) {
    const problems = deployProblems(env);
    refusal = problems.length
      ? `iamlab refuses to serve: this deploy uses the documented local defaults, which are public.\n${problems.map((p) => `- ${p}`).join("\n")}\n(Local serving sets IAMLAB_LOCAL=true; README "Hosting a class".)\n`
      : undefined;
    checkedFor = env;
  }
  return refusal;
}

/**
 * What `npm run deploy:check` refuses in a deploy configuration's [vars] (wrangler.toml, uploaded
 * in plain text and shown in the dashboard): a secret there at all (it belongs in `wrangler secret
 * put`), the local marker, the test clock. `warnings` are printed and do not fail the check.
 */
export function deployConfigProblems(vars: Record<string, unknown>): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const name of SECRET_VARS)
    if (name in vars) {
      const documented = vars[name] === LOCAL_DEFAULTS[name] ? " (and it is the documented local default)" : "";
      errors.push(`${name} is in [vars]${documented}: vars are public. Remove it and run: wrangler secret put ${name}`);
    }
  if ("IAMLAB_LOCAL" in vars)
    errors.push("IAMLAB_LOCAL is in [vars]: it marks local serving and would let a deploy serve the documented secrets.");
  if (vars.IAMLAB_TEST_CLOCK === "true")
    errors.push("IAMLAB_TEST_CLOCK is true in [vars]: a shared deploy must not let the admin token move every account's clock.");
  if (vars.IAMLAB_RATE_LIMITS === "off") warnings.push("IAMLAB_RATE_LIMITS is off: one learner's loop can slow down everyone.");
  return { errors, warnings };
}
