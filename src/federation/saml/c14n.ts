/**
 * Exclusive XML Canonicalization 1.0 (https://www.w3.org/TR/xml-exc-c14n/) of an element's
 * subtree, with or without comments, with an InclusiveNamespaces PrefixList, and with one subtree
 * left out (the enveloped-signature transform removes the Signature element). Pure.
 *
 * A namespace declaration is written on an element when the element or one of its attributes
 * visibly uses the prefix (or the prefix is on the PrefixList and in scope) and the nearest output
 * ancestor has not already written the same binding. Attributes are sorted by namespace URI, then
 * local name; namespace declarations by prefix, the default one first.
 */
import { XML_NS, attrNs, type XmlElement } from "./xml";

export interface C14nOptions {
  withComments?: boolean;
  /** prefixes treated as in inclusive c14n; `#default` is the default namespace */
  inclusivePrefixes?: readonly string[];
  /** an element to leave out, with its subtree */
  exclude?: XmlElement;
}

const escText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;");
const escAttr = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#x9;")
    .replace(/\n/g, "&#xA;")
    .replace(/\r/g, "&#xD;");

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function canonicalize(el: XmlElement, o: C14nOptions = {}): string {
  const inclusive = new Set((o.inclusivePrefixes ?? []).map((p) => (p === "#default" ? "" : p)));
  const out: string[] = [];

  const visit = (e: XmlElement, rendered: ReadonlyMap<string, string>) => {
    if (e === o.exclude) return;
    const used = new Set<string>([e.prefix]);
    for (const a of e.attrs) if (a.prefix) used.add(a.prefix);
    for (const p of inclusive) if (e.scope.has(p)) used.add(p);
    used.delete("xml");

    const decls: [string, string][] = [];
    const next = new Map(rendered);
    for (const p of used) {
      const uri = e.scope.get(p) ?? "";
      // An absent default namespace is `xmlns=""`: written only to undo a default an output ancestor wrote.
      if (p === "" ? (rendered.get("") ?? "") === uri : rendered.get(p) === uri) continue;
      decls.push([p, uri]);
      next.set(p, uri);
    }
    decls.sort((a, b) => byCodePoint(a[0], b[0]));
    const attrs = e.attrs
      .map((a) => ({ ns: a.prefix === "xml" ? XML_NS : attrNs(a, e.scope), local: a.local, name: a.name, value: a.value }))
      .sort((a, b) => byCodePoint(a.ns, b.ns) || byCodePoint(a.local, b.local));

    out.push(`<${e.name}`);
    for (const [p, uri] of decls) out.push(p ? ` xmlns:${p}="${escAttr(uri)}"` : ` xmlns="${escAttr(uri)}"`);
    for (const a of attrs) out.push(` ${a.name}="${escAttr(a.value)}"`);
    out.push(">");
    for (const c of e.children) {
      if (c.kind === "element") visit(c, next);
      else if (c.kind === "text") out.push(escText(c.text));
      else if (o.withComments) out.push(`<!--${c.text}-->`);
    }
    out.push(`</${e.name}>`);
  };

  visit(el, new Map());
  return out.join("");
}
