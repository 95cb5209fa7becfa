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
import { egressRefusal } from "./egress";
import { readBodyLimited } from "../protocol/body";

const FETCH_TIMEOUT_MS = 5_000;
const CACHE_MS = 10 * 60_000;
const MAX_DOCUMENT_BYTES = 256 * 1024;

// The wording of AWS's IDPCommunicationError for OIDC issuers is not documented; this says what failed.
export const idpCommunicationError = (issuer: string) =>
  new AwsError("IDPCommunicationError", `Couldn't retrieve verification key from your identity provider at ${issuer}`, 400);

const external = new BoundedMap<string, { keys: Jwk[]; expires: number }>(
  256,
  4 * 1024 * 1024,
  (e, k) => 2 * k.length + 2048 * e.keys.length,
);

/** Redirects are followed by hand (at most 3), each hop checked like the first (egress.ts). */
async function fetchJson(url: string): Promise<unknown> {
  let at = url;
  for (let hop = 0; hop <= 3; hop++) {
    const refused = egressRefusal(at);
    if (refused) throw new Error(`refused to fetch ${at}: ${refused}`);
    const res = await fetch(at, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      headers: { accept: "application/json" },
      redirect: "manual",
    });
    const next = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (next) {
      await res.body?.cancel();
      at = new URL(next, at).toString();
      continue;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = await readBodyLimited(res, MAX_DOCUMENT_BYTES, () => new AwsError("InvalidRequest", "document too large", 400));
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  }
  throw new Error("too many redirects");
}

/** `issuer` is the provider URL without `https://`. */
async function fetchIssuerKeys(issuer: string): Promise<Jwk[]> {
  const config = await fetchJson(`https://${issuer}/.well-known/openid-configuration`);
  const jwksUri = (config as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (typeof jwksUri !== "string" || !jwksUri.startsWith("https://")) throw new Error("no https jwks_uri");
  const jwks = await fetchJson(jwksUri);
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error("no keys");
  return keys.filter((k): k is Jwk => typeof k === "object" && k !== null && typeof (k as Jwk).kty === "string");
}

/**
 * The keys of `issuer` (without `https://`). `now` is the sandbox clock (key creation), `ttlMs`
 * the isolate cache's lifetime for iamlab's own keys.
 */
export async function issuerKeys(db: Db, issuer: string, now: number, ttlMs: number): Promise<Jwk[]> {
  const own = builtinAccountOf(issuer);
  if (own) return publishedKeys(db, own, now, false, ttlMs);
  const hit = external.get(issuer);
  if (hit && hit.expires > Date.now()) return hit.keys;
  let keys: Jwk[];
  try {
    keys = await fetchIssuerKeys(issuer);
  } catch {
    throw idpCommunicationError(`https://${issuer}`);
  }
  external.set(issuer, { keys, expires: Date.now() + CACHE_MS });
  return keys;
}
