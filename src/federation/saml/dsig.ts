/**
 * XML-DSig verification of an enveloped signature, as SAML uses it (pure, WebCrypto): one
 * Reference, `URI="#<ID>"` naming the Signature's own parent (SAML core §5.4.2), the transforms
 * enveloped-signature + Exclusive C14N (with its InclusiveNamespaces PrefixList), SHA-1/256/512
 * digests, RSA-SHA1/256/512 over the canonical SignedInfo. The key is the caller's (the IAM
 * provider's metadata certificate), never the document's own KeyInfo. Anything else is refused.
 */
import { canonicalize } from "./c14n";
import { attr, childrenNamed, elementChildren, onlyChild, textOf, type XmlElement } from "./xml";
import { fromBase64, utf8 } from "../../lib/encoding";

export const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
export const EXC_C14N_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
export const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

export const SIGNATURE_METHODS: Record<string, "SHA-1" | "SHA-256" | "SHA-512"> = {
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "SHA-1",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "SHA-256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "SHA-512",
};
export const DIGEST_METHODS: Record<string, "SHA-1" | "SHA-256" | "SHA-512"> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "SHA-1",
  "http://www.w3.org/2001/04/xmlenc#sha256": "SHA-256",
  "http://www.w3.org/2001/04/xmlenc#sha512": "SHA-512",
};

/** Why a signature was refused (for tests and logs; STS answers one message for all). */
export class SignatureError extends Error {}

const fail = (why: string): never => {
  throw new SignatureError(why);
};

function required(el: XmlElement, local: string): XmlElement {
  return onlyChild(el, DSIG_NS, local) ?? fail(`no ${local}`);
}

/** The c14n algorithm of a CanonicalizationMethod or Transform element, with its PrefixList. */
function c14nOf(el: XmlElement): { withComments: boolean; inclusivePrefixes: string[] } | undefined {
  const alg = attr(el, "Algorithm");
  if (alg !== EXC_C14N && alg !== EXC_C14N_COMMENTS) return undefined;
  const inc = childrenNamed(el, EXC_C14N, "InclusiveNamespaces");
  if (inc.length > 1 || elementChildren(el).length !== inc.length) fail("unexpected c14n parameters");
  const list = inc[0] ? (attr(inc[0], "PrefixList") ?? "") : "";
  return { withComments: alg === EXC_C14N_COMMENTS, inclusivePrefixes: list.split(/\s+/).filter(Boolean) };
}

function base64Bytes(text: string): Uint8Array {
  return fromBase64(text.replace(/\s+/g, "")) ?? fail("bad base64");
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export interface VerifyKey {
  /** SubjectPublicKeyInfo DER of an RSA key */
  spki: Uint8Array;
}

/**
 * Verifies `signature`, a ds:Signature element enveloped in the element it signs. `byId` resolves
 * `ID` attributes of the document (built by the caller, duplicates already refused). Returns the
 * signed element — always the Signature's parent; throws SignatureError otherwise.
 */
export async function verifyEnvelopedSignature(
  signature: XmlElement,
  byId: ReadonlyMap<string, XmlElement>,
  keys: readonly VerifyKey[],
): Promise<XmlElement> {
  const signedInfo = required(signature, "SignedInfo");
  const signatureValue = base64Bytes(textOf(required(signature, "SignatureValue")));
  const siC14n = c14nOf(required(signedInfo, "CanonicalizationMethod")) ?? fail("unsupported SignedInfo canonicalization");
  const hash = SIGNATURE_METHODS[attr(required(signedInfo, "SignatureMethod"), "Algorithm") ?? ""] ?? fail("unsupported SignatureMethod");

  const refs = childrenNamed(signedInfo, DSIG_NS, "Reference");
  if (refs.length !== 1) fail("exactly one Reference is allowed");
  const ref = refs[0]!;
  const uri = attr(ref, "URI") ?? "";
  if (!uri.startsWith("#") || uri.length < 2) fail("the Reference must name an element by ID");
  const target = byId.get(uri.slice(1));
  // The signed element is the one that envelops this Signature: a Reference to any other element
  // (a moved signature, an element wrapped elsewhere) signs something we would not read.
  if (!target || target !== signature.parent) fail("the Reference does not name the enveloping element");

  const transforms = onlyChild(ref, DSIG_NS, "Transforms");
  const list = transforms ? childrenNamed(transforms, DSIG_NS, "Transform") : [];
  if (transforms && list.length !== elementChildren(transforms).length) fail("unexpected element in Transforms");
  if (list.length !== 2 || attr(list[0]!, "Algorithm") !== ENVELOPED) fail("transforms must be enveloped-signature then exclusive c14n");
  const refC14n = c14nOf(list[1]!) ?? fail("unsupported transform");
  const digestAlg = DIGEST_METHODS[attr(required(ref, "DigestMethod"), "Algorithm") ?? ""] ?? fail("unsupported DigestMethod");
  const digestValue = base64Bytes(textOf(required(ref, "DigestValue")));

  // A same-document reference by ID selects the subtree without comments (XML-DSig §4.3.3.3).
  const signedOctets = canonicalize(target!, { inclusivePrefixes: refC14n.inclusivePrefixes, exclude: signature });
  const digest = new Uint8Array(await crypto.subtle.digest(digestAlg, utf8.encode(signedOctets)));
  if (!sameBytes(digest, digestValue)) fail("digest mismatch");

  const signedInfoOctets = utf8.encode(canonicalize(signedInfo, siC14n));
  for (const k of keys) {
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey("spki", k.spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"]);
    } catch {
      continue; // not an RSA key: it cannot have signed this
    }
    if (await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signatureValue, signedInfoOctets)) return target!;
  }
  return fail("signature value does not verify");
}
