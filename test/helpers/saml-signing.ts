/** A throwaway SAML IdP for tests: an RSA key, its self-signed certificate, metadata naming it, signed responses. */
import { selfSignedCertificate } from "../../src/lib/x509-writer";
import { toBase64 } from "../../src/lib/encoding";
import { signedResponseXml, type ResponseSpec, type SignWhat } from "../../src/federation/saml/build";
import { certificateSpki } from "../../src/federation/saml/keys";

export interface TestIdp {
  entityId: string;
  pkcs8: Uint8Array;
  certificateDer: Uint8Array;
  /** base64 DER */
  certificate: string;
  spki: Uint8Array;
  metadata: string;
  sign(spec: ResponseSpec, what?: SignWhat): Promise<string>;
}

export async function testIdp(entityId = "https://idp.example.com/saml"): Promise<TestIdp> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const now = Date.now();
  const certificateDer = await selfSignedCertificate(pair, "test idp", now - 86_400_000, now + 365 * 86_400_000);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const certificate = toBase64(certificateDer);
  const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
  return {
    entityId,
    pkcs8,
    certificateDer,
    certificate,
    spki: certificateSpki(certificateDer),
    metadata,
    sign: (spec, what) => signedResponseXml(spec, { pkcs8, certificate }, what),
  };
}
