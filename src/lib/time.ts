/**
 * The sandbox clock. Real time plus an offset that only the admin API can move, and only
 * where IAMLAB_TEST_CLOCK is enabled (tests of expiry and replays of captured signatures).
 */
let offsetMs = 0;

export function now(): number {
  return Date.now() + offsetMs;
}

export function setClockOffset(ms: number): void {
  offsetMs = ms;
}

export function clockOffset(): number {
  return offsetMs;
}
