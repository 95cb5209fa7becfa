/**
 * The built-in SAML 2.0 identity provider of each account, beside the OIDC one
 * (./builtin-idp.ts), so a lab needs no Okta or ADFS: an entity `https://<iamlab host>/_iamlab/idp/
 * <account>/saml` whose metadata (an EntityDescriptor with a self-signed RSA-2048 signing
 * certificate, made with WebCrypto on first use and kept in D1) is what CreateSAMLProvider takes,
 * and signed SAML responses minted through the admin API for a lab identity with chosen
 * attributes — what `aws sts assume-role-with-saml --saml-assertion` takes.
 */
import type { Db } from "../store/db";
import { addSamlIdpKey, getSamlIdpKey, retirePreviousSamlIdpKey, rotateSamlIdpKey, type SamlIdpKey } from "../store/saml-idp-keys";
import { selfSignedCertificate } from "../lib/x509-writer";
import { fromBase64, toBase64, utf8 } from "../lib/encoding";
import { AWS_ATTRIBUTE, signedResponseXml, type SignWhat } from "./saml/build";
import { DSIG_NS } from "./saml/dsig";

const MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata";
const CERT_YEARS = 10;

/** The path of an account's built-in SAML IdP (its entity ID names the host in front of it). */
export const builtinSamlPath = (account: string) => `/_iamlab/idp/${account}/saml`;
export const builtinSamlEntityId = (host: string, account: string) => `https://${host}${builtinSamlPath(account)}`;

/** The account's key, created on first use (undefined when the account does not exist). */
export async function samlSigningKey(db: Db, account: string, now: number): Promise<SamlIdpKey | undefined> {
  const found = await getSamlIdpKey(db, account);
  if (found) return found;
  await addSamlIdpKey(db, account, await newSigningKey(account, now));
  return getSamlIdpKey(db, account);
}

async function newSigningKey(account: string, now: number): Promise<SamlIdpKey> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = await selfSignedCertificate(pair, `iamlab SAML IdP ${account}`, now - 86_400_000, now + CERT_YEARS * 365 * 86_400_000);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  return { privatePkcs8: toBase64(pkcs8), certificate: toBase64(der), createdAt: now };
}

/**
 * Key rotation, as an IdP does it: "rotate" makes a new key that signs from now on while the
 * metadata publishes both certificates (update the IAM SAML provider with it: IAM accepts a
 * signature by any certificate of the provider's metadata); "retire" drops the old certificate.
 */
export async function rotateSamlSigningKey(db: Db, account: string, now: number): Promise<boolean> {
  if (!(await samlSigningKey(db, account, now))) return false;
  return rotateSamlIdpKey(db, account, await newSigningKey(account, now));
}

export { retirePreviousSamlIdpKey as retireSamlSigningKey };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

/** The IdP metadata document to register with CreateSAMLProvider. */
export function metadataXml(entityId: string, certificate: string, previousCertificate?: string | null): string {
  const descriptor = (cert: string) => `
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="${DSIG_NS}">
        <ds:X509Data>
          <ds:X509Certificate>${cert}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="${MD_NS}" entityID="${esc(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${descriptor(certificate)}${previousCertificate ? descriptor(previousCertificate) : ""}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(entityId)}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
}

export interface SamlMintRequest {
  subject: string;
  nameIdFormat?: string;
  /** `role-arn,provider-arn` pairs for the Role attribute */
  roles: string[];
  /** RoleSessionName attribute; the subject when not given; `null` leaves it out */
  sessionName?: string | null;
  sessionDuration?: number;
  principalTags?: Record<string, string>;
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
  /** any other attributes (eduPerson OIDs, …), Name → value(s) */
  attributes?: Record<string, string | string[]>;
  /** seconds from IssueInstant to NotOnOrAfter; default 300 */
  expiresIn?: number;
  /** epoch ms of IssueInstant; default now (a lab may mint a stale assertion) */
  issuedAt?: number;
  audience?: string;
  recipient?: string;
  sign?: SignWhat;
}

/** The attributes of a mint request, as (Name, values) pairs. */
function attributesOf(r: SamlMintRequest): [string, string[]][] {
  const out: [string, string[]][] = [[`${AWS_ATTRIBUTE}Role`, r.roles]];
  const sessionName = r.sessionName === undefined ? r.subject : r.sessionName;
  if (sessionName !== null) out.push([`${AWS_ATTRIBUTE}RoleSessionName`, [sessionName]]);
  if (r.sessionDuration !== undefined) out.push([`${AWS_ATTRIBUTE}SessionDuration`, [String(r.sessionDuration)]]);
  for (const [k, v] of Object.entries(r.principalTags ?? {})) out.push([`${AWS_ATTRIBUTE}PrincipalTag:${k}`, [v]]);
  if (r.transitiveTagKeys?.length) out.push([`${AWS_ATTRIBUTE}TransitiveTagKeys`, r.transitiveTagKeys]);
  if (r.sourceIdentity !== undefined) out.push([`${AWS_ATTRIBUTE}SourceIdentity`, [r.sourceIdentity]]);
  for (const [k, v] of Object.entries(r.attributes ?? {})) out.push([k, Array.isArray(v) ? v : [v]]);
  return out;
}

/** A signed SAML Response of the account's IdP, base64-encoded as STS takes it, and its XML. */
export async function mintSamlResponse(
  db: Db,
  account: string,
  entityId: string,
  r: SamlMintRequest,
  now: number,
): Promise<{ samlResponse: string; xml: string; notOnOrAfter: number } | undefined> {
  const key = await samlSigningKey(db, account, now);
  const pkcs8 = key && fromBase64(key.privatePkcs8);
  if (!key || !pkcs8) return undefined;
  const issueInstant = r.issuedAt ?? now;
  const notOnOrAfter = issueInstant + (r.expiresIn ?? 300) * 1000;
  const xml = await signedResponseXml(
    {
      issuer: entityId,
      subject: r.subject,
      ...(r.nameIdFormat ? { nameIdFormat: r.nameIdFormat } : {}),
      issueInstant,
      notOnOrAfter,
      ...(r.audience ? { audience: r.audience } : {}),
      ...(r.recipient ? { recipient: r.recipient } : {}),
      attributes: attributesOf(r),
    },
    { pkcs8, certificate: key.certificate },
    r.sign,
  );
  return { samlResponse: toBase64(utf8.encode(xml)), xml, notOnOrAfter };
}
