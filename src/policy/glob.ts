/**
 * Wildcard matching for policy elements (`*` any run, `?` one character), without RegExp and without
 * backtracking: the cost is bounded for any pattern and value (a hostile 100k-character pattern against a
 * 1 MiB value is linear work), see the segment matcher below.
 * A `*` or `?` that came from `${*}` / `${?}` or from a substituted variable value is literal:
 * it is carried as a private-use character (LIT_STAR / LIT_QMARK) that only matches the real one.
 */
import { charge } from "./budget.js";

export const LIT_STAR = "\uE000";
export const LIT_QMARK = "\uE001";
const STAR = 42;
const QMARK = 63;
const LIT_STAR_CODE = 0xe000;
const LIT_QMARK_CODE = 0xe001;

/** Escapes a literal value (e.g. a substituted variable) so that `*` and `?` in it match only themselves. */
export function escapeLiteral(s: string): string {
  if (s.indexOf("*") < 0 && s.indexOf("?") < 0) return s;
  let out = "";
  for (const ch of s) out += ch === "*" ? LIT_STAR : ch === "?" ? LIT_QMARK : ch;
  return out;
}

/** Turns private-use literals back into `*` / `?` (for exact comparison and display). */
export function unescapeLiteral(s: string): string {
  if (s.indexOf(LIT_STAR) < 0 && s.indexOf(LIT_QMARK) < 0) return s;
  let out = "";
  for (const ch of s) out += ch === LIT_STAR ? "*" : ch === LIT_QMARK ? "?" : ch;
  return out;
}

export function hasWildcard(p: string): boolean {
  return p.indexOf("*") >= 0 || p.indexOf("?") >= 0;
}

/**
 * The classic two-pointer loop with single-star backtracking. O(|p|·|s|) worst case, so it only runs
 * when that product is small (SMALL_WORK); it allocates nothing, which keeps ordinary matches fast.
 */
function twoPointer(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  const pl = p.length;
  const sl = s.length;
  while (si < sl) {
    if (pi < pl) {
      const pc = p.charCodeAt(pi);
      if (pc === STAR) {
        star = pi++;
        mark = si;
        continue;
      }
      const sc = s.charCodeAt(si);
      if (pc === sc || pc === QMARK || (pc === LIT_STAR_CODE && sc === STAR) || (pc === LIT_QMARK_CODE && sc === QMARK)) {
        pi++;
        si++;
        continue;
      }
    }
    if (star >= 0) {
      pi = star + 1;
      si = ++mark;
      continue;
    }
    return false;
  }
  while (pi < pl && p.charCodeAt(pi) === STAR) pi++;
  return pi === pl;
}

/** |pattern|·|value| at or below this: the two-pointer loop (bounded by the product itself). */
const SMALL_WORK = 4096;

// ---- the segment matcher: bounded for any sizes ------------------------------------------------------
//
// The pattern is split on `*` into segments. The first segment must match at the start, the last at the
// end, and each middle one is searched leftmost from where the previous one ended: for `*`-separated
// segments the leftmost occurrence leaves the most room to the rest, so there is no backtracking.
// Searching a segment:
// - without `?`: a literal search, linear: native indexOf for short literals (V8's indexOf is
//   O(|s|·|literal|) in its worst case, e.g. "a…ab a…a" in "a…a", so long literals use KMP instead);
// - with `?`: bit-parallel Shift-And over the segment, O(|s|·⌈|segment|/32⌉) whatever the input.
// A pattern that needs more characters than the value has fails before any search. So a pattern of
// literals and `*` costs O(|p| + |s|); `?` costs at most O(|s|·|p|/32).

/** Literals up to this length are searched with native indexOf (bounded factor), longer ones with KMP. */
const NATIVE_SEARCH_MAX = 64;
/** Budget units (budget.ts) per value character scanned: ≈ the cost of a character of policy. */
const SCAN_UNITS_PER_WORD = 1 / 8;

interface Segment {
  /** Characters (code units) the segment spans; every `?` is one. */
  len: number;
  /** The segment with literal `*`/`?` turned into the real characters (a wildcard `?` stays `?`). */
  text: string;
  /** Positions holding a wildcard `?` (1), or null when there is none. */
  wild: Uint8Array | null;
  /** KMP failure table (literal segments longer than NATIVE_SEARCH_MAX), built on first use. */
  kmp?: Int32Array;
  /** Shift-And masks (segments with `?`), built on first use. */
  masks?: { byChar: Map<number, Uint32Array>; other: Uint32Array; words: number };
}

interface Segmented {
  /** Anchored at the start (the pattern does not begin with `*`); null otherwise. */
  head: Segment | null;
  /** Anchored at the end (the pattern does not end with `*`); null otherwise. */
  tail: Segment | null;
  middle: Segment[];
  /** No `*` at all: head is the whole pattern and must span the whole value. */
  exact: boolean;
  minLength: number;
}

function segment(chars: number[]): Segment {
  let wild: Uint8Array | null = null;
  const out: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === QMARK) (wild ??= new Uint8Array(chars.length))[i] = 1;
    out.push(String.fromCharCode(c === LIT_STAR_CODE ? STAR : c === LIT_QMARK_CODE ? QMARK : c));
  }
  return { len: chars.length, text: out.join(""), wild };
}

function segmentPattern(p: string): Segmented {
  const parts: number[][] = [[]];
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === STAR) parts.push([]);
    else parts[parts.length - 1]!.push(c);
  }
  if (parts.length === 1) {
    const only = segment(parts[0]!);
    return { head: only, tail: null, middle: [], exact: true, minLength: only.len };
  }
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const head = first.length ? segment(first) : null;
  const tail = last.length ? segment(last) : null;
  const middle = parts
    .slice(1, -1)
    .filter((x) => x.length > 0)
    .map(segment);
  const minLength = (head?.len ?? 0) + (tail?.len ?? 0) + middle.reduce((n, m) => n + m.len, 0);
  return { head, tail, middle, exact: false, minLength };
}

