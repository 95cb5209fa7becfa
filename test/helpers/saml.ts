/** SAML test material: IdP metadata documents around the fixture certificate. */
import { FIXTURE_CERT, FIXTURE_CERT_2 } from "../fixtures/certs";

const base64Of = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");

/** An IdP metadata document (prefixed md:/ds: elements, as IdPs write them) with a signing certificate. */
export function idpMetadata(o: { entityId?: string; validUntil?: string; second?: boolean; use?: string } = {}): string {
  const cert = base64Of(o.second ? FIXTURE_CERT_2 : FIXTURE_CERT);
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${o.entityId ?? "https://idp.example.com/saml"}"${
    o.validUntil ? ` validUntil="${o.validUntil}"` : ""
  }>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="${o.use ?? "signing"}">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>${cert}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
}
