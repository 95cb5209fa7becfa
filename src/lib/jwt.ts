/**
 * JSON Web Tokens with WebCrypto only (no library: what OIDC ID tokens need is small): compact
 * decoding, signature verification against a JWK (RS256/384/512, PS256, ES256/384), RS256 signing,
 * RSA key generation with RFC 7638 thumbprints as key ids. Decoding is pure; crypto is async.
 */
import { fromBase64, toBase64, utf8 } from "./encoding";

export function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

export type JsonObject = Record<string, unknown>;

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  /** `base64url(header).base64url(payload)`: what the signature covers */
  signingInput: Uint8Array;
  signature: Uint8Array;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function jsonObjectOf(part: string): JsonObject | null {
  const bytes = fromBase64url(part);
  if (!bytes) return null;
  try {
    const v: unknown = JSON.parse(decoder.decode(bytes));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
  } catch {
    return null;
  }
}

/** A compact JWS (three base64url parts, JSON header and payload); null when the text is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  const header = jsonObjectOf(h);
  const payload = jsonObjectOf(p);
  const signature = fromBase64url(s);
  if (!header || !payload || !signature || signature.length === 0) return null;
  return { header, payload, signingInput: utf8.encode(`${h}.${p}`), signature };
}

type Algorithm = { import: Parameters<SubtleCrypto["importKey"]>[2] & { name: string }; verify: Parameters<SubtleCrypto["verify"]>[0] };

/** A JWK as JWKS documents publish it (with its key id). */
export type Jwk = JsonWebKey & { kid?: string };

/** The JWS algorithms accepted (AWS documents RS256 and ES256 for OIDC; the other members of the families cost nothing). */
const ALGORITHMS: Record<string, Algorithm> = {
  RS256: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
  RS384: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
  RS512: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
  PS256: { import: { name: "RSA-PSS", hash: "SHA-256" }, verify: { name: "RSA-PSS", saltLength: 32 } },
  ES256: { import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
  ES384: { import: { name: "ECDSA", namedCurve: "P-384" }, verify: { name: "ECDSA", hash: "SHA-384" } },
};

export function supportedAlgorithm(alg: unknown): alg is string {
  return typeof alg === "string" && Object.hasOwn(ALGORITHMS, alg);
}

/** True when `jwt`'s signature verifies with the public `jwk` under the header's algorithm ("none" and HS* never do). */
export async function verifyJwt(jwt: DecodedJwt, jwk: Jwk): Promise<boolean> {
  const alg = jwt.header.alg;
  if (!supportedAlgorithm(alg)) return false;
  const a = ALGORITHMS[alg]!;
  // The key's type must fit the algorithm (an RSA key is never tried as an EC key and back).
  if ((a.import.name === "ECDSA") !== (jwk.kty === "EC")) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  try {
    const { kty, n, e, crv, x, y } = jwk;
    const key = await crypto.subtle.importKey("jwk", { kty, n, e, crv, x, y }, a.import, false, ["verify"]);
    return await crypto.subtle.verify(a.verify, key, jwt.signature, jwt.signingInput);
  } catch {
    return false;
  }
}

/** Signs `payload` with an RSA private JWK (RS256), the key id in the header. */
export async function signJwtRs256(privateJwk: JsonWebKey, kid: string, payload: JsonObject): Promise<string> {
  const key = await crypto.subtle.importKey("jwk", privateJwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  const head = base64url(utf8.encode(JSON.stringify({ alg: "RS256", typ: "JWT", kid })));
  const body = base64url(utf8.encode(JSON.stringify(payload)));
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, key, utf8.encode(`${head}.${body}`)));
  return `${head}.${body}.${base64url(sig)}`;
}

/** RFC 7638 thumbprint of an RSA public key (base64url SHA-256 of its canonical members): a stable key id. */
export async function rsaThumbprint(jwk: JsonWebKey): Promise<string> {
  const canonical = JSON.stringify({ e: jwk.e, kty: "RSA", n: jwk.n });
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(canonical))));
}

/** A new RSA-2048 signing key pair as JWKs (public: kty, n, e, kid, alg, use). */
export async function generateRsaSigningKey(): Promise<{ kid: string; publicJwk: Jwk; privateJwk: JsonWebKey }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pub = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  const priv = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const kid = await rsaThumbprint(pub);
  return { kid, publicJwk: { kty: "RSA", n: pub.n, e: pub.e, kid, alg: "RS256", use: "sig" }, privateJwk: priv };
}
