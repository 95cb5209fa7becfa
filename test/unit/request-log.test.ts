/** The request log's lines (src/lib/request-log.ts): text and JSON, and picking them out of workerd's output. */
import { describe, expect, it } from "vitest";
import { formatRequestLog, parseRequestLogLine, REQUEST_LOG_MARKER, type RequestLogEntry } from "../../src/lib/request-log";

const denied: RequestLogEntry = {
  time: "2026-12-04T08:30:00.000Z",
  requestId: "r-1",
  method: "POST",
  path: "/",
  account: "123456789012",
  principal: "arn:aws:iam::123456789012:user/bob",
  action: "iam:CreateUser",
  status: 403,
  code: "AccessDenied",
  decision: "deny",
  decisionId: "r-1:abc",
  latencyMs: 7,
};

describe("request log lines", () => {
  it("text: time account principal service:action status/code decision id latency", () => {
    expect(formatRequestLog(denied, "text")).toBe(
      "2026-12-04T08:30:00.000Z 123456789012 arn:aws:iam::123456789012:user/bob iam:CreateUser 403/AccessDenied deny r-1:abc 7ms",
    );
    const ok = {
      time: denied.time,
      requestId: "r-2",
      method: "POST",
      path: "/",
      account: "123456789012",
      principal: "arn:aws:iam::123456789012:root",
      action: "sts:GetCallerIdentity",
      status: 200,
      decision: "allow" as const,
      latencyMs: 1,
    };
    expect(formatRequestLog(ok, "text")).toBe(
      "2026-12-04T08:30:00.000Z 123456789012 arn:aws:iam::123456789012:root sts:GetCallerIdentity 200 allow 1ms",
    );
  });

  it("text: an unauthenticated request shows dashes and its method and path", () => {
    const e: RequestLogEntry = {
      time: denied.time,
      requestId: "r-3",
      method: "GET",
      path: "/bucket",
      status: 403,
      code: "InvalidAccessKeyId",
      latencyMs: 2,
    };
    expect(formatRequestLog(e, "text")).toBe("2026-12-04T08:30:00.000Z - - GET /bucket 403/InvalidAccessKeyId - 2ms");
  });

  it("json: the entry, one line", () => {
    const line = formatRequestLog(denied, "json");
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(denied);
  });

  it("finds entries in workerd's output and leaves other lines alone", () => {
    expect(parseRequestLogLine(`${REQUEST_LOG_MARKER}${JSON.stringify(denied)}`)).toEqual(denied);
    expect(parseRequestLogLine("unhandled error …")).toBeUndefined();
    expect(parseRequestLogLine(`${REQUEST_LOG_MARKER}{not json`)).toBeUndefined();
  });
});
