/** The sandbox-wide default consistency mode (IAMLAB_CONSISTENCY, JSON), applied to new accounts. */
import type { Env } from "../env";
import { OFF, parseConfig, type ConsistencyConfig } from "./delay";

export function defaultConsistency(env: Env): ConsistencyConfig {
  const raw = env.IAMLAB_CONSISTENCY;
  if (!raw) return OFF;
  try {
    const cfg = parseConfig(JSON.parse(raw));
    if (typeof cfg === "string") throw new Error(cfg);
    return cfg;
  } catch (e) {
    console.error("IAMLAB_CONSISTENCY is invalid; using mode off:", e instanceof Error ? e.message : e);
    return OFF;
  }
}
