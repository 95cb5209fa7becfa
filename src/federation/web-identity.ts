/**
 * Verifying an OIDC ID token for AssumeRoleWithWebIdentity, in AWS's order: a JWT at all → an IAM
 * OIDC provider of the role's account for its `iss` → the issuer's key (`kid`) → the signature →
 * `exp` / `nbf` / `iat` (with clock skew) → `aud` (or `azp`) among the provider's client ids.
 * Then what the trust policy sees: the provider's condition keys (`<host/path>:sub`, `:aud`,
 * `:oaud`, `:amr`), the session tags of the `https://aws.amazon.com/tags` claim and the source
 * identity of `https://aws.amazon.com/source_identity`.
 *
 * AWS's messages, where confirmed (users' reports): "No OpenIDConnect provider found in your account
 * for <iss>", "Incorrect token audience", "Token expired: current date/time <now> must be before the
 * expiration date/time<exp>", "Couldn't retrieve verification key from your identity provider,  please
 * reference AssumeRoleWithWebIdentity documentation for requirements". The others are not confirmed.
 */
import { AwsError } from "../protocol/errors";
import { decodeJwt, supportedAlgorithm, verifyJwt, type DecodedJwt, type Jwk, type JsonObject } from "../lib/jwt";
import type { Db } from "../store/db";
import { findOidcProviderByUrl, type OidcProvider } from "../store/iam-identity-providers";
import { issuerKeys } from "./jwks";
import type { IssuerEgress } from "./egress";

/** How far `nbf` / `iat` may lie in the future (clocks of IdPs drift); `exp` gets none. */
export const CLOCK_SKEW_SECONDS = 300;

const invalid = (m: string) => new AwsError("InvalidIdentityToken", m, 400);

export const webIdentityErrors = {
  notJwt: () => invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"),
  noProvider: (iss: string) => invalid(`No OpenIDConnect provider found in your account for ${iss}`),
  noKey: () =>
    invalid(
      "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
    ),
  badSignature: () => invalid("The web identity token provided could not be validated. The signature is not valid."),
  audience: () => invalid("Incorrect token audience"),
  missingClaim: (c: string) => invalid(`The ID Token provided is missing the required claim '${c}'.`),
  notYetValid: () => invalid("The ID Token provided is not yet valid."),
  badTags: () => invalid("The session tags claim https://aws.amazon.com/tags of the ID Token provided is not valid."),
  expired: (nowS: number, exp: number) =>
    new AwsError("ExpiredTokenException", `Token expired: current date/time ${nowS} must be before the expiration date/time${exp}`, 400),
};

export interface WebIdentity {
  provider: OidcProvider;
  /** the token's `iss` as sent */
  issuer: string;
  subject: string;
  /** the client id the token was accepted for (`azp` when that is what matched, else `aud`) */
  audience: string;
  claims: JsonObject;
  /** the provider's condition keys for the trust policy */
  conditionKeys: Record<string, string | string[]>;
  sessionTags?: Record<string, string>;
  /** lower-cased */
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
}

/** The audiences of a token (`aud` is a string or an array of strings). */
export function audiencesOf(claims: JsonObject): string[] {
  const aud = claims.aud;
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
}

/**
 * Time and audience claims against the provider; returns the accepted audience. Pure.
 * AWS accepts a token whose `aud` — or, as for Google, whose `azp` — is a registered client id.
 */
export function checkClaims(claims: JsonObject, provider: Pick<OidcProvider, "clientIds">, nowMs: number): string {
  const nowS = Math.floor(nowMs / 1000);
  const exp = claims.exp;
  if (typeof exp !== "number") throw webIdentityErrors.missingClaim("exp");
  if (typeof claims.sub !== "string" || claims.sub === "") throw webIdentityErrors.missingClaim("sub");
  if (nowS >= exp) throw webIdentityErrors.expired(nowS, exp);
  for (const c of ["nbf", "iat"] as const) {
    const v = claims[c];
    if (v !== undefined && (typeof v !== "number" || v > nowS + CLOCK_SKEW_SECONDS)) throw webIdentityErrors.notYetValid();
  }
  const auds = audiencesOf(claims);
  const byAud = auds.find((a) => provider.clientIds.includes(a));
  if (byAud !== undefined) return byAud;
  const azp = claims.azp;
  if (typeof azp === "string" && provider.clientIds.includes(azp)) return azp;
  throw webIdentityErrors.audience();
}

/**
 * The condition keys AWS documents for web identity federation, named by the provider's URL:
 * `:sub`, `:aud` (the accepted client id; `azp` when the token has one, as for Google), `:oaud`
 * (the token's `aud` when `azp` differs), `:amr` (when the token carries it), and
 * aws:FederatedProvider. Pure.
 */