/** Does `seg` match `s` at position `at` (the caller has checked that it fits)? */
function matchesAt(seg: Segment, s: string, at: number): boolean {
  const wild = seg.wild;
  if (!wild) return s.startsWith(seg.text, at);
  const t = seg.text;
  for (let i = 0; i < t.length; i++) if (wild[i] === 0 && t.charCodeAt(i) !== s.charCodeAt(at + i)) return false;
  return true;
}

function kmpTable(t: string): Int32Array {
  const f = new Int32Array(t.length);
  let k = 0;
  for (let i = 1; i < t.length; i++) {
    while (k > 0 && t.charCodeAt(i) !== t.charCodeAt(k)) k = f[k - 1]!;
    if (t.charCodeAt(i) === t.charCodeAt(k)) k++;
    f[i] = k;
  }
  return f;
}

/** Leftmost occurrence of a literal segment in s at or after `from`; -1 if none. Linear. */
function findLiteral(seg: Segment, s: string, from: number): number {
  const t = seg.text;
  if (t.length <= NATIVE_SEARCH_MAX) return s.indexOf(t, from);
  const f = (seg.kmp ??= kmpTable(t));
  let k = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    while (k > 0 && c !== t.charCodeAt(k)) k = f[k - 1]!;
    if (c === t.charCodeAt(k)) k++;
    if (k === t.length) return i - t.length + 1;
  }
  return -1;
}

function shiftAndMasks(seg: Segment): NonNullable<Segment["masks"]> {
  const t = seg.text;
  const wild = seg.wild!;
  const words = (t.length + 31) >>> 5;
  const other = new Uint32Array(words); // characters absent from the segment match only at `?`
  for (let i = 0; i < t.length; i++) if (wild[i] === 1) other[i >>> 5]! |= 1 << (i & 31);
  const byChar = new Map<number, Uint32Array>();
  for (let i = 0; i < t.length; i++) {
    if (wild[i] === 1) continue;
    const c = t.charCodeAt(i);
    let m = byChar.get(c);
    if (!m) byChar.set(c, (m = other.slice()));
    m[i >>> 5]! |= 1 << (i & 31);
  }
  return { byChar, other, words };
}

/** Leftmost match of a segment with `?` in s at or after `from`; -1 if none. O(|s|·⌈len/32⌉). */
function findWild(seg: Segment, s: string, from: number): number {
  const { byChar, other, words } = (seg.masks ??= shiftAndMasks(seg));
  const last = seg.len - 1;
  const lastWord = last >>> 5;
  const lastBit = 1 << (last & 31);
  const d = new Uint32Array(words); // bit i: the segment's first i+1 positions match ending here
  for (let j = from; j < s.length; j++) {
    const m = byChar.get(s.charCodeAt(j)) ?? other;
    let carry = 1; // a match may start at every position
    for (let w = 0; w < words; w++) {
      const v = d[w]!;
      d[w] = ((v << 1) | carry) & m[w]!;
      carry = v >>> 31;
    }
    if ((d[lastWord]! & lastBit) !== 0) return j - last;
  }
  return -1;
}

function find(seg: Segment, s: string, from: number): number {
  if (!seg.wild) {
    charge((s.length - from) * SCAN_UNITS_PER_WORD + 1);
    return findLiteral(seg, s, from);
  }
  const words = (seg.len + 31) >>> 5;
  charge((s.length - from) * words * SCAN_UNITS_PER_WORD + 1);
  return findWild(seg, s, from);
}

function matchSegmented(g: Segmented, s: string): boolean {
  const n = s.length;
  if (n < g.minLength) return false;
  if (g.exact) return n === g.minLength && matchesAt(g.head!, s, 0);
  let pos = 0;
  let end = n;
  if (g.head) {
    if (!matchesAt(g.head, s, 0)) return false;
    pos = g.head.len;
  }
  if (g.tail) {
    end = n - g.tail.len;
    if (end < pos || !matchesAt(g.tail, s, end)) return false;
  }
  for (const seg of g.middle) {
    const i = find(seg, s, pos);
    if (i < 0 || i + seg.len > end) return false;
    pos = i + seg.len;
  }
  return true;
}

/** Wildcard match of pattern `p` against `s`; bounded for any sizes (see the segment matcher above). */
export function globMatch(p: string, s: string): boolean {
  if (p.length * s.length <= SMALL_WORK) return twoPointer(p, s);
  return matchSegmented(segmentPattern(p), s);
}

/** A pattern compiled once: the fastest test that is exactly equivalent to globMatch. */
export type GlobMatcher = (s: string) => boolean;

export function compileGlob(p: string): GlobMatcher {
  if (p === "*") return () => true;
  if (!hasWildcard(p)) {
    const lit = unescapeLiteral(p);
    return (s) => s === lit;
  }
  const firstWild = Math.min(...[p.indexOf("*"), p.indexOf("?")].filter((i) => i >= 0));
  if (firstWild === p.length - 1 && p.endsWith("*")) {
    const prefix = unescapeLiteral(p.slice(0, -1));
    return (s) => s.startsWith(prefix);
  }
  let segmented: Segmented | null = null;
  return (s) => {
    if (p.length * s.length <= SMALL_WORK) return twoPointer(p, s);
    return matchSegmented((segmented ??= segmentPattern(p)), s);
  };
}
