/**
 * Verifying a SAML assertion for AssumeRoleWithSAML, in this order: base64 → the IAM SAML provider
 * `PrincipalArn` names → the Response's signature against the provider's metadata certificates
 * (src/federation/saml/, with its anti-wrapping rules) → the IdP's status → time (IssueInstant
 * within 5 minutes, NotBefore with clock skew, NotOnOrAfter of the Conditions and the bearer
 * SubjectConfirmationData) → audience and recipient (AWS's sign-in endpoint) → the Role attribute's
 * role,provider pair → the AWS attributes (RoleSessionName, SessionDuration, PrincipalTag:*,
 * TransitiveTagKeys, SourceIdentity). Then what the trust policy sees: the `SAML:*` keys.
 *
 * AWS's messages, where confirmed (AWS's troubleshooting page, users' reports): "RoleSessionName is
 * required in AuthnResponse", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
 * "Response signature invalid", "Token must be redeemed within 5 minutes of issuance" (an
 * ExpiredTokenException), "Not authorized to perform sts:AssumeRoleWithSAML". The others are ours.
 */
import { AwsError, errors } from "../protocol/errors";
import { fromBase64, toBase64, utf8 } from "../lib/encoding";
import type { Db } from "../store/db";
import { getSamlProvider } from "../store/iam-identity-providers";
import { parseSamlMetadata } from "./saml-metadata";
import { certificateSpki } from "./saml/keys";
import { SamlError, verifySamlResponse, type SamlAssertion } from "./saml/response";
import { AWS_ATTRIBUTE } from "./saml/build";
import { CLOCK_SKEW_SECONDS } from "./web-identity";

/** How long after IssueInstant STS still takes an assertion. */
export const REDEEM_WITHIN_MS = 5 * 60_000;
const NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
const UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** The audiences and recipients STS accepts: its sign-in endpoint, global or regional (with an ACS path). */
export const AWS_SIGNIN = /^https:\/\/(?:[a-z]{2}(?:-[a-z]+)+-\d\.)?signin\.aws\.amazon\.com\/saml(?:\/acs\/[\w-]+)?$/;
const AUDIENCES = (a: string) => a === "urn:amazon:webservices" || AWS_SIGNIN.test(a);

const invalid = (m: string) => new AwsError("InvalidIdentityToken", m, 400);

export const samlErrors = {
  badBase64: () => invalid("Invalid base64 SAMLResponse"),
  malformed: () => invalid("Invalid SAML response"),
  noProvider: () => invalid("Specified provider doesn't exist"),
  providerExpired: () => invalid("The SAML provider's metadata has expired"),
  signature: () => invalid("Response signature invalid"),
  rejected: () => new AwsError("IDPRejectedClaim", "The identity provider reported that authentication failed", 403),
  notYetValid: () => invalid("The SAML assertion is not yet valid"),
  redeemWithin: () => new AwsError("ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance", 400),
  expired: () => new AwsError("ExpiredTokenException", "The SAML assertion has expired (NotOnOrAfter)", 400),
  audience: () => invalid("Audience restriction does not include https://signin.aws.amazon.com/saml"),
  recipient: () => invalid("Invalid SubjectConfirmationData Recipient"),
  notAuthorized: () => errors.accessDenied("Not authorized to perform sts:AssumeRoleWithSAML"),
  noSessionName: () => invalid("RoleSessionName is required in AuthnResponse"),
  badSessionName: () => invalid("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"),
  badSessionDuration: () => invalid("SessionDuration in AuthnResponse must be an integer from 900 to 43200"),
  badTag: (k: string) => invalid(`PrincipalTag attribute ${k} in AuthnResponse is not a valid session tag`),
  badSourceIdentity: () => invalid("SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"),
};

/** AWS's documented `SAML:*` keys that come from attributes (eduPerson, X.500 and Microsoft names), by attribute Name. */
export const ATTRIBUTE_KEYS: Record<string, string> = {
  "urn:oid:2.5.4.3": "SAML:cn",
  "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": "SAML:eduorghomepageuri",
  "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": "SAML:eduorgidentityauthnpolicyuri",
  "urn:oid:1.3.6.1.4.1.5923.1.2.1.4": "SAML:eduorglegalname",
  "urn:oid:1.3.6.1.4.1.5923.1.2.1.5": "SAML:eduorgsuperioruri",
  "urn:oid:1.3.6.1.4.1.5923.1.2.1.6": "SAML:eduorgwhitepagesuri",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "SAML:edupersonaffiliation",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "SAML:edupersonassurance",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "SAML:edupersonentitlement",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": "SAML:edupersonnickname",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "SAML:edupersonorgdn",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": "SAML:edupersonorgunitdn",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "SAML:edupersonprimaryaffiliation",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": "SAML:edupersonprimaryorgunitdn",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "SAML:edupersonprincipalname",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "SAML:edupersonscopedaffiliation",
  "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "SAML:edupersontargetedid",
  "urn:oid:2.5.4.42": "SAML:givenName",
  "urn:oid:0.9.2342.19200300.100.1.3": "SAML:mail",
  "urn:oid:2.5.4.41": "SAML:name",
  "urn:oid:2.5.4.4": "SAML:surname",
  "urn:oid:0.9.2342.19200300.100.1.1": "SAML:uid",
  "urn:oid:2.5.4.45": "SAML:x500UniqueIdentifier",
  "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": "SAML:primaryGroupSID",
};

