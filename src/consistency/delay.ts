/** Eventual-consistency settings and the (seeded, reproducible) propagation delays. Pure. */
export type ConsistencyConfig =
  | { mode: "off" }
  | { mode: "fixed"; delayMs: number }
  | { mode: "random"; minMs: number; maxMs: number; seed: number };

export const OFF: ConsistencyConfig = { mode: "off" };

/** mulberry32: tiny, fast, good enough to make a lab's delays reproducible from a seed. */
function mulberry32(a: number): number {
  let t = (a + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Delay of the `n`-th change of an account under `cfg`. */
export function delayFor(cfg: ConsistencyConfig, n: number): number {
  switch (cfg.mode) {
    case "off":
      return 0;
    case "fixed":
      return cfg.delayMs;
    case "random":
      return Math.round(cfg.minMs + mulberry32(cfg.seed * 1_000_003 + n) * (cfg.maxMs - cfg.minMs));
  }
}

/** Validates admin input into a config; a string error names the problem. */
export function parseConfig(body: unknown): ConsistencyConfig | string {
  if (typeof body !== "object" || body === null) return "Body must be a JSON object.";
  const b = body as Record<string, unknown>;
  const int = (v: unknown, name: string, max = 3_600_000): number | string =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? v : `${name} must be an integer between 0 and ${max}.`;
  switch (b.mode) {
    case "off":
      return OFF;
    case "fixed": {
      const d = int(b.delayMs, "delayMs");
      return typeof d === "string" ? d : { mode: "fixed", delayMs: d };
    }
    case "random": {
      const min = int(b.minMs, "minMs");
      if (typeof min === "string") return min;
      const max = int(b.maxMs, "maxMs");
      if (typeof max === "string") return max;
      if (max < min) return "maxMs must be at least minMs.";
      const seed = b.seed === undefined ? 1 : int(b.seed, "seed", 2 ** 31 - 1);
      return typeof seed === "string" ? seed : { mode: "random", minMs: min, maxMs: max, seed };
    }
    default:
      return "mode must be one of off, fixed, random.";
  }
}
