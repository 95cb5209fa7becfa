/** The isolate cache (src/cache): TTL, invalidation by cause and scope, refresh ahead. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  afterAction,
  afterClockMove,
  afterUsageBookkeeping,
  cachedLookup,
  forget,
  peek,
  readTicket,
  remember,
  scopes,
} from "../../src/cache/index";

/** A write by an action in this isolate (what every state-changing action triggers). */
const invalidateAccount = (account: string): void => afterAction(account, "write");

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
    const get = () => cachedLookup(k, TTL, (x) => scopes.account(x.account), load);
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
    const get = () =>
      cachedLookup(
        k,
        TTL,
        (x) => scopes.account(x.account),
        load,
        (p) => bg.push(p),
      );
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
    const get = () =>
      cachedLookup(
        k,
        TTL,
        (x) => scopes.account(x.account),
        load,
        (p) => bg.push(p),
      );
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
    remember(k, scopes.reads(A), "v1", TTL);
    vi.advanceTimersByTime(400);
    expect(peek<string>(k, scopes.reads(A), TTL)).toEqual({ value: "v1" });
    vi.advanceTimersByTime(200);
    const first = peek<string>(k, scopes.reads(A), TTL)!;
    expect(first.value).toBe("v1");
    expect(first.refresh).toMatchObject({ key: k, scope: scopes.reads(A) });
    expect(peek<string>(k, scopes.reads(A), TTL)!.refresh).toBeUndefined(); // one at a time
    remember(k, scopes.reads(A), "v2", TTL, first.refresh);
    vi.advanceTimersByTime(900); // 1500 ms after v1 was cached: v2 lives from its refresh
    expect(peek<string>(k, scopes.reads(A))!.value).toBe("v2");

    const ticket = peek<string>(k, scopes.reads(A), TTL)!.refresh!;
    invalidateAccount(A);
    remember(k, scopes.reads(A), "v3", TTL, ticket);
    expect(peek<string>(k, scopes.reads(A))).toBeUndefined();

    remember(k, scopes.reads(A), "v4", TTL);
    forget(k);
    expect(peek<string>(k, scopes.reads(A))).toBeUndefined();
  });

  it("afterClockMove (the test clock moved) drops every account's entries and pending refreshes", () => {
    const k1 = key();
    const k2 = key();
    remember(k1, scopes.reads("555555555555"), "a", TTL);
    remember(k2, scopes.reads("666666666666"), "b", TTL);
    vi.advanceTimersByTime(600);
    const ticket = peek<string>(k2, scopes.reads("666666666666"), TTL)!.refresh!;
    afterClockMove();
    expect(peek<string>(k1, scopes.reads("555555555555"))).toBeUndefined();
    remember(k2, scopes.reads("666666666666"), "b2", TTL, ticket);
    expect(peek<string>(k2, scopes.reads("666666666666"))).toBeUndefined();
    remember(k1, scopes.reads("555555555555"), "a2", TTL);
    expect(peek<string>(k1, scopes.reads("555555555555"))!.value).toBe("a2");
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
    const pending = cachedLookup(k, TTL, (x) => scopes.account(x.account), load);
    invalidateAccount("777777777777"); // e.g. DeleteAccessKey committed while the lookup was in flight
    release();
    expect((await pending)!.v).toBe(1);
    expect((await cachedLookup(k, TTL, (x) => scopes.account(x.account), load))!.v).toBe(2); // not served from cache
    expect((await cachedLookup(k, TTL, (x) => scopes.account(x.account), load))!.v).toBe(2); // this one was kept

    const r = key();
    const t = readTicket(r, scopes.reads("888888888888"));
    invalidateAccount("888888888888"); // CreateUser finished while ListUsers was reading
    remember(r, scopes.reads("888888888888"), "list without the new user", TTL, t);
    expect(peek<string>(r, scopes.reads("888888888888"))).toBeUndefined();
  });

  it("scopes: last-used bookkeeping drops read answers only; a read or none action drops nothing; rootKeys only through root-key actions", async () => {
    const A = "999999999999";
    const read = key();
    remember(read, scopes.reads(A), "answer", TTL);
    const keyRow = key();
    const load = vi.fn(async () => ({ account: A }));
    await cachedLookup(keyRow, TTL, (x) => scopes.account(x.account), load);
    const rootRow = key();
    const rootLoad = vi.fn(async () => ({ account: A }));
    await cachedLookup(rootRow, TTL, (x) => scopes.rootKeys(x.account), rootLoad);

    afterUsageBookkeeping(A);
    expect(peek<string>(read, scopes.reads(A))).toBeUndefined();
    await cachedLookup(keyRow, TTL, (x) => scopes.account(x.account), load);
    expect(load).toHaveBeenCalledTimes(1); // key rows survive last-used writes

    afterAction(A, "read");
    afterAction(A, "none");
    await cachedLookup(keyRow, TTL, (x) => scopes.account(x.account), load);
    expect(load).toHaveBeenCalledTimes(1);

    afterAction(A, "permissions");
    await cachedLookup(keyRow, TTL, (x) => scopes.account(x.account), load);
    await cachedLookup(rootRow, TTL, (x) => scopes.rootKeys(x.account), rootLoad);
    expect(load).toHaveBeenCalledTimes(2);
    expect(rootLoad).toHaveBeenCalledTimes(1); // root keys stay: only the key actions touch them

    afterAction(A, "rootKeys");
    await cachedLookup(rootRow, TTL, (x) => scopes.rootKeys(x.account), rootLoad);
    expect(rootLoad).toHaveBeenCalledTimes(2);
  });
});
