/**
 * The per-request log line of `npm start -- --verbose` (pure). The Worker writes each entry as
 * one JSON line behind REQUEST_LOG_MARKER on its stdout, only when IAMLAB_REQUEST_LOG is set (one
 * property check per request when it is not); the local server (src/tools/sandbox.ts) picks those
 * lines out of workerd's output and prints them as text or JSON lines.
 */

export const REQUEST_LOG_MARKER = "\u0001iamlab-request ";

export interface RequestLogEntry {
  /** ISO time the request arrived */
  time: string;
  requestId: string;
  method: string;
  path: string;
  /** the caller's account, once authenticated */
  account?: string;
  /** the caller's ARN, once authenticated */
  principal?: string;
  /** `service:Action`, once known */
  action?: string;
  status: number;
  /** the AWS error code of a failed request */
  code?: string;
  /** allow / deny when authorization ran (deny: AccessDenied); absent otherwise */
  decision?: "allow" | "deny";
  decisionId?: string;
  latencyMs: number;
}

export type RequestLogFormat = "text" | "json";

/** One line: time account principal service:action status[/code] decision[ id] latency. */
export function formatRequestLog(e: RequestLogEntry, format: RequestLogFormat): string {
  if (format === "json") return JSON.stringify(e);
  const outcome = e.code ? `${e.status}/${e.code}` : String(e.status);
  const decision = e.decision ? (e.decisionId ? `${e.decision} ${e.decisionId}` : e.decision) : "-";
  return [e.time, e.account ?? "-", e.principal ?? "-", e.action ?? `${e.method} ${e.path}`, outcome, decision, `${e.latencyMs}ms`].join(
    " ",
  );
}

/** The entry a workerd output line carries, if it is one. */
export function parseRequestLogLine(line: string): RequestLogEntry | undefined {
  const at = line.indexOf(REQUEST_LOG_MARKER);
  if (at < 0) return undefined;
  try {
    return JSON.parse(line.slice(at + REQUEST_LOG_MARKER.length)) as RequestLogEntry;
  } catch {
    return undefined;
  }
}
