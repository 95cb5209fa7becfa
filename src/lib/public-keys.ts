/**
 * RSA public keys as IAM's UploadSSHPublicKey takes them: OpenSSH `ssh-rsa AAAA… [comment]`, PEM
 * SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) or PEM PKCS#1 (`BEGIN RSA PUBLIC KEY`), converted
 * between the two encodings GetSSHPublicKey returns, and fingerprinted as AWS shows it: the MD5 of
 * the OpenSSH key blob as colon-separated hex (what `ssh-keygen -l -E md5` prints).
 */
import { DerError, TAG, bitLength, bitString, encode, encodeOid, encodeUnsigned, oid, parseDer, sequence, unsignedInteger } from "./der";
import { fromBase64, toBase64, toHex } from "./encoding";

export const RSA_OID = "1.2.840.113549.1.1.1";

export interface RsaPublicKey {
  n: Uint8Array;
  e: Uint8Array;
}

/** What a key body is: a parsed RSA key, an encoding IAM does not take, or a key it cannot read. */
export type ParsedPublicKey =
  | { ok: true; key: RsaPublicKey; bits: number; encoding: "SSH" | "PEM" }
  | { ok: false; reason: "unrecognized" | "invalid" };

/** One PEM block: its label and DER bytes (null when the text is not exactly one well-formed block). */
export function pemBlock(text: string): { label: string; der: Uint8Array } | null {
  const blocks = pemBlocks(text);
  return blocks && blocks.length === 1 ? blocks[0]! : null;
}

/** Every PEM block of `text`, in order; null when there is text outside the blocks or a block is broken. */
export function pemBlocks(text: string): { label: string; der: Uint8Array }[] | null {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  const out: { label: string; der: Uint8Array }[] = [];
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (text.slice(last, m.index).trim() !== "") return null;
    last = re.lastIndex;
    const b64 = m[2]!.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length === 0) return null;
    const der = fromBase64(b64);
    if (!der) return null;
    out.push({ label: m[1]!, der });
  }
  if (out.length === 0 || text.slice(last).trim() !== "") return null;
  return out;
}

export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
export function rsaFromPkcs1(der: Uint8Array): RsaPublicKey {
  const [n, e, ...rest] = sequence(parseDer(der));
  if (rest.length) throw new DerError("extra fields");
  return { n: unsignedInteger(n), e: unsignedInteger(e) };
}

/** SubjectPublicKeyInfo: the algorithm OID and the key bits. */
export function spkiParts(der: Uint8Array | ReturnType<typeof parseDer>): { algorithm: string; parameters?: string; key: Uint8Array } {
  const [alg, bits] = sequence(der instanceof Uint8Array ? parseDer(der) : der);
  const [algOid, params] = sequence(alg);
  return { algorithm: oid(algOid), parameters: params?.tag === TAG.OID ? oid(params) : undefined, key: bitString(bits) };
}

// ---------------------------------------------------------------- OpenSSH wire format

function sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/** An mpint: two's complement, so a 0 byte leads when the top bit is set. */
function sshMpint(n: Uint8Array): Uint8Array {
  return sshString(n[0]! & 0x80 ? new Uint8Array([0, ...n]) : n);
}

export function sshBlob(k: RsaPublicKey): Uint8Array {
  const parts = [sshString(new TextEncoder().encode("ssh-rsa")), sshMpint(k.e), sshMpint(k.n)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

function readSshBlob(blob: Uint8Array): { type: string; e: Uint8Array; n: Uint8Array } {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let p = 0;
  const next = (): Uint8Array => {
    if (p + 4 > blob.length) throw new DerError("truncated");
    const len = view.getUint32(p);
    if (p + 4 + len > blob.length) throw new DerError("truncated");
    const v = blob.subarray(p + 4, p + 4 + len);
    p += 4 + len;
    return v;
  };
  const type = new TextDecoder().decode(next());
  const strip = (x: Uint8Array) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    return x.subarray(i);
  };
  const e = strip(next());
  const n = strip(next());
  if (p !== blob.length) throw new DerError("trailing data");
  return { type, e, n };
}

// ---------------------------------------------------------------- the encodings

/** Parses an SSH public key body as UploadSSHPublicKey accepts it (RSA only; the bit count is the caller's to check). */
export function parsePublicKey(body: string): ParsedPublicKey {
  const text = body.trim();
  try {
    if (text.startsWith("-----BEGIN")) {
      const block = pemBlock(text);
      if (!block) return { ok: false, reason: "invalid" };
      let key: RsaPublicKey;
      if (block.label === "RSA PUBLIC KEY") key = rsaFromPkcs1(block.der);
      else if (block.label === "PUBLIC KEY") {
        const spki = spkiParts(block.der);
        if (spki.algorithm !== RSA_OID) return { ok: false, reason: "unrecognized" };
        key = rsaFromPkcs1(spki.key);
      } else return { ok: false, reason: "unrecognized" };
      return { ok: true, key, bits: bitLength(key.n), encoding: "PEM" };
    }
    const [type, b64] = text.split(/\s+/);
    if (type !== "ssh-rsa" || b64 === undefined) return { ok: false, reason: "unrecognized" };
    const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? fromBase64(b64) : null;
    if (!blob) return { ok: false, reason: "invalid" };
    const k = readSshBlob(blob);
    if (k.type !== "ssh-rsa") return { ok: false, reason: "invalid" };
    return { ok: true, key: { n: k.n, e: k.e }, bits: bitLength(k.n), encoding: "SSH" };
  } catch (e) {
    if (e instanceof DerError) return { ok: false, reason: "invalid" };
    throw e;
  }
}

/** `ssh-rsa AAAA…` (no comment). */
export function toSshEncoding(k: RsaPublicKey): string {
  return `ssh-rsa ${toBase64(sshBlob(k))}`;
}

/** PEM SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`). */
export function toPemEncoding(k: RsaPublicKey): string {
  const pkcs1 = encode(TAG.SEQUENCE, encodeUnsigned(k.n), encodeUnsigned(k.e));
  const alg = encode(TAG.SEQUENCE, encodeOid(RSA_OID), encode(TAG.NULL));
  const spki = encode(TAG.SEQUENCE, alg, encode(TAG.BIT_STRING, new Uint8Array([0]), pkcs1));
  return pemEncode("PUBLIC KEY", spki);
}

/** AWS's Fingerprint: MD5 of the OpenSSH blob, as colon-separated lower-case hex. */
export async function sshFingerprint(k: RsaPublicKey): Promise<string> {
  const md5 = toHex(await crypto.subtle.digest("MD5", sshBlob(k)));
  return md5.match(/../g)!.join(":");
}
