/**
 * X.509 certificates and private keys as IAM's certificate actions read them: the PEM certificate's
 * validity and public key (RSA or EC), the PEM private key (PKCS#1 `RSA PRIVATE KEY`, PKCS#8
 * `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`), and whether the two belong together. Built on the tiny DER
 * reader (./der.ts) and WebCrypto (an EC key without its public point is imported to derive it);
 * signatures are not verified — IAM does not ask for a trusted chain.
 */
import {
  DerError,
  TAG,
  bitLength,
  bitString,
  children,
  encode,
  encodeOid,
  expect,
  oid,
  parseDer,
  sequence,
  time,
  unsignedInteger,
  type Der,
} from "./der";
import { RSA_OID, pemBlock, pemBlocks, spkiParts } from "./public-keys";
import { fromBase64, toHex } from "./encoding";

const EC_OID = "1.2.840.10045.2.1";
const CURVES: Record<string, "P-256" | "P-384" | "P-521"> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

/** A public key reduced to what comparing two keys needs. */
export type PublicKeyInfo =
  | { kind: "rsa"; modulus: Uint8Array; bits: number }
  | { kind: "ec"; curve: string; point: Uint8Array; bits: number }
  | { kind: "other"; algorithm: string; bits: 0 };

export interface Certificate {
  /** the DER bytes */
  der: Uint8Array;
  notBefore: number;
  notAfter: number;
  publicKey: PublicKeyInfo;
}

function publicKeyOf(spki: Der): PublicKeyInfo {
  const { algorithm, parameters, key } = spkiParts(spki);
  if (algorithm === RSA_OID) {
    const [n] = sequence(parseDer(key));
    const modulus = unsignedInteger(n);
    return { kind: "rsa", modulus, bits: bitLength(modulus) };
  }
  if (algorithm === EC_OID && parameters && CURVES[parameters])
    return { kind: "ec", curve: CURVES[parameters], point: key, bits: Number(CURVES[parameters].slice(2)) };
  return { kind: "other", algorithm, bits: 0 };
}

