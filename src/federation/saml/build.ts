/**
 * Writing a signed SAML 2.0 Response for AWS (pure, WebCrypto): what an IdP posts to
 * https://signin.aws.amazon.com/saml and what `aws sts assume-role-with-saml --saml-assertion`
 * takes, base64-encoded. The built-in IdP (src/federation/builtin-saml-idp.ts) and the tests use it.
 */
import { signEnveloped, type SigningAlgorithm } from "./sign";
import { SAML_NS, SAMLP_NS } from "./response";

export const AWS_SAML_ENDPOINT = "https://signin.aws.amazon.com/saml";
export const AWS_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/";
const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

export interface ResponseSpec {
  issuer: string;
  subject: string;
  nameIdFormat?: string;
  /** epoch ms */
  issueInstant: number;
  /** epoch ms: Conditions and SubjectConfirmationData NotOnOrAfter */
  notOnOrAfter: number;
  audience?: string;
  recipient?: string;
  sessionNotOnOrAfter?: number;
  /** attribute Name → values */
  attributes: [string, string[]][];
}

export interface SigningKey {
  pkcs8: Uint8Array;
  /** base64 DER, for KeyInfo */
  certificate?: string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const iso = (ms: number) => new Date(ms).toISOString();
const newId = () => `_${crypto.randomUUID().replace(/-/g, "")}`;

export const RESPONSE_SIGNATURE = "<!--response-signature-->";
export const ASSERTION_SIGNATURE = "<!--assertion-signature-->";

/** The unsigned Response, with markers where the signatures go, and its two IDs. */
export function responseXml(spec: ResponseSpec): { xml: string; responseId: string; assertionId: string } {
  const responseId = newId();
  const assertionId = newId();
  const recipient = spec.recipient ?? AWS_SAML_ENDPOINT;
  const attrs = spec.attributes
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join("")}</saml:Attribute>`,
    )
    .join("");
  const xml =
    `<samlp:Response xmlns:samlp="${SAMLP_NS}" xmlns:saml="${SAML_NS}" ID="${responseId}" Version="2.0" IssueInstant="${iso(spec.issueInstant)}" Destination="${esc(recipient)}">` +
    `<saml:Issuer>${esc(spec.issuer)}</saml:Issuer>${RESPONSE_SIGNATURE}` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${iso(spec.issueInstant)}">` +
    `<saml:Issuer>${esc(spec.issuer)}</saml:Issuer>${ASSERTION_SIGNATURE}` +
    `<saml:Subject><saml:NameID Format="${esc(spec.nameIdFormat ?? PERSISTENT)}">${esc(spec.subject)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${iso(spec.notOnOrAfter)}" Recipient="${esc(recipient)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(spec.issueInstant)}" NotOnOrAfter="${iso(spec.notOnOrAfter)}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(spec.audience ?? AWS_SAML_ENDPOINT)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(spec.issueInstant)}"${
      spec.sessionNotOnOrAfter !== undefined ? ` SessionNotOnOrAfter="${iso(spec.sessionNotOnOrAfter)}"` : ""
    }><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : "") +
    `</saml:Assertion></samlp:Response>`;
  return { xml, responseId, assertionId };
}

export interface SignWhat {
  assertion?: boolean;
  response?: boolean;
  algorithm?: SigningAlgorithm;
}

/** The Response signed as asked (by default both the assertion and the response, as many IdPs do). */
export async function signedResponseXml(spec: ResponseSpec, key: SigningKey, what: SignWhat = {}): Promise<string> {
  const { xml, responseId, assertionId } = responseXml(spec);
  const common = {
    pkcs8: key.pkcs8,
    ...(key.certificate ? { certificate: key.certificate } : {}),
    ...(what.algorithm ? { algorithm: what.algorithm } : {}),
  };
  let out = xml;
  if (what.assertion ?? true) out = await signEnveloped(out, { ...common, id: assertionId, marker: ASSERTION_SIGNATURE });
  else out = out.replace(ASSERTION_SIGNATURE, "");
  if (what.response ?? true) out = await signEnveloped(out, { ...common, id: responseId, marker: RESPONSE_SIGNATURE });
  else out = out.replace(RESPONSE_SIGNATURE, "");
  return out;
}
