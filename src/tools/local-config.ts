/**
 * The configuration `npm start` serves with: every IAMLAB_* variable comes from the environment,
 * else from `.dev.vars` in the project root (wrangler's format), else from the documented local
 * defaults. And the refusal to expose the documented secrets beyond this machine.
 * Pure except readDevVars (one file read); the integration tests never call it (they pin their own values).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

// Documented local defaults: in src/lib/local-defaults.ts, which the Worker reads too (a deploy refuses them).
import { LOCAL_DEFAULTS } from "../lib/local-defaults.ts";
import { parseRateLimits } from "../limits/config.ts";

export { LOCAL_DEFAULTS };

/**
 * What the test suites run with, whatever the developer's environment or .dev.vars say (CI has
 * neither): the local defaults, and every other IAMLAB_* variable of src/env.ts pinned to unset.
 * (vitest-pool-workers reads .dev.vars for the workers project; these bindings override it.)
 */
export const TEST_VARS: Record<string, string> = {
  ...LOCAL_DEFAULTS,
  IAMLAB_CONSISTENCY: "",
  IAMLAB_REQUEST_LOG: "",
  // --- hosted (issue 22) ---
  IAMLAB_LOCAL: "true",
  IAMLAB_RATE_LIMITS: "",
  IAMLAB_MAX_ACCOUNTS: "",
  IAMLAB_MAX_ACCOUNT_STORAGE_BYTES: "",
  IAMLAB_MAX_QUEUE_MESSAGES: "",
  // --- end hosted ---
  // --- cloudtrail (issue 21): recording on ("" = not "off") ---
  IAMLAB_TRAIL: "",
  // trails deliver on their alarm every 300 s (the default); tests ask for delivery through the admin API
  IAMLAB_TRAIL_DELIVERY_SECONDS: "",
  IAMLAB_CACHE_MB: "",
  // --- sso (issue 19): the default egress policy for external OIDC issuers ---
  IAMLAB_OIDC_EGRESS: "",
};

// --- hosted (issue 22) ---
/**
 * Rate limits no test suite or benchmark reaches: they are on by default (also under `npm start`),
 * so every sandbox the tests and `npm run bench` start sets these; throttling itself is tested with
 * an account's own low limits (test/integration/hosting.test.ts).
 */
export const UNTHROTTLED_RATE_LIMITS = JSON.stringify({
  account: { perSecond: 1_000_000, burst: 1_000_000 },
  accessKey: { perSecond: 1_000_000, burst: 1_000_000 },
  sourceIp: { perSecond: 1_000_000, burst: 1_000_000 },
  adminFailures: { perSecond: 1_000_000, burst: 1_000_000 },
  consoleSignin: { perSecond: 1_000_000, burst: 1_000_000 },
});
TEST_VARS.IAMLAB_RATE_LIMITS = UNTHROTTLED_RATE_LIMITS;
// --- end hosted ---

export type ConfigSource = "env" | ".dev.vars" | "default";

export interface LocalConfig {
  /** the Worker's IAMLAB_* bindings */
  vars: Record<string, string>;
  /** where each of them came from */
  sources: Record<string, ConfigSource>;
}

const IAMLAB_VAR = /^IAMLAB_[A-Z0-9_]+$/;

