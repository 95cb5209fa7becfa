/**
 * A small XML parser that keeps what XML-DSig needs (pure): elements with their qualified names,
 * attributes in document order, in-scope namespaces, text and comments, and parent links. It is
 * deliberately strict: no DOCTYPE (so no entity expansion, no external entities), no processing
 * instructions other than the XML declaration, only the five predefined entities and character
 * references. Line ends are normalised and attribute values normalised as XML 1.0 says (§2.11,
 * §3.3.3), so the canonical form computed from this tree is the one any conforming parser gives.
 */

export class XmlError extends Error {}

export interface XmlAttr {
  /** as written: `ID`, `xsi:type`, `xmlns:ds` */
  name: string;
  prefix: string;
  local: string;
  value: string;
}

export interface XmlElement {
  kind: "element";
  name: string;
  /** "" when unprefixed */
  prefix: string;
  local: string;
  /** the element's namespace URI ("" for none) */
  ns: string;
  /** ordinary attributes, namespace declarations excluded */
  attrs: XmlAttr[];
  /** prefix → URI in scope here ("" = the default namespace; "" URI = undeclared) */
  scope: ReadonlyMap<string, string>;
  children: XmlNode[];
  parent: XmlElement | undefined;
}

export type XmlNode = XmlElement | { kind: "text"; text: string } | { kind: "comment"; text: string };

export const XML_NS = "http://www.w3.org/XML/1998/namespace";
const NAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?$/;
const MAX_DEPTH = 64;

function splitName(name: string): { prefix: string; local: string } {
  if (!NAME.test(name)) throw new XmlError(`bad name ${name}`);
  const i = name.indexOf(":");
  return i < 0 ? { prefix: "", local: name } : { prefix: name.slice(0, i), local: name.slice(i + 1) };
}

