/**
 * Workload tokens (`AWS_CONTAINER_AUTHORIZATION_TOKEN`): an HMAC-signed reference to a workload,
 * unforgeable without the Worker's token key (IAMLAB_TOKEN_KEY, as session tokens):
 *
 *   iwl1.<base64url(JSON {k: kind, a: account, i: id})>.<base64url(HMAC-SHA256(key, "iamlab-workload\n" ‖ payload))>
 *
 * The token grants nothing by itself: each fetch resolves the workload afresh (it may be gone).
 * Printable ASCII without CR/LF, as the SDKs require of the header value.
 */
import { fromBase64, toBase64, utf8 } from "../lib/encoding";
import type { WorkloadRef } from "./types";

const PREFIX = "iwl1";

function b64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function fromB64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(std + "=".repeat((4 - (std.length % 4)) % 4));
}

const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    if (keys.size > 8) keys.clear();
    keys.set(secret, k);
  }
  return k;
}

const macInput = (payload: string) => utf8.encode(`iamlab-workload\n${payload}`);

export async function signWorkloadToken(secret: string, ref: WorkloadRef): Promise<string> {
  const payload = b64url(utf8.encode(JSON.stringify({ k: ref.kind, a: ref.account, i: ref.id })));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), macInput(payload)));
  return `${PREFIX}.${payload}.${b64url(mac)}`;
}

/** The reference of an authentic token, or null (forged, altered, malformed). */
export async function verifyWorkloadToken(secret: string, token: string): Promise<WorkloadRef | null> {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const mac = fromB64url(parts[2]!);
  if (mac?.length !== 32) return null;
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, macInput(parts[1]!)))) return null;
  const raw = fromB64url(parts[1]!);
  try {
    const v: unknown = raw ? JSON.parse(new TextDecoder().decode(raw)) : null;
    if (typeof v !== "object" || v === null) return null;
    const { k, a, i } = v as Record<string, unknown>;
    if (typeof k !== "string" || typeof a !== "string" || typeof i !== "string" || !/^\d{12}$/.test(a)) return null;
    return { kind: k, account: a, id: i };
  } catch {
    return null;
  }
}
