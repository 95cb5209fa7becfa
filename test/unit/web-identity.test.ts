/**
 * The pure parts of OIDC federation: compact JWT decoding, signature verification against JWKs
 * (RS256 and ES256, as external IdPs publish them), the claim checks in AWS's order and wording,
 * the provider condition keys and the session tags claim.
 */
import { describe, expect, it } from "vitest";
import { base64url, decodeJwt, generateRsaSigningKey, signJwtRs256, verifyJwt, type Jwk } from "../../src/lib/jwt";
import { audiencesOf, checkClaims, conditionKeysOf, sessionTagsOf, CLOCK_SKEW_SECONDS } from "../../src/federation/web-identity";
import { builtinAccountOf, builtinIssuer } from "../../src/federation/builtin-idp";
import { providerUrl } from "../../src/services/iam/oidc-providers";
import { issuerKey } from "../../src/store/iam-identity-providers";

const enc = new TextEncoder();
const NOW = Date.UTC(2026, 0, 1);
const nowS = NOW / 1000;

async function es256Token(payload: object, kid = "ec1"): Promise<{ token: string; jwk: Jwk }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pub = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as Jwk;
  const head = base64url(enc.encode(JSON.stringify({ alg: "ES256", kid })));
  const body = base64url(enc.encode(JSON.stringify(payload)));
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, enc.encode(`${head}.${body}`)));
  return { token: `${head}.${body}.${base64url(sig)}`, jwk: { kty: "EC", crv: pub.crv, x: pub.x, y: pub.y, kid } };
}

describe("JWT", () => {
  it("decodes only compact JWS with JSON header and payload", () => {
    expect(decodeJwt("a.b")).toBeNull();
    expect(decodeJwt("not-a-jwt")).toBeNull();
    expect(decodeJwt(`${base64url(enc.encode("[]"))}.${base64url(enc.encode("{}"))}.AA`)).toBeNull();
    expect(decodeJwt(`${base64url(enc.encode("{}"))}.${base64url(enc.encode("{}"))}.`)).toBeNull(); // no signature
    expect(decodeJwt(`${base64url(enc.encode('{"alg":"RS256"}'))}.${base64url(enc.encode('{"sub":"x"}'))}.AAAA`)?.payload).toEqual({
      sub: "x",
    });
  });

  it("verifies RS256 with the signer's key and refuses any other key, tampering, alg none and HS256", async () => {
    const k = await generateRsaSigningKey();
    const other = await generateRsaSigningKey();
    const token = await signJwtRs256(k.privateJwk, k.kid, { sub: "alice" });
    const jwt = decodeJwt(token)!;
    expect(jwt.header).toEqual({ alg: "RS256", typ: "JWT", kid: k.kid });
    expect(await verifyJwt(jwt, k.publicJwk)).toBe(true);
    expect(await verifyJwt(jwt, other.publicJwk)).toBe(false);
    const [h, , s] = token.split(".");
    const tampered = decodeJwt(`${h}.${base64url(enc.encode('{"sub":"mallory"}'))}.${s}`)!;
    expect(await verifyJwt(tampered, k.publicJwk)).toBe(false);
    for (const alg of ["none", "HS256"]) {
      const forged = decodeJwt(`${base64url(enc.encode(JSON.stringify({ alg })))}.${token.split(".")[1]}.${s}`)!;
      expect(await verifyJwt(forged, k.publicJwk)).toBe(false);
    }
  });

  it("verifies ES256 against an EC JWK, never an RSA key for an EC token", async () => {
    const { token, jwk } = await es256Token({ sub: "bob" });
    const jwt = decodeJwt(token)!;
    expect(await verifyJwt(jwt, jwk)).toBe(true);
    expect(await verifyJwt(jwt, (await generateRsaSigningKey()).publicJwk)).toBe(false);
    expect(await verifyJwt(jwt, { ...jwk, alg: "ES384" })).toBe(false);
  });

  it("publishes a public RSA key with its RFC 7638 thumbprint as kid and no private members", async () => {
    const k = await generateRsaSigningKey();
    expect(k.publicJwk.kid).toBe(k.kid);
    expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(k.publicJwk.d).toBeUndefined();
    expect(k.privateJwk.d).toBeDefined();
  });
});

