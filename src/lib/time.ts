/**
 * The sandbox clock. Real time plus an offset that only the admin API can move, and only
 * where IAMLAB_TEST_CLOCK is enabled (tests of expiry and replays of captured signatures).
 */
let offsetMs = 0;

export function now(): number {
  return Date.now() + offsetMs;
}

/** How far the sandbox clock may be moved either way: ten years (dates stay printable and sane). */
export const MAX_CLOCK_OFFSET_MS = 10 * 366 * 24 * 3600 * 1000;

export function setClockOffset(ms: number): void {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_CLOCK_OFFSET_MS) throw new RangeError(`clock offset out of range: ${ms}`);
  offsetMs = ms;
}

export function clockOffset(): number {
  return offsetMs;
}
