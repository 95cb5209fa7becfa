/**
 * Wildcard matching for policy elements (`*` any run, `?` one character), without RegExp.
 * A `*` or `?` that came from `${*}` / `${?}` or from a substituted variable value is literal:
 * it is carried as a private-use character (LIT_STAR / LIT_QMARK) that only matches the real one.
 */
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

/** Classic iterative wildcard match with single-star backtracking: O(|p|·|s|) worst case, linear usually. */
export function globMatch(p: string, s: string): boolean {
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
      if (
        pc === sc ||
        pc === QMARK ||
        (pc === LIT_STAR_CODE && sc === STAR) ||
        (pc === LIT_QMARK_CODE && sc === QMARK)
      ) {
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
  return (s) => globMatch(p, s);
}
