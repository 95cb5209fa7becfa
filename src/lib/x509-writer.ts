/**
 * A self-signed X.509 v3 certificate for an RSA key, written in DER with WebCrypto (no library): the
 * signing certificate an IdP publishes in its SAML metadata. Subject = issuer = one CN; validity as
 * given; sha256WithRSAEncryption. Built on the DER encoder of ./der.ts.
 */
import { TAG, encode, encodeOid, encodeUnsigned } from "./der";
import { utf8 } from "./encoding";

const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const COMMON_NAME = "2.5.4.3";
const SET = 0x31;
const UTF8_STRING = 0x0c;

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function x509Time(ms: number): Uint8Array {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? encode(TAG.UTC_TIME, utf8.encode(`${digits.slice(2)}Z`)) : encode(TAG.GENERALIZED_TIME, utf8.encode(`${digits}Z`));
}

const name = (cn: string) =>
  encode(TAG.SEQUENCE, encode(SET, encode(TAG.SEQUENCE, encodeOid(COMMON_NAME), encode(UTF8_STRING, utf8.encode(cn)))));

/** The DER certificate of the key pair's public key, signed by its private key. */
export async function selfSignedCertificate(
  keys: { publicKey: CryptoKey; privateKey: CryptoKey },
  commonName: string,
  notBefore: number,
  notAfter: number,
): Promise<Uint8Array> {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and without a leading zero byte
  const algorithm = encode(TAG.SEQUENCE, encodeOid(SHA256_WITH_RSA), encode(TAG.NULL));
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", keys.publicKey)) as ArrayBuffer);
  const tbs = encode(
    TAG.SEQUENCE,
    encode(0xa0, encode(TAG.INTEGER, new Uint8Array([2]))), // [0] EXPLICIT version v3
    encodeUnsigned(serial),
    algorithm,
    name(commonName),
    encode(TAG.SEQUENCE, x509Time(notBefore), x509Time(notAfter)),
    name(commonName),
    spki,
  );
  const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", keys.privateKey, tbs));
  return encode(TAG.SEQUENCE, tbs, algorithm, encode(TAG.BIT_STRING, new Uint8Array([0]), signature));
}