/**
 * Parses a `.dev.vars` file as wrangler does (dotenv): `KEY=value` lines, an optional `export `
 * prefix, `#` comments, values in single, double or back quotes (double quotes expand \n, \r and \t;
 * a quoted value may span lines), unquoted values trimmed and cut at ` #`.
 */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const src = text.replace(/\r\n?/g, "\n");
  const line =
    /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(?:"((?:\\[\s\S]|[^"\\])*)"|'([^']*)'|`([^`]*)`|([^\n]*))[ \t]*(?:#[^\n]*)?$/gm;
  for (const m of src.matchAll(line)) {
    const [, key, dq, sq, bq, bare] = m;
    if (dq !== undefined) out[key!] = dq.replace(/\\([nrt"\\])/g, (_, ch: string) => ({ n: "\n", r: "\r", t: "\t" })[ch] ?? ch);
    else if (sq !== undefined) out[key!] = sq;
    else if (bq !== undefined) out[key!] = bq;
    else out[key!] = bare!.replace(/[ \t]+#.*$/, "").trim();
  }
  return out;
}

/** `.dev.vars` of the project root, parsed; empty when there is none. */
export async function readDevVars(root: string): Promise<Record<string, string>> {
  try {
    return parseDevVars(await readFile(path.join(root, ".dev.vars"), "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw e;
  }
}

/**
 * env > .dev.vars > local defaults, for every IAMLAB_* variable. A variable set to the empty string
 * counts as set (`IAMLAB_ROOT_SECRET_ACCESS_KEY=` turns the default account off).
 */
export function resolveLocalConfig(env: Record<string, string | undefined>, devVars: Record<string, string>): LocalConfig {
  const vars: Record<string, string> = {};
  const sources: Record<string, ConfigSource> = {};
  const layers: [ConfigSource, Record<string, string | undefined>][] = [
    ["default", LOCAL_DEFAULTS],
    [".dev.vars", devVars],
    ["env", env],
  ];
  for (const [source, layer] of layers)
    for (const [k, v] of Object.entries(layer))
      if (IAMLAB_VAR.test(k) && v !== undefined) {
        vars[k] = v;
        sources[k] = source;
      }
  return { vars, sources };
}

/** Values the Worker would misread (a typo must not leave the test clock on). */
export function configErrors(vars: Record<string, string>): string[] {
  const errs: string[] = [];
  const clock = vars.IAMLAB_TEST_CLOCK;
  if (clock !== undefined && clock !== "true" && clock !== "false" && clock !== "")
    errs.push(`IAMLAB_TEST_CLOCK must be "true" or "false" (got ${JSON.stringify(clock)}).`);
  const ttl = vars.IAMLAB_AUTH_CACHE_MS;
  if (ttl !== undefined && ttl !== "" && !/^\d+$/.test(ttl))
    errs.push(`IAMLAB_AUTH_CACHE_MS must be a whole number of milliseconds (got ${JSON.stringify(ttl)}).`);
  // --- hosted (issue 22) ---
  const limits = parseRateLimits(vars.IAMLAB_RATE_LIMITS);
  if (typeof limits === "string") errs.push(limits);
  for (const k of ["IAMLAB_MAX_ACCOUNTS", "IAMLAB_MAX_ACCOUNT_STORAGE_BYTES", "IAMLAB_MAX_QUEUE_MESSAGES"]) {
    const v = vars[k];
    if (v !== undefined && v !== "" && !/^[1-9]\d*$/.test(v)) errs.push(`${k} must be a whole number above 0 (got ${JSON.stringify(v)}).`);
  }
  // --- end hosted ---
  const id = vars.IAMLAB_DEFAULT_ACCOUNT_ID;
  if (id !== undefined && !/^\d{12}$/.test(id)) errs.push(`IAMLAB_DEFAULT_ACCOUNT_ID must be 12 digits (got ${JSON.stringify(id)}).`);
  return errs;
}

/** Whether a listen address only accepts connections from this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!v4 && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === "127";
}

export interface Exposure {
  /** reasons not to start at all */
  refuse: string[];
  /** reasons to start, loudly */
  warn: string[];
}

/**
 * What serving on `host` with `vars` would expose. Beyond loopback:
 * - the documented admin token refuses to start: it controls the whole sandbox (create and delete
 *   every account, read every account's decisions, move the clock);
 * - the documented root secret and token key only warn: the first makes anyone who can reach the
 *   port root of the default account (one account; labs may share it on purpose; set
 *   IAMLAB_ROOT_SECRET_ACCESS_KEY= to have no default account), the second lets a learner re-sign
 *   their own session token (e.g. a later expiry) — sessions still need their DO-held secret.
 */
export function checkExposure(host: string, vars: Record<string, string>): Exposure {
  const out: Exposure = { refuse: [], warn: [] };
  if (isLoopbackHost(host)) return out;
  if (vars.IAMLAB_ADMIN_TOKEN === LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN)
    out.refuse.push(
      `Refusing to listen on ${host} with the documented admin token (${LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN}): anyone who can reach the port could create and delete every account. ` +
        `Set IAMLAB_ADMIN_TOKEN to a secret of your own (environment or .dev.vars), e.g. IAMLAB_ADMIN_TOKEN=$(openssl rand -hex 24) npm start -- --host ${host}, or leave it empty to turn the admin API off.`,
    );
  const rootOn = !!vars.IAMLAB_ROOT_ACCESS_KEY_ID && !!vars.IAMLAB_ROOT_SECRET_ACCESS_KEY;
  if (rootOn && vars.IAMLAB_ROOT_SECRET_ACCESS_KEY === LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY)
    out.warn.push(
      `Listening on ${host} with the documented root secret: anyone who can reach the port is root of the default account ${vars.IAMLAB_DEFAULT_ACCOUNT_ID ?? ""}. ` +
        `Set IAMLAB_ROOT_SECRET_ACCESS_KEY to a secret of your own, or to nothing (IAMLAB_ROOT_SECRET_ACCESS_KEY=) for no default account.`,
    );
  if (vars.IAMLAB_TOKEN_KEY === LOCAL_DEFAULTS.IAMLAB_TOKEN_KEY)
    out.warn.push(`Listening on ${host} with the documented session-token key: set IAMLAB_TOKEN_KEY to a secret of your own.`);
  if (vars.IAMLAB_TEST_CLOCK === "true")
    out.warn.push(
      `The test clock is on (IAMLAB_TEST_CLOCK=true): whoever holds the admin token can move every account's clock. IAMLAB_TEST_CLOCK=false turns it off.`,
    );
  return out;
}