describe("claim checks", () => {
  const provider = { clientIds: ["sts.amazonaws.com", "app-1"] };
  const claims = (o: object) => ({ iss: "https://idp", sub: "u", aud: "sts.amazonaws.com", exp: nowS + 60, iat: nowS, ...o });

  it("accepts the audience among the client ids, else azp (Google), else refuses", () => {
    expect(checkClaims(claims({}), provider, NOW)).toBe("sts.amazonaws.com");
    expect(checkClaims(claims({ aud: ["x", "app-1"] }), provider, NOW)).toBe("app-1");
    expect(checkClaims(claims({ aud: "x", azp: "app-1" }), provider, NOW)).toBe("app-1");
    expect(() => checkClaims(claims({ aud: "x" }), provider, NOW)).toThrow("Incorrect token audience");
    expect(() => checkClaims(claims({}), { clientIds: [] }, NOW)).toThrow("Incorrect token audience");
  });

  it("refuses an expired token with ExpiredTokenException in AWS's words, exactly at exp too", () => {
    try {
      checkClaims(claims({ exp: nowS }), provider, NOW);
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("ExpiredTokenException");
      expect((e as Error).message).toBe(`Token expired: current date/time ${nowS} must be before the expiration date/time${nowS}`);
    }
  });

  it("tolerates clock skew for nbf / iat in the future, not beyond", () => {
    expect(checkClaims(claims({ nbf: nowS + CLOCK_SKEW_SECONDS }), provider, NOW)).toBe("sts.amazonaws.com");
    expect(() => checkClaims(claims({ nbf: nowS + CLOCK_SKEW_SECONDS + 1 }), provider, NOW)).toThrow(/not yet valid/);
    expect(() => checkClaims(claims({ iat: nowS + 3600 }), provider, NOW)).toThrow(/not yet valid/);
  });

  it("requires exp and sub", () => {
    expect(() => checkClaims(claims({ exp: undefined }), provider, NOW)).toThrow(/'exp'/);
    expect(() => checkClaims(claims({ sub: "" }), provider, NOW)).toThrow(/'sub'/);
  });

  it("audiences are a string or a list", () => {
    expect(audiencesOf({ aud: "a" })).toEqual(["a"]);
    expect(audiencesOf({ aud: ["a", 3, "b"] })).toEqual(["a", "b"]);
    expect(audiencesOf({})).toEqual([]);
  });
});

describe("condition keys and session tags", () => {
  const p = {
    url: "token.actions.githubusercontent.com",
    arn: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
  };

  it("names the keys by the provider URL: sub, aud, amr; oaud when azp is present", () => {
    expect(conditionKeysOf(p, { sub: "repo:o/r:ref:refs/heads/main", aud: "sts.amazonaws.com" }, "sts.amazonaws.com")).toEqual({
      "token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main",
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "aws:FederatedProvider": p.arn,
    });
    const google = conditionKeysOf(
      { ...p, url: "accounts.google.com" },
      { sub: "1", aud: "web", azp: "android", amr: ["pwd", "mfa"] },
      "android",
    );
    expect(google["accounts.google.com:aud"]).toBe("android");
    expect(google["accounts.google.com:oaud"]).toBe("web");
    expect(google["accounts.google.com:amr"]).toEqual(["pwd", "mfa"]);
  });

  it("reads principal_tags and transitive_tag_keys of https://aws.amazon.com/tags", () => {
    expect(sessionTagsOf({})).toEqual({});
    expect(
      sessionTagsOf({
        "https://aws.amazon.com/tags": { principal_tags: { Project: ["Automation"], Cost: "42" }, transitive_tag_keys: ["Project"] },
      }),
    ).toEqual({ sessionTags: { Project: "Automation", Cost: "42" }, transitiveTagKeys: ["project"] });
    expect(() => sessionTagsOf({ "https://aws.amazon.com/tags": "x" })).toThrow(/not valid/);
    expect(() => sessionTagsOf({ "https://aws.amazon.com/tags": { principal_tags: { a: ["1", "2"] } } })).toThrow(/not valid/);
  });
});

describe("provider URLs", () => {
  it("keeps https providers without scheme or trailing slash, refuses others", () => {
    expect(providerUrl("https://token.actions.githubusercontent.com/")).toBe("token.actions.githubusercontent.com");
    expect(providerUrl("https://oidc.eks.us-east-1.amazonaws.com/id/ABC")).toBe("oidc.eks.us-east-1.amazonaws.com/id/ABC");
    expect(providerUrl("https://127.0.0.1:8787/_iamlab/idp/123456789012/oidc")).toBe("127.0.0.1:8787/_iamlab/idp/123456789012/oidc");
    expect(() => providerUrl("http://idp.example.com")).toThrow(/must begin with https/);
    expect(() => providerUrl("https://idp.example.com/?a=1")).toThrow(/Invalid Open ID Connect Provider URL/);
    expect(() => providerUrl("https://")).toThrow(/Invalid Open ID Connect Provider URL/);
  });

  it("matches an issuer to a provider with the host in any case and no trailing slash", () => {
    expect(issuerKey("Accounts.Google.com/")).toBe(issuerKey("accounts.google.com"));
    expect(issuerKey("idp.example.com/Realm")).not.toBe(issuerKey("idp.example.com/realm"));
  });

  it("recognizes the built-in IdP's issuers, whatever their host", () => {
    expect(builtinIssuer("localhost:8787", "123456789012")).toBe("https://localhost:8787/_iamlab/idp/123456789012/oidc");
    expect(builtinAccountOf("localhost:8787/_iamlab/idp/123456789012/oidc")).toBe("123456789012");
    expect(builtinAccountOf("evil.example/_iamlab/idp/12345/oidc")).toBeUndefined();
    expect(builtinAccountOf("accounts.google.com")).toBeUndefined();
  });
});
