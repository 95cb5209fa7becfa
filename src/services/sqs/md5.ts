/**
 * The MD5 digests SQS answers with SendMessage and ReceiveMessage, which SDKs recompute and compare
 * (@aws-sdk/client-sqs checks MD5OfMessageBody / MD5OfBody; other SDKs also MD5OfMessageAttributes).
 * The attributes' digest follows AWS's SQS Developer Guide ("Calculating the MD5 message digest for
 * message attributes"): for each attribute in name order, the name, the data type, one transport byte
 * (1 string, 2 binary), then the value — each of name, type and value preceded by its length as a
 * 4-byte big-endian integer. Pure: the digest input is built here, hashed where MD5 exists (workerd).
 */

export type MessageAttributeValue = {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
};

const utf8 = new TextEncoder();

/** The bytes whose MD5 is MD5OfMessageAttributes; empty for no attributes. */
export function messageAttributesDigestInput(attrs: Readonly<Record<string, MessageAttributeValue>>): Uint8Array {
  const parts: Uint8Array[] = [];
  const lengthPrefixed = (b: Uint8Array): void => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length);
    parts.push(len, b);
  };
  // Sorted by UTF-16 code units, as the Java SDK's TreeMap does.
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name]!;
    lengthPrefixed(utf8.encode(name));
    lengthPrefixed(utf8.encode(a.DataType));
    if (a.BinaryValue !== undefined) {
      parts.push(Uint8Array.of(2));
      lengthPrefixed(a.BinaryValue);
    } else {
      parts.push(Uint8Array.of(1));
      lengthPrefixed(utf8.encode(a.StringValue ?? ""));
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Lower-case hex MD5 (workerd's WebCrypto has MD5 as an extension). */
export async function md5Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? utf8.encode(data) : data;
  const d = new Uint8Array(await crypto.subtle.digest("MD5", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}
