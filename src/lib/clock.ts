/** Time helpers. AWS timestamps are ISO-8601 UTC without milliseconds. */
export function isoSeconds(ms: number): string {
  // Every request formats its own "now" (aws:CurrentTime, dates): memoize the last second.
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastIso = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  return lastIso;
}
let lastSecond = NaN;
let lastIso = "";

/** `20261122T193054Z` (SigV4's X-Amz-Date) → epoch ms, or null. */
export function parseAmzDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? null : t;
}
