/**
 * SAML 2.0 IdP metadata as IAM's CreateSAMLProvider / UpdateSAMLProvider accept it (pure): an
 * `EntityDescriptor` (namespace prefixes ignored) with an `entityID`, an `IDPSSODescriptor`, and at
 * least one X.509 signing certificate (`KeyDescriptor` without `use`, or `use="signing"`) that
 * parses; its `validUntil`, when given, is the provider's ValidUntil. No DTDs or entities (the
 * parser refuses them). Anything else is IAM's InvalidInput "Could not parse metadata" (the wording
 * third-party reimplementations report; not confirmed against AWS).
 */
import { parseXml, type XmlNode } from "../protocol/xml-model";
import { errors } from "../protocol/errors";
import { fromBase64 } from "../lib/encoding";
import { parseCertificateDer, type Certificate } from "../lib/x509";

export interface SamlMetadata {
  entityId: string;
  /** epoch ms of the document's validUntil; undefined when it has none */
  validUntil?: number;
  /** the IdP's signing certificates, in document order */
  certificates: Certificate[];
}

export const unparsableMetadata = () => errors.invalidInput("Could not parse metadata");

const child = (n: XmlNode, name: string) => n.children.find((c) => c.name === name);
const children = (n: XmlNode, name: string) => n.children.filter((c) => c.name === name);

/** An attribute of the document's first element with that local name (the XML parser keeps no attributes). */
function attributeOf(xml: string, element: string, attribute: string): string | undefined {
  const tag = new RegExp(`<(?:[\\w.-]+:)?${element}\\b([^>]*)>`).exec(xml)?.[1];
  if (tag === undefined) return undefined;
  return new RegExp(`\\s${attribute}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`)
    .exec(tag)
    ?.slice(1)
    .find((v) => v !== undefined);
}

/** The KeyDescriptor elements of the IDPSSODescriptor with their `use` (in document order). */
function keyDescriptorUses(xml: string): (string | undefined)[] {
  const sso = /<(?:[\w.-]+:)?IDPSSODescriptor\b[\s\S]*?<\/(?:[\w.-]+:)?IDPSSODescriptor>/.exec(xml)?.[0] ?? "";
  return [...sso.matchAll(/<(?:[\w.-]+:)?KeyDescriptor\b([^>]*)>/g)].map((m) => /\suse\s*=\s*["']([^"']*)["']/.exec(m[1] ?? "")?.[1]);
}

export function parseSamlMetadata(xml: string): SamlMetadata {
  const root = parseXml(xml, unparsableMetadata);
  if (root.name !== "EntityDescriptor") throw unparsableMetadata();
  const entityId = attributeOf(xml, "EntityDescriptor", "entityID");
  const sso = child(root, "IDPSSODescriptor");
  if (!entityId || !sso) throw unparsableMetadata();
  const uses = keyDescriptorUses(xml);
  const certificates: Certificate[] = [];
  children(sso, "KeyDescriptor").forEach((kd, n) => {
    if (uses[n] !== undefined && uses[n] !== "signing") return;
    const data = child(kd, "KeyInfo") && child(child(kd, "KeyInfo")!, "X509Data");
    for (const c of data ? children(data, "X509Certificate") : []) {
      const der = fromBase64(c.text.replace(/\s+/g, ""));
      if (!der) throw unparsableMetadata();
      try {
        certificates.push(parseCertificateDer(der));
      } catch {
        throw unparsableMetadata();
      }
    }
  });
  if (certificates.length === 0) throw unparsableMetadata();
  const until = attributeOf(xml, "EntityDescriptor", "validUntil");
  const validUntil = until === undefined ? undefined : Date.parse(until);
  if (validUntil !== undefined && Number.isNaN(validUntil)) throw unparsableMetadata();
  return { entityId, certificates, ...(validUntil !== undefined ? { validUntil } : {}) };
}