function decodeEntities(s: string): string {
  return s.replace(/&([^;&]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError("bare &");
    switch (ref) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    const code = /^#x[0-9a-fA-F]+$/.test(ref) ? Number.parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : NaN;
    if (!Number.isInteger(code) || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      throw new XmlError(`unknown entity ${m}`);
    return String.fromCodePoint(code);
  });
}

/** An attribute value: literal whitespace becomes a space before references are expanded (XML 1.0 §3.3.3). */
const attrValue = (raw: string) => {
  if (raw.includes("<")) throw new XmlError("< in attribute value");
  return decodeEntities(raw.replace(/[\t\n\r]/g, " "));
};

/** Parses a whole document; returns its root element. */
export function parseXmlDocument(input: string): XmlElement {
  const xml = input.replace(/\r\n?/g, "\n");
  let p = 0;
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];
  const top = () => stack[stack.length - 1];

  if (xml.charCodeAt(0) === 0xfeff) p = 1;
  const decl = /^<\?xml\s[^?]*\?>/.exec(xml.slice(p));
  if (decl) p += decl[0].length;

  const text = (t: string) => {
    const parent = top();
    if (!parent) {
      if (t.trim() !== "") throw new XmlError("text outside the root element");
      return;
    }
    const last = parent.children[parent.children.length - 1];
    if (last?.kind === "text") last.text += t;
    else parent.children.push({ kind: "text", text: t });
  };

  while (p < xml.length) {
    const lt = xml.indexOf("<", p);
    if (lt < 0) {
      text(decodeEntities(xml.slice(p)));
      break;
    }
    if (lt > p) {
      const raw = xml.slice(p, lt);
      if (raw.includes("]]>")) throw new XmlError("]]> in text");
      text(decodeEntities(raw));
    }
    p = lt;
    if (xml.startsWith("<!--", p)) {
      const end = xml.indexOf("-->", p + 4);
      if (end < 0) throw new XmlError("unterminated comment");
      const body = xml.slice(p + 4, end);
      if (body.includes("--") || body.endsWith("-")) throw new XmlError("-- in comment");
      const parent = top();
      if (parent) parent.children.push({ kind: "comment", text: body });
      p = end + 3;
    } else if (xml.startsWith("<![CDATA[", p)) {
      const end = xml.indexOf("]]>", p + 9);
      if (end < 0 || !top()) throw new XmlError("bad CDATA");
      text(xml.slice(p + 9, end));
      p = end + 3;
    } else if (xml.startsWith("<!", p) || xml.startsWith("<?", p)) {
      // DOCTYPE (and with it entity declarations) and processing instructions are refused.
      throw new XmlError("DOCTYPE and processing instructions are not allowed");
    } else if (xml.startsWith("</", p)) {
      const end = xml.indexOf(">", p);
      if (end < 0) throw new XmlError("unterminated end tag");
      const name = xml.slice(p + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new XmlError(`mismatched </${name}>`);
      p = end + 1;
    } else {
      p = startTag(xml, p + 1);
    }
  }
  if (!root || stack.length) throw new XmlError("unterminated document");
  return root;

  function startTag(src: string, from: number): number {
    const m = /^([^\s/>]+)/.exec(src.slice(from, from + 512));
    if (!m) throw new XmlError("bad start tag");
    const name = m[1]!;
    let q = from + name.length;
    const raw: { name: string; value: string }[] = [];
    for (;;) {
      const ws = /^\s*/.exec(src.slice(q, q + 256))![0].length;
      q += ws;
      if (src.startsWith("/>", q) || src.startsWith(">", q)) break;
      if (ws === 0) throw new XmlError("attributes must be separated by whitespace");
      const am = /^([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(src.slice(q, q + 1_000_000));
      if (!am) throw new XmlError("bad attribute");
      raw.push({ name: am[1]!, value: attrValue(am[2] ?? am[3] ?? "") });
      q += am[0].length;
    }
    const selfClosing = src.startsWith("/>", q);
    q += selfClosing ? 2 : 1;

    const parent = top();
    if (!parent && root) throw new XmlError("more than one root element");
    if (stack.length >= MAX_DEPTH) throw new XmlError("too deep");
    const scope = new Map(parent?.scope ?? []);
    const seen = new Set<string>();
    const attrs: XmlAttr[] = [];
    for (const a of raw) {
      if (seen.has(a.name)) throw new XmlError(`duplicate attribute ${a.name}`);
      seen.add(a.name);
      if (a.name === "xmlns") scope.set("", a.value);
      else if (a.name.startsWith("xmlns:")) {
        const prefix = a.name.slice(6);
        splitName(prefix);
        if (a.value === "") throw new XmlError("a prefix cannot be undeclared in XML 1.0");
        scope.set(prefix, a.value);
      } else attrs.push({ name: a.name, ...splitName(a.name), value: a.value });
    }
    const { prefix, local } = splitName(name);
    const ns = prefix === "xml" ? XML_NS : (scope.get(prefix) ?? "");
    if (prefix && prefix !== "xml" && !scope.has(prefix)) throw new XmlError(`undeclared prefix ${prefix}`);
    for (const a of attrs) if (a.prefix && a.prefix !== "xml" && !scope.has(a.prefix)) throw new XmlError(`undeclared prefix ${a.prefix}`);
    // Two attributes with the same expanded name are an error too (Namespaces in XML §6.3).
    const expanded = new Set(attrs.map((a) => `${attrNs(a, scope)} ${a.local}`));
    if (expanded.size !== attrs.length) throw new XmlError("duplicate attribute");
    const el: XmlElement = { kind: "element", name, prefix, local, ns, attrs, scope, children: [], parent };
    if (parent) parent.children.push(el);
    else root = el;
    if (!selfClosing) stack.push(el);
    return q;
  }
}

/** The namespace URI of an attribute ("" for an unprefixed one). */
export function attrNs(a: Pick<XmlAttr, "prefix">, scope: ReadonlyMap<string, string>): string {
  if (!a.prefix) return "";
  return a.prefix === "xml" ? XML_NS : (scope.get(a.prefix) ?? "");
}

// ------------------------------------------------------------------ navigation

export const elementChildren = (el: XmlElement): XmlElement[] => el.children.filter((c): c is XmlElement => c.kind === "element");

export const childrenNamed = (el: XmlElement, ns: string, local: string): XmlElement[] =>
  elementChildren(el).filter((c) => c.ns === ns && c.local === local);

/** The only child element of that name; undefined when absent, XmlError when repeated. */
export function onlyChild(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  const found = childrenNamed(el, ns, local);
  if (found.length > 1) throw new XmlError(`more than one ${local}`);
  return found[0];
}

/** An unqualified attribute's value. */
export const attr = (el: XmlElement, name: string): string | undefined => el.attrs.find((a) => a.name === name)?.value;

/** Every element of the subtree, in document order (the root first). */
export function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    out.push(e);
    for (const c of e.children) if (c.kind === "element") walk(c);
  };
  walk(el);
  return out;
}

/**
 * The text of an element that holds only text. A comment or child element inside it is refused
 * rather than skipped: `alice@example.com<!---->.evil.com` would otherwise read as one value
 * here and another to the signer (the comment-truncation attack).
 */
export function textOf(el: XmlElement): string {
  let s = "";
  for (const c of el.children) {
    if (c.kind !== "text") throw new XmlError(`${el.local} must hold only text`);
    s += c.text;
  }
  return s;
}
