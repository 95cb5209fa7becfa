/**
 * A tiny DER (ASN.1) reader and the few encoders the certificate and key code needs: enough to walk
 * X.509 certificates, SubjectPublicKeyInfo, PKCS#1/#8 and SEC1 keys. Strict where it matters
 * (lengths must fit, definite lengths only); anything else throws DerError, which callers map to
 * AWS's "malformed" errors.
 */

export class DerError extends Error {}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const;

/** One TLV: its tag byte, its content, and the whole encoding (tag and length included). */
export interface Der {
  tag: number;
  content: Uint8Array;
  raw: Uint8Array;
}

/** Reads the element at `offset`; returns it and the offset after it. */
export function readDer(buf: Uint8Array, offset = 0): { el: Der; next: number } {
  if (offset + 2 > buf.length) throw new DerError("truncated");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError("unsupported length");
    if (p + n > buf.length) throw new DerError("truncated");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new DerError("truncated");
  return { el: { tag, content: buf.subarray(p, p + len), raw: buf.subarray(offset, p + len) }, next: p + len };
}

/** The whole buffer as exactly one element. */
export function parseDer(buf: Uint8Array): Der {
  const { el, next } = readDer(buf);
  if (next !== buf.length) throw new DerError("trailing data");
  return el;
}

/** The children of a constructed element (SEQUENCE, SET, [n] explicit). */
export function children(el: Der): Der[] {
  if (!(el.tag & 0x20)) throw new DerError("not constructed");
  const out: Der[] = [];
  let p = 0;
  while (p < el.content.length) {
    const { el: c, next } = readDer(el.content, p);
    out.push(c);
    p = next;
  }
  return out;
}

export function expect(el: Der | undefined, tag: number): Der {
  if (!el || el.tag !== tag) throw new DerError(`expected tag ${tag.toString(16)}`);
  return el;
}

/** The children of a SEQUENCE. */
export function sequence(el: Der | undefined): Der[] {
  return children(expect(el, TAG.SEQUENCE));
}

/** An OBJECT IDENTIFIER as dotted text. */
export function oid(el: Der | undefined): string {
  const c = expect(el, TAG.OID).content;
  if (c.length === 0) throw new DerError("empty OID");
  const parts: number[] = [Math.floor(c[0]! / 40), c[0]! % 40];
  let v = 0;
  for (let i = 1; i < c.length; i++) {
    v = v * 128 + (c[i]! & 0x7f);
    if (!(c[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

/** An INTEGER's magnitude without leading zero bytes (the positive integers of keys). */
export function unsignedInteger(el: Der | undefined): Uint8Array {
  let c = expect(el, TAG.INTEGER).content;
  while (c.length > 1 && c[0] === 0) c = c.subarray(1);
  return c;
}

/** A BIT STRING's bytes (whole bytes only, as keys are). */
export function bitString(el: Der | undefined): Uint8Array {
  const c = expect(el, TAG.BIT_STRING).content;
  if (c.length === 0 || c[0] !== 0) throw new DerError("bit string with unused bits");
  return c.subarray(1);
}

/** UTCTime or GeneralizedTime → epoch ms. */
export function time(el: Der | undefined): number {
  if (!el) throw new DerError("missing time");
  const s = new TextDecoder().decode(el.content);
  let m: RegExpMatchArray | null;
  if (el.tag === TAG.UTC_TIME && (m = s.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))) {
    const yy = Number(m[1]);
    return Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (el.tag === TAG.GENERALIZED_TIME && (m = s.match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/)))
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  throw new DerError("bad time");
}

/** Bit length of a big-endian unsigned integer. */
export function bitLength(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

// ---------------------------------------------------------------- encoding

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** One TLV from a tag and its content (or its children, concatenated). */
export function encode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head = [tag, ...encodeLength(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let p = head.length;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** A positive INTEGER from its big-endian magnitude (a 0 byte added when the top bit is set). */
export function encodeUnsigned(n: Uint8Array): Uint8Array {
  return encode(TAG.INTEGER, n[0]! & 0x80 ? new Uint8Array([0, ...n]) : n);
}

export function encodeOid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number);
  const bytes = [parts[0]! * 40 + parts[1]!];
  for (const v of parts.slice(2)) {
    const group: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) group.unshift((x & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return encode(TAG.OID, new Uint8Array(bytes));
}
