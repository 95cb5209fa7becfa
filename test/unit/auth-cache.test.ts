/** The isolate cache of authentication data: TTL, per-account invalidation, refresh ahead. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cachedLookup, forget, invalidateAccount, invalidateAll, peek, readTicket, remember } from "../../src/auth/cache";

const TTL = 1000;
let n = 0;
const key = (): string => `test-key-${++n}`;

describe("cachedLookup", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it("serves a hit until the TTL, and a write to the account drops it at once", async () => {
    const k = key();
    const load = vi.fn(async () => ({ account: "111111111111", v: load.mock.calls.length }));
    const get = () => cachedLookup(k, TTL, (x) => x.account, load);
    expect((await get())!.v).toBe(1);
    vi.advanceTimersByTime(999);
    expect((await get())!.v).toBe(1);
    vi.advanceTimersByTime(1);
    expect((await get())!.v).toBe(2);
    invalidateAccount("111111111111");
    expect((await get())!.v).toBe(3);
    expect(load).toHaveBeenCalledTimes(3);
  });

  it("refreshes ahead: past half its life a hit is served and reloaded behind the response", async () => {
    const k = key();
    let version = 1;
    const load = vi.fn(async () => ({ account: "222222222222", v: version }));
    const bg: Promise<unknown>[] = [];
    const get = () => cachedLookup(k, TTL, (x) => x.account, load, (p) => bg.push(p));
    await get();
    vi.advanceTimersByTime(400);
    await get();
    expect(bg).toHaveLength(0); // young entry: no refresh
    vi.advanceTimersByTime(200);
    version = 2;
    expect((await get())!.v).toBe(1); // served at once, stale by at most the TTL
    expect(bg).toHaveLength(1);
    await get();
    expect(bg).toHaveLength(1); // one refresh in flight at a time
    await Promise.all(bg);
    expect((await get())!.v).toBe(2);
    // The refreshed entry lives a TTL from its reload: past the first entry's expiry, no miss.
    vi.advanceTimersByTime(900);
    version = 3;
    expect((await get())!.v).toBe(2);
    expect(bg).toHaveLength(2); // …and, being past half of its own life, it is refreshed again
    await Promise.all(bg);
    expect((await get())!.v).toBe(3);
  });

  it("a refresh that finds the row gone drops the entry; one raced by a write is discarded", async () => {
    const k = key();
    let row: { account: string; v: number } | undefined = { account: "333333333333", v: 1 };
    const load = vi.fn(async () => row);
    const bg: Promise<unknown>[] = [];
    const get = () => cachedLookup(k, TTL, (x) => x.account, load, (p) => bg.push(p));
    await get();
    vi.advanceTimersByTime(600);
    row = undefined;
    expect((await get())?.v).toBe(1);
    await Promise.all(bg.splice(0));
    expect(await get()).toBeUndefined(); // deleted elsewhere: gone after the refresh

    row = { account: "333333333333", v: 5 };
    await get();
    vi.advanceTimersByTime(600);
    row = { account: "333333333333", v: 6 };
    await get(); // starts a refresh
    invalidateAccount("333333333333"); // a write in this isolate before the refresh lands
    row = { account: "333333333333", v: 7 };
    await Promise.all(bg.splice(0));
    expect((await get())!.v).toBe(7); // the refresh's v6 was not kept
  });

  it("peek/remember (IAM reads): one refresh ticket past half-life; a write before the refreshed value lands wins", () => {
    const k = key();
    const A = "444444444444";
    remember(k, A, "v1", TTL);
    vi.advanceTimersByTime(400);
    expect(peek<string>(k, A, TTL)).toEqual({ value: "v1" });
    vi.advanceTimersByTime(200);
    const first = peek<string>(k, A, TTL)!;
    expect(first.value).toBe("v1");
    expect(first.refresh).toMatchObject({ key: k, account: A });
    expect(peek<string>(k, A, TTL)!.refresh).toBeUndefined(); // one at a time
    remember(k, A, "v2", TTL, first.refresh);
    vi.advanceTimersByTime(900); // 1500 ms after v1 was cached: v2 lives from its refresh
    expect(peek<string>(k, A)!.value).toBe("v2");

    const ticket = peek<string>(k, A, TTL)!.refresh!;
    invalidateAccount(A);
    remember(k, A, "v3", TTL, ticket);
    expect(peek<string>(k, A)).toBeUndefined();

    remember(k, A, "v4", TTL);
    forget(k);
    expect(peek<string>(k, A)).toBeUndefined();
  });

  it("invalidateAll (the test clock moved) drops every account's entries and pending refreshes", () => {
    const k1 = key();
    const k2 = key();
    remember(k1, "555555555555", "a", TTL);
    remember(k2, "666666666666", "b", TTL);
    vi.advanceTimersByTime(600);
    const ticket = peek<string>(k2, "666666666666", TTL)!.refresh!;
    invalidateAll();
    expect(peek<string>(k1, "555555555555")).toBeUndefined();
    remember(k2, "666666666666", "b2", TTL, ticket);
    expect(peek<string>(k2, "666666666666")).toBeUndefined();
    remember(k1, "555555555555", "a2", TTL);
    expect(peek<string>(k1, "555555555555")!.value).toBe("a2");
  });

  it("a load or a read that overlaps a write is used but not kept (it may predate the write)", async () => {
    const k = key();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const load = async () => {
      calls++;
      if (calls === 1) await gate;
      return { account: "777777777777", v: calls };
    };
    const pending = cachedLookup(k, TTL, (x) => x.account, load);
    invalidateAccount("777777777777"); // e.g. DeleteAccessKey committed while the lookup was in flight
    release();
    expect((await pending)!.v).toBe(1);
    expect((await cachedLookup(k, TTL, (x) => x.account, load))!.v).toBe(2); // not served from cache
    expect((await cachedLookup(k, TTL, (x) => x.account, load))!.v).toBe(2); // this one was kept

    const r = key();
    const t = readTicket(r, "888888888888");
    invalidateAccount("888888888888"); // CreateUser finished while ListUsers was reading
    remember(r, "888888888888", "list without the new user", TTL, t);
    expect(peek<string>(r, "888888888888")).toBeUndefined();
  });
});
