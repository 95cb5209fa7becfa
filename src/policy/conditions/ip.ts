/** IpAddress / NotIpAddress: IPv4 and IPv6 addresses and CIDR blocks. */
import type { ConditionOperator, ValueTest } from "./types.js";

export interface IpValue {
  v6: boolean;
  /** The 32-bit (IPv4) or 128-bit (IPv6) address. */
  value: bigint;
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const b = Number(p);
    if (b > 255) return null;
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

function parseV6(s: string): bigint | null {
  let text = s;
  // Embedded IPv4 (::ffff:1.2.3.4): rewrite the dotted tail as two hex groups.
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) > 0) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const dbl = text.indexOf("::");
  if (dbl >= 0 && dbl !== text.lastIndexOf("::")) return null;
  const parseGroups = (g: string): bigint[] | null => {
    if (g === "") return [];
    const out: bigint[] = [];
    for (const h of g.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null;
      out.push(BigInt(parseInt(h, 16)));
    }
    return out;
  };
  let groups: bigint[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const rest = parseGroups(text.slice(dbl + 2));
    if (!head || !rest) return null;
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<bigint>(missing).fill(0n), ...rest];
  } else {
    const all = parseGroups(text);
    if (!all) return null;
    groups = all;
  }
  if (groups.length !== 8) return null;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | g;
  return n;
}

export function parseIp(s: string): IpValue | null {
  const t = s.trim();
  if (t.includes(":")) {
    const v = parseV6(t);
    return v === null ? null : { v6: true, value: v };
  }
  const v = parseV4(t);
  return v === null ? null : { v6: false, value: v };
}

export interface Cidr {
  v6: boolean;
  network: bigint;
  mask: bigint;
}

export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return null;
  const bits = ip.v6 ? 128 : 32;
  let len = bits;
  if (slash >= 0) {
    const l = s.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(l)) return null;
    len = Number(l);
    if (len > bits) return null;
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = len === 0 ? 0n : (all >> BigInt(bits - len)) << BigInt(bits - len);
  return { v6: ip.v6, network: ip.value & mask, mask };
}

/** IPv4 as an unsigned 32-bit number (no BigInt on the hot path); null for anything else. */
function fastV4(s: string): number | null {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + octet;
}

interface ParsedRequestIp {
  v4: number | null;
  ip: IpValue | null;
}

// One request carries one source IP that many conditions test: remember the last parse.
let lastText: string | undefined;
let lastParsed: ParsedRequestIp = { v4: null, ip: null };

function parseRequestIp(s: string): ParsedRequestIp {
  if (s === lastText) return lastParsed;
  const v4 = fastV4(s);
  lastParsed = { v4, ip: v4 === null ? parseIp(s) : { v6: false, value: BigInt(v4) } };
  lastText = s;
  return lastParsed;
}

function compileIp(values: readonly string[]): ValueTest {
  const cidrs = values.map(parseCidr).filter((c): c is Cidr => c !== null);
  const v4 = cidrs.filter((c) => !c.v6).map((c) => ({ network: Number(c.network), mask: Number(c.mask) }));
  const v6 = cidrs.filter((c) => c.v6);
  return (cv) => {
    const r = parseRequestIp(cv);
    if (r.v4 !== null) {
      for (let i = 0; i < v4.length; i++) {
        const c = v4[i]!;
        // >>> 0 keeps the AND unsigned.
        if ((r.v4 & c.mask) >>> 0 === c.network) return true;
      }
      return false;
    }
    const ip = r.ip;
    if (!ip || !ip.v6) return false;
    for (const c of v6) if ((ip.value & c.mask) === c.network) return true;
    return false;
  };
}

export const ipOperators: ConditionOperator[] = [
  { name: "IpAddress", negated: false, compile: compileIp },
  { name: "NotIpAddress", negated: true, compile: compileIp },
];
