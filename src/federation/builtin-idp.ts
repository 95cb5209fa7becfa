/**
 * The built-in OIDC identity provider of each account, so a lab needs no Keycloak or Okta: an
 * issuer `https://<iamlab host>/_iamlab/idp/<account>/oidc` with its discovery document and JWKS
 * (served unauthenticated, as any IdP's are), and ID tokens minted through the admin API for a lab
 * identity with chosen claims. Keys are RSA-2048 (RS256), generated with WebCrypto on first use and
 * kept in D1; the private key is read only to sign. AssumeRoleWithWebIdentity resolves this
 * issuer's keys in-process (no HTTP round trip to ourselves), whatever host the issuer names: only
 * tokens this Worker signed with the account's key verify.
 */
import { generateRsaSigningKey, signJwtRs256, type Jwk, type JsonObject } from "../lib/jwt";
import { addIdpKey, listIdpKeys } from "../store/idp-keys";
import type { Db } from "../store/db";
import { cachedLookup, scopes } from "../cache/index";

/** The issuer path of an account's built-in IdP. */
export const builtinIssuerPath = (account: string) => `/_iamlab/idp/${account}/oidc`;

/** The issuer URL for a host (`127.0.0.1:8787`, `iamlab.example.workers.dev`). Always https, as IAM requires of provider URLs. */
export const builtinIssuer = (host: string, account: string) => `https://${host}${builtinIssuerPath(account)}`;

/** The account whose built-in IdP an issuer (without `https://`) is, or undefined for any other issuer. */
export function builtinAccountOf(issuer: string): string | undefined {
  return /^[^/]+\/_iamlab\/idp\/(\d{12})\/oidc$/.exec(issuer)?.[1];
}

export function discoveryDocument(issuer: string): JsonObject {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    claims_supported: ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "azp", "amr", "https://aws.amazon.com/tags"],
  };
}

/** The account's active signing key, created on first use. */
async function signingKey(db: Db, account: string, now: number): Promise<{ kid: string; privateJwk: JsonWebKey } | undefined> {
  let active = (await listIdpKeys(db, account)).find((k) => k.active);
  if (!active) {
    const k = await generateRsaSigningKey();
    await addIdpKey(
      db,
      account,
      { kid: k.kid, alg: "RS256", publicJwk: JSON.stringify(k.publicJwk), privateJwk: JSON.stringify(k.privateJwk), createdAt: now },
      false,
    );
    active = (await listIdpKeys(db, account)).find((k) => k.active);
  }
  return active && { kid: active.kid, privateJwk: JSON.parse(active.privateJwk) as JsonWebKey };
}

/** A new active key; the old ones stay in the JWKS (tokens they signed verify until they expire). */
export async function rotateSigningKey(db: Db, account: string, now: number): Promise<string> {
  const k = await generateRsaSigningKey();
  await addIdpKey(
    db,
    account,
    { kid: k.kid, alg: "RS256", publicJwk: JSON.stringify(k.publicJwk), privateJwk: JSON.stringify(k.privateJwk), createdAt: now },
    true,
  );
  return k.kid;
}

/**
 * The public keys the account's IdP publishes (its JWKS), cached in the isolate like other account
 * state (dropped by the account's writes and admin changes; a rotation is an admin change).
 * `ensure`: create the first key when there is none (the JWKS endpoint), so the set is never empty.
 */
export async function publishedKeys(db: Db, account: string, now: number, ensure = false, ttlMs = 0): Promise<Jwk[]> {
  if (ensure) await signingKey(db, account, now);
  const keys = await cachedLookup(
    `idp-keys:${account}`,
    ttlMs,
    () => scopes.account(account),
    async () => {
      const rows = await listIdpKeys(db, account);
      // Nothing to cache while the account has no key: the first mint creates one.
      return rows.length ? rows.map((r) => JSON.parse(r.publicJwk) as Jwk) : undefined;
    },
  );
  return keys ?? [];
}

export interface MintRequest {
  sub: string;
  aud: string | string[];
  /** extra claims, merged last (a lab may craft any claim, `exp` and `iat` included) */
  claims?: JsonObject;
  /** seconds from now; default 3600 */
  expiresIn?: number;
}

/** An ID token of the account's IdP for `issuer`, and the claims it carries. */
export async function mintIdToken(
  db: Db,
  account: string,
  issuer: string,
  req: MintRequest,
  now: number,
): Promise<{ token: string; claims: JsonObject } | undefined> {
  const key = await signingKey(db, account, now);
  if (!key) return undefined;
  const iat = Math.floor(now / 1000);
  const claims: JsonObject = {
    iss: issuer,
    sub: req.sub,
    aud: req.aud,
    iat,
    nbf: iat,
    exp: iat + (req.expiresIn ?? 3600),
    jti: crypto.randomUUID(),
    ...(req.claims ?? {}),
  };
  return { token: await signJwtRs256(key.privateJwk, key.kid, claims), claims };
}
