/**
 * Enveloped XML-DSig signing (pure, WebCrypto), the counterpart of ./dsig.ts: the built-in SAML
 * IdP signs its responses with it, and tests forge their attacks from its output. A document is
 * written with a marker where the Signature goes; the digest is taken over the target element
 * without it (which is what the enveloped-signature transform gives back), then the marker is
 * replaced by the Signature.
 */
import { canonicalize } from "./c14n";
import { DSIG_NS, ENVELOPED, EXC_C14N } from "./dsig";
import { attr, descendants, elementChildren, parseXmlDocument } from "./xml";
import { toBase64, utf8 } from "../../lib/encoding";

export type SigningAlgorithm = "rsa-sha256" | "rsa-sha1";

const URIS: Record<SigningAlgorithm, { signature: string; digest: string; hash: "SHA-256" | "SHA-1" }> = {
  "rsa-sha256": {
    signature: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    digest: "http://www.w3.org/2001/04/xmlenc#sha256",
    hash: "SHA-256",
  },
  "rsa-sha1": { signature: `${DSIG_NS}rsa-sha1`, digest: `${DSIG_NS}sha1`, hash: "SHA-1" },
};

export interface SignOptions {
  /** the ID of the element to sign; the marker must sit inside it */
  id: string;
  /** the text standing where the Signature goes */
  marker: string;
  /** RSASSA-PKCS1-v1_5 private key (its hash is chosen by `algorithm`, whatever it was imported with) */
  pkcs8: Uint8Array;
  algorithm?: SigningAlgorithm;
  /** base64 DER certificate for KeyInfo (informative only: verifiers use their own copy) */
  certificate?: string;
  inclusivePrefixes?: string[];
}

/** `xml` with the marker replaced by an enveloped signature of the element with ID `id`. */
export async function signEnveloped(xml: string, o: SignOptions): Promise<string> {
  if (xml.split(o.marker).length !== 2) throw new Error("the marker must appear exactly once");
  const alg = URIS[o.algorithm ?? "rsa-sha256"];
  const target = descendants(parseXmlDocument(xml.replace(o.marker, ""))).find((e) => attr(e, "ID") === o.id);
  if (!target) throw new Error(`no element with ID ${o.id}`);
  const prefixList = o.inclusivePrefixes?.length
    ? `<ec:InclusiveNamespaces xmlns:ec="${EXC_C14N}" PrefixList="${o.inclusivePrefixes.join(" ")}"/>`
    : "";
  const digest = await crypto.subtle.digest(alg.hash, utf8.encode(canonicalize(target, { inclusivePrefixes: o.inclusivePrefixes ?? [] })));
  const signedInfo =
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${alg.signature}"/>` +
    `<ds:Reference URI="#${o.id}"><ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"/>` +
    `<ds:Transform Algorithm="${EXC_C14N}">${prefixList}</ds:Transform></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${alg.digest}"/><ds:DigestValue>${toBase64(new Uint8Array(digest))}</ds:DigestValue>` +
    `</ds:Reference></ds:SignedInfo>`;
  // Exclusive c14n of SignedInfo depends only on the prefixes it uses (ds), so it can be computed standalone.
  const standalone = parseXmlDocument(`<ds:Signature xmlns:ds="${DSIG_NS}">${signedInfo}</ds:Signature>`);
  const key = await crypto.subtle.importKey("pkcs8", o.pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: alg.hash }, false, ["sign"]);
  const value = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, utf8.encode(canonicalize(elementChildren(standalone)[0]!)));
  const keyInfo = o.certificate
    ? `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${o.certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`
    : "";
  const signature = `<ds:Signature xmlns:ds="${DSIG_NS}">${signedInfo}<ds:SignatureValue>${toBase64(new Uint8Array(value))}</ds:SignatureValue>${keyInfo}</ds:Signature>`;
  return xml.replace(o.marker, signature);
}
