/**
 * The trail's store and the query other modules use (`lookupEvents`, labs' grading): one segment per
 * account and flush, events of unknown accounts dropped, attribute filters, data events on request,
 * retention, paging across interleaved segments.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { insertEvents, queryEvents, type TrailRow } from "../../src/store/cloudtrail-events";
import { lookupEvents } from "../../src/services/cloudtrail/index";

const A = "720000000001";
const B = "720000000002";
const T = Date.UTC(2026, 10, 1, 12, 0, 0);
const DAY = 86_400_000;

function row(account: string, id: string, over: Partial<TrailRow> = {}): TrailRow {
  return {
    accountId: account,
    eventId: id,
    eventTime: T,
    eventName: "GetUser",
    eventSource: "iam.amazonaws.com",
    category: "Management",
    readOnly: true,
    username: "alice",
    accessKeyId: "AKIAALICE",
    resources: [{ ResourceType: "AWS::IAM::User", ResourceName: "alice" }],
    body: JSON.stringify({ eventID: id, eventName: over.eventName ?? "GetUser" }),
    ...over,
  };
}

describe("cloudtrail store", () => {
  it("writes a flush in one statement, drops unknown accounts, filters, and keeps data events for graders", async () => {
    const db = getDb(env.DB);
    await createAccount(db, A, null, T);
    await createAccount(db, B, null, T);
    await insertEvents(db, [
      row(A, "e1", { eventTime: T - 2000 }),
      row(A, "e2", { eventTime: T - 1000, eventName: "GetObject", eventSource: "s3.amazonaws.com", category: "Data", username: "r" }),
      row(A, "e3", { eventName: "CreateUser", readOnly: false, resources: [{ ResourceType: "AWS::IAM::User", ResourceName: "bob" }] }),
      row(B, "e4"),
      row("799999999999", "nobody"),
    ]);
    const mgmt = await lookupEvents(db, A, {}, T);
    expect(mgmt.map((e) => e.eventId)).toEqual(["e3", "e1"]);
    expect(mgmt[0]!.record).toEqual({ eventID: "e3", eventName: "CreateUser" });
    const all = await lookupEvents(db, A, { includeData: true }, T);
    expect(all.map((e) => e.eventId)).toEqual(["e3", "e2", "e1"]);
    const byResource = await lookupEvents(db, A, { attribute: { key: "ResourceName", value: "bob" } }, T);
    expect(byResource.map((e) => e.eventId)).toEqual(["e3"]);
    const writes = await lookupEvents(db, A, { attribute: { key: "ReadOnly", value: "false" } }, T);
    expect(writes.map((e) => e.eventId)).toEqual(["e3"]);
    const ranged = await lookupEvents(db, A, { startTime: T - 1500, endTime: T - 500, includeData: true }, T);
    expect(ranged.map((e) => e.eventId)).toEqual(["e2"]);
    expect((await lookupEvents(db, B, {}, T)).map((e) => e.eventId)).toEqual(["e4"]);
    const orphan = await db.$client
      .prepare("SELECT count(*) AS n FROM cloudtrail_segments WHERE account_id = '799999999999'")
      .first<{ n: number }>();
    expect(orphan!.n).toBe(0);
  });

  it("never returns events older than 90 days, and prunes them on a write", async () => {
    const db = getDb(env.DB);
    const C = "720000000003";
    await createAccount(db, C, null, T);
    await insertEvents(db, [row(C, "old", { eventTime: T - 91 * DAY })]);
    await insertEvents(db, [row(C, "older-in-a-new-segment", { eventTime: T - 92 * DAY }), row(C, "new")]);
    expect((await lookupEvents(db, C, {}, T)).map((e) => e.eventId)).toEqual(["new"]);
    await insertEvents(db, [row(C, "newer", { eventTime: T + 1 })], T - 90 * DAY);
    // Pruning is per segment: the one holding only "old" went; an old event beside a new one stays (never returned).
    const left = await db.$client
      .prepare("SELECT meta FROM cloudtrail_segments WHERE account_id = ? ORDER BY seq")
      .bind(C)
      .all<{ meta: string }>();
    expect(left.results.map((r) => (JSON.parse(r.meta) as [string][]).map((m) => m[0]))).toEqual([
      ["older-in-a-new-segment", "new"],
      ["newer"],
    ]);
  });
});

describe("cloudtrail store: segments", () => {
  it("pages newest first across many segments whose times interleave (flushes of several isolates)", async () => {
    const db = getDb(env.DB);
    const D = "720000000004";
    await createAccount(db, D, null, T);
    // 130 flushes, each with 3 events spread over the whole range: every segment overlaps the others.
    let n = 0;
    for (let k = 0; k < 130; k++) {
      await insertEvents(
        db,
        [0, 1, 2].map((j) =>
          row(D, `ev-${n++}`, {
            eventTime: T - ((k * 7 + j * 131) % 400) * 1000,
            eventName: j === 1 ? "CreateUser" : "GetUser",
            readOnly: j !== 1,
          }),
        ),
      );
    }
    const all = await queryEvents(db, D, { startTime: 0, endTime: T, categories: ["Management"], limit: 1000 });
    expect(all).toHaveLength(390);
    const sorted = [...all].sort((x, y) => y.eventTime - x.eventTime || y.seq - x.seq);
    expect(all.map((e) => e.eventId)).toEqual(sorted.map((e) => e.eventId));
    // Paging 7 at a time gives the same sequence, no event twice or missed.
    const paged: string[] = [];
    let after: { time: number; seq: number } | undefined;
    for (;;) {
      const page = await queryEvents(db, D, {
        startTime: 0,
        endTime: T,
        categories: ["Management"],
        limit: 7,
        ...(after ? { after } : {}),
      });
      paged.push(...page.map((e) => e.eventId));
      const last = page[page.length - 1];
      if (page.length < 7 || !last) break;
      after = { time: last.eventTime, seq: last.seq };
    }
    expect(paged).toEqual(all.map((e) => e.eventId));
    // A filtered page: only the writes, with their records.
    const writes = await queryEvents(db, D, {
      attribute: { key: "EventName", value: "CreateUser" },
      startTime: 0,
      endTime: T,
      categories: ["Management"],
      limit: 50,
    });
    expect(writes).toHaveLength(50);
    expect(writes.every((e) => e.eventName === "CreateUser" && JSON.parse(e.body).eventName === "CreateUser")).toBe(true);
    expect(writes.map((e) => e.eventId)).toEqual(
      all
        .filter((e) => e.eventName === "CreateUser")
        .slice(0, 50)
        .map((e) => e.eventId),
    );
  });
});

describe("cloudtrail store: large flushes", () => {
  it("a burst of large events is split into chunks (no SQLITE_TOOBIG), an event over 256 KB keeps everything but its parameters", async () => {
    const db = getDb(env.DB);
    const C = "720000000003";
    await createAccount(db, C, null, T);
    const big = (id: string, chars: number) =>
      row(C, id, { body: JSON.stringify({ eventID: id, requestParameters: { doc: "x".repeat(chars) } }) });
    // 40 events of 100 KB: 4 MB in one flush.
    const rows = Array.from({ length: 40 }, (_, i) => big(`big-${i}`, 100_000));
    await insertEvents(db, [...rows, big("huge", 600_000)]);
    const found = await lookupEvents(db, C, { limit: 100 }, T + 1000);
    const ids = found.map((e) => e.eventId);
    expect(ids.filter((id) => id.startsWith("big-"))).toHaveLength(40);
    const huge = found.find((e) => e.eventId === "huge")!;
    expect(huge.record.requestParameters).toBeNull();
    expect(JSON.stringify(huge.record.additionalEventData)).toContain("over 256 KB");
  });
});
