/**
 * Keys and certificates for the SSH-key and certificate tests: RSA/EC keys from Node's crypto,
 * their OpenSSH form built from the JWK, and X.509 certificates made by `openssl` (tests that need
 * one skip without it). `ssh-keygen`, when present, cross-checks AWS-style fingerprints.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hasOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
export const hasSshKeygen = spawnSync("ssh-keygen", ["-?"], { stdio: "ignore" }).error === undefined;

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}
const mpint = (b: Buffer) => sshString(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);

export interface RsaKey {
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** `ssh-rsa AAAA… comment` */
  ssh: string;
  /** BEGIN PUBLIC KEY */
  spki: string;
  /** BEGIN RSA PUBLIC KEY */
  pkcs1: string;
}

export function rsaKey(bits = 2048, comment = "test@iamlab"): RsaKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    mpint(Buffer.from(jwk.e!, "base64url")),
    mpint(Buffer.from(jwk.n!, "base64url")),
  ]);
  return {
    publicKey,
    privateKey,
    ssh: `ssh-rsa ${blob.toString("base64")} ${comment}`,
    spki: publicKey.export({ type: "spki", format: "pem" }) as string,
    pkcs1: publicKey.export({ type: "pkcs1", format: "pem" }) as string,
  };
}

/** `ssh-keygen -l -E md5` of an OpenSSH public key: the colon hex after "MD5:". */
export function sshKeygenMd5(sshPublicKey: string): string {
  const dir = mkdtempSync(join(tmpdir(), "iamlab-ssh-"));
  const file = join(dir, "key.pub");
  writeFileSync(file, `${sshPublicKey}\n`);
  const out = execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", file]).toString();
  return out.match(/MD5:([0-9a-f:]+)/)![1]!;
}

export interface Cert {
  /** PEM certificate */
  cert: string;
  /** PEM private key (PKCS#8 unless asked otherwise) */
  key: string;
}

/** A self-signed certificate from openssl, valid from now for `days` days. */
export function selfSigned(
  o: { cn?: string; keyType?: "rsa:2048" | "rsa:1024" | "ec"; days?: number; keyFormat?: "pkcs8" | "traditional" } = {},
): Cert {
  const dir = mkdtempSync(join(tmpdir(), "iamlab-cert-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const newkey = o.keyType === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["-newkey", o.keyType ?? "rsa:2048"];
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      ...newkey,
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      String(o.days ?? 30),
      "-subj",
      `/CN=${o.cn ?? "iamlab.test"}`,
    ],
    { stdio: "ignore" },
  );
  let key = readFileSync(keyFile, "utf8");
  if (o.keyFormat === "traditional") {
    const args = o.keyType === "ec" ? ["ec", "-in", keyFile] : ["rsa", "-in", keyFile, "-traditional"];
    key = execFileSync("openssl", args, { stdio: ["ignore", "pipe", "ignore"] }).toString();
  }
  return { cert: readFileSync(certFile, "utf8"), key };
}

/**
 * Checked-in certificates (openssl 3.0's `req -x509` cannot backdate): one that expired on
 * 2021-01-01 and one valid only from 2099-01-01 (made with `openssl ca -startdate/-enddate`).
 */
export const fixtureCert = (name: "expired-cert" | "not-yet-valid-cert"): string =>
  readFileSync(join(__dirname, `../fixtures/${name}.pem`), "utf8");