/** A certificate from its DER bytes; throws DerError when it is not one. */
export function parseCertificateDer(der: Uint8Array): Certificate {
  const [tbs, sigAlg, sig] = sequence(parseDer(der));
  sequence(sigAlg);
  expect(sig, TAG.BIT_STRING);
  const fields = sequence(tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version
  expect(fields[i++], TAG.INTEGER); // serialNumber
  sequence(fields[i++]); // signature
  sequence(fields[i++]); // issuer
  const [nb, na] = sequence(fields[i++]);
  sequence(fields[i++]); // subject
  const spki = expect(fields[i++], TAG.SEQUENCE);
  return { der, notBefore: time(nb), notAfter: time(na), publicKey: publicKeyOf(spki) };
}

/** One PEM `CERTIFICATE` (nothing else in the text), or null when it is not one. */
export function parseCertificatePem(text: string): Certificate | null {
  const block = pemBlock(text.trim());
  if (block?.label !== "CERTIFICATE") return null;
  try {
    return parseCertificateDer(block.der);
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

/** Every certificate of a PEM chain, or null when any block is not a certificate. */
export function parseCertificateChain(text: string): Certificate[] | null {
  const blocks = pemBlocks(text.trim());
  if (!blocks) return null;
  const out: Certificate[] = [];
  for (const b of blocks) {
    if (b.label !== "CERTIFICATE") return null;
    try {
      out.push(parseCertificateDer(b.der));
    } catch (e) {
      if (e instanceof DerError) return null;
      throw e;
    }
  }
  return out;
}

/** SHA-256 of the certificate's DER bytes, hex: the same certificate however its PEM is wrapped. */
export async function certificateFingerprint(c: Certificate): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", c.der));
}

// ---------------------------------------------------------------- private keys

/** What a private key body is; `encrypted` for keys IAM cannot use (encrypted PEM). */
export type ParsedPrivateKey = { ok: true; publicKey: PublicKeyInfo } | { ok: false; reason: "malformed" | "encrypted" | "unsupported" };

function rsaPrivate(der: Uint8Array): PublicKeyInfo {
  const [version, n] = sequence(parseDer(der));
  unsignedInteger(version);
  const modulus = unsignedInteger(n);
  return { kind: "rsa", modulus, bits: bitLength(modulus) };
}

/** SEC1 ECPrivateKey: the public point when present, else derived through WebCrypto from a PKCS#8 wrapping. */
async function ecPrivate(der: Uint8Array, curveOid: string | undefined): Promise<PublicKeyInfo> {
  const [version, d, ...rest] = sequence(parseDer(der));
  unsignedInteger(version);
  expect(d, TAG.OCTET_STRING);
  let curve = curveOid;
  let point: Uint8Array | undefined;
  for (const el of rest) {
    if (el.tag === 0xa0) curve = oid(children(el)[0]);
    if (el.tag === 0xa1) point = bitString(children(el)[0]);
  }
  const name = curve ? CURVES[curve] : undefined;
  if (!curve || !name) throw new DerError("unsupported curve");
  if (!point) {
    const pkcs8 = encode(
      TAG.SEQUENCE,
      encode(TAG.INTEGER, new Uint8Array([0])),
      encode(TAG.SEQUENCE, encodeOid(EC_OID), encodeOid(curve)),
      encode(TAG.OCTET_STRING, der),
    );
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: name }, true, ["sign"]);
    const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
    const b64 = (s: string) =>
      fromBase64(
        s
          .replace(/-/g, "+")
          .replace(/_/g, "/")
          .padEnd(Math.ceil(s.length / 4) * 4, "="),
      );
    const x = b64(jwk.x ?? "");
    const y = b64(jwk.y ?? "");
    if (!x || !y) throw new DerError("no public point");
    point = new Uint8Array([4, ...x, ...y]);
  }
  return { kind: "ec", curve: name, point, bits: Number(name.slice(2)) };
}

export async function parsePrivateKeyPem(text: string): Promise<ParsedPrivateKey> {
  const trimmed = text.trim();
  if (/Proc-Type:\s*4,ENCRYPTED/.test(trimmed) || trimmed.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
    return { ok: false, reason: "encrypted" };
  const block = pemBlock(trimmed);
  if (!block) return { ok: false, reason: "malformed" };
  try {
    if (block.label === "RSA PRIVATE KEY") return { ok: true, publicKey: rsaPrivate(block.der) };
    if (block.label === "EC PRIVATE KEY") return { ok: true, publicKey: await ecPrivate(block.der, undefined) };
    if (block.label !== "PRIVATE KEY") return { ok: false, reason: "malformed" };
    const [version, alg, key] = sequence(parseDer(block.der));
    unsignedInteger(version);
    const [algOid, params] = sequence(alg);
    const algorithm = oid(algOid);
    const inner = expect(key, TAG.OCTET_STRING).content;
    if (algorithm === RSA_OID) return { ok: true, publicKey: rsaPrivate(inner) };
    if (algorithm === EC_OID) return { ok: true, publicKey: await ecPrivate(inner, params?.tag === TAG.OID ? oid(params) : undefined) };
    return { ok: false, reason: "unsupported" };
  } catch (e) {
    if (e instanceof DerError || e instanceof DOMException || e instanceof TypeError) return { ok: false, reason: "malformed" };
    throw e;
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** True when the private key's public half is the certificate's key. */
export function keysMatch(cert: PublicKeyInfo, key: PublicKeyInfo): boolean {
  if (cert.kind === "rsa" && key.kind === "rsa") return sameBytes(cert.modulus, key.modulus);
  if (cert.kind === "ec" && key.kind === "ec") return cert.curve === key.curve && sameBytes(cert.point, key.point);
  return false;
}
