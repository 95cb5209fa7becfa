/**
 * `GET /_iamlab/health`, unauthenticated, for readiness probes: whether D1 (with the migrations
 * applied) and both Durable Object namespaces answer, and the sandbox's version. 200 when all do,
 * 503 with the failing dependency's error otherwise. It reveals nothing about any account.
 */
import type { Env } from "../env";
import { version } from "../../package.json";

export interface Health {
  ready: boolean;
  version: string;
  d1: string;
  durableObjects: string;
  /** the default account's bootstrap (when one is configured) */
  defaultAccount?: string;
}

const PROBE = "_iamlab-health";

async function check(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return "ok";
  } catch (e) {
    return `error: ${e instanceof Error ? e.message : String(e)}`;
  }
}

export async function health(env: Env, bootstrap: () => Promise<void>): Promise<Response> {
  const [d1, sessions, consistency] = await Promise.all([
    // The accounts table: D1 answers and the migrations are applied.
    check(() => env.DB.prepare("SELECT count(*) FROM accounts").first()),
    check(() => env.SESSIONS.get(env.SESSIONS.idFromName(PROBE)).ping()),
    check(() => env.CONSISTENCY.get(env.CONSISTENCY.idFromName(PROBE)).ping()),
  ]);
  const durableObjects = sessions !== "ok" ? `sessions ${sessions}` : consistency !== "ok" ? `consistency ${consistency}` : "ok";
  const body: Health = { ready: false, version, d1, durableObjects };
  if (d1 === "ok" && env.IAMLAB_ROOT_ACCESS_KEY_ID && env.IAMLAB_ROOT_SECRET_ACCESS_KEY) body.defaultAccount = await check(bootstrap);
  body.ready = d1 === "ok" && durableObjects === "ok" && (body.defaultAccount ?? "ok") === "ok";
  return new Response(JSON.stringify(body), {
    status: body.ready ? 200 : 503,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}
