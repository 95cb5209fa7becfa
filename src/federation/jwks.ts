/**
 * The signing keys of an OIDC issuer: iamlab's own (src/federation/builtin-idp.ts, in-process) or an
 * external issuer's, found as OIDC Discovery says — `<issuer>/.well-known/openid-configuration` →
 * `jwks_uri` → the JWKS — fetched with a short timeout and cached in the isolate for a while (as
 * AWS caches them). An issuer that cannot be reached, or answers with something that is not a
 * discovery document / JWKS, is STS's IDPCommunicationError.
 */
import { AwsError } from "../protocol/errors";
import type { Jwk } from "../lib/jwt";
import type { Db } from "../store/db";
import { BoundedMap } from "../lib/bounded";
import { builtinAccountOf, publishedKeys } from "./builtin-idp";
import { egressAllowed, type IssuerEgress } from "./egress";

const FETCH_TIMEOUT_MS = 5_000;
const CACHE_MS = 10 * 60_000;
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;

// The wording of AWS's IDPCommunicationError for OIDC issuers is not documented; this says what failed.
export const idpCommunicationError = (issuer: string) =>
  new AwsError("IDPCommunicationError", `Couldn't retrieve verification key from your identity provider at ${issuer}`, 400);

const external = new BoundedMap<string, { keys: Jwk[]; expires: number }>(
  256,
  4 * 1024 * 1024,
  (e, k) => 2 * k.length + 2048 * e.keys.length,
);

/**
 * GET a JSON document under the egress policy: every hop of a redirect is checked again, the body
 * is read only up to MAX_DOCUMENT_BYTES (a huge or endless answer costs nothing), all within FETCH_TIMEOUT_MS.
 */
async function fetchJson(url: string, egress: IssuerEgress): Promise<unknown> {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    if (!egressAllowed(egress, target)) throw new Error("issuer host not allowed");
    const res = await fetch(target.toString(), { signal, headers: { accept: "application/json" }, redirect: "manual" });
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new Error("too many redirects");
      target = new URL(location, target);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    return JSON.parse(await readBounded(res, MAX_DOCUMENT_BYTES)) as unknown;
  }
}

async function readBounded(res: Response, max: number): Promise<string> {
  if (Number(res.headers.get("content-length") ?? 0) > max) {
    await res.body?.cancel();
    throw new Error("document too large");
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error("document too large");
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** `issuer` is the provider URL without `https://`. */
async function fetchIssuerKeys(issuer: string, egress: IssuerEgress): Promise<Jwk[]> {
  const config = await fetchJson(`https://${issuer}/.well-known/openid-configuration`, egress);
  const jwksUri = (config as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (typeof jwksUri !== "string" || !jwksUri.startsWith("https://")) throw new Error("no https jwks_uri");
  const jwks = await fetchJson(jwksUri, egress);
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error("no keys");
  return keys.filter((k): k is Jwk => typeof k === "object" && k !== null && typeof (k as Jwk).kty === "string");
}

/**
 * The keys of `issuer` (without `https://`). `now` is the sandbox clock (key creation), `ttlMs`
 * the isolate cache's lifetime for iamlab's own keys, `egress` which external hosts may be fetched
 * (src/federation/egress.ts; a refused host is IDPCommunicationError, as an unreachable one).
 */
export async function issuerKeys(db: Db, issuer: string, now: number, ttlMs: number, egress: IssuerEgress): Promise<Jwk[]> {
  const own = builtinAccountOf(issuer);
  if (own) return publishedKeys(db, own, now, false, ttlMs);
  const hit = external.get(issuer);
  if (hit && hit.expires > Date.now()) return hit.keys;
  let keys: Jwk[];
  try {
    keys = await fetchIssuerKeys(issuer, egress);
  } catch {
    throw idpCommunicationError(`https://${issuer}`);
  }
  external.set(issuer, { keys, expires: Date.now() + CACHE_MS });
  return keys;
}
