/**
 * The pure key and certificate code behind IAM's SSH-key and certificate actions: the DER reader,
 * OpenSSH ⇄ PEM public keys, X.509 validity and keys, private keys in every PEM form (an EC key
 * without its public point derives it through WebCrypto), and the key/certificate match.
 */
import { describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { TAG, children, encode, parseDer } from "../../src/lib/der";
import { parsePublicKey, pemEncode, toPemEncoding, toSshEncoding } from "../../src/lib/public-keys";
import { keysMatch, parseCertificateChain, parseCertificatePem, parsePrivateKeyPem } from "../../src/lib/x509";
import { rsaKey, fixtureCert } from "../helpers/keys";
import { FIXTURE_CERT, FIXTURE_CERT_2, FIXTURE_KEY } from "../fixtures/certs";

describe("SSH public keys", () => {
  it("reads OpenSSH, SPKI and PKCS#1 forms of one key alike and converts between them", () => {
    const k = rsaKey(2048, "me@host");
    const ssh = parsePublicKey(k.ssh);
    const spki = parsePublicKey(k.spki);
    const pkcs1 = parsePublicKey(k.pkcs1);
    if (!ssh.ok || !spki.ok || !pkcs1.ok) throw new Error("not parsed");
    expect([ssh.bits, spki.bits, pkcs1.bits]).toEqual([2048, 2048, 2048]);
    expect([ssh.encoding, spki.encoding, pkcs1.encoding]).toEqual(["SSH", "PEM", "PEM"]);
    expect(toSshEncoding(spki.key)).toBe(k.ssh.replace(/ me@host$/, ""));
    expect(toPemEncoding(ssh.key)).toBe(k.spki);
  });

  it("tells unrecognized encodings from broken keys", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(parsePublicKey(ec)).toEqual({ ok: false, reason: "unrecognized" });
    expect(parsePublicKey("ssh-dss AAAA")).toEqual({ ok: false, reason: "unrecognized" });
    expect(parsePublicKey("ssh-rsa !!!")).toEqual({ ok: false, reason: "invalid" });
    expect(parsePublicKey("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB")).toEqual({ ok: false, reason: "invalid" });
    expect(parsePublicKey("-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----")).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("X.509 certificates and private keys", () => {
  it("reads validity and the RSA key of a certificate; chains are lists of certificates", () => {
    const expired = parseCertificatePem(fixtureCert("expired-cert"))!;
    expect(new Date(expired.notBefore).toISOString()).toBe("2020-01-01T00:00:00.000Z");
    expect(new Date(expired.notAfter).toISOString()).toBe("2021-01-01T00:00:00.000Z");
    expect(expired.publicKey).toMatchObject({ kind: "rsa", bits: 2048 });
    expect(parseCertificateChain(`${FIXTURE_CERT}\n${FIXTURE_CERT_2}`)).toHaveLength(2);
    expect(parseCertificateChain(`${FIXTURE_CERT}\njunk`)).toBeNull();
    expect(parseCertificatePem(`${FIXTURE_CERT}${FIXTURE_CERT_2}`)).toBeNull();
    expect(parseCertificatePem(FIXTURE_KEY)).toBeNull();
  });

  it("matches a certificate with its own private key only", async () => {
    const cert = parseCertificatePem(FIXTURE_CERT)!;
    const key = await parsePrivateKeyPem(FIXTURE_KEY);
    if (!key.ok) throw new Error("key not parsed");
    expect(keysMatch(cert.publicKey, key.publicKey)).toBe(true);
    expect(keysMatch(parseCertificatePem(FIXTURE_CERT_2)!.publicKey, key.publicKey)).toBe(false);
    expect(await parsePrivateKeyPem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----")).toEqual({
      ok: false,
      reason: "encrypted",
    });
  });

  it("derives the public point of an EC key stored without it (SEC1 without [1])", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sec1 = new Uint8Array(privateKey.export({ type: "sec1", format: "der" }));
    const kept = children(parseDer(sec1)).filter((el) => el.tag !== 0xa1);
    const stripped = encode(TAG.SEQUENCE, ...kept.map((el) => el.raw));
    const parsed = await parsePrivateKeyPem(pemEncode("EC PRIVATE KEY", stripped));
    if (!parsed.ok || parsed.publicKey.kind !== "ec") throw new Error("key not parsed");
    const spkiPoint = publicKey.export({ format: "jwk" });
    const x = Buffer.from(spkiPoint.x!, "base64url");
    const y = Buffer.from(spkiPoint.y!, "base64url");
    expect(Buffer.from(parsed.publicKey.point).equals(Buffer.concat([Buffer.from([4]), x, y]))).toBe(true);
    expect(parsed.publicKey.curve).toBe("P-256");
  });
});
