/**
 * A SAML 2.0 Response as STS reads it (pure, WebCrypto): parsed strictly (./xml.ts), signature-
 * checked against the provider's keys (./dsig.ts), and only then read. Against signature wrapping:
 * - every `ID` in the document is unique (a duplicate is refused, so a Reference names one element);
 * - the document holds exactly one Assertion, a child of the Response (an assertion anywhere else —
 *   in Extensions, in an Advice, inside a Signature's Object — is refused, not skipped);
 * - a signature counts only when its Reference names the element that envelops it, and that element
 *   is the Response or the Assertion that is then read; any signature present must verify.
 * The values read are the signed values: an element whose text holds a comment or markup is refused.
 */
import { SignatureError, DSIG_NS, verifyEnvelopedSignature, type VerifyKey } from "./dsig";
import { XmlError, attr, childrenNamed, descendants, onlyChild, parseXmlDocument, textOf, type XmlElement } from "./xml";

export const SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
export const SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/** Why a response was refused: `malformed` (not a SAML response we can read), `signature`, `status` (the IdP said no). */
export class SamlError extends Error {
  constructor(
    readonly reason: "malformed" | "signature" | "status",
    message: string,
  ) {
    super(message);
  }
}

export interface SamlAssertion {
  /** the Assertion's Issuer */
  issuer: string;
  subject: string;
  /** NameID's Format attribute, when it has one */
  nameIdFormat?: string;
  /** epoch ms */
  issueInstant: number;
  notBefore?: number;
  notOnOrAfter?: number;
  /** the bearer SubjectConfirmationData elements */
  confirmations: { recipient?: string; notOnOrAfter?: number }[];
  /** every Audience of every AudienceRestriction */
  audiences: string[];
  /** the AuthnStatement's SessionNotOnOrAfter, when present */
  sessionNotOnOrAfter?: number;
  /** attribute Name → values, in document order */
  attributes: Map<string, string[]>;
  /** what was signed */
  signed: "response" | "assertion" | "both";
}

const malformed = (m: string) => new SamlError("malformed", m);

function instant(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  // xs:dateTime as SAML requires it: UTC ("Z"); an offset is tolerated.
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/.test(v)) throw malformed(`${what} is not a dateTime`);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw malformed(`${what} is not a dateTime`);
  return t;
}

/** ID attribute value → element; a value used twice is refused (it could make a Reference ambiguous). */
function indexIds(root: XmlElement): Map<string, XmlElement> {
  const byId = new Map<string, XmlElement>();
  for (const el of descendants(root))
    for (const a of el.attrs) {
      // SAML's `ID`, and the `Id`/`id` spellings other signers resolve, all count as identifiers.
      if (a.prefix || !/^(ID|Id|id)$/.test(a.local)) continue;
      if (byId.has(a.value)) throw new SamlError("signature", `duplicate ID ${a.value}`);
      byId.set(a.value, el);
    }
  return byId;
}

async function checkSignature(sig: XmlElement | undefined, byId: Map<string, XmlElement>, keys: readonly VerifyKey[]): Promise<boolean> {
  if (!sig) return false;
  try {
    await verifyEnvelopedSignature(sig, byId, keys);
    return true;
  } catch (e) {
    if (e instanceof SignatureError || e instanceof XmlError) throw new SamlError("signature", e.message);
    throw e;
  }
}