export function conditionKeysOf(provider: Pick<OidcProvider, "url" | "arn">, claims: JsonObject, audience: string) {
  const keys: Record<string, string | string[]> = {
    [`${provider.url}:sub`]: String(claims.sub),
    [`${provider.url}:aud`]: typeof claims.azp === "string" ? claims.azp : audience,
    "aws:FederatedProvider": provider.arn,
  };
  const auds = audiencesOf(claims);
  if (typeof claims.azp === "string" && auds.length) keys[`${provider.url}:oaud`] = auds.length === 1 ? auds[0]! : auds;
  const amr = claims.amr;
  if (typeof amr === "string") keys[`${provider.url}:amr`] = amr;
  else if (Array.isArray(amr)) keys[`${provider.url}:amr`] = amr.filter((a): a is string => typeof a === "string");
  return keys;
}

/**
 * Session tags of the `https://aws.amazon.com/tags` claim: `principal_tags` (each a list with one
 * value, as AWS documents; a plain string is taken too) and `transitive_tag_keys`. Pure.
 */
export function sessionTagsOf(claims: JsonObject): Pick<WebIdentity, "sessionTags" | "transitiveTagKeys"> {
  const claim = claims["https://aws.amazon.com/tags"];
  if (claim === undefined) return {};
  if (typeof claim !== "object" || claim === null || Array.isArray(claim)) throw webIdentityErrors.badTags();
  const { principal_tags: tags, transitive_tag_keys: transitive } = claim as { principal_tags?: unknown; transitive_tag_keys?: unknown };
  const out: Pick<WebIdentity, "sessionTags" | "transitiveTagKeys"> = {};
  if (tags !== undefined) {
    if (typeof tags !== "object" || tags === null || Array.isArray(tags)) throw webIdentityErrors.badTags();
    const sessionTags: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) {
      const value = Array.isArray(v) && v.length === 1 && typeof v[0] === "string" ? v[0] : typeof v === "string" ? v : undefined;
      if (value === undefined) throw webIdentityErrors.badTags();
      sessionTags[k] = value;
    }
    if (Object.keys(sessionTags).length) out.sessionTags = sessionTags;
  }
  if (transitive !== undefined) {
    if (!Array.isArray(transitive) || !transitive.every((k) => typeof k === "string")) throw webIdentityErrors.badTags();
    if (transitive.length) out.transitiveTagKeys = (transitive as string[]).map((k) => k.toLowerCase());
  }
  return out;
}

/** The keys to try: the one named by `kid`, or every key of a fitting type when the token names none. */
function candidateKeys(jwt: DecodedJwt, keys: Jwk[]): Jwk[] {
  const kid = jwt.header.kid;
  const usable = keys.filter((k) => k.use === undefined || k.use === "sig");
  return typeof kid === "string" ? usable.filter((k) => k.kid === kid) : usable;
}

/**
 * Verifies `token` for a role of `account` (throws STS's errors); `ttlMs` is the isolate cache
 * lifetime, `egress` the external issuers that may be fetched (IAMLAB_OIDC_EGRESS).
 */
export async function verifyWebIdentity(
  db: Db,
  account: string,
  token: string,
  now: number,
  ttlMs: number,
  egress: IssuerEgress,
): Promise<WebIdentity> {
  // Token files often end with a newline (`jq -r … > token`), which some clients send along.
  const jwt = decodeJwt(token.trim());
  // A critical header extension we do not implement makes the token unverifiable (RFC 7515 §4.1.11).
  if (!jwt || !supportedAlgorithm(jwt.header.alg) || jwt.header.crit !== undefined) throw webIdentityErrors.notJwt();
  const iss = jwt.payload.iss;
  if (typeof iss !== "string" || iss === "") throw webIdentityErrors.missingClaim("iss");
  // The provider is the role account's provider for the token's issuer: another account's IdP
  // means nothing here unless this account registered it too.
  // Google's ID tokens may name their issuer without a scheme (`accounts.google.com`): it is the same provider.
  const provider = await findOidcProviderByUrl(db, account, iss.startsWith("https://") ? iss.slice(8) : iss);
  if (!provider) throw webIdentityErrors.noProvider(iss);
  const candidates = candidateKeys(jwt, await issuerKeys(db, provider.url, now, ttlMs, egress));
  if (candidates.length === 0) throw webIdentityErrors.noKey();
  let verified = false;
  for (const k of candidates) if ((verified = await verifyJwt(jwt, k))) break;
  if (!verified) throw webIdentityErrors.badSignature();
  const audience = checkClaims(jwt.payload, provider, now);
  const sourceIdentity = jwt.payload["https://aws.amazon.com/source_identity"];
  return {
    provider,
    issuer: iss,
    subject: String(jwt.payload.sub),
    audience,
    claims: jwt.payload,
    conditionKeys: conditionKeysOf(provider, jwt.payload, audience),
    ...sessionTagsOf(jwt.payload),
    ...(typeof sourceIdentity === "string" ? { sourceIdentity } : {}),
  };
}