export interface SamlIdentity {
  providerArn: string;
  assertion: SamlAssertion;
  issuer: string;
  subject: string;
  subjectType: string;
  /** SAML:aud: the bearer confirmation's Recipient, else the accepted Audience */
  audience: string;
  nameQualifier: string;
  sessionName: string;
  /** the SessionDuration attribute, seconds */
  sessionDuration?: number;
  /** seconds until the AuthnStatement's SessionNotOnOrAfter */
  sessionCapSeconds?: number;
  conditionKeys: Record<string, string | string[]>;
  sessionTags?: Record<string, string>;
  /** lower-cased */
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
}

/** SAML:sub_type: persistent / transient …, the SAML 2.0 name-id-format prefix removed; any other format as is. */
export function subjectTypeOf(format: string | undefined): string {
  const f = format ?? UNSPECIFIED;
  return f.startsWith(NAMEID_PREFIX) ? f.slice(NAMEID_PREFIX.length) : f;
}

/** AWS's NameQualifier: BASE64(SHA1(issuer + account + "/" + provider name)). */
export async function nameQualifierOf(issuer: string, account: string, providerName: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-1", utf8.encode(`${issuer}${account}/${providerName}`))));
}

/** The time, audience and recipient checks (pure). */
export function checkAssertionWindow(a: SamlAssertion, nowMs: number): string {
  const skew = CLOCK_SKEW_SECONDS * 1000;
  if (a.issueInstant > nowMs + skew || (a.notBefore !== undefined && a.notBefore > nowMs + skew)) throw samlErrors.notYetValid();
  const ends = [a.notOnOrAfter, a.sessionNotOnOrAfter, ...a.confirmations.map((c) => c.notOnOrAfter)].filter(
    (t): t is number => t !== undefined,
  );
  if (ends.some((t) => nowMs >= t)) throw samlErrors.expired();
  if (nowMs > a.issueInstant + REDEEM_WITHIN_MS) throw samlErrors.redeemWithin();
  const audience = a.audiences.find(AUDIENCES);
  if (audience === undefined) throw samlErrors.audience();
  if (a.confirmations.length === 0) throw samlErrors.recipient();
  const recipients = a.confirmations.map((c) => c.recipient).filter((r): r is string => r !== undefined);
  if (recipients.some((r) => !AWS_SIGNIN.test(r))) throw samlErrors.recipient();
  return recipients[0] ?? audience;
}

const single = (a: SamlAssertion, name: string): string | undefined => a.attributes.get(AWS_ATTRIBUTE + name)?.[0];

/** The AWS attributes of the assertion: session name, duration, tags, source identity (pure). */
export function awsAttributes(
  a: SamlAssertion,
): Pick<SamlIdentity, "sessionName" | "sessionDuration" | "sessionTags" | "transitiveTagKeys" | "sourceIdentity"> {
  const sessionName = single(a, "RoleSessionName");
  if (sessionName === undefined) throw samlErrors.noSessionName();
  if (!SESSION_NAME.test(sessionName)) throw samlErrors.badSessionName();
  const out: ReturnType<typeof awsAttributes> = { sessionName };
  const duration = single(a, "SessionDuration");
  if (duration !== undefined) {
    const n = Number(duration);
    if (!/^\d+$/.test(duration) || n < 900 || n > 43200) throw samlErrors.badSessionDuration();
    out.sessionDuration = n;
  }
  const tags: Record<string, string> = {};
  for (const [name, values] of a.attributes) {
    if (!name.startsWith(`${AWS_ATTRIBUTE}PrincipalTag:`)) continue;
    const key = name.slice(`${AWS_ATTRIBUTE}PrincipalTag:`.length);
    const value = values[0] ?? "";
    if (!TAG_KEY.test(key) || !TAG_VALUE.test(value) || values.length > 1) throw samlErrors.badTag(key);
    if (Object.keys(tags).some((k) => k.toLowerCase() === key.toLowerCase())) throw samlErrors.badTag(key);
    tags[key] = value;
  }
  if (Object.keys(tags).length) out.sessionTags = tags;
  const transitive = a.attributes.get(`${AWS_ATTRIBUTE}TransitiveTagKeys`);
  if (transitive?.length) out.transitiveTagKeys = transitive.map((k) => k.toLowerCase());
  const source = single(a, "SourceIdentity");
  if (source !== undefined) {
    if (!SESSION_NAME.test(source)) throw samlErrors.badSourceIdentity();
    out.sourceIdentity = source;
  }
  return out;
}

