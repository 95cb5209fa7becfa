/**
 * Model-driven XML (pure), shared by REST-XML (S3) and EC2: a small parser for request payloads
 * (no DTDs, no entities beyond XML's five and character references, bounded depth) and a writer
 * that follows the model's element names, flattened lists/maps, `<member>`/`<item>` wrappers and
 * namespaces.
 */
import type { AwsError } from "./errors";
import { shapeOf, type Member, type ServiceModel, type StructureShape } from "./model";
import { esc } from "./xml";
import { formatTimestamp, fromBase64, parseTimestamp, toBase64, type Value } from "./wire";

export interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

const MAX_DEPTH = 64;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "amp") return "&";
    if (e === "quot") return '"';
    if (e === "apos") return "'";
    const n = e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return String.fromCodePoint(n);
  });
}

/** Parses an XML document into element nodes (namespace prefixes dropped). Throws `malformed()` on anything odd. */
export function parseXml(text: string, malformed: () => AwsError): XmlNode {
  let i = 0;
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  const fail = (): never => {
    throw malformed();
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    if (lt < 0) {
      if (text.slice(i).trim() !== "" && stack.length === 0) fail();
      if (stack.length) stack[stack.length - 1]!.text += decodeEntities(text.slice(i));
      break;
    }
    if (lt > i) {
      const chunk = text.slice(i, lt);
      if (stack.length) stack[stack.length - 1]!.text += decodeEntities(chunk);
      else if (chunk.trim() !== "") fail();
    }
    if (text.startsWith("<?", lt)) {
      const end = text.indexOf("?>", lt);
      if (end < 0) fail();
      i = end + 2;
    } else if (text.startsWith("<!--", lt)) {
      const end = text.indexOf("-->", lt);
      if (end < 0) fail();
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt);
      if (end < 0 || !stack.length) fail();
      stack[stack.length - 1]!.text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith("<!", lt)) {
      fail(); // DOCTYPE and friends: never.
    } else if (text.startsWith("</", lt)) {
      const end = text.indexOf(">", lt);
      if (end < 0) fail();
      const name = localName(text.slice(lt + 2, end).trim());
      const open = stack.pop();
      if (!open || open.name !== name) fail();
      i = end + 1;
    } else {
      const end = text.indexOf(">", lt);
      if (end < 0) fail();
      let tag = text.slice(lt + 1, end);
      const selfClosing = tag.endsWith("/");
      if (selfClosing) tag = tag.slice(0, -1);
      const m = /^([A-Za-z_][\w.:-]*)(\s[\s\S]*)?$/.exec(tag.trim());
      if (!m) fail();
      const node: XmlNode = { name: localName(m![1]!), children: [], text: "" };
      if (stack.length) stack[stack.length - 1]!.children.push(node);
      else if (root) fail();
      else root = node;
      if (!selfClosing) {
        stack.push(node);
        if (stack.length > MAX_DEPTH) fail();
      }
      i = end + 1;
    }
  }
  if (!root || stack.length) fail();
  return root!;
}

function localName(qname: string): string {
  const c = qname.indexOf(":");
  return c < 0 ? qname : qname.slice(c + 1);
}

function isFlattened(model: ServiceModel, m: Member): boolean {
  const s = shapeOf(model, m);
  return m.flattened === true || ((s.type === "list" || s.type === "map") && s.flattened === true);
}

/** Reads an element's content as the member's shape. `bad(what)` builds the protocol's error. */
export function readXmlValue(model: ServiceModel, m: Member, node: XmlNode, bad: (v: string) => AwsError): unknown {
  const s = shapeOf(model, m);
  switch (s.type) {
    case "structure":
      return readXmlStructure(model, s, node, bad);
    case "list": {
      const itemName = s.member.locationName ?? "member";
      return node.children.filter((c) => c.name === itemName).map((c) => readXmlValue(model, s.member, c, bad));
    }
    case "map": {
      const out: Value = {};
      const k = s.key.locationName ?? "key";
      const v = s.value.locationName ?? "value";
      for (const e of node.children.filter((c) => c.name === "entry")) {
        const kn = e.children.find((c) => c.name === k);
        const vn = e.children.find((c) => c.name === v);
        if (kn && vn) out[kn.text] = readXmlValue(model, s.value, vn, bad);
      }
      return out;
    }
    default:
      return scalarFromString(s.type, node.text.trim(), bad);
  }
}

