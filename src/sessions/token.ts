/**
 * Session tokens: opaque to clients, unforgeable without the server's key.
 *
 *   token = base64( payload ‖ HMAC-SHA256(key, "iamlab-sts" ‖ accessKeyId ‖ payload) )
 *   payload = version (1 byte) ‖ session id (16 bytes) ‖ expiry (8 bytes, epoch ms, big-endian)
 *             ‖ account id (12 ASCII digits) ‖ account incarnation (8 bytes)
 *
 * The incarnation (accounts.incarnation) binds the token to this life of the account: when the
 * account is deleted and an account with the same id is created again, the old tokens fail
 * (resolver.ts compares it with the account row it reads anyway). Version 1 tokens (before
 * incarnations) are refused.
 *
 * The MAC covers the access key id, so a token only works with the key it was issued with; the
 * expiry is inside the MAC, so an expired token is recognised (ExpiredToken) without a lookup and
 * a tampered one (InvalidClientTokenId) before any Durable Object is asked.
 */
import { BoundedMap } from "../lib/bounded";
import { fromBase64, toBase64, toHex, utf8 } from "../lib/encoding";

const VERSION = 2;
const PAYLOAD_LEN = 1 + 16 + 8 + 12 + 8;
const MAC_LEN = 32;

export interface TokenClaims {
  sessionId: string;
  account: string;
  expiresAt: number;
  /** 16 hex characters (accounts.incarnation) */
  incarnation: string;
}

// One key per token secret (a sandbox has one); bounded all the same.
const keys = new BoundedMap<string, Promise<CryptoKey>>(16, 64 * 1024, (_, k) => 64 + 2 * k.length);
function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, k);
  }
  return k;
}

function macInput(accessKeyId: string, payload: Uint8Array): Uint8Array {
  const prefix = utf8.encode(`iamlab-sts\n${accessKeyId}\n`);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

/** Only canonical base64 (atob alone would also take whitespace and missing padding). */
const CANONICAL_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** 16 random bytes as 32 hex characters. */
export function newSessionId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

export async function signToken(secret: string, accessKeyId: string, claims: TokenClaims): Promise<string> {
  if (!/^[0-9a-f]{32}$/.test(claims.sessionId) || !/^\d{12}$/.test(claims.account) || !/^[0-9a-f]{16}$/.test(claims.incarnation))
    throw new Error("bad token claims");
  const payload = new Uint8Array(PAYLOAD_LEN);
  payload[0] = VERSION;
  for (let i = 0; i < 16; i++) payload[1 + i] = parseInt(claims.sessionId.slice(2 * i, 2 * i + 2), 16);
  new DataView(payload.buffer).setBigUint64(17, BigInt(Math.floor(claims.expiresAt)));
  payload.set(utf8.encode(claims.account), 25);
  for (let i = 0; i < 8; i++) payload[37 + i] = parseInt(claims.incarnation.slice(2 * i, 2 * i + 2), 16);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), macInput(accessKeyId, payload)));
  const out = new Uint8Array(PAYLOAD_LEN + MAC_LEN);
  out.set(payload, 0);
  out.set(mac, PAYLOAD_LEN);
  return toBase64(out);
}

/** The claims of an authentic token for this access key id, or null (forged, altered, other key). */
export async function verifyToken(secret: string, accessKeyId: string, token: string): Promise<TokenClaims | null> {
  const raw = CANONICAL_BASE64.test(token) && token.length % 4 === 0 ? fromBase64(token) : null;
  if (!raw || raw.length !== PAYLOAD_LEN + MAC_LEN || raw[0] !== VERSION) return null;
  const payload = raw.subarray(0, PAYLOAD_LEN);
  const mac = raw.subarray(PAYLOAD_LEN);
  // crypto.subtle.verify compares in constant time.
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, macInput(accessKeyId, payload));
  if (!ok) return null;
  const account = new TextDecoder().decode(payload.subarray(25, 37));
  if (!/^\d{12}$/.test(account)) return null;
  return {
    sessionId: toHex(payload.subarray(1, 17)),
    expiresAt: Number(new DataView(payload.buffer, payload.byteOffset).getBigUint64(17)),
    account,
    incarnation: toHex(payload.subarray(37, 45)),
  };
}
