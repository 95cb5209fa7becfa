/**
 * KMS ciphertext blobs and the cryptography behind them (pure; WebCrypto only). A blob names its key,
 * as AWS's do (Decrypt needs no KeyId), and only this sandbox can open it:
 *
 *   byte 0        format version (1)
 *   bytes 1–36    the key id (UUID, ASCII)
 *   bytes 37–48   the AES-GCM IV (random per encryption)
 *   bytes 49–     AES-256-GCM ciphertext followed by its 16-byte tag
 *
 * The additional authenticated data is the key id and the encryption context in a canonical form
 * (pairs sorted by key), so a blob opens only under the same key with the same context — AWS's rule
 * (the context is not stored in the blob: Decrypt must be given it again).
 */
const VERSION = 1;
const KEY_ID_LENGTH = 36;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER = 1 + KEY_ID_LENGTH + IV_LENGTH;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Blob {
  keyId: string;
  iv: Uint8Array;
  sealed: Uint8Array;
}

export function encodeBlob(b: Blob): Uint8Array {
  const out = new Uint8Array(HEADER + b.sealed.length);
  out[0] = VERSION;
  out.set(new TextEncoder().encode(b.keyId), 1);
  out.set(b.iv, 1 + KEY_ID_LENGTH);
  out.set(b.sealed, HEADER);
  return out;
}

/** The parts of a blob; undefined when the bytes are not one of ours (InvalidCiphertextException). */
export function decodeBlob(bytes: Uint8Array): Blob | undefined {
  if (bytes.length < HEADER + TAG_LENGTH || bytes[0] !== VERSION) return undefined;
  const keyId = new TextDecoder().decode(bytes.subarray(1, 1 + KEY_ID_LENGTH));
  if (!UUID.test(keyId)) return undefined;
  return { keyId, iv: bytes.slice(1 + KEY_ID_LENGTH, HEADER), sealed: bytes.slice(HEADER) };
}

/** The authenticated data of one encryption: the key id and the context, pairs sorted by key. */
export function additionalData(keyId: string, context: Readonly<Record<string, string>> = {}): Uint8Array {
  const pairs = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new TextEncoder().encode(JSON.stringify([keyId, pairs]));
}

/** 32 random bytes: the material of a new key. */
export function newKeyMaterial(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/**
 * The imported key of `material`, once per material array: a key row cached by the isolate
 * (src/services/data-rows.ts) hands the same array to every call (kms/common.ts materialOf), so a
 * warm Encrypt or Decrypt imports nothing. Weakly held: it goes with the row.
 */
const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function aesKey(material: Uint8Array): Promise<CryptoKey> {
  let key = imported.get(material);
  if (!key) {
    key = crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
    imported.set(material, key);
  }
  return key;
}

/** Encrypts under the key: a blob naming it, bound to the context. */
export async function seal(
  keyId: string,
  material: Uint8Array,
  plaintext: Uint8Array,
  context?: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const key = await aesKey(material);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(keyId, context) }, key, plaintext),
  );
  return encodeBlob({ keyId, iv, sealed });
}

/** The plaintext of a blob, or undefined when the key or the context is not the one it was sealed with. */
export async function open(blob: Blob, material: Uint8Array, context?: Readonly<Record<string, string>>): Promise<Uint8Array | undefined> {
  const key = await aesKey(material);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: blob.iv, additionalData: additionalData(blob.keyId, context) }, key, blob.sealed),
    );
  } catch {
    return undefined;
  }
}