/** Whether the Role attribute holds the role,provider pair of the request (either order, as AWS accepts). */
export function roleAttributeAllows(a: SamlAssertion, roleArn: string, providerArn: string): boolean {
  return (a.attributes.get(`${AWS_ATTRIBUTE}Role`) ?? []).some((v) => {
    const parts = v.split(",").map((p) => p.trim());
    return parts.length === 2 && parts.includes(roleArn) && parts.includes(providerArn) && roleArn !== providerArn;
  });
}

/** The `SAML:*` condition keys (pure but for the SHA-1 of NameQualifier). */
export async function samlConditionKeys(
  a: SamlAssertion,
  provider: { arn: string; account: string; name: string },
  audience: string,
): Promise<{ keys: Record<string, string | string[]>; nameQualifier: string }> {
  const nameQualifier = await nameQualifierOf(a.issuer, provider.account, provider.name);
  const keys: Record<string, string | string[]> = {
    "SAML:aud": audience,
    "SAML:iss": a.issuer,
    "SAML:sub": a.subject,
    "SAML:sub_type": subjectTypeOf(a.nameIdFormat),
    "SAML:namequalifier": nameQualifier,
    "SAML:doc": `${provider.account}/${provider.name}`,
    "aws:FederatedProvider": provider.arn,
  };
  for (const [name, values] of a.attributes) {
    const key = ATTRIBUTE_KEYS[name];
    if (key && values.length) keys[key] = values.length === 1 ? values[0]! : values;
  }
  return { keys, nameQualifier };
}

/** Verifies the base64 SAMLAssertion for `roleArn` / `principalArn` (throws STS's errors). */
export async function verifySamlAssertion(
  db: Db,
  roleArn: string,
  principalArn: string,
  samlAssertion: string,
  nowMs: number,
): Promise<SamlIdentity> {
  const bytes = fromBase64(samlAssertion.replace(/\s+/g, ""));
  if (!bytes) throw samlErrors.badBase64();
  let xml: string;
  try {
    xml = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw samlErrors.malformed();
  }
  const m = /^arn:aws:iam::(\d{12}):saml-provider\/([\w.@-]+)$/.exec(principalArn);
  const provider = m ? await getSamlProvider(db, m[1]!, principalArn) : undefined;
  if (!m || !provider) throw samlErrors.noProvider();
  if (Date.parse(provider.validUntil) <= nowMs) throw samlErrors.providerExpired();
  let certificates: Uint8Array[];
  try {
    certificates = parseSamlMetadata(provider.metadata).certificates.map((c) => c.der);
  } catch {
    throw samlErrors.signature();
  }
  let assertion: SamlAssertion;
  try {
    assertion = await verifySamlResponse(
      xml,
      certificates.map((der) => ({ spki: certificateSpki(der) })),
    );
  } catch (e) {
    if (!(e instanceof SamlError)) throw e;
    throw e.reason === "signature" ? samlErrors.signature() : e.reason === "status" ? samlErrors.rejected() : samlErrors.malformed();
  }
  const audience = checkAssertionWindow(assertion, nowMs);
  // The provider as IAM stores it: the name's case in the ARN, as created.
  const providerArn = provider.arn;
  if (!roleAttributeAllows(assertion, roleArn, principalArn) && !roleAttributeAllows(assertion, roleArn, providerArn))
    throw samlErrors.notAuthorized();
  const attrs = awsAttributes(assertion);
  const { keys, nameQualifier } = await samlConditionKeys(assertion, { arn: providerArn, account: m[1]!, name: provider.name }, audience);
  const sessionCap = assertion.sessionNotOnOrAfter !== undefined ? Math.floor((assertion.sessionNotOnOrAfter - nowMs) / 1000) : undefined;
  return {
    providerArn,
    assertion,
    issuer: assertion.issuer,
    subject: assertion.subject,
    subjectType: subjectTypeOf(assertion.nameIdFormat),
    audience,
    nameQualifier,
    ...attrs,
    ...(sessionCap !== undefined ? { sessionCapSeconds: sessionCap } : {}),
    conditionKeys: keys,
  };
}
