/**
 * Where each statement of a policy sits in its source text, as the IAM policy simulator reports it
 * (MatchedStatements[].StartPosition / EndPosition): 1-based Line and Column, the start being the
 * character right after the `[` or `,` (or the `:` of a single-object Statement) that precedes the
 * statement, the end the character right after its closing `}`. Real AWS answers seen in the wild:
 * `{"Version":"2012-10-17","Statement":[{…}]}` starts at Line 1 Column 38, and a pretty-printed
 * `  "Statement": [` line 3 starts at Line 3 Column 17 (the newline after the bracket).
 *
 * A tiny scanner rather than JSON.parse: parsing loses offsets. Pure; input is a document that
 * already passed parsePolicy (on anything else it returns what it could find, never throws).
 */
export interface Position {
  Line: number;
  Column: number;
}
export interface StatementSpan {
  StartPosition: Position;
  EndPosition: Position;
}

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  /** Skips a string starting at `"`; returns its decoded value. */
  string(): string {
    const start = this.i;
    const s = this.s;
    this.i++; // opening quote
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === "\\") this.i += 2;
      else if (c === '"') {
        this.i++;
        try {
          return JSON.parse(s.slice(start, this.i)) as string;
        } catch {
          return "";
        }
      } else this.i++;
    }
    return "";
  }

  /** Skips any JSON value at the cursor (after whitespace). */
  value(): void {
    this.ws();
    const c = this.s[this.i];
    if (c === '"') this.string();
    else if (c === "{" || c === "[") this.container();
    else {
      while (this.i < this.s.length && !",}]".includes(this.s[this.i]!) && !/\s/.test(this.s[this.i]!)) this.i++;
    }
  }

  /** Skips an object or array, strings aware. */
  container(): void {
    const s = this.s;
    this.i++;
    let depth = 1;
    while (this.i < s.length && depth > 0) {
      const c = s[this.i]!;
      if (c === '"') {
        this.string();
        continue;
      }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth--;
      this.i++;
    }
  }
}

/** Offsets → 1-based line/column (a newline belongs to the line it ends). */
function positioner(s: string): (offset: number) => Position {
  const starts = [0];
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { Line: lo + 1, Column: offset - starts[lo]! + 1 };
  };
}

/** [start offset, end offset) of each statement: start = right after the delimiter, end = right after `}`. */
export function statementOffsets(json: string): Array<[number, number]> {
  const sc = new Scanner(json);
  sc.ws();
  if (json[sc.i] !== "{") return [];
  sc.i++;
  let found: Array<[number, number]> = [];
  for (;;) {
    sc.ws();
    if (json[sc.i] !== '"') break;
    const key = sc.string();
    sc.ws();
    if (json[sc.i] !== ":") break;
    sc.i++;
    const afterColon = sc.i;
    sc.ws();
    if (key === "Statement") {
      // The last "Statement" key wins, as JSON.parse (and IAM) read duplicate keys.
      found = [];
      if (json[sc.i] === "[") {
        let delimiterEnd = sc.i + 1;
        sc.i++;
        for (;;) {
          sc.ws();
          if (sc.i >= json.length || json[sc.i] === "]") {
            sc.i++;
            break;
          }
          const isObject = json[sc.i] === "{";
          sc.value();
          if (isObject) found.push([delimiterEnd, sc.i]);
          sc.ws();
          if (json[sc.i] === ",") {
            sc.i++;
            delimiterEnd = sc.i;
            continue;
          }
          if (json[sc.i] === "]") sc.i++;
          break;
        }
      } else if (json[sc.i] === "{") {
        sc.value();
        found.push([afterColon, sc.i]);
      } else sc.value();
    } else sc.value();
    sc.ws();
    if (json[sc.i] === ",") {
      sc.i++;
      continue;
    }
    break;
  }
  return found;
}

/** Line/column spans of the statements, in document order (index = statement index). */
export function statementPositions(json: string): StatementSpan[] {
  const at = positioner(json);
  return statementOffsets(json).map(([start, end]) => ({ StartPosition: at(start), EndPosition: at(end) }));
}