function readAssertion(a: XmlElement, signed: SamlAssertion["signed"]): SamlAssertion {
  const issuerEl = onlyChild(a, SAML_NS, "Issuer");
  if (!issuerEl) throw malformed("the assertion has no Issuer");
  const subjectEl = onlyChild(a, SAML_NS, "Subject");
  const nameId = subjectEl && onlyChild(subjectEl, SAML_NS, "NameID");
  if (!subjectEl || !nameId) throw malformed("the assertion has no Subject NameID");
  const confirmations: SamlAssertion["confirmations"] = [];
  for (const sc of childrenNamed(subjectEl, SAML_NS, "SubjectConfirmation")) {
    if (attr(sc, "Method") !== BEARER) continue;
    const data = onlyChild(sc, SAML_NS, "SubjectConfirmationData");
    const recipient = data && attr(data, "Recipient");
    const notOnOrAfter = data && instant(attr(data, "NotOnOrAfter"), "SubjectConfirmationData NotOnOrAfter");
    confirmations.push({ ...(recipient !== undefined ? { recipient } : {}), ...(notOnOrAfter !== undefined ? { notOnOrAfter } : {}) });
  }
  const conditions = onlyChild(a, SAML_NS, "Conditions");
  const audiences = conditions
    ? childrenNamed(conditions, SAML_NS, "AudienceRestriction").flatMap((r) =>
        childrenNamed(r, SAML_NS, "Audience").map((x) => textOf(x).trim()),
      )
    : [];
  const attributes = new Map<string, string[]>();
  for (const st of childrenNamed(a, SAML_NS, "AttributeStatement"))
    for (const at of childrenNamed(st, SAML_NS, "Attribute")) {
      const name = attr(at, "Name");
      if (!name) throw malformed("an Attribute has no Name");
      const values = childrenNamed(at, SAML_NS, "AttributeValue").map((v) => textOf(v).trim());
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  const authn = childrenNamed(a, SAML_NS, "AuthnStatement")[0];
  const issueInstant = instant(attr(a, "IssueInstant"), "IssueInstant");
  if (issueInstant === undefined) throw malformed("the assertion has no IssueInstant");
  const format = attr(nameId, "Format");
  const notBefore = conditions && instant(attr(conditions, "NotBefore"), "NotBefore");
  const notOnOrAfter = conditions && instant(attr(conditions, "NotOnOrAfter"), "NotOnOrAfter");
  const sessionNotOnOrAfter = authn && instant(attr(authn, "SessionNotOnOrAfter"), "SessionNotOnOrAfter");
  return {
    issuer: textOf(issuerEl).trim(),
    subject: textOf(nameId).trim(),
    ...(format !== undefined ? { nameIdFormat: format } : {}),
    issueInstant,
    ...(notBefore !== undefined ? { notBefore } : {}),
    ...(notOnOrAfter !== undefined ? { notOnOrAfter } : {}),
    confirmations,
    audiences,
    ...(sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter } : {}),
    attributes,
    signed,
  };
}

/** Verifies a SAML Response (the XML, already base64-decoded) against `keys` and reads its assertion. */
export async function verifySamlResponse(xml: string, keys: readonly VerifyKey[]): Promise<SamlAssertion> {
  let root: XmlElement;
  try {
    root = parseXmlDocument(xml);
  } catch (e) {
    if (e instanceof XmlError) throw malformed(e.message);
    throw e;
  }
  if (root.ns !== SAMLP_NS || root.local !== "Response") throw malformed("not a SAML 2.0 Response");
  const byId = indexIds(root);

  const all = descendants(root);
  if (all.some((e) => e.ns === SAML_NS && e.local === "EncryptedAssertion")) throw malformed("encrypted assertions are not supported");
  const assertions = all.filter((e) => e.ns === SAML_NS && e.local === "Assertion");
  if (assertions.length !== 1 || assertions[0]!.parent !== root)
    throw new SamlError("signature", "the response must hold exactly one assertion, directly");
  const assertion = assertions[0]!;

  let responseSigned: boolean;
  let assertionSigned: boolean;
  try {
    responseSigned = await checkSignature(onlyChild(root, DSIG_NS, "Signature"), byId, keys);
    assertionSigned = await checkSignature(onlyChild(assertion, DSIG_NS, "Signature"), byId, keys);
  } catch (e) {
    if (e instanceof XmlError) throw new SamlError("signature", e.message);
    throw e;
  }
  if (!responseSigned && !assertionSigned) throw new SamlError("signature", "neither the response nor the assertion is signed");

  try {
    const status = onlyChild(root, SAMLP_NS, "Status");
    const code = status && onlyChild(status, SAMLP_NS, "StatusCode");
    if (code && attr(code, "Value") !== SUCCESS) throw new SamlError("status", `status ${attr(code, "Value")}`);
    return readAssertion(assertion, responseSigned && assertionSigned ? "both" : responseSigned ? "response" : "assertion");
  } catch (e) {
    if (e instanceof XmlError) throw malformed(e.message);
    throw e;
  }
}
