import { describe, expect, it } from "vitest";
import { setBounded } from "../../src/lib/bounded";

describe("setBounded", () => {
  it("evicts only the oldest entry when full, and a re-set key becomes the newest", () => {
    const m = new Map<string, number>();
    for (const [i, k] of ["a", "b", "c"].entries()) setBounded(m, k, i, 3);
    setBounded(m, "a", 10, 3); // refresh a: b is now the oldest
    setBounded(m, "d", 4, 3);
    expect([...m.entries()]).toEqual([["c", 2], ["a", 10], ["d", 4]]);
  });
});
