/** The public key of an X.509 certificate as WebCrypto imports it (SubjectPublicKeyInfo DER). Pure. */
import { TAG, expect, parseDer, sequence } from "../../lib/der";

export function certificateSpki(der: Uint8Array): Uint8Array {
  const [tbs] = sequence(parseDer(der));
  const fields = sequence(tbs);
  const i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo
  return expect(fields[i + 5], TAG.SEQUENCE).raw;
}
