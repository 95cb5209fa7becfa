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
  // Blob payloads of the model-driven protocols (S3 object bodies); the Query serializer never sees them.
  | Uint8Array
  | ReadableStream
  | readonly XmlValue[]
  | { readonly [k: string]: XmlValue };

// Text content only (we never write user data into attributes): AWS leaves quotes unescaped.
//
// Characters XML 1.0 cannot carry at all, not even as character references (C0 controls other
// than TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF), become U+FFFD: input validation keeps them
// out of stored data where AWS's API model does, but no value (an old row, a field AWS leaves
// unconstrained, a rejected value echoed in an error message) may ever make an answer
// unparseable for the SDKs. Replacing rather than dropping keeps the loss visible and never
// turns two different values into one that looks legitimate.
const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };
const ESC_RE =
  /[&<>\r]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// A cheap first test (any surrogate, paired or not, takes the slow path).
const ESC_TEST = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
export function esc(s: string): string {
  return ESC_TEST.test(s) ? s.replace(ESC_RE, (c) => ESC[c] ?? "\uFFFD") : s;
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
