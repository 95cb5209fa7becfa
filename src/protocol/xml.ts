/**
 * Value-driven XML serializer for the AWS Query protocol (no per-action code):
 * objects → elements in key order, arrays → `<member>` lists, `XmlMap` → `<entry><key/><value/></entry>`,
 * Date → ISO-8601 seconds, booleans → true/false, null/undefined → omitted.
 */
import { isoSeconds } from "../lib/clock";

export class XmlMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, XmlValue]>) {}
}
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | null
  | undefined
  | XmlMap
  | readonly XmlValue[]
  | { readonly [k: string]: XmlValue };

// Text content only (we never write user data into attributes): AWS leaves quotes unescaped.
const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };
const ESC_RE = /[&<>\r]/g;
const ESC_TEST = /[&<>\r]/;
export function esc(s: string): string {
  return ESC_TEST.test(s) ? s.replace(ESC_RE, (c) => ESC[c]!) : s;
}

function body(v: XmlValue): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return esc(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof Date) return isoSeconds(v.getTime());
  if (v instanceof XmlMap) {
    let s = "";
    for (const [k, val] of v.entries) s += `<entry><key>${esc(k)}</key><value>${body(val)}</value></entry>`;
    return s;
  }
  if (Array.isArray(v)) {
    let s = "";
    for (const item of v as readonly XmlValue[]) s += `<member>${body(item)}</member>`;
    return s;
  }
  let s = "";
  for (const [k, val] of Object.entries(v as { readonly [k: string]: XmlValue })) {
    if (val === null || val === undefined) continue;
    s += `<${k}>${body(val)}</${k}>`;
  }
  return s;
}

export const NAMESPACES = {
  iam: "https://iam.amazonaws.com/doc/2010-05-08/",
  sts: "https://sts.amazonaws.com/doc/2011-06-15/",
} as const;

export function successXml(ns: string, action: string, result: XmlValue | undefined, requestId: string): string {
  return successXmlFromResult(ns, action, resultXml(action, result), requestId);
}

/** The `<XResult>…</XResult>` element of a result ("" for actions without output). */
export function resultXml(action: string, result: XmlValue | undefined): string {
  return result === undefined ? "" : `<${action}Result>${body(result)}</${action}Result>`;
}

export function successXmlFromResult(ns: string, action: string, resultElement: string, requestId: string): string {
  return `<${action}Response xmlns="${ns}">${resultElement}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function errorXml(ns: string, type: string, code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
