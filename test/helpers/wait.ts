/** Bounded polling: await a condition instead of sleeping a fixed time. */

export interface WaitOptions {
  /** give up after this long (default 5 s) */
  timeoutMs?: number;
  /** pause between attempts (default 50 ms) */
  intervalMs?: number;
  /** what is awaited, for the failure message */
  what?: string;
  /** errors that mean "not yet" (retried); any other error fails at once */
  retryOn?: (e: unknown) => boolean;
  /** more to show when it times out (a child process's output, …) */
  detail?: () => string;
}

/**
 * Calls `probe` until it returns something other than `undefined` or `false`, and resolves with that.
 * Fails after `timeoutMs` with a message naming the condition, the attempts and the last answer or error.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, o: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 5_000, intervalMs = 50, what = "condition", retryOn, detail } = o;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last: { value?: unknown; error?: unknown } = {};
  for (;;) {
    attempts++;
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = { value: v };
    } catch (e) {
      if (!retryOn?.(e)) throw e;
      last = { error: e };
    }
    if (Date.now() + intervalMs > deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const seen =
    "error" in last ? `last error: ${String((last.error as Error)?.message ?? last.error)}` : `last answer: ${String(last.value)}`;
  const more = detail ? `\n${detail()}` : "";
  throw new Error(`waitFor: ${what} not reached within ${timeoutMs} ms (${attempts} attempts; ${seen})${more}`, { cause: last.error });
}