export function scalarFromString(type: string, v: string, bad: (v: string) => AwsError): unknown {
  switch (type) {
    case "integer":
    case "long":
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw bad(v);
      return Number(v);
    case "float":
    case "double": {
      const n = Number(v);
      if (v === "" || Number.isNaN(n)) throw bad(v);
      return n;
    }
    case "boolean":
      if (v !== "true" && v !== "false") throw bad(v);
      return v === "true";
    case "timestamp": {
      const d = parseTimestamp(v);
      if (!d) throw bad(v);
      return d;
    }
    case "blob": {
      const b = fromBase64(v);
      if (!b) throw bad(v);
      return b;
    }
    default:
      return v;
  }
}

export function readXmlStructure(model: ServiceModel, s: StructureShape, node: XmlNode, bad: (v: string) => AwsError): Value {
  const out: Value = {};
  for (const [name, m] of Object.entries(s.members)) {
    if (m.location || m.xmlAttribute) continue;
    const el = m.locationName ?? name;
    if (isFlattened(model, m)) {
      const ms = shapeOf(model, m);
      const items = node.children.filter((c) => c.name === el);
      if (!items.length) continue;
      if (ms.type === "list") out[name] = items.map((c) => readXmlValue(model, ms.member, c, bad));
      continue;
    }
    const child = node.children.find((c) => c.name === el);
    if (child) out[name] = readXmlValue(model, m, child, bad);
  }
  return out;
}

function ns(m: Member): string {
  return m.xmlNamespace ? ` xmlns="${esc(m.xmlNamespace)}"` : "";
}

function scalarText(type: string, v: unknown, m: Member, tsFormat: string | undefined): string {
  if (type === "timestamp") {
    const d = v instanceof Date ? v : parseTimestamp(v);
    return d ? String(formatTimestamp(d, (m.timestampFormat ?? tsFormat ?? "iso8601") as "iso8601")) : "";
  }
  if (type === "blob") return v instanceof Uint8Array ? toBase64(v) : esc(String(v));
  return esc(String(v));
}

/** The content (not the element) of a value of member `m`'s shape. */
export function xmlContent(model: ServiceModel, m: Member, v: unknown): string {
  const s = shapeOf(model, m);
  switch (s.type) {
    case "structure":
      return xmlMembers(model, s, v as Value);
    case "list": {
      const item = s.member.locationName ?? "member";
      return (v as unknown[]).map((x) => `<${item}>${xmlContent(model, s.member, x)}</${item}>`).join("");
    }
    case "map": {
      const k = s.key.locationName ?? "key";
      const val = s.value.locationName ?? "value";
      return Object.entries(v as Value)
        .map(([key, x]) => `<entry><${k}>${esc(key)}</${k}><${val}>${xmlContent(model, s.value, x)}</${val}></entry>`)
        .join("");
    }
    default:
      return scalarText(s.type, v, m, s.type === "timestamp" ? s.timestampFormat : undefined);
  }
}

/** The member elements of a structure value, in model order; absent members are omitted. */
export function xmlMembers(model: ServiceModel, s: StructureShape, v: Value): string {
  let out = "";
  for (const [name, m] of Object.entries(s.members)) {
    const x = v[name];
    if (x === undefined || x === null || m.location || m.xmlAttribute) continue;
    const el = m.locationName ?? name;
    const ms = shapeOf(model, m);
    if (isFlattened(model, m) && ms.type === "list") {
      for (const item of x as unknown[]) out += `<${el}${ns(m)}>${xmlContent(model, ms.member, item)}</${el}>`;
    } else if (isFlattened(model, m) && ms.type === "map") {
      const k = ms.key.locationName ?? "key";
      const val = ms.value.locationName ?? "value";
      for (const [key, item] of Object.entries(x as Value))
        out += `<${el}><${k}>${esc(key)}</${k}><${val}>${xmlContent(model, ms.value, item)}</${val}></${el}>`;
    } else {
      out += `<${el}${ns(m)}>${xmlContent(model, m, x)}</${el}>`;
    }
  }
  return out;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
