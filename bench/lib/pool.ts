/** Runs fn over items with at most `parallel` calls in flight (seeding through the API). */
export async function pool<T>(items: readonly T[], fn: (t: T) => Promise<unknown>, parallel = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** [from, to) as an array. */
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
